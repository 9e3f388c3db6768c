import type * as z from 'zod';
import type { BillTo, InvoiceIssued } from '../../core/invoice.js';
import { formatCents, odooAmountToCents } from '../../core/money.js';
import { invoiceExternalId, loadCell, partnerExternalId } from '../../core/odoo-external-ids.js';
import {
  INVOICE_LINE_COLUMNS,
  invoiceLineRows,
  invoiceSearchDomain,
  invoiceValues,
  partnerRef,
  partnerSearchDomain,
  partnerValues,
} from '../../core/odoo-posting.js';
import type { OdooClient } from './client.js';
import { OdooError } from './errors.js';
import { loadByExternalId, loadRows, pickCanonical } from './external-records.js';
import { postDraft } from './posting.js';

export interface PostedInvoice {
  moveId: number;
  moveName: string;
  partnerId: number;
  amountTotalCents: number;
  amountResidualCents: number;
  /** true when the invoice was already in Odoo (a redelivery after a crash or a retried request). */
  alreadyPresent: boolean;
}

interface MoveRow {
  id: number;
  name: string;
  state: 'draft' | 'posted' | 'cancel';
  amount_total: number;
  amount_residual: number;
  invoice_line_ids: number[];
}

const MOVE_FIELDS = ['name', 'state', 'amount_total', 'amount_residual', 'invoice_line_ids'];
/** Searches and `load`s before giving the race to SQS: the loser of a race finds the winner's record at once. */
const RACE_ATTEMPTS = 3;
/** Enough candidates to see our external id among records that share a reference (legacy duplicates). */
const CANDIDATES = 20;

function hasLines(move: MoveRow, invoice: InvoiceIssued): boolean {
  return (
    move.invoice_line_ids.length === invoice.lines.length &&
    odooAmountToCents(move.amount_total) === invoice.totalCents
  );
}

function postedInvoice(move: MoveRow, partnerId: number, alreadyPresent: boolean): PostedInvoice {
  return {
    moveId: move.id,
    moveName: move.name,
    partnerId,
    amountTotalCents: odooAmountToCents(move.amount_total),
    amountResidualCents: odooAmountToCents(move.amount_residual),
    alreadyPresent,
  };
}

function raceNotSettled(externalId: string): OdooError {
  return new OdooError('transient', 'rcm.ExternalIdRace', `${externalId} is being created by another writer`);
}

/**
 * Receivables in Odoo, written idempotently: every write is "find by our canonical reference, create only
 * if absent", and each creation is keyed by an external id (ir.model.data, unique), so any redelivery, a
 * second writer or a call that committed after we gave up converges on one partner and one posted invoice.
 */
export class OdooInvoiceLedger {
  constructor(private readonly odoo: OdooClient) {}

  /**
   * The partner a document is billed to: found by our `ref`, else created with its external id in one
   * transaction (`loadByExternalId`), so racing writers and retries after a late commit converge on one partner.
   * Partners made before external ids (or duplicated by hand) are resolved, not refused: see `pickCanonical`.
   */
  async ensurePartner(billTo: z.infer<typeof BillTo>): Promise<number> {
    const externalId = partnerExternalId(billTo);
    for (let attempt = 0; attempt < RACE_ATTEMPTS; attempt += 1) {
      const found = await this.odoo.call<number[]>('res.partner', 'search', [partnerSearchDomain(billTo)], {
        limit: CANDIDATES,
        order: 'id',
      });
      const kept = await pickCanonical(
        this.odoo,
        'res.partner',
        found.map((id) => ({ id })),
        externalId,
      );
      if (kept) return kept.id;
      const created = await loadByExternalId(this.odoo, 'res.partner', externalId, partnerValues(billTo));
      if (created !== undefined) return created;
    }
    throw raceNotSettled(externalId);
  }

