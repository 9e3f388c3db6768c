/**
 * EventBridge event-pattern matching ("content filtering"), for event buses.
 *
 * A pattern is a JSON object whose leaves are arrays of match conditions; a field matches when any condition
 * matches (OR), and all fields of the object must match (AND). Conditions: exact string/number/boolean/null
 * values, `prefix`, `suffix` (both also with `{ "equals-ignore-case": ... }`), `equals-ignore-case`,
 * `wildcard`, `anything-but` (value, list, `{prefix}`, `{suffix}`, `{equals-ignore-case}`, `{wildcard}`),
 * `numeric`, `exists`, `cidr`, and `$or` at any object level. When the event holds an array, the condition
 * matches if any element matches.
 */

export type EventPattern = { [key: string]: unknown };

export class InvalidEventPatternError extends Error {
  constructor(reason: string) {
    super(`Event pattern is not valid. Reason: ${reason}`);
    this.name = 'InvalidEventPatternException';
  }
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const NUMERIC_OPS = new Set(['<', '<=', '=', '>', '>=']);
const NUMERIC_LIMIT = 5e9; // EventBridge numeric matching range is -5e9..5e9 (inclusive)

// ------------------------------------------------------------------------------------------------ validation

/** Throws `InvalidEventPatternError` for patterns EventBridge would reject. */
export function validateEventPattern(pattern: unknown): asserts pattern is EventPattern {
  if (!isPlainObject(pattern)) throw new InvalidEventPatternError('Filter is not an object');
  if (Object.keys(pattern).length === 0) throw new InvalidEventPatternError('Empty objects are not allowed');
  validateObject(pattern, '');
}

function validateObject(obj: Record<string, unknown>, path: string): void {
  for (const [key, value] of Object.entries(obj)) {
    const here = path ? `${path}.${key}` : key;
    if (key === '$or') {
      if (!Array.isArray(value) || value.length < 2) {
        throw new InvalidEventPatternError(`"$or" must be an array of at least two objects, at ${here}`);
      }
      for (const alt of value) {
        if (!isPlainObject(alt) || Object.keys(alt).length === 0) {
          throw new InvalidEventPatternError(`"$or" members must be non-empty objects, at ${here}`);
        }
        validateObject(alt, path);
      }
      continue;
    }
    if (Array.isArray(value)) {
      if (value.length === 0) throw new InvalidEventPatternError(`Empty arrays are not allowed, at ${here}`);
      for (const cond of value) validateCondition(cond, here);
    } else if (isPlainObject(value)) {
      if (Object.keys(value).length === 0)
        throw new InvalidEventPatternError(`Empty objects are not allowed, at ${here}`);
      validateObject(value, here);
    } else {
      throw new InvalidEventPatternError(
        `Match value must be String, number, true, false, or null, at ${here}`,
      );
    }
  }
}

function validateStringOrIgnoreCase(v: unknown, op: string, here: string): void {
  if (typeof v === 'string') return;
  if (isPlainObject(v) && Object.keys(v).length === 1 && typeof v['equals-ignore-case'] === 'string') return;
  throw new InvalidEventPatternError(`"${op}" match pattern must be a string, at ${here}`);
}

function validateWildcard(v: unknown, here: string): void {
  if (typeof v !== 'string')
    throw new InvalidEventPatternError(`"wildcard" match pattern must be a string, at ${here}`);
  if (/(?<!\\)\*\*/.test(v)) throw new InvalidEventPatternError(`Consecutive wildcard characters at ${here}`);
  if (/\\[^*\\]/.test(v))
    throw new InvalidEventPatternError(`Invalid escape in wildcard pattern, at ${here}`);
}

function validateCondition(cond: unknown, here: string): void {
  if (cond === null || typeof cond === 'string' || typeof cond === 'boolean') return;
  if (typeof cond === 'number') {
    if (!Number.isFinite(cond)) throw new InvalidEventPatternError(`Invalid number at ${here}`);
    return;
  }
  if (Array.isArray(cond))
    throw new InvalidEventPatternError(
      `Match value must be String, number, true, false, or null, at ${here}`,
    );
  if (!isPlainObject(cond)) throw new InvalidEventPatternError(`Unrecognized match type at ${here}`);
  const keys = Object.keys(cond);
  if (keys.length !== 1)
    throw new InvalidEventPatternError(`Only one key allowed in match expression, at ${here}`);
  const op = keys[0] as string;
  const v = cond[op];
  switch (op) {
    case 'prefix':
    case 'suffix':
      validateStringOrIgnoreCase(v, op, here);
      return;
    case 'equals-ignore-case':
      if (typeof v !== 'string')
        throw new InvalidEventPatternError(`"equals-ignore-case" match pattern must be a string, at ${here}`);
      return;
    case 'wildcard':
      validateWildcard(v, here);
      return;
    case 'exists':
      if (typeof v !== 'boolean')
        throw new InvalidEventPatternError(`exists match pattern must be either true or false, at ${here}`);
      return;
    case 'numeric':
      validateNumeric(v, here);
      return;
    case 'cidr':
      if (typeof v !== 'string' || !parseCidr(v))
        throw new InvalidEventPatternError(`Malformed CIDR, at ${here}`);
      return;
    case 'anything-but':
      validateAnythingBut(v, here);
      return;
    default:
      throw new InvalidEventPatternError(`Unrecognized match type ${op}, at ${here}`);
  }
}

function validateAnythingBut(v: unknown, here: string): void {
  if (typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v))) return;
  if (Array.isArray(v)) {
    if (v.length === 0) throw new InvalidEventPatternError(`Empty arrays are not allowed, at ${here}`);
    const allStrings = v.every((x) => typeof x === 'string');
    const allNumbers = v.every((x) => typeof x === 'number' && Number.isFinite(x));
    if (!allStrings && !allNumbers) {
      throw new InvalidEventPatternError(`Inside anything but list, mixed types are not allowed, at ${here}`);
    }
    return;
  }
  if (isPlainObject(v)) {
    const keys = Object.keys(v);
    if (keys.length !== 1)
      throw new InvalidEventPatternError(`Only one key allowed in anything-but, at ${here}`);
    const op = keys[0] as string;
    const inner = v[op];
    const stringOrList = (x: unknown) =>
      typeof x === 'string' || (Array.isArray(x) && x.length > 0 && x.every((s) => typeof s === 'string'));
    switch (op) {
      case 'prefix':
      case 'suffix':
        if (typeof inner !== 'string' || inner === '') {
          throw new InvalidEventPatternError(`anything-but ${op} must be a non-empty string, at ${here}`);
        }
        return;
      case 'equals-ignore-case':
        if (!stringOrList(inner))
          throw new InvalidEventPatternError(`anything-but equals-ignore-case needs strings, at ${here}`);
        return;
      case 'wildcard':
        if (!stringOrList(inner))
          throw new InvalidEventPatternError(`anything-but wildcard needs strings, at ${here}`);
        for (const w of Array.isArray(inner) ? inner : [inner]) validateWildcard(w, here);
        return;
      default:
        throw new InvalidEventPatternError(`Unsupported anything-but pattern: ${op}, at ${here}`);
    }
  }
  throw new InvalidEventPatternError(
    `Value of anything-but must be an array or single string/number value, at ${here}`,
  );
}

