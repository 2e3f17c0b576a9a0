import { processBatch } from '../../lib/consumer';
import { recordingLog } from '../helpers/doubles';
import { envelopeOf, payloadOf, sqsRecord } from '../helpers/events';

const message = envelopeOf;

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

  it('handles one entity’s records in order and different entities at once', async () => {
    const job = (tenant: string, status: string) =>
      sqsRecord(message('jobs', payloadOf('jobs', { tenant, status })), {
        messageId: `${tenant}-${status}`,
      });
    const records = [
      job('a', 'JOB_CREATED'),
      job('b', 'JOB_CREATED'),
      job('a', 'SYNC_STARTED'),
      job('b', 'SYNC_STARTED'),
    ];
    const log: string[] = [];
    let running = 0;
    let maxRunning = 0;
    const result = await processBatch(
      'jobs',
      { Records: records },
      async (event) => {
        running += 1;
        maxRunning = Math.max(maxRunning, running);
        log.push(`start ${event.messageId}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
        log.push(`end ${event.messageId}`);
        running -= 1;
        if (event.messageId === 'b-SYNC_STARTED') throw new Error('b failed');
      },
      recordingLog(),
      (event) => String(event.payload.tenant),
    );
    expect(maxRunning).toBe(2);
    expect(log.indexOf('end a-JOB_CREATED')).toBeLessThan(log.indexOf('start a-SYNC_STARTED'));
    expect(log.indexOf('end b-JOB_CREATED')).toBeLessThan(log.indexOf('start b-SYNC_STARTED'));
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'b-SYNC_STARTED' }]);
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
