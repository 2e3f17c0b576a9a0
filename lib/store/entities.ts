import { text, type StoredEvent } from '../records/event';
import { mergeConnection, type ConnectionRecord } from '../records/connections';
import { mergeDiscover, type DiscoverRecord } from '../records/discover';
import { mergeJob, type JobRecord } from '../records/jobs';
import type { Kind } from '../kinds';
import { connectionPartition, discoverPartition, jobPartition, joinKey } from './keys';

/**
 * How one kind of record lives in its table: a partition per entity holding one CURRENT item and
 * one history item per distinct event. The CURRENT item is always `merge(all history)`.
 */
export interface Entity<R> {
  kind: Kind;
  partition(payload: Record<string, unknown>): string;
  /** The history item's id within the partition (its sort key is EVENT#<id>). */
  historyId(event: StoredEvent): string;
  /** A few readable attributes of a history item besides the payload. */
  historySummary(event: StoredEvent): Record<string, unknown>;
  merge(events: StoredEvent[]): R;
  /** Top-level attributes of the CURRENT item: index keys and a readable summary. */
  indexAttributes(record: R): Record<string, unknown>;
}

const str = (value: unknown): string => text(value) ?? '';

export const jobEntity: Entity<JobRecord> = {
  kind: 'jobs',
  partition: (p) => jobPartition(String(p.s3_root)),
  historyId: (e) => e.hash,
  historySummary: (e) => ({ status: e.payload.status }),
  merge: mergeJob,
  // Only what the indexes need, and the status for people reading the table: every byte here
  // counts towards the write units of each event.
  indexAttributes: (r) => ({
    ...(r.job_id !== undefined && { job_id: r.job_id }),
    tenant: r.tenant,
    flow_id: r.flow_id,
    status: r.status,
    status_class: r.status_class,
    // Newest first within an index; jobs with no time at all sort oldest.
    started_key: `${r.started_at ?? ''}#${r.s3_root}`,
  }),
};

const identity = (p: Record<string, unknown>) => ({
  env_id: str(p.env_id),
  tenant: str(p.tenant),
  flow_id: str(p.flow_id),
  connector: str(p.connector),
});

export const discoverEntity: Entity<DiscoverRecord> = {
  kind: 'discover',
  partition: (p) => discoverPartition(identity(p)),
  historyId: (e) => e.hash,
  historySummary: (e) => ({ status: e.payload.status }),
  merge: mergeDiscover,
  indexAttributes: (r) => ({
    env_id: r.env_id,
    tenant: r.tenant,
    flow_id: r.flow_id,
    connector: r.connector,
    status: r.status,
    ...(r.updated_at !== undefined && { updated_at: r.updated_at }),
    entity: 'discover',
    sort_key: joinKey([r.tenant, r.flow_id, r.connector, r.env_id]),
  }),
};

export const connectionEntity: Entity<ConnectionRecord> = {
  kind: 'connections',
  partition: (p) => connectionPartition({ ...identity(p), connector_type: str(p.connector_type) }),
  historyId: (e) => text(e.payload.event_id) ?? e.hash,
  historySummary: (e) => ({ event: e.payload.event }),
  merge: mergeConnection,
  indexAttributes: (r) => ({
    env_id: r.env_id,
    tenant: r.tenant,
    flow_id: r.flow_id,
    connector_type: r.connector_type,
    connector: r.connector,
    event: r.event,
    linked: r.linked,
    ...(r.updated_at !== undefined && { updated_at: r.updated_at }),
    entity: 'connection',
    sort_key: joinKey([r.tenant, r.flow_id, r.connector_type, r.connector, r.env_id]),
  }),
};

export const ENTITIES = {
  jobs: jobEntity,
  discover: discoverEntity,
  connections: connectionEntity,
} as const;
