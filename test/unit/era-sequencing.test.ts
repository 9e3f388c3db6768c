import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PostingPlan } from '../../lambdas/core/posting-plan.js';
import type { RemittanceReceived } from '../../lambdas/core/remittance.js';
import {
  nextPayerSettled,
  planRemittancePosting,
  remittanceAtStake,
} from '../../lambdas/core/remittance-posting.js';
import {
  type BookedRemittance,
  bookedRemittance,
  sequenceRemittance,
} from '../../lambdas/core/remittance-sequencing.js';
import { read835Text } from '../../lambdas/core/x12/remittance-835.js';
import {
  type DuplicateClaim,
  plannedRemittances,
  toRemittanceReceived,
  withoutRepeatedInterchanges,
} from '../../lambdas/core/x12/remittance-events.js';
import { type ClaimSpec, write835 } from '../../lambdas/core/x12/write-835.js';

/**
 * Issue 14 (which claim, payer and order): sequencing and matching of 835 claim payments, duplicates, claims
 * paid twice, COB, and money at stake — docs/posting-rules.md "Sequencing and matching".
 */

const remittance = (overrides: Partial<RemittanceReceived> = {}): RemittanceReceived => ({
  remittanceId: 'TRN-2:PCN-1',
  encounterId: 'ENC-1',
  facilityId: 'FAC-1',
  claimId: 'CLM-1',
  payerId: 'PAYER-1',
  payerClaimControlNumber: 'PCN-1',
  claimStatus: '1',
  billedCents: 20_000,
  paidCents: 15_000,
  patientResponsibilityCents: 0,
  adjustments: [{ group: 'CO', reason: '45', amountCents: 5_000 }],
  payment: { traceNumber: 'TRN-2', method: 'ACH', date: '2026-11-20' },
  ...overrides,
});

/** A payment booked from ERA TRN-1, as the hub records it since issue 14. */
const paid = (overrides: Partial<BookedRemittance> = {}): BookedRemittance => ({
  remittanceId: 'TRN-1:PCN-1',
  payerClaimControlNumber: 'PCN-1',
  claimStatus: '1',
  stepRefs: ['rcm:era:TRN-1:PCN-1:payment'],
  claimId: 'CLM-1',
  payerId: 'PAYER-1',
  traceNumber: 'TRN-1',
  billedCents: 20_000,
  paidCents: 15_000,
  ...overrides,
});

const reversalOf = (original: BookedRemittance, overrides: Partial<RemittanceReceived> = {}) =>
  remittance({
    remittanceId: `TRN-2:${original.payerClaimControlNumber}:22`,
    payerClaimControlNumber: original.payerClaimControlNumber,
    claimStatus: '22',
    billedCents: -(original.billedCents ?? 0),
    paidCents: -(original.paidCents ?? 0),
    adjustments: [{ group: 'CO', reason: '45', amountCents: -5_000 }],
    ...overrides,
  });

describe('a reversal (CLP02 22) reverses only the payment it mirrors', () => {
  it('matches the payment of another ERA whose billed and paid it negates', () => {
    const original = paid();

    expect(sequenceRemittance(reversalOf(original), [original])).toEqual({ kind: 'book', original });
  });

  it('does not match a payment of the same payer claim with other amounts: booked unmatched instead', () => {
    const other = paid({ paidCents: 16_000 });

    const sequence = sequenceRemittance(reversalOf(paid()), [other]);

    expect(sequence).toEqual({ kind: 'book' });
  });

  it('never takes the correction of its own ERA for its original, even with mirrored amounts', () => {
    // The correction was booked first (it came first in the file, same trace, same CLP07 and amounts).
    const correction = paid({ remittanceId: 'TRN-2:PCN-1', traceNumber: 'TRN-2', stepRefs: ['x'] });

    expect(sequenceRemittance(reversalOf(paid()), [correction])).toEqual({ kind: 'book' });
  });

  it('a reversal of what the hub never booked plans nothing and opens reversal-unmatched for its amount', () => {
    const reversal = reversalOf(paid());
    const sequence = sequenceRemittance(reversal, []);

    const plan = planRemittancePosting(reversal, {
      payerInvoice: { invoiceId: 'INV-1', totalCents: 20_000, residualCents: 20_000 },
      patientId: 'PAT-1',
    });

    expect(sequence).toEqual({ kind: 'book' });
    expect(plan.steps).toEqual([]);
    expect(plan.exceptions).toEqual([
      expect.objectContaining({
        key: 'era:TRN-2:PCN-1:22:reversal-unmatched',
        team: 'billing',
        amountCents: 15_000,
      }),
    ]);
    expect(bookedRemittance(reversal, [], { kind: 'book' })).toMatchObject({ unmatched: true, stepRefs: [] });
  });

  it('the original arriving after its unmatched reversal books nothing: paid and taken back net to zero', () => {
    const reversal = bookedRemittance(reversalOf(paid()), [], { kind: 'book' });
    const late = remittance({
      remittanceId: 'TRN-1:PCN-1',
      payment: { ...remittance().payment, traceNumber: 'TRN-1' },
    });

    expect(sequenceRemittance(late, [reversal])).toEqual({ kind: 'reversed-before', reversal });
  });
});

