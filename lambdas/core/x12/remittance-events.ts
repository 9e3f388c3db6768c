import { createHash } from 'node:crypto';
import * as z from 'zod';
import type { RemittanceClaimStatus, RemittanceReceived } from '../remittance.js';
import {
  type ClaimPayment835,
  claimInterestInPaid,
  type ProviderAdjustment835,
  type Remittance835,
} from './remittance-835.js';
import type { SegmentPosition } from './tokenizer.js';

/**
 * From a read (and balanced) 835 to canonical events: one `RemittanceReceived` per CLP, one
 * `ProviderAdjustmentReceived` per PLB adjustment.
 *
 * Ids come from the content, never from the request: payers retransmit identical ERAs (often under a new
 * file name, so a new Idempotency-Key), and the booking layer recognises a claim payment it already booked
 * by `remittanceId`. So remittanceId = `<TRN02>:<CLP07>` — the check/EFT trace and the payer's claim control
 * number — with `:22` for a reversal (which repeats the original CLP07 in the same ERA as its correction) and
 * `#n` for a further claim payment with the same pair in one ERA (a split claim).
 *
 * Duplicates are dropped here, not numbered as split claims (a `#2` would wait forever for a reversal of the
 * first): a second copy of an interchange (same ISA13 from the same ISA05/ISA06 sender) in one file, and a
 * claim loop repeated verbatim in one ERA (same trace, every amount, code and line the same).
 */
export const ProviderAdjustmentReceived = z
  .object({
    adjustmentId: z
      .string()
      .meta({ description: '<TRN02>:PLB:<PLB01>:<reason>[:<reference>][#n], from the content' }),
    providerId: z.string().meta({ description: 'PLB01: NPI or TIN of the payee' }),
    fiscalPeriodDate: z.string().optional(),
    reason: z
      .string()
      .meta({ description: 'PLB03-1, e.g. WO overpayment recovery, L6 interest, CS adjustment' }),
    reference: z
      .string()
      .optional()
      .meta({ description: 'PLB03-2, e.g. the payer claim control number recovered' }),
    amountCents: z.number().int().meta({ description: 'As sent: positive reduces the payment' }),
    payment: z.object({ traceNumber: z.string(), method: z.string(), date: z.string() }),
    payerName: z.string().optional(),
  })
  .meta({ id: 'ProviderAdjustmentReceived' });
export type ProviderAdjustmentReceived = z.infer<typeof ProviderAdjustmentReceived>;

export interface PlannedRemittance {
  remittanceId: string;
  claim: ClaimPayment835;
  transaction: Remittance835;
  /** A reversal of the same claim in the same ERA, which this correction is booked after. */
  afterReversal?: string;
}

/** Where a claim payment belongs in the hub, found from CLP01/CLP07 by the intake. */
export interface ClaimMatch {
  encounterId: string;
  facilityId: string;
  payerId: string;
}

export interface UnmatchedClaim {
  remittanceId: string;
  claimId: string;
  payerClaimControlNumber?: string;
  paidCents: number;
  reason: string;
  path: string;
}

/** A claim loop the hub did not turn into an event because the file already carried it. */
export interface DuplicateClaim {
  claim: ClaimPayment835;
  transaction: Pick<Remittance835, 'header' | 'trace'>;
  reason: string;
}

/**
 * The transactions of a file without second copies of an interchange (ISA13 + sender seen before at another
 * place in the stream). `seen` carries what earlier batches saw (the upload path).
 */
export function withoutRepeatedInterchanges<T extends Pick<Remittance835, 'header'>>(
  transactions: readonly T[],
  seen: Map<string, number> = new Map(),
): { kept: T[]; repeated: T[] } {
  const kept: T[] = [];
  const repeated: T[] = [];
  for (const transaction of transactions) {
    const { interchangeControlNumber, interchangeSender, interchangeIndex } = transaction.header;
    if (interchangeIndex === undefined) {
      kept.push(transaction);
      continue;
    }
    const key = `isa:${interchangeSender ?? ''}:${interchangeControlNumber}`;
    const first = seen.get(key);
    if (first === undefined) seen.set(key, interchangeIndex);
    if (first === undefined || first === interchangeIndex) kept.push(transaction);
    else repeated.push(transaction);
  }
  return { kept, repeated };
}

