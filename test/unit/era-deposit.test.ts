import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { remittanceBalanceViolations } from '../../lambdas/core/balancing.js';
import {
  compareDeposit,
  type EraDeposit,
  eraDepositOf,
  PLB_REASONS,
  planEraDeposit,
} from '../../lambdas/core/era-deposit.js';
import {
  claimInterestInPaid,
  type Remittance835,
  read835Text,
} from '../../lambdas/core/x12/remittance-835.js';
import { plannedRemittances, toRemittanceReceived } from '../../lambdas/core/x12/remittance-events.js';

/** ERA-level money (issue 14): the deposit is BPR02, PLB is booked, reconciliation sees BPR02 (docs/posting-rules.md). */

function era(overrides: Partial<EraDeposit> = {}): EraDeposit {
  const claimPayments = overrides.claimPayments ?? [
    { claimId: 'CLM-1', paidCents: 60_000 },
    { claimId: 'CLM-2', paidCents: 40_000 },
  ];
  const providerAdjustments = overrides.providerAdjustments ?? [];
  const depositCents =
    claimPayments.reduce((s, c) => s + c.paidCents, 0) -
    providerAdjustments.reduce((s, p) => s + p.amountCents, 0);
  return {
    traceNumber: 'EFT-77',
    payerId: 'PAYER-1',
    date: '2026-11-02',
    method: 'ACH',
    depositCents,
    claimPayments,
    providerAdjustments,
    ...overrides,
  };
}

const lineOf = (plan: ReturnType<typeof planEraDeposit>, role: string) =>
  plan.lines.filter((l) => l.role === role);

