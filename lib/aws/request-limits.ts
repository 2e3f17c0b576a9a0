import { setMaxListeners } from 'node:events';
/**
 * How long one AWS request may take, for every client the project builds: the handler options
 * each client's `requestHandler` gets. The pinned @smithy/node-http-handler only logs a warning
 * when `requestTimeout` passes unless `throwOnRequestTimeout` is set; set, the request fails with
 * a TimeoutError, which the SDK retries up to the client's `maxAttempts`. A caller's deadline
 * (see sendUntil) ends a call, retries included, sooner.
 */
export const REQUEST_HANDLER = {
  connectionTimeout: 1_000,
  requestTimeout: 5_000,
  throwOnRequestTimeout: true,
} as const;

/**
 * The same for the clients of the CLI and of the local stack's own plumbing (creating queues and
 * tables, polling, the dashboard): more patient with a busy machine, never endless.
 */
export const TOOL_REQUEST_HANDLER = {
  connectionTimeout: 2_000,
  requestTimeout: 10_000,
  throwOnRequestTimeout: true,
} as const;

/** An abort signal that fires at `until` (epoch ms); at once when that has passed. */
export const abortAt = (until: number): AbortSignal =>
  AbortSignal.timeout(Math.max(1, Math.ceil(until - Date.now())));

/**
 * abortAt for every call of an invocation at once. Those calls may all wait together (a sharded
 * index's 16 Queries, each with its listener): past 10 on one signal Node would log a
 * MaxListenersExceededWarning, once per signal, so once per such invocation.
 */
export const sharedAbortAt = (until: number): AbortSignal => {
  const signal = abortAt(until);
  setMaxListeners(Infinity, signal);
  return signal;
};

/**
 * The options of `client.send(command, options)` that end the call, the SDK's own retries
 * included, at `until` (epoch ms): it then rejects with an AbortError. None without a deadline.
 */
export const sendUntil = (until: number | undefined): { abortSignal?: AbortSignal } =>
  until === undefined ? {} : { abortSignal: abortAt(until) };
