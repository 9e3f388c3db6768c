/**
 * `npm run bench`: figures, never assertions. Prints a Markdown report; `--write` also replaces the results
 * block in docs/benchmarks.md.
 *   1. bundle size of every Lambda as deployed, against its floor (test/bench/bundles.ts)
 *   2. cold init of each bundle and its floor, and what source maps cost at init
 *   3. throughput and latency of the local hub: invoices accepted by the API and posted in the Odoo sandbox
 *   4. Odoo RPCs per invoice, first delivery and duplicate, counted by the sandbox
 *   5. X12 835 reading: a generated 20,000-claim file, our streaming reader next to node-x12 (test/bench/x12-835.ts)
 *   6. reconciliation: one state machine run over a payer-day of remittances (test/bench/reconciliation.ts)
 *   7. AWS cost per encounter: every billable request of the issue-16 mix, × us-east-1 list prices (test/bench/cost.ts)
 *   8. Odoo at month-end: RPCs per event by type and a month-end drain through an Odoo rate-limited per worker,
 *      with an outage in the middle (test/bench/month-end.ts; BENCH_MONTH_END_* knobs, BENCH_MONTH_END=skip), and
 *      Odoo RPCs per claim line by ERA size (test/bench/era-size.ts; BENCH_ERA_SIZES, BENCH_ERA_BOOKING)
 *   9. the local SQS at month-end depth: send, drain and one persistence write of a 20,000-message FIFO queue
 *      (test/bench/local-sqs.ts; BENCH_LOCAL_SQS_DEPTH)
 *  10. the Odoo sandbox's data file at month-end size: one snapshot against one committed call's journal line
 *      (test/bench/odoo-sandbox-store.ts; BENCH_SANDBOX_STORE_ROWS)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { accessToken, invoiceRequest, sandboxAdmin, startTestHub } from '../integration/support/hub.js';
import {
  benchBundles,
  benchSourceMaps,
  bundleBenchLines,
  bundleCompositionLines,
  sourceMapBenchLines,
} from './bundles.js';
import { benchCost, costBenchLines } from './cost.js';
import { benchEraSizes, eraSizeBenchLines, eraSizeCasesFromEnv } from './era-size.js';
import { benchLocalSqs, localSqsBenchLines } from './local-sqs.js';
import { benchMonthEnd, monthEndBenchLines, monthEndOptionsFromEnv } from './month-end.js';
import { benchSandboxStore, sandboxStoreBenchLines } from './odoo-sandbox-store.js';
import { benchReconciliation, reconciliationBenchLines } from './reconciliation.js';
import { benchX12, x12BenchLines } from './x12-835.js';

// The SDK's own switch for its Node-version notice (as npm start and the tests): figures, not nine-line warnings.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const root = resolve(import.meta.dirname, '../..');
const lines: string[] = [];
const print = (line = '') => {
  lines.push(line);
  console.log(line);
};

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};
const median = (values: number[]) => percentile(values, 50);

async function throughput(invoices: number, concurrency: number) {
  const hub = await startTestHub();
  try {
    const token = await accessToken(hub);
    const bodies = Array.from({ length: invoices }, (_, i) =>
      invoiceRequest({
        encounterId: `ENC-BENCH-${String(i % Math.ceil(invoices / 2)).padStart(5, '0')}`,
        invoiceId: `INV-BENCH-${i}`,
      }),
    );
    const post = async (body: Record<string, unknown>, key: string) => {
      const started = performance.now();
      const response = await fetch(`${hub.baseUrl}/v1/invoices`, {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${token}`,
          'Content-Type': 'application/json',
          'Idempotency-Key': key,
        },
        body: JSON.stringify(body),
      });
      await response.arrayBuffer();
      if (response.status !== 202) throw new Error(`unexpected ${response.status}`);
      return performance.now() - started;
    };
    // Warm up the handlers (module init, first Odoo login) outside the measurement.
    await post(invoiceRequest({ invoiceId: 'INV-WARMUP' }), 'key-warmup-0001');
    await hub.waitForIdle();
    await sandboxAdmin(hub, 'stats', undefined, 'DELETE');

    const latencies: number[] = [];
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < bodies.length) {
          const i = next++;
          latencies.push(await post(bodies[i] as Record<string, unknown>, `key-bench-${i}-0001`));
        }
      }),
    );
    const acceptedMs = performance.now() - started;
    await hub.waitForIdle();
    const postedMs = performance.now() - started;
    const firstStats = (await sandboxAdmin(hub, 'stats', undefined, 'GET')) as {
      total: number;
      calls: Record<string, number>;
    };

    // Duplicates under new keys: the writer must find, not create.
    await sandboxAdmin(hub, 'stats', undefined, 'DELETE');
    const duplicates = Math.min(50, invoices);
    for (let i = 0; i < duplicates; i++)
      await post(bodies[i] as Record<string, unknown>, `key-bench-dup-${i}-0001`);
    await hub.waitForIdle();
    const dupStats = (await sandboxAdmin(hub, 'stats', undefined, 'GET')) as { total: number };
    return {
      invoices,
      concurrency,
      acceptedPerSecond: invoices / (acceptedMs / 1000),
      postedPerSecond: invoices / (postedMs / 1000),
      p50: median(latencies),
      p95: percentile(latencies, 95),
      rpcPerInvoice: firstStats.total / invoices,
      rpcPerDuplicate: dupStats.total / duplicates,
      calls: firstStats.calls,
    };
  } finally {
    await hub.close();
  }
}

const invoices = Number(process.env.BENCH_INVOICES ?? 200);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 10);

print(
  `### Results (${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model.trim()})`,
);
print();
const bundles = await benchBundles();
for (const line of bundleBenchLines(bundles)) print(line);
print();
for (const line of bundleCompositionLines(bundles)) print(line);
print();
for (const line of sourceMapBenchLines(await benchSourceMaps(['health', 'ingest', 'odooWriter'])))
  print(line);
print();
const t = await throughput(invoices, concurrency);
print(
  `Local hub, ${t.invoices} invoices over ${Math.ceil(t.invoices / 2)} encounters, ${t.concurrency} concurrent clients, Odoo sandbox:`,
);
print();
print('| figure | value |');
print('| --- | ---: |');
print(`| accepted by the API | ${t.acceptedPerSecond.toFixed(1)} invoices/s |`);
print(`| posted in Odoo (end to end) | ${t.postedPerSecond.toFixed(1)} invoices/s |`);
print(`| API latency p50 / p95 | ${t.p50.toFixed(1)} / ${t.p95.toFixed(1)} ms |`);
print(`| Odoo RPCs per new invoice | ${t.rpcPerInvoice.toFixed(2)} |`);
print(`| Odoo RPCs per duplicate invoice (new key) | ${t.rpcPerDuplicate.toFixed(2)} |`);
print();
print(
  `RPC mix for new invoices: ${Object.entries(t.calls)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')}`,
);

// 5. X12 835 reading (docs/x12.md): our streaming reader next to node-x12 on the same generated file.
print();
for (const line of x12BenchLines(await benchX12())) print(line);

// 6. Reconciliation (docs/reconciliation.md): one run over a payer-day.
print();
for (const line of reconciliationBenchLines(
  await benchReconciliation(Number(process.env.BENCH_REMITTANCES ?? 100)),
))
  print(line);

// 7. AWS cost per encounter (docs/cost.md): requests counted by the local AWS meter, × list prices.
print();
for (const line of costBenchLines(await benchCost(Number(process.env.BENCH_COST_ENCOUNTERS ?? 50))))
  print(line);
// 8. Odoo at month-end (issue 16, docs/benchmarks.md "Odoo at month-end").
if (process.env.BENCH_MONTH_END !== 'skip') {
  print();
  for (const line of monthEndBenchLines(
    await benchMonthEnd(monthEndOptionsFromEnv(), (line) => console.error(`[month-end] ${line}`)),
  ))
    print(line);
  // ERA booking (issue 16): RPCs per claim line for a 50- and a 1,000-claim ERA (test/bench/era-size.ts).
  print();
  for (const line of eraSizeBenchLines(
    await benchEraSizes(eraSizeCasesFromEnv(), process.env.BENCH_ERA_BOOKING, (line) =>
      console.error(`[era-size] ${line}`),
    ),
    process.env.BENCH_ERA_BOOKING,
  ))
    print(line);
}

// 9. The local SQS at month-end depth (issue 16: the local hub, not Odoo, kept the full month-end from running).
print();
for (const line of localSqsBenchLines(
  await benchLocalSqs(Number(process.env.BENCH_LOCAL_SQS_DEPTH ?? 20_000)),
))
  print(line);

// 10. The sandbox's data file at month-end size (npm start writes it at every committed Odoo call).
print();
for (const line of sandboxStoreBenchLines(
  benchSandboxStore(Number(process.env.BENCH_SANDBOX_STORE_ROWS ?? 125_000)),
))
  print(line);

if (process.argv.includes('--write')) {
  const file = join(root, 'docs/benchmarks.md');
  const doc = readFileSync(file, 'utf8');
  const begin = '<!-- bench:begin -->';
  const end = '<!-- bench:end -->';
  const updated = `${doc.slice(0, doc.indexOf(begin) + begin.length)}\n${lines.join('\n')}\n${doc.slice(doc.indexOf(end))}`;
  writeFileSync(file, updated);
}
