import fc from 'fast-check';
import { historyAttributes } from '../../lib/aws/dynamodb/table-layout';
import { OUTBOX_MAX_BYTES, outboxBytes } from '../../lib/ports/event-store';
import { cutBytes, cutText, numberBytes, TEXT_MAX_BYTES } from '../../lib/records/bounds';
import { recordChanges, type Notification } from '../../lib/records/changes';
import { boundRecord, ENTITIES, type Entity } from '../../lib/records/entities';
import type { JobRecord } from '../../lib/records/jobs';
import type { StoredEvent } from '../../lib/records/stored-event';
import { jobView } from '../../lib/records/views';
import { canonicalJson } from '../../lib/webhook/content-hash';
import { MAX_ID_CHARS } from '../../lib/webhook/schemas';
import { jobLifecycle, stored } from '../support/lifecycle';
import { mergeDiscover, mergeJob } from '../support/merges';

/** Text fields are bounded where they are copied out of a payload, and whole where one job is shown. */

const bytes = (s: string): number => Buffer.byteLength(s);

describe('cutText', () => {
  it('keeps at most TEXT_MAX_BYTES, whole characters, and says the full length', () => {
    const unit = fc.constantFrom('a', 'é', '☃', '🚀', '\n', '\u0001');
    fc.assert(
      fc.property(unit, unit, fc.integer({ min: 0, max: 3 * TEXT_MAX_BYTES }), (a, b, n) => {
        const text = a + b.repeat(n);
        const cut = cutText(text);
        if (bytes(text) <= TEXT_MAX_BYTES) {
          expect(cut).toBe(text);
          expect(cutBytes(cut)).toBeUndefined();
          return;
        }
        expect(bytes(cut)).toBeLessThanOrEqual(TEXT_MAX_BYTES);
        expect(cutBytes(cut)).toBe(bytes(text));
        expect(cut).not.toContain('\uFFFD');
        expect(text.startsWith(cut.slice(0, cut.lastIndexOf(' … [cut: ')))).toBe(true);
        expect(cutText(cut)).toBe(cut);
      }),
      { numRuns: 300, seed: 28 },
    );
  });

  it('never cuts an identity: any of MAX_ID_CHARS characters fits', () => {
    expect(bytes('☃'.repeat(MAX_ID_CHARS))).toBeLessThanOrEqual(TEXT_MAX_BYTES);
    expect(bytes('🚀'.repeat(MAX_ID_CHARS / 2))).toBeLessThanOrEqual(TEXT_MAX_BYTES);
  });
});

/** Delivers `events` in `order` through the fold as the store does: each record bounded. */
function foldBounded<R>(entity: Entity<R>, events: StoredEvent[], order: number[]): R {
  let state: { record: R; fold: unknown } | undefined;
  const seen = new Set<string>();
  for (const i of order) {
    const event = events[i] as StoredEvent;
    if (seen.has(event.hash)) continue;
    seen.add(event.hash);
    const next = entity.fold(state, event, true);
    state = JSON.parse(
      JSON.stringify({ ...next, record: boundRecord(next.record, entity.keep) }),
    ) as {
      record: R;
      fold: unknown;
    };
  }
  return (state as NonNullable<typeof state>).record;
}

const LONG = ['boom', 'x'.repeat(5_000), `${'é'.repeat(3_000)}!`, 'Traceback\n'.repeat(2_000)];

describe('numberBytes', () => {
  // DynamoDB's rule as its documentation words it: the significant digits (leading and trailing
  // zeros dropped, the sign, point and exponent not counted), a byte per two, and one more.
  const significant = (text: string): number =>
    text
      .replace(/^-/, '')
      .replace(/e.*$/i, '')
      .replace('.', '')
      .replace(/^0+/, '')
      .replace(/0+$/, '').length;
  const rule = (text: string): number => Math.ceil(Math.max(significant(text), 1) / 2) + 1;

  it('counts significant digits as DynamoDB does, for numbers and their text', () => {
    const decimal = fc
      .tuple(fc.boolean(), fc.stringMatching(/^[0-9]{1,40}$/), fc.stringMatching(/^[0-9]{0,40}$/))
      .map(([minus, whole, part]) => `${minus ? '-' : ''}${whole}${part === '' ? '' : `.${part}`}`);
    const exponent = fc
      .tuple(decimal, fc.constantFrom('e', 'E'), fc.integer({ min: -130, max: 125 }))
      .map(([d, e, x]) => `${d}${e}${x}`);
    const number = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer());
    fc.assert(
      fc.property(fc.oneof(decimal, exponent, number), (n) => {
        expect(numberBytes(n)).toBe(rule(String(n)));
      }),
      { numRuns: 2000 },
    );
    expect([numberBytes(0), numberBytes('1.05'), numberBytes('-12.50'), numberBytes(1e21)]).toEqual(
      [2, 3, 3, 2],
    );
  });
});