  /**
   * The partners of several documents in a fixed number of calls: one search by `ref in [...]`, one `load` of
   * the missing ones (each with its external id: a repeat or a late commit finds, never doubles). Keys are the
   * partners' external ids. Partners it cannot settle here (shared refs, a lost race) are resolved one by one.
   */
  async ensurePartners(billTos: ReadonlyArray<z.infer<typeof BillTo>>): Promise<Map<string, number>> {
    const wanted = new Map(billTos.map((billTo) => [partnerExternalId(billTo), billTo]));
    const ids = new Map<string, number>();
    if (wanted.size === 0) return ids;
    const rows = await this.odoo.call<Array<{ id: number; ref: string | false }>>(
      'res.partner',
      'search_read',
      [[['ref', 'in', [...wanted.values()].map(partnerRef)]]],
      { fields: ['ref'], order: 'id' },
    );
    const missing: Array<[string, z.infer<typeof BillTo>]> = [];
    for (const [externalId, billTo] of wanted) {
      const found = rows.filter((row) => row.ref === partnerRef(billTo));
      if (found.length === 1) ids.set(externalId, (found[0] as { id: number }).id);
      else if (found.length === 0) missing.push([externalId, billTo]);
      else ids.set(externalId, await this.ensurePartner(billTo));
    }
    if (missing.length > 0) {
      const columns = Object.keys(partnerValues((missing[0] as [string, z.infer<typeof BillTo>])[1]));
      const loaded = await loadRows(
        this.odoo,
        'res.partner',
        ['id', ...columns],
        missing.map(([externalId, billTo]) => {
          const values = partnerValues(billTo);
          return [externalId, ...columns.map((column) => loadCell(values[column]))];
        }),
        'partners',
      ).catch(() => undefined);
      for (const [index, [externalId, billTo]] of missing.entries()) {
        const id = loaded?.[index];
        ids.set(externalId, id ?? (await this.ensurePartner(billTo)));
      }
    }
    return ids;
  }

