import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqsJournal, type QueueEvent } from '../../lib/local/sqs-journal';

let folder: string;
let file: string;

beforeEach(() => {
  folder = mkdtempSync(join(tmpdir(), 'hgw-journal-'));
  file = join(folder, 'journal.ndjson');
});
afterEach(() => rmSync(folder, { recursive: true, force: true }));

const published = (id: string, queueName: string, body = `body of ${id}`): QueueEvent => ({
  service: 'sqs',
  queueName,
  messageId: id,
  body,
  messageAttributes: { kind: { DataType: 'String', StringValue: 'jobs' } },
  status: 'published',
});
const consumed = (id: string, queueName: string): QueueEvent => ({
  service: 'sqs',
  queueName,
  messageId: id,
  status: 'consumed',
});

describe('the local SQS journal', () => {
  it('gives back, at the next open, exactly the messages not consumed, with their bodies and attributes', () => {
    const journal = openSqsJournal(file);
    expect(journal.recovered).toEqual([]);
    journal.record(published('a', 'jobs'));
    journal.record(published('b', 'jobs'));
    journal.record(published('c', 'discover'));
    journal.record(consumed('b', 'jobs'));
    // No close: the process is killed with the file as it stands.
    const reopened = openSqsJournal(file);
    expect(reopened.recovered).toEqual([
      {
        id: 'a',
        queue: 'jobs',
        body: 'body of a',
        attributes: { kind: { DataType: 'String', StringValue: 'jobs' } },
      },
      expect.objectContaining({ id: 'c', queue: 'discover', body: 'body of c' }),
    ]);
    expect(reopened.pendingByQueue()).toEqual({ jobs: 1, discover: 1 });
    journal.close();
    reopened.close();
  });

  it('keeps a FIFO message’s group and deduplication ids across a restart', () => {
    const journal = openSqsJournal(file);
    journal.record({
      ...published('f', 'jobs.fifo'),
      messageGroupId: 'group-of-the-job',
      messageDeduplicationId: 'event-key',
    });
    journal.record(published('s', 'jobs'));
    const reopened = openSqsJournal(file);
    expect(reopened.recovered.map((m) => [m.id, m.groupId, m.deduplicationId])).toEqual([
      ['f', 'group-of-the-job', 'event-key'],
      ['s', undefined, undefined],
    ]);
    // Compacted on open, and still there at the next.
    reopened.close();
    expect(openSqsJournal(file).recovered[0]).toMatchObject({
      groupId: 'group-of-the-job',
      deduplicationId: 'event-key',
    });
    journal.close();
  });

  it('follows a message into its dead-letter queue, and keeps it there across a restore', () => {
    const journal = openSqsJournal(file);
    journal.record(published('a', 'jobs'));
    journal.record({ ...published('a', 'jobs'), status: 'dlq' });
    journal.record(published('a', 'jobs-dlq'));
    journal.close();
    const reopened = openSqsJournal(file);
    expect(reopened.recovered.map((m) => [m.id, m.queue])).toEqual([['a', 'jobs-dlq']]);
    // The restore enqueues it again with its id: that changes nothing.
    reopened.record(published('a', 'jobs-dlq'));
    reopened.close();
    expect(openSqsJournal(file).recovered.map((m) => [m.id, m.queue])).toEqual([['a', 'jobs-dlq']]);
  });

  it('skips a line torn by a kill and counts it', () => {
    const journal = openSqsJournal(file);
    journal.record(published('a', 'jobs'));
    journal.close();
    appendFileSync(file, '{"put":"b","queue":"jo');
    const reopened = openSqsJournal(file);
    expect(reopened.unreadable).toBe(1);
    expect(reopened.recovered.map((m) => m.id)).toEqual(['a']);
    reopened.close();
  });

  it('forgets the messages of a purged queue', () => {
    const journal = openSqsJournal(file);
    journal.record(published('a', 'jobs'));
    journal.record(published('b', 'jobs'));
    journal.forget(['a', 'b', 'never-seen']);
    journal.close();
    expect(openSqsJournal(file).recovered).toEqual([]);
  });

  it('ignores other services and events that are not about queue contents', () => {
    const journal = openSqsJournal(file);
    journal.record({ ...published('a', 'topic'), service: 'sns' });
    journal.record({ ...published('b', 'jobs'), status: 'dlq' });
    journal.close();
    expect(openSqsJournal(file).recovered).toEqual([]);
  });

  it('compacts itself when it is mostly consumed messages, keeping the pending ones', () => {
    const journal = openSqsJournal(file);
    const body = 'x'.repeat(64 * 1024);
    for (let n = 0; n < 400; n += 1) {
      journal.record(published(`m${n}`, 'jobs', body));
      if (n % 100 !== 0) journal.record(consumed(`m${n}`, 'jobs'));
    }
    // 400 bodies of 64 KiB were written (25 MiB); the file holds about the 4 pending ones.
    expect(statSync(file).size).toBeLessThan(16 * 1024 * 1024);
    journal.close();
    const reopened = openSqsJournal(file);
    expect(reopened.recovered.map((m) => m.id)).toEqual(['m0', 'm100', 'm200', 'm300']);
    expect(reopened.recovered[0]?.body).toBe(body);
    reopened.close();
    expect(readFileSync(file, 'utf8').split('\n').filter(Boolean)).toHaveLength(4);
  });
});
