import * as z from 'zod/mini';
import { isJsonObject } from './detect-kind';
import { KINDS, type Kind } from './kinds';

/**
 * SQS's largest message (body plus attributes), in bytes.
 * @internal exported for the tests
 */
export const MAX_MESSAGE_BYTES = 1_048_576;
/** Room kept for the envelope's fields besides the body (kind, times, ids, JSON syntax). */
const ENVELOPE_OVERHEAD_BYTES = 1_024;
/**
 * The largest webhook body accepted: its base64 form plus the envelope must fit in one SQS
 * message. (1,048,576 - 1,024) / 4 * 3 = 785,664 bytes.
 */
export const MAX_BODY_BYTES = ((MAX_MESSAGE_BYTES - ENVELOPE_OVERHEAD_BYTES) / 4) * 3;

const MAX_REQUEST_ID_CHARS = 128;

/** Where an event came from: a hotglue webhook, or a poll of hotglue's job-status API. */
const EVENT_SOURCES = ['webhook', 'reconcile'] as const;
export type EventSource = (typeof EVENT_SOURCES)[number];

/** A queue message that can never be processed (not our envelope, or a payload that fails its schema). */
export class PoisonMessageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PoisonMessageError';
  }
}

const envelopeSchema = z.object({
  v: z.literal(1),
  kind: z.enum(KINDS),
  receivedAt: z.iso.datetime(),
  requestId: z.string().check(z.maxLength(MAX_REQUEST_ID_CHARS)),
  eventKey: z.string().check(z.regex(/^[0-9a-f]{64}$/)),
  bodyBase64: z.base64(),
  /** Absent on webhooks (and on every message queued before it existed). */
  source: z.optional(z.enum(EVENT_SOURCES)),
});

/**
 * What ingest puts on a queue: the exact bytes received (base64, so that any byte survives and
 * the size is known in advance) with the kind, receive time, request id and event key.
 */
export type Envelope = z.infer<typeof envelopeSchema>;

export function buildEnvelope(input: {
  kind: Kind;
  body: Buffer;
  receivedAt: Date;
  requestId: string;
  eventKey: string;
  /** Left out for a webhook. */
  source?: EventSource;
}): string {
  // Written by hand: JSON.stringify would scan the long base64 string for characters to escape,
  // and base64, the kind, an ISO time and a hex digest never have any.
  const requestId = JSON.stringify(input.requestId.slice(0, MAX_REQUEST_ID_CHARS));
  return (
    `{"v":1,"kind":"${input.kind}","receivedAt":"${input.receivedAt.toISOString()}",` +
    `"requestId":${requestId},"eventKey":"${input.eventKey}",` +
    (input.source !== undefined && input.source !== 'webhook'
      ? `"source":"${input.source}",`
      : '') +
    `"bodyBase64":"${input.body.toString('base64')}"}`
  );
}

/** Parses a queue message body; throws PoisonMessageError when it is not our envelope. */
export function parseEnvelope(messageBody: string): { envelope: Envelope; body: Buffer } {
  let json: unknown;
  try {
    json = JSON.parse(messageBody);
  } catch (cause) {
    throw new PoisonMessageError('message body is not JSON', { cause });
  }
  // Messages queued by version 0.1.0 call the event key dedupeKey: they stay readable after an upgrade.
  if (isJsonObject(json) && json.eventKey === undefined && json.dedupeKey !== undefined) {
    const { dedupeKey, ...rest } = json;
    json = { ...rest, eventKey: dedupeKey };
  }
  const result = envelopeSchema.safeParse(json);
  if (!result.success) {
    throw new PoisonMessageError(
      `message is not an event envelope: ${result.error.issues[0]?.path.join('.')}`,
    );
  }
  return { envelope: result.data, body: Buffer.from(result.data.bodyBase64, 'base64') };
}