  /**
   * Posts a batch of invoices (an SQS batch of the writer) in a fixed number of calls, whatever its size: one
   * search by `ref in [...]`, one header `load` and one line `load` for those Odoo lacks (every record under its
   * external id, as `ensurePostedInvoice` writes them: nothing a retry or a late commit could double), one read,
   * one `action_post` over all drafts, one read of what was posted. Answers the invoices it posted or found
   * posted, by external id; any invoice it could not settle in the batch (a refused row rolls its whole call
   * back, a shared reference, lines to repair) is left out for `ensurePostedInvoice` to book on its own, where a
   * failure is that invoice's alone.
   */
  async postInvoices(
    items: ReadonlyArray<{ invoice: InvoiceIssued; partnerId: number }>,
  ): Promise<Map<string, PostedInvoice>> {
    const byExternalId = new Map(
      items.map((item) => [invoiceExternalId(item.invoice.invoiceId, item.partnerId), item]),
    );
    const posted = new Map<string, PostedInvoice>();
    if (byExternalId.size === 0) return posted;
    const rows = await this.odoo.call<
      Array<MoveRow & { ref: string | false; partner_id: [number, string] | false }>
    >(
      'account.move',
      'search_read',
      [
        [
          ['move_type', '=', 'out_invoice'],
          ['ref', 'in', [...new Set(items.map((item) => item.invoice.invoiceId))]],
        ],
      ],
      { fields: [...MOVE_FIELDS, 'ref', 'partner_id'], order: 'id' },
    );
    const drafts = new Map<string, number>();
    const needLines: string[] = [];
    const toCreate: string[] = [];
    for (const [externalId, { invoice, partnerId }] of byExternalId) {
      const found = rows.filter(
        (row) =>
          row.ref === invoice.invoiceId && Array.isArray(row.partner_id) && row.partner_id[0] === partnerId,
      );
      const [move, ...more] = found;
      if (!move) toCreate.push(externalId);
      // Shared references and cancelled moves are for the one-by-one path (pickCanonical, its errors).
      else if (more.length > 0 || move.state === 'cancel') continue;
      else if (move.state === 'posted') posted.set(externalId, postedInvoice(move, partnerId, true));
      else if (move.invoice_line_ids.length === 0) {
        drafts.set(externalId, move.id);
        needLines.push(externalId);
      } else if (hasLines(move, invoice)) drafts.set(externalId, move.id);
    }
    const created = new Set<string>();
    if (toCreate.length > 0) {
      const headers = toCreate.map((externalId) => {
        const { invoice, partnerId } = byExternalId.get(externalId) as (typeof items)[number];
        const { invoice_line_ids: _lines, partner_id, ...header } = invoiceValues(invoice, partnerId);
        return { externalId, columns: { ...header, 'partner_id/.id': partner_id } };
      });
      const fields = ['id', ...Object.keys((headers[0] as (typeof headers)[number]).columns)];
      const ids = await loadRows(
        this.odoo,
        'account.move',
        fields,
        headers.map(({ externalId, columns }) => [externalId, ...Object.values(columns).map(loadCell)]),
        'invoice headers',
      ).catch(() => undefined);
      for (const [index, externalId] of toCreate.entries()) {
        const id = ids?.[index];
        if (id === undefined) continue;
        drafts.set(externalId, id);
        needLines.push(externalId);
        created.add(externalId);
      }
    }
    if (needLines.length > 0) {
      const lined = await this.loadLines(
        needLines.map((externalId) => ({
          ...(byExternalId.get(externalId) as (typeof items)[number]),
          moveId: drafts.get(externalId) as number,
        })),
      ).then(
        () => true,
        () => false,
      );
      if (!lined) for (const externalId of needLines) drafts.delete(externalId);
    }
    if (drafts.size === 0) return posted;
    const draftRows = await this.odoo.call<MoveRow[]>('account.move', 'read', [[...drafts.values()]], {
      fields: MOVE_FIELDS,
    });
    const toPost: Array<[string, MoveRow]> = [];
    for (const [externalId, moveId] of drafts) {
      const row = draftRows.find((r) => r.id === moveId);
      const { invoice } = byExternalId.get(externalId) as (typeof items)[number];
      // A total Odoo computes otherwise (taxes, rounding) is refused by the one-by-one path, for this invoice only.
      if (row?.state === 'draft' && hasLines(row, invoice)) toPost.push([externalId, row]);
    }
    if (toPost.length === 0) return posted;
    const ids = toPost.map(([, row]) => row.id);
    try {
      // Numbered at posting (see postDraft): a draft named at creation is reset to "/" first.
      const named = toPost.filter(([, row]) => row.name && row.name !== '/').map(([, row]) => row.id);
      if (named.length > 0) await this.odoo.call('account.move', 'write', [named, { name: '/' }]);
      await this.odoo.call('account.move', 'action_post', [ids]);
    } catch {
      // One call, one transaction: nothing of it was posted. Each invoice is posted on its own instead.
      return posted;
    }
    const after = await this.odoo.call<MoveRow[]>('account.move', 'read', [ids], { fields: MOVE_FIELDS });
    for (const [externalId, row] of toPost) {
      const move = after.find((r) => r.id === row.id);
      const { partnerId } = byExternalId.get(externalId) as (typeof items)[number];
      if (move?.state === 'posted')
        posted.set(externalId, postedInvoice(move, partnerId, !created.has(externalId)));
    }
    return posted;
  }

