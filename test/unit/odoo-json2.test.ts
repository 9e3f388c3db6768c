import { describe, expect, it } from 'vitest';
import { json2Body, OdooClient } from '../../lambdas/adapters/odoo/client.js';
import {
  classifyHtmlPage,
  classifyOdooFault,
  isRetryable,
  OdooError,
  tracebackFrames,
} from '../../lambdas/adapters/odoo/errors.js';

// Odoo 19's JSON-2 answers, as a real 19.0 server sent them (../shared/odoo19/README.md), through the client.

/** A real 19.0 traceback (`debug`), trimmed: partner write of a missing id. */
const DEBUG = [
  'Traceback (most recent call last):',
  '  File "/root/.cache/rcm-odoo19/src/odoo/http.py", line 2275, in _serve_db',
  '    return service_model.retrying(serve_func, env=self.env)',
  '           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^',
  '  File "/root/.cache/rcm-odoo19/src/odoo/addons/rpc/controllers/json2.py", line 86, in web_json_2_rpc',
  '    result = func(records, **kwargs)',
  '  File "/root/.cache/rcm-odoo19/src/odoo/addons/base/models/res_partner.py", line 874, in <listcomp>',
  '    pre_values_list = [{fname: partner[fname] for fname in vals} for partner in self]',
  '  File "/root/.cache/rcm-odoo19/src/odoo/orm/fields.py", line 1705, in __get__',
  '    raise MissingError("\\n".join([',
  'odoo.exceptions.MissingError: Record does not exist or has been deleted.',
  '(Record: res.partner(999999,), User: 5) Jane Doe',
].join('\n');

function fault(name: string, message: string, status: number) {
  return { name, message, arguments: [message, status], context: {}, debug: DEBUG };
}

/** A client whose fetch answers with `status` and `body` (JSON unless a string). */
function clientAnswering(status: number, body: unknown, seen: Request[] = []) {
  const fetchStub = (async (input: URL | string | Request, init?: RequestInit) => {
    seen.push(new Request(input, init));
    return new Response(typeof body === 'string' ? body : JSON.stringify(body), {
      status,
      headers: { 'Content-Type': typeof body === 'string' ? 'text/html' : 'application/json' },
    });
  }) as typeof fetch;
  return new OdooClient(
    { url: 'http://odoo.test', db: 'rcm19', login: 'rcm-hub', apiKey: 'key', protocol: 'json2' },
    { fetch: fetchStub },
  );
}

