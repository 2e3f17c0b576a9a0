/** The --help texts of the query commands (jobs, discover, connections). */

const STAGE = `  --stage NAME    query a deployed stage instead of the local stack (credentials from the
                  usual AWS environment: AWS_PROFILE, ...)
  --region R      the stage's region (default: as for deploys, see hotglue-webhooks --help)
  -h, --help      show this help`;
const COMMON = `  --json          print JSON (an object for get, an array for list)
${STAGE}`;
const LIST_COMMON = `  --json          print JSON (an array)
${STAGE}`;

export const JOBS_HELP = `Usage: hotglue-webhooks jobs get <s3_root|job_id> [--json] [--stage NAME [--region R]]
       hotglue-webhooks jobs list [--tenant T] [--flow F] [--env E] [--status S]
                                  [--since ISO|24h] [--until ISO|24h] [--updated-since ISO|24h]
                                  [--limit N] [--json] [--stage NAME [--region R]]

get    one job with its history (s3_root is the job's key; a job_id must name one job)
list   jobs newest first (by start time)

Options:
  --tenant T      only this tenant
  --flow F        only this flow_id
  --env E         only this env_id
  --status S      failed, running, completed, other, or an exact status (SYNC_FAILED, ...)
  --since X       jobs STARTED since an ISO time, or within a duration: 30m, 24h, 7d
  --until X       jobs STARTED before an ISO time, or before a duration ago
  --updated-since X
                  jobs whose latest event is since X (listed newest update first)
  --limit N       at most N jobs (default 50)
${COMMON}`;

export const DISCOVER_HELP = `Usage: hotglue-webhooks discover list [--tenant T] [--flow F] [--status S]
                                      [--limit N] [--json] [--stage NAME [--region R]]

The latest discover state of each (env_id, tenant, flow_id, connector).

Options:
  --tenant T      only this tenant
  --flow F        only this flow_id
  --status S      started, success, failed, or an exact status
  --limit N       at most N states (default 100)
${LIST_COMMON}`;

export const CONNECTIONS_HELP = `Usage: hotglue-webhooks connections list [--tenant T] [--flow F] [--linked]
                                         [--limit N] [--json] [--stage NAME [--region R]]
       hotglue-webhooks connections history --tenant T --flow F --connector C [--type TYPE]
                                            [--env E] [--limit N] [--before CURSOR] [--json]
                                            [--stage NAME [--region R]]

list     the latest event of each (env_id, tenant, flow_id, connector_type, connector)
history  one connection's events, newest first, a page at a time

Options:
  --tenant T      only this tenant (history: the connection's tenant)
  --flow F        only this flow_id (history: the connection's flow_id)
  --linked        only connections whose latest event is LINK
  --connector C   history: the connection's connector
  --type TYPE     history: its connector_type, when the connector has more than one
  --env E         history: its env_id, when it is in more than one environment
  --before CURSOR history: the page after the one that printed this cursor
  --limit N       at most N connections (default 100), or N events of history (default 50)
  --json          print JSON (list: an array; history: { "items": [...], "next": cursor or null })
${STAGE}`;
