/**
 * Odoo search domains (odoo/osv/expression.py): a prefix-notation list of terms and the operators
 * '&', '|', '!'; terms side by side are implicitly AND-ed. Leaves are [field, operator, value].
 */
import { valueError } from './errors.js';

export type Domain = unknown[];

/** What a leaf sees of a field on one record. */
export interface FieldValue {
  kind: 'scalar' | 'many2one' | 'x2many';
  /** scalar value, many2one id (or false), or list of ids */
  value: unknown;
  /** display names of the related records, for string operands on relational fields */
  names?: () => string[];
}

export type FieldAccessor = (path: string) => FieldValue;

/** A parsed domain: leaves hold [field, operator (lower case), operand]. */
export type DomainNode =
  | { op: '&' | '|'; left: DomainNode; right: DomainNode }
  | { op: '!'; child: DomainNode }
  | { op: 'leaf'; leaf: unknown[] };

const TERM_OPERATORS = new Set([
  '=',
  '!=',
  '<>',
  '<',
  '<=',
  '>',
  '>=',
  'in',
  'not in',
  'like',
  'ilike',
  'not like',
  'not ilike',
  '=like',
  '=ilike',
  'child_of',
  'parent_of',
  '=?',
]);

export function parseDomain(domain: unknown): DomainNode | undefined {
  if (domain === undefined || domain === null || domain === false) return undefined;
  if (!Array.isArray(domain)) throw valueError(`Invalid domain: ${JSON.stringify(domain)}`);
  if (domain.length === 0) return undefined;
  // Normalise: missing '&' between consecutive expressions (expression.normalize_domain).
  const items = [...domain];
  let position = 0;
  const parseOne = (): DomainNode => {
    const item = items[position++];
    if (item === '&' || item === '|') {
      const left = parseOne();
      const right = parseOne();
      return { op: item, left, right };
    }
    if (item === '!') return { op: '!', child: parseOne() };
    if (Array.isArray(item) && item.length === 3) {
      const operator = String(item[1]).toLowerCase();
      if (!TERM_OPERATORS.has(operator)) throw valueError(`Invalid leaf ${JSON.stringify(item)}`);
      return { op: 'leaf', leaf: [item[0], operator, item[2]] };
    }
    throw valueError(`Invalid leaf ${JSON.stringify(item)}`);
  };
  let node = parseOne();
  while (position < items.length) node = { op: '&', left: node, right: parseOne() };
  return node;
}

export function matchesDomain(node: DomainNode | undefined, access: FieldAccessor): boolean {
  if (!node) return true;
  switch (node.op) {
    case '&':
      return matchesDomain(node.left, access) && matchesDomain(node.right, access);
    case '|': {
      const markers = bracketMarkers(node);
      if (markers) {
        const field = access(markers.field);
        if (field.kind === 'scalar') return containsMarker(field.value, markers.literals);
      }
      return matchesDomain(node.left, access) || matchesDomain(node.right, access);
    }
    case '!':
      return !matchesDomain(node.child, access);
    case 'leaf':
      return matchLeaf(node.leaf, access);
  }
}

/**
 * An OR of `ilike` leaves on one field whose operands are bracketed literals (`[rcm:pay:…]`): the payment
 * look-ups of an ERA round OR one such marker per claim, 500 of them, and a leaf-by-leaf evaluation over
 * every payment was most of a month-end round's time in the sandbox. Such an OR holds when one of the value's
 * bracketed runs (a `[` up to the next `]`) is one of the literals, ASCII case folded as ILIKE folds them:
 * a literal that starts with `[` and ends with its only `]` can only occur as such a run. Anything else
 * (wildcards, other operators or fields, non-ASCII literals) is evaluated leaf by leaf.
 */
interface BracketMarkers {
  field: string;
  literals: Set<string>;
}

const markerCache = new WeakMap<DomainNode, BracketMarkers | null>();
/** Below this many leaves the plain evaluation is as quick. */
const MARKERS_AT_LEAST = 8;

function bracketMarkers(node: DomainNode): BracketMarkers | undefined {
  let cached = markerCache.get(node);
  if (cached === undefined) {
    cached = collectMarkers(node);
    markerCache.set(node, cached);
  }
  return cached ?? undefined;
}

