import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../support/processes';

interface Report {
  events: number;
  sent: number;
  accepted: number;
  rejected: number;
  stored: number;
  lost: number;
  duplicated: number;
  wrongFinalStatus: number;
  deadLetters: number;
  duplicatesSent: number;
  latencyMs: { p50: number; p95: number; p99: number };
}

describe('npm run load (small)', () => {
  it('stores about 150 shuffled, duplicated events exactly once, with every job in its right final status', async () => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(ROOT, 'scripts', 'load.ts'),
        '--events',
        '150',
        '--concurrency',
        '8',
        '--json',
      ],
      { cwd: ROOT },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(err).toBe('');
    const report = JSON.parse(out.trim().split('\n').pop() ?? '{}') as Report;
    expect(report.sent).toBeGreaterThanOrEqual(150);
    expect(report.duplicatesSent).toBeGreaterThan(0);
    expect(report.accepted).toBe(report.sent);
    expect(report.rejected).toBe(0);
    expect(report.stored).toBe(report.events);
    expect(report.lost).toBe(0);
    expect(report.duplicated).toBe(0);
    expect(report.wrongFinalStatus).toBe(0);
    expect(report.deadLetters).toBe(0);
    expect(report.latencyMs.p99).toBeGreaterThanOrEqual(report.latencyMs.p50);
    expect(code).toBe(0);
  }, 180_000);
});