function validateNumeric(v: unknown, here: string): void {
  if (!Array.isArray(v) || v.length === 0 || v.length % 2 !== 0 || v.length > 4) {
    throw new InvalidEventPatternError(`Value of numeric must be an array of 1 or 2 comparisons, at ${here}`);
  }
  let lower = false;
  let upper = false;
  let lo = -Infinity;
  let hi = Infinity;
  for (let i = 0; i < v.length; i += 2) {
    const op = v[i];
    const n = v[i + 1];
    if (typeof op !== 'string' || !NUMERIC_OPS.has(op)) {
      throw new InvalidEventPatternError(`Unrecognized numeric range operator: ${String(op)}, at ${here}`);
    }
    if (typeof n !== 'number' || !Number.isFinite(n)) {
      throw new InvalidEventPatternError(`Value of ${op} must be a number, at ${here}`);
    }
    if (n < -NUMERIC_LIMIT || n > NUMERIC_LIMIT) {
      throw new InvalidEventPatternError(
        `Value of ${op} must be between -5.0E9 and 5.0E9 inclusive, at ${here}`,
      );
    }
    if (op === '=') {
      if (v.length !== 2)
        throw new InvalidEventPatternError(`"=" cannot be combined with other operators, at ${here}`);
      return;
    }
    if (op === '>' || op === '>=') {
      if (lower) throw new InvalidEventPatternError(`Bad numeric range: two lower bounds, at ${here}`);
      lower = true;
      lo = n;
    } else {
      if (upper) throw new InvalidEventPatternError(`Bad numeric range: two upper bounds, at ${here}`);
      upper = true;
      hi = n;
    }
  }
  if (lo >= hi)
    throw new InvalidEventPatternError(`Bad numeric range: bottom must be less than top, at ${here}`);
}

