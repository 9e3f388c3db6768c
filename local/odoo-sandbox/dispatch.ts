/**
 * `execute_kw` semantics shared by JSON-RPC and JSON-2: method lookup (public ORM methods plus the
 * model's own), positional → named argument mapping, return values as Odoo serialises them.
 * odoo/service/model.py (`execute_kw`, `check_method_name`) and odoo/api.py (`call_kw`).
 */
import { accessError, attributeError, OdooError, typeError, userError } from './errors.js';
import { getExternalIdMethod, loadMethod } from './models/ir_model_data.js';
import { Env, type MethodDef, type Registry, type Vals } from './orm.js';
import type { Store } from './store.js';

const idsOf = (value: unknown): number[] => {
  if (value === undefined || value === null || value === false) return [];
  if (Array.isArray(value)) return value.map(Number);
  return [Number(value)];
};

const limitOf = (value: unknown): number | undefined =>
  value === undefined || value === null || value === false ? undefined : Number(value);

const fieldsOf = (value: unknown): string[] | undefined =>
  Array.isArray(value) ? (value as string[]) : undefined;

/** Public methods every model has (odoo/models.py BaseModel). */
const ORM_METHODS: Record<string, MethodDef> = {
  search: {
    params: ['domain', 'offset', 'limit', 'order'],
    model: true,
    run: (env, _ids, kw) =>
      env.search(String(kw.__model), kw.domain ?? kw.args ?? [], {
        offset: Number(kw.offset ?? 0),
        limit: limitOf(kw.limit),
        order: (kw.order as string) || undefined,
      }),
  },
  search_read: {
    params: ['domain', 'fields', 'offset', 'limit', 'order'],
    model: true,
    run(env, _ids, kw) {
      const model = String(kw.__model);
      const ids = env.search(model, kw.domain ?? [], {
        offset: Number(kw.offset ?? 0),
        limit: limitOf(kw.limit),
        order: (kw.order as string) || undefined,
      });
      return env.read(model, ids, fieldsOf(kw.fields));
    },
  },
  search_count: {
    params: ['domain', 'limit'],
    model: true,
    run: (env, _ids, kw) =>
      env.search(String(kw.__model), kw.domain ?? kw.args ?? [], { limit: limitOf(kw.limit) }).length,
  },
  read: {
    params: ['fields', 'load'],
    run: (env, ids, kw) => env.read(String(kw.__model), ids, fieldsOf(kw.fields)),
  },
  create: {
    params: ['vals_list'],
    model: true,
    run(env, _ids, kw) {
      const model = String(kw.__model);
      const valsList = kw.vals_list;
      // odoo/api.py `_call_kw_model_create`: a dict gives an id, a list gives a list of ids
      if (Array.isArray(valsList)) return valsList.map((vals) => env.create(model, vals as Vals));
      if (valsList && typeof valsList === 'object') return env.create(model, valsList as Vals);
      throw typeError("create() missing 1 required positional argument: 'vals_list'");
    },
  },
  write: {
    params: ['vals'],
    run(env, ids, kw) {
      env.write(String(kw.__model), ids, (kw.vals as Vals) ?? {});
      return true;
    },
  },
  unlink: {
    params: [],
    run(env, ids, kw) {
      env.unlink(String(kw.__model), ids);
      return true;
    },
  },
  exists: {
    params: [],
    run: (env, ids, kw) => ids.filter((id) => env.store.get(String(kw.__model), id)),
  },
  fields_get: {
    params: ['allfields', 'attributes'],
    model: true,
    run(env, _ids, kw) {
      const def = env.model(String(kw.__model));
      const wanted = fieldsOf(kw.allfields);
      const attributes = fieldsOf(kw.attributes);
      const out: Record<string, Record<string, unknown>> = {};
      const all: [string, Record<string, unknown>][] = [
        ['id', { type: 'integer', string: 'ID', required: false, readonly: true }],
        ['display_name', { type: 'char', string: 'Display Name', required: false, readonly: true }],
        ...Object.entries(def.fields).map(([name, field]): [string, Record<string, unknown>] => {
          const description: Record<string, unknown> = {
            type: field.type === 'json' ? 'json' : field.type,
            string: field.string,
            required: Boolean(field.required),
            readonly: Boolean(field.readonly || field.compute),
            store: !field.compute,
          };
          if (field.relation) description.relation = field.relation;
          if (field.inverse) description.relation_field = field.inverse;
          if (field.selection) description.selection = field.selection.map(([key, label]) => [key, label]);
          return [name, description];
        }),
      ];
      for (const [name, description] of all) {
        if (wanted && !wanted.includes(name)) continue;
        out[name] = attributes
          ? Object.fromEntries(Object.entries(description).filter(([key]) => attributes.includes(key)))
          : description;
      }
      return out;
    },
  },
  name_search: {
    // 17.0 signature: name_search(name='', args=None, operator='ilike', limit=100)
    params: ['name', 'args', 'operator', 'limit'],
    model: true,
    run(env, _ids, kw) {
      const model = String(kw.__model);
      const def = env.model(model);
      const domain = [...((kw.args ?? kw.domain ?? []) as unknown[])];
      const name = String(kw.name ?? '');
      if (name)
        domain.push([
          def.recName ?? (def.displayName ? 'display_name' : 'name'),
          String(kw.operator ?? 'ilike'),
          name,
        ]);
      const ids = env.search(model, domain, { limit: limitOf(kw.limit ?? 100) });
      return env.read(model, ids, ['display_name']).map((r) => [r.id, r.display_name]);
    },
  },
  default_get: {
    params: ['fields_list'],
    model: true,
    run(env, _ids, kw) {
      const def = env.model(String(kw.__model));
      const out: Record<string, unknown> = {};
      for (const name of fieldsOf(kw.fields_list) ?? Object.keys(def.fields)) {
        const field = def.fields[name];
        const fromContext = env.context[`default_${name}`];
        if (fromContext !== undefined) out[name] = fromContext;
        else if (field?.default && !field.compute) out[name] = field.default(env, {});
      }
      return out;
    },
  },
  load: loadMethod,
  get_external_id: getExternalIdMethod,
};

