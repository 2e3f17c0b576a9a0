import type { Counters } from '../ports/counters';
import type { EventQueue } from '../ports/event-queue';
import type { Log } from '../ports/log';
import type { Secrets, SecretSource } from '../ports/secret-source';
import { detectKind, isJsonObject } from '../webhook/detect-kind';
import { buildEnvelope, MAX_BODY_BYTES } from '../webhook/envelope';
import { eventKey } from '../webhook/event-key';
import type { Kind } from '../webhook/kinds';
import { keyProblem } from '../records/key-limits';
import { queueOrder } from '../records/message-group';
import { validationProblem } from '../webhook/schemas';
import { shapeProblem } from '../webhook/shape';
import { verifySignature } from '../webhook/signature';
import {
  BodyTooLargeError,
  httpAnswer,
  InvalidEventError,
  MethodNotAllowedError,
  NoRouteError,
  RefusedError,
  SignatureError,
} from './errors';

/** An HTTP request as ingest sees it: header names in lower case, the body as exact bytes. */
export interface IngestRequest {
  method: string;
  path: string;
  headers: Record<string, string | undefined>;
  body: Buffer;
  requestId: string;
  receivedAt: Date;
}

export interface IngestResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** How strict ingest is about signatures (see docs/configuration.md). */
interface IngestOptions {
  /** Accept unsigned events for a kind that has no secret. */
  allowUnsigned: boolean;
  /** Also accept signatures over JSON.stringify(JSON.parse(body)). */
  allowReserializedSignature: boolean;
}

export interface IngestDeps {
  config: IngestOptions;
  secrets: SecretSource;
  queue: EventQueue;
  log: Log;
  counters: Counters;
  /** When reading the secrets must give up (epoch ms); the source's own default when absent. */
  secretsDeadline?: number;
  /** When queueing the event must give up (epoch ms): it is then not queued, and the answer 503. */
  queueDeadline?: number;
}

type Options = IngestOptions;

type Route = { type: 'health' } | { type: 'webhook'; kind: Kind | 'auto' };

const ROUTES: Record<string, Route> = {
  '/health': { type: 'health' },
  '/webhooks': { type: 'webhook', kind: 'auto' },
  '/webhooks/jobs': { type: 'webhook', kind: 'jobs' },
  '/webhooks/discover': { type: 'webhook', kind: 'discover' },
  '/webhooks/connections': { type: 'webhook', kind: 'connections' },
};

