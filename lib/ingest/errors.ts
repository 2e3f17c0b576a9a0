import { QueueUnavailableError } from '../ports/event-queue';
import { SecretsUnavailableError } from '../ports/secret-source';

/**
 * Why ingest refuses a request. `reason` is short, fixed text safe to show a caller: it never
 * contains a secret, a signature, a body or a stack trace.
 */
export class RefusedError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'RefusedError';
  }
}

export class NoRouteError extends RefusedError {
  constructor() {
    super('not found');
    this.name = 'NoRouteError';
  }
}

export class MethodNotAllowedError extends RefusedError {
  constructor(readonly allow: string) {
    super('method not allowed');
    this.name = 'MethodNotAllowedError';
  }
}

export class BodyTooLargeError extends RefusedError {
  constructor(limit: number) {
    super(`body larger than ${limit} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

export class SignatureError extends RefusedError {
  constructor(reason: string) {
    super(reason);
    this.name = 'SignatureError';
  }
}

export class InvalidEventError extends RefusedError {
  constructor(reason: string) {
    super(reason);
    this.name = 'InvalidEventError';
  }
}

export interface HttpAnswer {
  status: number;
  /** The `error` of the JSON answer. */
  reason: string;
  /** A stable code for metrics: the reason without its details. */
  code: string;
  headers: Record<string, string>;
}

/**
 * The one place errors become HTTP answers: refusals are 4xx with their reason; an event that
 * could not be queued (queue or secrets unavailable) is 503 with Retry-After, so that a retry is
 * safe; anything else is a generic 500 that never echoes the error.
 */
export function httpAnswer(error: unknown): HttpAnswer {
  const answer = (status: number, reason: string, code: string, headers = {}): HttpAnswer => ({
    status,
    reason,
    code,
    headers,
  });
  if (error instanceof MethodNotAllowedError)
    return answer(405, error.reason, 'method_not_allowed', { allow: error.allow });
  if (error instanceof NoRouteError) return answer(404, error.reason, 'not_found');
  if (error instanceof BodyTooLargeError) return answer(413, error.reason, 'too_large');
  if (error instanceof SignatureError) return answer(401, error.reason, 'bad_signature');
  if (error instanceof InvalidEventError) return answer(400, error.reason, 'bad_request');
  const retry = { 'retry-after': '5' };
  if (error instanceof QueueUnavailableError)
    return answer(503, 'queue unavailable, retry later', 'queue_unavailable', retry);
  if (error instanceof SecretsUnavailableError)
    return answer(503, 'signature secrets unavailable, retry later', 'secrets_unavailable', retry);
  return answer(500, 'internal error', 'internal');
}
