import * as z from 'zod';
import { CalendarDate, PartnerId } from './identifiers.js';
import { DecimalAmount, parseCents } from './money.js';

export const ClaimSubmittedRequest = z
  .object({
    claimId: PartnerId,
    encounterId: PartnerId,
    facilityId: PartnerId,
    payerId: PartnerId,
    invoiceIds: z.array(PartnerId).min(1).max(20).meta({ description: 'The invoice(s) this claim bills' }),
    billedAmount: DecimalAmount,
    submittedDate: CalendarDate,
    claimFrequency: z
      .enum(['1', '7', '8'])
      .default('1')
      .meta({ description: '1 original, 7 replacement, 8 void' }),
  })
  .strict()
  .meta({ id: 'ClaimSubmittedRequest' });
export type ClaimSubmittedRequest = z.infer<typeof ClaimSubmittedRequest>;

export const ClaimSubmitted = z
  .object({
    claimId: z.string(),
    encounterId: z.string(),
    facilityId: z.string(),
    payerId: z.string(),
    invoiceIds: z.array(z.string()),
    billedCents: z.number().int(),
    submittedDate: z.string(),
    claimFrequency: z.enum(['1', '7', '8']),
  })
  .meta({ id: 'ClaimSubmitted' });
export type ClaimSubmitted = z.infer<typeof ClaimSubmitted>;

export function toCanonicalClaim(request: ClaimSubmittedRequest): ClaimSubmitted {
  const { billedAmount, ...rest } = request;
  return { ...rest, billedCents: parseCents(billedAmount) };
}

/**
 * Claim status as the hub tracks it. From a 277/277CA: A1–A3/A8 acknowledgement → accepted, A4/A6/A7 and
 * rejections → rejected, P-codes → pended, F1/F2 with denial reasons → denied, F0/F1 paid → paid.
 */
export const ClaimStatus = z.enum(['accepted', 'rejected', 'pended', 'denied', 'paid']);
export type ClaimStatus = z.infer<typeof ClaimStatus>;

export const PayerStatusCode = z
  .object({
    /** Health Care Claim Status Category Code (STC01-1), e.g. A2, A7, P3, F2. */
    category: z
      .string()
      .regex(/^[A-Z][0-9A-Z]{1,2}$/, 'must be a claim status category code such as A2 or F2'),
    /** Health Care Claim Status Code (STC01-2), e.g. 20, 562. */
    code: z
      .string()
      .regex(/^[0-9A-Z]{1,5}$/)
      .optional(),
    /** Entity identifier (STC01-3), e.g. 85 billing provider. */
    entity: z
      .string()
      .regex(/^[0-9A-Z]{2,3}$/)
      .optional(),
  })
  .strict();

export const ClaimStatusRequest = z
  .object({
    statusId: PartnerId.meta({ description: 'The sender’s id for this status report' }),
    claimId: PartnerId,
    encounterId: PartnerId,
    facilityId: PartnerId,
    status: ClaimStatus,
    payerCodes: z.array(PayerStatusCode).max(10).default([]),
    effectiveDate: CalendarDate,
    payerClaimControlNumber: z.string().min(1).max(50).optional(),
  })
  .strict()
  .meta({ id: 'ClaimStatusRequest' });
export type ClaimStatusRequest = z.infer<typeof ClaimStatusRequest>;

export const ClaimStatusChanged = z
  .object({
    statusId: z.string(),
    claimId: z.string(),
    encounterId: z.string(),
    facilityId: z.string(),
    status: ClaimStatus,
    payerCodes: z.array(
      z.object({ category: z.string(), code: z.string().optional(), entity: z.string().optional() }),
    ),
    effectiveDate: z.string(),
    payerClaimControlNumber: z.string().optional(),
  })
  .meta({ id: 'ClaimStatusChanged' });
export type ClaimStatusChanged = z.infer<typeof ClaimStatusChanged>;

/** A rejection or denial needs a person: it opens an exception for the billing team. */
export function claimStatusNeedsAttention(status: ClaimStatus): boolean {
  return status === 'rejected' || status === 'denied';
}