const json = (
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): IngestResponse => ({
  statusCode,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

const utf8 = new TextDecoder('utf-8', { fatal: true });

const normalize = (rawPath: string): string =>
  rawPath.length > 1 ? rawPath.replace(/\/+$/, '') : rawPath;

/** A bounded metric dimension: the route's kind, or `other` for unknown paths. */
function routeName(rawPath: string): string {
  const found = ROUTES[normalize(rawPath)];
  if (found === undefined) return 'other';
  return found.type === 'health' ? 'health' : found.kind;
}

function route(method: string, rawPath: string): Route {
  const path = normalize(rawPath);
  const found = ROUTES[path];
  if (found === undefined) throw new NoRouteError();
  const allowed = found.type === 'health' ? ['GET', 'HEAD'] : ['POST'];
  if (!allowed.includes(method.toUpperCase())) throw new MethodNotAllowedError(allowed.join(', '));
  return found;
}

function parseObject(body: Buffer): Record<string, unknown> {
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    throw new InvalidEventError('body is not valid UTF-8');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new InvalidEventError('body is not valid JSON');
  }
  if (!isJsonObject(value)) throw new InvalidEventError('body is not a JSON object');
  const problem = shapeProblem(value);
  if (problem !== undefined) throw new InvalidEventError(problem);
  return value;
}

const SIGNATURE_REASONS = {
  missing: 'missing signature',
  malformed: 'malformed signature',
  mismatch: 'invalid signature',
} as const;

/** Checks the signature of an event of `kind`; returns how it was accepted. */
function authorize(kind: Kind, request: IngestRequest, all: Secrets, config: Options): string {
  const secrets = all[kind];
  if (secrets.length === 0) {
    if (config.allowUnsigned) return 'unsigned';
    throw new SignatureError('no secret configured and unsigned events are refused');
  }
  const result = verifySignature(request.body, request.headers['x-hub-signature'], secrets, {
    allowReserializedBody: config.allowReserializedSignature,
  });
  if (!result.ok) throw new SignatureError(SIGNATURE_REASONS[result.reason]);
  return result.over;
}

/**
 * On the auto-detecting route the kind (and so its secret) is known only after parsing. So that
 * no unauthenticated body is parsed when every kind needs a signature, the signature must first
 * match one of all the configured secrets; the detected kind's own secrets are checked after.
 */
function preauthorize(request: IngestRequest, secrets: Secrets, config: Options): void {
  const kinds = Object.keys(secrets) as Kind[];
  const everyKindSigned = kinds.every((k) => secrets[k].length > 0);
  if (!everyKindSigned) return;
  const all = [...new Set(kinds.flatMap((k) => secrets[k]))];
  const result = verifySignature(request.body, request.headers['x-hub-signature'], all, {
    allowReserializedBody: config.allowReserializedSignature,
  });
  if (!result.ok) throw new SignatureError(SIGNATURE_REASONS[result.reason]);
}

function kindOf(routeKind: Kind | 'auto', payload: Record<string, unknown>): Kind {
  const detected = detectKind(payload);
  if (routeKind === 'auto') {
    if (detected === undefined)
      throw new InvalidEventError('cannot tell the webhook kind from the payload');
    return detected;
  }
  if (detected !== undefined && detected !== routeKind) {
    throw new InvalidEventError(`payload is a ${detected} event, not a ${routeKind} event`);
  }
  return routeKind;
}

async function accept(
  routeKind: Kind | 'auto',
  request: IngestRequest,
  deps: IngestDeps,
): Promise<IngestResponse> {
  const { config, queue, log, counters } = deps;
  if (request.body.length > MAX_BODY_BYTES) throw new BodyTooLargeError(MAX_BODY_BYTES);
  const secrets = await deps.secrets.secrets(deps.secretsDeadline);
  let signature: string | undefined;
  if (routeKind === 'auto') preauthorize(request, secrets, config);
  else signature = authorize(routeKind, request, secrets, config);
  const payload = parseObject(request.body);
  const kind = kindOf(routeKind, payload);
  signature ??= authorize(kind, request, secrets, config);
  const problem = validationProblem(kind, payload) ?? keyProblem(kind, payload);
  if (problem !== undefined) throw new InvalidEventError(problem);
  counters.count('accepted', { kind });
  const key = eventKey(kind, payload);
  const { messageId } = await queue.send(
    kind,
    {
      body: buildEnvelope({
        kind,
        body: request.body,
        receivedAt: request.receivedAt,
        requestId: request.requestId,
        eventKey: key,
      }),
      ...queueOrder(kind, payload, key),
    },
    deps.queueDeadline,
  );
  counters.count('enqueued', { kind });
  log.info('event accepted', {
    requestId: request.requestId,
    kind,
    messageId,
    eventKey: key,
    bytes: request.body.length,
    signature,
  });
  return json(202, { id: messageId, kind });
}

/**
 * Answers one webhook request: route, size limit, signature, JSON, kind, schema, enqueue.
 * 202 means the event is on its queue; every refusal is `{"error": "<short reason>"}`.
 */
export async function handleIngest(
  request: IngestRequest,
  deps: IngestDeps,
): Promise<IngestResponse> {
  try {
    const found = route(request.method, request.path);
    if (found.type === 'health') return json(200, { status: 'ok' });
    return await accept(found.kind, request, deps);
  } catch (error) {
    const answer = httpAnswer(error);
    deps.counters.count('rejected', { route: routeName(request.path), reason: answer.code });
    const fields = {
      requestId: request.requestId,
      status: answer.status,
      method: request.method,
      path: request.path.slice(0, 200),
    };
    if (error instanceof RefusedError) {
      deps.log.warn('request refused', { ...fields, reason: answer.reason });
    } else if (answer.status === 503) {
      const cause =
        error instanceof Error && error.cause instanceof Error ? error.cause.name : undefined;
      deps.log.error('event not queued', { ...fields, reason: answer.reason, cause });
    } else {
      deps.log.error('unexpected error', {
        requestId: request.requestId,
        error: error instanceof Error ? error.name : typeof error,
      });
    }
    return json(answer.status, { error: answer.reason }, answer.headers);
  }
}
