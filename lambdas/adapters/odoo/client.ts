import type { OdooConnection } from '../secrets/odoo-connection.js';
import {
  checkProtocol,
  type OdooDialect,
  type OdooVersion,
  odooDialect,
  parseOdooVersion,
} from './dialect.js';
import {
  classifyHtmlPage,
  classifyHttpStatus,
  classifyOdooFault,
  OdooError,
  tracebackFrames,
} from './errors.js';

export type { OdooVersion } from './dialect.js';

/** An Odoo fault as both protocols carry it (JSON-RPC in `error.data`, JSON-2 as the body of a 4xx/5xx). */
interface OdooFault {
  name?: string;
  message?: string;
  arguments?: unknown[];
  context?: unknown;
  debug?: string;
}

type Fetch = typeof fetch;

/** One `call` as an observer sees it (metrics): which operation, how long, and the error kind if it failed. */
export interface OdooCallSample {
  model: string;
  method: string;
  durationMs: number;
  error?: OdooError;
}

/**
 * Odoo's external API over HTTP, as a real server speaks it:
 *  - JSON-RPC (`POST /jsonrpc`, Odoo 17/18): errors arrive with HTTP 200 in `error.data`; a method that
 *    returns None yields no `result` key at all;
 *  - JSON-2 (`POST /json/2/<model>/<method>`, Odoo 19+): bearer key, named arguments, HTTP error codes.
 * The uid from `authenticate` is cached per connection: five failed logins from one IP lock logins for
 * 60 s (`base.login_cooldown_after`), and many Lambdas share a NAT address.
 */
/** How long a call's answer is waited for, unless the client or the call says otherwise. */
const DEFAULT_CALL_TIMEOUT_MS = 15_000;

export interface CallOptions {
  timeoutMs?: number;
}

export class OdooClient {
  private uid: number | undefined;
  private requestId = 0;
  private version: OdooVersion | undefined;
  private probed: OdooDialect | undefined;

  constructor(
    readonly connection: OdooConnection,
    private readonly options: {
      timeoutMs?: number;
      fetch?: Fetch;
      /** Told about every `call` (latency, error): the Odoo writer turns these into metrics. */
      onCall?: (sample: OdooCallSample) => void;
    } = {},
  ) {}

  get url(): string {
    return this.connection.url;
  }

  /** How long a call's answer is waited for, unless the call says otherwise. */
  get callTimeoutMs(): number {
    return this.options.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
  }

  async serverVersion(): Promise<OdooVersion> {
    if (this.version) return this.version;
    if (this.connection.protocol === 'json2') {
      const info = (await this.http('GET', '/web/version')) as { version?: string; version_info?: unknown[] };
      this.version = parseOdooVersion(String(info.version ?? ''));
    } else {
      const info = (await this.jsonRpc('common', 'version', [])) as { server_version?: string };
      this.version = parseOdooVersion(String(info.server_version ?? ''));
    }
    return this.version;
  }

  /**
   * What this server's version does differently (memo field, payment states, how a payment is reversed), probed
   * once per connection from its version. Refuses, as a misconfiguration, a version the hub does not book into
   * or a protocol the server does not serve (JSON-2 against 17).
   */
  async dialect(): Promise<OdooDialect> {
    if (this.probed) return this.probed;
    const dialect = odooDialect(await this.serverVersion());
    checkProtocol(dialect, this.connection.protocol);
    this.probed = dialect;
    return dialect;
  }

