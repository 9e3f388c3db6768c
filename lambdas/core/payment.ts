import * as z from 'zod';
import { CalendarDate, PartnerId } from './identifiers.js';
import { DecimalAmount, parseCents } from './money.js';

/** A payment confirmed by a gateway or bank: a patient paying their balance, or a payer paying outside an ERA. */
export const PaymentRequest = z
  .object({
    paymentId: PartnerId.meta({
      description: 'The gateway’s or bank’s id for this payment (unique per sender).',
    }),
    encounterId: PartnerId,
    facilityId: PartnerId,
    payer: z.object({ kind: z.enum(['patient', 'payer']), id: PartnerId }).strict(),
    amount: DecimalAmount,
    method: z.enum(['card', 'ach', 'check', 'cash', 'wire']),
    traceNumber: z.string().min(1).max(64),
    receivedDate: CalendarDate,
    appliesTo: z
      .object({ invoiceId: PartnerId })
      .strict()
      .meta({ description: 'The invoice this payment pays.' }),
  })
  .strict()
  // zod runs this refinement even when `amount` failed its own check: parse only a valid amount (issue #15).
  .refine((p) => !DecimalAmount.safeParse(p.amount).success || parseCents(p.amount) > 0, {
    path: ['amount'],
    message: 'a payment must be greater than zero',
  })
  .meta({ id: 'PaymentRequest' });
export type PaymentRequest = z.infer<typeof PaymentRequest>;

export const PaymentReceived = z
  .object({
    paymentId: z.string(),
    encounterId: z.string(),
    facilityId: z.string(),
    payer: z.object({ kind: z.enum(['patient', 'payer']), id: z.string() }),
    amountCents: z.number().int().positive(),
    method: z.string(),
    traceNumber: z.string(),
    receivedDate: z.string(),
    appliesTo: z.object({ invoiceId: z.string() }),
  })
  .meta({ id: 'PaymentReceived' });
export type PaymentReceived = z.infer<typeof PaymentReceived>;

export function toCanonicalPayment(request: PaymentRequest): PaymentReceived {
  const { amount, ...rest } = request;
  return { ...rest, amountCents: parseCents(amount) };
}
