/**
 * A small ORM with Odoo's external semantics: field types and how `read` renders them, x2many
 * commands, defaults, required fields, search with domains/order/limit/offset, `active_test`.
 * Models (models/*.ts) declare fields and override create/write/unlink or add methods.
 */
import { type Domain, domainFields, type FieldAccessor, matchesDomain, parseDomain } from './domain.js';
import { recordMissing, typeError, validationError, valueError } from './errors.js';
import { candidateIds } from './search-index.js';
import type { Row, Store } from './store.js';

export type FieldType =
  | 'char'
  | 'text'
  | 'html'
  | 'integer'
  | 'float'
  | 'monetary'
  | 'boolean'
  | 'date'
  | 'datetime'
  | 'selection'
  | 'many2one'
  | 'one2many'
  | 'many2many'
  | 'json';

export type Vals = Record<string, unknown>;

export interface FieldDef {
  type: FieldType;
  string: string;
  required?: boolean;
  readonly?: boolean;
  relation?: string;
  /** one2many: the many2one on the comodel pointing back */
  inverse?: string;
  selection?: ReadonlyArray<readonly [string, string]>;
  default?: (env: Env, vals: Vals) => unknown;
  /** not stored: computed each time it is read or searched */
  compute?: (env: Env, row: Row) => unknown;
}

export interface MethodDef {
  /** parameter names after `self` (and after the ids for record methods), as in the Python signature */
  params: string[];
  /** @api.model: no ids */
  model?: boolean;
  run: (env: Env, ids: number[], kwargs: Record<string, unknown>) => unknown;
}

export interface ModelDef {
  name: string;
  description: string;
  order: string;
  fields: Record<string, FieldDef>;
  /** field searched by name_search and shown as display_name unless displayName is given */
  recName?: string;
  displayName?: (env: Env, row: Row) => string;
  create?: (env: Env, vals: Vals) => number;
  write?: (env: Env, ids: number[], vals: Vals) => void;
  unlink?: (env: Env, ids: number[]) => void;
  methods?: Record<string, MethodDef>;
}

export interface SearchOptions {
  offset?: number;
  limit?: number | false | null;
  order?: string | false | null;
}

/**
 * The key under which `load` hands a new child record its external id through the one2many command engine
 * (registered once the child is created), as Odoo's `create` takes an `id` key during an import.
 */
export const IMPORT_XMLID = '__import_xmlid';

export class Env {
  constructor(
    readonly store: Store,
    readonly registry: Registry,
    readonly uid: number,
    readonly context: Record<string, unknown> = {},
  ) {}

  withContext(context: Record<string, unknown>): Env {
    return new Env(this.store, this.registry, this.uid, { ...this.context, ...context });
  }

  model(name: string): ModelDef {
    const model = this.registry.models.get(name);
    if (!model) throw new Error(`unknown model ${name}`);
    return model;
  }

  row(model: string, id: number): Row {
    const row = this.store.get(model, id);
    if (!row) throw recordMissing(model, [id], this.uid);
    return row;
  }

  /** Raises MissingError unless every id exists (Odoo: any write/method on a deleted record). */
  ensure(model: string, ids: number[]): Row[] {
    const missing = ids.filter((id) => !this.store.get(model, id));
    if (missing.length) throw recordMissing(model, missing, this.uid);
    return ids.map((id) => this.store.get(model, id) as Row);
  }

  today(): string {
    return (this.context.sandbox_today as string | undefined) ?? new Date().toISOString().slice(0, 10);
  }

  // ---- generic operations (overridable per model) ----

  create(model: string, vals: Vals): number {
    const def = this.model(model);
    return def.create ? def.create(this, vals) : baseCreate(this, model, vals);
  }

  write(model: string, ids: number[], vals: Vals): void {
    const def = this.model(model);
    if (def.write) def.write(this, ids, vals);
    else baseWrite(this, model, ids, vals);
  }