// ------------------------------------------------------------------------------------------------ matching

/** True when `event` (the full EventBridge envelope, `detail` parsed) matches `pattern`. */
export function matchesEventPattern(pattern: EventPattern, event: unknown): boolean {
  return matchObject(pattern, event);
}

function matchObject(pattern: Record<string, unknown>, value: unknown): boolean {
  // An event array of objects: the object pattern must match within a single element.
  if (Array.isArray(value)) return value.some((el) => matchObject(pattern, el));
  for (const [key, sub] of Object.entries(pattern)) {
    if (key === '$or') {
      if (!(sub as Array<Record<string, unknown>>).some((alt) => matchObject(alt, value))) return false;
      continue;
    }
    const field = isPlainObject(value) ? value[key] : undefined;
    const present = isPlainObject(value) && Object.hasOwn(value, key);
    if (Array.isArray(sub)) {
      if (!matchField(sub, present, field as Json | undefined)) return false;
    } else if (isPlainObject(sub)) {
      if (!matchNested(sub, field)) return false;
    }
  }
  return true;
}

function matchNested(pattern: Record<string, unknown>, value: unknown): boolean {
  if (isPlainObject(value) || Array.isArray(value)) return matchObject(pattern, value);
  // The nested fields do not exist (field missing, or a leaf): only `exists: false` conditions can match.
  return matchesAbsence(pattern);
}

function matchesAbsence(pattern: Record<string, unknown>): boolean {
  return Object.entries(pattern).every(([key, c]) => {
    if (key === '$or') return (c as Array<Record<string, unknown>>).some(matchesAbsence);
    if (Array.isArray(c)) return c.some((x) => isPlainObject(x) && x.exists === false);
    return isPlainObject(c) && matchesAbsence(c);
  });
}

/** Leaf-level match: any condition matches any (leaf) value of the field. */
function matchField(conditions: unknown[], present: boolean, value: Json | undefined): boolean {
  const leaves: Json[] = [];
  let hasLeaf = false;
  if (present) {
    const collect = (v: Json) => {
      if (Array.isArray(v)) for (const x of v) collect(x);
      else if (!isPlainObject(v)) {
        leaves.push(v);
        hasLeaf = true;
      }
    };
    collect(value as Json);
  }
  for (const cond of conditions) {
    if (isPlainObject(cond) && 'exists' in cond) {
      if (cond.exists === hasLeaf) return true;
      continue;
    }
    if (isPlainObject(cond) && 'anything-but' in cond) {
      if (hasLeaf && leaves.some((l) => anythingBut(cond['anything-but'], l))) return true;
      continue;
    }
    if (leaves.some((l) => matchCondition(cond, l))) return true;
  }
  return false;
}

