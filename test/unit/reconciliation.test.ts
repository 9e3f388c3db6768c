import aslValidator from 'asl-validator';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { paymentStepRef } from '../../lambdas/core/payment-posting.js';
import type { PostingStep } from '../../lambdas/core/posting-plan.js';
import {
  type AcceptedPayment,
  type AcceptedRemittance,
  comparePayerPayments,
  comparePaymentsReceived,
  compareRemittances,
  dateRange,
  type OdooMoveSeen,
  type OdooPaymentSeen,
  overdueClaims,
  payerTotals,
  previousUtcDay,
  ReconciliationPeriod,
} from '../../lambdas/core/reconciliation.js';
import { remittanceStepRefs } from '../../lambdas/core/remittance-posting.js';
import {
  reconciliationDefinition,
  resolvedReconciliationDefinition,
} from '../../lib/reconciliation-definition.js';

const PAYER = 'AETNA';

function remittance(
  id: string,
  paidCents: number,
  extra: Partial<AcceptedRemittance> = {},
): AcceptedRemittance {
  const refs = remittanceStepRefs(id);
  const steps: PostingStep[] = [
    {
      kind: 'creditNote',
      ref: refs.coCredit,
      invoiceId: `INV-${id}`,
      amountCents: 2000,
      account: 'contractualAdjustments',
      label: 'CO-45',
    },
    {
      kind: 'payment',
      ref: refs.payment,
      invoiceId: `INV-${id}`,
      partner: { kind: 'payer', id: PAYER },
      amountCents: paidCents,
      date: '2026-11-20',
      memo: `ERA T-${id} claim C-${id}`,
    },
  ];
  return {
    remittanceId: id,
    encounterId: `E-${id}`,
    claimId: `C-${id}`,
    traceNumber: `T-${id}`,
    paymentDate: '2026-11-20',
    paidCents,
    claimStatus: '1',
    plannedSteps: steps,
    reversed: false,
    ...extra,
  };
}

function payment(
  id: number,
  ref: string | undefined,
  amountCents: number,
  invoiceRefs: string[],
): OdooPaymentSeen {
  return {
    id,
    ...(ref ? { hubRef: ref } : {}),
    memo: ref ? `ERA [${ref}]` : 'hand entry',
    amountCents,
    active: true,
    date: '2026-11-20',
    invoiceRefs,
  };
}

function creditNote(id: number, ref: string, totalCents: number): OdooMoveSeen {
  return { id, ref, origin: ref, moveType: 'out_refund', active: true, totalCents, residualCents: 0 };
}

/** Odoo exactly as the plan says: payment on the invoice, credit note of the CO amount. */
function odooFor(r: AcceptedRemittance, paymentId: number) {
  const refs = remittanceStepRefs(r.remittanceId);
  return {
    payments: [payment(paymentId, refs.payment, r.paidCents, [`INV-${r.remittanceId}`])],
    moves: [creditNote(paymentId + 1000, refs.coCredit, 2000)],
  };
}