/**
 * Reversals (CLP02 22) of an ERA by claim (CLP01), so that a correction of the same claim in the same ERA is
 * booked after its reversal whatever order the payer lists them in, and whatever CLP07 it carries. Filled as
 * claims are read (`note`), before any is planned: in one pass over a batch, or from the validation pass of
 * an upload. Ids are numbered as `plannedRemittances` numbers them.
 */
export class EraReversals {
  private readonly byClaim = new Map<string, Array<{ remittanceId: string; pccn: string }>>();
  private readonly counts = new Map<string, number>();
  private readonly fingerprints = new Set<string>();

  note(trace: string, claim: ClaimPayment835): void {
    if (claim.status !== '22') return;
    const print = claimFingerprint(trace, claim);
    if (this.fingerprints.has(print)) return; // a verbatim repeat is dropped, not a second reversal
    this.fingerprints.add(print);
    const pccn = claim.payerClaimControlNumber ?? claim.claimId;
    const base = `${trace}:${pccn}:22`;
    const n = (this.counts.get(base) ?? 0) + 1;
    this.counts.set(base, n);
    const key = `${trace}|${claim.claimId}`;
    const list = this.byClaim.get(key) ?? [];
    list.push({ remittanceId: n === 1 ? base : `${base}#${n}`, pccn });
    this.byClaim.set(key, list);
  }

  /** The reversal a correction follows: of the same payer claim if there is one, else the claim's last. */
  reversalFor(trace: string, claim: ClaimPayment835): string | undefined {
    if (claim.status === '22') return undefined;
    const list = this.byClaim.get(`${trace}|${claim.claimId}`);
    if (!list?.length) return undefined;
    const pccn = claim.payerClaimControlNumber ?? claim.claimId;
    return (list.find((r) => r.pccn === pccn) ?? list.at(-1))?.remittanceId;
  }

  static of(transactions: readonly Remittance835[]): EraReversals {
    const reversals = new EraReversals();
    for (const t of transactions) for (const claim of t.claims) reversals.note(t.trace.traceNumber, claim);
    return reversals;
  }
}

/** What makes two claim loops the same payment: the ERA's trace and everything the loop says, positions aside. */
function claimFingerprint(trace: string, claim: ClaimPayment835): string {
  const adjustments = (list: ClaimPayment835['adjustments']) =>
    list.map((a) => [a.group, a.reason, a.amountCents]);
  const content = [
    trace,
    claim.claimId,
    claim.status,
    claim.billedCents,
    claim.paidCents,
    claim.patientResponsibilityCents ?? null,
    claim.filingIndicator,
    claim.payerClaimControlNumber ?? null,
    adjustments(claim.adjustments),
    claim.services.map((s) => [s.procedure, s.chargeCents, s.paidCents, adjustments(s.adjustments)]),
    Object.entries(claim.dates).sort(),
  ];
  return createHash('sha256').update(JSON.stringify(content)).digest('hex');
}

/**
 * `seen` carries the repeat counts and fingerprints across calls when a file is planned in batches (the
 * upload path); `reversals` too (else it is read from `transactions`). Claim loops repeated verbatim go to
 * `duplicates` instead of the plan.
 */