function collectMarkers(node: DomainNode): BracketMarkers | null {
  const leaves: unknown[][] = [];
  const pending: DomainNode[] = [node];
  while (pending.length > 0) {
    const next = pending.pop() as DomainNode;
    if (next.op === '|') pending.push(next.right, next.left);
    else if (next.op === 'leaf') leaves.push(next.leaf);
    else return null;
  }
  if (leaves.length < MARKERS_AT_LEAST) return null;
  const field = leaves[0]?.[0];
  if (typeof field !== 'string' || field.includes('.')) return null;
  const literals = new Set<string>();
  for (const [name, operator, operand] of leaves as [unknown, string, unknown][]) {
    if (name !== field || operator !== 'ilike' || typeof operand !== 'string') return null;
    const literal = likeLiteral(operand);
    if (
      literal === undefined ||
      !/^\[[\x20-\x7e]*\]$/.test(literal) ||
      literal.indexOf(']') !== literal.length - 1
    )
      return null;
    literals.add(foldAscii(literal));
  }
  return { field, literals };
}

/** A LIKE operand without wildcards as the text it matches (escapes removed); undefined if it has any. */
function likeLiteral(pattern: string): string | undefined {
  let literal = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i] as string;
    if (ch === '\\' && i + 1 < pattern.length) literal += pattern[++i];
    else if (ch === '%' || ch === '_') return undefined;
    else literal += ch;
  }
  return literal;
}

const foldAscii = (text: string) => text.replace(/[A-Z]/g, (ch) => ch.toLowerCase());

function containsMarker(value: unknown, literals: Set<string>): boolean {
  // An empty value matches no non-empty operand (matchScalar's `ilike`).
  if (value === false || value === null || value === undefined || value === '') return false;
  const text = foldAscii(String(value));
  for (let open = text.indexOf('['); open !== -1; open = text.indexOf('[', open + 1)) {
    const close = text.indexOf(']', open);
    if (close === -1) return false;
    if (literals.has(text.slice(open, close + 1))) return true;
  }
  return false;
}

/** Fields the domain mentions (used for the implicit `active = True` filter). */
export function domainFields(node: DomainNode | undefined, into = new Set<string>()): Set<string> {
  if (!node) return into;
  if (node.op === 'leaf') into.add(String(node.leaf[0]).split('.')[0] as string);
  else if (node.op === '!') domainFields(node.child, into);
  else {
    domainFields(node.left, into);
    domainFields(node.right, into);
  }
  return into;
}

function matchLeaf(leaf: unknown[], access: FieldAccessor): boolean {
  const [field, operator, operand] = leaf as [unknown, string, unknown];
  // TRUE_LEAF (1, '=', 1) and FALSE_LEAF (0, '=', 1)
  if (typeof field === 'number') return operator === '=' ? field === operand : field !== operand;
  const value = access(String(field));
  const op = operator === '<>' ? '!=' : operator === 'child_of' || operator === 'parent_of' ? 'in' : operator;
  if (op === '=?')
    return operand === false || operand === null || operand === undefined || matchOne(value, '=', operand);
  return matchOne(value, op, operand);
}

function isEmpty(value: unknown): boolean {
  return (
    value === false || value === null || value === undefined || (Array.isArray(value) && value.length === 0)
  );
}

function matchOne(field: FieldValue, op: string, operand: unknown): boolean {
  if (field.kind === 'x2many') {
    const ids = (field.value as number[]) ?? [];
    return matchRelational(ids, field, op, operand);
  }
  if (field.kind === 'many2one') {
    const ids = isEmpty(field.value) ? [] : [field.value as number];
    return matchRelational(ids, field, op, operand);
  }
  return matchScalar(field.value, op, operand);
}

