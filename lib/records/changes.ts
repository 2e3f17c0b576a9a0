import { contentHash } from '../webhook/content-hash';
import { boundValue, cutText, omitted } from './bounds';
import { setOwn } from './own';
import type { Kind } from '../webhook/kinds';
import type { ConnectionRecord } from './connections';
import type { DiscoverRecord } from './discover';
import type { JobRecord } from './jobs';
import { connectionSummary, discoverSummary, jobDetail, type JobSummary } from './views';

/** The `detail-type` of each change that notifies. */
type DetailType =
  | 'Job Completed'
  | 'Job Failed'
  | 'Job Stale'
  | 'Discover Succeeded'
  | 'Discover Failed'
  | 'Connection Linked'
  | 'Connection Unlinked';

/** The `source` of every notification. */
const NOTIFICATION_SOURCE = 'hotglue-webhooks';

/**
 * One change of an entity's state, in EventBridge's event envelope. `id` is a function of the
 * entity and the change (a replay or a second delivery of it has the same id), and `detail`
 * carries it too as `notification_id`, since EventBridge gives each event an `id` of its own.
 */
export interface Notification {
  id: string;
  source: typeof NOTIFICATION_SOURCE;
  'detail-type': DetailType;
  /** hotglue's time of the change (the record's `updated_at`), else when it was stored. */
  time: string;
  detail: Record<string, unknown>;
}

/**
 * A notification's detail is kept under this size (its canonical JSON): EventBridge takes 256 KB
 * per event, and an entity's outbox holds 64 KB (OUTBOX_MAX_BYTES), so one always fits in both.
 */
const DETAIL_BUDGET_BYTES = 32_768;

/**
 * What a change field keeps when the change fields alone are over budget: only possible with
 * identities made of JSON-escaped characters (`\u0001` is six bytes of JSON for one character).
 */
const LAST_RESORT_BYTES = 256;

const jsonBytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value) ?? '');

/** What an entry `"name":value,` takes in the detail's JSON. */
const entryBytes = (name: string, value: unknown): number => jsonBytes(name) + jsonBytes(value) + 2;

/**
 * Keeps a detail under DETAIL_BUDGET_BYTES, always, in time linear in its size (each value is
 * measured once): every text cut to TEXT_MAX_BYTES (cutText) and any other change field too large
 * omitted (boundValue); then, while it is too large, its largest values other than the identity
 * and change fields (`keep`) are replaced by `{"omitted": true, "bytes": n}`, each only where the
 * marker is smaller; should that not be enough (thousands of fields), only the change fields stay,
 * their texts cut shorter if need be. The record keeps each value bounded the same way
 * (boundRecord), and the stored events keep them whole.
 */
function boundDetail(detail: Record<string, unknown>, keep: readonly string[]) {
  const entries = Object.entries(detail).map(([name, value]) => {
    const bounded = keep.includes(name)
      ? boundValue(value)
      : typeof value === 'string'
        ? cutText(value)
        : value;
    return { name, value: bounded, bytes: entryBytes(name, bounded) };
  });
  const assemble = (list: readonly { name: string; value: unknown }[]) => {
    const out: Record<string, unknown> = {};
    for (const { name, value } of list) setOwn(out, name, value);
    return out;
  };
  let bytes = entries.reduce((s, e) => s + e.bytes, 1);
  if (bytes <= DETAIL_BUDGET_BYTES) return assemble(entries);
  const others = entries
    .filter((e) => !keep.includes(e.name))
    .sort((a, b) => b.bytes - a.bytes || (a.name < b.name ? -1 : 1));
  for (const entry of others) {
    const marker = omitted(jsonBytes(entry.value));
    const smaller = entryBytes(entry.name, marker);
    if (smaller >= entry.bytes) break;
    entry.value = marker;
    bytes -= entry.bytes - smaller;
    entry.bytes = smaller;
    if (bytes <= DETAIL_BUDGET_BYTES) return assemble(entries);
  }
  const changeOnly = entries.filter((e) => keep.includes(e.name));
  if (changeOnly.reduce((s, e) => s + e.bytes, 1) <= DETAIL_BUDGET_BYTES)
    return assemble(changeOnly);
  return assemble(
    changeOnly.map(({ name, value }) => ({
      name,
      value: typeof value === 'string' ? cutText(value, LAST_RESORT_BYTES) : value,
    })),
  );
}

