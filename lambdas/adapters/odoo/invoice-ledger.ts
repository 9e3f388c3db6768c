import type * as z from 'zod';
import type { BillTo, InvoiceIssued } from '../../core/invoice.js';
import { formatCents, odooAmountToCents } from '../../core/money.js';
import { invoiceExternalId, partnerExternalId } from '../../core/odoo-external-ids.js';
import {
  invoiceSearchDomain,
  invoiceValues,
  partnerSearchDomain,
  partnerValues,
} from '../../core/odoo-posting.js';
import type { OdooClient } from './client.js';
import { OdooError } from './errors.js';
import { loadByExternalId, pickCanonical } from './external-records.js';
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
      // Clear-and-set: repeating this write (a retry, a late commit) leaves the same lines, never twice
      // the lines; Odoo refuses it once the invoice is posted ("You can't delete a posted journal item").
      try {
        await this.odoo.call('account.move', 'write', [
          [moveId],
          { invoice_line_ids: [[5, 0, 0], ...(lines as unknown[])] },
        ]);
      } catch (error) {
        // A concurrent writer may have set the lines and posted meanwhile: then Odoo refuses ours, rightly.
        if ((await this.readMove(moveId)).state !== 'posted') throw error;
      }
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
