import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hub } from '../../local/runtime.js';
import { isAlarmNotification } from '../../local/sns.js';
import { seedClaimThroughApi } from './support/claims.js';
import {
  type ApiCall,
  accessToken,
  apiCaller,
  eventually,
  odoo,
  sandboxAdmin,
  startTestHub,
} from './support/hub.js';

/**
 * Issue #6: the reconciliation state machine — the ASL lib/ deploys, executed by the local Step Functions
 * stand-in with its tasks bound to the reconcile handler — run over a seeded world: one payer, one day of
 * remittances, and Odoo with one planted difference of every class. It must find exactly those, mark the
 * matched encounter reconciled, and open nothing new when run again, also when Odoo fails mid-run.
 */
const PAYER = 'PAYER-RCN';
const DAY = '2026-11-10';
const PERIOD = { from: `${DAY}T00:00:00Z`, to: '2026-11-11T00:00:00Z' };

let hub: Hub;
let token: string;
let call: ApiCall;

beforeAll(async () => {
  hub = await startTestHub({
    stepFunctions: { retryIntervalScale: 0 },
    // Finance is alerted when one payer's variance in a run exceeds $100.00; alarm periods of 1 s locally.
    monitoring: {
      thresholds: { variancePerPayerCents: 10_000 },
      alarmPeriodSeconds: 1,
      sweepIntervalSeconds: false,
    },
  });
  token = await accessToken(hub);
  call = apiCaller(hub, token, 'rcn-it');
});

afterAll(async () => {
  await hub?.close();
});

const dollars = (cents: number) => (cents / 100).toFixed(2);

/**
 * A balanced remittance: billed − paid adjusted under one group. CO that closes the invoice goes on the
 * payment as a write-off; OA is a credit note of its own (so a planted payment elsewhere stays one difference).
 */
function remittance(tag: string, billedCents: number, paidCents: number, group: 'CO' | 'OA') {
  const adjustedCents = billedCents - paidCents;
  return {
    remittanceId: `ERA-${tag}`,
    encounterId: `ENC-RCN-C${tag}`,
    facilityId: 'FAC-RCN',
    claimId: `C-${tag}`,
    payerId: PAYER,
    payerClaimControlNumber: `PCN-${tag}`,
    claimStatus: '1',
    billedAmount: dollars(billedCents),
    paidAmount: dollars(paidCents),
    // OA as a credit note of its own: OA-121 (an OA-94 is contractual since issue 14 and rides on the write-off).
    adjustments: [{ group, reason: group === 'CO' ? '45' : '121', amount: dollars(adjustedCents) }],
    payment: { traceNumber: `TRN-${tag}`, method: 'ACH', date: DAY },
  };
}

const seed = (tag: string, billedCents: number, submittedDate?: string) =>
  seedClaimThroughApi(call, {
    claimId: `C-${tag}`,
    billedCents,
    prefix: 'RCN',
    payerId: PAYER,
    payerName: 'Reconciliation Test Payer',
    ...(submittedDate ? { submittedDate } : {}),
  });

async function invoiceMoveId(invoiceId: string): Promise<number> {
  const [id] = await odoo<number[]>(hub, 'account.move', 'search', [
    [
      ['ref', '=', invoiceId],
      ['move_type', '=', 'out_invoice'],
    ],
  ]);
  if (id === undefined) throw new Error(`no Odoo invoice ${invoiceId}`);
  return id;
}

/** A payment keyed by hand in Odoo through the payment wizard, as a finance clerk would. */
async function payInOdoo(invoiceId: string, amountCents: number, memo: string): Promise<number> {
  const context = { active_model: 'account.move', active_ids: [await invoiceMoveId(invoiceId)] };
  const [journalId] = await odoo<number[]>(hub, 'account.journal', 'search', [[['code', '=', 'BNK1']]]);
  const [wizard] = await odoo<number[]>(
    hub,
    'account.payment.register',
    'create',
    [
      [
        {
          amount: dollars(amountCents),
          payment_date: DAY,
          journal_id: journalId,
          communication: memo,
          payment_difference_handling: 'open',
        },
      ],
    ],
    { context },
  );
  const action = await odoo<{ res_id: number }>(
    hub,
    'account.payment.register',
    'action_create_payments',
    [[wizard]],
    {
      context,
    },
  );
  return action.res_id;
}

