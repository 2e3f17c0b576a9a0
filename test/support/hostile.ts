import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { MAX_BODY_BYTES } from '../../lib/webhook/envelope';
import { MAX_JSON_DEPTH } from '../../lib/webhook/shape';
import { KINDS, type Kind } from '../../lib/webhook/kinds';
import { MAX_ID_CHARS } from '../../lib/webhook/schemas';
import { payloadOf } from './events';

/**
 * Generated webhook requests, good and hostile, with the answer the README's response table
 * promises for each. The expected answer is derived from how the request was built, never from
 * the code under test.
 */
const SIGNATURES = [
  'valid',
  'upper',
  'prefixed',
  'prefixed-upper',
  'missing',
  'empty',
  'truncated',
  'extended',
  'non-hex',
  'sha256-prefix',
  'other-secret',
  'other-kind-secret',
] as const;
const BODIES = [
  'valid',
  'unknown-status',
  'duplicate-keys',
  'unicode',
  'empty',
  'not-json',
  'truncated-json',
  'array',
  'scalar',
  'invalid-utf8',
  'deep',
  'missing-field',
  'long-id',
  'long-keys',
  'wrong-kind',
  'just-under-limit',
  'just-over-limit',
] as const;
const HEADER_CASES = [
  'x-hub-signature',
  'X-Hub-Signature',
  'X-HUB-SIGNATURE',
  'x-HUB-signature',
] as const;

export interface HostileCase {
  route: Kind | 'auto';
  payloadKind: Kind;
  signature: (typeof SIGNATURES)[number];
  body: (typeof BODIES)[number];
  headerName: (typeof HEADER_CASES)[number];
  base64: boolean;
  missing: 'tenant' | 'flow_id';
  seed: number;
}

export const hostileCase: fc.Arbitrary<HostileCase> = fc.record({
  route: fc.constantFrom<Kind | 'auto'>('jobs', 'discover', 'connections', 'auto'),
  payloadKind: fc.constantFrom<Kind>(...KINDS),
  signature: fc.constantFrom(...SIGNATURES),
  // Bodies near the size limit are costly over HTTP: they come up less often.
  body: fc.oneof(
    { weight: 20, arbitrary: fc.constantFrom(...BODIES.filter((b) => !b.startsWith('just-'))) },
    {
      weight: 1,
      arbitrary: fc.constantFrom('just-under-limit' as const, 'just-over-limit' as const),
    },
  ),
  headerName: fc.constantFrom(...HEADER_CASES),
  base64: fc.boolean(),
  missing: fc.constantFrom('tenant' as const, 'flow_id' as const),
  seed: fc.integer({ min: 0, max: 1_000_000 }),
});

const hmac = (secret: string, body: Buffer) =>
  createHmac('sha1', secret).update(body).digest('hex');

function padTo(payload: Record<string, unknown>, size: number): Buffer {
  const base = JSON.stringify({ ...payload, padding: '' });
  return Buffer.from(
    base.replace('"padding":""', `"padding":"${'x'.repeat(size - Buffer.byteLength(base))}"`),
  );
}

