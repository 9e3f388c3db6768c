import type { z } from 'zod';
import type { BillTo, InvoiceIssued } from '../../core/invoice.js';
import { formatCents, odooAmountToCents } from '../../core/money.js';
import {
  invoiceSearchDomain,
  invoiceValues,
  partnerSearchDomain,
  partnerValues,
} from '../../core/odoo-posting.js';
import type { OdooClient } from './client.js';
import { OdooError } from './errors.js';
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
}

const MOVE_FIELDS = ['name', 'state', 'amount_total', 'amount_residual'];

/**
 * Receivables in Odoo, written idempotently: every write is "find by our canonical reference, create only
 * if absent", so any redelivery converges on one partner and one posted invoice.
 */
export class OdooInvoiceLedger {
  constructor(private readonly odoo: OdooClient) {}

  async ensurePartner(billTo: z.infer<typeof BillTo>): Promise<number> {
    const found = await this.odoo.call<number[]>('res.partner', 'search', [partnerSearchDomain(billTo)], {
      limit: 2,
    });
    if (found.length > 1) {
      throw new OdooError(
        'permanent',
        'rcm.AmbiguousPartner',
        `more than one Odoo partner carries ref rcm:${billTo.kind}:${billTo.id}`,
      );
    }
    if (found[0] !== undefined) return found[0];
    const [created] = await this.odoo.call<number[]>('res.partner', 'create', [[partnerValues(billTo)]]);
    if (created === undefined) throw new OdooError('transient', 'rcm.NoId', 'Odoo created no partner id');
    return created;
  }

  async ensurePostedInvoice(invoice: InvoiceIssued, partnerId: number): Promise<PostedInvoice> {
    const found = await this.odoo.call<number[]>(
      'account.move',
      'search',
      [invoiceSearchDomain(invoice, partnerId)],
      { limit: 2 },
    );
    if (found.length > 1) {
      throw new OdooError(
        'permanent',
        'rcm.AmbiguousInvoice',
        `more than one Odoo invoice carries ref ${invoice.invoiceId} for this partner`,
      );
    }
    let moveId = found[0];
    const alreadyPresent = moveId !== undefined;
    if (moveId === undefined) {
      const [created] = await this.odoo.call<number[]>('account.move', 'create', [
        [invoiceValues(invoice, partnerId)],
      ]);
      if (created === undefined) throw new OdooError('transient', 'rcm.NoId', 'Odoo created no invoice id');
      moveId = created;
    }
    let move = await this.readMove(moveId);
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