  unlink(model: string, ids: number[]): void {
    const def = this.model(model);
    if (def.unlink) def.unlink(this, ids);
    else baseUnlink(this, model, ids);
  }

  /** Value as stored or computed: many2one → id|false, x2many → ids. */
  value(model: string, row: Row, field: string): unknown {
    if (field === 'id') return row.id;
    if (field === 'display_name') return displayName(this, model, row);
    const def = this.model(model).fields[field];
    if (!def) throw valueError(`Invalid field '${field}' on model '${model}'`);
    if (def.compute) return def.compute(this, row);
    if (def.type === 'one2many') {
      const inverse = def.inverse as string;
      const comodel = def.relation as string;
      return this.search(comodel, [[inverse, '=', row.id]], { order: 'id' }, false);
    }
    const stored = row[field];
    if (stored === undefined || stored === null) {
      if (def.type === 'many2many') return [];
      if (def.type === 'integer' || def.type === 'float' || def.type === 'monetary') return 0;
      return false;
    }
    return stored;
  }

  accessor(model: string, row: Row): FieldAccessor {
    return (path: string) => {
      const [head, ...rest] = path.split('.');
      const field = head as string;
      const def = field === 'id' || field === 'display_name' ? undefined : this.model(model).fields[field];
      if (field !== 'id' && field !== 'display_name' && !def) {
        throw valueError(`Invalid field ${model}.${field} in leaf ${JSON.stringify(path)}`);
      }
      const value = this.value(model, row, field);
      if (def && (def.type === 'many2one' || def.type === 'one2many' || def.type === 'many2many')) {
        const comodel = def.relation as string;
        const ids = def.type === 'many2one' ? (value ? [value as number] : []) : (value as number[]);
        if (rest.length > 0) {
          // dotted path through relations: any related record matching
          const sub = rest.join('.');
          const values = ids.map((id) => this.accessor(comodel, this.row(comodel, id))(sub));
          if (values.length === 1) return values[0] as ReturnType<FieldAccessor>;
          return {
            kind: 'x2many' as const,
            value: values.flatMap((v) =>
              Array.isArray(v.value) ? v.value : v.value === false ? [] : [v.value],
            ),
          };
        }
        return {
          kind: def.type === 'many2one' ? ('many2one' as const) : ('x2many' as const),
          value,
          names: () => ids.map((id) => displayName(this, comodel, this.row(comodel, id))),
        };
      }
      return { kind: 'scalar' as const, value };
    };
  }

  search(model: string, domain: Domain | unknown, options: SearchOptions = {}, activeTest = true): number[] {
    const def = this.model(model);
    const tree = parseDomain(domain);
    const filterActive =
      activeTest &&
      'active' in def.fields &&
      this.context.active_test !== false &&
      !domainFields(tree).has('active');
    const candidates = candidateIds(this.store, model, def.fields, tree);
    const source = candidates
      ? [...candidates].map((id) => this.store.get(model, id)).filter((row): row is Row => row !== undefined)
      : this.store.all(model);
    let rows = source.filter(
      (row) => (!filterActive || row.active !== false) && matchesDomain(tree, this.accessor(model, row)),
    );
    rows = sortRows(this, model, rows, options.order || def.order);
    const offset = options.offset ?? 0;
    const end = options.limit ? offset + options.limit : undefined;
    return rows.slice(offset, end).map((row) => row.id);
  }

