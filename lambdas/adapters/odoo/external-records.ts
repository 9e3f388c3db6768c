import { canonicalRecord, loadCell } from '../../core/odoo-external-ids.js';
import type { OdooClient } from './client.js';
import { OdooError } from './errors.js';

interface LoadAnswer {
  ids: number[] | false;
  messages?: { type?: string; message?: string }[];
}

/** Messages of a `load()` that lost a race to another writer of the same external id (retry and find it). */
export const RACE_MESSAGE =
  /serializ|concurrent update|could not obtain lock|deadlock|duplicate key value|unique constraint/i;

/**
 * Creates one record together with its external id in a single Odoo transaction: `model.load(['id', ...])`
 * (odoo/models.py `load` → `_load_records` → ir.model.data `_update_xmlids`). Two writers racing on one
 * external id cannot both win: Odoo runs in REPEATABLE READ, so the loser's `INSERT … ON CONFLICT` on
 * ir_model_data fails with a serialization error, which `load` returns as a message with `ids: false` and rolls
 * back (its record included). A call that committed after we gave up left the external id behind: the next
 * `load` of it finds the record and writes the same values instead of creating a second one.
 *
 * Call it only for values that may be written again harmlessly (headers, not one2many lines: `load` appends
 * lines to an existing record, even a posted invoice — seen on Odoo 17).
 *
 * Returns the record id, or undefined when another writer won the race (search again: it has committed).
 */
export async function loadByExternalId(
  odoo: OdooClient,
  model: string,
  externalId: string,
  columns: Record<string, unknown>,
): Promise<number | undefined> {
  const fields = ['id', ...Object.keys(columns)];
  const row = [externalId, ...Object.values(columns).map(loadCell)];
  const ids = await loadRows(odoo, model, fields, [row], externalId);
  return ids?.[0];
}

/**
 * Several records, each with its external id (the `id` column), in one `load`: one Odoo transaction, so all
 * of them or none (a refused row rolls back the others: the caller books them one by one then). Returns the ids
 * in row order, or undefined when another writer won a race on one of the external ids (search again).
 */
export async function loadRows(
  odoo: OdooClient,
  model: string,
  fields: string[],
  rows: string[][],
  what: string,
): Promise<number[] | undefined> {
  // Named arguments, so both JSON-RPC (execute_kw kwargs) and JSON-2 carry them the same way.
  const answer = await odoo.call<LoadAnswer>(model, 'load', [], { fields, data: rows });
  if (answer.ids && answer.ids.length === rows.length) return answer.ids;
  const text = (answer.messages ?? []).map((m) => m.message ?? '').join('; ');
  if (RACE_MESSAGE.test(text)) return undefined;
  throw new OdooError('permanent', 'rcm.LoadRefused', `Odoo refused ${model} ${what}: ${text || 'no id'}`);
}

/**
 * Several records found by one of our references: keep the one carrying our external id (else a preferred
 * one, else the oldest). `get_external_id` is a public ORM method that reads ir.model.data as superuser, so a
 * non-admin integration user can call it (ir.model.data itself is closed to it).
 */
export async function pickCanonical<T extends { id: number }>(
  odoo: OdooClient,
  model: string,
  rows: readonly T[],
  externalId: string,
  preferred?: (row: T) => boolean,
): Promise<T | undefined> {
  if (rows.length <= 1) return rows[0];
  const externalIds = await odoo.call<Record<string, string | false>>(model, 'get_external_id', [
    rows.map((row) => row.id),
  ]);
  const byId: Record<number, string | false> = {};
  for (const [id, xmlid] of Object.entries(externalIds ?? {})) byId[Number(id)] = xmlid;
  return canonicalRecord(rows, byId, externalId, preferred);
}