export function resolveMethod(registry: Registry, model: string, method: string): MethodDef {
  const def = registry.models.get(model);
  if (!def) throw userError(`Object ${model} doesn't exist`); // odoo/service/model.py execute_cr
  // odoo/service/model.py check_method_name
  if (method.startsWith('_'))
    throw accessError(`Private methods (such as ${model}.${method}) cannot be called remotely.`);
  const found = def.methods?.[method] ?? ORM_METHODS[method];
  if (!found) throw attributeError(`type object '${model}' has no attribute '${method}'`);
  return found;
}

export interface Call {
  model: string;
  method: string;
  /** positional arguments as JSON-RPC sends them (ids first for record methods) */
  args?: unknown[];
  /** keyword arguments; JSON-2 sends everything here, plus `ids` */
  kwargs?: Record<string, unknown>;
}

/** Runs one call in one transaction; `undefined` means Python None. */
export function execute(store: Store, registry: Registry, uid: number, call: Call): unknown {
  const method = resolveMethod(registry, call.model, call.method);
  const args = [...(call.args ?? [])];
  const kwargs = { ...(call.kwargs ?? {}) };
  const context = (kwargs.context as Record<string, unknown> | undefined) ?? {};
  delete kwargs.context;
  let ids: number[] = [];
  if (!method.model) {
    if ('ids' in kwargs) {
      ids = idsOf(kwargs.ids);
      delete kwargs.ids;
    } else if (args.length > 0) ids = idsOf(args.shift());
    else throw typeError(`${call.method}() missing 1 required positional argument: 'self'`);
  } else {
    delete kwargs.ids;
  }
  const named: Record<string, unknown> = {};
  args.forEach((value, index) => {
    const name = method.params[index];
    if (name === undefined) {
      throw typeError(
        `${call.method}() takes ${method.params.length + 1} positional arguments but ${args.length + 1} were given`,
      );
    }
    named[name] = value;
  });
  for (const [name, value] of Object.entries(kwargs)) {
    const aliases = call.method === 'name_search' && name === 'domain';
    if (!method.params.includes(name) && !aliases) {
      throw typeError(`${call.method}() got an unexpected keyword argument '${name}'`);
    }
    named[name] = value;
  }
  named.__model = call.model;
  const env = new Env(store, registry, uid, context);
  try {
    return store.transaction(() => {
      if (!method.model && call.method !== 'read' && call.method !== 'exists') env.ensure(call.model, ids);
      return method.run(env, ids, named);
    });
  } catch (error) {
    if (error instanceof OdooError) throw error;
    if (error && typeof error === 'object' && 'answer' in error) return (error as { answer: unknown }).answer;
    throw error;
  }
}
