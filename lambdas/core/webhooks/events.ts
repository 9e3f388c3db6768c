import * as z from 'zod';
import { CalendarDate, PartnerId } from '../identifiers.js';
import { DecimalAmount } from '../money.js';

/** A payment gateway refunded (part of) a payment the hub booked: booked as a reversal of that payment in Odoo. */
export const PaymentRefunded = z
  .object({
    refundId: z.string(),
    paymentId: z.string(),
    encounterId: z.string(),
    facilityId: z.string(),
    amountCents: z.number().int().positive(),
    refundedDate: z.string(),
    reason: z.string().optional(),
  })
  .meta({ id: 'PaymentRefunded' });
export type PaymentRefunded = z.infer<typeof PaymentRefunded>;

/**
 * A payment or credit note a person entered in Odoo by hand, seen through Odoo's webhook and re-read over RPC:
 * the workflow records it so the hub and Odoo agree; nothing is written to Odoo.
 */
export const OdooEntryRecorded = z
  .object({
    kind: z.enum(['payment', 'creditNote']),
    odooModel: z.enum(['account.payment', 'account.move']),
    odooId: z.number().int(),
    odooName: z.string().optional(),
    invoiceId: z.string().meta({ description: 'Our invoice id (the Odoo invoice ref) it applies to' }),
    odooInvoiceId: z.number().int(),
    encounterId: z.string(),
    facilityId: z.string(),
    amountCents: z.number().int().positive(),
    date: z.string(),
  })
  .meta({ id: 'OdooEntryRecorded' });
export type OdooEntryRecorded = z.infer<typeof OdooEntryRecorded>;

/** The gateway's refund webhook `data`, as documented in docs/webhooks.md. */
export const RefundNotice = z
  .object({
    refundId: PartnerId,
    paymentId: PartnerId,
    encounterId: PartnerId,
    facilityId: PartnerId,
    amount: DecimalAmount,
    refundedDate: CalendarDate,
    reason: z.string().max(200).optional(),
  })
  .strict();

/** What the Odoo writer did for a refund: the payment it cancelled in Odoo (or why it left it to a person). */
export const PaymentReversed = z
  .object({
    refundId: z.string(),
    paymentId: z.string(),
    invoiceId: z.string(),
    amountCents: z.number().int(),
    cancelledPaymentIds: z.array(z.number().int()),
    alreadyPresent: z.boolean(),
  })
  .meta({ id: 'PaymentReversed' });
export type PaymentReversed = z.infer<typeof PaymentReversed>;
