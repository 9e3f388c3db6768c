/**
 * Index-backed candidates for `search`: the rows a domain can possibly match, found by `=` / `in` leaves on
 * stored fields instead of a scan of the whole table. PostgreSQL answers `ref in [...]` or `move_id in [...]`
 * by an index; the sandbox scanned every row and evaluated the domain on each, so a month-end round's
 * look-ups over 100,000 move lines took seconds and the sandbox, not the rate limit, set the pace.
 *
 * Candidates only narrow: `search` still evaluates the whole domain on each of them, so a leaf this module does
 * not understand costs a scan, never a wrong answer. A leaf narrows only when its match is plain equality of
 * the stored value: many2one with integer ids, and string-valued fields with non-empty string operands. Values
 * that equality in domain.ts treats loosely (numbers or booleans stored in a string field, say) are filed
 * under one bucket that every candidate set includes.
 */
import type { DomainNode } from './domain.js';
import type { FieldDef } from './orm.js';
import type { Store } from './store.js';

const STRING_TYPES = new Set(['char', 'text', 'html', 'selection', 'date', 'datetime']);
/** Rows whose stored value may match by loose equality: always candidates. */
const LOOSE = '\u0000loose';

const indexName = (field: string) => `search:${field}`;

/**
 * The ids that can match `tree`, or undefined when no leaf narrows it (scan the table). Declares the field
 * indexes it needs on first use.
 */
export function candidateIds(
  store: Store,
  model: string,
  fields: Record<string, FieldDef>,
  tree: DomainNode | undefined,
): Set<number> | undefined {
  if (!tree) return undefined;
  return narrow(store, model, fields, tree);
}

function narrow(
  store: Store,
  model: string,
  fields: Record<string, FieldDef>,
  node: DomainNode,
): Set<number> | undefined {
  switch (node.op) {
    case '&': {
      const left = narrow(store, model, fields, node.left);
      const right = narrow(store, model, fields, node.right);
      if (!left || !right) return left ?? right;
      const [small, large] = left.size <= right.size ? [left, right] : [right, left];
      return new Set([...small].filter((id) => large.has(id)));
    }
    case '|': {
      const left = narrow(store, model, fields, node.left);
      if (!left) return undefined;
      const right = narrow(store, model, fields, node.right);
      if (!right) return undefined;
      for (const id of right) left.add(id);
      return left;
    }
    case '!':
      return undefined;
    case 'leaf':
      return narrowLeaf(store, model, fields, node.leaf);
  }
}

function narrowLeaf(
  store: Store,
  model: string,
  fields: Record<string, FieldDef>,
  leaf: unknown[],
): Set<number> | undefined {
  const [field, operator, operand] = leaf as [unknown, string, unknown];
  if (typeof field !== 'string' || (operator !== '=' && operator !== 'in')) return undefined;
  if (operator === 'in' && !Array.isArray(operand)) return undefined;
  const operands = operator === 'in' ? (operand as unknown[]) : [operand];
  if (field === 'id') {
    if (!operands.every(isId)) return undefined;
    return new Set((operands as number[]).filter((id) => store.get(model, id) !== undefined));
  }
  const def = fields[field];
  if (!def || def.compute) return undefined;
  let keys: string[];
  if (def.type === 'many2one' && operands.every(isId)) keys = (operands as number[]).map((id) => `n:${id}`);
  else if (STRING_TYPES.has(def.type) && operands.every(isFilledString))
    keys = (operands as string[]).map((value) => `s:${value}`);
  else return undefined;
  const name = indexName(field);
  if (!store.hasIndex(model, name))
    store.defineIndex(model, name, (row) => storedKey(row[field], def.type === 'many2one'));
  const ids = new Set(store.indexedIds(model, name, LOOSE));
  for (const key of keys) for (const id of store.indexedIds(model, name, key)) ids.add(id);
  return ids;
}

function storedKey(value: unknown, relational: boolean): string | undefined {
  // Empty values never equal a filled operand (domain.ts matchScalar / matchRelational).
  if (value === undefined || value === null || value === false || value === '') return undefined;
  // A many2one matches an integer operand by strict `includes` (domain.ts matchRelational): only that id.
  if (relational) return isId(value) ? `n:${value}` : undefined;
  return typeof value === 'string' ? `s:${value}` : LOOSE;
}

function isId(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value);
}

function isFilledString(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}