describe('the ERA deposit', () => {
  it('is BPR02 on the deposit-clearing account, labelled with the trace, against the claim payments it carries', () => {
    const plan = planEraDeposit(era());
    expect(plan.ref).toBe('EFT-77');
    expect(lineOf(plan, 'deposit')).toEqual([
      {
        account: 'eraDepositClearing',
        balanceCents: 100_000,
        label: 'ERA EFT-77 deposit (ACH) from payer PAYER-1',
        role: 'deposit',
      },
    ]);
    expect(lineOf(plan, 'claimPayments').map((l) => [l.account, l.balanceCents])).toEqual([
      ['eraDepositClearing', -100_000],
    ]);
    expect(plan.exceptions).toEqual([]);
  });

  it('books L6 interest (a negative PLB: the payer pays more) as interest income, so the deposit exceeds the claims by it', () => {
    const plan = planEraDeposit(era({ providerAdjustments: [{ reason: 'L6', amountCents: -750 }] }));
    expect(lineOf(plan, 'deposit')[0]?.balanceCents).toBe(100_750);
    expect(lineOf(plan, 'providerAdjustment')).toEqual([
      {
        account: 'plbInterestIncome',
        balanceCents: -750,
        label: 'PLB L6 interest owed (ERA EFT-77, payer PAYER-1)',
        role: 'providerAdjustment',
      },
    ]);
    expect(plan.exceptions).toEqual([]);
  });

  it("books a WO recoupment (positive: the payer keeps money back) against the payer's balance, with its reference", () => {
    const plan = planEraDeposit(
      era({ providerAdjustments: [{ reason: 'WO', reference: 'PCN-OLD-9', amountCents: 25_000 }] }),
    );
    expect(lineOf(plan, 'deposit')[0]?.balanceCents).toBe(75_000);
    expect(lineOf(plan, 'providerAdjustment')).toEqual([
      expect.objectContaining({
        account: 'payerReceivable',
        balanceCents: 25_000,
        label: 'PLB WO overpayment recovery ref PCN-OLD-9 (ERA EFT-77, payer PAYER-1)',
      }),
    ]);
  });

  it('books FB and 72 to the payer balance too, and CS to provider-level adjustments with a finance exception', () => {
    const plan = planEraDeposit(
      era({
        providerAdjustments: [
          { reason: 'FB', reference: 'ICN-1', amountCents: -1_000 },
          { reason: '72', amountCents: -2_000 },
          { reason: 'CS', reference: 'GARN-4', amountCents: 2_421 },
        ],
      }),
    );
    expect(lineOf(plan, 'providerAdjustment').map((l) => [l.account, l.balanceCents])).toEqual([
      ['payerReceivable', -1_000],
      ['payerReceivable', -2_000],
      ['plbOtherAdjustments', 2_421],
    ]);
    expect(plan.exceptions).toEqual([
      expect.objectContaining({ key: 'era-deposit:EFT-77:plb:2:CS', team: 'finance', amountCents: 2_421 }),
    ]);
    expect(plan.exceptions[0]?.reason).toMatch(/CS \(adjustment\) ref GARN-4 of 24\.21 on ERA EFT-77/);
  });

  it('books AMT*I interest carried in a claim payment to interest income, under the claim, not on the invoice', () => {
    const plan = planEraDeposit(
      era({
        claimPayments: [
          { claimId: 'CLM-1', paidCents: 60_000 },
          { claimId: 'CLM-3', paidCents: 25_000, interestCents: 525 },
        ],
        depositCents: 85_525,
      }),
    );
    expect(lineOf(plan, 'claimPayments')[0]?.balanceCents).toBe(-85_000);
    expect(lineOf(plan, 'providerAdjustment')).toEqual([
      {
        account: 'plbInterestIncome',
        balanceCents: -525,
        label: 'AMT*I interest on claim CLM-3 (ERA EFT-77, payer PAYER-1)',
        role: 'providerAdjustment',
      },
    ]);
    expect(lineOf(plan, 'deposit')[0]?.balanceCents).toBe(85_525);
  });

  it('treats a PLB code it has no row for as one finance reviews, never as interest or payer balance', () => {
    const plan = planEraDeposit(era({ providerAdjustments: [{ reason: 'ZZ', amountCents: 100 }] }));
    expect(lineOf(plan, 'providerAdjustment')[0]?.account).toBe('plbOtherAdjustments');
    expect(plan.exceptions).toHaveLength(1);
    expect(PLB_REASONS.ZZ).toBeUndefined();
  });

  it('refuses an ERA that does not balance rather than book an entry that does not add up', () => {
    expect(() => planEraDeposit(era({ depositCents: 99_250 }))).toThrow(/does not balance: BPR02 992\.50/);
  });

  it('balances to the cent for any claims and PLB (debits = credits, the deposit line = BPR02)', () => {
    const amount = fc.integer({ min: -5_000_000, max: 5_000_000 });
    fc.assert(
      fc.property(
        fc.array(amount, { maxLength: 8 }),
        fc.array(
          fc.record({ reason: fc.constantFrom('L6', 'WO', 'FB', '72', 'CS', 'J1'), amountCents: amount }),
          {
            maxLength: 6,
          },
        ),
        (paid, plbs) => {
          const deposit = era({
            claimPayments: paid.map((paidCents, i) => ({ claimId: `C${i}`, paidCents })),
            providerAdjustments: plbs,
          });
          const plan = planEraDeposit(deposit);
          expect(plan.lines.reduce((s, l) => s + l.balanceCents, 0)).toBe(0);
          expect(plan.lines.every((l) => l.balanceCents !== 0)).toBe(true);
          expect(lineOf(plan, 'deposit').reduce((s, l) => s + l.balanceCents, 0)).toBe(deposit.depositCents);
        },
      ),
    );
  });

  it('reads BPR02, TRN02, every CLP04 (less the AMT*I interest it carries) and PLB of a transaction', async () => {
    const read = await read835Text(
      readFileSync(new URL('../fixtures/x12/synthetic-era-plb.835', import.meta.url), 'latin1'),
    );
    expect(read.issues).toEqual([]);
    const transaction = read.transactions[0] as Remittance835;
    const deposit = eraDepositOf(transaction, 'PAYER-1');
    expect(deposit).toMatchObject({
      traceNumber: 'EFT20261102A',
      depositCents: 123_554,
      claimPayments: [
        { claimId: 'CLM-A', paidCents: 60_000 },
        { claimId: 'CLM-B', paidCents: 40_000 },
        { claimId: 'CLM-C', paidCents: 25_000, interestCents: 525 },
      ],
      providerAdjustments: [
        { reason: 'L6', amountCents: -750 },
        { reason: 'WO', reference: 'PCN-OLD-9', amountCents: 2_500 },
        { reason: 'CS', reference: 'GARN-4', amountCents: 221 },
      ],
    });
    // The claim payment the hub books on CLM-C's invoice is CLP04 less the interest: 300.00 − CO-45 50.00.
    const [, , planned] = plannedRemittances([transaction]);
    const remittance = toRemittanceReceived(planned as never, {
      encounterId: 'E',
      facilityId: 'F',
      payerId: 'P',
    });
    expect(remittance.paidCents).toBe(25_000);
    expect(remittanceBalanceViolations(remittance)).toEqual([]);
    expect(planEraDeposit(deposit).lines.reduce((sum, l) => sum + l.balanceCents, 0)).toBe(0);
  });

  it('leaves CLP04 whole when the claim balances without the interest (paid apart, e.g. by PLB L6)', () => {
    const claim = {
      billedCents: 30_000,
      paidCents: 25_000,
      interestCents: 525,
      adjustments: [{ group: 'CO' as const, reason: '45', amountCents: 5_000 }],
      services: [],
    };
    expect(claimInterestInPaid(claim)).toBe(0);
    expect(claimInterestInPaid({ ...claim, paidCents: 25_525 })).toBe(525);
  });
});

