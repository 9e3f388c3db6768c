/**
 * AWS cost per encounter for `npm run bench` (docs/cost.md): the issue-16 mix — charge, invoice, claim, claim
 * status, one claim line of a 50-claim 835, 0.3 patient payments, and that payer-day's reconciliation run — sent
 * through the local hub with its AWS meter on (local/aws-meter.ts). Every request the handlers' SDK clients
 * make is counted in the unit AWS bills; the figures are divided by the encounters and multiplied by us-east-1
 * list prices. Patient and payer master data are synced before the meter starts (they are not per encounter).
 * Run alone with `npx tsx test/bench/cost.ts`.
 */
import { availableParallelism, loadavg } from 'node:os';
import { patientInvoiceId } from '../../lambdas/core/remittance-posting.js';
import { type ClaimSpec, write835 } from '../../lambdas/core/x12/write-835.js';
import { AwsMeter, type MeterReading } from '../../local/aws-meter.js';
import type { Hub } from '../../local/runtime.js';
import { accessToken, apiCaller, startTestHub } from '../integration/support/hub.js';

/**
 * us-east-1 list prices (USD), as published on the services' pricing pages (read 2026-12-04, see docs/cost.md
 * for the sources). No free tier, no volume tier beyond the first.
 */
export const PRICES = {
  dynamodbWriteRequestUnit: 0.625 / 1e6,
  dynamodbReadRequestUnit: 0.125 / 1e6,
  apiGatewayRestRequest: 3.5 / 1e6,
  lambdaRequest: 0.2 / 1e6,
  lambdaArmGbSecond: 0.0000133334,
  eventBridgeCustomEvent: 1.0 / 1e6,
  sqsStandardRequest: 0.4 / 1e6,
  sqsFifoRequest: 0.5 / 1e6,
  stepFunctionsStandardTransition: 0.025 / 1e3,
  cloudWatchLogsIngestedGb: 0.5,
} as const;

const PAYER = { id: 'PAYER-COST', name: 'Cost Bench Payer' };
const FACILITY = 'FAC-COST';
const DAY = '2026-11-30';
const BILLED = 15_000;
const DEDUCTIBLE = 2_000;
const CO = 3_000;

export interface CostBench {
  encounters: number;
  reading: MeterReading;
  perEncounter: CostLine[];
  totalPerMillion: number;
}

export interface CostLine {
  service: string;
  measure: string;
  perEncounter: number;
  /** USD per 1M encounters. */
  perMillion: number;
}

const sum = (record: Record<string, number>) => Object.values(record).reduce((a, b) => a + b, 0);

