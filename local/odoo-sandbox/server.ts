/**
 * The Odoo sandbox HTTP server: Odoo 17's JSON-RPC endpoint, Odoo 19's JSON-2 endpoint and
 * `/web/version`, plus sandbox-only admin endpoints under `/__sandbox/` (fault injection, config,
 * reset, call statistics) that a real Odoo does not have.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Call, execute } from './dispatch.js';
import { accessDenied, OdooError } from './errors.js';
import { ADMIN_UID } from './models/base.js';
import { buildRegistry, defineLookupIndexes, seed } from './models/index.js';
import { Env } from './orm.js';
import {
  HTML_500,
  HTML_502,
  htmlErrorPage,
  type JsonRpcId,
  json2Status,
  jsonRpcError,
  jsonRpcResult,
  serializeException,
} from './protocol.js';
import { Store } from './store.js';

export interface OdooSandboxOptions {
  port?: number;
  host?: string;
  dataFile?: string;
  /** wipe the data file and start from the seed */
  fresh?: boolean;
  db?: string;
  login?: string;
  apiKey?: string;
}

export interface OdooSandbox {
  url: string;
  port: number;
  close(): Promise<void>;
}

export const SERVER_VERSION = '17.0';
export const SERVER_VERSION_INFO = [17, 0, 0, 'final', 0, ''];

type FaultMode = 'none' | 'down' | 'bad_gateway' | 'pool_full' | 'serialization_failure' | 'slow';
const FAULT_MODES: FaultMode[] = [
  'none',
  'down',
  'bad_gateway',
  'pool_full',
  'serialization_failure',
  'slow',
];

interface FaultState {
  mode: FaultMode;
  remaining: number | undefined;
  delayMs: number;
}

/** A refusal rule (sandbox-only): `model.method` called with `field == equals` raises `name: message`. */
interface CustomConstraint {
  model: string;
  method: string;
  field: string;
  equals: unknown;
  name: string;
  message: string;
}

/** ir.config_parameter base.login_cooldown_after / base.login_cooldown_duration (res_users.py). */
interface Cooldown {
  after: number;
  durationSeconds: number;
}