describe('compareRemittances', () => {
  it('finds nothing when Odoo holds exactly what the plans booked', () => {
    const a = remittance('A', 8000);
    const b = remittance('B', 4500);
    const odoo = [odooFor(a, 1), odooFor(b, 2)];
    const result = compareRemittances(
      PAYER,
      [a, b],
      odoo.flatMap((o) => o.payments),
      odoo.flatMap((o) => o.moves),
    );
    expect(result.differences).toEqual([]);
    expect(result.documents.every((r) => r.matched)).toBe(true);
  });

  it('classifies each planted difference once, with its revenue amount and a stable key', () => {
    const missing = remittance('MISS', 5000);
    const twice = remittance('TWICE', 6000);
    const variance = remittance('VAR', 7000);
    const wrong = remittance('WRONG', 3000);
    const neverBooked = remittance('HELD', 9100, { plannedSteps: undefined });
    const payments = [
      ...odooFor(twice, 20).payments,
      payment(21, remittanceStepRefs('TWICE').payment, 6000, ['INV-TWICE']),
      payment(30, remittanceStepRefs('VAR').payment, 7500, ['INV-VAR']),
      payment(40, remittanceStepRefs('WRONG').payment, 3000, ['INV-OTHER']),
    ];
    const moves = [missing, twice, variance, wrong].map((r, i) =>
      creditNote(100 + i, remittanceStepRefs(r.remittanceId).coCredit, 2000),
    );
    const { differences, documents } = compareRemittances(
      PAYER,
      [missing, twice, variance, wrong, neverBooked],
      payments,
      moves,
    );
    expect(differences.map((d) => [d.class, d.remittanceId, d.amountCents])).toEqual([
      ['missing_in_odoo', 'MISS', 5000],
      ['posted_twice', 'TWICE', 6000],
      ['amount_variance', 'VAR', 500],
      ['wrong_invoice', 'WRONG', 3000],
      ['missing_in_odoo', 'HELD', 9100],
    ]);
    expect(new Set(differences.map((d) => d.key)).size).toBe(differences.length);
    expect(documents.filter((r) => r.matched)).toEqual([]);
    const again = compareRemittances(PAYER, [missing, twice, variance, wrong, neverBooked], payments, moves);
    expect(again.differences.map((d) => d.key)).toEqual(differences.map((d) => d.key));
  });

  it('expects nothing active for a reversed remittance, and reports a payment left standing', () => {
    const reversed = remittance('REV', 5000, { reversed: true });
    const stillActive = compareRemittances(PAYER, [reversed], odooFor(reversed, 1).payments, []);
    expect(stillActive.differences).toMatchObject([{ class: 'amount_variance', amountCents: 5000 }]);
    const cancelled = odooFor(reversed, 1).payments.map((p) => ({ ...p, active: false }));
    expect(compareRemittances(PAYER, [reversed], cancelled, []).differences).toEqual([]);
  });

  it('reports a credit note of another amount and a payment applied to no invoice', () => {
    const r = remittance('CN', 4000);
    const refs = remittanceStepRefs('CN');
    const result = compareRemittances(
      PAYER,
      [r],
      [payment(1, refs.payment, 4000, [])],
      [creditNote(2, refs.coCredit, 2500)],
    );
    expect(result.differences.map((d) => [d.class, d.amountCents])).toEqual([
      ['unapplied_cash', 4000],
      ['amount_variance', 500],
    ]);
  });

  it('never reports a negative amount and every difference names its payer (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            paid: fc.integer({ min: 1, max: 10_000_00 }),
            odoo: fc.integer({ min: 0, max: 10_000_00 }),
          }),
          {
            minLength: 1,
            maxLength: 8,
          },
        ),
        (rows) => {
          const accepted = rows.map((row, i) => remittance(`R${i}`, row.paid));
          const payments = rows.flatMap((row, i) =>
            row.odoo === 0
              ? []
              : [payment(i + 1, remittanceStepRefs(`R${i}`).payment, row.odoo, [`INV-R${i}`])],
          );
          const moves = accepted.map((r, i) =>
            creditNote(500 + i, remittanceStepRefs(r.remittanceId).coCredit, 2000),
          );
          const { differences, documents } = compareRemittances(PAYER, accepted, payments, moves);
          for (const d of differences) {
            expect(d.amountCents).toBeGreaterThan(0);
            expect(d.payerId).toBe(PAYER);
          }
          // A remittance matches exactly when Odoo's payment equals the payer's.
          rows.forEach((row, i) => {
            expect(documents[i]?.matched).toBe(row.odoo === row.paid);
          });
        },
      ),
    );
  });
});

