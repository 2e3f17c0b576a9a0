import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How the fake answers for one job: a status code, its body, and headers. */
export type FakeAnswer =
  | { status: 200; body: unknown }
  | { status: 200; raw: string }
  | { status: number; headers?: Record<string, string> };

/** One request the fake received. */
export interface FakeRequest {
  method: string;
  /**
   * The path's segments as sent (no dot segment resolved), each decoded: [env_id, flow_id,
   * tenant, 'jobs', 'status'].
   */
  segments: string[];
  jobRoot: string | null;
  apiKey: string | undefined;
}

const decoded = (segment: string): string => {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
};

/**
 * hotglue's documented job-status endpoint, faked: `GET /{env_id}/{flow_id}/{tenant}/jobs/status
 * ?job_root=<s3_root>` with `x-api-key`. Answers 401 for another key, 404 for an unknown path or
 * job, and otherwise the queue of answers set for the job (its last answer repeats).
 */
export async function startFakeHotglueApi(apiKey: string): Promise<{
  url: string;
  requests: FakeRequest[];
  answer(s3Root: string, ...answers: FakeAnswer[]): void;
  close(): Promise<void>;
}> {
  const answers = new Map<string, FakeAnswer[]>();
  const requests: FakeRequest[] = [];
  const server: Server = createServer((req, res) => {
    const raw = req.url ?? '/';
    const url = new URL(raw, 'http://fake');
    const segments = (raw.split('?')[0] ?? '').split('/').slice(1).map(decoded);
    const jobRoot = url.searchParams.get('job_root');
    const key = req.headers['x-api-key'];
    requests.push({
      method: req.method ?? '',
      segments,
      jobRoot,
      apiKey: Array.isArray(key) ? key[0] : key,
    });
    const send = (status: number, body?: string, headers: Record<string, string> = {}) =>
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(body ?? '');
    if (key !== apiKey) return send(401, '{"message":"Unauthorized"}');
    const queued = jobRoot === null ? undefined : answers.get(jobRoot);
    const documented = segments.length === 5 && segments[3] === 'jobs' && segments[4] === 'status';
    if (!documented || req.method !== 'GET' || queued === undefined || queued.length === 0)
      return send(404, '{"message":"Not found"}');
    const next = (queued.length > 1 ? queued.shift() : queued[0]) as FakeAnswer;
    if ('raw' in next) return send(next.status, next.raw);
    if ('body' in next) return send(next.status, JSON.stringify(next.body));
    return send(next.status, '{}', 'headers' in next ? next.headers : {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    answer(s3Root, ...list) {
      answers.set(s3Root, list);
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * A server that records each request's path and x-api-key, and answers `{}`: where a redirect
 * of the fake points, to show that the key never gets there.
 */
export async function startKeyRecorder(): Promise<{
  url: string;
  requests: { path: string; apiKey: string | undefined }[];
  close(): Promise<void>;
}> {
  const requests: { path: string; apiKey: string | undefined }[] = [];
  const server = createServer((req, res) => {
    const key = req.headers['x-api-key'];
    requests.push({ path: req.url ?? '', apiKey: Array.isArray(key) ? key[0] : key });
    res.end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
