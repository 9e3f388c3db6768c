import { odooAmountToCents } from '../../core/money.js';
import type { OdooInvoice, OdooRecord, OdooWebhookHint } from '../../core/webhooks/sources.js';
import type { OdooClient } from '../odoo/client.js';

type Many2one = [number, string] | false | number;

const idOf = (value: Many2one | undefined): number | undefined =>
  Array.isArray(value) ? value[0] : typeof value === 'number' ? value : undefined;

/**
 * Re-reads the record an Odoo webhook names (odoo.md: the webhook is unsigned and fired before commit, so it
 * is only a hint). Returns undefined when the record does not exist (yet): `read` of a missing id gives `[]`.
 */
export async function readOdooRecord(
  odoo: OdooClient,
  hint: OdooWebhookHint,
): Promise<OdooRecord | undefined> {
  if (hint.model === 'account.payment') {
    const memoField = (await odoo.dialect()).paymentMemoField;
    const [row] = await odoo.call<Array<Record<string, unknown>>>('account.payment', 'read', [[hint.id]], {
      fields: [
        'name',
        'state',
        'payment_type',
        'partner_type',
        'amount',
        'date',
        memoField,
        'reconciled_invoice_ids',
      ],
    });
    if (!row) return undefined;
    return {
      model: 'account.payment',
      id: hint.id,
      ...(typeof row.name === 'string' ? { name: row.name } : {}),
      state: String(row.state),
      paymentType: String(row.payment_type),
      partnerType: String(row.partner_type),
      amountCents: odooAmountToCents(Number(row.amount ?? 0)),
      date: String(row.date ?? ''),
      memo: typeof row[memoField] === 'string' ? (row[memoField] as string) : '',
      invoices: await readInvoices(odoo, (row.reconciled_invoice_ids as number[] | undefined) ?? []),
    };
  }
  const [row] = await odoo.call<Array<Record<string, unknown>>>('account.move', 'read', [[hint.id]], {
    fields: ['name', 'state', 'move_type', 'ref', 'amount_total', 'date', 'reversed_entry_id'],
  });
  if (!row) return undefined;
  const reversed = idOf(row.reversed_entry_id as Many2one | undefined);
  return {
    model: 'account.move',
    id: hint.id,
    ...(typeof row.name === 'string' ? { name: row.name } : {}),
    state: String(row.state),
    moveType: String(row.move_type),
    ref: typeof row.ref === 'string' ? row.ref : '',
    amountCents: odooAmountToCents(Number(row.amount_total ?? 0)),
    date: String(row.date ?? ''),
    invoices: reversed === undefined ? [] : await readInvoices(odoo, [reversed]),
  };
}

async function readInvoices(odoo: OdooClient, ids: number[]): Promise<OdooInvoice[]> {
  if (ids.length === 0) return [];
  const rows = await odoo.call<Array<{ id: number; ref: unknown; narration: unknown }>>(
    'account.move',
    'read',
    [ids],
    { fields: ['ref', 'narration'] },
  );
  return rows.map((row) => ({
    id: row.id,
    ref: typeof row.ref === 'string' ? row.ref : '',
    narration: typeof row.narration === 'string' ? row.narration : '',
  }));
}