describe('comparePaymentsReceived', () => {
  const accepted = (id: string, extra: Partial<AcceptedPayment> = {}): AcceptedPayment => ({
    paymentId: id,
    encounterId: `E-${id}`,
    invoiceId: `INV-${id}`,
    traceNumber: `CHK-${id}`,
    receivedDate: '2026-11-20',
    amountCents: 2500,
    booked: true,
    refusedByRules: false,
    refunded: false,
    ...extra,
  });

  it('matches a payment posted once, for its amount, on its invoice', () => {
    const result = comparePaymentsReceived(
      PAYER,
      [accepted('P1')],
      [payment(9, paymentStepRef('P1'), 2500, ['INV-P1'])],
    );
    expect(result.differences).toEqual([]);
    expect(result.documents).toEqual([
      { kind: 'payment', id: 'P1', encounterId: 'E-P1', amountCents: 2500, matched: true },
    ]);
  });

  it('reports a payment Odoo lost, one never booked, one left active after its refund', () => {
    const result = comparePaymentsReceived(
      PAYER,
      [
        accepted('LOST'),
        accepted('NEVER', { booked: false }),
        accepted('REFUNDED', { refunded: true }),
        accepted('REFUSED', { booked: false, refusedByRules: true }),
      ],
      [payment(3, paymentStepRef('REFUNDED'), 2500, ['INV-REFUNDED'])],
    );
    expect(result.differences.map((d) => [d.class, d.paymentId, d.amountCents])).toEqual([
      ['missing_in_odoo', 'LOST', 2500],
      ['missing_in_odoo', 'NEVER', 2500],
      ['amount_variance', 'REFUNDED', 2500],
    ]);
    // Refused by the posting rules: already an exception, not matched, no second difference.
    expect(result.documents.find((d) => d.id === 'REFUSED')?.matched).toBe(false);
  });

  it('reports a payment posted twice, for another amount, or on another invoice', () => {
    const result = comparePaymentsReceived(
      PAYER,
      [accepted('TWICE'), accepted('VAR'), accepted('WRONG')],
      [
        payment(1, paymentStepRef('TWICE'), 2500, ['INV-TWICE']),
        payment(2, paymentStepRef('TWICE'), 2500, ['INV-TWICE']),
        payment(3, paymentStepRef('VAR'), 2000, ['INV-VAR']),
        payment(4, paymentStepRef('WRONG'), 2500, ['INV-ELSE']),
      ],
    );
    expect(result.differences.map((d) => [d.class, d.paymentId, d.amountCents])).toEqual([
      ['posted_twice', 'TWICE', 2500],
      ['amount_variance', 'VAR', 500],
      ['wrong_invoice', 'WRONG', 2500],
    ]);
  });
});

describe('a remittance whose posting booked no payment', () => {
  it('is missing in Odoo when the payer paid, and matched when it paid nothing (a denial)', () => {
    const refused = remittance('NOPAY', 4000, { plannedSteps: [] });
    const denied = remittance('DENIED', 0, { plannedSteps: [] });
    const result = compareRemittances(PAYER, [refused, denied], [], []);
    expect(result.differences).toMatchObject([
      { class: 'missing_in_odoo', key: 'recon:missing_in_odoo:era:NOPAY', amountCents: 4000 },
    ]);
    expect(result.documents.map((d) => [d.id, d.matched])).toEqual([
      ['NOPAY', false],
      ['DENIED', true],
    ]);
  });
});

describe('comparePayerPayments', () => {
  const hubPayments = new Map([
    [remittanceStepRefs('A').payment, { invoiceId: 'INV-A', amountCents: 8000, traceNumber: 'TRACE-A' }],
  ]);

  it('calls a hand-keyed copy of a hub payment posted twice, and cash on no invoice unapplied', () => {
    const differences = comparePayerPayments(
      PAYER,
      [
        payment(1, remittanceStepRefs('A').payment, 8000, ['INV-A']),
        payment(2, undefined, 8000, ['INV-A']),
        { ...payment(3, undefined, 1234, []), memo: 'check 991' },
        payment(4, undefined, 5000, ['INV-Z']),
      ],
      { hubPayments },
    );
    expect(differences.map((d) => [d.class, d.odooIds, d.amountCents])).toEqual([
      ['posted_twice', [2], 8000],
      ['unapplied_cash', [3], 1234],
    ]);
  });

  it('matches a copy by the ERA trace number in its memo', () => {
    const differences = comparePayerPayments(
      PAYER,
      [{ ...payment(7, undefined, 100, ['INV-Q']), memo: 're-keyed TRACE-A' }],
      { hubPayments },
    );
    expect(differences).toMatchObject([{ class: 'posted_twice', traceNumber: 'TRACE-A' }]);
  });
});

