import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { axeViolations, launchChromium, screenshot } from '../support/browser';
import { eventually } from '../support/eventually';
import { payloadOf } from '../support/events';
import { FAILURE, jobLifecycle, SUCCESS } from '../support/lifecycle';
import { cli, postSigned, startStack, type StackProcess } from '../support/local-stack';
import { LineWatcher, ROOT } from '../support/processes';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { localQueueUrls, localSqsClient } from '../../lib/local/local-stack-facts';

/**
 * The dashboard `npm start` serves, in headless Chromium (Debian's, driven by playwright-core):
 * pages, filters in the URL, a job's page, live refresh, accessibility, and nothing from
 * another host.
 */
const secret = randomBytes(16).toString('hex');
const tenant = `dash-${randomBytes(3).toString('hex')}`;
const other = `${tenant}-other`;
const failedRoot = `${tenant}/flows/f/jobs/failed`;
const doneRoot = `${tenant}/flows/f/jobs/done`;
/** A tenant with 60 jobs (every tenth failed), 3 discover states and 2 connections. */
const sixty = `${tenant}-sixty`;
const sixtyId = (i: number) => `SIXTY-${String(i).padStart(2, '0')}`;
const sixtyFailed = (i: number) => i % 10 === 3;
let dataDir: string;
let stack: StackProcess;
let browser: Browser;
let base: string;

async function post(kind: 'jobs' | 'discover' | 'connections', payload: Record<string, unknown>) {
  expect(await postSigned(stack, kind, payload, secret)).toBe(202);
}

async function jobsOf(t: string): Promise<{ s3_root: string; status: string }[]> {
  return (await fetch(`${base}api/jobs?tenant=${t}`)).json() as Promise<
    { s3_root: string; status: string }[]
  >;
}

/** The sixty tenant's events, sent at once (their test waits for them to be stored). */
async function postSixty(): Promise<void> {
  const first = Date.now() - 3 * 3_600_000;
  const jobs = Array.from({ length: 60 }, (_, i) => {
    const [event] = jobLifecycle([sixtyFailed(i) ? 'SYNC_FAILED' : 'JOB_CREATED'], {
      s3Root: `${sixty}/flows/f/jobs/${i}`,
      tenant: sixty,
      start: new Date(first + i * 60_000),
    });
    return {
      ...event,
      job_id: sixtyId(i),
      // A failed job's error: the list shows its first line that is not blank.
      ...(sixtyFailed(i) && {
        error: `\nTap ${sixtyId(i)} refused the token\nTraceback (most recent call last):`,
      }),
    };
  });
  const states = ['a', 'b', 'c'].map((c) =>
    payloadOf('discover', { tenant: sixty, connector: `disc-${c}` }),
  );
  const connections = ['a', 'b'].map((c) =>
    payloadOf('connections', { tenant: sixty, connector: `conn-${c}` }),
  );
  await Promise.all([
    ...jobs.map((j) => post('jobs', j)),
    ...states.map((d) => post('discover', d)),
    ...connections.map((c) => post('connections', c)),
  ]);
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'hgw-dashboard-'));
  [stack, browser] = await Promise.all([
    startStack(dataDir, { WEBHOOK_SECRET: secret }),
    launchChromium(),
  ]);
  base = stack.info.dashboardUrl;
  const sixtySent = postSixty();
  const start = new Date(Date.now() - 30 * 60_000);
  for (const p of jobLifecycle(FAILURE, { s3Root: failedRoot, tenant, start }))
    await post('jobs', { ...p, job_id: 'FAILEDJOB' });
  for (const p of jobLifecycle(SUCCESS, { s3Root: doneRoot, tenant, start }))
    await post('jobs', { ...p, job_id: 'DONEJOB' });
  for (const p of jobLifecycle(['JOB_CREATED'], { s3Root: `${other}/job`, tenant: other, start }))
    await post('jobs', p);
  await post('discover', payloadOf('discover', { tenant, status: 'DISCOVER_FAILED' }));
  await post('connections', payloadOf('connections', { tenant }));
  await eventually(async () => {
    const jobs = await jobsOf(tenant);
    return jobs
      .map((j) => j.status)
      .sort()
      .join() === 'JOB_COMPLETED,SYNC_FAILED'
      ? true
      : undefined;
  }, 'the jobs to be stored');
  await sixtySent;
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (stack?.child.exitCode === null) await stack.stop();
  await rm(dataDir, { recursive: true, force: true });
});

