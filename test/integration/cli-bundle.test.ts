import { execSync, spawnSync } from 'node:child_process';
import {
  cpSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/*
 * The bin runs the bundle that the install script builds, and falls back to tsx when the bundle
 * is missing or older than a file it was built from. Not timed: the speed is the benchmark's
 * figure (k), see docs/performance.md.
 */

const ROOT = join(__dirname, '..', '..');

let dir: string;
/** A file `node -r` loads first: it says on stderr, at exit, whether any of tsx was loaded. */
let probe: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hgw-cli-bundle-'));
  probe = join(dir, 'probe.cjs');
  writeFileSync(
    probe,
    "process.on('exit', () => process.stderr.write('tsx-loaded=' + " +
      "Object.keys(require.cache).some((p) => p.includes('/node_modules/tsx/')) + '\\n'));\n",
  );
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `node bin/hotglue-webhooks.js --help` of the project at `root`. */
function help(root: string, env: Record<string, string> = {}) {
  const run = spawnSync(
    process.execPath,
    ['-r', probe, join(root, 'bin', 'hotglue-webhooks.js'), '--help'],
    {
      cwd: root,
      env: { ...process.env, HOTGLUE_WEBHOOKS_CLI_DEBUG: '1', ...env },
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('the CLI bundle', () => {
  it('is built by the install script, and the bin runs it without loading tsx', () => {
    const scripts = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts;
    expect(scripts.prepare).toBe('node scripts/build-cli.cjs');
    execSync(scripts.prepare, { cwd: ROOT, stdio: 'pipe' });

    const run = help(ROOT);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Usage: hotglue-webhooks <command>');
    expect(run.stderr).toContain('hotglue-webhooks: dist/cli.cjs\n');
    expect(run.stderr).toContain('tsx-loaded=false');
  });

  it('falls back to tsx when asked to, when a source file changed, and when there is no bundle', () => {
    // A copy of the project, so that touching a source file leaves the real bundle alone.
    const copy = join(dir, 'project');
    for (const part of ['bin', 'lib', 'dist', 'package.json', 'tsconfig.json'])
      cpSync(join(ROOT, part), join(copy, part), { recursive: true, preserveTimestamps: true });
    symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'), 'dir');

    const fresh = help(copy);
    expect(fresh.stderr).toContain('hotglue-webhooks: dist/cli.cjs\n');
    expect(fresh.stderr).toContain('tsx-loaded=false');

    const asked = help(copy, { HOTGLUE_WEBHOOKS_CLI: 'tsx' });
    expect(asked.code).toBe(0);
    expect(asked.stdout).toBe(fresh.stdout);
    expect(asked.stderr).toContain('hotglue-webhooks: tsx (HOTGLUE_WEBHOOKS_CLI=tsx)');
    expect(asked.stderr).toContain('tsx-loaded=true');

    const later = new Date(Date.now() + 60_000);
    utimesSync(join(copy, 'lib', 'cli', 'format.ts'), later, later);
    const edited = help(copy);
    expect(edited.code).toBe(0);
    expect(edited.stdout).toBe(fresh.stdout);
    expect(edited.stderr).toContain(
      'hotglue-webhooks: tsx (lib/cli/format.ts changed since the bundle was built)',
    );
    expect(edited.stderr).toContain('tsx-loaded=true');

    rmSync(join(copy, 'dist'), { recursive: true });
    const none = help(copy);
    expect(none.code).toBe(0);
    expect(none.stdout).toBe(fresh.stdout);
    expect(none.stderr).toContain('hotglue-webhooks: tsx (no bundle: npm run build:cli builds it)');
    expect(none.stderr).toContain('tsx-loaded=true');
  });
});
