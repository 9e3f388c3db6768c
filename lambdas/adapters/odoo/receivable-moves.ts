import { formatCents } from '../../core/money.js';
import { EXTERNAL_ID_MODULE, externalIdName, loadCell } from '../../core/odoo-external-ids.js';
import type { PostingStep } from '../../core/posting-plan.js';
import type { CallOptions, OdooClient } from './client.js';
import { OdooError } from './errors.js';
import { loadRows, RACE_MESSAGE } from './external-records.js';

/**
 * The customer moves a posting plan creates besides payments — credit notes (out_refund) and patient invoices
 * (out_invoice) — as `load` rows keyed by external ids, one per move and one per line (issue 16). Every writer of
 * them (the batch, the one-by-one ledger, a retry after a call that committed late) names the same records: a
 * repeat updates them instead of creating a second move, as the hub's invoices are written (invoice-ledger.ts).
 * The one-by-one ledger writes a header and its lines as two loads; the batch writes whole drafts in one
 * (`loadMoves`: one2many sub-rows, each line under its external id, so a repeat updates instead of appending).
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

/**
 * Whole drafts — headers of any kind and their lines — in one `load` (one transaction: all or none), for the
 * batch (issue 16). The lines ride as one2many sub-rows, each under its own external id: Odoo links and updates
 * a line whose external id exists instead of appending one (base/models/ir_fields.py `_str_to_one2many`, 17.0
 * and 19.0: `Command.link` + `Command.update`), and a new line gets its external id from `create` during the
 * import (odoo/models.py `create`, `_import_current_module`) — so a repeat after a lost answer writes the same
 * move and lines again, never a second line. A header column one kind lacks (a credit note's
 * `payment_reference`, a patient invoice's `reversed_entry_id`) is an empty cell, which `load` writes as False:
 * the value the field would have had (a credit note gets no computed payment reference, `_compute_payment_reference`
 * fills out_invoice only). Returns the move ids in draft order, or undefined when another writer holds one of
 * the external ids (search again).
 */
export async function loadMoves(
  odoo: OdooClient,
  drafts: readonly MoveDraft[],
  options: CallOptions = {},
): Promise<number[] | undefined> {
  if (drafts.length === 0) return [];
  const headerColumns = [...new Set(drafts.flatMap((d) => Object.keys(d.header)))];
  const lineColumns = LINE_COLUMNS.filter((column) => column !== 'move_id/.id').map(
    (column) => `invoice_line_ids/${column}`,
  );
  // One row per move (its header and first line), then a row per further line with the header cells empty.
  const rows: string[][] = [];
  const moveRows: number[] = [];
  for (const draft of drafts) {
    moveRows.push(rows.length);
    const header = [draft.externalId, ...headerColumns.map((column) => loadCell(draft.header[column]))];
    const blank = header.map(() => '');
    draft.lines.forEach((line, index) => {
      rows.push([...(index === 0 ? header : blank), ...lineCells(line)]);
    });
    if (draft.lines.length === 0) rows.push([...header, ...lineColumns.map(() => '')]);
  }
  const answer = await odoo.call<{ ids: number[] | false; messages?: Array<{ message?: string }> }>(
    'account.move',
    'load',
    [],
    { fields: ['id', ...headerColumns, ...lineColumns], data: rows },
    options,
  );
  // `load` answers one id per record (a move with its lines), not per row.
  if (answer.ids && answer.ids.length === drafts.length) return answer.ids;
  const text = (answer.messages ?? []).map((m) => m.message ?? '').join('; ');
  if (RACE_MESSAGE.test(text)) return undefined;
  throw new OdooError(
    'permanent',
    'rcm.LoadRefused',
    `Odoo refused the moves ${drafts.map((d) => d.stepRef).join(', ')}: ${text || 'no id'}`,
  );
}

/** A line's cells after its move's: external id, type, label, quantity, price, account. */
function lineCells(line: MoveDraft['lines'][number]): string[] {
  return [line.externalId, 'product', line.name, '1', formatCents(line.priceCents), String(line.accountId)];
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
    draft.lines.map((line) => {
      const [externalId, ...cells] = lineCells(line);
      return [externalId as string, String(moveId), ...cells];
    }),
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
