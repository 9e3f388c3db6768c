import * as z from 'zod';
import { CalendarDate, PartnerId } from './identifiers.js';
import { type Cents, DecimalAmount, formatCents, lineAmountCents, parseCents } from './money.js';

/** Currencies the hub books. Odoo companies here run in USD; anything else is refused at the edge. */
export const Currency = z.enum(['USD']);

export const BillTo = z
  .object({
    kind: z.enum(['payer', 'patient']),
    id: PartnerId,
    name: z.string().trim().min(1).max(200),
  })
  .strict();

export const CodeSystem = z.enum(['CPT', 'HCPCS', 'REV']);

const Quantity = z
  .number()
  .positive()
  .max(99_999)
  // Judge the decimals as the caller wrote them (JSON number → shortest round-trip string), not by float tolerance.
  .refine((q) => /^\d+(\.\d{1,3})?$/.test(String(q)), 'must have at most three decimals');

/** An invoice above ten billion dollars is a data error, and it keeps every total a safe integer. */
export const MAX_INVOICE_TOTAL_CENTS = 1_000_000_000_000;

export const InvoiceLineRequest = z
  .object({
    code: z.string().regex(/^[A-Z0-9]{4,5}$/, 'must be a CPT/HCPCS (5) or revenue (4) code'),
    codeSystem: CodeSystem,
    description: z.string().trim().min(1).max(256),
    quantity: Quantity,
    unitPrice: DecimalAmount,
  })
  .strict();

/** Body of `POST /v1/invoices`, as partners send it. */
export const InvoiceIssuedRequest = z
  .object({
    invoiceId: PartnerId,
    encounterId: PartnerId,
    facilityId: PartnerId,
    issueDate: CalendarDate,
    currency: Currency,
    billTo: BillTo,
    lines: z.array(InvoiceLineRequest).min(1).max(500),
  })
  .strict()
  .superRefine((invoice, ctx) => {
    // Exact in BigInt: the limit must hold before any Number arithmetic could lose precision.
    // zod still runs this refinement when a member failed, so skip what is not a valid amount.
    const total = invoice.lines.reduce((sum, line) => {
      if (!DecimalAmount.safeParse(line.unitPrice).success || !Quantity.safeParse(line.quantity).success)
        return sum; // quantity 1e308 would make BigInt(Infinity) throw: only valid members are summed
      return (
        sum + (BigInt(Math.round(line.quantity * 1000)) * BigInt(parseCents(line.unitPrice)) + 500n) / 1000n
      );
    }, 0n);
    if (total > BigInt(MAX_INVOICE_TOTAL_CENTS)) {
      ctx.addIssue({
        code: 'custom',
        path: ['lines'],
        message: `the invoice total exceeds ${formatCents(MAX_INVOICE_TOTAL_CENTS)}`,
      });
    }
    invoice.lines.forEach((line, index) => {
      if (line.codeSystem === 'REV' && !/^\d{4}$/.test(line.code)) {
        ctx.addIssue({
          code: 'custom',
          path: ['lines', index, 'code'],
          message: 'a revenue code is 4 digits',
        });
      }
      if (line.codeSystem !== 'REV' && !/^[A-Z0-9]{5}$/.test(line.code)) {
        ctx.addIssue({
          code: 'custom',
          path: ['lines', index, 'code'],
          message: 'a CPT/HCPCS code is 5 characters',
        });
      }
    });
  })
  .meta({
    id: 'InvoiceIssuedRequest',
    description: 'An invoice issued by a billing system for one encounter.',
  });
export type InvoiceIssuedRequest = z.infer<typeof InvoiceIssuedRequest>;

/** The canonical invoice inside the hub: amounts in integer cents, totals computed once here. */
export const InvoiceLine = z.object({
  code: z.string(),
  codeSystem: CodeSystem,
  description: z.string(),
  quantity: z.number(),
  unitPriceCents: z.number().int(),
  amountCents: z.number().int(),
});
export type InvoiceLine = z.infer<typeof InvoiceLine>;

export const InvoiceIssued = z
  .object({
    invoiceId: z.string(),
    encounterId: z.string(),
    facilityId: z.string(),
    issueDate: z.string(),
    currency: Currency,
    billTo: BillTo,
    lines: z.array(InvoiceLine).min(1),
    totalCents: z.number().int(),
  })
  .meta({ id: 'InvoiceIssued' });
export type InvoiceIssued = z.infer<typeof InvoiceIssued>;

export function toCanonicalInvoice(request: InvoiceIssuedRequest): InvoiceIssued {
  const lines = request.lines.map((line) => {
    const unitPriceCents = parseCents(line.unitPrice);
    return {
      code: line.code,
      codeSystem: line.codeSystem,
      description: line.description,
      quantity: line.quantity,
      unitPriceCents,
      amountCents: lineAmountCents(line.quantity, unitPriceCents),
    };
  });
  const totalCents: Cents = lines.reduce((sum, line) => sum + line.amountCents, 0);
  return {
    invoiceId: request.invoiceId,
    encounterId: request.encounterId,
    facilityId: request.facilityId,
    issueDate: request.issueDate,
    currency: request.currency,
    billTo: request.billTo,
    lines,
    totalCents,
  };
}
