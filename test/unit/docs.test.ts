import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { main } from '../../lib/cli/main';
import { KINDS } from '../../lib/webhook/kinds';

const ROOT = join(__dirname, '..', '..');
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');
const PAGES = [
  'README.md',
  'CHANGELOG.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
const anchors = (markdown: string) =>
  [...markdown.matchAll(/^#+ (.*)$/gm)].map((m) =>
    (m[1] ?? '')
      .trim()
      .toLowerCase()
      .replace(/[^a-z0-9 _-]/g, '')
      .replace(/ /g, '-'),
  );

describe('the documentation', () => {
  it('keeps the README a front door: at most 20,000 bytes, linking into docs/', () => {
    const readme = read('README.md');
    expect(Buffer.byteLength(readme)).toBeLessThanOrEqual(20_000);
    for (const page of PAGES.filter((p) => p.startsWith('docs/')))
      expect(readme).toContain(`](${page})`);
  });

  it('shows every image in docs/images somewhere, so none is left behind', () => {
    const all = PAGES.map(read).join('\n');
    for (const image of readdirSync(join(ROOT, 'docs', 'images')))
      expect(all).toContain(`images/${image}`);
  });

  it('names in docs/evidence.md only test files and test names that exist', () => {
    const quote = (text: string) => text.replace(/[’‘]/g, "'");
    const missing: string[] = [];
    for (const row of read('docs/evidence.md')
      .split('\n')
      .filter((l) => l.startsWith('|'))) {
      // Each cited file, and the quoted test names after it up to the next file.
      const parts = row.split(/`(test\/[\w/.-]+\.test\.ts)`/);
      for (let i = 1; i < parts.length; i += 2) {
        const file = parts[i] as string;
        if (!existsSync(join(ROOT, file))) {
          missing.push(file);
          continue;
        }
        const source = quote(read(file));
        for (const [, name = ''] of (parts[i + 1] ?? '').matchAll(/"([^"]+)"/g)) {
          // A name cited in part ends with "...", or names two tests with " / ".
          for (const piece of name.split(/ \/ |, \.\.\.| \.\.\./))
            if (piece.trim() !== '' && !source.includes(quote(piece.trim())))
              missing.push(`${file}: "${piece.trim()}"`);
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it.each(PAGES)('%s: every relative link and anchor resolves', (page) => {
    const text = read(page);
    const broken: string[] = [];
    for (const [, target = ''] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target)) continue;
      const [path = '', anchor] = target.split('#');
      const file = path === '' ? page : normalize(join(dirname(page), path));
      if (!existsSync(join(ROOT, file))) broken.push(`${target} (no ${file})`);
      else if (anchor !== undefined && !anchors(read(file)).includes(anchor))
        broken.push(`${target} (no heading #${anchor} in ${file})`);
    }
    expect(broken).toEqual([]);
  });

  it('lists every environment variable the configuration modules read', () => {
    const sources = readdirSync(join(ROOT, 'lib', 'config'))
      .map((f) => read(`lib/config/${f}`))
      .join('\n');
    // Variable names stand as object keys (`PORT: …`), in strings, or after `env.`.
    const named = [
      ...sources.matchAll(/(?<=['"`.]|^\s+)([A-Z][A-Z0-9_]{2,})\b(?=\s*:(?!:)|['"`]|\s*\?\?=)/gm),
    ]
      .map((m) => m[1])
      // CloudFormation values the stage settings write into the template, not variables.
      .filter((name) => name !== 'KMS');
    const perKind = KINDS.map((k) => k.toUpperCase()).flatMap((K) => [
      `WEBHOOK_SECRET_${K}`,
      `${K}_QUEUE_URL`,
      `${K}_DEAD_LETTER_QUEUE_URL`,
      `${K}_TABLE`,
    ]);
    const documented = read('docs/configuration.md');
    const variables = [...new Set([...named, ...perKind])];
    expect(variables.length).toBeGreaterThan(15);
    expect(variables.filter((v) => !documented.includes(`\`${v}\``))).toEqual([]);
  });

  it('points the stack’s texts only at pages, sections and CLI commands that exist', async () => {
    const stack = read('serverless.yml');
    const headings = (page: string) =>
      [...read(page).matchAll(/^#+ (.*)$/gm)].map((m) => (m[1] ?? '').trim());
    const missing: string[] = [];
    for (const [ref, page = '', section] of stack.matchAll(
      /((?:docs\/[a-z-]+\.md)|README)(?: "([^"]+)")?/g,
    )) {
      const file = page === 'README' ? 'README.md' : page;
      if (!existsSync(join(ROOT, file))) missing.push(`${ref} (no such page)`);
      else if (section !== undefined && !headings(file).includes(section))
        missing.push(`${ref} (no such section)`);
    }
    expect(missing).toEqual([]);
    // Every CLI command line in the stack's texts runs: its command exists and takes its flags.
    const commands = [...stack.matchAll(/\(hotglue-webhooks ([^)]+)\)/g)].map((m) => m[1] ?? '');
    expect(commands.length).toBeGreaterThan(0);
    for (const line of commands) {
      const [command = '', ...words] = line.split(' ');
      const out: string[] = [];
      const code = await main([command, '--help'], {
        out: (l) => out.push(l),
        err: (l) => out.push(l),
        env: {},
        cwd: ROOT,
      });
      const help = out.join('\n');
      expect([line, code]).toEqual([line, 0]);
      for (const word of words.filter((w) => /^[a-z]|^--/.test(w)))
        expect([line, word, help.includes(word)]).toEqual([line, word, true]);
    }
  });
});