describe('boundRecord', () => {
  it('is order-independent: folding bounded records gives the bounded merge', () => {
    const lifecycle = jobLifecycle(['JOB_CREATED', 'SYNC_STARTED', 'SYNC_FAILED', 'JOB_COMPLETED']);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom(...LONG), fc.constantFrom(...LONG)), {
          minLength: 4,
          maxLength: 4,
        }),
        fc.shuffledSubarray([0, 1, 2, 3], { minLength: 4, maxLength: 4 }),
        (texts, order) => {
          const events = lifecycle.map((p, i) =>
            stored({ ...p, error: texts[i]?.[0], message: texts[i]?.[1], notes: texts[i]?.[0] }),
          );
          expect(foldBounded(ENTITIES.jobs, events, order)).toEqual(
            boundRecord(mergeJob(events), ENTITIES.jobs.keep),
          );
        },
      ),
      { numRuns: 100, seed: 28 },
    );
  });

  it("bounds a discover state's timestamp and its copy alike, so that the item holds it once", () => {
    const timestamp = 'T'.repeat(10_000);
    const events = [
      stored({ tenant: 't', flow_id: 'f', connector: 'c', status: 'DISCOVER_FAILED', timestamp }),
    ];
    const record = boundRecord(mergeDiscover(events), ENTITIES.discover.keep);
    expect(record.timestamp).toBe(cutText(timestamp));
    expect(record.fields.timestamp).toBe(cutText(timestamp));
  });

  it('keeps a record of small numbers under its budget as DynamoDB counts it, not as JSON does', () => {
    // 140,000 sevens: 280 KB of JSON, 420 KB in an item.
    const [created] = jobLifecycle(['JOB_CREATED']);
    const sevens = new Array<number>(140_000).fill(7);
    const record = boundRecord(mergeJob([stored({ ...created, sevens })]), ENTITIES.jobs.keep);
    expect(record.fields.sevens).toEqual({ omitted: true, bytes: 280_001 });
  });
});

describe("a history item's attributes", () => {
  it('carry error and message bounded, whatever their type', () => {
    const [failed] = jobLifecycle(['SYNC_FAILED']);
    const error = 'e'.repeat(70_000);
    const message = { lines: 'm'.repeat(10_000).split('') };
    const item = historyAttributes('jobs', stored({ ...failed, error, message }));
    expect(item.error).toBe(cutText(error));
    expect(item.message).toEqual({ omitted: true, bytes: JSON.stringify(message).length });
  });
});

/** Every notification fits in EventBridge's entry, the outbox, and its detail budget. */
function expectBounded(notifications: Notification[]): void {
  for (const notification of notifications) {
    expect(bytes(canonicalJson(notification.detail))).toBeLessThanOrEqual(32_768);
    expect(bytes(JSON.stringify(notification))).toBeLessThan(256 * 1024);
    expect(outboxBytes([{ notification, recordedAt: 1 }])).toBeLessThanOrEqual(OUTBOX_MAX_BYTES);
  }
}

describe('notifications', () => {
  it('stay under their budget however large and many the fields, and whatever the identities', () => {
    const chars = fc.constantFrom('a', '🚀', '\u0001');
    fc.assert(
      fc.property(
        chars,
        fc.integer({ min: 0, max: 3_000 }),
        fc.integer({ min: 1, max: 60 }),
        // A text of control characters takes six bytes of JSON a byte: only the change fields
        // can then stay, cut shorter.
        fc.constantFrom<unknown>(
          'e'.repeat(70_000),
          '\u0001'.repeat(70_000),
          { trace: 'e'.repeat(70_000) },
          null,
        ),
        (char, count, nameLength, error) => {
          const id = char.repeat(MAX_ID_CHARS / char.length);
          const fields = Object.fromEntries(
            Array.from({ length: count }, (_, i) => [`${'f'.repeat(nameLength)}${i}`, i]),
          );
          const record = boundRecord(
            {
              s3_root: id,
              tenant: id,
              flow_id: 'f',
              status: `${id.slice(0, -10)}_FAILED`,
              status_class: 'failed',
              event_count: 1,
              fields: { ...fields, error, message: 'm'.repeat(500_000) },
            } as JobRecord,
            ENTITIES.jobs.keep,
          );
          const before = { ...record, status: id, status_class: 'running' } as JobRecord;
          expectBounded(recordChanges('jobs', `JOB#${id}`, before, record, '2026-11-01'));
        },
      ),
      { numRuns: 40, seed: 28 },
    );
  });
});

describe('one job as jobs get shows it', () => {
  const [started, failed] = jobLifecycle(['SYNC_STARTED', 'SYNC_FAILED']);
  const error = 'Traceback (most recent call last):\n'.repeat(2_000);
  const message = 'm'.repeat(450_000);
  const events = [stored({ ...started, message }), stored({ ...failed, error, message: null })];
  const record = boundRecord(mergeJob(events), ENTITIES.jobs.keep);

  it('shows each text whole, from the payload of the latest event that set it', () => {
    expect(record.fields.error).toBe(cutText(error));
    const view = jobView(record, events);
    expect(view.error === error).toBe(true);
    expect(view.message === message).toBe(true);
    expect(view.status).toBe('SYNC_FAILED');
    // The timeline carries each event's texts as its history item does.
    expect(view.history.map((h) => h.error ?? h.message)).toEqual([
      cutText(message),
      cutText(error),
    ]);
  });

  it('leaves a text cut when the event that set it is no longer in the history', () => {
    const view = jobView(record, [events[0] as StoredEvent]);
    expect(view.error).toBe(cutText(error));
    expect(view.message === message).toBe(true);
  });
});