  /** `read` as the RPC layer renders it. */
  read(model: string, ids: number[], fields?: string[] | null): Record<string, unknown>[] {
    const def = this.model(model);
    const names = fields && fields.length > 0 ? fields : Object.keys(def.fields).concat('display_name');
    for (const name of names) {
      if (name !== 'id' && name !== 'display_name' && !def.fields[name]) {
        throw valueError(`Invalid field '${name}' on model '${model}'`);
      }
    }
    const result: Record<string, unknown>[] = [];
    for (const id of ids) {
      const row = this.store.get(model, id);
      if (!row) continue; // Odoo 17: read() of a deleted id silently drops it
      const record: Record<string, unknown> = { id };
      for (const name of names) {
        if (name === 'id') continue;
        const value = this.value(model, row, name);
        const fieldDef = def.fields[name];
        if (fieldDef?.type === 'many2one') {
          const comodel = fieldDef.relation as string;
          const related = value ? this.store.get(comodel, value as number) : undefined;
          record[name] = related ? [related.id, displayName(this, comodel, related)] : false;
        } else {
          record[name] = value;
        }
      }
      result.push(record);
    }
    return result;
  }
}

export interface SandboxBehaviour {
  /**
   * What action_post does with an accounting date on or before the lock date. 'shift' is Odoo 17
   * (account_move.py `_post`: "When the accounting date is prior to a lock date, change it
   * automatically upon posting"); 'raise' is a sandbox-only knob that raises the lock-date UserError.
   */
  lockDateOnPost: 'shift' | 'raise';
}

export class Registry {
  readonly models = new Map<string, ModelDef>();
  readonly behaviour: SandboxBehaviour = { lockDateOnPost: 'shift' };
  register(def: ModelDef): void {
    this.models.set(def.name, def);
  }
}

export function displayName(env: Env, model: string, row: Row): string {
  const def = env.model(model);
  if (def.displayName) return def.displayName(env, row);
  const value = row[def.recName ?? 'name'];
  return typeof value === 'string' && value ? value : `${model},${row.id}`;
}

function sortRows(env: Env, model: string, rows: Row[], order: string): Row[] {
  const keys = order
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const [field, direction] = part.split(/\s+/);
      if (!field || !/^[a-z_][a-z0-9_]*$/i.test(field))
        throw valueError(`Invalid "order" specified (${order}).`);
      if (field !== 'id' && !env.model(model).fields[field])
        throw valueError(`Invalid "order" specified (${order}).`);
      return { field, descending: (direction ?? 'asc').toLowerCase() === 'desc' };
    });
  const decorated = rows.map((row) => ({ row, keys: keys.map((k) => env.value(model, row, k.field)) }));
  decorated.sort((a, b) => {
    for (let i = 0; i < keys.length; i++) {
      const { descending } = keys[i] as { descending: boolean };
      const c = compareSql(a.keys[i], b.keys[i], descending);
      if (c !== 0) return c;
    }
    return a.row.id - b.row.id;
  });
  return decorated.map((d) => d.row);
}

/** PostgreSQL: NULLS LAST for ASC, NULLS FIRST for DESC. */
function compareSql(a: unknown, b: unknown, descending: boolean): number {
  const aNull = a === false || a === null || a === undefined;
  const bNull = b === false || b === null || b === undefined;
  if (aNull || bNull) {
    if (aNull && bNull) return 0;
    return aNull ? (descending ? -1 : 1) : descending ? 1 : -1;
  }
  const x = Array.isArray(a) ? a.length : (a as number | string);
  const y = Array.isArray(b) ? b.length : (b as number | string);
  const c = x < y ? -1 : x > y ? 1 : 0;
  return descending ? -c : c;
}

// ---- base create / write / unlink ----

const MANDATORY_MESSAGE = (def: ModelDef, field: string, string: string) =>
  // odoo/service/model.py `_as_validation_error` for a NOT NULL violation
  'The operation cannot be completed:\n' +
  '- Create/update: a mandatory field is not set.\n' +
  '- Delete: another model requires the record being deleted. If possible, archive it instead.\n\n' +
  `Model: ${def.description} (${def.name})\nField: ${string} (${field})\n`;

