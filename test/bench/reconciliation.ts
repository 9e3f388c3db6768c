/**
 * Reconciliation figures for `npm run bench`: a day of N paid remittances for one payer, posted through the
 * local hub, then one reconciliation run of the state machine (local Step Functions stand-in, Odoo sandbox).
 * Reports the run's wall time, remittances per second and the Odoo RPCs per remittance (all read-only).
 */
import type { Hub } from '../../local/runtime.js';
import { seedClaimThroughApi } from '../integration/support/claims.js';
import { accessToken, apiCaller, sandboxAdmin, startTestHub } from '../integration/support/hub.js';

export interface ReconciliationBench {
  remittances: number;
  runMs: number;
  remittancesPerSecond: number;
  odooRpcs: number;
  rpcPerRemittance: number;
  calls: Record<string, number>;
}

const DAY = '2026-11-10';

export async function benchReconciliation(remittances: number): Promise<ReconciliationBench> {
  const hub: Hub = await startTestHub({ stepFunctions: { retryIntervalScale: 0 } });
  try {
    const token = await accessToken(hub);
    const call = apiCaller(hub, token, 'bench-rcn');
    const tags = Array.from({ length: remittances }, (_, i) => `B${String(i).padStart(5, '0')}`);
    const parallel = async (work: (tag: string) => Promise<unknown>) => {
      let next = 0;
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          while (next < tags.length) await work(tags[next++] as string);
        }),
      );
    };
    await parallel((tag) =>
      seedClaimThroughApi(call, {
        claimId: `C-${tag}`,
        billedCents: 10000,
        prefix: 'BENCH',
        payerId: 'PAYER-BENCH',
        payerName: 'Bench Payer',
      }),
    );
    await hub.waitForIdle();
    await parallel(async (tag) => {
      const answer = await call('POST', '/v1/remittances', {
        remittanceId: `ERA-${tag}`,
        encounterId: `ENC-BENCH-C${tag}`,
        facilityId: 'FAC-BENCH',
        claimId: `C-${tag}`,
        payerId: 'PAYER-BENCH',
        payerClaimControlNumber: `PCN-${tag}`,
        claimStatus: '1',
        billedAmount: '100.00',
        paidAmount: '80.00',
        adjustments: [{ group: 'CO', reason: '45', amount: '20.00' }],
        payment: { traceNumber: `TRN-${tag}`, method: 'ACH', date: DAY },
      });
      if (answer.status !== 202) throw new Error(`remittance ${tag}: ${answer.status}`);
    });
    await hub.waitForIdle();

    await sandboxAdmin(hub, 'stats', undefined, 'DELETE');
    const started = performance.now();
    const run = await call('POST', '/v1/reconciliations', {
      period: { from: `${DAY}T00:00:00Z`, to: '2026-11-11T00:00:00Z' },
      payerId: 'PAYER-BENCH',
    });
    if (run.status !== 202) throw new Error(`reconciliation not started: ${run.status}`);
    await hub.aws.stepFunctions.waitForIdle();
    const runMs = performance.now() - started;
    const report = await call('GET', `/v1/reconciliations/${run.body.runId}`);
    const totals = report.body.totals as { matched: number; differences: number };
    if (totals.matched !== remittances || totals.differences !== 0)
      throw new Error(`unexpected report ${JSON.stringify(totals)}`);
    const stats = (await sandboxAdmin(hub, 'stats', undefined, 'GET')) as {
      total: number;
      calls: Record<string, number>;
    };
    return {
      remittances,
      runMs,
      remittancesPerSecond: remittances / (runMs / 1000),
      odooRpcs: stats.total,
      rpcPerRemittance: stats.total / remittances,
      calls: stats.calls,
    };
  } finally {
    await hub.close();
  }
}

export function reconciliationBenchLines(r: ReconciliationBench): string[] {
  return [
    `Reconciliation of one payer-day, ${r.remittances} paid remittances (all matching), one run of the state machine:`,
    '',
    '| figure | value |',
    '| --- | ---: |',
    `| run wall time (start → report) | ${(r.runMs / 1000).toFixed(2)} s |`,
    `| remittances reconciled per second | ${r.remittancesPerSecond.toFixed(1)} |`,
    `| Odoo RPCs for the run (read-only) | ${r.odooRpcs} |`,
    `| Odoo RPCs per remittance | ${r.rpcPerRemittance.toFixed(2)} |`,
    '',
    `RPC mix: ${Object.entries(r.calls)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  ];
}
