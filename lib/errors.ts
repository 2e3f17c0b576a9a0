/**
 * Errors that map to an HTTP answer. `reason` is short, fixed text safe to show a caller:
 * it never contains a secret, a signature, a body or a stack trace.
 */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly reason: string,
    /** A stable code for metrics: the reason without its details. */
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(reason, options);
    this.name = 'HttpError';
  }
}

export class NotFoundError extends HttpError {
  constructor() {
    super(404, 'not found', 'not_found');
    this.name = 'NotFoundError';
  }
}

export class MethodNotAllowedError extends HttpError {
  constructor(readonly allow: string) {
    super(405, 'method not allowed', 'method_not_allowed');
    this.name = 'MethodNotAllowedError';
  }
}

export class PayloadTooLargeError extends HttpError {
  constructor(limit: number) {
    super(413, `body larger than ${limit} bytes`, 'too_large');
    this.name = 'PayloadTooLargeError';
  }
}

export class SignatureError extends HttpError {
  constructor(reason: string) {
    super(401, reason, 'bad_signature');
    this.name = 'SignatureError';
  }
}

export class BadRequestError extends HttpError {
  constructor(reason: string) {
    super(400, reason, 'bad_request');
    this.name = 'BadRequestError';
  }
}

export class QueueUnavailableError extends HttpError {
  constructor(cause: unknown) {
    super(503, 'queue unavailable, retry later', 'queue_unavailable', { cause });
    this.name = 'QueueUnavailableError';
  }
}

export class SecretsUnavailableError extends HttpError {
  constructor(cause: unknown) {
    super(503, 'signature secrets unavailable, retry later', 'secrets_unavailable', { cause });
    this.name = 'SecretsUnavailableError';
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
