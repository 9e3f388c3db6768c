/**
 * Odoo at month-end (issue 16): the local hub writing to the Odoo sandbox (a process of its own, as Odoo is a
 * server apart) through an Odoo rate-limited to `rpcPerSecondPerWorker` RPC/s per worker
 * (test/bench/rate-limited-odoo.ts). Two parts, figures only:
 *  1. Odoo RPCs per event, by type: each type sent alone (`perType` events), RPCs counted exactly at the proxy.
 *  2. Month-end: an ERA's claim payments (paid / CO-45 / CO-45 + PR) and patient payments sent at once, Odoo
 *     unreachable for `outageSeconds` in the middle; time to drain, RPCs, peak queue depth, and what Odoo holds
 *     afterwards: every payment and credit note once (lost 0, doubled 0), nothing in the DLQ.
 * Setup (patients, payers, charges, invoices, claims) runs with the limit off and is not measured.
 * With BENCH_MONTH_END_REAL_ODOO=1 the Odoo behind the proxy is the real one `run-odoo17 start` exported
 * (ODOO_URL, ODOO_DB; the hub as ODOO_INTEGRATION_USER, the books read as ODOO_USER, the administrator).
 * Run alone: `npx tsx test/bench/month-end.ts` (knobs: BENCH_MONTH_END_* in `monthEndOptionsFromEnv`).
 */
import { remittanceStepRefs } from '../../lambdas/core/remittance-posting.js';
import { AwsMeter, type MeterReading } from '../../local/aws-meter.js';
import type { Hub } from '../../local/runtime.js';
import { accessToken, apiCaller, startTestHub } from '../integration/support/hub.js';
import { type SandboxProcess, startSandboxProcess } from '../integration/support/odoo-sandbox-process.js';
import { type RateLimitedOdoo, startRateLimitedOdoo } from './rate-limited-odoo.js';

export interface MonthEndOptions {
  /** Claim payments of the ERA (a third each paid in full, CO-45, CO-45 + PR). */
  claims: number;
  patientPayments: number;
  /** Events of each type for the RPC-per-event table. */
  perType: number;
  workers: number;
  rpcPerSecondPerWorker: number;
  outageSeconds: number;
  drainTimeoutSeconds: number;
  clients: number;
  /** A file for a line per Odoo call of the measured phases (BENCH_MONTH_END_CALL_LOG; rate-limited-odoo.ts). */
  callLog?: string;
  /** The writer's ODOO_ERA_BOOKING (issue 16; unset: its default, on); `off` for claim payments booked per turn. */
  eraBooking?: string;
  /**
   * Count the AWS requests of the month-end phase (BENCH_MONTH_END_METER=1; local/aws-meter.ts): where the hub's
   * own work goes. Off by default: the meter puts a proxy in front of DynamoDB, which slows the run.
   */
  meter?: boolean;
  /** A real Odoo instead of the sandbox: the hub's user and the administrator who reads the books. */
  realOdoo?: {
    url: string;
    db: string;
    hub: { login: string; apiKey: string };
    admin: { login: string; apiKey: string };
  };
}

export function monthEndOptionsFromEnv(env = process.env): MonthEndOptions {
  const number = (name: string, fallback: number) => Number(env[name] ?? fallback);
  return {
    claims: number('BENCH_MONTH_END_CLAIMS', 90),
    patientPayments: number('BENCH_MONTH_END_PAYMENTS', 90),
    perType: number('BENCH_MONTH_END_PER_TYPE', 10),
    workers: number('BENCH_MONTH_END_WORKERS', 2),
    rpcPerSecondPerWorker: number('BENCH_MONTH_END_RPC_PER_SECOND', 6),
    outageSeconds: number('BENCH_MONTH_END_OUTAGE_SECONDS', 30),
    drainTimeoutSeconds: number('BENCH_MONTH_END_DRAIN_TIMEOUT_SECONDS', 3600),
    clients: number('BENCH_MONTH_END_CLIENTS', 10),
    ...(env.BENCH_ERA_BOOKING ? { eraBooking: env.BENCH_ERA_BOOKING } : {}),
    ...(env.BENCH_MONTH_END_CALL_LOG ? { callLog: env.BENCH_MONTH_END_CALL_LOG } : {}),
    ...(env.BENCH_MONTH_END_METER === '1' ? { meter: true } : {}),
    ...(env.BENCH_MONTH_END_REAL_ODOO === '1' && env.ODOO_URL
      ? {
          realOdoo: {
            url: env.ODOO_URL,
            db: env.ODOO_DB ?? 'rcm',
            hub: {
              login: env.ODOO_INTEGRATION_USER ?? env.ODOO_USER ?? 'admin',
              apiKey: env.ODOO_INTEGRATION_API_KEY ?? env.ODOO_API_KEY ?? '',
            },
            admin: { login: env.ODOO_USER ?? 'admin', apiKey: env.ODOO_API_KEY ?? '' },
          },
        }
      : {}),
  };
}

