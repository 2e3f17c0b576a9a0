import { parseArgs } from 'node:util';
import { queueDepth } from '../aws/queue-depth';
import { notificationsDeadLetterQueueName } from '../aws/resource-names';
import type { QueueRow } from '../dashboard/web/api-types';
import { kindQueueRows } from '../dashboard/queues';
import { startDashboard } from '../dashboard/server';
import { readLocalStackInfo } from '../local/local-stack-facts';
import { latestNotifications } from '../local/notifications-file';
import type { Io } from './query-commands';
import { resolveQueueTarget, resolveTarget } from './target';

const DASHBOARD_HELP = `Usage: hotglue-webhooks dashboard [--stage NAME [--region R]] [--port N]

Serves the dashboard on 127.0.0.1 and prints its URL; Ctrl-C stops it. It only reads: jobs with
their timelines, discover state, connections, and the depth of every queue and dead-letter queue
(with why the first dead letters are there, and the command that redrives them). Nothing is
exposed beyond this machine.

Options:
  --stage NAME  a deployed stage, read with your AWS credentials (from the usual AWS
                environment: AWS_PROFILE, ...). It needs dynamodb:Query and
                dynamodb:BatchGetItem on the stage's tables and indexes, sqs:GetQueueUrl and
                sqs:GetQueueAttributes on its queues, and sqs:ReceiveMessage and
                sqs:ChangeMessageVisibility on its dead-letter queues (to say why their letters
                are there). Without --stage: the local stack running from this folder (which
                also serves the dashboard itself, at its own URL).
  --region R    the stage's region (default: as for deploys, see hotglue-webhooks --help)
  --port N      the port to listen on (default 8080; 0 picks a free one)
  -h, --help    show this help`;

export async function dashboardCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      stage: { type: 'string' },
      port: { type: 'string', default: '8080' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.out(DASHBOARD_HELP);
    return 0;
  }
  if (positionals.length > 0) {
    io.err(`dashboard takes no arguments\n\n${DASHBOARD_HELP}`);
    return 2;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    io.err(`--port must be a port number (0 picks a free one), got "${values.port}"`);
    return 2;
  }
  const stage = values.stage;
  const records = await resolveTarget(stage, io.config);
  const target = await resolveQueueTarget(stage, io.config);
  const local = stage === undefined ? await readLocalStackInfo(io.config.dataDir) : undefined;
  const suffix = stage === undefined ? '' : ` --stage ${stage}`;
  const queues = async (): Promise<QueueRow[]> => {
    const rows = await kindQueueRows(
      target.sqs,
      (kind) => target.queues(kind),
      stage ?? (local?.stage as string),
      stage !== undefined,
    );
    if (stage !== undefined)
      rows.push({
        kind: 'notifications',
        deadLetter: {
          name: notificationsDeadLetterQueueName(stage),
          messages: await queueDepth(target.sqs, await target.notificationsDeadLetter()),
        },
        redrive: `npx hotglue-webhooks dlq redrive --kind notifications${suffix}`,
      });
    return rows;
  };
  const server = await startDashboard(
    {
      records: records.records,
      queues,
      ...(stage !== undefined && { stage }),
      ...(local !== undefined && {
        notifications: (limit: number) => latestNotifications(local.notificationsFile, limit),
      }),
    },
    port,
  );
  io.out(
    `dashboard: ${server.url} (${stage === undefined ? 'the local stack' : `stage ${stage}`}; read only; Ctrl-C to stop)`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
  records.close();
  target.sqs.destroy();
  return 0;
}