describe('an ERA whose claims cannot all be placed (issue 14)', () => {
  it('still books BPR02 and opens one finance exception for the unplaced money, with payer and trace', () => {
    // Prepare: CLM-2 (400.00) is unknown to the hub; its cash is in BPR02 all the same.
    const deposit = era({ unplaced: { claims: 1, paidCents: 40_000 } });

    // Act
    const plan = planEraDeposit(deposit);

    // Assess: the entry is the one a fully placed ERA gets; only the exception is added.
    expect(plan.lines).toEqual(planEraDeposit(era()).lines);
    expect(plan.exceptions).toEqual([
      {
        key: 'era-deposit:EFT-77:unplaced',
        team: 'finance',
        reason:
          'ERA EFT-77 from payer PAYER-1: 1 claim paying 400.00 of the 1000.00 deposit (BPR02) could not be placed on an encounter (unknown claim or payer claim number); the cash is booked with the deposit and stays open on the claim-payments line, on no invoice: place the claims (unmatched remittances) or book the cash by hand',
        amountCents: 40_000,
      },
    ]);
  });

  it("reconciliation's deposit variance names the unplaced claims that explain it", () => {
    // Odoo holds the deposit and CLM-1's payment only.
    const differences = compareDeposit(era({ unplaced: { claims: 1, paidCents: 40_000 } }), {
      depositLineCents: 100_000,
      claimPaymentsCents: 60_000,
      providerAdjustmentsCents: 0,
    });
    expect(differences).toEqual([
      expect.objectContaining({
        key: 'recon:deposit_variance:EFT-77',
        amountCents: 40_000,
        reason: expect.stringContaining(
          '400.00 of it is for 1 claim the hub could not place (exception era-deposit:EFT-77:unplaced), which explains the whole difference',
        ),
      }),
    ]);
  });

  it('books claims counted rather than listed (a large upload) as it books the same claims listed', () => {
    const listed = era({
      claimPayments: [
        { claimId: 'CLM-1', paidCents: 60_000, interestCents: 300 },
        { claimId: 'CLM-2', paidCents: 40_000, interestCents: 200 },
      ],
      depositCents: 100_500,
    });
    const counted = planEraDeposit({
      ...listed,
      claimPayments: [],
      claimTotals: { claims: 2, paidCents: 100_000, interestCents: 500 },
    });
    const byRole = (plan: ReturnType<typeof planEraDeposit>) =>
      plan.lines.map((l) => [l.role, l.account, l.balanceCents]);
    // One interest line for the counted claims instead of one per claim: same accounts, same money.
    expect(counted.lines.map((l) => l.label)).toContain(
      'AMT*I interest on 2 claims (ERA EFT-77, payer PAYER-1)',
    );
    expect(byRole(counted)).toEqual([
      ['deposit', 'eraDepositClearing', 100_500],
      ['claimPayments', 'eraDepositClearing', -100_000],
      ['providerAdjustment', 'plbInterestIncome', -500],
    ]);
    const listedPlan = planEraDeposit(listed);
    expect(listedPlan.lines.reduce((sum, l) => sum + l.balanceCents, 0)).toBe(0);
    expect(
      listedPlan.lines
        .filter((l) => l.account === 'plbInterestIncome')
        .reduce((sum, l) => sum + l.balanceCents, 0),
    ).toBe(-500);
  });
});

describe('reconciling a deposit against BPR02', () => {
  it('reports the 7.50 between the deposit and the payments booked, not 0 differences', () => {
    const deposit = era({ providerAdjustments: [{ reason: 'L6', amountCents: -750 }] });
    // Odoo holds the deposit and the claim payments, but the L6 line was never booked.
    const differences = compareDeposit(deposit, {
      depositLineCents: 100_750,
      claimPaymentsCents: 100_000,
      providerAdjustmentsCents: 0,
    });
    expect(differences).toEqual([
      expect.objectContaining({
        key: 'recon:deposit_variance:EFT-77',
        expectedCents: 100_750,
        actualCents: 100_000,
        amountCents: 750,
      }),
    ]);
  });

  it('finds nothing when the deposit is BPR02 and payments − PLB add up to it', () => {
    const deposit = era({ providerAdjustments: [{ reason: 'WO', amountCents: 25_000 }] });
    expect(
      compareDeposit(deposit, {
        depositLineCents: 75_000,
        claimPaymentsCents: 100_000,
        providerAdjustmentsCents: 25_000,
      }),
    ).toEqual([]);
  });

  it('reports a missing deposit (the bank line has nothing to match) and a deposit of the wrong amount', () => {
    const deposit = era();
    expect(compareDeposit(deposit, { claimPaymentsCents: 100_000, providerAdjustmentsCents: 0 })).toEqual([
      expect.objectContaining({ key: 'recon:deposit_missing:EFT-77', amountCents: 100_000 }),
    ]);
    expect(
      compareDeposit(deposit, {
        depositLineCents: 99_000,
        claimPaymentsCents: 100_000,
        providerAdjustmentsCents: 0,
      }),
    ).toEqual([expect.objectContaining({ key: 'recon:deposit_amount:EFT-77', amountCents: 1_000 })]);
  });
});