describe('corrections, denials and split claims', () => {
  it('a correction listed with a reversal of its claim in the same ERA waits for that reversal', () => {
    const correction = remittance({
      remittanceId: 'TRN-2:PCN-2',
      payerClaimControlNumber: 'PCN-2',
      afterReversal: 'TRN-2:PCN-1:22',
    });

    expect(sequenceRemittance(correction, [paid()])).toEqual({
      kind: 'wait',
      waitingFor: 'the reversal TRN-2:PCN-1:22 listed in the same ERA',
    });
    const reversed = [
      paid({ reversed: true }),
      bookedRemittance(reversalOf(paid()), ['r'], { kind: 'book', original: paid() }),
    ];
    expect(sequenceRemittance(correction, reversed)).toEqual({ kind: 'book' });
  });

  it('a denial booked nothing and does not stand: the appeal paid under the same CLP07 books at once', () => {
    const denial = paid({ claimStatus: '4', stepRefs: [], paidCents: 0 });

    expect(sequenceRemittance(remittance(), [denial])).toEqual({ kind: 'book' });
  });

  it('claim loops of one ERA with the same CLP07 are one split payment, not a correction to hold', () => {
    const first = paid({ remittanceId: 'TRN-2:PCN-1', traceNumber: 'TRN-2' });

    expect(sequenceRemittance(remittance({ remittanceId: 'TRN-2:PCN-1#2' }), [first])).toEqual({
      kind: 'book',
    });
  });

  it('another payment of a standing payer claim from another ERA still waits for its reversal', () => {
    expect(sequenceRemittance(remittance(), [paid()])).toEqual({
      kind: 'wait',
      waitingFor: 'the reversal of remittance TRN-1:PCN-1',
    });
  });
});