export function baseCreate(env: Env, model: string, vals: Vals): number {
  const def = env.model(model);
  if (typeof vals !== 'object' || vals === null || Array.isArray(vals)) {
    throw typeError(`create() expects a dict of values, got ${JSON.stringify(vals)}`);
  }
  const row: Vals = {};
  const x2many: [string, unknown][] = [];
  for (const [field, value] of Object.entries(vals)) {
    const fieldDef = def.fields[field];
    if (!fieldDef) throw valueError(`Invalid field '${field}' on model '${model}'`);
    if (fieldDef.compute) continue; // computed without inverse: Odoo ignores the value
    if (fieldDef.type === 'one2many' || fieldDef.type === 'many2many') {
      x2many.push([field, value]);
      continue;
    }
    row[field] = convertScalar(env, model, field, fieldDef, value);
  }
  for (const [field, fieldDef] of Object.entries(def.fields)) {
    if (!(field in row) && fieldDef.default && !fieldDef.compute) row[field] = fieldDef.default(env, vals);
  }
  checkRequired(def, row, Object.keys(def.fields));
  const inserted = env.store.insert(model, row);
  for (const [field, commands] of x2many) applyX2many(env, model, inserted.id, field, commands);
  return inserted.id;
}

export function baseWrite(env: Env, model: string, ids: number[], vals: Vals): void {
  const def = env.model(model);
  env.ensure(model, ids);
  const patch: Vals = {};
  const x2many: [string, unknown][] = [];
  for (const [field, value] of Object.entries(vals)) {
    const fieldDef = def.fields[field];
    if (!fieldDef) throw valueError(`Invalid field '${field}' on model '${model}'`);
    if (fieldDef.compute) continue;
    if (fieldDef.type === 'one2many' || fieldDef.type === 'many2many') x2many.push([field, value]);
    else patch[field] = convertScalar(env, model, field, fieldDef, value);
  }
  checkRequired(def, patch, Object.keys(patch));
  for (const id of ids) {
    if (Object.keys(patch).length) env.store.update(model, id, patch);
    for (const [field, commands] of x2many) applyX2many(env, model, id, field, commands);
  }
}

export function baseUnlink(env: Env, model: string, ids: number[]): void {
  env.ensure(model, ids);
  const def = env.model(model);
  for (const id of ids) {
    // cascade one2many children (ondelete='cascade' is what Odoo uses for lines)
    for (const fieldDef of Object.values(def.fields)) {
      if (fieldDef.type === 'one2many' && !fieldDef.compute) {
        const children = env.search(fieldDef.relation as string, [[fieldDef.inverse, '=', id]], {}, false);
        if (children.length) env.unlink(fieldDef.relation as string, children);
      }
    }
    env.store.delete(model, id);
  }
}

function checkRequired(def: ModelDef, row: Vals, fields: string[]): void {
  for (const field of fields) {
    const fieldDef = def.fields[field];
    if (!fieldDef?.required || fieldDef.compute) continue;
    const value = row[field];
    if (value === undefined || value === null || value === false) {
      throw validationError(MANDATORY_MESSAGE(def, field, fieldDef.string));
    }
  }
}

function convertScalar(env: Env, model: string, field: string, def: FieldDef, value: unknown): unknown {
  if (value === null || value === undefined) return false;
  switch (def.type) {
    case 'many2one': {
      if (value === false || value === 0) return false;
      const id = Array.isArray(value) ? Number(value[0]) : Number(value);
      if (!Number.isInteger(id))
        throw valueError(`Wrong value for ${model}.${field}: ${JSON.stringify(value)}`);
      // A dangling id: Odoo reports it when it first reads the related record.
      if (!env.store.get(def.relation as string, id))
        throw recordMissing(def.relation as string, [id], env.uid);
      return id;
    }
    case 'integer':
      if (value === false) return 0;
      if (typeof value !== 'number' && !/^-?\d+$/.test(String(value))) {
        throw valueError(`invalid input syntax for type integer: "${String(value)}"`);
      }
      return Math.trunc(Number(value));
    case 'float':
    case 'monetary': {
      if (value === false) return 0;
      const number = Number(value);
      if (!Number.isFinite(number)) throw valueError(`could not convert string to float: '${String(value)}'`);
      return number;
    }
    case 'boolean':
      return Boolean(value);
    case 'date':
      if (value === false || value === '') return false;
      if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}/.test(value)) {
        throw valueError(`time data '${String(value)}' does not match format '%Y-%m-%d'`);
      }
      return value.slice(0, 10);
    case 'selection':
      if (value === false || value === '') return false;
      if (def.selection && !def.selection.some(([key]) => key === value)) {
        throw valueError(`Wrong value for ${model}.${field}: '${String(value)}'`);
      }
      return value;
    case 'char':
    case 'text':
    case 'html':
      return value === false ? false : String(value);
    default:
      return value;
  }
}

