/**
 * External identifiers (ir.model.data) and `load`, Odoo's import entry point that upserts by
 * external id (odoo/models.py `load`, `_load_records`; base/models/ir_model.py IrModelData).
 */
import { OdooError, validationError } from '../errors.js';
import type { Env, MethodDef, ModelDef, Registry, Vals } from '../orm.js';
import { baseCreate, IMPORT_XMLID } from '../orm.js';
import type { Store } from '../store.js';

const irModelData: ModelDef = {
  name: 'ir.model.data',
  description: 'Model Data',
  order: 'module, model, name',
  fields: {
    name: { type: 'char', string: 'External Identifier', required: true },
    module: { type: 'char', string: 'Module', required: true, default: () => '' },
    model: { type: 'char', string: 'Model Name', required: true },
    res_id: { type: 'integer', string: 'Record ID' },
    noupdate: { type: 'boolean', string: 'Non Updatable', default: () => false },
    complete_name: {
      type: 'char',
      string: 'Complete ID',
      compute: (_env, row) => `${row.module as string}.${row.name as string}`,
    },
  },
  displayName: (_env, row) => `${row.module as string}.${row.name as string}`,
  create(env, vals) {
    const module = String(vals.module ?? '');
    const name = String(vals.name ?? '');
    if (findXmlid(env, module, name)) {
      // The unique index ir_model_data_module_name_uniq_index is not an _sql_constraint, so the
      // IntegrityError is turned into "The operation cannot be completed: <psycopg2 message>".
      throw validationError(
        'The operation cannot be completed: duplicate key value violates unique constraint "ir_model_data_module_name_uniq_index"\n' +
          `DETAIL:  Key (module, name)=(${module}, ${name}) already exists.\n`,
      );
    }
    return baseCreate(env, 'ir.model.data', vals);
  },
  methods: {
    check_object_reference: {
      params: ['module', 'xml_id', 'raise_on_access_error'],
      model: true,
      run(env, _ids, kw) {
        const row = findXmlid(env, String(kw.module), String(kw.xml_id));
        if (!row || !env.store.get(row.model as string, row.res_id as number)) {
          throw new OdooError(
            'builtins.ValueError',
            `External ID not found in the system: ${String(kw.module)}.${String(kw.xml_id)}`,
          );
        }
        return [row.model, row.res_id];
      },
    },
  },
};

const NUMERIC = new Set(['float', 'integer', 'monetary']);

/** ir.model.data's unique (module, name), and (model, res_id) for `get_external_id`. */
const XMLID_INDEX = 'module.name';
const XMLID_OF_RECORD_INDEX = 'model,res_id';

export function defineXmlidIndexes(store: Store): void {
  store.defineIndex('ir.model.data', XMLID_INDEX, (row) => `${String(row.module)}.${String(row.name)}`);
  store.defineIndex(
    'ir.model.data',
    XMLID_OF_RECORD_INDEX,
    (row) => `${String(row.model)},${String(row.res_id)}`,
  );
}

function findXmlid(env: Env, module: string, name: string) {
  // The key joins module and name with a dot, which a name may hold too: the row must match both.
  return env.store
    .lookup('ir.model.data', XMLID_INDEX, `${module}.${name}`)
    .find((row) => row.module === module && row.name === name);
}

function splitXmlid(xmlid: string): [string, string] {
  const dot = xmlid.indexOf('.');
  // odoo/models.py `_load_records`: an id without module goes to "__import__"
  return dot < 0 ? ['__import__', xmlid] : [xmlid.slice(0, dot), xmlid.slice(dot + 1)];
}

function resolveXmlid(env: Env, xmlid: string, model?: string): number {
  const [module, name] = splitXmlid(xmlid);
  const row = findXmlid(env, module, name);
  if (!row || (model && row.model !== model) || !env.store.get(row.model as string, row.res_id as number)) {
    throw new Error(`No matching record found for external id '${xmlid}' in field`);
  }
  return row.res_id as number;
}

/**
 * `load(fields, data)`: columns are field names, `id` (external id), `field/id` (external id of a
 * related record), `field/.id` (database id); `one2many/subfield` columns fill child records, with
 * continuation rows (empty `id`) adding further children. Errors are returned, not raised, and
 * nothing of the batch is kept (`{ids: false, messages: [...]}`), as Odoo does.
 */
