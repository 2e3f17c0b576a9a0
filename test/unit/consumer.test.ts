import { processBatch } from '../../lib/consumer';
import { buildEnvelope } from '../../lib/envelope';
import { recordingLog } from '../helpers/doubles';
import { payloadOf, sqsRecord } from '../helpers/events';

const message = (kind: 'jobs' | 'discover', payload: unknown) =>
  buildEnvelope({
    kind,
    body: Buffer.from(JSON.stringify(payload)),
    receivedAt: new Date(),
    requestId: 'r',
    dedupeKey: '0'.repeat(64),
  });

describe('processBatch', () => {
  it('reports only the records that failed and hands the others their payloads', async () => {
    const good = sqsRecord(message('jobs', payloadOf('jobs')), { messageId: 'good' });
    const flaky = sqsRecord(message('jobs', payloadOf('jobs', { tenant: 'flaky' })), {
      messageId: 'flaky',
    });
    const poison = sqsRecord('garbage', { messageId: 'poison' });
    const wrongQueue = sqsRecord(message('discover', payloadOf('discover')), {
      messageId: 'wrong-queue',
    });
    const invalid = sqsRecord(message('jobs', { tenant: 't' }), { messageId: 'invalid' });
    const seen: string[] = [];
    const log = recordingLog();
    const result = await processBatch(
      'jobs',
      { Records: [good, flaky, poison, wrongQueue, invalid] },
      async (event) => {
        if (event.payload.tenant === 'flaky') throw new Error('DynamoDB down');
        seen.push(event.messageId);
      },
      log,
    );
    expect(seen).toEqual(['good']);
    expect(result.batchItemFailures.map((f) => f.itemIdentifier)).toEqual([
      'flaky',
      'poison',
      'wrong-queue',
      'invalid',
    ]);
    expect(log.lines.filter((l) => l.level === 'error')).toHaveLength(4);
  });

  it('returns no failures for a clean batch', async () => {
    const records = [
      sqsRecord(message('jobs', payloadOf('jobs'))),
      sqsRecord(message('jobs', payloadOf('jobs'))),
    ];
    const result = await processBatch(
      'jobs',
      { Records: records },
      async () => undefined,
      recordingLog(),
    );
    expect(result.batchItemFailures).toEqual([]);
  });
});
