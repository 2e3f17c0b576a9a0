import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { dynamoDbEventStore } from '../../lib/aws/dynamodb/dynamodb-store';
import { documentClient } from '../support/dynamo-servers';
import { jobLifecycle, stored } from '../support/lifecycle';

/**
 * A DynamoDB that takes connections and never answers: storing must end at the caller's deadline
 * (the SDK client here has no request timeout of its own, so without one it would wait for ever).
 */
let server: Server;
const sockets = new Set<Socket>();

beforeAll(async () => {
  server = createServer((socket) => {
    sockets.add(socket);
    socket.on('data', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((resolve) => server.close(resolve));
});

describe('the DynamoDB store with a deadline', () => {
  it('gives up storing and marking sent at the deadline when DynamoDB does not answer', async () => {
    const db = documentClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    const store = dynamoDbEventStore(db, { jobs: 'hung-table' });
    const [created] = jobLifecycle(['JOB_CREATED'], { s3Root: 'hung/1' });
    await expect(store.storeAll('jobs', [stored(created ?? {})], Date.now() + 300)).rejects.toThrow(
      /abort/i,
    );
    await expect(store.markSent('jobs', 'JOB#hung/1', ['n'], Date.now() + 300)).rejects.toThrow(
      /abort/i,
    );
    db.destroy();
  }, 10_000);
});
