/** Sort key of the one current record in each partition. */
export const CURRENT = 'CURRENT';
/** Sort key prefix of history items. */
export const EVENT_PREFIX = 'EVENT#';

/** Joins key parts unambiguously but readably: each part URI-encoded, then joined with '#'. */
export const joinKey = (parts: readonly string[]): string =>
  parts.map(encodeURIComponent).join('#');

export const jobPartition = (s3Root: string): string => `JOB#${s3Root}`;

export const discoverPartition = (p: {
  env_id: string;
  tenant: string;
  flow_id: string;
  connector: string;
}): string => `DISCOVER#${joinKey([p.env_id, p.tenant, p.flow_id, p.connector])}`;

export const connectionPartition = (p: {
  env_id: string;
  tenant: string;
  flow_id: string;
  connector_type: string;
  connector: string;
}): string =>
  `CONNECTION#${joinKey([p.env_id, p.tenant, p.flow_id, p.connector_type, p.connector])}`;

/** Index names, as serverless.yml defines them. */
export const INDEX = {
  byTenant: 'by-tenant',
  byFlow: 'by-flow',
  byStatus: 'by-status',
  byJobId: 'by-job-id',
  all: 'all',
} as const;