describe('a claim paid twice, and COB', () => {
  const secondPayment = remittance({ remittanceId: 'TRN-2:PCN-2', payerClaimControlNumber: 'PCN-2' });

  it('the same payer paying the same claim again under a new CLP07 is a claim paid twice', () => {
    expect(sequenceRemittance(secondPayment, [paid()])).toEqual({ kind: 'book', paidBefore: paid() });
  });

  it('a payer’s split claim (its own CLP07 and CLP03 for part of the lines) is not a claim paid twice', () => {
    const split = remittance({ ...secondPayment, billedCents: 8_000, paidCents: 6_000, adjustments: [] });

    expect(
      sequenceRemittance({ ...split, adjustments: [{ group: 'CO', reason: '45', amountCents: 2_000 }] }, [
        paid({ billedCents: 12_000, paidCents: 9_000 }),
      ]),
    ).toEqual({ kind: 'book' });
  });

  it('the second cash is the payer’s credit on the refund liability, with an overpayment for all of it', () => {
    const plan = planRemittancePosting(secondPayment, {
      payerInvoice: { invoiceId: 'INV-1', totalCents: 20_000, residualCents: 0, payerId: 'PAYER-1' },
      patientId: 'PAT-1',
      paidBefore: { remittanceId: 'TRN-1:PCN-1', payerClaimControlNumber: 'PCN-1' },
    });

    expect(plan.steps).toEqual([
      {
        kind: 'payerCredit',
        ref: 'rcm:era:TRN-2:PCN-2:payer-credit',
        partner: { kind: 'payer', id: 'PAYER-1' },
        amountCents: 15_000,
        date: '2026-11-20',
        memo: 'ERA TRN-2 claim CLM-1 paid twice',
        account: 'payerRefundLiability',
      },
    ]);
    expect(plan.exceptions).toEqual([
      expect.objectContaining({ key: 'era:TRN-2:PCN-2:overpayment', team: 'finance', amountCents: 15_000 }),
    ]);
    expect(plan.summary.paidCents).toBe(15_000);
  });

  it('a secondary payer (CLP02 2) paying after the primary is COB, not a claim paid twice', () => {
    const secondary = remittance({
      remittanceId: 'TRN-2:SEC-1',
      payerClaimControlNumber: 'SEC-1',
      claimStatus: '2',
      payerId: 'PAYER-2',
    });

    expect(sequenceRemittance(secondary, [paid({ claimStatus: '19' })])).toEqual({ kind: 'book' });
    // Even when the secondary's ERA could not be told from the primary's payer: its place differs.
    expect(sequenceRemittance({ ...secondary, payerId: 'PAYER-1' }, [paid({ claimStatus: '19' })])).toEqual({
      kind: 'book',
    });
  });

  it('a forwarding primary (CLP02 19) leaves patient responsibility receivable for the next payer', () => {
    const primary = remittance({
      claimStatus: '19',
      billedCents: 25_000,
      paidCents: 15_000,
      patientResponsibilityCents: 6_000,
      adjustments: [
        { group: 'CO', reason: '45', amountCents: 4_000 },
        { group: 'PR', reason: '2', amountCents: 6_000 },
      ],
    });

    const plan = planRemittancePosting(primary, {
      payerInvoice: { invoiceId: 'INV-1', totalCents: 25_000, residualCents: 25_000 },
      patientId: 'PAT-1',
    });

    expect(plan.steps.map((s) => [s.kind, 'amountCents' in s ? s.amountCents : undefined])).toEqual([
      ['creditNote', 4_000],
      ['payment', 15_000],
    ]);
    expect(plan.summary.patientResponsibilityCents).toBe(0);
    expect(plan.exceptions).toEqual([
      {
        key: 'era:TRN-2:PCN-1:next-payer',
        team: 'billing',
        reason:
          "payer PAYER-1 processed claim CLM-1 and forwarded it to the next payer (claim status 19): 60.00 of patient responsibility (PR-2) stays open on invoice INV-1 for the next payer, not billed to the patient; make sure the secondary claim is filed (crossover or by billing); the next payer's remittance closes this",
        amountCents: 6_000,
      },
    ]);
  });

  it('never bills the patient on CLP02 19, 20 or 21, even with nothing paid; the PR waits for the next payer', () => {
    for (const claimStatus of ['19', '20', '21'] as const) {
      for (const paidCents of [15_000, 0]) {
        const plan = planRemittancePosting(
          remittance({
            claimStatus,
            billedCents: 25_000,
            paidCents,
            patientResponsibilityCents: 25_000 - 4_000 - paidCents,
            adjustments: [
              { group: 'CO', reason: '45', amountCents: 4_000 },
              { group: 'PR', reason: '1', amountCents: 25_000 - 4_000 - paidCents },
            ],
          }),
          {
            payerInvoice: { invoiceId: 'INV-1', totalCents: 25_000, residualCents: 25_000 },
            patientId: 'PAT-1',
          },
        );
        const kinds = plan.steps.map((s) => s.kind);
        expect(kinds, `CLP02 ${claimStatus} paid ${paidCents}`).not.toContain('patientInvoice');
        expect(
          plan.steps.filter((s) => s.kind === 'creditNote' && s.account === 'patientResponsibilityTransfer'),
        ).toEqual([]);
        expect(plan.summary.patientResponsibilityCents).toBe(0);
        // Left receivable: what was billed less what was paid and written off.
        const booked = plan.steps.reduce(
          (sum, s) =>
            s.kind === 'creditNote'
              ? sum + s.amountCents
              : s.kind === 'payment'
                ? sum + s.amountCents + (s.writeOff?.amountCents ?? 0)
                : sum,
          0,
        );
        expect(25_000 - booked).toBe(25_000 - 4_000 - paidCents);
        expect(plan.exceptions.map((e) => [e.key, e.amountCents])).toEqual([
          ['era:TRN-2:PCN-1:next-payer', 25_000 - 4_000 - paidCents],
        ]);
      }
    }
  });

  it('the next payer’s remittance of the claim closes the forwarding payer’s next-payer exception', () => {
    const earlier = [
      { remittanceId: 'T1:P1', claimId: 'CLM-1', payerId: 'PAYER-1', claimStatus: '19' },
      { remittanceId: 'T0:P0', claimId: 'CLM-1', payerId: 'PAYER-1', claimStatus: '1' },
      { remittanceId: 'T9:P9', claimId: 'CLM-9', payerId: 'PAYER-1', claimStatus: '19' },
    ];
    expect(nextPayerSettled({ claimId: 'CLM-1', payerId: 'PAYER-2', claimStatus: '2' }, earlier)).toEqual([
      'era:T1:P1:next-payer',
    ]);
    // A denial by the next payer answers too (it opens its own `denied`).
    expect(nextPayerSettled({ claimId: 'CLM-1', payerId: 'PAYER-2', claimStatus: '4' }, earlier)).toEqual([
      'era:T1:P1:next-payer',
    ]);
    // The same payer again, or a reversal, is not the next payer answering.
    expect(nextPayerSettled({ claimId: 'CLM-1', payerId: 'PAYER-1', claimStatus: '1' }, earlier)).toEqual([]);
    expect(nextPayerSettled({ claimId: 'CLM-1', payerId: 'PAYER-2', claimStatus: '22' }, earlier)).toEqual(
      [],
    );
  });

  it('the secondary’s cash is the secondary’s, applied to the claim’s invoice; its PR goes to the patient', () => {
    const secondary = remittance({
      remittanceId: 'TRN-3:SEC-1',
      payerClaimControlNumber: 'SEC-1',
      claimStatus: '2',
      payerId: 'PAYER-2',
      billedCents: 25_000,
      paidCents: 4_500,
      patientResponsibilityCents: 1_500,
      adjustments: [
        { group: 'OA', reason: '23', amountCents: 19_000 },
        { group: 'PR', reason: '2', amountCents: 1_500 },
      ],
      payment: { traceNumber: 'TRN-3', method: 'ACH', date: '2026-11-27' },
    });

    const plan = planRemittancePosting(secondary, {
      payerInvoice: { invoiceId: 'INV-1', totalCents: 25_000, residualCents: 6_000, payerId: 'PAYER-1' },
      patientId: 'PAT-1',
    });

    expect(plan.steps).toEqual([
      expect.objectContaining({
        kind: 'creditNote',
        amountCents: 1_500,
        account: 'patientResponsibilityTransfer',
      }),
      expect.objectContaining({ kind: 'patientInvoice', patientId: 'PAT-1' }),
      expect.objectContaining({
        kind: 'payment',
        amountCents: 4_500,
        partner: { kind: 'payer', id: 'PAYER-2' },
        invoicePartner: { kind: 'payer', id: 'PAYER-1' },
      }),
    ]);
    expect(plan.steps.some((s) => s.kind === 'payment' && s.writeOff)).toBe(false);
  });
});

