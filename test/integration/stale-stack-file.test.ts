import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STACK_FILE } from '../../lib/local/local-stack-facts';
import { cli } from '../support/local-stack';

/** A local-stack.json left by a stack killed with SIGKILL: its process is gone, its ports closed. */
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'hgw-stale-'));
  // A process that has exited: its pid is what a killed stack leaves in the file.
  const gone = spawnSync(process.execPath, ['-e', 'process.pid']).pid ?? 999_999;
  await writeFile(
    join(dataDir, STACK_FILE),
    JSON.stringify({
      pid: gone,
      baseUrl: 'http://127.0.0.1:9',
      dynamodbEndpoint: 'http://127.0.0.1:9',
      sqsEndpoint: 'http://127.0.0.1:9',
      region: 'us-east-1',
      tables: {},
      queues: {},
    }),
  );
});
afterAll(() => rm(dataDir, { recursive: true, force: true }));

describe('the CLI after the local stack died without cleaning up', () => {
  it('says no local stack is running, exits 2, and never tries the dead ports', async () => {
    const result = await cli(['jobs', 'list'], { DATA_DIR: dataDir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('no local stack is running here');
    expect(result.stderr).toContain('stopped without cleaning up');
    expect(result.stderr).not.toContain('ECONNREFUSED');
  });

  it('does not follow notifications of a stack that is gone: it says so and exits', async () => {
    const result = await cli(['notifications', 'tail'], { DATA_DIR: dataDir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('no local stack is running here');
  });
});
