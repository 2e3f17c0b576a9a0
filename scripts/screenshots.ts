import '../lib/config/quiet-warnings';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import type { Kind } from '../lib/webhook/kinds';
import { launchChromium } from '../test/support/browser';
import { eventually } from '../test/support/eventually';
import { hmacHex, payloadOf } from '../test/support/events';
import { FAILURE, jobLifecycle, SUCCESS } from '../test/support/lifecycle';
import { startStackChild } from '../test/support/stack-process';

/**
 * `npm run screenshots`: the dashboard's pictures in docs/images, taken again. Starts a fresh
 * local stack (free ports, a temporary data folder), sends it the events of a few tenants' jobs,
 * discover states and connections over the last day, and shoots the pages in Debian's Chromium
 * (driven by playwright-core, as the browser tests do).
 */

const IMAGES = resolve(__dirname, '..', 'docs', 'images');
const HOUR = 3_600_000;

/** One tenant's jobs: how many of each ending, started over the last `hours`. */
const TENANTS = [
  { tenant: 'acme', flow: 'salesforce-sync', completed: 14, failed: 3, running: 2, hours: 22 },
  { tenant: 'globex', flow: 'hubspot-sync', completed: 9, failed: 0, running: 1, hours: 18 },
  { tenant: 'initech', flow: 'netsuite-export', completed: 4, failed: 5, running: 0, hours: 12 },
];

/** hotglue's error of a failed sync: a first line, then the traceback. */
const ERROR = (tenant: string) =>
  `Tap salesforce refused the credentials of ${tenant}: 401 INVALID_SESSION_ID\nTraceback (most recent call last):\n  File "tap_salesforce/client.py", line 212, in request`;

function events(): [Kind, Record<string, unknown>][] {
  const now = Date.now();
  const out: [Kind, Record<string, unknown>][] = [];
  for (const t of TENANTS) {
    const endings = [
      ...Array<string[]>(t.completed).fill(SUCCESS),
      ...Array<string[]>(t.failed).fill(FAILURE),
      ...Array<string[]>(t.running).fill(['JOB_CREATED', 'SYNC_STARTED']),
    ];
    endings.forEach((statuses, i) => {
      // Spread over the hours, the running ones the newest.
      const start = new Date(now - t.hours * HOUR + ((i + 0.5) / endings.length) * t.hours * HOUR);
      const s3Root = `${t.tenant}/flows/${t.flow}/jobs/${start.toISOString().slice(0, 16)}`;
      for (const payload of jobLifecycle(statuses, {
        s3Root,
        tenant: t.tenant,
        flow: t.flow,
        start,
      }))
        out.push([
          'jobs',
          {
            ...payload,
            job_id: `${t.tenant.slice(0, 3).toUpperCase()}-${String(i + 1).padStart(3, '0')}`,
            ...(payload.error !== null && { error: ERROR(t.tenant) }),
          },
        ]);
    });
    for (const [connector, status] of [
      ['salesforce', 'DISCOVER_SUCCESS'],
      ['hubspot', t.failed > 0 ? 'DISCOVER_FAILED' : 'DISCOVER_SUCCESS'],
    ])
      out.push([
        'discover',
        payloadOf('discover', { tenant: t.tenant, flow_id: t.flow, connector, status }),
      ]);
    out.push([
      'connections',
      payloadOf('connections', { tenant: t.tenant, flow_id: t.flow, connector: 'salesforce' }),
    ]);
  }
  return out;
}

/** Opens `path` at `width`, waits for its data, and saves it as docs/images/<name>.png. */
async function shoot(
  open: (width: number) => Promise<Page>,
  base: string,
  path: string,
  name: string,
  width = 1280,
): Promise<void> {
  const page = await open(width);
  try {
    await page.goto(new URL(path, base).toString());
    await page.getByRole('status').filter({ hasText: 'Updated' }).waitFor();
    await page.screenshot({ path: join(IMAGES, `${name}.png`), fullPage: true });
    console.log(`docs/images/${name}.png`);
  } finally {
    await page.context().close();
  }
}

async function main(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'hgw-screenshots-'));
  const secret = randomBytes(16).toString('hex');
  const stack = await startStackChild(dataDir, { WEBHOOK_SECRET: secret });
  const browser = await launchChromium();
  try {
    const all = events();
    for (const [kind, payload] of all) {
      const body = JSON.stringify(payload);
      const answer = await fetch(stack.info.webhookUrls[kind], {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', 'x-hub-signature': hmacHex(secret, body) },
      });
      if (answer.status !== 202) throw new Error(`${kind} event answered ${answer.status}`);
    }
    const base = stack.info.dashboardUrl;
    const jobs = TENANTS.reduce((n, t) => n + t.completed + t.failed + t.running, 0);
    await eventually(
      async () => {
        const answer = (await (await fetch(`${base}api/summary`)).json()) as {
          byClass: Record<string, number>;
        };
        const c = answer.byClass;
        const failed = TENANTS.reduce((n, t) => n + t.failed, 0);
        return (c.completed ?? 0) + (c.failed ?? 0) + (c.running ?? 0) === jobs &&
          c.failed === failed
          ? true
          : undefined;
      },
      'the events to be stored',
      { timeoutMs: 120_000 },
    );
    await mkdir(IMAGES, { recursive: true });
    const open = async (width: number) =>
      (await browser.newContext({ viewport: { width, height: 900 } })).newPage();
    const failed = (await (await fetch(`${base}v1/jobs?status=failed&limit=1`)).json()) as {
      items: { s3_root: string }[];
    };
    const failedJob = `/jobs/${encodeURIComponent(failed.items[0]?.s3_root ?? '')}`;
    await shoot(open, base, '/?limit=20', 'dashboard-jobs');
    await shoot(open, base, '/?limit=10', 'dashboard-jobs-390px', 390);
    await shoot(open, base, failedJob, 'dashboard-job');
    await shoot(open, base, '/discover', 'dashboard-discover');
  } finally {
    await browser.close();
    await stack.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
