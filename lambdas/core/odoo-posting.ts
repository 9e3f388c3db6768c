import type * as z from 'zod';
import type { BillTo, InvoiceIssued } from './invoice.js';
import { centsToOdooAmount, formatCents } from './money.js';
import { invoiceLineExternalId } from './odoo-external-ids.js';

/**
 * How the revenue domain is booked in Odoo. Pure values: the Odoo adapter sends them, nothing here knows
 * how. Odoo's `ref` is not unique (odoo.md), so uniqueness is ours: a partner is found by
 * `rcm:<kind>:<id>` and an invoice by its `ref` (the partner's invoiceId, which finance searches by)
 * together with its partner and move type.
 */
type Domain = ReadonlyArray<readonly [string, string, unknown] | '&' | '|' | '!'>;

export function partnerRef(billTo: Pick<z.infer<typeof BillTo>, 'kind' | 'id'>): string {
  return `rcm:${billTo.kind}:${billTo.id}`;
}

export function partnerValues(billTo: z.infer<typeof BillTo>): Record<string, unknown> {
  return {
    name: billTo.name,
    ref: partnerRef(billTo),
    is_company: billTo.kind === 'payer',
    company_type: billTo.kind === 'payer' ? 'company' : 'person',
    customer_rank: 1,
  };
}

export function partnerSearchDomain(billTo: Pick<z.infer<typeof BillTo>, 'kind' | 'id'>): Domain {
  return [['ref', '=', partnerRef(billTo)]];
}

export function invoiceSearchDomain(invoice: Pick<InvoiceIssued, 'invoiceId'>, partnerId: number): Domain {
  return [
    ['move_type', '=', 'out_invoice'],
    ['ref', '=', invoice.invoiceId],
    ['partner_id', '=', partnerId],
    ['state', '!=', 'cancel'],
  ];
}

/** `account.move` create values for an invoice; lines as Odoo x2many `(0, 0, vals)` commands. */
export function invoiceValues(invoice: InvoiceIssued, partnerId: number): Record<string, unknown> {
  return {
    move_type: 'out_invoice',
    partner_id: partnerId,
    invoice_date: invoice.issueDate,
    ref: invoice.invoiceId,
    payment_reference: invoice.invoiceId,
    narration: `rcm-hub encounter ${invoice.encounterId} facility ${invoice.facilityId}`,
    invoice_line_ids: invoice.lines.map((line) => [
      0,
      0,
      {
        name: invoiceLineLabel(line),
        quantity: line.quantity,
        price_unit: centsToOdooAmount(line.unitPriceCents),
      },
    ]),
  };
}

/** Columns of an `account.move.line` `load` of invoice lines (see `invoiceLineRows`). */
export const INVOICE_LINE_COLUMNS = ['id', 'move_id/.id', 'display_type', 'name', 'quantity', 'price_unit'];

/**
 * The rows that load an invoice's lines onto its draft move `moveId`, one per line, each keyed by its external id
 * (`invoiceLineExternalId`). Cells as an import file has them: text, amounts as decimal strings.
 */
export function invoiceLineRows(invoice: InvoiceIssued, partnerId: number, moveId: number): string[][] {
  return invoice.lines.map((line, index) => [
    invoiceLineExternalId(invoice.invoiceId, partnerId, index),
    String(moveId),
    'product',
    invoiceLineLabel(line),
    String(line.quantity),
    formatCents(line.unitPriceCents),
  ]);
}

function invoiceLineLabel(line: InvoiceIssued['lines'][number]): string {
  return `${line.codeSystem} ${line.code} ${line.description}`;
}
