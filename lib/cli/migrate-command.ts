import { parseArgs } from 'node:util';
import { indexStepOf, migrateIndexKeys } from '../aws/dynamodb/migrate';
import { isKind, KINDS, type Kind } from '../webhook/kinds';
import type { Io } from './query-commands';
import { resolveTables } from './target';

const MIGRATE_HELP = `Usage: hotglue-webhooks migrate [--kind K] [--from TOKEN] [--stage NAME [--region R]]

Gives the records of a stage the index keys of this version (the sharded entity, status_shard
and flow_shard attributes of 0.3.0, and a failed or running job's watch_shard and watch_key), then says which index
layout each table has and which deploy comes next (docs/operations.md "Upgrading from 0.2.0").
From 0.2.0: run it after deploying with --param indexStep=0, before indexStep=1. From 0.3.0: run
it after deploying with indexStep=5. It is idempotent: a record that has the keys is left alone,
so it can run again at any time, while the consumers write.

Options:
  --kind K        only this kind's table (jobs, discover or connections; default: all three)
  --from TOKEN    go on from where an interrupted run stopped (it prints the token as it goes;
                  needs --kind)
  --stage NAME    a deployed stage (needs dynamodb:Scan, GetItem, UpdateItem and DescribeTable
                  on its tables); without it, the local stack
  --region R      the stage's region (default: AWS_REGION, else us-east-1, as for deploys)
  -h, --help      show this help`;

const token = (key: Record<string, unknown>) =>
  Buffer.from(JSON.stringify(key)).toString('base64url');
const fromToken = (text: string) =>
  JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Record<string, unknown>;

export async function migrateCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      kind: { type: 'string' },
      from: { type: 'string' },
      stage: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.out(MIGRATE_HELP);
    return 0;
  }
  if (positionals.length > 0) {
    io.err(`migrate takes no arguments\n\n${MIGRATE_HELP}`);
    return 2;
  }
  if (values.kind !== undefined && !isKind(values.kind)) {
    io.err(`--kind must be one of ${KINDS.join(', ')}`);
    return 2;
  }
  if (values.from !== undefined && values.kind === undefined) {
    io.err('--from needs --kind: a token belongs to one table');
    return 2;
  }
  let from: Record<string, unknown> | undefined;
  try {
    from = values.from === undefined ? undefined : fromToken(values.from);
  } catch {
    io.err('--from is not a token migrate printed');
    return 2;
  }
  const kinds: Kind[] = values.kind === undefined ? [...KINDS] : [values.kind as Kind];
  const { db, tables } = await resolveTables(values.stage, io.config);
  try {
    const steps: number[] = [];
    for (const kind of kinds) {
      const done = await migrateIndexKeys(db, tables[kind], kind, {
        ...(from !== undefined && { from }),
        onPage: (p) => {
          if (p.next !== undefined)
            io.out(
              `${kind}: ${p.scanned} records looked at, ${p.updated} updated; if stopped, go on with --kind ${kind} --from ${token(p.next)}`,
            );
        },
      });
      io.out(`${kind}: done: ${done.scanned} records looked at, ${done.updated} updated`);
      steps.push(await indexStepOf(db, tables[kind], kind));
    }
    const step = Math.min(...steps);
    const stage = values.stage ?? '<stage>';
    io.out(
      step >= 5
        ? 'indexes: the current layout (indexStep 5): nothing left to do'
        : `indexes: step ${step} of 5; next: npx serverless deploy --stage ${stage} --param indexStep=${step + 1}`,
    );
    return 0;
  } finally {
    db.destroy();
  }
}