type EraKind = 'paid' | 'co45' | 'co45-pr';
const ERA_KINDS: EraKind[] = ['paid', 'co45', 'co45-pr'];
const PAYER = { id: 'PAYER-BENCH-ME', name: 'Month-End Health Plan', payerType: 'commercial' };
const dollars = (cents: number) => (cents / 100).toFixed(2);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Claim {
  n: string;
  encounterId: string;
  patientId: string;
  invoiceId: string;
  claimId: string;
  billedCents: number;
}

interface Request {
  method: 'POST' | 'PUT';
  path: string;
  body: Record<string, unknown>;
}

export interface PerTypeFigure {
  type: string;
  events: number;
  rpcs: number;
  calls: Record<string, number>;
}

export interface MonthEndReport {
  options: MonthEndOptions;
  perType: PerTypeFigure[];
  events: number;
  drainSeconds: number;
  rpcs: number;
  /** Least time Odoo alone needed for the measured work: its workers' busy seconds / workers (proxy). */
  odooSeconds: number;
  /** Seconds in which Odoo had at least one call in flight (proxy): its time at work on a one-process Odoo. */
  odooBusySeconds: number;
  /** Seconds until the API had accepted every measured event (the hub's intake, Odoo not involved). */
  acceptSeconds: number;
  /** The unmeasured setup: API requests sent and the seconds from its first request until the hub was idle. */
  setupRequests: number;
  setupSeconds: number;
  refusedDuringOutage: number;
  peakQueueDepth: number;
  expectedRecords: number;
  lost: number;
  doubled: number;
  deadLettered: number;
  calls: Record<string, number>;
  /** With `meter`: the month-end phase's AWS requests by service and operation (Lambda: invocations). */
  awsRequests?: Record<string, number>;
  /** With `meter`: the DynamoDB requests by operation, table and kind of item (which look-ups, which writes). */
  dynamoDbRequestsByItem?: Record<string, number>;
}

