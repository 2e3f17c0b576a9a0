import { createHmac, timingSafeEqual } from 'node:crypto';

/** The only algorithm hotglue uses. It is fixed here and never read from the header. */
const ALGORITHM = 'sha1';
const DIGEST_BYTES = 20;
const HEADER_PATTERN = /^(?:sha1=)?([0-9a-f]{40})$/i;

export type VerifyResult =
  | { ok: true; over: 'raw' | 'reserialized' }
  | { ok: false; reason: 'missing' | 'malformed' | 'mismatch' };

export interface VerifyOptions {
  /**
   * Also accept a signature computed over `JSON.stringify(JSON.parse(body))`, which is what
   * hotglue's own sample code checks. Off by default: it is weaker than checking the raw bytes
   * because it ignores whitespace and key-order differences in what was sent.
   */
  allowReserializedBody?: boolean;
}

/**
 * Parses `X-Hub-Signature`: 40 hex digits, any case, optionally prefixed by `sha1=`.
 * @internal exported for the tests
 */
export function parseSignatureHeader(header: string | undefined): Buffer | undefined {
  if (header === undefined) return undefined;
  const match = HEADER_PATTERN.exec(header.trim());
  return match?.[1] === undefined ? undefined : Buffer.from(match[1], 'hex');
}

function matchesAny(expected: Buffer, payload: Buffer, secrets: readonly string[]): boolean {
  let matched = false;
  // Every secret is tried, so timing does not reveal which one (if any) matched.
  for (const secret of secrets) {
    const digest = createHmac(ALGORITHM, secret).update(payload).digest();
    if (digest.length === expected.length && timingSafeEqual(digest, expected)) matched = true;
  }
  return matched;
}

function reserialize(body: Buffer): Buffer | undefined {
  try {
    return Buffer.from(JSON.stringify(JSON.parse(body.toString('utf8'))), 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * Checks hotglue's `X-Hub-Signature` (hex HMAC-SHA1) against the raw body bytes.
 * Several secrets may be valid at once, so that a secret can be rotated without downtime.
 * Pure: no I/O, no logging.
 */
export function verifySignature(
  body: Buffer,
  header: string | undefined,
  secrets: readonly string[],
  options: VerifyOptions = {},
): VerifyResult {
  if (header === undefined || header.trim() === '') return { ok: false, reason: 'missing' };
  const expected = parseSignatureHeader(header);
  if (expected?.length !== DIGEST_BYTES) return { ok: false, reason: 'malformed' };
  if (matchesAny(expected, body, secrets)) return { ok: true, over: 'raw' };
  if (options.allowReserializedBody) {
    const canonical = reserialize(body);
    if (canonical !== undefined && matchesAny(expected, canonical, secrets)) {
      return { ok: true, over: 'reserialized' };
    }
  }
  return { ok: false, reason: 'mismatch' };
}

/** Signs a body the way hotglue does (lower-case hex, no prefix). Used by the CLI and tests. */
export function signBody(body: Buffer | string, secret: string): string {
  return createHmac(ALGORITHM, secret).update(body).digest('hex');
}
