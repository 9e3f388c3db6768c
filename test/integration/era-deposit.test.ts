import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hub } from '../../local/runtime.js';
import { seedClaimThroughApi } from './support/claims.js';
import { SYNTHETIC_ERA_DEPOSIT_LINES } from './support/era-deposit-books.js';
import { type ApiCall, accessToken, apiCaller, odoo, startTestHub } from './support/hub.js';

/**
 * Issue 14 (ERA-level money), through the local hub: the synthetic ERA test/fixtures/x12/synthetic-era-plb.835
 * (claims paid 600.00 + 400.00 + 255.25 with AMT*I 5.25, PLB L6 −7.50, WO 25.00, CS 2.21, BPR02 1,235.54) posted as application/edi-x12
 * after its claims. The writer books each claim payment and one deposit entry for the trace, matched with each
 * other; the reconciliation run finds nothing for the trace, and once the deposit is taken out of the books in
 * Odoo it reports the missing deposit and the 14.46 by which payments − PLB now miss BPR02.
 */
const PAYER = 'PAYER-ERA';
const TRACE = 'EFT20261102A';
const PERIOD = { from: '2026-11-02T00:00:00Z', to: '2026-11-03T00:00:00Z' };

let hub: Hub;
let call: ApiCall;

interface Line {
  name: string;
  debit: number;
  credit: number;
  reconciled: boolean;
  account_id: [number, string];
}

async function depositLines(): Promise<Line[]> {
  const moves = await odoo<Array<{ id: number; state: string }>>(
    hub,
    'account.move',
    'search_read',
    [[['ref', '=', TRACE]]],
    { fields: ['state'] },
  );
  expect(moves.map((m) => m.state)).toEqual(['posted']);
  return odoo<Line[]>(hub, 'account.move.line', 'search_read', [[['move_id', '=', moves[0]?.id]]], {
    fields: ['name', 'debit', 'credit', 'reconciled', 'account_id'],
    order: 'id',
  });
}

async function reconcile(key: string) {
  const started = await call('POST', '/v1/reconciliations', { period: PERIOD, payerId: PAYER }, key);
  expect(started.status, JSON.stringify(started.body)).toBe(202);
  await hub.aws.stepFunctions.waitForIdle();
  await hub.waitForIdle();
  const report = await call('GET', `/v1/reconciliations/${started.body.runId as string}`);
  expect(report.status).toBe(200);
  return (report.body as { differences: Array<{ key: string; class: string; amountCents: number }> })
    .differences;
}

// Two lanes (core/era-booking.ts laneRoundKey) put CLM-B's claim payment in a round of its own, beside CLM-A's and
// CLM-C's: two rounds that each settle the same deposit entry.
describe.each([
  ['in one lane', 'on'],
  ['in two lanes', JSON.stringify({ lanes: 2 })],
])('an ERA with provider-level adjustments, through the hub, %s', (_lanes, eraBooking) => {
  beforeAll(async () => {
    hub = await startTestHub({ stepFunctions: { retryIntervalScale: 0 }, eraBooking });
    call = apiCaller(hub, await accessToken(hub), 'era-it');
  });

  afterAll(async () => {
    await hub?.close();
  });

  it('books the claim payments and one deposit of BPR02 for the trace, matched with each other', async () => {
    // Prepare
    const seed = (method: string, path: string, body?: unknown) => call(method, path, body);
    for (const [claimId, billedCents] of [
      ['CLM-A', 70_000],
      ['CLM-B', 40_000],
      ['CLM-C', 30_000],
    ] as const) {
      await seedClaimThroughApi(seed, {
        claimId,
        billedCents,
        prefix: 'ERA',
        payerId: PAYER,
        payerName: 'Synthetic Health Plan',
      });
    }
    await hub.waitForIdle();
    const file = readFileSync(new URL('../fixtures/x12/synthetic-era-plb.835', import.meta.url), 'latin1');

    // Act
    const answer = await fetch(`${hub.baseUrl}/v1/remittances`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${await accessToken(hub)}`,
        'Content-Type': 'application/edi-x12',
        'Idempotency-Key': 'era-deposit-it-1',
      },
      body: file,
    });
    await hub.waitForIdle();

    // Assess
    expect(answer.status).toBe(202);
    const lines = await depositLines();
    expect(lines.map((l) => [l.account_id[1].slice(0, 6), Math.round((l.debit - l.credit) * 100)])).toEqual(
      SYNTHETIC_ERA_DEPOSIT_LINES,
    );
    // Both claim payments are matched with the deposit's claim-payments line, whichever was booked first.
    expect(lines[1]?.reconciled).toBe(true);
  });

  it('finds nothing for the trace when the books hold BPR02, and reports the money when the deposit is gone', async () => {
    const clean = await reconcile('era-rcn-1');
    expect(clean.filter((d) => d.key.includes(TRACE))).toEqual([]);

    // A person takes the deposit entry out of the books in Odoo (reset to draft, cancelled).
    const [move] = await odoo<number[]>(hub, 'account.move', 'search', [[['ref', '=', TRACE]]]);
    await odoo(hub, 'account.move', 'button_draft', [[move]]);
    await odoo(hub, 'account.move', 'button_cancel', [[move]]);

    const after = await reconcile('era-rcn-2');
    expect(
      after
        .filter((d) => d.key.includes(TRACE))
        .map((d) => [d.class, d.amountCents])
        .sort(),
    ).toEqual([
      ['deposit_variance', 1_446],
      ['missing_in_odoo', 123_554],
    ]);
  });
});