export function plannedRemittances(
  transactions: readonly Remittance835[],
  seen: Map<string, number> = new Map(),
  options: { reversals?: EraReversals; duplicates?: DuplicateClaim[] } = {},
): PlannedRemittance[] {
  const reversals = options.reversals ?? EraReversals.of(transactions);
  const out: PlannedRemittance[] = [];
  for (const transaction of transactions) {
    const trace = transaction.trace.traceNumber;
    for (const claim of transaction.claims) {
      const print = `claim:${claimFingerprint(trace, claim)}`;
      if (seen.has(print)) {
        options.duplicates?.push({
          claim,
          transaction,
          reason: `claim ${claim.claimId} repeats, verbatim, a claim payment of ERA ${trace} earlier in this file: a duplicate, booked once`,
        });
        continue;
      }
      seen.set(print, 1);
      const base = `${trace}:${claim.payerClaimControlNumber ?? claim.claimId}${claim.status === '22' ? ':22' : ''}`;
      const n = (seen.get(base) ?? 0) + 1;
      seen.set(base, n);
      const afterReversal = reversals.reversalFor(trace, claim);
      out.push({
        remittanceId: n === 1 ? base : `${base}#${n}`,
        claim,
        transaction,
        ...(afterReversal ? { afterReversal } : {}),
      });
    }
  }
  return out;
}

export function toRemittanceReceived(planned: PlannedRemittance, match: ClaimMatch): RemittanceReceived {
  const { claim, transaction } = planned;
  const adjustments = [...claim.adjustments, ...claim.services.flatMap((s) => s.adjustments)].map((a) => ({
    group: a.group,
    reason: a.reason,
    amountCents: a.amountCents,
  }));
  const prTotal = adjustments.filter((a) => a.group === 'PR').reduce((sum, a) => sum + a.amountCents, 0);
  return {
    remittanceId: planned.remittanceId,
    encounterId: match.encounterId,
    facilityId: match.facilityId,
    claimId: claim.claimId,
    payerId: match.payerId,
    payerClaimControlNumber: claim.payerClaimControlNumber ?? claim.claimId,
    claimStatus: claim.status as RemittanceClaimStatus,
    billedCents: claim.billedCents,
    // Interest CLP04 carries is not the invoice's money: the deposit books it to interest income (era-deposit.ts).
    paidCents: claim.paidCents - claimInterestInPaid(claim),
    patientResponsibilityCents: claim.patientResponsibilityCents ?? prTotal,
    adjustments,
    payment: {
      traceNumber: transaction.trace.traceNumber,
      method: transaction.payment.method,
      date: transaction.payment.date as string,
    },
    ...(planned.afterReversal ? { afterReversal: planned.afterReversal } : {}),
  };
}

export function providerAdjustments(transactions: readonly Remittance835[]): Array<{
  data: ProviderAdjustmentReceived;
  position: SegmentPosition;
}> {
  const seen = new Map<string, number>();
  const out: Array<{ data: ProviderAdjustmentReceived; position: SegmentPosition }> = [];
  for (const transaction of transactions) {
    for (const plb of transaction.providerAdjustments) {
      const base = `${transaction.trace.traceNumber}:PLB:${plb.providerId}:${plb.reason}${plb.reference ? `:${plb.reference}` : ''}`;
      const n = (seen.get(base) ?? 0) + 1;
      seen.set(base, n);
      out.push({
        data: toProviderAdjustment(plb, transaction, n === 1 ? base : `${base}#${n}`),
        position: plb.position,
      });
    }
  }
  return out;
}

function toProviderAdjustment(
  plb: ProviderAdjustment835,
  transaction: Remittance835,
  adjustmentId: string,
): ProviderAdjustmentReceived {
  return {
    adjustmentId,
    providerId: plb.providerId,
    ...(plb.fiscalPeriodDate ? { fiscalPeriodDate: plb.fiscalPeriodDate } : {}),
    reason: plb.reason,
    ...(plb.reference ? { reference: plb.reference } : {}),
    amountCents: plb.amountCents,
    payment: {
      traceNumber: transaction.trace.traceNumber,
      method: transaction.payment.method,
      date: transaction.payment.date as string,
    },
    ...(transaction.payer.name ? { payerName: transaction.payer.name } : {}),
  };
}