describe('money at stake', () => {
  it('a refused zero-pay remittance with 300.00 of patient responsibility has 300.00 at stake', () => {
    expect(remittanceAtStake({ paidCents: 0, patientResponsibilityCents: 30_000 })).toBe(30_000);
    expect(remittanceAtStake({ paidCents: 12_000, patientResponsibilityCents: 3_000 })).toBe(15_000);
    expect(remittanceAtStake({ paidCents: -12_000, patientResponsibilityCents: -3_000 })).toBe(15_000);
  });
});

describe('duplicates in one 835 file (test/fixtures/x12/era-sequencing.835)', () => {
  const file = readFileSync(
    fileURLToPath(new URL('../fixtures/x12/era-sequencing.835', import.meta.url)),
    'latin1',
  );

  it('drops the interchange sent twice and the claim repeated verbatim, and orders the correction after its reversal', async () => {
    const read = await read835Text(file);
    expect(read.issues).toEqual([]);
    const seen = new Map<string, number>();

    const { kept, repeated } = withoutRepeatedInterchanges(read.transactions, seen);
    const duplicates: DuplicateClaim[] = [];
    const planned = plannedRemittances(kept, seen, { duplicates });

    expect(read.transactions).toHaveLength(2);
    expect(repeated).toHaveLength(1);
    expect(planned.map((p) => [p.remittanceId, p.afterReversal])).toEqual([
      ['TRN-SEQ-1:PCN-SEQ-NEW', 'TRN-SEQ-1:PCN-SEQ-OLD:22'],
      ['TRN-SEQ-1:PCN-SEQ-OLD:22', undefined],
      ['TRN-SEQ-1:PCN-SEQ-2', undefined],
    ]);
    expect(duplicates.map((d) => d.claim.claimId)).toEqual(['CLM-SEQ-2']);
    expect(kept[0]?.payer.id).toBe('SYNPAYER1');
  });

  it('a file planned in batches drops the same duplicates (seen carries over)', async () => {
    const read = await read835Text(file);
    const seen = new Map<string, number>();
    const [first, second] = read.transactions;
    if (!first || !second) throw new Error('two transactions expected');

    const one = plannedRemittances(withoutRepeatedInterchanges([first], seen).kept, seen);
    const two = plannedRemittances(withoutRepeatedInterchanges([second], seen).kept, seen);

    expect(one).toHaveLength(3);
    expect(two).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Property: the books do not depend on the order of claims inside one ERA.
// ---------------------------------------------------------------------------------------------------------

interface Books {
  residual: number;
  cash: number;
  payerCredit: number;
  patient: number;
  writtenOff: number;
  exceptions: string[];
  held: string[];
}

/** Odoo's effect of a plan, enough to compare books: what each ref moved, undone by a `reverse`. */
function bookPlans(plans: PostingPlan[], billed: number): Books {
  const effects = new Map<string, Partial<Record<keyof Books, number>>>();
  const books: Books = {
    residual: billed,
    cash: 0,
    payerCredit: 0,
    patient: 0,
    writtenOff: 0,
    exceptions: [],
    held: [],
  };
  const apply = (effect: Partial<Record<keyof Books, number>>, sign: number) => {
    const totals = books as unknown as Record<string, number>;
    for (const [key, value] of Object.entries(effect)) totals[key] = (totals[key] ?? 0) + sign * (value ?? 0);
  };
  for (const plan of plans) {
    for (const s of plan.steps) {
      let effect: Partial<Record<keyof Books, number>> = {};
      if (s.kind === 'creditNote') effect = { residual: -s.amountCents, writtenOff: s.amountCents };
      if (s.kind === 'patientInvoice') effect = { patient: s.lines.reduce((t, l) => t + l.amountCents, 0) };
      if (s.kind === 'payment')
        effect = {
          residual: -(s.amountCents + (s.writeOff?.amountCents ?? 0)),
          cash: s.amountCents,
          writtenOff: s.writeOff?.amountCents ?? 0,
        };
      if (s.kind === 'payerCredit') effect = { cash: s.amountCents, payerCredit: s.amountCents };
      if (s.kind === 'reverse') {
        for (const ref of s.reversesRefs) {
          const undone = effects.get(ref);
          if (undone) apply(undone, -1);
          effects.delete(ref);
        }
        continue;
      }
      effects.set(s.ref, effect);
      apply(effect, 1);
    }
    books.exceptions.push(...plan.exceptions.map((e) => `${e.key}=${e.amountCents}`));
  }
  books.exceptions.sort();
  return books;
}

/**
 * Delivers an ERA's claim payments in file order as the Odoo writer does: a held one is tried again after
 * each that books, until a pass makes no progress.
 */
function deliver(
  events: RemittanceReceived[],
  booked: BookedRemittance[],
  billed: number,
  plans: PostingPlan[],
) {
  let residual = bookPlans(plans, billed).residual;
  const held: RemittanceReceived[] = [];
  const tryBook = (r: RemittanceReceived): boolean => {
    const sequence = sequenceRemittance(r, booked);
    if (sequence.kind === 'already-booked') return true;
    if (sequence.kind === 'wait') return false;
    let plan: PostingPlan = {
      steps: [],
      exceptions: [],
      summary: { paidCents: 0, adjustedCents: 0, patientResponsibilityCents: 0, patientPaidCents: 0 },
    };
    if (sequence.kind === 'book') {
      plan = planRemittancePosting(r, {
        payerInvoice: { invoiceId: 'INV-1', totalCents: billed, residualCents: Math.max(residual, 0) },
        patientId: 'PAT-1',
        ...(sequence.original ? { original: sequence.original } : {}),
        ...(sequence.paidBefore ? { paidBefore: sequence.paidBefore } : {}),
      });
    }
    plans.push(plan);
    residual = bookPlans(plans, billed).residual;
    const record = bookedRemittance(
      r,
      plan.steps.map((s) => s.ref),
      sequence,
    );
    booked.push(record);
    if (sequence.kind === 'book' && sequence.original) sequence.original.reversed = true;
    if (sequence.kind === 'reversed-before') sequence.reversal.unmatched = false;
    return true;
  };
  for (const r of events) {
    if (!tryBook(r)) {
      held.push(r);
      continue;
    }
    for (let progress = true; progress; ) {
      progress = false;
      for (const waiting of [...held]) {
        if (tryBook(waiting)) {
          held.splice(held.indexOf(waiting), 1);
          progress = true;
        }
      }
    }
  }
  return held.map((r) => r.remittanceId);
}

const co = (cents: number) => [{ group: 'CO' as const, reason: '45', amountCents: cents }];
const claimSpec = (
  status: string,
  billed: number,
  paid: number,
  pccn: string,
  adjustments: ClaimSpec['adjustments'],
): ClaimSpec => ({
  claimId: 'CLM-1',
  status,
  billedCents: billed,
  paidCents: paid,
  filingIndicator: '12',
  payerClaimControlNumber: pccn,
  adjustments,
  services: [],
  serviceDate: '2026-10-01',
});

async function eraEvents(trace: string, claims: ClaimSpec[]): Promise<RemittanceReceived[]> {
  const text = [
    ...write835({
      controlNumber: '0001',
      traceNumber: trace,
      method: 'ACH',
      date: '2026-11-20',
      payerName: 'SYNTHETIC HEALTH PLAN',
      payeeName: 'SYNTHETIC CLINIC',
      payeeNpi: '1234567893',
      claims,
      providerAdjustments: [],
    }),
  ].join('');
  const read = await read835Text(text);
  expect(read.issues).toEqual([]);
  return plannedRemittances(read.transactions).map((p) =>
    toRemittanceReceived(p, { encounterId: 'ENC-1', facilityId: 'FAC-1', payerId: 'PAYER-1' }),
  );
}

describe('for every order of the claims of an ERA', () => {
  it('reversal + correction (same or new CLP07, original booked or never seen, a claim repeated) end with the same books', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          billed: fc.integer({ min: 1_000, max: 100_000 }),
          originalShare: fc.integer({ min: 1, max: 100 }),
          correctionShare: fc.integer({ min: 1, max: 100 }),
          newPccn: fc.boolean(),
          originalBooked: fc.boolean(),
          repeatCorrection: fc.boolean(),
          order: fc.array(fc.nat(), { minLength: 3, maxLength: 3 }),
        }),
        async (t) => {
          const p1 = Math.floor((t.billed * t.originalShare) / 100);
          const p2 = Math.floor((t.billed * t.correctionShare) / 100);
          const original = claimSpec('1', t.billed, p1, 'PCN-OLD', co(t.billed - p1));
          const reversal = claimSpec('22', -t.billed, -p1, 'PCN-OLD', co(-(t.billed - p1)));
          const correction = claimSpec(
            '1',
            t.billed,
            p2,
            t.newPccn ? 'PCN-NEW' : 'PCN-OLD',
            co(t.billed - p2),
          );
          const era2 = [reversal, correction, ...(t.repeatCorrection ? [correction] : [])];
          const shuffled = era2
            .map((c, i) => ({ c, key: t.order[i] ?? i }))
            .sort((a, b) => a.key - b.key)
            .map(({ c }) => c);

          const run = async (claims: ClaimSpec[]) => {
            const booked: BookedRemittance[] = [];
            const plans: PostingPlan[] = [];
            if (t.originalBooked) deliver(await eraEvents('TRN-1', [original]), booked, t.billed, plans);
            const held = deliver(await eraEvents('TRN-2', claims), booked, t.billed, plans);
            return { ...bookPlans(plans, t.billed), held };
          };
          const usual = await run(era2);
          const reordered = await run(shuffled);

          expect(reordered).toEqual(usual);
          expect(usual.held).toEqual([]);
          // Whatever came before, what stands is the correction: paid p2 and written off the rest.
          expect(usual.cash).toBe(p2);
          expect(usual.residual).toBe(0);
          expect(usual.payerCredit).toBe(0);
          expect(usual.exceptions).toEqual(
            t.originalBooked ? [] : [`era:TRN-2:PCN-OLD:22:reversal-unmatched=${p1}`],
          );
        },
      ),
      { numRuns: 150 },
    );
  });
});