async function failure(client: OdooClient, model = 'res.partner', method = 'write'): Promise<OdooError> {
  try {
    await client.call(model, method, [[999999], { name: 'x' }]);
  } catch (error) {
    if (error instanceof OdooError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

describe('JSON-2 errors', () => {
  it.each<[string, number, string, string, OdooError['kind']]>([
    [
      'a missing record',
      404,
      'odoo.exceptions.MissingError',
      'Record does not exist or has been deleted.',
      'permanent',
    ],
    [
      'a validation refusal',
      422,
      'odoo.exceptions.ValidationError',
      'Missing required account on accountable line.',
      'permanent',
    ],
    [
      'a user error',
      422,
      'odoo.exceptions.UserError',
      'You cannot remove parts of a restricted audit trail.',
      'permanent',
    ],
    [
      'a stray argument',
      422,
      'werkzeug.exceptions.UnprocessableEntity',
      "got an unexpected keyword argument 'bogus'",
      'permanent',
    ],
    ['a bad API key', 401, 'werkzeug.exceptions.Unauthorized', 'Invalid apikey', 'auth'],
    [
      'an unknown model',
      404,
      'werkzeug.exceptions.NotFound',
      "the model 'no.model' does not exist",
      'misconfiguration',
    ],
    [
      'a missing group',
      403,
      'odoo.exceptions.AccessError',
      "You are not allowed to create 'Account' (account.account) records.",
      'misconfiguration',
    ],
    ['a full connection pool', 500, 'psycopg2.pool.PoolError', 'The Connection Pool Is Full', 'transient'],
  ])('%s (HTTP %s %s) is %s, with its status and message', async (_what, status, name, message, kind) => {
    // Prepare
    const client = clientAnswering(status, fault(name, message, status));

    // Act
    const error = await failure(client);

    // Assess
    expect(error).toMatchObject({ kind, faultName: name, httpStatus: status, message });
    expect(isRetryable(error)).toBe(kind !== 'permanent');
  });

  it('a wrong database name (404 HTML page) is a misconfiguration, retried, not a refusal of the data', async () => {
    // Prepare — what 19.0 answers for an unknown X-Odoo-Database
    const page =
      '<!DOCTYPE html>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n<p>No database is selected and the requested URL was not found in the server-wide controllers.</p>';
    const client = clientAnswering(404, page);

    // Act
    const error = await failure(client);

    // Assess
    expect(error.kind).toBe('misconfiguration');
    expect(error.httpStatus).toBe(404);
    expect(error.message).toMatch(/database name \(rcm19\)/);
    expect(isRetryable(error)).toBe(true);
  });

  it('an HTML page under overload stays transient', async () => {
    // Prepare
    const client = clientAnswering(502, '<html><body>Bad Gateway</body></html>');

    // Act
    const error = await failure(client);

    // Assess
    expect(error.kind).toBe('transient');
  });

  it('keeps the traceback’s frames for the log, without the message (PHI) or source lines', async () => {
    // Prepare
    const client = clientAnswering(404, fault('odoo.exceptions.MissingError', 'Record does not exist', 404));

    // Act
    const error = await failure(client);

    // Assess
    expect(error.debug).toBe(
      [
        'File "odoo/http.py", line 2275, in _serve_db',
        'File "odoo/addons/rpc/controllers/json2.py", line 86, in web_json_2_rpc',
        'File "odoo/addons/base/models/res_partner.py", line 874, in <listcomp>',
        'File "odoo/orm/fields.py", line 1705, in __get__',
        'odoo.exceptions.MissingError',
      ].join('\n'),
    );
    expect(error.debug).not.toMatch(/Jane|Record does not exist|pre_values_list/);
  });

  it('a JSON-RPC fault keeps its traceback the same way', async () => {
    // Prepare — JSON-RPC: HTTP 200, the fault in error.data
    const body = {
      jsonrpc: '2.0',
      id: 1,
      error: {
        code: 200,
        message: 'Odoo Server Error',
        data: fault('odoo.exceptions.UserError', 'No.', 200),
      },
    };
    const fetchStub = (async (_input: URL | string | Request, init?: RequestInit) => {
      const params = JSON.parse(String(init?.body)).params as { method: string };
      const answer = params.method === 'authenticate' ? { jsonrpc: '2.0', id: 1, result: 7 } : body;
      return new Response(JSON.stringify(answer), { status: 200 });
    }) as typeof fetch;
    const client = new OdooClient(
      { url: 'http://odoo.test', db: 'rcm17', login: 'rcm-hub', apiKey: 'key', protocol: 'jsonrpc' },
      { fetch: fetchStub },
    );

    // Act
    const error = await failure(client);

    // Assess
    expect(error).toMatchObject({
      kind: 'permanent',
      faultName: 'odoo.exceptions.UserError',
      message: 'No.',
    });
    expect(error.debug?.split('\n').at(-1)).toBe('odoo.exceptions.MissingError');
  });

  it('sends named arguments with the bearer key and the database header', async () => {
    // Prepare
    const seen: Request[] = [];
    const client = clientAnswering(200, true, seen);

    // Act
    const result = await client.call('res.partner', 'write', [[5], { name: 'x' }]);

    // Assess
    expect(result).toBe(true);
    const [request] = seen;
    expect(request?.url).toBe('http://odoo.test/json/2/res.partner/write');
    expect(request?.headers.get('authorization')).toBe('bearer key');
    expect(request?.headers.get('x-odoo-database')).toBe('rcm19');
    expect(await request?.json()).toEqual({ ids: [5], vals: { name: 'x' } });
  });
});

describe('fault classification added for JSON-2', () => {
  it.each<[string, string, OdooError['kind']]>([
    ['werkzeug.exceptions.NotFound', "The method 'res.partner.no_method' does not exist", 'misconfiguration'],
    [
      'odoo.exceptions.AccessError',
      'You are not allowed to modify Journal Entry (account.move) records.',
      'misconfiguration',
    ],
    [
      'odoo.exceptions.AccessError',
      'Private methods (such as _post) cannot be called remotely.',
      'permanent',
    ],
    ['psycopg2.OperationalError', 'FATAL:  database "nodb" does not exist', 'misconfiguration'],
  ])('%s ("%s") is %s', (name, message, expected) => {
    // Prepare — see the table

    // Act
    const kind = classifyOdooFault(name, message);

    // Assess
    expect(kind).toBe(expected);
  });

  it.each<[number, OdooError['kind']]>([
    [404, 'misconfiguration'],
    [401, 'auth'],
    [500, 'transient'],
    [400, 'permanent'],
  ])('an HTML page with HTTP %s is %s', (status, expected) => {
    // Prepare / Act
    const kind = classifyHtmlPage(status);

    // Assess
    expect(kind).toBe(expected);
  });

  it('a traceback longer than 12 frames keeps the innermost ones and says how many it left out', () => {
    // Prepare
    const frames = Array.from(
      { length: 20 },
      (_, i) => `  File "/x/odoo/m${i}.py", line ${i + 1}, in f${i}\n    code()`,
    );
    const debug = [
      'Traceback (most recent call last):',
      ...frames,
      'odoo.exceptions.UserError: Refused',
    ].join('\n');

    // Act
    const kept = tracebackFrames(debug)?.split('\n') ?? [];

    // Assess
    expect(kept[0]).toBe('… 8 outer frames');
    expect(kept[1]).toBe('File "odoo/m8.py", line 9, in f8');
    expect(kept.at(-2)).toBe('File "odoo/m19.py", line 20, in f19');
    expect(kept.at(-1)).toBe('odoo.exceptions.UserError');
    expect(tracebackFrames(undefined)).toBeUndefined();
  });
});

describe('JSON-2 named arguments', () => {
  it.each<[string, unknown[], Record<string, unknown>, Record<string, unknown>]>([
    ['search', [[['ref', '=', 'x']]], { limit: 2 }, { domain: [['ref', '=', 'x']], limit: 2 }],
    ['search_read', [[], ['name']], {}, { domain: [], fields: ['name'] }],
    ['search_count', [], {}, { domain: [] }],
    ['create', [{ name: 'x' }], {}, { vals_list: [{ name: 'x' }] }],
    ['create', [[{ name: 'x' }]], { context: { a: 1 } }, { vals_list: [{ name: 'x' }], context: { a: 1 } }],
    ['check_object_reference', ['rcm_hub', 'journal'], {}, { module: 'rcm_hub', xml_id: 'journal' }],
    ['write', [[1], { name: 'x' }], {}, { ids: [1], vals: { name: 'x' } }],
    ['read', [[1]], { fields: ['name'] }, { ids: [1], fields: ['name'] }],
    ['action_post', [[1, 2]], {}, { ids: [1, 2] }],
    ['reconcile', [[3, 4]], {}, { ids: [3, 4] }],
  ])('%s %j %j → %j', (method, args, kwargs, expected) => {
    // Prepare — JSON-RPC's execute_kw arguments, as the hub's callers pass them

    // Act
    const body = json2Body(method, args, kwargs);

    // Assess
    expect(body).toEqual(expected);
  });

  it('refuses positional arguments it cannot name rather than send them as something else', () => {
    // Prepare / Act
    const call = () => json2Body('action_create_payments', [[1], 'surprise'], {});

    // Assess
    expect(call).toThrowError(/named arguments/);
  });
});

describe('how long a call waits for its answer', () => {
  /** A client over an Odoo that never answers, waiting `timeoutMs` for each call unless told otherwise. */
  function silentOdoo(timeoutMs: number) {
    const never = ((_input: URL | string | Request, init?: RequestInit) =>
      new Promise<Response>((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
      })) as typeof fetch;
    return new OdooClient(
      { url: 'http://odoo.test', db: 'rcm19', login: 'rcm-hub', apiKey: 'key', protocol: 'json2' },
      { fetch: never, timeoutMs },
    );
  }

  async function giveUp(call: Promise<unknown>): Promise<OdooError> {
    try {
      await call;
    } catch (error) {
      if (error instanceof OdooError) return error;
      throw error;
    }
    throw new Error('expected the call to fail');
  }

  it("a call's own timeout replaces the client's, longer or shorter: a timeout, retryable", async () => {
    const client = silentOdoo(60_000);
    expect(client.callTimeoutMs).toBe(60_000);
    const short = await giveUp(client.call('account.payment', 'create', [[]], {}, { timeoutMs: 20 }));
    expect(short).toMatchObject({ kind: 'transient', faultName: 'timeout' });
    expect(isRetryable(short)).toBe(true);
    const longer = silentOdoo(10);
    const waited = performance.now();
    await giveUp(longer.call('account.payment', 'create', [[]], {}, { timeoutMs: 200 }));
    // Not the client's 10 ms: the call waited for its own 200 ms (timers fire no sooner than asked).
    expect(performance.now() - waited).toBeGreaterThanOrEqual(150);
  });
});
