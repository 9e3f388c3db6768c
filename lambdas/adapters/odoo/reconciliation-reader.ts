import { odooAmountToCents } from '../../core/money.js';
import { partnerRef } from '../../core/odoo-posting.js';
import type { OdooMoveSeen, OdooPaymentSeen } from '../../core/reconciliation.js';
import type { OdooClient } from './client.js';
import { isLivePayment, reversedPaymentIds } from './payment-reversal.js';
import { escapeLike, paymentMarker } from './receivables-ledger.js';

type Many2one = [number, string] | false;

interface PaymentRow {
  id: number;
  amount: number;
  state: string;
  date: string | false;
  partner_id: Many2one;
  reconciled_invoice_ids: number[];
  move_id?: Many2one;
  [memoField: string]: unknown;
}

interface MoveRow {
  id: number;
  ref: string | false;
  invoice_origin: string | false;
  move_type: string;
  state: string;
  amount_total: number;
  amount_residual: number;
}

const MOVE_FIELDS = ['ref', 'invoice_origin', 'move_type', 'state', 'amount_total', 'amount_residual'];
/** `move_id`: a payment whose entry a posted entry reverses is undone though 17 still calls it posted. */
const PAYMENT_FIELDS = ['amount', 'state', 'date', 'partner_id', 'reconciled_invoice_ids', 'move_id'];
/** A hub marker in a memo: `[rcm:…]` (receivables-ledger.ts writes it). */
const MARKER = /\[(rcm:[^\]]+)\]/;

/**
 * What Odoo posted, read for reconciliation (read-only: search_read and read, never a write). Reads are
 * bounded by the caller's batch: at most one search per kind per batch plus one read of the invoices the
 * payments are reconciled with.
 */
export class OdooReconciliationReader {
  constructor(private readonly odoo: OdooClient) {}

  /** Payments whose memo carries one of these step refs' markers (active and cancelled). */
  async paymentsByRef(refs: readonly string[]): Promise<OdooPaymentSeen[]> {
    if (refs.length === 0) return [];
    const memoField = await this.memoField();
    const leaves = refs.map((ref) => [memoField, 'ilike', escapeLike(paymentMarker(ref))]);
    const domain = [...Array(leaves.length - 1).fill('|'), ...leaves];
    const rows = await this.odoo.call<PaymentRow[]>('account.payment', 'search_read', [domain], {
      fields: [memoField, ...PAYMENT_FIELDS],
      order: 'id',
    });
    const wanted = new Set(refs);
    return (await this.toSeen(rows, memoField)).filter((p) => p.hubRef && wanted.has(p.hubRef));
  }

  /** One page of a payer's payments dated inside the range, in id order. */
  async payerPayments(
    partnerId: number,
    range: { fromDate: string; toDate: string },
    offset: number,
    limit: number,
  ): Promise<OdooPaymentSeen[]> {
    const memoField = await this.memoField();
    const rows = await this.odoo.call<PaymentRow[]>(
      'account.payment',
      'search_read',
      [
        [
          ['partner_id', '=', partnerId],
          ['payment_type', '=', 'inbound'],
          ['date', '>=', range.fromDate],
          ['date', '<=', range.toDate],
        ],
      ],
      {
        fields: [memoField, ...PAYMENT_FIELDS],
        order: 'id',
        offset,
        limit,
      },
    );
    return this.toSeen(rows, memoField);
  }

  /** Moves whose `invoice_origin` is one of `origins` or whose `ref` is one of `refs` (customer documents). */
  async moves(origins: readonly string[], refs: readonly string[]): Promise<OdooMoveSeen[]> {
    if (origins.length === 0 && refs.length === 0) return [];
    const rows = await this.odoo.call<MoveRow[]>(
      'account.move',
      'search_read',
      [
        [
          ['move_type', 'in', ['out_invoice', 'out_refund']],
          '|',
          ['invoice_origin', 'in', [...origins]],
          ['ref', 'in', [...refs]],
        ],
      ],
      { fields: MOVE_FIELDS, order: 'id' },
    );
    return rows.map(toMoveSeen);
  }

  /** The payer's partner in Odoo (ref `rcm:payer:<id>`), if it was ever synced. */
  async payerPartnerId(payerId: string): Promise<number | undefined> {
    const ids = await this.odoo.call<number[]>(
      'res.partner',
      'search',
      [[['ref', '=', partnerRef({ kind: 'payer', id: payerId })]]],
      { limit: 1 },
    );
    return ids[0];
  }

  private async toSeen(rows: PaymentRow[], memoField: string): Promise<OdooPaymentSeen[]> {
    const dialect = await this.odoo.dialect();
    const live = rows.filter((row) => isLivePayment(dialect, row.state));
    // 18+ mark a payment the hub reversed `canceled`; 17 keeps it posted, its reversal entry tells.
    const reversed = dialect.paymentReversal.markPaymentState
      ? new Set<number>()
      : await reversedPaymentIds(this.odoo, live);
    const invoiceIds = [...new Set(rows.flatMap((r) => r.reconciled_invoice_ids ?? []))];
    const refsById = new Map<number, string>();
    if (invoiceIds.length > 0) {
      const invoices = await this.odoo.call<Array<{ id: number; ref: string | false }>>(
        'account.move',
        'read',
        [invoiceIds],
        { fields: ['ref'] },
      );
      for (const invoice of invoices) if (invoice.ref) refsById.set(invoice.id, invoice.ref);
    }
    return rows.map((row) => {
      const memo = typeof row[memoField] === 'string' ? (row[memoField] as string) : '';
      const hubRef = MARKER.exec(memo)?.[1];
      return {
        id: row.id,
        ...(hubRef ? { hubRef } : {}),
        memo,
        amountCents: odooAmountToCents(row.amount),
        active: isLivePayment(dialect, row.state) && !reversed.has(row.id),
        date: row.date || '',
        invoiceRefs: (row.reconciled_invoice_ids ?? []).flatMap((id) => {
          const ref = refsById.get(id);
          return ref ? [ref] : [];
        }),
      };
    });
  }

  private async memoField(): Promise<'ref' | 'memo'> {
    return (await this.odoo.dialect()).paymentMemoField;
  }
}

function toMoveSeen(row: MoveRow): OdooMoveSeen {
  return {
    id: row.id,
    ref: row.ref || '',
    origin: row.invoice_origin || '',
    moveType: row.move_type,
    active: row.state === 'posted',
    totalCents: odooAmountToCents(row.amount_total),
    residualCents: odooAmountToCents(row.amount_residual),
  };
}