/**
 * The browser contexts the tests open their pages in: one plain, one that lets axe in (see
 * axeViolations). A context costs about 0.65 s of Chromium's CPU more than a page; the dashboard
 * keeps nothing in storage and answers `no-store`, so pages of one context see what pages of
 * their own would.
 */
const contexts = new Map<boolean, Promise<BrowserContext>>();
const contextFor = (bypassCSP: boolean): Promise<BrowserContext> => {
  let context = contexts.get(bypassCSP);
  if (context === undefined) {
    context = browser.newContext({ bypassCSP });
    contexts.set(bypassCSP, context);
    // One that failed to open is not kept: the next test opens its own, and fails on its own.
    context.catch(() => contexts.delete(bypassCSP));
  }
  return context;
};

/** A page that records every request it makes (and with `weigh`, every byte it receives). */
async function open(
  path: string,
  viewport = { width: 1280, height: 900 },
  bypassCSP = false,
  /** Adds up the bodies of the page's responses (each one read back from the browser: costly). */
  weigh = false,
) {
  const page = await (await contextFor(bypassCSP)).newPage();
  await page.setViewportSize(viewport);
  const requests: string[] = [];
  let bytes = 0;
  page.on('request', (r) => void requests.push(r.url()));
  if (weigh)
    page.on('response', (r) => {
      void r.body().then(
        (b) => (bytes += b.length),
        () => undefined,
      );
    });
  await page.goto(new URL(path, base).toString());
  return { page, requests, bytes: () => bytes, close: () => page.close() };
}

/** The text of each row of the page's main table (the last table on the page). */
const rows = (page: Page) => page.locator('main table').last().locator('tbody tr').allInnerTexts();

/**
 * The list's count line once it says `text` ("50 of 60 jobs"); if it never does, what the count
 * line, the status line and the address said instead.
 */
const countSays = (page: Page, text: string) =>
  page
    .locator('main p.count')
    .filter({ hasText: new RegExp(`^${text}$`) })
    .waitFor()
    .catch(async (error: unknown) => {
      const said = async (selector: string) =>
        page
          .locator(selector)
          .first()
          .textContent({ timeout: 1_000 })
          .catch(() => null);
      throw new Error(
        `the count line never said "${text}": it said ${JSON.stringify(await said('main p.count'))}, the status line ${JSON.stringify(await said('p.status'))}, at ${page.url()}`,
        { cause: error },
      );
    });

/**
 * Every word of the page's headings, labels, links and table cells (but free text) that is laid
 * out over more than one line: none should be, at any width.
 */
const brokenWords = (page: Page): Promise<string[]> =>
  // A string: the project's types have no DOM.
  page.evaluate(`(() => {
    const broken = [];
    const selector =
      'main h1, main h2, main caption, main summary, main th, main td:not(.wrap), main label, main .count, main .pager, main .legend, header';
    for (const element of document.querySelectorAll(selector)) {
      const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node !== null; node = walker.nextNode()) {
        for (const word of node.textContent.matchAll(/\\S+/g)) {
          const range = document.createRange();
          range.setStart(node, word.index);
          range.setEnd(node, word.index + word[0].length);
          const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.bottom)));
          if (lines.size > 1) broken.push(word[0]);
        }
      }
    }
    return broken;
  })()`);

/** Forces a refresh at once: the page fetches when its tab is shown again after being hidden. */
const refreshNow = (page: Page) =>
  page.evaluate(() => {
    const g = globalThis as unknown as {
      document: { dispatchEvent(e: unknown): void };
      Event: new (type: string) => unknown;
    };
    for (const state of ['hidden', 'visible']) {
      Object.defineProperty(g.document, 'visibilityState', {
        configurable: true,
        get: () => state,
      });
      g.document.dispatchEvent(new g.Event('visibilitychange'));
    }
  });