/** Money received from the payer and posted in Odoo against no invoice. */
async function unappliedPayment(amountCents: number, memo: string): Promise<number> {
  const [partnerId] = await odoo<number[]>(hub, 'res.partner', 'search', [
    [['ref', '=', `rcm:payer:${PAYER}`]],
  ]);
  const [journalId] = await odoo<number[]>(hub, 'account.journal', 'search', [[['code', '=', 'BNK1']]]);
  const [id] = await odoo<number[]>(hub, 'account.payment', 'create', [
    [
      {
        payment_type: 'inbound',
        partner_type: 'customer',
        partner_id: partnerId,
        amount: dollars(amountCents),
        date: DAY,
        journal_id: journalId,
        ref: memo,
      },
    ],
  ]);
  await odoo(hub, 'account.payment', 'action_post', [[id]]);
  return id as number;
}

interface Report {
  runId: string;
  status: string;
  totals: { remittances: number; matched: number; differences: number; varianceCents: number };
  payers: Array<{ payerId: string; status: string }>;
  execution: { status?: string };
  differences: Array<{
    key: string;
    class: string;
    amountCents: number;
    encounterId?: string;
    claimId?: string;
    paymentId?: string;
  }>;
}

async function reconcile(key: string): Promise<Report> {
  const started = await call('POST', '/v1/reconciliations', { period: PERIOD, payerId: PAYER }, key);
  expect(started.status, JSON.stringify(started.body)).toBe(202);
  const runId = started.body.runId as string;
  await hub.aws.stepFunctions.waitForIdle();
  await hub.waitForIdle();
  const report = await call('GET', `/v1/reconciliations/${runId}`);
  expect(report.status, JSON.stringify(report.body)).toBe(200);
  return report.body as unknown as Report;
}

const workflow = async (encounterId: string) =>
  (await call('GET', `/v1/workflows/${encounterId}`)).body as {
    state: string;
    exceptions: Array<{ key: string; amountCents: number }>;
  };

