import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fields, printable, table } from '../../lib/cli/format';
import { main } from '../../lib/cli/main';

const ROOT = join(__dirname, '..', '..');

/** Runs the CLI in this process, with no local stack and no AWS. */
async function run(args: string[], env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    env: { DATA_DIR: '/nonexistent-hgw', ...env },
    cwd: ROOT,
  });
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

/** The commands `hotglue-webhooks --help` lists, with the word each command starts with. */
const COMMANDS = [
  ['send', 'send'],
  ['jobs', 'jobs get'],
  ['jobs', 'jobs list'],
  ['discover', 'discover list'],
  ['connections', 'connections list'],
  ['connections', 'connections history'],
  ['dlq', 'dlq list'],
  ['dlq', 'dlq redrive'],
  ['reconcile', 'reconcile'],
  ['notifications', 'notifications tail'],
  ['dashboard', 'dashboard'],
] as const;

/** The flags a command's --help describes under Options (its own -h/--help aside). */
async function flagsOf(command: string): Promise<string[]> {
  const { stdout } = await run([command, '--help']);
  const described = [...stdout.matchAll(/^ {2}(?:-\w, )?(--[a-z][a-z-]*)/gm)].map((m) => m[1]);
  return [...new Set(described)].filter((f): f is string => f !== undefined && f !== '--help');
}

/** The lines of a summary code block that show `usage` (with their continuation lines). */
function summaryOf(page: string, usage: string): string {
  const text = readFileSync(join(ROOT, page), 'utf8');
  const lines = text.split('\n');
  const at = lines.findIndex((l) => l.startsWith(`hotglue-webhooks ${usage} `));
  if (at < 0) return '';
  const end = lines.findIndex((l, i) => i > at && !l.startsWith(' '));
  return lines.slice(at, end).join('\n');
}

describe('the CLI', () => {
  it('describes the options of every command', async () => {
    for (const [command] of COMMANDS)
      expect([command, (await flagsOf(command)).length > 0]).toEqual([command, true]);
  });

  it('lists every command in its own help', async () => {
    const { stdout } = await run(['--help']);
    for (const [, usage] of COMMANDS) expect(stdout).toContain(usage);
    // And no other.
    const block = stdout.split('Commands:\n')[1]?.split('\n\n')[0] ?? '';
    const listed = [...block.matchAll(/^ {2}([a-z]+)/gm)].map((m) => m[1]);
    expect(new Set(listed)).toEqual(new Set(COMMANDS.map(([command]) => command)));
  });

  it.each(['README.md', 'docs/cli.md'])(
    'has a summary in %s with every command and every flag',
    async (page) => {
      for (const [command, usage] of COMMANDS) {
        const summary = summaryOf(page, usage);
        expect([usage, summary === '']).toEqual([usage, false]);
        const flags = await flagsOf(command);
        // A command's help covers its subcommands; each flag must show in one of their lines.
        const all = COMMANDS.filter(([c]) => c === command)
          .map(([, u]) => summaryOf(page, u))
          .join('\n');
        for (const flag of flags)
          expect([usage, flag, all.includes(flag)]).toEqual([usage, flag, true]);
      }
    },
  );

  it.each(['discover', 'connections'])(
    'does not offer %s a get it does not have',
    async (command) => {
      const { stdout } = await run([command, '--help']);
      expect(stdout).not.toMatch(/\bget\b/);
    },
  );

  it('answers an unknown option with one short line that names --help', async () => {
    const { code, stderr } = await run(['jobs', 'list', '--colour']);
    expect(code).toBe(2);
    expect(stderr).toBe('unknown option --colour; see "hotglue-webhooks jobs --help"');
  });

  it('says which option lacks its value', async () => {
    const { code, stderr } = await run(['jobs', 'list', '--tenant']);
    expect(code).toBe(2);
    expect(stderr).toBe('option --tenant needs a value; see "hotglue-webhooks jobs --help"');
  });

  it.each([
    [
      ['--since', '99999999999h'],
      '--since must be a duration of at most 10 years (3650d), got "99999999999h"',
    ],
    [
      ['--since', '2026-02-30T00:00:00Z'],
      '--since must be a time that exists (no such day or hour), got "2026-02-30T00:00:00Z"',
    ],
    [
      ['--since', '2026-11-02T00:00:00Z', '--until', '2026-11-01T00:00:00Z'],
      '--since (2026-11-02T00:00:00.000Z) is after --until (2026-11-01T00:00:00.000Z): no job starts in that window',
    ],
    [['--limit', '1.5'], '--limit must be a whole number of at least 1, got "1.5"'],
    [['--limit', '0'], '--limit must be a whole number of at least 1, got "0"'],
  ])(
    'refuses jobs list %j with exit 2 and one line, before reading anything',
    async (args, line) => {
      const { code, stdout, stderr } = await run(['jobs', 'list', ...args]);
      expect({ code, stdout, stderr }).toEqual({ code: 2, stdout: '', stderr: line });
    },
  );

  it('refuses --region without a name', async () => {
    const { code, stderr } = await run(['jobs', 'list', '--stage', 'prod', '--region']);
    expect(code).toBe(2);
    expect(stderr).toBe('--region needs a region name');
  });
});

/** A C0 control but the newline, DEL, or a C1 control: what the CLI must never print raw. */
const isControl = (c: string): boolean => {
  const code = c.codePointAt(0) ?? 0;
  return (code < 0x20 && code !== 0x0a) || (code >= 0x7f && code <= 0x9f);
};

describe('what the CLI prints of a payload', () => {
  const ESC = '\u001b';
  const hostile = `${ESC}[2J${ESC}]0;title\u0007${ESC}]8;;https://evil.example${ESC}\\link${ESC}]8;;${ESC}\\\u009b31m\tq\r\u007f`;
  const controls = (text: string) => [...text].filter(isControl);

  it('writes each C0 and C1 control character, DEL too, as its \\u escape', () => {
    expect(printable(hostile)).toBe(
      '\\u001b[2J\\u001b]0;title\\u0007\\u001b]8;;https://evil.example\\u001b\\link\\u001b]8;;\\u001b\\\\u009b31m\\u0009q\\u000d\\u007f',
    );
    expect(printable('één\nline')).toBe('één\nline');
    for (const text of [fields({ error: hostile }, ['error']), table(['E'], [[hostile]])])
      expect(controls(text)).toEqual([]);
  });

  it('keeps JSON output valid and equal to the value, C1 included', () => {
    const value = { error: hostile, nested: ['\u0085\u009d'] };
    const printed = printable(JSON.stringify(value, null, 2));
    expect(controls(printed)).toEqual([]);
    expect(JSON.parse(printed)).toEqual(value);
  });

  it('keeps the lines of a multi-line field under its value, where none can pass for a field', () => {
    expect(
      fields({ status: 'SYNC_FAILED', error: 'one\nstatus  JOB_COMPLETED' }, ['status', 'error']),
    ).toBe('status  SYNC_FAILED\nerror   one\n        status  JOB_COMPLETED');
  });

  it('escapes what any command prints, its errors included', async () => {
    const { stderr } = await run([`jobs${ESC}]0;x\u0007`]);
    expect(stderr.split('\n')[0]).toBe('unknown command "jobs\\u001b]0;x\\u0007"');
    expect(controls(stderr)).toEqual([]);
  });
});