/**
 * x2many commands (odoo/fields.py Command): 0 CREATE, 1 UPDATE, 2 DELETE, 3 UNLINK, 4 LINK,
 * 5 CLEAR, 6 SET. For one2many, unlinking a child deletes it (our lines are ondelete='cascade').
 */
export function applyX2many(env: Env, model: string, id: number, field: string, commands: unknown): void {
  const fieldDef = env.model(model).fields[field] as FieldDef;
  const comodel = fieldDef.relation as string;
  if (!Array.isArray(commands))
    throw valueError(`Wrong value for ${model}.${field}: ${JSON.stringify(commands)}`);
  const isO2m = fieldDef.type === 'one2many';
  const inverse = fieldDef.inverse as string;
  const current = (): number[] =>
    isO2m
      ? env.search(comodel, [[inverse, '=', id]], { order: 'id' }, false)
      : [...((env.row(model, id)[field] as number[]) ?? [])];
  const setM2m = (ids: number[]) => env.store.update(model, id, { [field]: [...new Set(ids)] });
  for (const command of commands) {
    if (typeof command === 'number') {
      // bare id list is accepted for many2many by Odoo's convert_to_cache
      if (isO2m) env.write(comodel, [command], { [inverse]: id });
      else setM2m([...current(), command]);
      continue;
    }
    if (!Array.isArray(command))
      throw valueError(`Invalid command ${JSON.stringify(command)} for ${model}.${field}`);
    const [code, target, payload] = command as [number, number, unknown];
    switch (code) {
      case 0: {
        const { [IMPORT_XMLID]: xmlid, ...vals } = payload as Vals;
        const child = isO2m ? env.create(comodel, { ...vals, [inverse]: id }) : env.create(comodel, vals);
        if (!isO2m) setM2m([...current(), child]);
        if (typeof xmlid === 'string') {
          const dot = xmlid.indexOf('.');
          env.create('ir.model.data', {
            module: dot < 0 ? '__import__' : xmlid.slice(0, dot),
            name: xmlid.slice(dot + 1),
            model: comodel,
            res_id: child,
          });
        }
        break;
      }
      case 1:
        env.write(comodel, [target], payload as Vals);
        break;
      case 2:
        env.unlink(comodel, [target]);
        if (!isO2m) setM2m(current().filter((x) => x !== target));
        break;
      case 3:
        if (isO2m) env.unlink(comodel, [target]);
        else setM2m(current().filter((x) => x !== target));
        break;
      case 4:
        env.ensure(comodel, [target]);
        if (isO2m) env.write(comodel, [target], { [inverse]: id });
        else setM2m([...current(), target]);
        break;
      case 5:
        if (isO2m) {
          const children = current();
          if (children.length) env.unlink(comodel, children);
        } else setM2m([]);
        break;
      case 6: {
        const wanted = ((payload as number[]) ?? []).map(Number);
        env.ensure(comodel, wanted);
        if (isO2m) {
          const drop = current().filter((x) => !wanted.includes(x));
          if (drop.length) env.unlink(comodel, drop);
          for (const child of wanted) env.write(comodel, [child], { [inverse]: id });
        } else setM2m(wanted);
        break;
      }
      default:
        throw valueError(`Invalid command ${JSON.stringify(command)} for ${model}.${field}`);
    }
  }
}