  async ensurePostedInvoice(invoice: InvoiceIssued, partnerId: number): Promise<PostedInvoice> {
    const externalId = invoiceExternalId(invoice.invoiceId, partnerId);
    const { invoice_line_ids: lines, partner_id, ...header } = invoiceValues(invoice, partnerId);
    let moveId: number | undefined;
    let alreadyPresent = true;
    for (let attempt = 0; attempt < RACE_ATTEMPTS && moveId === undefined; attempt += 1) {
      const found = await this.odoo.call<{ id: number; state: string }[]>(
        'account.move',
        'search_read',
        [invoiceSearchDomain(invoice, partnerId)],
        { fields: ['state'], limit: CANDIDATES, order: 'id' },
      );
      const kept = await pickCanonical(
        this.odoo,
        'account.move',
        found,
        externalId,
        (m) => m.state === 'posted',
      );
      if (kept) {
        moveId = kept.id;
        break;
      }
      alreadyPresent = false;
      // The header only: a `load` that reaches Odoo late writes the same header again, harmlessly, where
      // lines would be appended (even to a posted invoice). Lines follow as one replacing write below.
      moveId = await loadByExternalId(this.odoo, 'account.move', externalId, {
        ...header,
        'partner_id/.id': partner_id,
      });
    }
    if (moveId === undefined) throw raceNotSettled(externalId);
    let move = await this.readMove(moveId);
    if (move.state === 'draft' && !hasLines(move, invoice)) {
      await this.setLines(move, invoice, partnerId, lines as unknown[]);
      move = await this.readMove(moveId);
    }
    if (move.state === 'draft') {
      // Odoo computes the total from the lines (taxes, rounding); refuse to post one that disagrees with us.
      const odooTotal = odooAmountToCents(move.amount_total);
      if (odooTotal !== invoice.totalCents) {
        throw new OdooError(
          'permanent',
          'rcm.TotalMismatch',
          `Odoo computed ${formatCents(odooTotal)} for invoice ${invoice.invoiceId}, the billing system sent ${formatCents(invoice.totalCents)}; left in draft (move ${moveId})`,
        );
      }
      await postDraft(this.odoo, move);
      move = await this.readMove(moveId);
    }
    if (move.state !== 'posted') {
      throw new OdooError(
        'permanent',
        'rcm.NotPosted',
        `Odoo invoice ${moveId} is ${move.state}, expected posted`,
      );
    }
    return {
      moveId,
      moveName: move.name,
      partnerId,
      amountTotalCents: odooAmountToCents(move.amount_total),
      amountResidualCents: odooAmountToCents(move.amount_residual),
      alreadyPresent,
    };
  }

  /**
   * Gives a draft invoice its lines. A draft without lines (its header was loaded, the lines never reached
   * Odoo) gets them by a line `load` keyed by external ids: a repeat, or a late commit, updates the same lines.
   * A draft holding other lines (made before line external ids, or edited by hand) is repaired by a
   * clear-and-set write: repeating it leaves the same lines, and Odoo refuses it once the invoice is posted.
   */
  private async setLines(move: MoveRow, invoice: InvoiceIssued, partnerId: number, lines: unknown[]) {
    try {
      if (move.invoice_line_ids.length === 0) {
        await this.loadLines([{ invoice, partnerId, moveId: move.id }]);
      } else {
        await this.odoo.call('account.move', 'write', [
          [move.id],
          { invoice_line_ids: [[5, 0, 0], ...lines] },
        ]);
      }
    } catch (error) {
      // A concurrent writer may have set the lines and posted meanwhile: then Odoo refuses ours, rightly.
      if ((await this.readMove(move.id)).state !== 'posted') throw error;
    }
  }

  /** The lines of several draft invoices in one `load` (one transaction), each line under its external id. */
  private async loadLines(
    items: ReadonlyArray<{ invoice: InvoiceIssued; partnerId: number; moveId: number }>,
  ): Promise<void> {
    const rows = items.flatMap(({ invoice, partnerId, moveId }) =>
      invoiceLineRows(invoice, partnerId, moveId),
    );
    const loaded = await loadRows(
      this.odoo,
      'account.move.line',
      INVOICE_LINE_COLUMNS,
      rows,
      'invoice lines',
    );
    if (!loaded) throw raceNotSettled(`lines of ${items.map((i) => i.invoice.invoiceId).join(', ')}`);
  }

  private async readMove(moveId: number): Promise<MoveRow> {
    const [row] = await this.odoo.call<MoveRow[]>('account.move', 'read', [[moveId]], {
      fields: MOVE_FIELDS,
    });
    if (!row)
      throw new OdooError(
        'permanent',
        'odoo.exceptions.MissingError',
        `Odoo invoice ${moveId} no longer exists`,
      );
    return row;
  }
}
