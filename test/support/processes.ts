import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { resolve } from 'node:path';

export const ROOT = resolve(__dirname, '..', '..');

/** Spawns `node --import tsx <script>` from the project root. */
export function spawnTs(
  script: string,
  options: { env?: Record<string, string>; ipc?: boolean } = {},
): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: ROOT,
    env: { ...process.env, ...options.env },
    stdio: options.ipc ? ['pipe', 'pipe', 'pipe', 'ipc'] : ['pipe', 'pipe', 'pipe'],
  });
}

/** Collects a child's stdout lines and lets a test wait for one that matches. */
export class LineWatcher {
  readonly lines: string[] = [];
  private waiters: { test: (line: string) => boolean; resolve: (line: string) => void }[] = [];

  constructor(child: ChildProcess) {
    if (child.stdout)
      createInterface({ input: child.stdout }).on('line', (line) => this.push(line));
    if (child.stderr)
      createInterface({ input: child.stderr }).on('line', (line) => this.push(line));
  }

  private push(line: string): void {
    this.lines.push(line);
    this.waiters = this.waiters.filter((w) => {
      if (!w.test(line)) return true;
      w.resolve(line);
      return false;
    });
  }

  /** The position of the next line: a wait can start from here, before the action that prints. */
  mark(): number {
    return this.lines.length;
  }

  /**
   * Resolves with the first line from position `after` on that passes `test`: by default only
   * lines printed after this call, so that an earlier, similar line cannot satisfy the wait.
   * Rejects after `timeoutMs` with the output so far.
   */
  waitFor(
    test: (line: string) => boolean,
    options: { after?: number; timeoutMs?: number; what?: string } = {},
  ): Promise<string> {
    const { after = this.lines.length, timeoutMs = 20_000, what = 'a matching line' } = options;
    const seen = this.lines.slice(after).find(test);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolvePromise, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `timed out waiting for ${what}; output so far:\n${this.lines.slice(-40).join('\n')}`,
            ),
          ),
        timeoutMs,
      );
      this.waiters.push({
        test,
        resolve: (line) => {
          clearTimeout(timer);
          resolvePromise(line);
        },
      });
    });
  }

  /**
   * The first line printed since the start that passes `test`, waiting for it if it has not come
   * yet: read a line this way, never with `lines.find` after waiting for an earlier line, since a
   * later line can arrive in a later chunk of the pipe.
   */
  line(test: (line: string) => boolean, what: string, timeoutMs = 20_000): Promise<string> {
    return this.waitFor(test, { after: 0, timeoutMs, what });
  }

  /** JSON log lines (the handlers' structured logs). */
  json(): Record<string, unknown>[] {
    return this.lines.flatMap((line) => {
      try {
        const value: unknown = JSON.parse(line);
        return typeof value === 'object' && value !== null
          ? [value as Record<string, unknown>]
          : [];
      } catch {
        return [];
      }
    });
  }
}

/**
 * Resolves with the exit code once the child has exited *and* its stdout and stderr are closed
 * (`close`, not `exit`), so that every line it printed has been read by then.
 */
export function waitForExit(child: ChildProcess, timeoutMs = 15_000): Promise<number | null> {
  const streamsOpen = [child.stdout, child.stderr].some((s) => s !== null && !s.destroyed);
  const exited = child.exitCode !== null || child.signalCode !== null;
  if (exited && !streamsOpen) return Promise.resolve(child.exitCode);
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('process did not exit in time'));
    }, timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolvePromise(code);
    });
  });
}

/** Starts fauxqs in a child process; returns its endpoint and a stop function. */
export async function startFauxqsProcess(): Promise<{
  endpoint: string;
  stop: () => Promise<void>;
}> {
  const child = spawnTs('test/support/fauxqs-server.ts');
  const watcher = new LineWatcher(child);
  const line = await watcher.waitFor((l) => l.startsWith('{"port"'), {
    after: 0,
    what: 'fauxqs to start',
  });
  const { port } = JSON.parse(line) as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: async () => {
      child.stdin?.end();
      await waitForExit(child);
    },
  };
}