function bodyBytes(c: HostileCase): Buffer {
  const kind =
    c.body === 'wrong-kind'
      ? otherKind(c.route === 'auto' ? c.payloadKind : c.route, c.seed)
      : payloadKindFor(c);
  const payload = payloadOf(kind, { seq: c.seed });
  switch (c.body) {
    case 'valid':
    case 'wrong-kind':
      return Buffer.from(JSON.stringify(payload));
    case 'unknown-status':
      return Buffer.from(
        JSON.stringify({
          ...payload,
          status: `FUTURE_${c.seed}`,
          event: payload.event === undefined ? undefined : `FUTURE_${c.seed}`,
        }),
      );
    case 'duplicate-keys':
      // JSON.parse keeps the last value, which is the valid one.
      return Buffer.from(JSON.stringify(payload).replace(/^\{/, '{"tenant":"decoy","flow_id":7,'));
    case 'unicode':
      return Buffer.from(JSON.stringify({ ...payload, note: `Zoë ☃ 🚀 \u2028 ${c.seed}` }), 'utf8');
    case 'empty':
      return Buffer.alloc(0);
    case 'not-json':
      return Buffer.from(`tenant=${c.seed}&status=JOB_COMPLETED`);
    case 'truncated-json':
      return Buffer.from(JSON.stringify(payload).slice(0, -1 - (c.seed % 5)));
    case 'array':
      return Buffer.from(JSON.stringify([payload]));
    case 'scalar':
      return Buffer.from(c.seed % 2 === 0 ? '"a string"' : String(c.seed));
    case 'invalid-utf8':
      return Buffer.concat([
        Buffer.from('{"tenant":"'),
        Buffer.from([0xc3, 0x28, 0xff]),
        Buffer.from('"}'),
      ]);
    case 'deep': {
      const depth = MAX_JSON_DEPTH + 1 + (c.seed % 50);
      return Buffer.from(`{"tenant":${'['.repeat(depth)}${']'.repeat(depth)}}`);
    }
    case 'missing-field': {
      const { [c.missing]: _dropped, ...rest } = payload;
      return Buffer.from(JSON.stringify(rest));
    }
    case 'long-id':
      return Buffer.from(
        JSON.stringify({ ...payload, [c.missing]: 'i'.repeat(MAX_ID_CHARS + 1 + (c.seed % 100)) }),
      );
    case 'long-keys':
      return Buffer.from(JSON.stringify({ ...payload, ...longKeys(payloadKindFor(c), c.seed) }));
    case 'just-under-limit':
      return padTo(payload, MAX_BODY_BYTES - (c.seed % 3));
    case 'just-over-limit':
      return padTo(payload, MAX_BODY_BYTES + 1 + (c.seed % 3));
  }
}

/**
 * Identity fields each within 1,024 characters whose DynamoDB keys are still too long, with the
 * reason the documented key layout gives: a job's start-time index key is a 27-character time,
 * '#' and its s3_root (1,024 bytes at most); a discover state's partition key is DISCOVER# and its
 * env_id, tenant, flow_id and connector joined by '#' (2,048 bytes at most); a connection's
 * history sort key is EVENT# and its event_id (1,024 bytes at most).
 */
function longKeys(kind: Kind, seed: number): Record<string, string> {
  switch (kind) {
    case 'jobs':
      return { s3_root: 's'.repeat(997 + (seed % 28)) };
    case 'discover':
      return { tenant: 't'.repeat(1006 + (seed % 19)), flow_id: 'f'.repeat(1006 + (seed % 19)) };
    case 'connections':
      return { event_id: 'e'.repeat(1019 + (seed % 6)) };
  }
}

const LONG_KEY_REASONS: Record<Kind, string> = {
  jobs: 'invalid jobs event: s3_root makes a key longer than 1024 bytes',
  discover:
    'invalid discover event: env_id, tenant, flow_id, connector make a key longer than 2048 bytes',
  connections: 'invalid connections event: event_id makes a key longer than 1024 bytes',
};

const payloadKindFor = (c: HostileCase): Kind => (c.route === 'auto' ? c.payloadKind : c.route);
const otherKind = (kind: Kind, seed: number): Kind => {
  const others = KINDS.filter((k) => k !== kind);
  return others[seed % others.length] as Kind;
};

/** The kind whose payload the body carries, when it carries one. */
function carriedKind(c: HostileCase): Kind | undefined {
  if (c.body === 'wrong-kind') return otherKind(payloadKindFor(c), c.seed);
  if (
    [
      'valid',
      'unknown-status',
      'duplicate-keys',
      'unicode',
      'missing-field',
      'long-id',
      'long-keys',
      'just-under-limit',
      'just-over-limit',
    ].includes(c.body)
  ) {
    return payloadKindFor(c);
  }
  return undefined;
}

/** The secret the case's signature should have been made with, had it been right. */
function signingKind(c: HostileCase): Kind {
  return c.route === 'auto' ? (carriedKind(c) ?? c.payloadKind) : c.route;
}

export interface BuiltRequest {
  path: string;
  headers: Record<string, string>;
  body: Buffer;
  base64: boolean;
}

export function buildRequest(c: HostileCase, secrets: Record<Kind, string>): BuiltRequest {
  const body = bodyBytes(c);
  const own = secrets[signingKind(c)];
  const good = hmac(own, body);
  const header: Record<(typeof SIGNATURES)[number], string | undefined> = {
    valid: good,
    upper: good.toUpperCase(),
    prefixed: `sha1=${good}`,
    'prefixed-upper': `SHA1=${good.toUpperCase()}`,
    missing: undefined,
    empty: '',
    truncated: good.slice(0, 39 - (c.seed % 10)),
    extended: `${good}${'0'.repeat(1 + (c.seed % 3))}`,
    'non-hex': `${good.slice(0, 38)}zz`,
    'sha256-prefix': `sha256=${good}`,
    'other-secret': hmac(`${own}-wrong`, body),
    'other-kind-secret': hmac(secrets[otherKind(signingKind(c), c.seed)], body),
  };
  const value = header[c.signature];
  return {
    path: c.route === 'auto' ? '/webhooks' : `/webhooks/${c.route}`,
    headers: {
      'content-type': c.base64 ? 'application/octet-stream' : 'application/json',
      ...(value !== undefined && { [c.headerName]: value }),
    },
    body,
    base64: c.base64,
  };
}

export interface Expected {
  status: number;
  error?: string;
  /** For 202: the kind the event is queued as. */
  kind?: Kind;
}

/** The README's response table, applied in its documented order of checks. */
export function expectedResponse(c: HostileCase): Expected {
  if (c.body === 'just-over-limit')
    return { status: 413, error: `body larger than ${MAX_BODY_BYTES} bytes` };
  const signatureProblem = ((): string | undefined => {
    if (c.signature === 'missing' || c.signature === 'empty') return 'missing signature';
    if (['truncated', 'extended', 'non-hex', 'sha256-prefix'].includes(c.signature))
      return 'malformed signature';
    return undefined;
  })();
  const wrongSecret = c.signature === 'other-secret' || c.signature === 'other-kind-secret';
  // Every kind has a secret, so the auto route checks the signature against all of them first;
  // a per-kind route checks it against its own kind's secret.
  if (signatureProblem !== undefined) return { status: 401, error: signatureProblem };
  if (c.signature === 'other-secret') return { status: 401, error: 'invalid signature' };
  if (c.route !== 'auto' && wrongSecret) return { status: 401, error: 'invalid signature' };
  const bodyProblem: Partial<Record<(typeof BODIES)[number], string>> = {
    'invalid-utf8': 'body is not valid UTF-8',
    deep: `body nested deeper than ${MAX_JSON_DEPTH} levels`,
    empty: 'body is not valid JSON',
    'not-json': 'body is not valid JSON',
    'truncated-json': 'body is not valid JSON',
    array: 'body is not a JSON object',
    scalar: 'body is not a JSON object',
  };
  const problem = bodyProblem[c.body];
  if (problem !== undefined) return { status: 400, error: problem };
  const carried = carriedKind(c) as Kind;
  if (c.route !== 'auto' && carried !== c.route)
    return { status: 400, error: `payload is a ${carried} event, not a ${c.route} event` };
  if (c.route === 'auto' && wrongSecret) return { status: 401, error: 'invalid signature' };
  if (c.body === 'missing-field') {
    return { status: 400, error: `invalid ${carried} event: ${c.missing} is required` };
  }
  if (c.body === 'long-id') {
    const what = `must be a non-empty string of at most ${MAX_ID_CHARS} characters`;
    return { status: 400, error: `invalid ${carried} event: ${c.missing} ${what}` };
  }
  if (c.body === 'long-keys') return { status: 400, error: LONG_KEY_REASONS[carried] };
  return { status: 202, kind: carried };
}
