import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { remittanceBalanceViolations } from '../../lambdas/core/balancing.js';
import type {
  AdjustmentGroup,
  RemittanceClaimStatus,
  RemittanceReceived,
} from '../../lambdas/core/remittance.js';

/**
 * Claim-level balancing of an 835 claim payment: billed − paid = Σ CAS, CLP05 = Σ PR, reversals negated.
 * The oracle in the properties is the construction itself: every generated remittance is balanced by design.
 */
const RUNS = { numRuns: 300 };

function remittance(overrides: Partial<RemittanceReceived> = {}): RemittanceReceived {
  return {
    remittanceId: 'ERA-1',
    encounterId: 'ENC-1',
    facilityId: 'FAC-1',
    claimId: 'CLM-1',
    payerId: 'PAYER-1',
    payerClaimControlNumber: 'PCN-1',
    claimStatus: '1',
    billedCents: 20_000,
    paidCents: 12_000,
    patientResponsibilityCents: 3_000,
    adjustments: [
      { group: 'CO', reason: '45', amountCents: 5_000 },
      { group: 'PR', reason: '2', amountCents: 3_000 },
    ],
    payment: { traceNumber: 'TRN-1', method: 'ACH', date: '2026-11-02' },
    ...overrides,
  };
}

describe('remittance balancing', () => {
  it('a remittance whose adjustments explain the unpaid amount balances', () => {
    // Prepare
    const r = remittance();

    // Act
    const violations = remittanceBalanceViolations(r);

    // Assess
    expect(violations).toEqual([]);
  });

  it('adjustments that do not explain billed − paid are reported at /adjustments in dollars', () => {
    // Prepare
    const r = remittance({
      patientResponsibilityCents: 2_000,
      adjustments: [
        { group: 'CO', reason: '45', amountCents: 5_000 },
        { group: 'PR', reason: '2', amountCents: 2_000 },
      ],
    });

    // Act
    const violations = remittanceBalanceViolations(r);

    // Assess
    expect(violations).toEqual([
      { path: '/adjustments', message: 'billed 200.00 − paid 120.00 = 80.00 but adjustments total 70.00' },
    ]);
  });

  it('a patient responsibility that is not the sum of the PR adjustments is reported at /patientResponsibility', () => {
    // Prepare
    const r = remittance({ patientResponsibilityCents: 3_500 });

    // Act
    const violations = remittanceBalanceViolations(r);

    // Assess
    expect(violations).toEqual([
      {
        path: '/patientResponsibility',
        message: 'patient responsibility 35.00 but PR adjustments total 30.00',
      },
    ]);
  });

  it('negative adjustments count with their sign (a payer paying above billed)', () => {
    // Prepare
    const r = remittance({
      billedCents: 10_000,
      paidCents: 10_500,
      patientResponsibilityCents: 0,
      adjustments: [{ group: 'CO', reason: '45', amountCents: -500 }],
    });

    // Act
    const violations = remittanceBalanceViolations(r);

    // Assess
    expect(violations).toEqual([]);
  });

  it('a reversal (22) that negates the original balances', () => {
    // Prepare
    const r = remittance({
      claimStatus: '22',
      billedCents: -20_000,
      paidCents: -12_000,
      patientResponsibilityCents: -3_000,
      adjustments: [
        { group: 'CO', reason: '45', amountCents: -5_000 },
        { group: 'PR', reason: '2', amountCents: -3_000 },
      ],
    });

    // Act
    const violations = remittanceBalanceViolations(r);

    // Assess
    expect(violations).toEqual([]);
  });

  it('a reversal (22) with positive billed or paid is reported at /billedAmount and /paidAmount', () => {
    // Prepare
    const r = remittance({ claimStatus: '22' });

    // Act
    const violations = remittanceBalanceViolations(r);

    // Assess
    expect(violations.map((v) => v.path)).toEqual(['/billedAmount', '/paidAmount']);
    expect(violations[0]?.message).toContain('not 200.00');
    expect(violations[1]?.message).toContain('not 120.00');
  });

  it('a negative billed amount outside a reversal is reported at /billedAmount', () => {
    // Prepare
    const r = remittance({
      billedCents: -100,
      paidCents: -100,
      patientResponsibilityCents: 0,
      adjustments: [],
    });

    // Act
    const violations = remittanceBalanceViolations(r);

    // Assess
    expect(violations).toEqual([
      {
        path: '/billedAmount',
        message:
          'billed must be 0.00 or more for claim status 1, not -1.00; only a reversal (22) bills a negative amount',
      },
    ]);
  });

  it('sums stay exact beyond Number.MAX_SAFE_INTEGER (99 adjustments of the largest amount)', () => {
    // Prepare
    const largest = 999_999_999_999_999;
    const r = remittance({
      billedCents: largest,
      paidCents: 0,
      patientResponsibilityCents: 0,
      adjustments: [
        ...Array.from({ length: 49 }, () => ({ group: 'CO' as const, reason: '45', amountCents: largest })),
        ...Array.from({ length: 48 }, () => ({ group: 'CO' as const, reason: '45', amountCents: -largest })),
        { group: 'OA', reason: 'A2', amountCents: 1 },
      ],
    });

    // Act
    const violations = remittanceBalanceViolations(r);

    // Assess
    expect(violations.map((v) => v.message)).toEqual([
      'billed 9999999999999.99 − paid 0.00 = 9999999999999.99 but adjustments total 10000000000000.00',
    ]);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------------------

const GROUPS: AdjustmentGroup[] = ['CO', 'PR', 'OA', 'PI'];
const REASONS: Record<AdjustmentGroup, string[]> = {
  CO: ['45', '253', '97'],
  PR: ['1', '2', '3', '96'],
  OA: ['A2', '23', '94'],
  PI: ['B7', '50'],
};

/** Splits `total` into `parts.length` signed pieces that sum to it (the pieces may go negative). */
function split(total: number, cuts: number[]): number[] {
  const pieces: number[] = [];
  let rest = total;
  for (const cut of cuts) {
    pieces.push(cut);
    rest -= cut;
  }
  pieces.push(rest);
  return pieces;
}

/** A balanced remittance: billed, paid, and adjustments spread over the four groups that explain the rest. */
const balancedRemittance = fc
  .record({
    billedCents: fc.integer({ min: 0, max: 5_000_000_00 }),
    paidShare: fc.integer({ min: 0, max: 100 }),
    cuts: fc.array(
      fc.record({
        group: fc.constantFrom(...GROUPS),
        reasonIndex: fc.nat(),
        amountCents: fc.integer({ min: -50_000, max: 500_000 }),
      }),
      { maxLength: 8 },
    ),
    lastGroup: fc.constantFrom(...GROUPS),
    reversal: fc.boolean(),
    status: fc.constantFrom<RemittanceClaimStatus>('1', '2', '3', '4', '19', '20', '21', '23', '25'),
  })
  .map(({ billedCents, paidShare, cuts, lastGroup, reversal, status }) => {
    const paidCents = Math.floor((billedCents * paidShare) / 100);
    const amounts = split(
      billedCents - paidCents,
      cuts.map((c) => c.amountCents),
    );
    const groups = [...cuts.map((c) => c.group), lastGroup];
    const adjustments = amounts.map((amountCents, index) => {
      const group = groups[index] as AdjustmentGroup;
      const reasons = REASONS[group];
      return {
        group,
        reason: reasons[(cuts[index]?.reasonIndex ?? 0) % reasons.length] as string,
        amountCents,
      };
    });
    const sign = reversal ? -1 : 1;
    const negate = (cents: number) => (cents === 0 ? 0 : sign * cents);
    const signed = adjustments.map((a) => ({ ...a, amountCents: negate(a.amountCents) }));
    return remittance({
      claimStatus: reversal ? '22' : status,
      billedCents: negate(billedCents),
      paidCents: negate(paidCents),
      patientResponsibilityCents: signed
        .filter((a) => a.group === 'PR')
        .reduce((s, a) => s + a.amountCents, 0),
      adjustments: signed,
    });
  });

type Amount =
  | { field: 'billedCents' | 'paidCents' | 'patientResponsibilityCents' }
  | { field: 'adjustment'; index: number };

describe('remittance balancing, for all balanced remittances', () => {
  it('a remittance balanced by construction has no violation', () => {
    fc.assert(
      fc.property(balancedRemittance, (r) => {
        expect(remittanceBalanceViolations(r)).toEqual([]);
      }),
      RUNS,
    );
  });

  it('moving any one amount by one cent is reported at the path of the equation it breaks', () => {
    const perturbation = balancedRemittance.chain((r) =>
      fc.record({
        r: fc.constant(r),
        amount: fc.oneof(
          fc.constantFrom<Amount>(
            { field: 'billedCents' },
            { field: 'paidCents' },
            { field: 'patientResponsibilityCents' },
          ),
          ...(r.adjustments.length > 0
            ? [
                fc
                  .nat({ max: r.adjustments.length - 1 })
                  .map((index): Amount => ({ field: 'adjustment', index })),
              ]
            : []),
        ),
        delta: fc.constantFrom(1, -1),
      }),
    );
    fc.assert(
      fc.property(perturbation, ({ r, amount, delta }) => {
        // Prepare
        let perturbed: RemittanceReceived;
        let expected: string[];
        if (amount.field === 'adjustment') {
          const adjustments = r.adjustments.map((a, i) =>
            i === amount.index ? { ...a, amountCents: a.amountCents + delta } : a,
          );
          perturbed = { ...r, adjustments };
          // A PR amount is in both equations; CLP05 still holds the old sum.
          expected =
            r.adjustments[amount.index]?.group === 'PR'
              ? ['/adjustments', '/patientResponsibility']
              : ['/adjustments'];
        } else {
          perturbed = { ...r, [amount.field]: r[amount.field] + delta };
          expected =
            amount.field === 'patientResponsibilityCents' ? ['/patientResponsibility'] : ['/adjustments'];
        }

        // Act
        const paths = remittanceBalanceViolations(perturbed).map((v) => v.path);

        // Assess: the broken equations are reported; a sign rule may also fire when an amount crosses zero.
        const isSignRule = (path: string) => path === '/billedAmount' || path === '/paidAmount';
        expect(paths.filter((path) => !isSignRule(path))).toEqual(expected);
      }),
      RUNS,
    );
  });
});