export async function startOdooSandbox(options: OdooSandboxOptions = {}): Promise<OdooSandbox> {
  const db = options.db ?? 'rcm';
  const login = options.login ?? 'admin';
  const apiKey = options.apiKey ?? 'admin';
  const store = new Store(options.dataFile);
  defineLookupIndexes(store);
  const registry = buildRegistry();
  if (options.fresh) store.wipeFile();
  if (!store.load()) seed(store, registry);

  let fault: FaultState = { mode: 'none', remaining: undefined, delayMs: 0 };
  let constraints: CustomConstraint[] = [];

  /**
   * Custom constraints stand in for what real deployments add with Studio or a module (`@api.constrains`):
   * a create/write whose values match is refused with the configured Odoo exception, inside the call's
   * transaction, so nothing is kept.
   */
  const violatedConstraint = (model: string, method: string, args: unknown[]): OdooError | undefined => {
    const first = args[0];
    const valsList = (method === 'write' ? [args[1]] : Array.isArray(first) ? first : [first]) as unknown[];
    for (const rule of constraints) {
      if (rule.model !== model || rule.method !== method) continue;
      for (const vals of valsList) {
        if (
          vals &&
          typeof vals === 'object' &&
          (vals as Record<string, unknown>)[rule.field] === rule.equals
        ) {
          return new OdooError(rule.name, rule.message);
        }
      }
    }
    return undefined;
  };
  /** A `create` constraint also refuses the records `load` would create (load creates through `create`). */
  const violatedLoadConstraint = (model: string, method: string, args: unknown[]): OdooError | undefined => {
    if (method !== 'load') return undefined;
    const kwargs = (args[6] ?? {}) as { fields?: string[]; data?: unknown[][] };
    const fields = (args[5] as unknown[] | undefined)?.[0] ?? kwargs.fields ?? [];
    const data = (args[5] as unknown[] | undefined)?.[1] ?? kwargs.data ?? [];
    const rows = (data as unknown[][]).map((cells) =>
      Object.fromEntries((fields as string[]).map((field, index) => [field, cells[index]])),
    );
    return violatedConstraint(model, 'create', [rows]);
  };
  const cooldown: Cooldown = { after: 5, durationSeconds: 60 };
  const loginFailures = new Map<string, { failures: number; previous: number }>();
  let stats = new Map<string, number>();

  const count = (key: string) => stats.set(key, (stats.get(key) ?? 0) + 1);

  /** res_users.py `_assert_can_auth`: raises during cooldown, counts failures, clears on success. */
  const withLoginCooldown = <T>(ip: string, attempt: () => T): T => {
    const entry = loginFailures.get(ip);
    if (
      entry &&
      cooldown.after > 0 &&
      entry.failures >= cooldown.after &&
      Date.now() - entry.previous < cooldown.durationSeconds * 1000
    ) {
      throw accessDenied('Too many login failures, please wait a bit before trying again.');
    }
    try {
      const result = attempt();
      loginFailures.delete(ip);
      return result;
    } catch (error) {
      if (error instanceof OdooError && error.odooName === 'odoo.exceptions.AccessDenied') {
        const current = loginFailures.get(ip) ?? { failures: 0, previous: 0 };
        loginFailures.set(ip, { failures: current.failures + 1, previous: Date.now() });
      }
      throw error;
    }
  };

  const unknownDb = (name: unknown) =>
    new OdooError(
      'psycopg2.OperationalError',
      `connection to server on socket "/var/run/postgresql/.s.PGSQL.5432" failed: FATAL:  database "${String(name)}" does not exist\n`,
    );

  const checkDb = (name: unknown) => {
    if (name !== db) throw unknownDb(name);
  };

  const checkCredentials = (ip: string, uid: unknown, password: unknown) =>
    withLoginCooldown(ip, () => {
      if (uid !== ADMIN_UID || password !== apiKey) throw accessDenied();
    });

  /** The `service`/`method` of a JSON-RPC call (odoo/http.py dispatch_rpc). */
  const dispatchRpc = (ip: string, service: string, method: string, args: unknown[]): unknown => {
    if (service === 'common') {
      switch (method) {
        case 'version':
          return {
            server_version: SERVER_VERSION,
            server_version_info: SERVER_VERSION_INFO,
            server_serie: SERVER_VERSION,
            protocol_version: 1,
          };
        case 'about':
          return 'See http://openerp.com';
        case 'login':
        case 'authenticate': {
          const [dbName, user, password] = args;
          checkDb(dbName);
          // service/common.py exp_authenticate: AccessDenied (also during cooldown) becomes False
          try {
            return withLoginCooldown(ip, () => {
              if (user !== login || password !== apiKey) throw accessDenied();
              return ADMIN_UID;
            });
          } catch (error) {
            if (error instanceof OdooError && error.odooName === 'odoo.exceptions.AccessDenied') return false;
            throw error;
          }
        }
        default:
          throw new OdooError('builtins.NameError', `Method not available ${method}`);
      }
    }
    if (service === 'db') {
      if (method === 'list') return [db];
      if (method === 'server_version') return SERVER_VERSION;
      throw new OdooError('builtins.NameError', `Method not available ${method}`);
    }
    if (service === 'object') {
      const [dbName, uid, password, model, modelMethod, callArgs, callKwargs] = args;
      checkDb(dbName);
      checkCredentials(ip, uid, password);
      if (method === 'execute_kw') {
        return execute(store, registry, ADMIN_UID, {
          model: String(model),
          method: String(modelMethod),
          args: (callArgs as unknown[]) ?? [],
          kwargs: (callKwargs as Record<string, unknown>) ?? {},
        });
      }
      if (method === 'execute') {
        return execute(store, registry, ADMIN_UID, {
          model: String(model),
          method: String(modelMethod),
          args: args.slice(5),
        });
      }
      throw new OdooError('builtins.NameError', `Method not available ${method}`);
    }
    throw new OdooError('builtins.Exception', `No such RPC service: ${service}`);
  };

  /** Applies the injected fault, if any. Returns true when the response was already sent. */
  const applyFault = async (
    res: ServerResponse,
    kind: 'jsonrpc' | 'json2',
    id: JsonRpcId,
  ): Promise<boolean> => {
    if (fault.mode === 'none') return false;
    if (fault.remaining !== undefined) {
      if (fault.remaining <= 0) {
        fault = { mode: 'none', remaining: undefined, delayMs: 0 };
        return false;
      }
      fault.remaining--;
    }
    const mode = fault.mode;
    const delayMs = fault.delayMs;
    if (fault.remaining === 0) fault = { mode: 'none', remaining: undefined, delayMs: 0 };
    switch (mode) {
      case 'slow':
        await new Promise((resolve) => setTimeout(resolve, delayMs || 2000));
        return false;
      case 'down':
        sendHtml(res, 500, HTML_500);
        return true;
      case 'bad_gateway':
        sendHtml(res, 502, HTML_502);
        return true;
      case 'pool_full':
      case 'serialization_failure': {
        const error =
          mode === 'pool_full'
            ? new OdooError('psycopg2.pool.PoolError', 'The Connection Pool Is Full')
            : new OdooError(
                'psycopg2.errors.SerializationFailure',
                'could not serialize access due to concurrent update\n',
              );
        if (kind === 'jsonrpc') sendJson(res, 200, jsonRpcError(id, error));
        else sendJson(res, 500, serializeException(error));
        return true;
      }
      default:
        return false;
    }
  };

  const handleJsonRpc = async (req: IncomingMessage, res: ServerResponse, body: string) => {
    if (!isJson(req)) {
      // odoo/http.py: the JSON-RPC dispatcher refuses other mimetypes with werkzeug's HTML 400
      sendHtml(
        res,
        400,
        htmlErrorPage(
          400,
          'Bad Request',
          'Request inferred type is compatible with [&#x27;http&#x27;] but /jsonrpc is type=json.',
        ),
      );
      return;
    }
    let request: { id?: JsonRpcId; params?: { service?: string; method?: string; args?: unknown[] } };
    try {
      request = JSON.parse(body);
    } catch {
      sendJson(
        res,
        200,
        jsonRpcError(null, new OdooError('werkzeug.exceptions.BadRequest', 'Invalid JSON data')),
      );
      return;
    }
    const id = request.id ?? null;
    const params = request.params ?? {};
    // every call that reaches the server counts, faulted or not ("Odoo RPCs per event")
    count(
      params.service === 'object'
        ? `${String(params.args?.[3])}.${String(params.args?.[4])}`
        : `${params.service}.${params.method}`,
    );
    if (await applyFault(res, 'jsonrpc', id)) return;
    if (params.service === 'object' && params.method === 'execute_kw') {
      const args = params.args ?? [];
      const violation = violatedConstraint(String(args[3]), String(args[4]), (args[5] as unknown[]) ?? []);
      if (violation) return sendJson(res, 200, jsonRpcError(id, violation));
      const refused = violatedLoadConstraint(String(args[3]), String(args[4]), args);
      // load() catches the refusal of a record it creates and answers it as a message (odoo/models.py `load`)
      if (refused)
        return sendJson(res, 200, {
          jsonrpc: '2.0',
          id,
          result: {
            ids: false,
            messages: [{ type: 'error', message: refused.message, rows: { from: 0, to: 0 } }],
          },
        });
    }
    try {
      const result = dispatchRpc(
        clientIp(req),
        String(params.service),
        String(params.method),
        params.args ?? [],
      );
      sendJson(res, 200, jsonRpcResult(id, result));
    } catch (error) {
      sendJson(res, 200, jsonRpcError(id, error));
    }
  };

  const handleJson2 = async (
    req: IncomingMessage,
    res: ServerResponse,
    body: string,
    model: string,
    method: string,
  ) => {
    count(`${model}.${method}`);
    const fail = (error: OdooError) => sendJson(res, json2Status(error.odooName), serializeException(error));
    if (await applyFault(res, 'json2', null)) return;
    const authorization = req.headers.authorization ?? '';
    const match = /^bearer\s+(.+)$/i.exec(authorization);
    if (!match || match[1] !== apiKey) {
      fail(new OdooError('werkzeug.exceptions.Unauthorized', 'Invalid apikey', ['Invalid apikey', 401]));
      return;
    }
    const dbHeader = req.headers['x-odoo-database'];
    if (dbHeader !== undefined && dbHeader !== db) {
      fail(new OdooError('werkzeug.exceptions.NotFound', `Database ${String(dbHeader)} not found`));
      return;
    }
    if (body.length > 0 && !isJson(req)) {
      fail(
        new OdooError(
          'werkzeug.exceptions.BadRequest',
          "State-changing json2 requests must use the 'application/json' Content-Type (CSRF protection).",
        ),
      );
      return;
    }
    let kwargs: Record<string, unknown> = {};
    if (body.length > 0) {
      try {
        kwargs = JSON.parse(body);
      } catch (error) {
        fail(
          new OdooError(
            'werkzeug.exceptions.BadRequest',
            `could not parse the body as json: ${String(error)}`,
          ),
        );
        return;
      }
      if (!kwargs || typeof kwargs !== 'object' || Array.isArray(kwargs)) {
        fail(new OdooError('werkzeug.exceptions.BadRequest', 'the body must be a json object'));
        return;
      }
    }
    try {
      if (!registry.models.has(model)) {
        fail(new OdooError('werkzeug.exceptions.NotFound', `the model "${model}" does not exist`));
        return;
      }
      const result = execute(store, registry, ADMIN_UID, { model, method, kwargs } satisfies Call);
      sendJson(res, 200, result === undefined ? null : result);
    } catch (error) {
      if (error instanceof OdooError) fail(error);
      else sendJson(res, 500, serializeException(error));
    }
  };

  const handleAdmin = (req: IncomingMessage, res: ServerResponse, path: string, body: string) => {
    const payload = body ? (JSON.parse(body) as Record<string, unknown>) : {};
    if (path === '/__sandbox/faults' && req.method === 'POST') {
      const mode = (payload.mode as FaultMode) ?? 'none';
      if (!FAULT_MODES.includes(mode)) return sendJson(res, 400, { error: `unknown mode ${String(mode)}` });
      fault = {
        mode,
        remaining:
          payload.remaining === undefined || payload.remaining === null
            ? undefined
            : Number(payload.remaining),
        delayMs: Number(payload.delayMs ?? 0),
      };
      return sendJson(res, 200, { fault });
    }
    if (path === '/__sandbox/faults' && req.method === 'GET') return sendJson(res, 200, { fault });
    if (path === '/__sandbox/constraints' && req.method === 'POST') {
      const rule = payload as unknown as CustomConstraint;
      if (!rule.model || !rule.method || !rule.field || !rule.name || !rule.message) {
        return sendJson(res, 400, {
          error: 'a constraint needs model, method, field, equals, name, message',
        });
      }
      constraints.push(rule);
      return sendJson(res, 200, { constraints });
    }
    if (path === '/__sandbox/constraints' && req.method === 'DELETE') {
      constraints = [];
      return sendJson(res, 200, { constraints });
    }
    if (path === '/__sandbox/config' && req.method === 'POST') {
      store.transaction(() => {
        const env = new Env(store, registry, ADMIN_UID);
        const companyPatch: Record<string, unknown> = {};
        for (const key of ['fiscalyear_lock_date', 'period_lock_date', 'tax_lock_date']) {
          if (key in payload) companyPatch[key] = payload[key] ?? false;
        }
        if (Object.keys(companyPatch).length) env.write('res.company', [1], companyPatch);
      });
      if (payload.lock_date_on_post === 'raise' || payload.lock_date_on_post === 'shift') {
        registry.behaviour.lockDateOnPost = payload.lock_date_on_post;
      }
      if (payload.login_cooldown_after !== undefined) cooldown.after = Number(payload.login_cooldown_after);
      if (payload.login_cooldown_duration !== undefined)
        cooldown.durationSeconds = Number(payload.login_cooldown_duration);
      if (payload.clear_login_failures) loginFailures.clear();
      return sendJson(res, 200, { ok: true, behaviour: registry.behaviour, cooldown });
    }
    if (path === '/__sandbox/reset' && req.method === 'POST') {
      seed(store, registry);
      store.persist();
      fault = { mode: 'none', remaining: undefined, delayMs: 0 };
      constraints = [];
      loginFailures.clear();
      stats = new Map();
      registry.behaviour.lockDateOnPost = 'shift';
      return sendJson(res, 200, { ok: true });
    }
    if (path === '/__sandbox/stats' && req.method === 'GET') {
      const calls = Object.fromEntries([...stats].sort(([a], [b]) => a.localeCompare(b)));
      const total = [...stats.values()].reduce((sum, n) => sum + n, 0);
      return sendJson(res, 200, { total, calls });
    }
    if (path === '/__sandbox/stats' && req.method === 'DELETE') {
      stats = new Map();
      return sendJson(res, 200, { ok: true });
    }
    return sendJson(res, 404, { error: 'unknown sandbox endpoint' });
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const path = (req.url ?? '/').split('?')[0] as string;
      const route = async () => {
        if (path === '/jsonrpc' && req.method === 'POST') return handleJsonRpc(req, res, body);
        const json2 = /^\/json\/2\/([^/]+)\/([^/]+)$/.exec(path);
        if (json2 && req.method === 'POST') {
          return handleJson2(
            req,
            res,
            body,
            decodeURIComponent(json2[1] as string),
            decodeURIComponent(json2[2] as string),
          );
        }
        if (path === '/web/version' || path === '/json/version') {
          return sendJson(res, 200, { version: SERVER_VERSION, version_info: SERVER_VERSION_INFO });
        }
        if (path.startsWith('/__sandbox/')) return handleAdmin(req, res, path, body);
        return sendHtml(
          res,
          404,
          htmlErrorPage(
            404,
            'Not Found',
            'The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.',
          ),
        );
      };
      route().catch((error: unknown) => {
        if (!res.headersSent) sendHtml(res, 500, HTML_500);
        console.error('odoo-sandbox: unexpected error', error);
      });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8069, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = options.host ?? '127.0.0.1';
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function isJson(req: IncomingMessage): boolean {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  return type === 'application/json' || type === 'application/json-rpc';
}

function clientIp(req: IncomingMessage): string {
  return req.socket.remoteAddress ?? 'n/a';
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': Buffer.byteLength(html),
  });
  res.end(html);
}