  /**
   * `execute_kw(model, method, args, kwargs)` in JSON-RPC terms; translated for JSON-2. `timeoutMs`: how long
   * this call's answer is waited for, instead of the client's (a batch of hundreds of records takes Odoo longer).
   */
  async call<T = unknown>(
    model: string,
    method: string,
    args: unknown[] = [],
    kwargs: Record<string, unknown> = {},
    options: CallOptions = {},
  ): Promise<T> {
    if (!this.options.onCall) return this.callOnce<T>(model, method, args, kwargs, options);
    const started = performance.now();
    let failure: OdooError | undefined;
    try {
      return await this.callOnce<T>(model, method, args, kwargs, options);
    } catch (error) {
      failure = error instanceof OdooError ? error : new OdooError('transient', 'Error', String(error));
      throw error;
    } finally {
      this.options.onCall({
        model,
        method,
        durationMs: performance.now() - started,
        ...(failure ? { error: failure } : {}),
      });
    }
  }

  private async callOnce<T>(
    model: string,
    method: string,
    args: unknown[],
    kwargs: Record<string, unknown>,
    options: CallOptions,
  ): Promise<T> {
    if (this.connection.protocol === 'json2')
      return (await this.json2(model, method, args, kwargs, options)) as T;
    const uid = await this.authenticate();
    const { db, apiKey } = this.connection;
    try {
      return (await this.jsonRpc(
        'object',
        'execute_kw',
        [db, uid, apiKey, model, method, args, kwargs],
        options,
      )) as T;
    } catch (error) {
      // A rotated key or a corrected database: forget the uid so the next call logs in again.
      if (error instanceof OdooError && (error.kind === 'auth' || error.kind === 'misconfiguration'))
        this.uid = undefined;
      throw error;
    }
  }

  private async authenticate(): Promise<number> {
    if (this.uid !== undefined) return this.uid;
    const { db, login, apiKey } = this.connection;
    const uid = await this.jsonRpc('common', 'authenticate', [db, login, apiKey, {}]);
    if (typeof uid !== 'number' || uid <= 0) {
      throw new OdooError(
        'auth',
        'odoo.exceptions.AccessDenied',
        `Odoo refused the login of ${login} on database ${db}`,
      );
    }
    this.uid = uid;
    return uid;
  }

  private async jsonRpc(
    service: string,
    method: string,
    args: unknown[],
    options: CallOptions = {},
  ): Promise<unknown> {
    const body = { jsonrpc: '2.0', method: 'call', params: { service, method, args }, id: ++this.requestId };
    const payload = (await this.http('POST', '/jsonrpc', body, {}, options)) as {
      result?: unknown;
      error?: { message?: string; data?: OdooFault };
    };
    if (payload.error) {
      const name = payload.error.data?.name ?? 'odoo.exceptions.UnknownError';
      const message = payload.error.data?.message ?? payload.error.message ?? 'Odoo Server Error';
      throw new OdooError(
        classifyOdooFault(name, message),
        name,
        message,
        undefined,
        tracebackFrames(payload.error.data?.debug),
      );
    }
    // Methods returning None (account.payment.action_post, account.move.line.reconcile) send no `result`.
    return 'result' in payload ? payload.result : null;
  }

  private async json2(
    model: string,
    method: string,
    args: unknown[],
    kwargs: Record<string, unknown>,
    options: CallOptions,
  ): Promise<unknown> {
    return this.http(
      'POST',
      `/json/2/${model}/${method}`,
      json2Body(method, args, kwargs),
      { Authorization: `bearer ${this.connection.apiKey}`, 'X-Odoo-Database': this.connection.db },
      options,
    );
  }

