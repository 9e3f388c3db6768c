import { formatCents } from '../../core/money.js';
import { EXTERNAL_ID_MODULE, externalIdName, loadCell } from '../../core/odoo-external-ids.js';
import type { PostingStep } from '../../core/posting-plan.js';
import type { OdooClient } from './client.js';
import { loadRows } from './external-records.js';

/**
 * The customer moves a posting plan creates besides payments — credit notes (out_refund) and patient invoices
 * (out_invoice) — as `load` rows keyed by external ids, one per move and one per line (issue 16). Every writer of
 * them (the batch, the one-by-one ledger, a retry after a call that committed late) names the same records: a
 * repeat updates them instead of creating a second move, as the hub's invoices are written (invoice-ledger.ts).
 * The header and its lines are two loads: a header `load` carrying one2many lines would append them to an
 * existing move (external-records.ts).
 */
export interface MoveDraft {
  /** The step's ref: credit note `ref`, patient invoice `invoice_origin`. */
  stepRef: string;
  kind: 'creditNote' | 'patientInvoice';
  externalId: string;
  /** `load` columns (without `id`) and their values, as `create` took them before. */
  header: Record<string, unknown>;
  lines: Array<{ externalId: string; name: string; priceCents: number; accountId: number }>;
  totalCents: number;
}

export function moveExternalId(stepRef: string): string {
  return `${EXTERNAL_ID_MODULE}.${externalIdName('move', stepRef)}`;
}

function lineExternalId(stepRef: string, index: number): string {
  return `${EXTERNAL_ID_MODULE}.${externalIdName('move', stepRef, 'line', index)}`;
}

/** A credit note against the payer invoice `invoice` (its customer, dated as the remittance or the invoice). */
export function creditNoteDraft(
  step: Extract<PostingStep, { kind: 'creditNote' }>,
  invoice: { id: number; partnerId: number | false; invoiceDate: string | false },
  accountId: number,
): MoveDraft {
  return {
    stepRef: step.ref,
    kind: 'creditNote',
    externalId: moveExternalId(step.ref),
    header: {
      move_type: 'out_refund',
      'partner_id/.id': invoice.partnerId,
      ref: step.ref,
      invoice_origin: step.ref,
      'reversed_entry_id/.id': invoice.id,
      // The remittance's date, not the day of booking: an adjustment belongs to the period it was made in.
      invoice_date: step.date ?? invoice.invoiceDate,
    },
    lines: [
      {
        externalId: lineExternalId(step.ref, 0),
        name: step.label,
        priceCents: step.amountCents,
        accountId,
      },
    ],
    totalCents: step.amountCents,
  };
}

/** The patient's invoice for their share, billed to the patient partner `partnerId`. */
export function patientInvoiceDraft(
  step: Extract<PostingStep, { kind: 'patientInvoice' }>,
  partnerId: number,
  accountId: number,
): MoveDraft {
  return {
    stepRef: step.ref,
    kind: 'patientInvoice',
    externalId: moveExternalId(step.ref),
    header: {
      move_type: 'out_invoice',
      'partner_id/.id': partnerId,
      invoice_date: step.issueDate,
      ref: step.invoiceId,
      payment_reference: step.invoiceId,
      invoice_origin: step.ref,
    },
    lines: step.lines.map((line, index) => ({
      externalId: lineExternalId(step.ref, index),
      name: line.label,
      priceCents: line.amountCents,
      accountId,
    })),
    totalCents: step.lines.reduce((sum, line) => sum + line.amountCents, 0),
  };
}

/**
 * The headers of several drafts of one kind in one `load` (one transaction: all or none). Returns the move ids in
 * order, or undefined when another writer holds one of the external ids (search again).
 */
export async function loadMoveHeaders(
  odoo: OdooClient,
  drafts: readonly MoveDraft[],
): Promise<number[] | undefined> {
  const [first] = drafts;
  if (!first) return [];
  const columns = Object.keys(first.header);
  if (drafts.some((d) => Object.keys(d.header).join() !== columns.join()))
    throw new Error('loadMoveHeaders: drafts of one load must share their columns');
  return loadRows(
    odoo,
    'account.move',
    ['id', ...columns],
    drafts.map((d) => [d.externalId, ...columns.map((column) => loadCell(d.header[column]))]),
    `${first.kind === 'creditNote' ? 'credit notes' : 'patient invoices'} ${drafts.map((d) => d.stepRef).join(', ')}`,
  );
}

const LINE_COLUMNS = [
  'id',
  'move_id/.id',
  'display_type',
  'name',
  'quantity',
  'price_unit',
  'account_id/.id',
];

/** The lines of several drafts (each on its move id) in one `load`, each line under its external id. */
export async function loadMoveLines(
  odoo: OdooClient,
  drafts: ReadonlyArray<{ draft: MoveDraft; moveId: number }>,
): Promise<boolean> {
  const rows = drafts.flatMap(({ draft, moveId }) =>
    draft.lines.map((line) => [
      line.externalId,
      String(moveId),
      'product',
      line.name,
      '1',
      formatCents(line.priceCents),
      String(line.accountId),
    ]),
  );
  if (rows.length === 0) return true;
  return (
    (await loadRows(
      odoo,
      'account.move.line',
      LINE_COLUMNS,
      rows,
      'credit note and patient invoice lines',
    )) !== undefined
  );
}