describe('reconciliation (Step Functions, local)', () => {
  /** [class, the id it concerns (claim, or payment for CHK-GONE), revenue at stake]. */
  const planted = [
    ['amount_variance', 'C-VAR', 500],
    ['missing_in_odoo', 'C-MISS', 7000],
    ['missing_in_odoo', 'CHK-GONE', 3000],
    ['posted_twice', 'C-TWICE', 8000],
    ['remittance_not_received', 'C-LATE', 10000],
    ['unapplied_cash', undefined, 12345],
    ['wrong_invoice', 'C-WRONG', 5000],
  ] as const;
  let first: Report;

  beforeAll(async () => {
    for (const [tag, billed] of [
      ['OK', 10000],
      ['MISS', 10000],
      ['VAR', 20000],
      ['WRONG', 10000],
      ['TWICE', 10000],
    ] as const) {
      await seed(tag, billed);
    }
    await seed('LATE', 10000, '2026-09-15');
    await hub.waitForIdle();

    // Planted before the hub posts: Odoo refuses MISS's payment for good; a clerk already keyed VAR's payment
    // with a wrong amount and WRONG's on another invoice (the hub finds them by its marker and books nothing).
    await sandboxAdmin(hub, 'constraints', {
      model: 'account.payment.register',
      method: 'create',
      field: 'communication',
      equals: 'ERA TRN-MISS claim C-MISS [rcm:era:ERA-MISS:payment]',
      name: 'odoo.exceptions.ValidationError',
      message: 'The bank journal is locked for this partner.',
    });
    // The same rule as a deployment's constraint on the payment itself refuses it: the writer's batch creates
    // payments with `account.payment.create` (receivables-batch.ts), the one-by-one path through the wizard.
    await sandboxAdmin(hub, 'constraints', {
      model: 'account.payment',
      method: 'create',
      field: 'ref',
      equals: 'ERA TRN-MISS claim C-MISS [rcm:era:ERA-MISS:payment]',
      name: 'odoo.exceptions.ValidationError',
      message: 'The bank journal is locked for this partner.',
    });
    await payInOdoo('INV-CVAR', 6000, 'ERA TRN-VAR [rcm:era:ERA-VAR:payment]');
    await payInOdoo('INV-CLATE', 5000, 'ERA TRN-WRONG [rcm:era:ERA-WRONG:payment]');

    for (const [tag, billed, paid, group] of [
      ['OK', 10000, 8000, 'CO'],
      ['MISS', 10000, 7000, 'CO'],
      ['VAR', 20000, 6500, 'OA'],
      ['WRONG', 10000, 5000, 'OA'],
      ['TWICE', 10000, 8000, 'CO'],
    ] as const) {
      const answer = await call('POST', '/v1/remittances', remittance(tag, billed, paid, group));
      expect(answer.status, JSON.stringify(answer.body)).toBe(202);
    }
    await hub.waitForIdle();
    await sandboxAdmin(hub, 'constraints', undefined, 'DELETE');

    // After posting: TWICE's ERA keyed again by hand (no marker, its trace in the memo), and a check on no invoice.
    await unappliedPayment(8000, 're-keyed ERA TRN-TWICE');
    await unappliedPayment(12345, 'check 5521');

    // Two checks from the payer outside an ERA: one stays as booked, the other a clerk cancels in Odoo.
    for (const [paymentId, invoiceId, encounterId, cents] of [
      ['CHK-OK', 'INV-CLATE', 'ENC-RCN-CLATE', 2000],
      ['CHK-GONE', 'INV-CWRONG', 'ENC-RCN-CWRONG', 3000],
    ] as const) {
      const answer = await call('POST', '/v1/payments', {
        paymentId,
        encounterId,
        facilityId: 'FAC-RCN',
        payer: { kind: 'payer', id: PAYER },
        amount: dollars(cents),
        method: 'check',
        traceNumber: `${paymentId}-TRACE`,
        receivedDate: DAY,
        appliesTo: { invoiceId },
      });
      expect(answer.status, JSON.stringify(answer.body)).toBe(202);
    }
    await hub.waitForIdle();
    const [gone] = await odoo<number[]>(hub, 'account.payment', 'search', [
      [['ref', 'ilike', '[rcm:pay:CHK-GONE]']],
    ]);
    await odoo(hub, 'account.payment', 'action_draft', [[gone]]);
    await odoo(hub, 'account.payment', 'action_cancel', [[gone]]);

    first = await reconcile('rcn-first');
  });

  it('finds exactly the planted differences, one of each class, with their revenue amounts', () => {
    expect(first.status).toBe('completed');
    const found = first.differences
      .map((d) => [d.class, d.claimId ?? d.paymentId, d.amountCents])
      .sort((a, b) => `${a[0]}${a[1]}`.localeCompare(`${b[0]}${b[1]}`));
    expect(found).toEqual(planted.map((row) => [...row]));
    expect(first.totals).toMatchObject({
      remittances: 5,
      payments: 2,
      paymentCents: 5000,
      // OK's and TWICE's remittances (TWICE's copy is a payment of its own) and the check CHK-OK.
      matched: 3,
      differences: 7,
      varianceCents: 500 + 7000 + 3000 + 8000 + 10000 + 12345 + 5000,
    });
  });

  it('alerts finance once, with the payer variance at stake, through the alarm table CDK deploys', async () => {
    const alerts = await eventually(async () => {
      const found = hub.sns
        .messages('finance')
        .filter(isAlarmNotification)
        .map((m) => JSON.parse(m.Message) as Record<string, unknown>)
        .filter((a) => a.AlarmName === 'rcm-hub-local-ReconciliationPayerVariance');
      return found.length > 0 ? found : undefined;
    });
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ NewStateValue: 'ALARM', OldStateValue: 'INSUFFICIENT_DATA' });
    // The largest payer variance of the run, in cents: this payer's 45,845.
    expect(alerts[0]?.NewStateReason).toMatch(/\[45845\.0 .*\] was greater than the threshold \(10000\.0\)/);
    expect(alerts[0]?.AlarmDescription).toMatch(/operations\.md#alarm-reconciliation-variance/);
    expect(JSON.stringify(alerts)).not.toContain('ENC-RCN');
  });

  it('marks the fully matched encounter reconciled and opens an exception on each troubled one', async () => {
    expect((await workflow('ENC-RCN-COK')).state).toBe('reconciled');
    const variance = await workflow('ENC-RCN-CVAR');
    expect(variance.state).toBe('exception_pending');
    expect(variance.exceptions).toContainEqual(
      expect.objectContaining({ key: 'recon:amount_variance:rcm:era:ERA-VAR:payment', amountCents: 500 }),
    );
    const late = await workflow('ENC-RCN-CLATE');
    expect(late.exceptions.map((e) => e.key)).toContain('recon:remittance_not_received:claim:C-LATE');
  });

  /** The payer's open exceptions in the register (every page). */
  async function registerKeys(): Promise<string[]> {
    const keys: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await call(
        'GET',
        `/v1/exceptions?payerId=${PAYER}&status=open&limit=100${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.status, JSON.stringify(page.body)).toBe(200);
      keys.push(...(page.body.items as Array<{ key: string }>).map((e) => e.key));
      cursor = page.body.nextCursor as string | undefined;
    } while (cursor);
    return keys.sort();
  }

  it('lists every difference in the exception register, for its team and payer, the one without an encounter too', async () => {
    const keys = (await registerKeys()).filter((key) => key.startsWith('recon:'));
    expect(keys).toEqual(first.differences.map((d) => d.key).sort());
    const unapplied = first.differences.find((d) => d.class === 'unapplied_cash');
    const byKey = await call('GET', `/v1/exceptions?team=finance&status=open&payerId=${PAYER}`);
    expect(
      (byKey.body.items as Array<{ key: string; amountCents: number }>).find((e) => e.key === unapplied?.key),
    ).toMatchObject({ amountCents: 12345 });
  });

  it('opens nothing new when run again, and survives Odoo failing mid-run', async () => {
    const before = await Promise.all(
      ['ENC-RCN-CMISS', 'ENC-RCN-CVAR', 'ENC-RCN-CWRONG', 'ENC-RCN-CLATE', 'ENC-RCN-CTWICE'].map(workflow),
    );
    const registered = await registerKeys();
    const second = await reconcile('rcn-second');
    expect(second.differences.map((d) => d.key).sort()).toEqual(first.differences.map((d) => d.key).sort());

    // Odoo answers 500 to the next calls: the batch task fails, Step Functions retries it, the run completes.
    await sandboxAdmin(hub, 'faults', { mode: 'down', remaining: 3 });
    const third = await reconcile('rcn-third');
    // All three failures were spent on this run's calls (and retried past).
    expect(await sandboxAdmin(hub, 'faults', undefined, 'GET')).toMatchObject({ fault: { mode: 'none' } });
    expect(third.status).toBe('completed');
    expect(third.differences.map((d) => d.key).sort()).toEqual(first.differences.map((d) => d.key).sort());

    const after = await Promise.all(
      ['ENC-RCN-CMISS', 'ENC-RCN-CVAR', 'ENC-RCN-CWRONG', 'ENC-RCN-CLATE', 'ENC-RCN-CTWICE'].map(workflow),
    );
    expect(after.map((w) => w.exceptions.map((e) => e.key).sort())).toEqual(
      before.map((w) => w.exceptions.map((e) => e.key).sort()),
    );
    expect((await workflow('ENC-RCN-COK')).state).toBe('reconciled');
    expect(await registerKeys()).toEqual(registered);
  });

  it('reports a payer whose Odoo stays down past the retries as failed, and lists every run newest first', async () => {
    // The alarm takes the maximum per period (an hour in AWS, 1 s here): this run lands in a period of its own.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await sandboxAdmin(hub, 'faults', { mode: 'down' });
    try {
      const down = await reconcile('rcn-down');
      expect(down.status).toBe('failed');
      expect(down.payers).toMatchObject([{ payerId: PAYER, status: 'failed' }]);
      expect((down.payers[0] as { error?: string }).error).toMatch(/^OdooUnavailable/);
      expect(down.execution).toMatchObject({ status: 'SUCCEEDED' });
    } finally {
      await sandboxAdmin(hub, 'faults', { mode: 'none' });
    }
    const listed = await call('GET', '/v1/reconciliations?limit=10');
    expect(listed.status).toBe(200);
    const items = listed.body.items as Array<{ runId: string; status: string; startedAt: string }>;
    expect(items.map((r) => r.status)).toEqual(['failed', 'completed', 'completed', 'completed']);
    expect([...items].sort((a, b) => b.startedAt.localeCompare(a.startedAt))).toEqual(items);
    expect((await call('GET', '/v1/reconciliations?limit=0')).status).toBe(400);

    // Three runs over the threshold alerted once; the run that reconciled nothing (variance 0) clears it once.
    const states = await eventually(async () => {
      const found = hub.sns
        .messages('finance')
        .filter(isAlarmNotification)
        .map((m) => JSON.parse(m.Message) as { AlarmName: string; NewStateValue: string })
        .filter((a) => a.AlarmName === 'rcm-hub-local-ReconciliationPayerVariance')
        .map((a) => a.NewStateValue);
      return found.length >= 2 ? found : undefined;
    });
    expect(states).toEqual(['ALARM', 'OK']);
  });

  it('answers 404 for an unknown run and 400 for a period that ends before it starts', async () => {
    expect((await call('GET', '/v1/reconciliations/rcn-nope')).status).toBe(404);
    const bad = await call('POST', '/v1/reconciliations', { period: { from: PERIOD.to, to: PERIOD.from } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toContainEqual(expect.objectContaining({ path: '/period/to' }));
  });
});