  private async http(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
    options: CallOptions = {},
  ): Promise<unknown> {
    const doFetch = this.options.fetch ?? fetch;
    let response: Response;
    try {
      response = await doFetch(new URL(path, this.connection.url), {
        method,
        headers: { 'Content-Type': 'application/json', Accept: 'application/json', ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(options.timeoutMs ?? this.callTimeoutMs),
      });
    } catch (error) {
      const cause = error as Error;
      throw new OdooError(
        'transient',
        cause.name === 'TimeoutError' ? 'timeout' : 'network',
        `Odoo unreachable: ${cause.message}`,
      );
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text.length ? JSON.parse(text) : null;
    } catch {
      // Under overload Odoo (or its proxy) answers with an HTML page, not JSON; JSON-2 answers an unknown
      // database (X-Odoo-Database) with a 404 HTML page — a setup error, not the document's.
      if (response.ok) {
        throw new OdooError(
          'transient',
          `http.${response.status}`,
          `Odoo answered HTTP ${response.status} with a non-JSON body`,
          response.status,
        );
      }
      const kind = classifyHtmlPage(response.status);
      throw new OdooError(
        kind,
        `http.${response.status}`,
        kind === 'misconfiguration'
          ? `Odoo answered HTTP ${response.status} with an HTML page for ${path}: check the database name (${this.connection.db}) and the URL`
          : `Odoo answered HTTP ${response.status} with a non-JSON body`,
        response.status,
      );
    }
    if (!response.ok) {
      // JSON-2: {name, message, arguments, context, debug} with 401 / 403 / 404 / 422 / 500.
      const fault = (parsed && typeof parsed === 'object' ? parsed : {}) as OdooFault;
      const name = typeof fault.name === 'string' ? fault.name : `http.${response.status}`;
      const message =
        typeof fault.message === 'string' ? fault.message : `Odoo answered HTTP ${response.status}`;
      const kind =
        typeof fault.name === 'string'
          ? classifyOdooFault(fault.name, message)
          : classifyHttpStatus(response.status);
      throw new OdooError(kind, name, message, response.status, tracebackFrames(fault.debug));
    }
    return parsed;
  }
}

/**
 * Model methods (`@api.model`: no `ids`) the hub calls with positional arguments, and their parameters' names in
 * Odoo 19 (JSON-2 binds by name only; a positional first argument would be taken for `ids`).
 */
const MODEL_METHOD_PARAMS: Record<string, readonly string[]> = {
  search: ['domain', 'offset', 'limit', 'order'],
  search_read: ['domain', 'fields', 'offset', 'limit', 'order'],
  search_count: ['domain', 'limit'],
  create: ['vals_list'],
  load: ['fields', 'data'],
  default_get: ['fields'],
  fields_get: ['allfields', 'attributes'],
  check_object_reference: ['module', 'xml_id', 'raise_on_access_error'],
};

/** Record methods whose arguments after `ids` the hub passes positionally. */
const RECORD_METHOD_PARAMS: Record<string, readonly string[]> = {
  write: ['vals'],
  read: ['fields'],
};

/** JSON-2 takes named arguments only: map the positional forms our callers use (JSON-RPC's `execute_kw`). */
export function json2Body(
  method: string,
  args: unknown[],
  kwargs: Record<string, unknown>,
): Record<string, unknown> {
  const named: Record<string, unknown> = {};
  const modelParams = MODEL_METHOD_PARAMS[method];
  if (modelParams) {
    args.forEach((value, index) => {
      const name = modelParams[index];
      if (name === undefined)
        throw new OdooError(
          'permanent',
          'rcm.TooManyArguments',
          `${method} takes ${modelParams.length} arguments`,
        );
      named[name] = value;
    });
    // `create` takes a list of values; a single dict is wrapped, as JSON-RPC's create accepts both.
    if (method === 'create' && named.vals_list !== undefined && !Array.isArray(named.vals_list))
      named.vals_list = [named.vals_list];
    if (method === 'search' || method === 'search_read' || method === 'search_count') named.domain ??= [];
    return { ...named, ...kwargs };
  }
  const [ids, ...rest] = args;
  if (ids !== undefined) named.ids = ids;
  const recordParams = RECORD_METHOD_PARAMS[method] ?? [];
  rest.forEach((value, index) => {
    const name = recordParams[index];
    if (name === undefined)
      throw new OdooError(
        'permanent',
        'rcm.TooManyArguments',
        `JSON-2 needs named arguments: ${method} got ${rest.length} positional ones after ids`,
      );
    named[name] = value;
  });
  return { ...named, ...kwargs };
}