export async function benchMonthEnd(
  options: MonthEndOptions,
  log: (line: string) => void = () => undefined,
): Promise<MonthEndReport> {
  const run = Date.now().toString(36);
  const real = options.realOdoo;
  // Its own process, as a real Odoo is a server apart: sharing the hub's one event loop, a slow sandbox call
  // stalled every handler and the bench measured the two together.
  const sandbox: SandboxProcess | undefined = real ? undefined : await startSandboxProcess({ port: 0 });
  const target = real ?? {
    url: (sandbox as SandboxProcess).url,
    db: 'rcm',
    hub: { login: 'admin', apiKey: 'admin' },
    admin: { login: 'admin', apiKey: 'admin' },
  };
  const odoo: RateLimitedOdoo = await startRateLimitedOdoo(
    target.url,
    options.callLog ? { callLog: options.callLog } : {},
  );
  const meter = options.meter ? new AwsMeter() : undefined;
  let hub: Hub | undefined;
  try {
    hub = await startTestHub({
      odoo: { url: odoo.url, db: target.db, ...target.hub },
      // DynamoDB apart too, as in AWS: the handlers' event loop is the hub's, not the database's.
      dynamoDbProcess: true,
      ...(meter ? { meter } : {}),
      // A failed write comes back in 1 s instead of the 6-minute visibility timeout; the breaker (issue 12)
      // stops the writers during the outage, so no message spends its receives on a dead Odoo.
      odooWriteQueue: { retryDelaySeconds: 1 },
      ...(options.eraBooking ? { eraBooking: options.eraBooking } : {}),
    });
    const active = hub;
    const call = apiCaller(active, await accessToken(active), `me-${run}`);
    let sentTotal = 0;
    let keys = 0;
    const send = async (requests: Request[]) => {
      let next = 0;
      let done = 0;
      const began = Date.now();
      await Promise.all(
        Array.from({ length: options.clients }, async () => {
          while (next < requests.length) {
            const request = requests[next++] as Request;
            // One Idempotency-Key per request, kept through its retries, as a partner retries.
            const key = `me-${run}-${++keys}`;
            for (let attempt = 0; ; attempt += 1) {
              // A connection the server closed as this request went out (a long run's keep-alive race under
              // load) is retried like a refusal: the key makes the retry safe.
              const answer = await call(request.method, request.path, request.body, key).catch(
                (error: unknown) => {
                  if (attempt > 5) throw error;
                  return { status: 0, body: { error: String((error as Error).cause ?? error) } };
                },
              );
              if (answer.status === 202 || answer.status === 200) {
                sentTotal += 1;
                done += 1;
                // Progress of a long run (full size: about 90,000 setup requests), with the rate so far.
                if (requests.length >= 5_000 && done % 5_000 === 0)
                  log(
                    `  sent ${done}/${requests.length} (${(done / ((Date.now() - began) / 1000)).toFixed(0)} requests/s)`,
                  );
                break;
              }
              if (attempt > 5)
                throw new Error(`${request.path}: ${answer.status} ${JSON.stringify(answer.body)}`);
              await sleep(200 * 2 ** attempt);
            }
          }
        }),
      );
    };
    const idle = async (timeoutMs: number) => {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        active.waitForIdle(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('the hub did not drain in time')), timeoutMs);
        }),
      ]).finally(() => clearTimeout(timer));
    };
    const limitOn = () => {
      odoo.limit = { workers: options.workers, rpcPerSecondPerWorker: options.rpcPerSecondPerWorker };
    };
    const limitOff = () => {
      odoo.limit = undefined;
    };

    // The payer and its partner first: every other encounter bills it.
    await send([payerRequest()]);
    await idle(60_000);

    // ---- 1. RPCs per event, by type ----
    const k = options.perType;
    const typeClaims = ERA_KINDS.map((kind) => claimsFor(`${run}-t-${kind}`, k));
    const typePayments = claimsFor(`${run}-t-pay`, k);
    await send([
      ...typeClaims.flat().flatMap((c) => [patientRequest(c), chargeRequest(c)]),
      ...typePayments.map(patientRequest),
    ]);
    await idle(600_000);
    const perType: PerTypeFigure[] = [];
    const measure = async (type: string, requests: Request[]) => {
      // BENCH_MONTH_END_PER_TYPE=0: the month-end alone.
      if (requests.length === 0) return;
      limitOn();
      odoo.resetCounts();
      await send(requests);
      await idle(options.drainTimeoutSeconds * 1000);
      perType.push({
        type,
        events: requests.length,
        rpcs: odoo.totalCalls(),
        calls: Object.fromEntries(odoo.calls),
      });
      limitOff();
      log(`per type: ${type} ${(odoo.totalCalls() / requests.length).toFixed(2)} RPC/event`);
    };
    const typeInvoices = [
      ...typeClaims.flat().map((c) => invoiceRequest(c)),
      ...typePayments.map((c) => patientInvoiceRequest(c)),
    ];
    await measure('new invoice', typeInvoices);
    await measure('invoice sent again (new key)', typeInvoices.slice(0, k));
    await send(typeClaims.flat().map((c) => claimRequest(c)));
    // One remittance of each kind first: the writer sets up and caches the chart and journal ids once per
    // container (OdooChart), which is not a per-event cost.
    const warmUp = ERA_KINDS.map((kind) => claimsFor(`${run}-w-${kind}`, 1)[0] as Claim);
    await send(
      warmUp.flatMap((c) => [patientRequest(c), chargeRequest(c), invoiceRequest(c), claimRequest(c)]),
    );
    await idle(600_000);
    await send(warmUp.map((c, i) => remittanceRequest(c, ERA_KINDS[i] as EraKind)));
    await idle(600_000);
    for (const [index, kind] of ERA_KINDS.entries())
      await measure(
        `remittance ${kind}`,
        (typeClaims[index] as Claim[]).map((c) => remittanceRequest(c, kind)),
      );
    await measure(
      'patient payment',
      typePayments.map((c) => paymentRequest(c)),
    );

    // ---- 2. Month-end ----
    const claims = claimsFor(`${run}-era`, options.claims);
    const payments = claimsFor(`${run}-pay`, options.patientPayments);
    log(`setup: ${claims.length} claims, ${payments.length} patient invoices (no rate limit)`);
    const setupStarted = Date.now();
    const setupSentBefore = sentTotal;
    // A long setup's backlog, once a minute: how deep the write queue is and how fast Odoo is being called.
    const setupQueueUrl = active.queueUrls.OdooWriteQueue?.queueUrl as string;
    const setupProgress = setInterval(() => {
      log(
        `  setup ${Math.round((Date.now() - setupStarted) / 1000)} s: write queue depth ${active.aws.sqs.messageCount(setupQueueUrl)}, ${odoo.totalCalls()} Odoo RPCs`,
      );
    }, 60_000);
    setupProgress.unref();
    await send([
      ...claims.flatMap((c) => [patientRequest(c), chargeRequest(c)]),
      ...payments.map(patientRequest),
    ]);
    await send([...claims.map((c) => invoiceRequest(c)), ...payments.map((c) => patientInvoiceRequest(c))]);
    await send(claims.map((c) => claimRequest(c)));
    await idle(options.drainTimeoutSeconds * 1000);
    clearInterval(setupProgress);
    const setupSeconds = (Date.now() - setupStarted) / 1000;
    const setupRequests = sentTotal - setupSentBefore;
    log(`setup: ${setupRequests} requests, idle after ${setupSeconds.toFixed(0)} s`);

    const era = claims.map((c, i) => ({ claim: c, kind: ERA_KINDS[i % ERA_KINDS.length] as EraKind }));
    const work = interleave(
      era.map(({ claim, kind }) => remittanceRequest(claim, kind)),
      payments.map((c) => paymentRequest(c)),
    );
    const queueUrl = active.queueUrls.OdooWriteQueue?.queueUrl as string;
    const dlqUrl = active.queueUrls.OdooWriteQueue?.dlqUrl as string;
    let peakQueueDepth = 0;
    let outage: 'before' | 'on' | 'after' = options.outageSeconds > 0 ? 'before' : 'after';
    let sent = false;
    limitOn();
    odoo.resetCounts();
    meter?.reset();
    const started = Date.now();
    let acceptSeconds = 0;
    let samples = 0;
    const sampler = setInterval(() => {
      const depth = active.aws.sqs.messageCount(queueUrl);
      peakQueueDepth = Math.max(peakQueueDepth, depth);
      samples += 1;
      if (samples % 240 === 0)
        log(
          `  ${Math.round((Date.now() - started) / 1000)} s: write queue depth ${depth}, ${odoo.totalCalls()} Odoo RPCs`,
        );
      // In the middle: once the backlog is half worked off, Odoo goes away for `outageSeconds`.
      if (outage === 'before' && peakQueueDepth > 0 && depth <= peakQueueDepth / 2 && sent) {
        outage = 'on';
        odoo.down = true;
        log(`outage starts at ${Math.round((Date.now() - started) / 1000)} s, queue depth ${depth}`);
        setTimeout(() => {
          odoo.down = false;
          outage = 'after';
          log(`outage ends at ${Math.round((Date.now() - started) / 1000)} s`);
        }, options.outageSeconds * 1000);
      }
    }, 250);
    try {
      await send(work);
      sent = true;
      acceptSeconds = (Date.now() - started) / 1000;
      log(`month-end: ${work.length} events accepted in ${Math.round((Date.now() - started) / 1000)} s`);
      while (outage !== 'after') await sleep(500);
      await idle(options.drainTimeoutSeconds * 1000);
    } finally {
      clearInterval(sampler);
    }
    const drainSeconds = (Date.now() - started) / 1000;
    const rpcs = odoo.totalCalls();
    const calls = Object.fromEntries(odoo.calls);
    const refusedDuringOutage = odoo.refused;
    const odooSeconds = odoo.workerSeconds / options.workers;
    const odooBusySeconds = odoo.busySeconds;
    const reading = meter?.read();
    const awsRequests = reading ? requestsOf(reading) : undefined;
    limitOff();

    // What Odoo holds, asked of it directly (not through the proxy) by the administrator.
    // Every claim payment is one payment (CO-45 as its write-off); a PR moves to the patient by a credit note on
    // the payer invoice and a patient invoice (core/remittance-posting.ts).
    const expected = new Map<string, number>();
    for (const { claim, kind } of era) {
      const refs = remittanceStepRefs(`ERA-${claim.n}`);
      expected.set(`[${refs.payment}]`, 0);
      if (kind === 'co45-pr') {
        expected.set(refs.prCredit, 0);
        expected.set(refs.prInvoice, 0);
      }
    }
    for (const c of payments) expected.set(`[rcm:pay:PAY-${c.n}]`, 0);
    const rpc = await odooRpc(target.url, target.db, target.admin);
    const paymentRows = await rpc<Array<{ ref: string | false; state: string }>>(
      'account.payment',
      'search_read',
      [[['ref', 'ilike', `${run}-`]]],
      { fields: ['ref', 'state'] },
    );
    for (const row of paymentRows) {
      const marker = /\[[^\]]+\]/.exec(row.ref || '')?.[0];
      if (marker && expected.has(marker) && row.state !== 'cancel')
        expected.set(marker, (expected.get(marker) ?? 0) + 1);
    }
    const moveRows = await rpc<Array<{ ref: string | false; invoice_origin: string | false; state: string }>>(
      'account.move',
      'search_read',
      [
        [
          ['move_type', 'in', ['out_refund', 'out_invoice']],
          '|',
          ['ref', 'ilike', `${run}-era`],
          ['invoice_origin', 'ilike', `${run}-era`],
        ],
      ],
      { fields: ['ref', 'invoice_origin', 'state'] },
    );
    for (const row of moveRows) {
      // A credit note carries its step ref as ref; a patient invoice as invoice_origin.
      const key = [row.ref, row.invoice_origin].find((v) => typeof v === 'string' && expected.has(v));
      if (key && row.state === 'posted') expected.set(key, (expected.get(key) ?? 0) + 1);
    }
    const counts = [...expected.values()];
    return {
      options,
      perType,
      events: work.length,
      drainSeconds,
      rpcs,
      odooSeconds,
      odooBusySeconds,
      acceptSeconds,
      setupRequests,
      setupSeconds,
      refusedDuringOutage,
      peakQueueDepth,
      expectedRecords: expected.size,
      lost: counts.filter((n) => n === 0).length,
      doubled: counts.filter((n) => n > 1).length,
      deadLettered: active.aws.sqs.messageCount(dlqUrl),
      calls,
      ...(awsRequests ? { awsRequests } : {}),
      ...(reading ? { dynamoDbRequestsByItem: reading.dynamodb.requestsByItem } : {}),
    };
  } finally {
    await hub?.close();
    await odoo.close();
    await sandbox?.stop();
  }
}

