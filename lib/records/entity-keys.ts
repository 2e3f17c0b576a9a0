/** Joins key parts unambiguously but readably: each part URI-encoded, then joined with '#'. */
export const joinKey = (parts: readonly string[]): string =>
  parts.map(encodeURIComponent).join('#');

/** A job's entity key: its `s3_root`, hotglue's true job key. */
export const jobKey = (s3Root: string): string => `JOB#${s3Root}`;

export const discoverKey = (p: {
  env_id: string;
  tenant: string;
  flow_id: string;
  connector: string;
}): string => `DISCOVER#${joinKey([p.env_id, p.tenant, p.flow_id, p.connector])}`;

export const connectionKey = (p: {
  env_id: string;
  tenant: string;
  flow_id: string;
  connector_type: string;
  connector: string;
}): string =>
  `CONNECTION#${joinKey([p.env_id, p.tenant, p.flow_id, p.connector_type, p.connector])}`;
