import type { SQSRecord } from 'aws-lambda';
import { dynamoDbStore } from '../../lib/aws/dynamodb/dynamodb-store';
import { batchConsumer } from '../../lib/consumer/consume-batch';
import { MAX_FIELDS, MAX_KEY_BYTES } from '../../lib/webhook/shape';
import { queueOrder } from '../../lib/records/message-group';
import { buildEnvelope, MAX_BODY_BYTES } from '../../lib/webhook/envelope';
import { eventKey } from '../../lib/webhook/event-key';
import { samplePayload } from '../../lib/webhook/samples';
import { recordingCounters, recordingLog } from '../../test/support/doubles';
import {
  createProjectTables,
  documentClient,
  startDynalite,
} from '../../test/support/dynamo-servers';
import { sqsRecord } from '../../test/support/events';
import { median } from './common';

/** A job event of `status` at every cap ingest has: 256 top-level fields, keys of 256 bytes,
 * values filling the body to its limit; `tag` names its extra fields apart. */
function atTheCaps(s3Root: string, status: string, minute: number, tag: string) {
  const base = samplePayload('jobs', {
    now: new Date(Date.UTC(2026, 10, 29, 5, minute)),
    overrides: { s3_root: s3Root, status },
  });
  const extra = MAX_FIELDS - Object.keys(base).length;
  const room = MAX_BODY_BYTES - Buffer.byteLength(JSON.stringify(base)) - 1_024;
  const each = Math.floor(room / extra) - MAX_KEY_BYTES - 6;
  const payload: Record<string, unknown> = { ...base };
  for (let i = 0; i < extra; i += 1)
    payload[`${tag}${i}`.padEnd(MAX_KEY_BYTES, '_')] = 'Traceback line\n'.repeat(each / 15);
  return payload;
}

function recordOf(payload: Record<string, unknown>, n: number): SQSRecord {
  const body = Buffer.from(JSON.stringify(payload));
  const key = eventKey('jobs', payload);
  const envelope = buildEnvelope({
    kind: 'jobs',
    body,
    receivedAt: new Date(),
    requestId: `bench-${n}`,
    eventKey: key,
  });
  return sqsRecord(envelope, {
    messageId: `m-${n}`,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '1',
      SenderId: 'bench',
      ApproximateFirstReceiveTimestamp: '1',
      MessageGroupId: queueOrder('jobs', payload, key).groupId,
    },
  });
}

/**
 * (l) The consumer's time for one event at the caps (dynalite): a SYNC_FAILED of 256 fields with
 * 256-byte names filling the body, for a job that holds a SYNC_STARTED of 256 other such fields
 * (so the fold outgrows the record budget and a Job Failed notification is bounded), against a
 * SYNC_FAILED of hotglue's sample payload after its SYNC_STARTED. Median of 7 each.
 */
export async function benchHostileEvent() {
  const backend = await startDynalite();
  try {
    const tables = await createProjectTables(backend.endpoint, 'bench');
    const db = documentClient(backend.endpoint);
    const handler = batchConsumer('jobs', {
      store: dynamoDbStore(db, tables),
      notifier: { publish: async () => undefined },
      log: recordingLog(),
      counters: recordingCounters(),
    });
    const timed = async (record: SQSRecord) => {
      const t0 = performance.now();
      const { batchItemFailures } = await handler({ Records: [record] });
      if (batchItemFailures.length > 0) throw new Error('the consumer failed an event');
      return performance.now() - t0;
    };
    const capped: number[] = [];
    const normal: number[] = [];
    for (let n = 0; n < 8; n += 1) {
      const hostile = `bench/caps/${n}`;
      await timed(recordOf(atTheCaps(hostile, 'SYNC_STARTED', 1, 'a'), n));
      const ms = await timed(recordOf(atTheCaps(hostile, 'SYNC_FAILED', 2, 'b'), n + 100));
      const plain = `bench/plain/${n}`;
      const at = (minute: number) => new Date(Date.UTC(2026, 10, 29, 5, minute));
      await timed(
        recordOf(
          samplePayload('jobs', {
            now: at(1),
            overrides: { s3_root: plain, status: 'SYNC_STARTED' },
          }),
          n + 200,
        ),
      );
      const plainMs = await timed(
        recordOf(
          samplePayload('jobs', {
            now: at(2),
            overrides: { s3_root: plain, status: 'SYNC_FAILED' },
          }),
          n + 300,
        ),
      );
      // The first round warms the code up.
      if (n === 0) continue;
      capped.push(ms);
      normal.push(plainMs);
    }
    db.destroy();
    return { capsMs: median(capped), normalMs: median(normal), targetMs: 100 };
  } finally {
    await backend.stop();
  }
}