export const loadMethod: MethodDef = {
  params: ['fields', 'data'],
  model: true,
  run(env, _ids, kw) {
    const model = String(kw.__model);
    const fields = (kw.fields as string[]) ?? [];
    const data = (kw.data as unknown[][]) ?? [];
    const def = env.model(model);
    const ids: number[] = [];
    const records: {
      xmlid: string | undefined;
      vals: Vals;
      children: Record<string, Vals[]>;
      row: number;
    }[] = [];
    try {
      data.forEach((cells, rowIndex) => {
        const vals: Vals = {};
        const child: Record<string, Vals> = {};
        let xmlid: string | undefined;
        fields.forEach((column, index) => {
          const cell = cells[index];
          if (column === 'id') {
            xmlid = cell ? String(cell) : undefined;
            return;
          }
          if (column === '.id') {
            if (cell) vals.__dbid = Number(cell);
            return;
          }
          const [field, sub, subsub] = column.split('/') as [string, string | undefined, string | undefined];
          const fieldDef = def.fields[field];
          if (!fieldDef) throw new Error(`Unknown field '${field}' on ${model}`);
          if (fieldDef.type === 'one2many' && sub) {
            const childVals = child[field] ?? {};
            child[field] = childVals;
            if (cell === '' || cell === undefined || cell === null) return;
            const comodel = env.model(fieldDef.relation as string);
            const subDef = comodel.fields[sub];
            if (subsub === 'id' && subDef?.type === 'many2one')
              childVals[sub] = resolveXmlid(env, String(cell), subDef.relation);
            else if (subsub === '.id') childVals[sub] = Number(cell);
            else childVals[sub] = cell;
            return;
          }
          if (cell === '' || cell === undefined || cell === null) {
            vals[field] = false;
            return;
          }
          if (sub === 'id' && fieldDef.type === 'many2one')
            vals[field] = resolveXmlid(env, String(cell), fieldDef.relation);
          else if (sub === '.id') vals[field] = Number(cell);
          else if (fieldDef.type === 'many2one' && typeof cell === 'string') {
            const found = env.search(
              fieldDef.relation as string,
              [[env.model(fieldDef.relation as string).recName ?? 'name', '=', cell]],
              {
                limit: 1,
              },
            );
            if (!found[0])
              throw new Error(`No matching record found for name '${cell}' in field '${fieldDef.string}'`);
            vals[field] = found[0];
          } else if (fieldDef.type === 'boolean' && typeof cell === 'string') {
            vals[field] = ['1', 'true', 'yes'].includes(cell.toLowerCase());
          } else if (NUMERIC.has(fieldDef.type) && typeof cell === 'string') {
            // base/models/ir_fields.py `_str_to_float` / `_str_to_integer`: import cells are text.
            const number = Number(cell);
            if (!Number.isFinite(number))
              throw new Error(`'${cell}' does not seem to be a number for field '${fieldDef.string}'`);
            vals[field] = number;
          } else vals[field] = cell;
        });
        const isContinuation =
          xmlid === undefined && Object.values(vals).every((v) => v === false) && records.length > 0;
        if (isContinuation) {
          const previous = records[records.length - 1] as (typeof records)[number];
          for (const [field, childVals] of Object.entries(child)) {
            if (!Object.keys(childVals).length) continue;
            const siblings = previous.children[field] ?? [];
            siblings.push(childVals);
            previous.children[field] = siblings;
          }
          return;
        }
        const children: Record<string, Vals[]> = {};
        for (const [field, childVals] of Object.entries(child))
          if (Object.keys(childVals).length) children[field] = [childVals];
        records.push({ xmlid, vals, children, row: rowIndex });
      });
      for (const record of records) {
        const vals: Vals = { ...record.vals };
        const dbid = vals.__dbid as number | undefined;
        delete vals.__dbid;
        // Odoo 17 appends the imported lines, even to an existing (posted) record: no clear command first. A
        // child row with an external id that exists links and updates that record instead; a new one gets
        // its external id from create (ir_fields.py `_str_to_one2many`, models.py `create` during an import).
        for (const [field, children] of Object.entries(record.children)) {
          const comodel = def.fields[field]?.relation as string;
          vals[field] = children.flatMap((c) => {
            const { id: childXmlid, ...childVals } = c;
            if (typeof childXmlid !== 'string') return [[0, 0, c]];
            const [module, name] = splitXmlid(childXmlid);
            const found = findXmlid(env, module, name);
            const childId = found?.model === comodel ? (found.res_id as number) : undefined;
            if (childId !== undefined && env.store.get(comodel, childId))
              return [
                [4, childId, false],
                [1, childId, childVals],
              ];
            if (found) env.store.delete('ir.model.data', found.id); // dangling external id: recreate
            return [[0, 0, { ...childVals, [IMPORT_XMLID]: childXmlid }]];
          });
        }
        let existing: number | undefined = dbid;
        if (record.xmlid) {
          const [module, name] = splitXmlid(record.xmlid);
          const data = findXmlid(env, module, name);
          if (data && env.store.get(model, data.res_id as number)) existing = data.res_id as number;
          else if (data) env.store.delete('ir.model.data', data.id); // dangling external id: recreate
        }
        if (existing !== undefined) {
          env.write(model, [existing], vals);
          ids.push(existing);
        } else {
          for (const [field, value] of Object.entries(vals)) {
            if (value === false && Array.isArray(value) === false && def.fields[field]?.type !== 'boolean')
              delete vals[field];
          }
          const id = env.create(model, vals);
          ids.push(id);
          if (record.xmlid) {
            const [module, name] = splitXmlid(record.xmlid);
            env.create('ir.model.data', { module, name, model, res_id: id });
          }
        }
      }
      return { ids, messages: [] };
    } catch (error) {
      // load() reports problems as messages and rolls the batch back (a savepoint in Odoo)
      throw new LoadFailure({
        ids: false,
        messages: [
          {
            type: 'error',
            message: error instanceof Error ? error.message : String(error),
            record: records.length ? records.length - 1 : 0,
            rows: { from: 0, to: Math.max(0, data.length - 1) },
          },
        ],
      });
    }
  },
};

/**
 * `get_external_id()` (odoo/models.py): `{id: 'module.name' or ''}` per record, read from ir.model.data as
 * superuser, so callers without rights on ir.model.data may use it.
 */
export const getExternalIdMethod: MethodDef = {
  params: [],
  run(env, ids, kw) {
    const model = String(kw.__model);
    const out: Record<string, string> = {};
    for (const id of ids) {
      const row = env.store.lookup('ir.model.data', XMLID_OF_RECORD_INDEX, `${model},${id}`)[0];
      out[String(id)] = row ? `${row.module as string}.${row.name as string}` : '';
    }
    return out;
  },
};

/** Carries load()'s error answer through the transaction so the batch is rolled back but the call "succeeds". */
export class LoadFailure extends Error {
  constructor(readonly answer: unknown) {
    super('load failed');
  }
}

export function registerIrModelData(registry: Registry): void {
  registry.register(irModelData);
}