describe('hotglue-webhooks dashboard', () => {
  it('documents --stage, and serves the same dashboard on its own port', async () => {
    const help = await cli(['dashboard', '--help'], { DATA_DIR: dataDir });
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--stage NAME\s+a deployed stage/);
    const child = spawn(
      process.execPath,
      [join(ROOT, 'bin', 'hotglue-webhooks.js'), 'dashboard', '--port', '0'],
      { cwd: ROOT, env: { ...process.env, DATA_DIR: dataDir, WEBHOOK_SECRET: '' } },
    );
    const output = new LineWatcher(child);
    try {
      const line = await output.waitFor((l) => l.startsWith('dashboard: '), {
        after: 0,
        what: 'the dashboard URL',
      });
      const url = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(line)?.[1] ?? '';
      const own = await (await fetch(`${url}api/jobs?tenant=${tenant}`)).json();
      expect(own).toEqual(await jobsOf(tenant));
      const page = await fetch(url);
      expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
      expect(await page.text()).toContain('/assets/app.js');
    } finally {
      child.kill('SIGINT');
    }
  }, 60_000);
});

describe('the dashboard in Chromium', () => {
  it('shows the jobs, filters them from the URL, and links to a job’s page with its error and timeline', async () => {
    const all = await open('/', undefined, false, true);
    try {
      await all.page.getByRole('link', { name: 'FAILEDJOB' }).waitFor();
      const text = (await rows(all.page)).join('\n');
      expect(text).toContain('FAILEDJOB');
      expect(text).toContain('DONEJOB');
      expect(text).toContain(other);
      await screenshot(all.page, 'jobs');

      // Only the assets of this server, nothing from another host; a light page.
      expect(all.requests.filter((u) => !u.startsWith(base))).toEqual([]);
      await eventually(async () => (all.bytes() > 0 ? true : undefined), 'the page weight');
      expect(all.bytes()).toBeLessThan(200 * 1024);
    } finally {
      await all.close();
    }

    const ofTenant = await open(`/?tenant=${tenant}`);
    try {
      await ofTenant.page.getByRole('link', { name: 'DONEJOB' }).waitFor();
      const shown = await rows(ofTenant.page);
      expect(shown).toHaveLength(2);
      for (const row of shown) expect(row).toContain(tenant);
      expect(shown.join('\n')).not.toContain(other);
      // The filter form shows what the URL asks.
      expect(await ofTenant.page.getByLabel('Tenant').inputValue()).toBe(tenant);
    } finally {
      await ofTenant.close();
    }

    const failed = await open(`/?tenant=${tenant}&status=failed`);
    try {
      await failed.page.getByRole('link', { name: 'FAILEDJOB' }).waitFor();
      const shown = await rows(failed.page);
      expect(shown).toHaveLength(1);
      expect(shown[0]).toContain('SYNC_FAILED');
      await failed.page.getByRole('link', { name: 'FAILEDJOB' }).click();
      await failed.page.waitForURL(`**/jobs/${encodeURIComponent(failedRoot)}`);
      await failed.page.getByRole('heading', { name: /Job FAILEDJOB/ }).waitFor();
      await failed.page.locator('main table tbody tr').first().waitFor();
      const timeline = await rows(failed.page);
      expect(timeline.map((r) => FAILURE.find((s) => r.includes(s)))).toEqual(FAILURE);
      expect(await failed.page.locator('main').innerText()).toContain(
        'SYNC_FAILED: connection reset',
      );
      await screenshot(failed.page, 'job');
    } finally {
      await failed.close();
    }
  }, 60_000);

  it('applies the filter form without a reload, keeping the filters in the URL', async () => {
    const view = await open('/');
    try {
      await view.page.getByRole('link', { name: 'FAILEDJOB' }).waitFor();
      await view.page.evaluate(() => {
        (globalThis as unknown as { loadedOnce: boolean }).loadedOnce = true;
      });
      await view.page.getByLabel('Tenant').fill(tenant);
      await view.page.getByLabel('Status').selectOption('completed');
      await view.page.getByRole('button', { name: 'Apply' }).click();
      await view.page.waitForURL(`**/?tenant=${tenant}&status=completed`);
      await eventually(
        async () => ((await rows(view.page)).length === 1 ? true : undefined),
        'one row',
      );
      expect((await rows(view.page))[0]).toContain('DONEJOB');
      // Same document: no reload happened.
      expect(
        await view.page.evaluate(
          () => (globalThis as unknown as { loadedOnce?: boolean }).loadedOnce,
        ),
      ).toBe(true);
    } finally {
      await view.close();
    }
  }, 60_000);

  it('refreshes by itself: an event sent after the page loaded appears without a reload', async () => {
    const late = `${tenant}-late`;
    const view = await open(`/?tenant=${late}`);
    try {
      await view.page.getByText('No jobs match these filters.').waitFor();
      await view.page.evaluate(() => {
        (globalThis as unknown as { loadedOnce: boolean }).loadedOnce = true;
      });
      const [created] = jobLifecycle(['JOB_CREATED'], { s3Root: `${late}/job`, tenant: late });
      await post('jobs', { ...created, job_id: 'LATEJOB' });
      await view.page.getByRole('link', { name: 'LATEJOB' }).waitFor({ timeout: 20_000 });
      expect(
        await view.page.evaluate(
          () => (globalThis as unknown as { loadedOnce?: boolean }).loadedOnce,
        ),
      ).toBe(true);
      expect(new URL(view.page.url()).search).toBe(`?tenant=${late}`);
    } finally {
      await view.close();
    }
  }, 60_000);

  it('refreshes a deployed stage every 30 s, the local stack every 4 s', async () => {
    const page = await (await contextFor(false)).newPage();
    try {
      // The page as `dashboard --stage prod` serves it: /api/about names the stage.
      await page.route('**/api/about', (route) =>
        route.fulfill({ json: { stage: 'prod', local: false } }),
      );
      await page.goto(new URL('/', base).toString());
      await page.getByRole('status').filter({ hasText: 'refreshes every 30 s' }).waitFor();
      await page.getByText('stage prod').waitFor();
      await page.unroute('**/api/about');
      await page.reload();
      await page.getByRole('status').filter({ hasText: 'refreshes every 4 s' }).waitFor();
    } finally {
      await page.close();
    }
  }, 60_000);

  it('charts the last 24 hours per hour, with a text alternative, and lists an hour’s jobs on a click', async () => {
    const job = (await (
      await fetch(`${base}v1/jobs/${encodeURIComponent(failedRoot)}`)
    ).json()) as {
      started_at: string;
    };
    const hour = new Date(Math.floor(Date.parse(job.started_at) / 3_600_000) * 3_600_000);
    const view = await open(`/?tenant=${tenant}`, { width: 1280, height: 900 }, true);
    try {
      const chart = view.page.getByRole('img', { name: /Completed and failed jobs per hour/ });
      await chart.waitFor();
      expect(await chart.evaluate((e) => e.tagName.toLowerCase())).toBe('svg');
      // The description says the totals; the table under it has each hour's numbers.
      expect(await chart.evaluate((e) => e.querySelector('desc')?.textContent)).toMatch(
        /^1 completed and 1 failed/,
      );
      const row = view.page.locator('figure.hours table tbody tr').filter({
        hasText: `${hour.toISOString().slice(0, 10)} ${hour.toISOString().slice(11, 13)}:00`,
      });
      expect(await row.locator('td').allTextContents()).toEqual([
        expect.stringContaining(hour.toISOString().slice(0, 10)),
        '1',
        '1',
      ]);
      expect(await view.page.locator('figure.hours table tbody tr').count()).toBeGreaterThanOrEqual(
        24,
      );
      // A y scale from 0 past the tallest bar, a legend in the bars' colours, every x label whole.
      const drawn = await chart.evaluate((svg) => {
        const e = svg as unknown as {
          querySelectorAll(
            s: string,
          ): { textContent: string | null; getBBox(): { x: number; width: number } }[];
          viewBox: { baseVal: { width: number } };
        };
        const style = globalThis as unknown as { getComputedStyle(e: unknown): { fill: string } };
        return {
          ticks: [...e.querySelectorAll('.y-scale text')].map((t) => Number(t.textContent)),
          labels: [...e.querySelectorAll('text.axis:not(.y-scale text)')].map((t) => t.textContent),
          clipped: [...e.querySelectorAll('text')].filter((t) => {
            const box = t.getBBox();
            return box.x < 0 || box.x + box.width > e.viewBox.baseVal.width;
          }).length,
          fills: ['.completed', '.failed'].map(
            (c) => style.getComputedStyle(e.querySelectorAll(`.bucket ${c}`)[0]).fill,
          ),
        };
      });
      expect(drawn.ticks[0]).toBe(0);
      expect(drawn.ticks.length).toBeGreaterThanOrEqual(2);
      expect(drawn.ticks).toEqual([...drawn.ticks].sort((a, b) => a - b));
      const tallest = Math.max(
        ...(await view.page
          .locator('figure.hours tbody tr')
          .evaluateAll((trs) =>
            trs.map((tr) =>
              [...(tr as unknown as { cells: { textContent: string }[] }).cells]
                .slice(1)
                .reduce((n, td) => n + Number(td.textContent), 0),
            ),
          )),
      );
      expect(tallest).toBeGreaterThanOrEqual(1);
      expect(drawn.ticks.at(-1)).toBeGreaterThanOrEqual(tallest);
      expect(drawn.labels.length).toBeGreaterThanOrEqual(4);
      for (const l of drawn.labels) expect(l).toMatch(/^\d\d:00$/);
      expect(drawn.clipped).toBe(0);
      const legend = view.page.locator('figure.hours .legend li');
      expect(await legend.allInnerTexts()).toEqual(['Completed', 'Failed']);
      expect(
        await legend.locator('.swatch').evaluateAll((swatches) =>
          swatches.map(
            (e) =>
              (
                globalThis as unknown as {
                  getComputedStyle(e: unknown): { backgroundColor: string };
                }
              ).getComputedStyle(e).backgroundColor,
          ),
        ),
      ).toEqual(drawn.fills);
      // The hour table stays open across a refresh, which draws the chart again.
      await view.page.getByText('The numbers, hour by hour').click();
      await view.page.locator('figure.hours').evaluate((e) => e.setAttribute('data-old', ''));
      await refreshNow(view.page);
      await view.page.locator('figure.hours:not([data-old])').waitFor();
      expect(await view.page.locator('figure.hours details').getAttribute('open')).toBe('');
      expect(await view.page.locator('figure.hours tbody tr').first().isVisible()).toBe(true);
      // The last 7 days, per day: read once, when opened.
      await view.page.getByText('The last 7 days, per day').click();
      const week = view.page.getByRole('img', { name: /per day of their start, last 7 days/ });
      await week.waitFor();
      const today = view.page
        .locator('figure.days table tbody tr')
        .filter({ hasText: hour.toISOString().slice(0, 10) });
      expect(await today.locator('td').allTextContents()).toEqual([
        hour.toISOString().slice(0, 10),
        '1',
        '1',
      ]);
      expect(await view.page.locator('figure.days table tbody tr').count()).toBeLessThanOrEqual(8);
      // Both charts, the week's open, pass axe.
      const violations = await axeViolations(view.page);
      expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual(
        [],
      );
      await view.page.locator(`svg [data-start="${hour.toISOString()}"] .hit`).click();
      await view.page.waitForURL(/until=/);
      const url = new URL(view.page.url());
      expect(url.searchParams.get('since')).toBe(hour.toISOString());
      expect(url.searchParams.get('tenant')).toBe(tenant);
      await eventually(async () => {
        const listed = (await rows(view.page)).join('\n');
        return listed.includes('FAILEDJOB') && listed.includes('DONEJOB') ? true : undefined;
      }, 'the hour’s jobs in the list');
      // The hour listed is marked on the chart and in its table: only it.
      const marked = view.page.locator('figure.hours svg .bucket.selected');
      await marked.waitFor();
      expect(await marked.getAttribute('data-start')).toBe(hour.toISOString());
      expect(await view.page.locator('figure.hours svg .selected').count()).toBe(1);
      expect(
        await marked
          .locator('.mark')
          .evaluate(
            (e) =>
              (
                globalThis as unknown as { getComputedStyle(e: unknown): { fill: string } }
              ).getComputedStyle(e).fill,
          ),
      ).toBe('rgb(255, 241, 184)');
      expect(
        await view.page.locator('figure.hours tr[aria-current="true"]').textContent(),
      ).toContain(`${hour.toISOString().slice(0, 10)} ${hour.toISOString().slice(11, 13)}:00`);
    } finally {
      await view.close();
    }
  }, 60_000);

  it('counts a list and pages it by keyset: a tenant’s 60 jobs are 50 of 60, then the other 10, with each failed job’s error', async () => {
    await eventually(async () => {
      const [listed, discover, linked] = await Promise.all(
        [
          `jobs?tenant=${sixty}&limit=100`,
          `discover?tenant=${sixty}`,
          `connections?tenant=${sixty}`,
        ].map(
          async (path) =>
            ((await (await fetch(`${base}v1/${path}`)).json()) as { items: unknown[] }).items
              .length,
        ),
      );
      return listed === 60 && discover === 3 && linked === 2 ? true : undefined;
    }, 'the 60 jobs, 3 discover states and 2 connections to be stored');
    // Counted in the tenant index; a tenant's failed jobs by reading its records: both exact.
    expect(await (await fetch(`${base}api/count/jobs?tenant=${sixty}`)).json()).toEqual({
      count: 60,
      exact: true,
    });
    expect(
      await (await fetch(`${base}api/count/jobs?tenant=${sixty}&status=failed`)).json(),
    ).toEqual({
      count: 6,
      exact: true,
    });

    const view = await open(`/?tenant=${sixty}`);
    try {
      await countSays(view.page, '50 of 60 jobs');
      const firstPage = await rows(view.page);
      expect(firstPage).toHaveLength(50);
      expect(firstPage[0]).toContain(sixtyId(59));
      // A failed job's error, its first line (not blank) only; no error for the others.
      const row = (i: number) => firstPage.find((r) => r.includes(sixtyId(i))) ?? '';
      expect(row(53)).toContain(`Tap ${sixtyId(53)} refused the token`);
      expect(row(53)).not.toContain('Traceback');
      expect(row(54)).not.toContain('refused');
      expect(await view.page.getByRole('link', { name: 'First page' }).count()).toBe(0);
      await view.page.getByRole('link', { name: 'Next page' }).click();
      await view.page.waitForURL(/cursor=/);
      await countSays(view.page, '51–60 of 60 jobs');
      const secondPage = await rows(view.page);
      expect(secondPage).toHaveLength(10);
      const ids = (page: string[]) => page.map((r) => /SIXTY-\d\d/.exec(r)?.[0]);
      expect([...ids(firstPage), ...ids(secondPage)]).toEqual(
        Array.from({ length: 60 }, (_, i) => sixtyId(59 - i)),
      );
      expect(secondPage.join('\n')).toContain(`Tap ${sixtyId(3)} refused the token`);
      expect(await view.page.getByRole('link', { name: 'Next page' }).count()).toBe(0);
      // The second page stays the second page on refresh (its cursor is in the URL).
      const fetched = view.requests.filter((r) => r.includes('/v1/jobs?')).length;
      const counted = view.requests.filter((r) => r.includes('/api/count/')).length;
      // A refresh that changes nothing keeps the links it drew: a click on one is not lost.
      const firstLink = await view.page.getByRole('link', { name: 'First page' }).elementHandle();
      await view.page.evaluate("document.querySelector('p.status').textContent = 'marked'");
      // (the tab hidden, then shown: "Paused …", then "Updated …" once the refresh is drawn)
      await refreshNow(view.page);
      await eventually(
        async () =>
          view.requests.filter((r) => r.includes('/v1/jobs?')).length > fetched ? true : undefined,
        'a refresh',
      );
      await eventually(
        async () =>
          (await view.page.evaluate(
            "document.querySelector('p.status').textContent.startsWith('Updated')",
          ))
            ? true
            : undefined,
        'the refresh to be drawn',
      );
      expect(
        await firstLink?.evaluate((a) => (a as unknown as { isConnected: boolean }).isConnected),
      ).toBe(true);
      await countSays(view.page, '51–60 of 60 jobs');
      // A refresh keeps the count (it is asked again when the filters change, or after a minute).
      expect(view.requests.filter((r) => r.includes('/api/count/')).length).toBe(counted);
      await view.page.getByRole('link', { name: 'First page' }).click();
      await countSays(view.page, '50 of 60 jobs');
    } finally {
      await view.close();
    }

    // The discover and connections pages count and page the same way.
    for (const [path, noun, total] of [
      ['discover', 'discover states', 3],
      ['connections', 'connections', 2],
    ] as const) {
      const list = await open(`/${path}?tenant=${sixty}&limit=${total - 1}`);
      try {
        await countSays(list.page, `${total - 1} of ${total} ${noun}`);
        await list.page.getByRole('link', { name: 'Next page' }).click();
        await countSays(list.page, `${total}–${total} of ${total} ${noun}`);
        expect(await rows(list.page)).toHaveLength(1);
      } finally {
        await list.close();
      }
    }
  }, 60_000);

  it('says one clear thing of an unknown job, whole at 390 px', async () => {
    const view = await open('/jobs/no-such-job-here', { width: 390, height: 844 });
    try {
      await view.page.getByRole('heading', { name: 'No such job', level: 1 }).waitFor();
      await view.page.getByRole('status').filter({ hasText: 'Updated' }).waitFor();
      expect(await view.page.locator('main').innerText()).toMatch(
        /^← All jobs\s+No such job\s+No job has the s3_root or job_id “no-such-job-here”\./,
      );
      expect(await view.page.locator('main h2, main table, main dl').count()).toBe(0);
      expect(await view.page.locator('.status.error').count()).toBe(0);
      expect(await brokenWords(view.page)).toEqual([]);
    } finally {
      await view.close();
    }
  }, 60_000);

  it('stops fetching while the tab is hidden, and fetches at once when it is shown again', async () => {
    const view = await open(`/?tenant=${tenant}`);
    try {
      await view.page.getByRole('status').filter({ hasText: 'Updated' }).waitFor();
      const setVisibility = (state: 'hidden' | 'visible') =>
        view.page.evaluate((s) => {
          const g = globalThis as unknown as {
            document: { dispatchEvent(e: unknown): void };
            Event: new (type: string) => unknown;
          };
          Object.defineProperty(g.document, 'visibilityState', {
            configurable: true,
            get: () => s,
          });
          g.document.dispatchEvent(new g.Event('visibilitychange'));
        }, state);
      await setVisibility('hidden');
      await view.page
        .getByRole('status')
        .filter({ hasText: 'Paused while this tab is hidden' })
        .waitFor();
      const fetches = () => view.requests.filter((r) => r.includes('/v1/jobs?')).length;
      const before = fetches();
      await setVisibility('visible');
      await view.page.getByRole('status').filter({ hasText: 'Updated' }).waitFor();
      await eventually(async () => (fetches() > before ? true : undefined), 'a fetch on showing');
    } finally {
      await view.close();
    }
  }, 60_000);

  it.each([
    ['/', 'jobs'],
    [`/jobs/${encodeURIComponent(failedRoot)}`, 'job'],
    ['/discover', 'discover'],
    ['/connections', 'connections'],
    ['/queues', 'queues'],
    ['/notifications', 'notifications'],
  ])(
    'has no serious or critical accessibility violations on %s',
    async (path, name) => {
      const page = await (await contextFor(true)).newPage();
      try {
        await page.goto(new URL(path, base).toString());
        await page.locator('main table tbody tr').first().waitFor();
        await page.getByRole('status').filter({ hasText: 'Updated' }).waitFor();
        const violations = await axeViolations(page);
        expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual(
          [],
        );
        if (name !== 'jobs' && name !== 'job') await screenshot(page, name);
      } finally {
        await page.close();
      }
    },
    60_000,
  );

  it('is usable at 390 px: no word of a heading or an id broken, nothing wider than the screen but the tables’ own scroll', async () => {
    for (const path of [
      '/',
      `/jobs/${encodeURIComponent(failedRoot)}`,
      '/queues',
      '/connections',
    ]) {
      const view = await open(path, { width: 390, height: 844 });
      try {
        await view.page.getByRole('status').filter({ hasText: 'Updated' }).waitFor();
        const layout = await view.page.evaluate(() => {
          const d = (
            globalThis as unknown as {
              document: {
                documentElement: { scrollWidth: number };
                querySelectorAll(s: string): { scrollWidth: number; clientWidth: number }[];
              };
            }
          ).document;
          const g = globalThis as unknown as {
            getComputedStyle(e: unknown): { overflowX: string };
          };
          return {
            width: d.documentElement.scrollWidth,
            // A table wider than its box scrolls inside it.
            spilling: [...d.querySelectorAll('main table')].filter(
              (t) => t.scrollWidth > t.clientWidth && g.getComputedStyle(t).overflowX !== 'auto',
            ).length,
          };
        });
        expect({ path, ...layout }).toEqual({ path, width: expect.any(Number), spilling: 0 });
        expect(layout.width).toBeLessThanOrEqual(390);
        expect({ path, broken: await brokenWords(view.page) }).toEqual({ path, broken: [] });
        if (path === '/') {
          // The chart's labels stay whole at this width too.
          const clipped = await view.page.locator('figure.hours svg').evaluate((svg) => {
            const e = svg as unknown as {
              querySelectorAll(s: string): { getBBox(): { x: number; width: number } }[];
            };
            return [...e.querySelectorAll('text')].filter((t) => {
              const box = t.getBBox();
              return box.x < 0 || box.x + box.width > 720;
            }).length;
          });
          expect(clipped).toBe(0);
          await screenshot(view.page, 'jobs-390px');
        }
      } finally {
        await view.close();
      }
    }
  }, 60_000);

  it('lists the notifications the stack sent, linking each job’s to its page', async () => {
    const view = await open('/notifications');
    try {
      await view.page.getByRole('link', { name: 'FAILEDJOB' }).waitFor();
      const text = (await rows(view.page)).join('\n');
      expect(text).toContain('Job Failed');
      expect(text).toContain('Job Completed');
      expect(text).toContain('Discover Failed');
    } finally {
      await view.close();
    }
  }, 60_000);

  it('serves the queues page from /api/queues, with why each dead letter is there and the command that redrives each DLQ', async () => {
    // A message that is no event: its consumer sends it to the jobs DLQ at once, with why.
    const sqs = localSqsClient(stack.info.sqsEndpoint, stack.info.region, stack.info.accessKeyId);
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: localQueueUrls(stack.info, 'jobs').source,
        MessageBody: 'garbage, not an envelope',
        MessageGroupId: 'dashboard-garbage',
        MessageDeduplicationId: 'dashboard-garbage',
      }),
    );
    sqs.destroy();
    const view = await open('/queues');
    try {
      await view.page.getByText('npx hotglue-webhooks dlq redrive --kind jobs').waitFor();
      await view.page.getByText('message body is not JSON').waitFor();
      const api = await fetch(`${base}api/queues`);
      expect(api.headers.get('content-type')).toMatch(/^application\/json/);
      const queues = (await api.json()) as {
        kind: string;
        deadLetter: { messages: number };
        letters?: { reason: string }[];
      }[];
      expect(queues.map((q) => q.kind)).toEqual(['jobs', 'discover', 'connections']);
      expect(queues[0]?.letters?.map((l) => l.reason)).toEqual(['message body is not JSON']);
      const byTenant = await fetch(`${base}api/jobs?tenant=${tenant}`);
      expect(byTenant.headers.get('content-type')).toMatch(/^application\/json/);
      expect(((await byTenant.json()) as unknown[]).length).toBe(2);
      // The job's own API, by its url-encoded s3_root, as its page uses it.
      const job = await fetch(`${base}api/jobs/${encodeURIComponent(failedRoot)}`);
      expect(((await job.json()) as { s3_root: string }).s3_root).toBe(failedRoot);
    } finally {
      await view.close();
    }
  }, 60_000);

  it('links a connection to its history, a page at a time, without refreshing it on a timer', async () => {
    const connector = `hist-${randomBytes(3).toString('hex')}`;
    const at = (i: number) => new Date(Date.UTC(2026, 10, 1, 9, i)).toISOString();
    for (let i = 0; i < 55; i += 1)
      await post(
        'connections',
        payloadOf('connections', {
          tenant,
          connector,
          event: i % 2 === 0 ? 'LINK' : 'UNLINK',
          event_id: `${connector}-${String(i).padStart(2, '0')}`,
          timestamp: at(i),
        }),
      );
    await eventually(async () => {
      const list = (await (await fetch(`${base}api/connections?tenant=${tenant}`)).json()) as {
        connector: string;
        event_count: number;
      }[];
      return list.find((c) => c.connector === connector)?.event_count === 55 ? true : undefined;
    }, 'the 55 connection events to be stored');
    // CSP bypassed only so that axe can be injected.
    const view = await open(`/connections?tenant=${tenant}`, undefined, true);
    try {
      const row = view.page.locator('main table tbody tr', { hasText: connector });
      await row.getByRole('link', { name: 'History' }).click();
      await view.page.getByRole('status').filter({ hasText: 'Updated' }).waitFor();
      const first = await rows(view.page);
      expect(first).toHaveLength(50);
      expect(first[0]).toContain(`${connector}-54`);
      const violations = await axeViolations(view.page);
      expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual(
        [],
      );
      const requests = view.requests.filter((r) => r.includes('/v1/connections/history')).length;
      await view.page.getByRole('link', { name: 'Older events' }).click();
      await view.page.getByRole('status').filter({ hasText: 'Updated' }).waitFor();
      const second = await rows(view.page);
      expect(second).toHaveLength(5);
      expect(second.at(-1)).toContain(`${connector}-00`);
      expect(await view.page.getByRole('link', { name: 'Older events' }).count()).toBe(0);
      // One read per page shown: the history is not fetched again on a timer.
      expect(view.requests.filter((r) => r.includes('/v1/connections/history'))).toHaveLength(
        requests + 1,
      );
    } finally {
      await view.close();
    }
  }, 90_000);
});
