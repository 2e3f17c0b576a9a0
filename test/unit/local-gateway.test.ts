import { failedMessageIds } from '../../lib/local/sqs-poller';
import { extractDefinition, resolveIntrinsic } from '../../lib/local/service-definition';
import { fromHttpApiEvent } from '../../lib/aws/http-api';
import { httpApiEvent, sqsRecord } from '../support/events';

describe('failedMessageIds (Lambda’s reading of a batch answer)', () => {
  const records = [sqsRecord('a', { messageId: 'a' }), sqsRecord('b', { messageId: 'b' })];

  it('fails only the listed ids with ReportBatchItemFailures', () => {
    const result = { batchItemFailures: [{ itemIdentifier: 'b' }] };
    expect([...failedMessageIds(records, { ok: true, result }, true)]).toEqual(['b']);
  });

  it('fails the whole batch on a thrown error or an unknown id', () => {
    expect(failedMessageIds(records, { ok: false }, true).size).toBe(2);
    const bogus = { batchItemFailures: [{ itemIdentifier: 'zzz' }] };
    expect(failedMessageIds(records, { ok: true, result: bogus }, true).size).toBe(2);
  });

  it('treats an empty answer as success', () => {
    expect(
      failedMessageIds(records, { ok: true, result: { batchItemFailures: [] } }, true).size,
    ).toBe(0);
    expect(failedMessageIds(records, { ok: true, result: undefined }, true).size).toBe(0);
  });
});

describe('extractDefinition', () => {
  const printed = {
    service: 'svc',
    provider: { stage: 'local', region: 'eu-west-1', environment: { A: '1' } },
    functions: {
      ingest: {
        handler: 'functions/ingest.handler',
        events: [
          { httpApi: 'POST /x' },
          { httpApi: '*' },
          { httpApi: { method: 'get', path: '/h' } },
        ],
      },
      consume: {
        handler: 'functions/c.handler',
        timeout: 30,
        events: [
          {
            sqs: {
              arn: { 'Fn::GetAtt': ['Q', 'Arn'] },
              batchSize: 5,
              functionResponseType: 'ReportBatchItemFailures',
            },
          },
        ],
      },
      reconcile: {
        handler: 'functions/r.handler',
        events: [{ schedule: 'rate(15 minutes)' }, { schedule: { rate: ['cron(0 * * * ? *)'] } }],
      },
    },
    resources: {
      Resources: {
        Q: {
          Type: 'AWS::SQS::Queue',
          Properties: {
            QueueName: 'q',
            VisibilityTimeout: 180,
            RedrivePolicy: {
              deadLetterTargetArn: { 'Fn::GetAtt': ['D', 'Arn'] },
              maxReceiveCount: 5,
            },
          },
        },
        D: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'd' } },
        T: { Type: 'AWS::DynamoDB::Table', Properties: { TableName: 't' } },
      },
    },
  };

  it('reads routes, event sources, queues with their redrive, and tables', () => {
    const d = extractDefinition(printed);
    expect(d.functions[0]?.httpRoutes).toEqual(['POST /x', '$default', 'GET /h']);
    expect(d.functions[1]?.sqs).toEqual([
      {
        queueLogicalId: 'Q',
        batchSize: 5,
        maximumBatchingWindow: 0,
        reportBatchItemFailures: true,
      },
    ]);
    expect(d.functions[1]?.timeoutSeconds).toBe(30);
    expect(d.functions[2]).toMatchObject({
      httpRoutes: [],
      schedules: ['rate(15 minutes)', 'cron(0 * * * ? *)'],
    });
    expect(d.functions[2]?.sqs).toEqual([]);
    expect(d.queues[0]).toEqual({
      logicalId: 'Q',
      name: 'q',
      attributes: { VisibilityTimeout: '180' },
      deadLetter: { logicalId: 'D', maxReceiveCount: 5 },
    });
    expect(d.tables.map((t) => t.logicalId)).toEqual(['T']);
  });

  it('resolves Ref, GetAtt and Join locally and refuses what it cannot', () => {
    const refs = new Map([['Q', { ref: 'http://q', arn: 'arn:q' }]]);
    expect(resolveIntrinsic({ Ref: 'Q' }, refs)).toBe('http://q');
    expect(resolveIntrinsic({ 'Fn::GetAtt': ['Q', 'Arn'] }, refs)).toBe('arn:q');
    expect(resolveIntrinsic({ 'Fn::Join': ['/', [{ Ref: 'Q' }, 'x']] }, refs)).toBe('http://q/x');
    expect(() => resolveIntrinsic({ Ref: 'Nope' }, refs)).toThrow(/Nope/);
  });
});

describe('fromHttpApiEvent', () => {
  it('keeps the exact bytes of a base64 body and lower-cases header names', () => {
    const bytes = Buffer.from([0xde, 0xad, 0xbe, 0xef]);
    const event = httpApiEvent({
      path: '/webhooks',
      body: bytes,
      base64: true,
      headers: { 'X-Hub-Signature': 'abc' },
    });
    const request = fromHttpApiEvent(event);
    expect(request.body.equals(bytes)).toBe(true);
    expect(request.headers['x-hub-signature']).toBe('abc');
    expect(request.receivedAt.toISOString()).toBe('2026-11-29T05:00:00.000Z');
    expect(request.requestId).toBe('req-1');
  });
});
