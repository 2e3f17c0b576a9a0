import * as z from 'zod/mini';
import { TEXT_MAX_BYTES } from '../records/bounds';

/**
 * The /v1 read API's schemas: each route's query parameters (which validate a request) and
 * answers (which shape it), and the OpenAPI document is generated from the same (openapi.ts).
 */

const text = z.string();
const optionalText = z.optional(text);
const when = z.optional(z.string().check(z.describe('ISO time')));
/**
 * A query's values are strings; `limit` is read as a whole number (limitOf, which refuses the
 * rest), so the document types it as the integer it is.
 */
const limit = z.optional(
  z.string().check(
    z.meta({
      type: 'integer',
      minimum: 1,
      maximum: 1000,
      description: 'at most this many items (1 to 1,000)',
    }),
  ),
);
const cursor = z.optional(
  z
    .string()
    .check(
      z.describe(
        'the `next` of the previous page, asked with the same filters: opaque, bound to its route and filters, and checked',
      ),
    ),
);
const since = (what: string) =>
  z.optional(
    z
      .string()
      .check(
        z.describe(
          `${what} since an ISO time, or within a duration of at most 10 years: 30m, 24h, 7d`,
        ),
      ),
  );

/** Query parameters, per route: any other parameter is refused (400). */
export const QUERIES = {
  jobs: z.strictObject({
    tenant: optionalText,
    flow: optionalText,
    env: optionalText,
    status: z.optional(
      z
        .string()
        .check(
          z.describe(
            'failed, running, completed, other, lost, or an exact status (SYNC_FAILED, …)',
          ),
        ),
    ),
    since: since('jobs started'),
    until: z.optional(
      z.string().check(z.describe('jobs started before an ISO time, or before a duration ago')),
    ),
    updated_since: since('jobs whose latest event is'),
    limit,
    cursor,
  }),
  job: z.strictObject({}),
  discover: z.strictObject({
    tenant: optionalText,
    flow: optionalText,
    status: z.optional(
      z.string().check(z.describe('started, success, failed, or an exact status')),
    ),
    limit,
    cursor,
  }),
  connections: z.strictObject({
    tenant: optionalText,
    flow: optionalText,
    linked: z.optional(z.enum(['true', 'false'])),
    limit,
    cursor,
  }),
  connectionHistory: z.strictObject({
    env: text,
    tenant: text,
    flow: text,
    type: text,
    connector: text,
    limit,
    cursor,
  }),
  summary: z.strictObject({
    since: since('jobs started'),
    tenant: optionalText,
    flow: optionalText,
  }),
  openapi: z.strictObject({}),
};

const STATUS_CLASS = z.enum(['running', 'failed', 'completed', 'other']);

/**
 * hotglue's `error` or `message` (a traceback, usually: any JSON value) where a list or a history
 * carries it: a text over TEXT_MAX_BYTES cut to its first bytes and ` … [cut: <bytes> bytes in
 * all]` (cutText), so that a page stays bounded.
 */
const listedText = (what: string) =>
  z.optional(
    z
      .unknown()
      .check(
        z.describe(
          `hotglue's ${what}; a text over ${TEXT_MAX_BYTES} bytes is cut: its first bytes, then " … [cut: <bytes> bytes in all]" (GET /v1/jobs/{s3_root} shows a job's whole)`,
        ),
      ),
  );
/** The same where one job is shown: whole, read back from the event that set it. */
const wholeText = (what: string) =>
  z.optional(z.unknown().check(z.describe(`hotglue's ${what}, whole`)));

const pollState = z.object({
  outcome: z.enum(['not_found', 'refused', 'skipped', 'answered']),
  misses: z.number(),
  first_miss_at: optionalText,
  next_at: optionalText,
  lost_at: optionalText,
  http_status: z.optional(z.number()),
  answered_at: optionalText,
});

/** A job as lists show it: the record without its payload fields, with its failure details. */
const jobSummary = z.looseObject({
  s3_root: text,
  job_id: optionalText,
  tenant: text,
  flow_id: text,
  env_id: optionalText,
  status: text,
  status_class: STATUS_CLASS,
  started_at: when,
  updated_at: when,
  event_count: z.number(),
  reconcile: z.optional(pollState),
  error: listedText('error'),
  message: listedText('message'),
});

const jobHistoryEntry = z.looseObject({
  status: text,
  time: when,
  error: listedText('error'),
  message: listedText('message'),
  record_count: z.optional(z.number()),
  received_at: text,
  source: z.enum(['webhook', 'reconcile']),
  hash: text,
});

const discoverState = z.looseObject({
  env_id: text,
  tenant: text,
  flow_id: text,
  connector: text,
  status: text,
  updated_at: when,
  last_started_at: when,
  last_success_at: when,
  last_failed_at: when,
  event_count: z.number(),
  error: listedText('error'),
  message: listedText('message'),
});

const connection = z.looseObject({
  env_id: text,
  tenant: text,
  flow_id: text,
  connector_type: text,
  connector: text,
  event: text,
  linked: z.boolean(),
  updated_at: when,
  last_at_by_event: z.record(z.string(), z.string()),
  event_count: z.number(),
});

const connectionEvent = z.looseObject({
  event_id: text,
  event: text,
  timestamp: z.optional(z.unknown()),
  first_link: z.optional(z.unknown()),
});

/** One page of a list: its items, and the cursor of the next page (null on the last). */
const page = <T extends z.core.SomeType>(item: T) =>
  z.object({ items: z.array(item), next: z.nullable(z.string()) });

/** Answers, per route. */
export const ANSWERS = {
  jobs: page(jobSummary),
  job: z.looseObject({
    ...jobSummary.shape,
    error: wholeText('error'),
    message: wholeText('message'),
    history: z.array(jobHistoryEntry),
  }),
  discover: page(discoverState),
  connections: page(connection),
  connectionHistory: page(connectionEvent),
  summary: z.object({
    since: text,
    basis: z.literal('started'),
    jobs: z.number(),
    truncated: z.boolean(),
    byClass: z.object({
      running: z.number(),
      failed: z.number(),
      completed: z.number(),
      other: z.number(),
    }),
    failuresByTenant: z.array(z.object({ tenant: text, failed: z.number() })),
    byHour: z.array(z.object({ hour: text, completed: z.number(), failed: z.number() })),
  }),
  openapi: z.looseObject({ openapi: text }),
};

/** Every error: its status code says which, `error` says why. */
export const ERROR = z.object({ error: text });