/** Sends the mix for `encounters` encounters (one 835 for all of them) and reads the meter. */
export async function benchCost(encounters = 50): Promise<CostBench> {
  const meter = new AwsMeter();
  const hub: Hub = await startTestHub({
    meter,
    logLevel: 'INFO', // what a deployed stage logs (lib/functions.ts): its bytes are part of the bill
    stepFunctions: { retryIntervalScale: 0 },
    monitoring: { sweepIntervalSeconds: false },
  });
  try {
    meter.captureLogs();
    const token = await accessToken(hub);
    const call = apiCaller(hub, token, 'bench-cost');
    const tags = Array.from({ length: encounters }, (_, i) => `K${String(i).padStart(4, '0')}`);
    const expect202 = async (what: string, answer: Promise<{ status: number; body: unknown }>) => {
      const out = await answer;
      if (out.status !== 202) throw new Error(`${what}: ${out.status} ${JSON.stringify(out.body)}`);
    };
    const parallel = async (work: (tag: string, i: number) => Promise<unknown>) => {
      let next = 0;
      await Promise.all(
        // Two clients at a time: Lambda durations are measured in this process, and a crowded event loop
        // would bill one invocation for another's work.
        Array.from({ length: 2 }, async () => {
          while (next < tags.length) {
            const i = next++;
            await work(tags[i] as string, i);
          }
        }),
      );
    };

    // Not per encounter: master data, synced before the meter starts.
    await expect202(
      'payer',
      call('PUT', `/v1/payers/${PAYER.id}`, {
        name: PAYER.name,
        payerType: 'commercial',
        sourceSystem: 'billing',
        sourceUpdatedAt: '2026-11-01T00:00:00Z',
      }),
    );
    await parallel((tag) =>
      expect202(
        'patient',
        call('PUT', `/v1/patients/PAT-${tag}`, {
          name: `Patient ${tag}`,
          birthDate: '1970-05-01',
          sourceSystem: 'ehr',
          sourceUpdatedAt: '2026-11-30T08:00:00Z',
        }),
      ),
    );
    await hub.waitForIdle();
    meter.reset();

    const base = (tag: string) => ({ encounterId: `ENC-COST-${tag}`, facilityId: FACILITY });
    const line = { code: '99214', codeSystem: 'CPT' as const };
    const amount = (cents: number) => (cents / 100).toFixed(2);
    await parallel(async (tag) => {
      await expect202(
        'charge',
        call('POST', '/v1/charges', {
          chargeId: `CHG-${tag}`,
          ...base(tag),
          patientId: `PAT-${tag}`,
          lines: [
            {
              ...line,
              units: 1,
              amount: amount(BILLED),
              serviceDate: '2026-11-02',
              renderingProviderNpi: '1234567893',
            },
          ],
        }),
      );
      await expect202(
        'invoice',
        call('POST', '/v1/invoices', {
          invoiceId: `INV-${tag}`,
          ...base(tag),
          issueDate: '2026-11-02',
          currency: 'USD',
          billTo: { kind: 'payer', id: PAYER.id, name: PAYER.name },
          lines: [{ ...line, description: 'Visit', quantity: 1, unitPrice: amount(BILLED) }],
        }),
      );
      await expect202(
        'claim',
        call('POST', '/v1/claims', {
          claimId: `CLM-${tag}`,
          ...base(tag),
          payerId: PAYER.id,
          invoiceIds: [`INV-${tag}`],
          billedAmount: amount(BILLED),
          submittedDate: '2026-11-03',
        }),
      );
      await expect202(
        'status',
        call('POST', '/v1/claim-statuses', {
          statusId: `STS-${tag}`,
          claimId: `CLM-${tag}`,
          ...base(tag),
          status: 'accepted',
          payerCodes: [],
          effectiveDate: '2026-11-05',
        }),
      );
    });
    await hub.waitForIdle();

    // One 835 for the day: every encounter's claim paid, CO-45 written off, a PR-1 deductible billed to the patient.
    const trace = 'EFT-COST-0001';
    const claims: ClaimSpec[] = tags.map((tag) => ({
      claimId: `CLM-${tag}`,
      status: '1',
      billedCents: BILLED,
      paidCents: BILLED - CO - DEDUCTIBLE,
      patientResponsibilityCents: DEDUCTIBLE,
      filingIndicator: '12',
      payerClaimControlNumber: `PCN-${tag}`,
      adjustments: [
        { group: 'CO', reason: '45', amountCents: CO },
        { group: 'PR', reason: '1', amountCents: DEDUCTIBLE },
      ],
      services: [],
      serviceDate: '2026-11-02',
    }));
    const era = [
      ...write835({
        controlNumber: '0001',
        traceNumber: trace,
        method: 'ACH',
        date: DAY,
        payerName: PAYER.name.toUpperCase(),
        payeeName: 'COST CLINIC',
        payeeNpi: '1234567893',
        claims,
        providerAdjustments: [],
      }),
    ].join('');
    const eraAnswer = await fetch(`${hub.baseUrl}/v1/remittances`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${token}`,
        'Content-Type': 'application/edi-x12',
        'Idempotency-Key': 'bench-cost-era-0001',
      },
      body: era,
    });
    if (eraAnswer.status !== 202) throw new Error(`835: ${eraAnswer.status} ${await eraAnswer.text()}`);
    await hub.waitForIdle();

    // 0.3 patient payments per encounter: every tenth of three in ten encounters pays its deductible.
    const paying = tags.filter((_, i) => i % 10 < 3);
    for (const tag of paying) {
      await expect202(
        'patient payment',
        call('POST', '/v1/payments', {
          paymentId: `PAY-${tag}`,
          ...base(tag),
          payer: { kind: 'patient', id: `PAT-${tag}` },
          amount: amount(DEDUCTIBLE),
          method: 'card',
          traceNumber: `ch_${tag}`,
          receivedDate: DAY,
          appliesTo: { invoiceId: patientInvoiceId(`INV-${tag}`, `${trace}:PCN-${tag}`) },
        }),
      );
    }
    await hub.waitForIdle();

    // The payer-day's reconciliation run (the daily schedule would start the same run).
    const run = await call('POST', '/v1/reconciliations', {
      period: { from: `${DAY}T00:00:00Z`, to: '2026-12-01T00:00:00Z' },
      payerId: PAYER.id,
    });
    if (run.status !== 202) throw new Error(`reconciliation not started: ${run.status}`);
    await hub.waitForIdle();
    const report = await call('GET', `/v1/reconciliations/${run.body.runId}`);
    meter.stopLogCapture();
    const totals = report.body.totals as { matched: number; differences: number } | undefined;
    if (!totals || totals.differences !== 0)
      throw new Error(`reconciliation found differences: ${JSON.stringify(report.body)}`);
    const reading = meter.read();
    // The report read (GET) is a person's, not the encounters': taken out again.
    reading.apiGatewayRequests -= 1;
    return costOf(reading, encounters, paying.length);
  } finally {
    meter.stopLogCapture();
    await hub.close();
  }
}

export function costOf(reading: MeterReading, encounters: number, _payments = 0): CostBench {
  const per = (n: number) => n / encounters;
  const lines: CostLine[] = [];
  const push = (service: string, measure: string, total: number, price: number) =>
    lines.push({ service, measure, perEncounter: per(total), perMillion: per(total) * price * 1e6 });

  const tableWrites = Object.entries(reading.dynamodb.writeUnits).sort(([a], [b]) => a.localeCompare(b));
  for (const [key, units] of tableWrites)
    push('DynamoDB', `WRU ${key.includes('/') ? `GSI ${key}` : key}`, units, PRICES.dynamodbWriteRequestUnit);
  push(
    'DynamoDB',
    'RRU (all tables and indexes)',
    sum(reading.dynamodb.readUnits),
    PRICES.dynamodbReadRequestUnit,
  );
  push('API Gateway', 'REST requests', reading.apiGatewayRequests, PRICES.apiGatewayRestRequest);
  const lambdas = Object.values(reading.lambda);
  push(
    'Lambda',
    'invocations',
    lambdas.reduce((n, l) => n + l.invocations, 0),
    PRICES.lambdaRequest,
  );
  push(
    'Lambda',
    'GB-s (arm64)',
    lambdas.reduce((n, l) => n + l.gbSeconds, 0),
    PRICES.lambdaArmGbSecond,
  );
  push('EventBridge', 'events (64 KB chunks)', reading.eventBridge.events, PRICES.eventBridgeCustomEvent);
  const fifo = Object.entries(reading.sqs).filter(([k]) => k.startsWith('fifo'));
  const standard = Object.entries(reading.sqs).filter(([k]) => k.startsWith('standard'));
  push(
    'SQS',
    'FIFO requests',
    fifo.reduce((n, [, v]) => n + v, 0),
    PRICES.sqsFifoRequest,
  );
  push(
    'SQS',
    'standard requests',
    standard.reduce((n, [, v]) => n + v, 0),
    PRICES.sqsStandardRequest,
  );
  push(
    'Step Functions',
    'state transitions',
    reading.stepFunctions.transitions,
    PRICES.stepFunctionsStandardTransition,
  );
  push('CloudWatch Logs', 'bytes ingested', reading.logs.bytes, PRICES.cloudWatchLogsIngestedGb / 1e9);
  return {
    encounters,
    reading,
    perEncounter: lines,
    totalPerMillion: lines.reduce((n, l) => n + l.perMillion, 0),
  };
}

/**
 * The exact part as if the Odoo writer took one message per batch: the lines that follow the writer's batch
 * fullness (its invocations, the FIFO receives and deletes, the drained counter's ADD per batch) counted at one per
 * message sent to the write queue. Batch fullness follows the bench's timing (how closely messages arrive while
 * the writer is busy), not the code, and moves the exact part by several dollars between otherwise equal runs;
 * this figure does not move with it, so two branches compare on it (docs/cost.md#third-pass). One message per
 * batch is also what light steady traffic looks like. The writer's log lines are left as measured.
 */
export function exactAtOneMessagePerBatch(c: CostBench): number {
  const r = c.reading;
  const messages = r.sqs['fifo SendMessage'] ?? 0;
  const perBatch =
    (messages - (r.sqs['fifo ReceiveMessage'] ?? 0)) * PRICES.sqsFifoRequest +
    (messages - (r.sqs['fifo DeleteMessageBatch'] ?? 0)) * PRICES.sqsFifoRequest +
    (messages - (r.lambda.odooWriter?.invocations ?? 0)) * PRICES.lambdaRequest +
    (messages - (r.dynamodb.writeUnitsByItem['WorkflowTable BREAKER/DRAINED'] ?? 0)) *
      PRICES.dynamodbWriteRequestUnit;
  return c.totalPerMillion - gbSecondsPerMillion(c) + (perBatch / c.encounters) * 1e6;
}

const fmt = (n: number) =>
  n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n >= 1 ? n.toFixed(2) : n.toFixed(3);

const gbSecondsPerMillion = (c: CostBench) =>
  c.perEncounter.find((l) => l.service === 'Lambda' && l.measure.startsWith('GB-s'))?.perMillion ?? 0;

export function costBenchLines(c: CostBench): string[] {
  const r = c.reading;
  const byService = new Map<string, number>();
  for (const l of c.perEncounter) byService.set(l.service, (byService.get(l.service) ?? 0) + l.perMillion);
  const lambdaRows = Object.entries(r.lambda)
    .sort(([, a], [, b]) => (b?.gbSeconds ?? 0) - (a?.gbSeconds ?? 0))
    .map(
      ([name, l]) =>
        `${name} ${fmt((l?.invocations ?? 0) / c.encounters)}× (${fmt((l?.billedMs ?? 0) / Math.max(1, l?.invocations ?? 1))} ms)`,
    );
  return [
    `AWS cost per encounter (docs/cost.md): ${c.encounters} encounters — charge, invoice, claim, status, one line of a ${c.encounters}-claim 835, 0.3 patient payments, the payer-day's reconciliation — every request counted by the local AWS meter, × us-east-1 list prices:`,
    '',
    '| service | measure | per encounter | $ per 1M encounters |',
    '| --- | --- | ---: | ---: |',
    ...c.perEncounter.map(
      (l) => `| ${l.service} | ${l.measure} | ${fmt(l.perEncounter)} | ${l.perMillion.toFixed(2)} |`,
    ),
    `| **total** | | | **${c.totalPerMillion.toFixed(2)}** |`,
    '',
    // The request counts repeat exactly from run to run; Lambda GB-s is this process's wall time and follows the
    // machine's load (docs/cost.md#lambda-duration-is-this-machines-not-awss): the two are reported apart.
    `Exact part (every line but Lambda GB-s, load-independent): $${(c.totalPerMillion - gbSecondsPerMillion(c)).toFixed(2)} per 1M encounters; Lambda GB-s this run: $${gbSecondsPerMillion(c).toFixed(2)}, measured at load average ${loadavg()[0]?.toFixed(1)} on ${availableParallelism()} cores`,
    `Exact part at one message per Odoo writer batch (does not follow the bench's batch fullness; compare branches on it): $${exactAtOneMessagePerBatch(c).toFixed(2)} per 1M encounters (odooWriter ran ${fmt((r.lambda.odooWriter?.invocations ?? 0) / c.encounters)}× for ${fmt((r.sqs['fifo SendMessage'] ?? 0) / c.encounters)} messages per encounter)`,
    '',
    `By service ($ per 1M encounters): ${[...byService].map(([s, v]) => `${s} ${v.toFixed(2)}`).join(', ')}`,
    '',
    `Lambda invocations per encounter (mean billed duration, this machine): ${lambdaRows.join(', ')}`,
    '',
    `EventBridge events by type (per encounter): ${Object.entries(r.eventBridge.byType)
      .sort(([, a], [, b]) => b - a)
      .map(([type, n]) => `${type} ${fmt(n / c.encounters)}`)
      .join(', ')}`,
    '',
    `DynamoDB write units by item kind (per encounter): ${Object.entries(r.dynamodb.writeUnitsByItem)
      .sort(([, a], [, b]) => b - a)
      .map(([kind, n]) => `${kind} ${fmt(n / c.encounters)}`)
      .join(', ')}`,
    '',
    `DynamoDB read units by item kind (per encounter): ${Object.entries(r.dynamodb.readUnitsByItem)
      .sort(([, a], [, b]) => b - a)
      .map(([kind, n]) => `${kind} ${fmt(n / c.encounters)}`)
      .join(', ')}`,
    '',
    `DynamoDB writes of items over 1 KB (per encounter, largest item): ${
      Object.entries(r.dynamodb.writesOver1Kb)
        .sort(([, a], [, b]) => b.writes - a.writes)
        .map(([kind, o]) => `${kind} ${fmt(o.writes / c.encounters)} (${o.largestBytes} B)`)
        .join(', ') || 'none'
    }`,
    '',
    `DynamoDB requests (per encounter): ${Object.entries(r.dynamodb.requests)
      .sort(([, a], [, b]) => b - a)
      .map(([op, n]) => `${op} ${fmt(n / c.encounters)}`)
      .join(', ')}; SQS requests: ${Object.entries(r.sqs)
      .map(([op, n]) => `${op} ${fmt(n / c.encounters)}`)
      .join(
        ', ',
      )}; Step Functions: ${r.stepFunctions.executions} execution(s), ${r.stepFunctions.transitions} transitions; logs ${fmt(r.logs.bytes / c.encounters / 1024)} KiB per encounter`,
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const result = await benchCost(Number(process.env.BENCH_COST_ENCOUNTERS ?? 50));
  for (const line of costBenchLines(result)) console.log(line);
}