describe('overdueClaims', () => {
  it('reports claims past the lag with no remittance, not rejected or denied ones', () => {
    const claims = [
      { claimId: 'OLD', encounterId: 'E1', submittedDate: '2026-09-01', billedCents: 12000, remitted: false },
      { claimId: 'PAID', encounterId: 'E2', submittedDate: '2026-09-01', billedCents: 5000, remitted: true },
      { claimId: 'NEW', encounterId: 'E3', submittedDate: '2026-11-25', billedCents: 5000, remitted: false },
      {
        claimId: 'REJ',
        encounterId: 'E4',
        submittedDate: '2026-09-01',
        billedCents: 5000,
        remitted: false,
        status: 'rejected',
      },
    ];
    const differences = overdueClaims(PAYER, claims, '2026-11-30T00:00:00Z', 30);
    expect(differences).toMatchObject([
      { class: 'remittance_not_received', claimId: 'OLD', amountCents: 12000, team: 'billing' },
    ]);
  });
});

describe('totals and periods', () => {
  it('adds up by class and counts a difference found twice (a retried batch) once', () => {
    const r = remittance('MISS', 5000);
    const { differences, documents } = compareRemittances(PAYER, [r], [], []);
    const totals = payerTotals(documents, [...differences, ...differences]);
    expect(totals).toMatchObject({
      remittances: 1,
      remittedCents: 5000,
      payments: 0,
      paymentCents: 0,
      matched: 0,
      differences: 2,
      varianceCents: 7000,
      byClass: { missing_in_odoo: { count: 2, amountCents: 7000 } },
    });
  });

  it('takes the previous UTC day for a scheduled run and its dates inclusively', () => {
    const period = previousUtcDay('2026-11-30T06:00:00.000Z');
    expect(period).toEqual({ from: '2026-11-29T00:00:00.000Z', to: '2026-11-30T00:00:00.000Z' });
    expect(dateRange(period)).toEqual({ fromDate: '2026-11-29', toDate: '2026-11-29' });
    expect(dateRange({ from: '2026-11-01T00:00:00+02:00', to: '2026-11-02T00:00:00+02:00' })).toEqual({
      fromDate: '2026-10-31',
      toDate: '2026-11-01',
    });
  });

  it('refuses a period that ends before it starts or has no zone', () => {
    expect(
      ReconciliationPeriod.safeParse({ from: '2026-11-02T00:00:00Z', to: '2026-11-01T00:00:00Z' }).success,
    ).toBe(false);
    expect(
      ReconciliationPeriod.safeParse({ from: '2026-11-01T00:00:00', to: '2026-11-02T00:00:00' }).success,
    ).toBe(false);
  });
});

describe('the state machine definition', () => {
  it('is valid Amazon States Language (asl-validator), as deployed and as executed locally', () => {
    for (const definition of [
      resolvedReconciliationDefinition('arn:aws:lambda:us-east-1:000000000000:function:reconcile'),
    ]) {
      const { isValid, errorsText } = aslValidator(definition as never);
      expect(isValid, errorsText('\n')).toBe(true);
    }
  });

  it('retries Odoo outages with backoff and catches everything else per payer', () => {
    const definition = reconciliationDefinition() as {
      States: { ReconcilePayers: { ItemProcessor: { States: Record<string, Record<string, unknown>> } } };
    };
    const batch = definition.States.ReconcilePayers.ItemProcessor.States.ReconcileBatch as {
      Retry: Array<{ ErrorEquals: string[]; MaxAttempts: number }>;
      Catch: Array<{ ErrorEquals: string[]; Next: string }>;
    };
    expect(batch.Retry.find((r) => r.ErrorEquals.includes('OdooUnavailable'))?.MaxAttempts).toBeGreaterThan(
      3,
    );
    expect(batch.Catch).toEqual([
      { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'PayerFailed' },
    ]);
  });
});
