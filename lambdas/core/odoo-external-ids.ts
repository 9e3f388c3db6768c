import type * as z from 'zod';
import type { BillTo } from './invoice.js';

/**
 * External ids (Odoo `ir.model.data`, module `rcm_hub`) that key every record the hub creates in Odoo.
 * Odoo keeps (module, name) unique (ir_model_data_module_name_uniq_index), so creating a record together with
 * its external id in one transaction (`load`) can happen once only, whatever the number of writers or retries.
 */
export const EXTERNAL_ID_MODULE = 'rcm_hub';

/**
 * An injective spelling of any key as an external id name: letters, digits and '-' stay, every other
 * character (the underscore included) becomes `_<hex code point>_`, so two keys never share a name.
 */
export function externalIdName(prefix: string, ...parts: (string | number)[]): string {
  const escape = (part: string) =>
    [...part]
      .map((ch) => (/[A-Za-z0-9-]/.test(ch) ? ch : `_${(ch.codePointAt(0) ?? 0).toString(16)}_`))
      .join('');
  return [prefix, ...parts.map((part) => escape(String(part)))].join('__');
}

export function partnerExternalId(billTo: Pick<z.infer<typeof BillTo>, 'kind' | 'id'>): string {
  return `${EXTERNAL_ID_MODULE}.${externalIdName('partner', billTo.kind, billTo.id)}`;
}

/** One customer invoice per (invoice id, Odoo partner): the same key the hub searches by. */
export function invoiceExternalId(invoiceId: string, partnerId: number): string {
  return `${EXTERNAL_ID_MODULE}.${externalIdName('invoice', invoiceId, partnerId)}`;
}

/**
 * One line of that invoice, by its position: the lines are loaded as records of their own (account.move.line),
 * each with its external id, so a line `load` repeated or reaching Odoo late updates the same lines (with the
 * same values: a no-op on a posted invoice, account_move_line.py `write` skips unchanged lines) instead of adding
 * more. A header load cannot carry its lines safely: `load` appends one2many lines to an existing invoice.
 */
export function invoiceLineExternalId(invoiceId: string, partnerId: number, index: number): string {
  return `${EXTERNAL_ID_MODULE}.${externalIdName('invoice', invoiceId, partnerId, 'line', index)}`;
}

/**
 * `load()` takes its cells as an import file would: text. Booleans as '1' / '' (an empty cell is False),
 * numbers as decimal text; money must already be a decimal string (never a float).
 */
export function loadCell(value: unknown): string {
  if (value === false || value === null || value === undefined) return '';
  if (value === true) return '1';
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new Error(`load cell ${value}: pass amounts as decimal strings`);
    return String(value);
  }
  return String(value);
}

/**
 * Among several Odoo records that carry one of our references (made before external ids, or by hand), the one
 * the hub keeps using: the record holding our external id, else a preferred one (e.g. posted), else the oldest.
 * Deterministic, so every writer and every retry picks the same record and nothing dead-letters as ambiguous.
 */
export function canonicalRecord<T extends { id: number }>(
  rows: readonly T[],
  externalIds: Readonly<Record<number, string | false>>,
  externalId: string,
  preferred: (row: T) => boolean = () => false,
): T | undefined {
  const byId = [...rows].sort((a, b) => a.id - b.id);
  return byId.find((row) => externalIds[row.id] === externalId) ?? byId.find(preferred) ?? byId[0];
}