function matchCondition(cond: unknown, v: Json): boolean {
  if (cond === null) return v === null;
  if (typeof cond === 'string') return typeof v === 'string' && v === cond;
  if (typeof cond === 'number') return typeof v === 'number' && v === cond;
  if (typeof cond === 'boolean') return v === cond;
  if (!isPlainObject(cond)) return false;
  const [op, arg] = Object.entries(cond)[0] as [string, unknown];
  if (op === 'numeric') return typeof v === 'number' && numericMatch(arg as unknown[], v);
  if (typeof v !== 'string') return false;
  switch (op) {
    case 'prefix':
      return typeof arg === 'string'
        ? v.startsWith(arg)
        : v
            .toLowerCase()
            .startsWith(String((arg as Record<string, unknown>)['equals-ignore-case']).toLowerCase());
    case 'suffix':
      return typeof arg === 'string'
        ? v.endsWith(arg)
        : v
            .toLowerCase()
            .endsWith(String((arg as Record<string, unknown>)['equals-ignore-case']).toLowerCase());
    case 'equals-ignore-case':
      return v.toLowerCase() === String(arg).toLowerCase();
    case 'wildcard':
      return wildcardMatch(String(arg), v);
    case 'cidr':
      return cidrMatch(String(arg), v);
    default:
      return false;
  }
}

function anythingBut(arg: unknown, v: Json): boolean {
  if (typeof arg === 'string') return !(typeof v === 'string' && v === arg);
  if (typeof arg === 'number') return !(typeof v === 'number' && v === arg);
  if (Array.isArray(arg)) return !arg.some((a) => a === v);
  const [op, inner] = Object.entries(arg as Record<string, unknown>)[0] as [string, unknown];
  if (typeof v !== 'string') return true; // string-only exclusions never exclude a non-string value
  const list = (Array.isArray(inner) ? inner : [inner]) as string[];
  switch (op) {
    case 'prefix':
      return !v.startsWith(String(inner));
    case 'suffix':
      return !v.endsWith(String(inner));
    case 'equals-ignore-case':
      return !list.some((s) => s.toLowerCase() === v.toLowerCase());
    case 'wildcard':
      return !list.some((w) => wildcardMatch(w, v));
    default:
      return false;
  }
}

function numericMatch(spec: unknown[], n: number): boolean {
  for (let i = 0; i < spec.length; i += 2) {
    const op = spec[i] as string;
    const x = spec[i + 1] as number;
    const ok =
      op === '<'
        ? n < x
        : op === '<='
          ? n <= x
          : op === '='
            ? n === x
            : op === '>'
              ? n > x
              : op === '>='
                ? n >= x
                : false;
    if (!ok) return false;
  }
  return true;
}

function wildcardMatch(pattern: string, value: string): boolean {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '\\' && (pattern[i + 1] === '*' || pattern[i + 1] === '\\')) {
      re += `\\${pattern[i + 1]}`;
      i++;
    } else if (c === '*') {
      re += '.*';
    } else {
      re += c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
    }
  }
  return new RegExp(`${re}$`, 's').test(value);
}

function parseIpv4(s: string): number | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    n = n * 256 + Number(p);
  }
  return n;
}

function parseCidr(s: string): { base: number; bits: number } | undefined {
  const [ip, bitsRaw] = s.split('/');
  const base = parseIpv4(ip ?? '');
  const bits = bitsRaw === undefined ? 32 : Number(bitsRaw);
  if (base === undefined || !Number.isInteger(bits) || bits < 0 || bits > 32) return undefined;
  return { base, bits };
}

function cidrMatch(cidr: string, value: string): boolean {
  const c = parseCidr(cidr);
  const ip = parseIpv4(value);
  if (!c || ip === undefined) return false;
  const size = 2 ** (32 - c.bits);
  const start = Math.floor(c.base / size) * size;
  return ip >= start && ip < start + size;
}