function matchRelational(ids: number[], field: FieldValue, op: string, operand: unknown): boolean {
  const stringOperand =
    typeof operand === 'string' ||
    (Array.isArray(operand) && operand.length > 0 && operand.every((o) => typeof o === 'string'));
  if (stringOperand && op !== '=like' && op !== '=ilike') {
    // A string on a relational field searches the related records by name (name_search semantics).
    const names = field.names?.() ?? [];
    const negative = op === '!=' || op === 'not in' || op === 'not like' || op === 'not ilike';
    const positiveOp = negative
      ? ({ '!=': '=', 'not in': 'in', 'not like': 'like', 'not ilike': 'ilike' }[op] as string)
      : op;
    const hit = names.some((name) => matchScalar(name, positiveOp, operand));
    return negative ? !hit : hit;
  }
  switch (op) {
    case '=':
      return isEmpty(operand) ? ids.length === 0 : ids.includes(Number(operand));
    case '!=':
      return isEmpty(operand) ? ids.length > 0 : !ids.includes(Number(operand));
    case 'in': {
      const list = toList(operand);
      if (ids.length === 0) return list.some((o) => o === false || o === null);
      return ids.some((id) => list.includes(id));
    }
    case 'not in': {
      const list = toList(operand);
      if (ids.length === 0) return !list.some((o) => o === false || o === null);
      return !ids.some((id) => list.includes(id));
    }
    default:
      return ids.some((id) => matchScalar(id, op, operand));
  }
}

function toList(operand: unknown): unknown[] {
  return Array.isArray(operand) ? operand : [operand];
}

function matchScalar(value: unknown, op: string, operand: unknown): boolean {
  switch (op) {
    case '=':
      if (isEmpty(operand)) return isEmpty(value) || value === '';
      return looseEqual(value, operand);
    case '!=':
      if (isEmpty(operand)) return !isEmpty(value) && value !== '';
      // SQL: NULL != x is unknown, and Odoo adds "OR field IS NULL" for != on non-boolean values.
      return !looseEqual(value, operand);
    case 'in': {
      const list = toList(operand);
      if (isEmpty(value)) return list.some((o) => o === false || o === null);
      return list.some((o) => looseEqual(value, o));
    }
    case 'not in': {
      const list = toList(operand);
      if (isEmpty(value)) return !list.some((o) => o === false || o === null);
      return !list.some((o) => looseEqual(value, o));
    }
    case '<':
    case '<=':
    case '>':
    case '>=': {
      if (isEmpty(value) || isEmpty(operand)) return false; // NULL comparisons are never true
      const a = value as number | string;
      const b = operand as number | string;
      if (op === '<') return a < b;
      if (op === '<=') return a <= b;
      if (op === '>') return a > b;
      return a >= b;
    }
    case 'like':
    case 'ilike':
      if (isEmpty(value)) return isEmpty(operand) || operand === '';
      return sqlLike(String(value), `%${String(operand)}%`, op === 'ilike');
    case 'not like':
    case 'not ilike':
      if (isEmpty(value)) return true; // Odoo: "OR field IS NULL"
      return !sqlLike(String(value), `%${String(operand)}%`, op === 'not ilike');
    case '=like':
    case '=ilike':
      if (isEmpty(value)) return false;
      return sqlLike(String(value), String(operand), op === '=ilike');
    default:
      throw valueError(`Invalid operator ${op}`);
  }
}

function looseEqual(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'string' && b.trim() !== '') return a === Number(b);
  if (typeof a === 'boolean' || typeof b === 'boolean') return Boolean(a) === Boolean(b);
  return a === b;
}

/**
 * Compiled LIKE patterns. A search evaluates its leaves once per row: an ERA round's payment look-up ORs 500
 * `ilike` markers over every payment, and compiling each pattern per row was a tenth of the month-end's time.
 */
const likePatterns = new Map<string, RegExp>();
const LIKE_PATTERNS_KEPT = 10_000;

/** SQL LIKE: `%` any run, `_` one character, `\` escapes. */
export function sqlLike(value: string, pattern: string, caseInsensitive: boolean): boolean {
  const key = `${caseInsensitive ? 'i' : 's'}${pattern}`;
  let compiled = likePatterns.get(key);
  if (!compiled) {
    compiled = likeRegExp(pattern, caseInsensitive);
    if (likePatterns.size >= LIKE_PATTERNS_KEPT) likePatterns.clear();
    likePatterns.set(key, compiled);
  }
  return compiled.test(value);
}

function likeRegExp(pattern: string, caseInsensitive: boolean): RegExp {
  let regex = '^';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i] as string;
    if (ch === '\\' && i + 1 < pattern.length) {
      regex += escapeRegex(pattern[++i] as string);
    } else if (ch === '%') regex += '[\\s\\S]*';
    else if (ch === '_') regex += '[\\s\\S]';
    else regex += escapeRegex(ch);
  }
  return new RegExp(`${regex}$`, caseInsensitive ? 'i' : '');
}

function escapeRegex(ch: string): string {
  return ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
