/**
 * Errors that map to an HTTP answer. `reason` is short, fixed text safe to show a caller:
 * it never contains a secret, a signature, a body or a stack trace.
 */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(reason, options);
    this.name = 'HttpError';
  }
}

export class NotFoundError extends HttpError {
  constructor() {
    super(404, 'not found');
    this.name = 'NotFoundError';
  }
}

export class MethodNotAllowedError extends HttpError {
  constructor(readonly allow: string) {
    super(405, 'method not allowed');
    this.name = 'MethodNotAllowedError';
  }
}

export class PayloadTooLargeError extends HttpError {
  constructor(limit: number) {
    super(413, `body larger than ${limit} bytes`);
    this.name = 'PayloadTooLargeError';
  }
}

export class SignatureError extends HttpError {
  constructor(reason: string) {
    super(401, reason);
    this.name = 'SignatureError';
  }
}

export class BadRequestError extends HttpError {
  constructor(reason: string) {
    super(400, reason);
    this.name = 'BadRequestError';
  }
}

export class QueueUnavailableError extends HttpError {
  constructor(cause: unknown) {
    super(503, 'queue unavailable, retry later', { cause });
    this.name = 'QueueUnavailableError';
  }
}

/** Configuration that cannot work: raised at cold start so that a broken deploy fails loudly. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** A queue message that can never be processed (not our envelope, or a payload that fails its schema). */
export class PoisonMessageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PoisonMessageError';
  }
}
