import '../lib/config/quiet-warnings';
import { writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { benchCliCalls } from './bench/cli-calls';
import { benchColdInit } from './bench/cold-init';
import { ROOT } from './bench/common';
import { costModel, MODEL, PRICES, storageCostPerMonth } from './bench/cost';
import { benchEndToEnd } from './bench/end-to-end';
import { benchHistoryGrowth, benchLocalGrowth } from './bench/history-growth';
import { benchHotEntity } from './bench/hot-entity';
import { benchHotPartition } from './bench/hot-partition';
import { benchHostileEvent } from './bench/hostile-event';
import { benchIngest } from './bench/ingest';
import { benchWriteUnits } from './bench/write-units';
import { benchSsmBurst } from './bench/ssm-burst';
import { benchSummary } from './bench/summary-bench';

async function main(): Promise<void> {
  const only = new Set(process.argv.slice(2).filter((a) => !a.startsWith('-')));
  const want = (k: string) => only.size === 0 || only.has(k);
  const figures: Record<string, unknown> = {
    machine: {
      cpus: cpus().length,
      cpu: cpus()[0]?.model,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      platform: process.platform,
    },
    date: new Date().toISOString(),
  };
  const rows: [string, string, string, string][] = [];
  const ingest = want('a') ? await benchIngest() : undefined;
  if (ingest) {
    figures.a = ingest;
    rows.push([
      '(a) ingest / floor',
      `${ingest.handlerUsPerEvent.toFixed(1)} µs vs ${ingest.floorUsPerEvent.toFixed(1)} µs`,
      ingest.ratio.toFixed(2),
      '≤ 2.0',
    ]);
  }
  if (want('b')) {
    const e2e = await benchEndToEnd(3_000, 16);
    figures.b = e2e;
    rows.push([
      '(b) end to end / dynalite',
      `${e2e.eventsPerSecond.toFixed(0)} ev/s vs ${e2e.dynaliteUpdatesPerSecond.toFixed(0)} upd/s`,
      e2e.ratio.toFixed(2),
      '≥ 0.8',
    ]);
  }
  let worstOverhead = 0;
  if (want('c')) {
    const cold = await benchColdInit();
    figures.c = cold;
    for (const c of cold) {
      worstOverhead = Math.max(worstOverhead, c.coldInitMs);
      rows.push([
        `(c) ${c.function} cold init`,
        `${(c.bundleBytes / 1024).toFixed(0)} KiB; ${c.coldInitMs.toFixed(1)} ms - ${c.bareClientsMs.toFixed(1)} ms clients`,
        `${c.overheadMs.toFixed(1)} ms`,
        '≤ 10 ms',
      ]);
    }
  }
  let wru = 0;
  let marking = { readUnitsPerNotification: 0, writeUnitsPerNotification: 0 };
  if (want('d')) {
    const units = await benchWriteUnits();
    figures.d = units;
    wru = units.jobs.writeUnitsPerEvent;
    marking = units.markSent;
    const label: Record<string, string> = {
      jobs: 'job event (all jobs)',
      jobsOfCompletedJobs: 'job event (completed jobs)',
      jobsOfFailedJobs: 'job event (failed jobs)',
      discover: 'discover event',
      connections: 'connection event',
    };
    const { markSent: marked, ...perKind } = units;
    rows.push([
      '(d) marking a notification sent',
      `${marked.notifications} notifications`,
      `${marked.writeUnitsPerNotification.toFixed(2)} WCU, ${marked.readUnitsPerNotification.toFixed(2)} RCU`,
      '-',
    ]);
    for (const [key, u] of Object.entries(perKind)) {
      rows.push([
        `(d) write units per ${label[key] ?? key}`,
        `${u.events} events`,
        u.writeUnitsPerEvent.toFixed(2),
        key === 'jobs' ? '≤ 3.5' : '-',
      ]);
    }
  }
  if (want('f')) {
    const growth = await benchHistoryGrowth();
    figures.f = growth;
    for (const r of growth.rows)
      rows.push([
        `(f) store 1 event, history of ${r.history}`,
        `${r.readUnitsPerEvent.toFixed(1)} RCU, ${r.writeUnitsPerEvent.toFixed(1)} WCU`,
        `${r.medianMs.toFixed(2)} ms`,
        '-',
      ]);
    rows.push(['(f) time at 10,000 / at 10', '', growth.ratio.toFixed(2), '≤ 1.2']);
    const local = await benchLocalGrowth();
    figures.fLocal = local;
    rows.push([
      '(f) local stack: 80 events after 400 / fresh',
      `${local.heldSeconds.toFixed(2)} s vs ${local.freshSeconds.toFixed(2)} s`,
      local.ratio.toFixed(2),
      '≤ 1.5',
    ]);
  }
  if (want('g')) {
    const hot = await benchHotEntity();
    figures.g = hot;
    rows.push([
      `(g) conflicts per 1,000 events, one entity, ${hot.consumers} consumers (FIFO)`,
      `${hot.conflicts} conflicts, ${hot.failed} records failed; ${hot.eventsPerSecond.toFixed(0)} ev/s`,
      hot.conflictsPer1000.toFixed(0),
      '0',
    ]);
    rows.push([
      '(g) events counted by the record',
      `of ${hot.events}`,
      String(hot.eventCount),
      String(hot.events),
    ]);
  }
  if (want('h')) {
    const hot = await benchHotPartition();
    figures.h = hot;
    rows.push([
      `(h) hottest key, ${hot.jobsPerSecond} new jobs/s of one flow, over 1,000 WCU/s`,
      `${hot.hottest[0]?.key ?? ''}: ${hot.hottest[0]?.unitsPerSecond ?? 0} WCU/s`,
      hot.share.toFixed(3),
      '≤ 0.25',
    ]);
    const warm = hot.warmWriteUnitsPerSecond;
    for (const t of hot.tables)
      rows.push([
        `(h) ${t.table}, WU/s in that second over 4,000 (new table)`,
        `${t.writeUnitsPerSecond} WU/s: ${t.throttlesCold ? 'throttles' : 'fits'} at 4000, ${t.throttlesWarm ? 'throttles' : 'fits'} at ${warm}`,
        t.overCold.toFixed(2),
        '≤ 1.00',
      ]);
    rows.push([
      '(h) writes throttled in that second, new tables / warmed',
      `${hot.throttledCold} / ${hot.throttledWarm} of ${hot.writes} (at 4000 / ${warm} WU/s)`,
      `${(hot.throttledCold / hot.writes).toFixed(3)} / ${(hot.throttledWarm / hot.writes).toFixed(3)}`,
      '- / 0',
    ]);
    rows.push([
      '(h) warmWriteUnitsPerSecond to set: the peak + 10 %, up to a thousand',
      `peak ${hot.peak.writeUnitsPerSecond} WU/s on ${hot.peak.table}`,
      String(warm),
      '-',
    ]);
  }
  if (want('i')) {
    const bursts = [
      await benchSsmBurst(200),
      await benchSsmBurst(400),
      await benchSsmBurst(1_600),
      await benchSsmBurst(1_600, 3_000),
    ];
    figures.i = bursts;
    for (const b of bursts) {
      rows.push([
        `(i) ingest cold starts with secrets, ${b.instances} in 1 s, SSM at ${b.rate} req/s`,
        `${b.verified} in 6 s; ${b.throttled} of ${b.calls} calls throttled; slowest ${b.slowestMs} ms`,
        b.share.toFixed(2),
        b.instances <= 200 || b.rate > 40 ? '1.00' : '-',
      ]);
    }
  }
  if (want('j')) {
    const summary = await benchSummary();
    figures.j = summary;
    rows.push([
      `(j) read units of one dashboard summary, ${summary.units.jobs} jobs of the last day, after / before`,
      `${summary.units.after} vs ${summary.units.before} RCU`,
      (summary.units.after / summary.units.before).toFixed(3),
      '≤ 0.05',
    ]);
    rows.push([
      '(j) median summary time, 1,500 jobs over 50 (dynalite)',
      `${summary.time.at1500.toFixed(1)} ms vs ${summary.time.at50.toFixed(1)} ms`,
      summary.time.ratio.toFixed(2),
      '≤ 4',
    ]);
  }
  if (want('k')) {
    const cli = await benchCliCalls();
    figures.k = cli;
    rows.push([
      `(k) CLI \`jobs list --json\` against a local stack, median of ${cli.calls} calls`,
      `bundle; tsx ${cli.tsxListSeconds.toFixed(2)} s; the query alone ${cli.querySeconds.toFixed(2)} s`,
      `${cli.listSeconds.toFixed(2)} s`,
      `≤ ${cli.targetSeconds} s`,
    ]);
    rows.push([
      `(k) … \`--help\`, median of ${cli.calls} calls`,
      `bundle; tsx ${cli.tsxHelpSeconds.toFixed(2)} s`,
      `${cli.helpSeconds.toFixed(2)} s`,
      '-',
    ]);
  }
  if (want('l')) {
    const caps = await benchHostileEvent();
    figures.l = caps;
    rows.push([
      '(l) consumer time, one job event at the caps (256 fields, 256-byte keys, full body)',
      `vs ${caps.normalMs.toFixed(1)} ms for the sample payload (dynalite)`,
      `${caps.capsMs.toFixed(1)} ms`,
      `< ${caps.targetMs} ms`,
    ]);
  }
  if (want('e') && ingest && wru > 0) {
    const cost = costModel(ingest.handlerUsPerEvent, wru, worstOverhead, marking);
    figures.e = { ...cost, prices: PRICES, assumptions: MODEL };
    rows.push([
      '(e) modelled cost per million webhooks',
      `prices of ${PRICES.date}`,
      `$${cost.total.toFixed(2)}`,
      '≤ $4.80',
    ]);
  }
  if (want('e')) {
    // Storage and point-in-time recovery are paid each month the events stay, not per webhook.
    const kept = storageCostPerMonth();
    figures.eStorage = kept;
    rows.push([
      '(e) … each month a million job events stay stored: storage / point-in-time recovery',
      `${kept.gbPerMillionEvents.toFixed(1)} GB at $${kept.perGb.storage.toFixed(2)} / $${kept.perGb.pointInTimeRecovery.toFixed(2)} per GB-month`,
      `$${kept.perMillionEvents.storage.toFixed(2)} / $${kept.perMillionEvents.pointInTimeRecovery.toFixed(2)}`,
      '-',
    ]);
  }
  const widths = [0, 1, 2, 3].map((i) =>
    Math.max(
      ...[['figure', 'measured', 'result', 'target'], ...rows].map((r) => String(r[i]).length),
    ),
  );
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  process.stdout.write(
    `${line(['figure', 'measured', 'result', 'target'])}\n${rows.map(line).join('\n')}\n`,
  );
  const out = join(ROOT, 'bench-results.json');
  await writeFile(out, `${JSON.stringify(figures, null, 2)}\n`);
  process.stdout.write(`\nfigures written to ${out}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
