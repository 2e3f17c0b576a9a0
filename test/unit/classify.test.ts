import { detectKind } from '../../lib/webhook/detect-kind';
import { eventKey } from '../../lib/webhook/event-key';
import { validationProblem } from '../../lib/webhook/schemas';
import { payloadOf } from '../support/events';

describe('detectKind', () => {
  it('recognises the documented samples', () => {
    expect(detectKind(payloadOf('jobs'))).toBe('jobs');
    expect(detectKind(payloadOf('discover'))).toBe('discover');
    expect(detectKind(payloadOf('connections'))).toBe('connections');
  });

  it('classifies job payloads with discover statuses by shape, not status', () => {
    for (const status of ['DISCOVER_STARTED', 'DISCOVER_FAILED', 'DISCOVER_SUCCESS']) {
      expect(detectKind(payloadOf('jobs', { status }))).toBe('jobs');
    }
    expect(detectKind({ job_id: 'x', status: 'DISCOVER_STARTED', connector: 'c' })).toBe('jobs');
    expect(detectKind({ s3_root: 'x', status: 'DISCOVER_FAILED', connector: 'c' })).toBe('jobs');
  });

  it('tells connection events by event, event_id or connector_type', () => {
    expect(detectKind({ tenant: 't', connector: 'c', event: 'UNLINK' })).toBe('connections');
    expect(detectKind({ tenant: 't', connector: 'c', status: 'X', connector_type: 'tap' })).toBe(
      'connections',
    );
  });

  it('returns undefined for shapes it cannot tell', () => {
    expect(detectKind({})).toBeUndefined();
    expect(detectKind({ tenant: 't', status: 'JOB_COMPLETED' })).toBeUndefined();
    expect(detectKind({ s3_root: null, connector: 'c' })).toBeUndefined();
  });
});

describe('validationProblem', () => {
  it('accepts unknown statuses and unknown fields', () => {
    expect(
      validationProblem('jobs', payloadOf('jobs', { status: 'BRAND_NEW', extra: { a: 1 } })),
    ).toBeUndefined();
    expect(
      validationProblem('connections', payloadOf('connections', { event: 'UNLINK' })),
    ).toBeUndefined();
  });

  it('names the first missing or empty identifying field', () => {
    expect(
      validationProblem('discover', { tenant: 't', flow_id: '', connector: 'c', status: 's' }),
    ).toBe('invalid discover event: flow_id must be a non-empty string of at most 1024 characters');
    expect(validationProblem('jobs', { tenant: 't', flow_id: 'f', status: 's' })).toBe(
      'invalid jobs event: s3_root is required',
    );
  });

  it('refuses identifying fields too long to be DynamoDB keys', () => {
    expect(validationProblem('jobs', payloadOf('jobs', { tenant: 't'.repeat(1025) }))).toBe(
      'invalid jobs event: tenant must be a non-empty string of at most 1024 characters',
    );
    expect(
      validationProblem('jobs', payloadOf('jobs', { tenant: 't'.repeat(1024) })),
    ).toBeUndefined();
  });
});

describe('eventKey', () => {
  it('is the same for a redelivery and ignores fields that are not identity', () => {
    const job = payloadOf('jobs');
    expect(eventKey('jobs', job)).toBe(eventKey('jobs', structuredClone(job)));
    expect(eventKey('jobs', job)).toBe(eventKey('jobs', { ...job, metrics: { late: 1 } }));
  });

  it('differs between statuses and times of one job, and between kinds', () => {
    const job = payloadOf('jobs', { status: 'SYNC_STARTED' });
    const keys = new Set([
      eventKey('jobs', job),
      eventKey('jobs', { ...job, status: 'SYNC_SUCCESS' }),
      eventKey('jobs', { ...job, last_updated: '2030-01-01T00:00:00+00:00' }),
      eventKey('discover', job),
    ]);
    expect(keys.size).toBe(4);
  });

  it('keys connection events by event_id', () => {
    const a = payloadOf('connections');
    expect(eventKey('connections', a)).toBe(eventKey('connections', { ...a, timestamp: 'other' }));
    expect(eventKey('connections', a)).not.toBe(eventKey('connections', payloadOf('connections')));
  });
});