/** A UUID-shaped id from the hash of the entity and what identifies the change. */
function changeId(entityKey: string, type: DetailType, discriminator: unknown): string {
  const hex = contentHash([entityKey, type, discriminator]);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

function notification(
  entityKey: string,
  type: DetailType,
  discriminator: unknown,
  time: string,
  detail: Record<string, unknown>,
  change: Record<string, unknown>,
): Notification {
  const id = changeId(entityKey, type, discriminator);
  const keep = [...Object.keys(change), 'notification_id', 'change'];
  return {
    id,
    source: NOTIFICATION_SOURCE,
    'detail-type': type,
    time,
    detail: boundDetail(
      { ...detail, ...change, change: changeName(type), notification_id: id },
      keep,
    ),
  };
}

/** `Job Completed` → `job.completed`: the `change` field of the detail. */
const changeName = (type: DetailType): string => type.toLowerCase().replace(' ', '.');

function jobChanges(
  key: string,
  before: JobRecord | undefined,
  after: JobRecord,
  storedAt: string,
): Notification[] {
  const type =
    after.status_class === 'completed'
      ? 'Job Completed'
      : after.status_class === 'failed'
        ? 'Job Failed'
        : undefined;
  if (type === undefined || before?.status_class === after.status_class) return [];
  const detail = jobDetail(after);
  return [
    notification(key, type, after.status, after.updated_at ?? storedAt, detail, {
      s3_root: after.s3_root,
      tenant: after.tenant,
      status: after.status,
      // Always there, so that a message template can name it.
      error: detail.error ?? detail.message ?? null,
      previous_status: before?.status ?? null,
    }),
  ];
}

function discoverChanges(
  key: string,
  before: DiscoverRecord | undefined,
  after: DiscoverRecord,
  storedAt: string,
): Notification[] {
  const type =
    after.status === 'DISCOVER_SUCCESS'
      ? 'Discover Succeeded'
      : after.status === 'DISCOVER_FAILED'
        ? 'Discover Failed'
        : undefined;
  if (type === undefined || before?.status === after.status) return [];
  const detail = discoverSummary(after);
  return [
    notification(
      key,
      type,
      [after.status, after.updated_at ?? null],
      after.updated_at ?? storedAt,
      detail,
      {
        tenant: after.tenant,
        status: after.status,
        error: detail.error ?? detail.message ?? null,
        previous_status: before?.status ?? null,
      },
    ),
  ];
}

function connectionChanges(
  key: string,
  before: ConnectionRecord | undefined,
  after: ConnectionRecord,
  storedAt: string,
): Notification[] {
  if (before !== undefined && before.linked === after.linked) return [];
  const type = after.linked ? 'Connection Linked' : 'Connection Unlinked';
  // The event that set the flag: hotglue's event_id, else its time.
  const deciding = after.fields.event_id ?? after.updated_at ?? null;
  return [
    notification(key, type, deciding, after.updated_at ?? storedAt, connectionSummary(after), {
      tenant: after.tenant,
      linked: after.linked,
      previous_linked: before?.linked ?? null,
    }),
  ];
}

/**
 * The notifications a record's change sends: decided by the stored record (the merge), never by
 * the raw event, so a duplicate, a replay or an event that loses the merge sends nothing.
 * `before` is undefined for an entity seen for the first time; `storedAt` is the time used when
 * the record has none of its own.
 */
export function recordChanges(
  kind: Kind,
  entityKey: string,
  before: unknown,
  after: unknown,
  storedAt: string,
): Notification[] {
  switch (kind) {
    case 'jobs':
      return jobChanges(entityKey, before as JobRecord | undefined, after as JobRecord, storedAt);
    case 'discover':
      return discoverChanges(
        entityKey,
        before as DiscoverRecord | undefined,
        after as DiscoverRecord,
        storedAt,
      );
    case 'connections':
      return connectionChanges(
        entityKey,
        before as ConnectionRecord | undefined,
        after as ConnectionRecord,
        storedAt,
      );
  }
}

/**
 * `Job Stale`: a running job with no event since `updated_at` (an episode ends with its next
 * event, so the id is per job and `updated_at`).
 */
export function staleJobNotification(
  entityKey: string,
  job: JobSummary,
  staleAfter: string,
  now: string,
): Notification {
  return notification(entityKey, 'Job Stale', job.updated_at ?? null, now, job, {
    s3_root: job.s3_root,
    tenant: job.tenant,
    status: job.status,
    previous_status: job.status,
    stale_after: staleAfter,
  });
}