export function monthEndBenchLines(r: MonthEndReport): string[] {
  const o = r.options;
  const perEvent = (f: PerTypeFigure) => (f.rpcs / f.events).toFixed(2);
  const perTypeLines =
    r.perType.length === 0
      ? []
      : [
          `Odoo RPCs per event by type, each type sent alone (${o.perType} events; invoices ${o.perType * 4}), through an Odoo limited to ${o.rpcPerSecondPerWorker} RPC/s × ${o.workers} workers, counted at the proxy:`,
          '',
          '| event | events | Odoo RPCs | RPCs per event | mix |',
          '| --- | ---: | ---: | ---: | --- |',
          ...r.perType.map(
            (f) =>
              `| ${f.type} | ${f.events} | ${f.rpcs} | ${perEvent(f)} | ${Object.entries(f.calls)
                .map(([k, v]) => `${k} ${v}`)
                .join(', ')} |`,
          ),
          '',
        ];
  return [
    ...perTypeLines,
    `Month-end: an ERA of ${o.claims} claim payments (a third each paid in full, CO-45, CO-45 + PR) and ${o.patientPayments} patient payments sent at once, Odoo limited to ${o.rpcPerSecondPerWorker} RPC/s × ${o.workers} workers, unreachable for ${o.outageSeconds} s in the middle; ERA booking ${o.eraBooking ?? 'on (default)'}:`,
    '',
    '| figure | value |',
    '| --- | ---: |',
    `| events | ${r.events} |`,
    `| time to drain (first event sent → queues empty) | ${r.drainSeconds.toFixed(0)} s |`,
    `| Odoo RPCs (reached Odoo) | ${r.rpcs} (${(r.rpcs / r.events).toFixed(2)} per event) |`,
    `| Odoo's share: its workers' busy time ÷ workers | ${r.odooSeconds.toFixed(0)} s |`,
    `| Odoo at work: a call in flight (a one-process Odoo's share) | ${r.odooBusySeconds.toFixed(0)} s |`,
    `| the outage | ${o.outageSeconds} s |`,
    `| the rest: the local hub's own (drain − Odoo − outage, at most) | ${Math.max(0, r.drainSeconds - r.odooSeconds - o.outageSeconds).toFixed(0)} s |`,
    `| events accepted by the API | in ${r.acceptSeconds.toFixed(0)} s (${(r.events / r.acceptSeconds).toFixed(1)} events/s) |`,
    `| events drained end to end | ${(r.events / r.drainSeconds).toFixed(1)} events/s |`,
    `| calls refused during the outage | ${r.refusedDuringOutage} |`,
    `| peak Odoo write queue depth | ${r.peakQueueDepth} |`,
    `| Odoo records expected (payments, PR credit notes and patient invoices) | ${r.expectedRecords} |`,
    `| lost | ${r.lost} |`,
    `| doubled | ${r.doubled} |`,
    `| dead-lettered | ${r.deadLettered} |`,
    '',
    `Setup (not measured, no rate limit): ${r.setupRequests} API requests, hub idle after ${r.setupSeconds.toFixed(0)} s (${(r.setupRequests / r.setupSeconds).toFixed(1)} requests/s).`,
    '',
    `RPC mix: ${Object.entries(r.calls)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    ...(r.awsRequests
      ? [
          '',
          `AWS requests of the month-end phase, per event (${r.events} events): ${Object.entries(
            r.awsRequests,
          )
            .sort(([, a], [, b]) => b - a)
            .map(([k, v]) => `${k} ${(v / r.events).toFixed(2)}`)
            .join(', ')}`,
        ]
      : []),
    ...(r.dynamoDbRequestsByItem
      ? [
          '',
          'DynamoDB requests of the month-end phase by item kind (pk/sk prefix), per event, 0.05 or more:',
          '',
          '| operation | table | item kind | per event |',
          '| --- | --- | --- | ---: |',
          ...Object.entries(r.dynamoDbRequestsByItem)
            .filter(([, n]) => n / r.events >= 0.05)
            .sort(([, a], [, b]) => b - a)
            .map(([key, n]) => {
              const [operation, table, kind] = key.split(' ');
              return `| ${operation} | ${table} | ${kind} | ${(n / r.events).toFixed(2)} |`;
            }),
        ]
      : []),
  ];
}

/** A meter reading as request counts: DynamoDB and SQS by operation, EventBridge requests, Lambda invocations. */
function requestsOf(reading: MeterReading): Record<string, number> {
  const requests: Record<string, number> = {};
  for (const [op, n] of Object.entries(reading.dynamodb.requests)) requests[`DynamoDB ${op}`] = n;
  for (const [op, n] of Object.entries(reading.sqs)) requests[`SQS ${op}`] = n;
  requests['EventBridge PutEvents'] = reading.eventBridge.putEventsRequests;
  requests['EventBridge events'] = reading.eventBridge.events;
  for (const [name, usage] of Object.entries(reading.lambda))
    if (usage) requests[`Lambda ${name}`] = usage.invocations;
  return requests;
}

function claimsFor(prefix: string, count: number): Claim[] {
  return Array.from({ length: count }, (_, i) => {
    const n = `ME-${prefix}-${String(i).padStart(5, '0')}`;
    return {
      n,
      encounterId: `ENC-${n}`,
      patientId: `PAT-${n}`,
      invoiceId: `INV-${n}`,
      claimId: `CLM-${n}`,
      billedCents: 10_000 + (i % 90) * 125,
    };
  });
}

function interleave<T>(a: T[], b: T[]): T[] {
  const out: T[] = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (i < a.length) out.push(a[i] as T);
    if (i < b.length) out.push(b[i] as T);
  }
  return out;
}

const base = (c: Claim) => ({ encounterId: c.encounterId, facilityId: 'FAC-BENCH' });

function payerRequest(): Request {
  return {
    method: 'PUT',
    path: `/v1/payers/${PAYER.id}`,
    body: {
      name: PAYER.name,
      payerType: PAYER.payerType,
      sourceSystem: 'billing',
      sourceUpdatedAt: '2026-11-01T00:00:00Z',
    },
  };
}

function patientRequest(c: Claim): Request {
  return {
    method: 'PUT',
    path: `/v1/patients/${c.patientId}`,
    body: {
      name: `Patient ${c.n}`,
      birthDate: '1970-05-01',
      sourceSystem: 'ehr',
      sourceUpdatedAt: '2026-11-01T08:00:00Z',
    },
  };
}

function chargeRequest(c: Claim): Request {
  return {
    method: 'POST',
    path: '/v1/charges',
    body: {
      chargeId: `CHG-${c.n}`,
      ...base(c),
      patientId: c.patientId,
      lines: [
        {
          code: '99214',
          codeSystem: 'CPT',
          units: 1,
          amount: dollars(c.billedCents),
          serviceDate: '2026-11-02',
          renderingProviderNpi: '1234567893',
        },
      ],
    },
  };
}

const visit = (c: Claim) => [
  {
    code: '99214',
    codeSystem: 'CPT',
    description: 'Office visit',
    quantity: 1,
    unitPrice: dollars(c.billedCents),
  },
];

function invoiceRequest(c: Claim): Request {
  return {
    method: 'POST',
    path: '/v1/invoices',
    body: {
      invoiceId: c.invoiceId,
      ...base(c),
      issueDate: '2026-11-02',
      currency: 'USD',
      billTo: { kind: 'payer', id: PAYER.id, name: PAYER.name },
      lines: visit(c),
    },
  };
}

function patientInvoiceRequest(c: Claim): Request {
  return {
    method: 'POST',
    path: '/v1/invoices',
    body: {
      invoiceId: c.invoiceId,
      ...base(c),
      issueDate: '2026-11-02',
      currency: 'USD',
      billTo: { kind: 'patient', id: c.patientId, name: `Patient ${c.n}` },
      lines: visit(c),
    },
  };
}

function claimRequest(c: Claim): Request {
  return {
    method: 'POST',
    path: '/v1/claims',
    body: {
      claimId: c.claimId,
      ...base(c),
      payerId: PAYER.id,
      invoiceIds: [c.invoiceId],
      billedAmount: dollars(c.billedCents),
      submittedDate: '2026-11-03',
    },
  };
}

function remittanceRequest(c: Claim, kind: EraKind): Request {
  const co = kind === 'paid' ? 0 : Math.round(c.billedCents * 0.2);
  const pr = kind === 'co45-pr' ? 2_000 : 0;
  const adjustments = [
    ...(co ? [{ group: 'CO', reason: '45', amount: dollars(co) }] : []),
    ...(pr ? [{ group: 'PR', reason: '1', amount: dollars(pr) }] : []),
  ];
  return {
    method: 'POST',
    path: '/v1/remittances',
    body: {
      remittanceId: `ERA-${c.n}`,
      claimId: c.claimId,
      ...base(c),
      payerId: PAYER.id,
      payerClaimControlNumber: `PCN-${c.n}`,
      claimStatus: '1',
      billedAmount: dollars(c.billedCents),
      paidAmount: dollars(c.billedCents - co - pr),
      adjustments,
      payment: { traceNumber: 'EFT-BENCH-MONTH-END', method: 'ACH', date: '2026-11-30' },
    },
  };
}

function paymentRequest(c: Claim): Request {
  return {
    method: 'POST',
    path: '/v1/payments',
    body: {
      paymentId: `PAY-${c.n}`,
      ...base(c),
      payer: { kind: 'patient', id: c.patientId },
      amount: dollars(c.billedCents),
      method: 'card',
      traceNumber: `ch_${c.n}`.slice(0, 64),
      receivedDate: '2026-11-30',
      appliesTo: { invoiceId: c.invoiceId },
    },
  };
}

async function odooRpc(url: string, db: string, user: { login: string; apiKey: string }) {
  const post = async <T>(service: string, method: string, args: unknown[]) => {
    const response = await fetch(`${url}/jsonrpc`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', method: 'call', params: { service, method, args }, id: 1 }),
    });
    const payload = (await response.json()) as { result?: T; error?: { data?: { message?: string } } };
    if (payload.error) throw new Error(`Odoo error: ${payload.error.data?.message}`);
    return payload.result as T;
  };
  const uid = await post<number | false>('common', 'authenticate', [db, user.login, user.apiKey, {}]);
  if (!uid) throw new Error(`Odoo refused the login of ${user.login}`);
  return <T>(model: string, method: string, args: unknown[], kwargs: Record<string, unknown> = {}) =>
    post<T>('object', 'execute_kw', [db, uid, user.apiKey, model, method, args, kwargs]);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const report = await benchMonthEnd(monthEndOptionsFromEnv(), (line) => console.error(line));
  for (const line of monthEndBenchLines(report)) console.log(line);
}
