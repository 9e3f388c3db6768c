import * as z from 'zod';
import { CalendarDate, PartnerId } from './identifiers.js';
import { type Cents, DecimalAmount, parseCents, SignedDecimalAmount } from './money.js';

/**
 * Claim adjustment group codes (X12 CAS01). `CR` (correction/reversal) exists only in 4010; 5010 expresses
 * reversals with CLP02 = 22 instead, so it is not accepted here.
 *   CO contractual obligation (provider writes off), PR patient responsibility (moves to the patient),
 *   OA other adjustment, PI payer-initiated reduction.
 */
export const AdjustmentGroup = z.enum(['CO', 'PR', 'OA', 'PI']);
export type AdjustmentGroup = z.infer<typeof AdjustmentGroup>;

/** Claim status codes of an 835 CLP02 that the hub distinguishes. */
export const RemittanceClaimStatus = z.enum(['1', '2', '3', '4', '19', '20', '21', '22', '23', '25']);
export type RemittanceClaimStatus = z.infer<typeof RemittanceClaimStatus>;

export const AdjustmentRequest = z
  .object({
    group: AdjustmentGroup,
    /** Claim Adjustment Reason Code (CARC), e.g. 45 (charge exceeds fee schedule), 1 deductible, 2 coinsurance, 3 copay. */
    reason: z.string().regex(/^[A-Z0-9]{1,5}$/, 'must be a CARC such as 45, 1, 2, 3 or B7'),
    amount: SignedDecimalAmount,
  })
  .strict();

export const RemittanceRequest = z
  .object({
    remittanceId: PartnerId.meta({
      description: 'The sender’s id for this claim payment (unique per sender).',
    }),
    encounterId: PartnerId,
    facilityId: PartnerId,
    claimId: PartnerId.meta({ description: 'Our claim id as submitted (CLP01).' }),
    payerId: PartnerId,
    payerClaimControlNumber: z
      .string()
      .min(1)
      .max(50)
      .meta({ description: 'CLP07: the payer’s own claim id' }),
    claimStatus: RemittanceClaimStatus,
    billedAmount: SignedDecimalAmount,
    paidAmount: SignedDecimalAmount,
    patientResponsibility: SignedDecimalAmount.optional(),
    adjustments: z.array(AdjustmentRequest).max(99),
    interestAmount: DecimalAmount.optional().meta({
      description:
        'AMT*I: prompt-pay interest the payer included in paidAmount (billed − adjustments = paid − interest), as a magnitude; on a reversal (claimStatus 22) the interest taken back with it. The invoice is paid paidAmount − interestAmount; the interest is booked to interest income with the ERA deposit (POST /v1/remittance-deposits).',
    }),
    reversalRemittanceId: PartnerId.optional().meta({
      description:
        'This claim payment is the payer’s correction of a reversal (claimStatus 22) of the same claim in the same ERA (same payment.traceNumber): the remittanceId of that reversal. The hub books the correction after the reversal, whichever arrives first (CLP02 22 semantics of an 835).',
    }),
    payment: z
      .object({
        traceNumber: z.string().min(1).max(50).meta({ description: 'TRN02: check or EFT trace number' }),
        method: z.enum(['ACH', 'CHK', 'FWT', 'BOP', 'NON']),
        date: CalendarDate,
      })
      .strict(),
  })
  .strict()
  .meta({ id: 'RemittanceRequest', description: 'One claim payment from an ERA (835), in JSON.' });
export type RemittanceRequest = z.infer<typeof RemittanceRequest>;

export interface Adjustment {
  group: AdjustmentGroup;
  reason: string;
  amountCents: Cents;
}

export const RemittanceReceived = z
  .object({
    remittanceId: z.string(),
    encounterId: z.string(),
    facilityId: z.string(),
    claimId: z.string(),
    payerId: z.string(),
    payerClaimControlNumber: z.string(),
    claimStatus: RemittanceClaimStatus,
    billedCents: z.number().int(),
    paidCents: z.number().int(),
    patientResponsibilityCents: z.number().int(),
    adjustments: z.array(
      z.object({ group: AdjustmentGroup, reason: z.string(), amountCents: z.number().int() }),
    ),
    payment: z.object({ traceNumber: z.string(), method: z.string(), date: z.string() }),
    afterReversal: z.string().optional().meta({
      description:
        'The remittanceId of a reversal (CLP02 22) of the same claim (CLP01) in the same ERA: this claim payment is the payer’s correction, booked after that reversal whatever order the ERA lists them in',
    }),
  })
  .meta({ id: 'RemittanceReceived' });
export type RemittanceReceived = z.infer<typeof RemittanceReceived>;

export function toCanonicalRemittance(request: RemittanceRequest): RemittanceReceived {
  const adjustments = request.adjustments.map((a) => ({
    group: a.group,
    reason: a.reason,
    amountCents: parseCents(a.amount),
  }));
  const prTotal = adjustments.filter((a) => a.group === 'PR').reduce((sum, a) => sum + a.amountCents, 0);
  // As from an 835 (remittance-events.ts): the interest CLP04 carries is not the invoice's money.
  const interest = request.interestAmount === undefined ? 0 : parseCents(request.interestAmount);
  const interestCents = request.claimStatus === '22' ? -interest : interest;
  return {
    remittanceId: request.remittanceId,
    encounterId: request.encounterId,
    facilityId: request.facilityId,
    claimId: request.claimId,
    payerId: request.payerId,
    payerClaimControlNumber: request.payerClaimControlNumber,
    claimStatus: request.claimStatus,
    billedCents: parseCents(request.billedAmount),
    paidCents: parseCents(request.paidAmount) - interestCents,
    patientResponsibilityCents:
      request.patientResponsibility === undefined ? prTotal : parseCents(request.patientResponsibility),
    adjustments,
    payment: { ...request.payment },
    ...(request.reversalRemittanceId ? { afterReversal: request.reversalRemittanceId } : {}),
  };
}
