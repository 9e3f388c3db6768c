import type { RemittanceReceived } from './remittance.js';

/**
 * What the hub remembers of a remittance it booked for a payer claim. The members after `reversed` came with
 * issue 14; records written before it lack them, and every rule below falls back to the older, looser match
 * (payer claim control number alone) when they are missing.
 */
export interface BookedRemittance {
  remittanceId: string;
  payerClaimControlNumber: string;
  claimStatus: string;
  stepRefs: string[];
  reversed?: boolean;
  claimId?: string;
  payerId?: string;
  /** TRN02 of its ERA: a reversal never reverses a payment of its own ERA. */
  traceNumber?: string;
  /** CLP03 / CLP04 as sent: a reversal negates exactly these. */
  billedCents?: number;
  paidCents?: number;
  /** A reversal (22) that matched no booked payment: it booked nothing and opened `reversal-unmatched`. */
  unmatched?: boolean;
  /** A second payment of an already paid claim, booked as the payer's credit (refund liability). */
  payerCredit?: boolean;
}

export type RemittanceSequence =
  | { kind: 'already-booked' }
  | { kind: 'wait'; waitingFor: string }
  /**
   * Book it. For a reversal, `original` is the payment it mirrors (none: `reversal-unmatched`). For a payment,
   * `paidBefore` is the standing payment of the same claim by the same payer under another payer claim
   * number: the claim is paid twice, and this cash is the payer's credit.
   */
  | { kind: 'book'; original?: BookedRemittance; paidBefore?: BookedRemittance }
  /** The payer reversed this payment before the hub saw it (the reversal was recorded unmatched): net zero. */
  | { kind: 'reversed-before'; reversal: BookedRemittance };

/**
 * CLP02 as the payer's place in the order of benefits: 1/19 primary, 2/20 secondary, 3/21 tertiary. Two
 * payments of one claim by one payer at the same place are a claim paid twice; at different places, COB.
 */
const PAYER_ORDER: Readonly<Record<string, number>> = { '1': 1, '19': 1, '2': 2, '20': 2, '3': 3, '21': 3 };

/**
 * Whether a remittance can be booked now, given the remittances already booked for the encounter, so that the
 * books do not depend on the order the payer lists claims in (docs/posting-rules.md, "Sequencing"):
 *  - an ERA retransmitted is booked once (same remittanceId);
 *  - a correction the ERA lists with a reversal of the same claim (`afterReversal`) waits for that reversal,
 *    whichever comes first in the file and whatever payer claim number it carries;
 *  - a reversal (CLP02 22) reverses only the payment it mirrors: same payer claim (CLP07), another ERA, CLP03
 *    and CLP04 negated. None booked: it is booked as unmatched (an exception, nothing in Odoo), and never
 *    takes a later payment — the correction that follows it — for its original;
 *  - a payment whose reversal was already recorded unmatched (its ERA came late) books nothing: paid and
 *    taken back nets to zero;
 *  - another payment of a payer claim that still stands (booked something, another ERA, same payer) waits for
 *    its reversal — otherwise the claim would be paid twice. A denial booked nothing and does not stand: the
 *    appeal's payment books at once. Claim loops of one ERA with the same CLP07 are one split payment;
 *  - a payment of a claim the same payer already paid, at the same place in the order of benefits, for the
 *    same billed amount, under another payer claim number and in another ERA, is a claim paid twice
 *    (`paidBefore`).
 */
export function sequenceRemittance(
  remittance: RemittanceReceived,
  booked: readonly BookedRemittance[],
): RemittanceSequence {
  if (booked.some((r) => r.remittanceId === remittance.remittanceId)) return { kind: 'already-booked' };
  const { afterReversal } = remittance;
  if (afterReversal !== undefined && !booked.some((r) => r.remittanceId === afterReversal))
    return { kind: 'wait', waitingFor: `the reversal ${afterReversal} listed in the same ERA` };

  const samePayerClaim = (r: BookedRemittance) =>
    r.payerClaimControlNumber === remittance.payerClaimControlNumber;
  const otherEra = (r: BookedRemittance) =>
    r.traceNumber === undefined || r.traceNumber !== remittance.payment.traceNumber;
  const live = booked.filter((r) => r.claimStatus !== '22' && !r.reversed && !r.payerCredit);

  if (remittance.claimStatus === '22') {
    const original = live.filter((r) => samePayerClaim(r) && otherEra(r) && mirrors(r, remittance)).at(-1);
    return original ? { kind: 'book', original } : { kind: 'book' };
  }

  const reversal = booked.find(
    (r) =>
      r.claimStatus === '22' && r.unmatched && samePayerClaim(r) && otherEra(r) && mirrors(remittance, r),
  );
  if (reversal) return { kind: 'reversed-before', reversal };

  const samePayer = (r: BookedRemittance) => r.payerId === undefined || r.payerId === remittance.payerId;
  const standing = live.filter((r) => r.stepRefs.length > 0 && otherEra(r) && samePayer(r));
  const correctionOf = standing.find(samePayerClaim);
  if (correctionOf)
    return { kind: 'wait', waitingFor: `the reversal of remittance ${correctionOf.remittanceId}` };

  const place = PAYER_ORDER[remittance.claimStatus];
  const paidBefore =
    remittance.paidCents > 0 && place !== undefined
      ? standing.find(
          (r) =>
            r.claimId === remittance.claimId &&
            r.payerId !== undefined &&
            // The whole claim adjudicated again; a payer's split claim (part of the lines, its own CLP07 and
            // CLP03) pays what the first part left open.
            r.billedCents === remittance.billedCents &&
            (r.paidCents ?? 0) > 0 &&
            PAYER_ORDER[r.claimStatus] === place,
        )
      : undefined;
  return paidBefore ? { kind: 'book', paidBefore } : { kind: 'book' };
}

/** A reversal repeats its original with CLP03 and CLP04 negated; a record without amounts (older) matches. */
function mirrors(
  original: Pick<BookedRemittance, 'billedCents' | 'paidCents'>,
  reversal: Pick<BookedRemittance, 'billedCents' | 'paidCents'>,
): boolean {
  if (original.billedCents === undefined || reversal.billedCents === undefined) return true;
  return original.billedCents === -reversal.billedCents && original.paidCents === -(reversal.paidCents ?? 0);
}

/** What the hub records of a remittance once it is booked (the workflow's `remittances` entry). */
export function bookedRemittance(
  remittance: RemittanceReceived,
  stepRefs: string[],
  sequence: Extract<RemittanceSequence, { kind: 'book' | 'reversed-before' }>,
): BookedRemittance {
  return {
    remittanceId: remittance.remittanceId,
    payerClaimControlNumber: remittance.payerClaimControlNumber,
    claimStatus: remittance.claimStatus,
    stepRefs,
    claimId: remittance.claimId,
    payerId: remittance.payerId,
    traceNumber: remittance.payment.traceNumber,
    billedCents: remittance.billedCents,
    paidCents: remittance.paidCents,
    ...(sequence.kind === 'reversed-before' ? { reversed: true } : {}),
    ...(sequence.kind === 'book' && remittance.claimStatus === '22' && !sequence.original
      ? { unmatched: true }
      : {}),
    ...(sequence.kind === 'book' && sequence.paidBefore ? { payerCredit: true } : {}),
  };
}
