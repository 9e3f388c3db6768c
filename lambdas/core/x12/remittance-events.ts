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

/** `seen` carries the repeat count across calls when a file is planned in batches (the upload path). */
export function plannedRemittances(
  transactions: readonly Remittance835[],
  seen: Map<string, number> = new Map(),
): PlannedRemittance[] {
  const out: PlannedRemittance[] = [];
  for (const transaction of transactions) {
    for (const claim of transaction.claims) {
      const base = `${transaction.trace.traceNumber}:${claim.payerClaimControlNumber ?? claim.claimId}${claim.status === '22' ? ':22' : ''}`;
      const n = (seen.get(base) ?? 0) + 1;
      seen.set(base, n);
      out.push({ remittanceId: n === 1 ? base : `${base}#${n}`, claim, transaction });
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
