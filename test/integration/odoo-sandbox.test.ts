import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type OdooSandbox, startOdooSandbox } from '../../local/odoo-sandbox/server.js';

// The sandbox is exercised only over HTTP, exactly as the hub reaches a real Odoo.

type Envelope = {
  jsonrpc: '2.0';
  id: number;
  result?: unknown;
  error?: { code: number; message: string; data: { name: string; message: string; arguments: unknown[] } };
};

let sandbox: OdooSandbox;
let dir: string;
let nextId = 1;

async function jsonRpc(service: string, method: string, args: unknown[]): Promise<Envelope> {
  const response = await fetch(`${sandbox.url}/jsonrpc`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', method: 'call', params: { service, method, args }, id: nextId++ }),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as Envelope;
}

function executeKw(
  model: string,
  method: string,
  args: unknown[],
  kwargs: Record<string, unknown> = {},
  key = 'admin',
) {
  return jsonRpc('object', 'execute_kw', ['rcm', 2, key, model, method, args, kwargs]);
}

async function call<T = unknown>(
  model: string,
  method: string,
  args: unknown[],
  kwargs: Record<string, unknown> = {},
): Promise<T> {
  const envelope = await executeKw(model, method, args, kwargs);
  if (envelope.error) throw new Error(`${envelope.error.data.name}: ${envelope.error.data.message}`);
  return envelope.result as T;
}

async function admin(path: string, body?: unknown, method = 'POST') {
  const response = await fetch(`${sandbox.url}/__sandbox/${path}`, {
    method,
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return response.json() as Promise<Record<string, unknown>>;
}

async function newPatientInvoice(amount: number, ref = `CLM-${nextId}`) {
  const partnerId = await call<number>('res.partner', 'create', [{ name: `Payer ${ref}`, ref: `P-${ref}` }]);
  const invoiceId = await call<number>('account.move', 'create', [
    {
      move_type: 'out_invoice',
      partner_id: partnerId,
      invoice_date: '2026-03-02',
      ref,
      payment_reference: ref,
      invoice_line_ids: [[0, 0, { name: '99213 office visit', quantity: 1, price_unit: amount }]],
    },
  ]);
  return { partnerId, invoiceId };
}

async function readInvoice(id: number) {
  const [invoice] = await call<Record<string, unknown>[]>('account.move', 'read', [
    [id],
    ['name', 'state', 'amount_total', 'amount_residual', 'payment_state', 'date', 'reversed_entry_id'],
  ]);
  return invoice as Record<string, unknown>;
}

async function registerPayment(invoiceId: number, vals: Record<string, unknown>) {
  const wizardId = await call<number>(
    'account.payment.register',
    'create',
    [[{ payment_date: '2026-03-10', ...vals }]],
    {
      context: { active_model: 'account.move', active_ids: [invoiceId] },
    },
  );
  return call<Record<string, unknown>>('account.payment.register', 'action_create_payments', [wizardId]);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'odoo-sandbox-'));
  sandbox = await startOdooSandbox({ port: 0, dataFile: join(dir, 'odoo.json') });
});

afterAll(async () => {
  await sandbox?.close();
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(async () => {
  await admin('reset');
});

describe('JSON-RPC protocol', () => {
  it('reports version 17.0 and authenticates the API key, returning false (not an error) for a bad one', async () => {
    const version = await jsonRpc('common', 'version', []);
    expect(version.result).toMatchObject({
      server_version: '17.0',
      server_version_info: [17, 0, 0, 'final', 0, ''],
    });
    expect((await jsonRpc('common', 'authenticate', ['rcm', 'admin', 'admin', {}])).result).toBe(2);
    const bad = await jsonRpc('common', 'authenticate', ['rcm', 'admin', 'wrong', {}]);
    expect(bad.result).toBe(false);
    expect(bad.error).toBeUndefined();
  });

  it('blocks logins from one IP for the cooldown after 5 failures, even with the right key', async () => {
    for (let i = 0; i < 5; i++) await jsonRpc('common', 'authenticate', ['rcm', 'admin', 'wrong', {}]);
    expect((await jsonRpc('common', 'authenticate', ['rcm', 'admin', 'admin', {}])).result).toBe(false);
    const blocked = await executeKw('res.partner', 'search', [[]]);
    expect(blocked.error?.data.name).toBe('odoo.exceptions.AccessDenied');
    expect(blocked.error?.data.message).toMatch(/Too many login failures/);
  });

  it('re-checks the key on every execute_kw call', async () => {
    const envelope = await executeKw('res.partner', 'search', [[]], {}, 'stale-key');
    expect(envelope.error).toMatchObject({
      code: 200,
      message: 'Odoo Server Error',
      data: { name: 'odoo.exceptions.AccessDenied' },
    });
  });

  it('maps unknown database, model, method and private method to Odoo exception names', async () => {
    const unknownDb = await jsonRpc('object', 'execute_kw', [
      'nope',
      2,
      'admin',
      'res.partner',
      'search',
      [[]],
      {},
    ]);
    expect(unknownDb.error?.data.name).toBe('psycopg2.OperationalError');
    expect((await executeKw('x.claim', 'search', [[]])).error?.data).toMatchObject({
      name: 'odoo.exceptions.UserError',
      message: "Object x.claim doesn't exist",
    });
    expect((await executeKw('res.partner', 'frobnicate', [[]])).error?.data.name).toBe(
      'builtins.AttributeError',
    );
    expect((await executeKw('account.move', '_post', [[1]])).error?.data.name).toBe(
      'odoo.exceptions.AccessError',
    );
    expect(
      (await executeKw('account.move', 'create', [{ move_type: 'out_invoice', partner_id: 999 }])).error?.data
        .name,
    ).toBe('odoo.exceptions.MissingError');
    expect((await executeKw('res.partner', 'create', [{ email: 'x@example.com' }])).error?.data.name).toBe(
      'odoo.exceptions.ValidationError',
    );
  });

  it('answers a non-JSON content type with an HTML 400 page', async () => {
    const response = await fetch(`${sandbox.url}/jsonrpc`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain' },
      body: '{}',
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    expect(await response.text()).toMatch(/<title>400 Bad Request<\/title>/);
  });

  it('returns [] when reading a deleted id, a list of ids for a list of vals, and many2one as [id, name]', async () => {
    expect(await call('res.partner', 'read', [[424242], ['name']])).toEqual([]);
    const ids = await call<number[]>('res.partner', 'create', [
      [
        { name: 'Aetna', ref: 'AET' },
        { name: 'Cigna', ref: 'CIG' },
      ],
    ]);
    expect(ids).toHaveLength(2);
    const [inv] = [await newPatientInvoice(100, 'CLM-SHAPE')];
    const rows = await call<Record<string, unknown>[]>(
      'account.move',
      'search_read',
      [[['ref', '=', 'CLM-SHAPE']]],
      {
        fields: ['partner_id', 'journal_id', 'line_ids'],
      },
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]?.partner_id).toEqual([inv?.partnerId, 'Payer CLM-SHAPE']);
    expect(rows[0]?.journal_id).toEqual([1, 'Customer Invoices']);
    expect(Array.isArray(rows[0]?.line_ids)).toBe(true);
    expect(Object.keys(rows[0] ?? {}).sort()).toEqual(['id', 'journal_id', 'line_ids', 'partner_id']);
  });
});

describe('customer invoices', () => {
  it('posts an invoice: number from the journal sequence, totals, not_paid; action_post answers false', async () => {
    const { invoiceId } = await newPatientInvoice(150.1, 'CLM-1');
    // As Odoo 17: the first draft of a journal/year sequence is named at once, later drafts stay "/".
    expect((await readInvoice(invoiceId)).name).toBe('INV/2026/00001');
    const posted = await executeKw('account.move', 'action_post', [[invoiceId]]);
    expect(posted).toHaveProperty('result', false);
    expect(await readInvoice(invoiceId)).toMatchObject({
      name: 'INV/2026/00001',
      state: 'posted',
      amount_total: 150.1,
      amount_residual: 150.1,
      payment_state: 'not_paid',
    });
    const second = await newPatientInvoice(10, 'CLM-2');
    expect((await readInvoice(second.invoiceId)).name).toBe('/');
    await call('account.move', 'action_post', [[second.invoiceId]]);
    expect((await readInvoice(second.invoiceId)).name).toBe('INV/2026/00002');
    expect(await call('account.move', 'search', [[['ref', '=', 'CLM-1']]])).toEqual([invoiceId]);
    const again = await executeKw('account.move', 'action_post', [[invoiceId]]);
    expect(again.error?.data.message).toBe(`The entry INV/2026/00001 (id ${invoiceId}) is already posted.`);
  });

  it('refuses to post without a customer or without lines, and rolls the failed call back', async () => {
    const noPartner = await call<number>('account.move', 'create', [
      { move_type: 'out_invoice', invoice_line_ids: [[0, 0, { name: 'x', quantity: 1, price_unit: 5 }]] },
    ]);
    const error = (await executeKw('account.move', 'action_post', [[noPartner]])).error?.data;
    expect(error?.name).toBe('odoo.exceptions.UserError');
    expect(error?.message).toMatch(/The field 'Customer' is required/);
    expect((await readInvoice(noPartner)).state).toBe('draft');
    const { partnerId } = await newPatientInvoice(1);
    const empty = await call<number>('account.move', 'create', [
      { move_type: 'out_invoice', partner_id: partnerId },
    ]);
    expect((await executeKw('account.move', 'action_post', [[empty]])).error?.data.message).toBe(
      'You need to add a line before posting.',
    );
  });

  it('locks: posting into a locked period moves the accounting date (Odoo 17) and changes to it are refused', async () => {
    const { invoiceId } = await newPatientInvoice(80, 'CLM-LOCK');
    await call('account.move', 'action_post', [[invoiceId]]);
    await call('res.company', 'write', [[1], { fiscalyear_lock_date: '2026-03-31' }]);
    const reset = (await executeKw('account.move', 'button_draft', [[invoiceId]])).error?.data;
    expect(reset).toMatchObject({
      name: 'odoo.exceptions.UserError',
      message: 'You cannot add/modify entries prior to and inclusive of the lock date 03/31/2026.',
    });
    const late = await newPatientInvoice(20, 'CLM-LATE');
    await call('account.move', 'action_post', [[late.invoiceId]]);
    expect(((await readInvoice(late.invoiceId)).date as string) > '2026-03-31').toBe(true);
    await admin('config', { lock_date_on_post: 'raise' });
    const strict = await newPatientInvoice(20, 'CLM-STRICT');
    expect(
      (await executeKw('account.move', 'action_post', [[strict.invoiceId]])).error?.data.message,
    ).toMatch(/prior to and inclusive of the lock date 03\/31\/2026/);
  });
});

describe('payments and reconciliation', () => {
  it('a partial then a final payment take the invoice from partial to paid', async () => {
    const { invoiceId } = await newPatientInvoice(200);
    await call('account.move', 'action_post', [[invoiceId]]);
    const action = await registerPayment(invoiceId, { amount: 120, journal_id: 4 });
    expect(action).toMatchObject({ type: 'ir.actions.act_window', res_model: 'account.payment' });
    expect(await readInvoice(invoiceId)).toMatchObject({ payment_state: 'partial', amount_residual: 80 });
    await registerPayment(invoiceId, { amount: 80 });
    expect(await readInvoice(invoiceId)).toMatchObject({ payment_state: 'paid', amount_residual: 0 });
    const [payment] = await call<Record<string, unknown>[]>('account.payment', 'read', [
      [action.res_id],
      ['state', 'is_reconciled', 'reconciled_invoice_ids', 'name'],
    ]);
    expect(payment).toMatchObject({
      state: 'posted',
      is_reconciled: true,
      reconciled_invoice_ids: [invoiceId],
      name: 'PBNK1/2026/00001',
    });
  });

  it('a short payment with a contractual adjustment write-off closes the invoice', async () => {
    const { invoiceId } = await newPatientInvoice(250);
    await call('account.move', 'action_post', [[invoiceId]]);
    // A stock database has no adjustment account: create one, as the hub's setup does.
    const [adjustments] = await call<number[]>('account.account', 'create', [
      [{ code: '651000', name: 'Contractual Adjustments', account_type: 'expense' }],
    ]);
    await registerPayment(invoiceId, {
      amount: 180.55,
      payment_difference_handling: 'reconcile',
      writeoff_account_id: adjustments,
      writeoff_label: 'CO-45 contractual adjustment',
    });
    expect(await readInvoice(invoiceId)).toMatchObject({ payment_state: 'paid', amount_residual: 0 });
    const writeOff = await call<Record<string, unknown>[]>(
      'account.move.line',
      'search_read',
      [[['account_id', '=', adjustments]]],
      {
        fields: ['debit', 'name'],
      },
    );
    expect(writeOff).toEqual([
      expect.objectContaining({ debit: 69.45, name: 'CO-45 contractual adjustment' }),
    ]);
  });

  it('a direct payment reconciled by hand; reconciling again is refused; action_post has no result key', async () => {
    const { invoiceId, partnerId } = await newPatientInvoice(90);
    await call('account.move', 'action_post', [[invoiceId]]);
    const paymentId = await call<number>('account.payment', 'create', [
      {
        payment_type: 'inbound',
        partner_type: 'customer',
        partner_id: partnerId,
        amount: 90,
        date: '2026-03-05',
        journal_id: 4,
        ref: 'ERA 123',
      },
    ]);
    const posted = await executeKw('account.payment', 'action_post', [[paymentId]]);
    expect(posted.error).toBeUndefined();
    expect(posted).not.toHaveProperty('result');
    const lines = await call<number[]>('account.move.line', 'search', [
      [
        ['partner_id', '=', partnerId],
        ['account_type', '=', 'asset_receivable'],
        ['reconciled', '=', false],
        ['parent_state', '=', 'posted'],
      ],
    ]);
    expect(lines).toHaveLength(2);
    const reconciled = await executeKw('account.move.line', 'reconcile', [lines]);
    expect(reconciled).not.toHaveProperty('result');
    expect((await readInvoice(invoiceId)).payment_state).toBe('paid');
    const twice = (await executeKw('account.move.line', 'reconcile', [lines])).error?.data;
    expect(twice).toMatchObject({
      name: 'odoo.exceptions.UserError',
      message: 'You are trying to reconcile some entries that are already reconciled.',
    });
    const edit = (
      await executeKw('account.move', 'write', [
        [invoiceId],
        { partner_id: partnerId, invoice_line_ids: [[5]] },
      ])
    ).error?.data;
    expect(edit?.message).toMatch(/You cannot do this modification on a reconciled journal entry/);
  });

  it('a credit note from the reversal wizard is reconciled on posting and the invoice becomes reversed', async () => {
    const { invoiceId } = await newPatientInvoice(60, 'CLM-REV');
    await call('account.move', 'action_post', [[invoiceId]]);
    const wizardId = await call<number>(
      'account.move.reversal',
      'create',
      [{ reason: 'duplicate claim', journal_id: 1, date: '2026-03-03' }],
      {
        context: { active_model: 'account.move', active_ids: [invoiceId] },
      },
    );
    const action = await call<{ res_id: number }>('account.move.reversal', 'refund_moves', [[wizardId]]);
    const refund = await readInvoice(action.res_id);
    expect(refund).toMatchObject({ state: 'draft', reversed_entry_id: [invoiceId, 'INV/2026/00001'] });
    await call('account.move', 'action_post', [[action.res_id]]);
    expect(await readInvoice(action.res_id)).toMatchObject({
      name: 'RINV/2026/00001',
      payment_state: 'paid',
    });
    expect(await readInvoice(invoiceId)).toMatchObject({ payment_state: 'reversed', amount_residual: 0 });
  });
});

describe('temporary matching numbers and the wizard values of a payment', () => {
  // What real Odoo 17 and 19 answered to the same calls (issue 16): payments created in one call with the
  // register wizard's `write_off_line_vals`, marked with `I…` numbers through `load`, reconciled on posting.
  it('reconciles each marked payment with its posted invoice on posting, and refuses a number on a matched line', async () => {
    const [adjustments] = await call<number[]>('account.account', 'create', [
      [{ code: '651000', name: 'Contractual Adjustments', account_type: 'expense' }],
    ]);
    const invoices = [
      await newPatientInvoice(100),
      await newPatientInvoice(101),
      await newPatientInvoice(102),
    ];
    await call('account.move', 'action_post', [invoices.map((i) => i.invoiceId)]);
    const invoiceLines = await call<
      Array<{ id: number; move_id: [number, string]; account_id: [number, string] }>
    >(
      'account.move.line',
      'search_read',
      [
        [
          ['move_id', 'in', invoices.map((i) => i.invoiceId)],
          ['account_type', '=', 'asset_receivable'],
        ],
      ],
      { fields: ['move_id', 'account_id'] },
    );
    const lineOf = (invoiceId: number) =>
      invoiceLines.find((l) => l.move_id[0] === invoiceId) as (typeof invoiceLines)[number];
    const amounts = [100, 91, 52]; // paid, short with a 10.00 write-off, partly paid
    const payments = await call<number[]>('account.payment', 'create', [
      invoices.map(({ invoiceId, partnerId }, i) => ({
        payment_type: 'inbound',
        partner_type: 'customer',
        partner_id: partnerId,
        amount: amounts[i],
        date: '2026-03-30',
        journal_id: 4,
        ref: `probe [p:${i}]`,
        destination_account_id: lineOf(invoiceId).account_id[0],
        write_off_line_vals:
          i === 1
            ? [
                {
                  name: 'CO-45',
                  account_id: adjustments,
                  partner_id: partnerId,
                  amount_currency: 10,
                  balance: 10,
                },
              ]
            : [],
      })),
    ]);
    const paymentLines = await call<
      Array<{ id: number; payment_id: [number, string]; move_id: [number, string]; balance: number }>
    >(
      'account.move.line',
      'search_read',
      [
        [
          ['payment_id', 'in', payments],
          ['account_type', '=', 'asset_receivable'],
        ],
      ],
      { fields: ['payment_id', 'move_id', 'balance'] },
    );
    expect(paymentLines.map((l) => l.balance).sort((a, b) => a - b)).toEqual([-101, -100, -52]);
    const rows = payments.flatMap((paymentId, i) => {
      const mark = `Iprobe:${i}`;
      const paymentLine = paymentLines.find((l) => l.payment_id[0] === paymentId);
      return [
        [String(lineOf((invoices[i] as { invoiceId: number }).invoiceId).id), mark],
        [String(paymentLine?.id), mark],
      ];
    });
    expect(
      await call('account.move.line', 'load', [], { fields: ['.id', 'matching_number'], data: rows }),
    ).toMatchObject({
      messages: [],
    });
    await call('account.move', 'action_post', [paymentLines.map((l) => l.move_id[0])]);
    expect(await Promise.all(invoices.map((i) => readInvoice(i.invoiceId)))).toEqual([
      expect.objectContaining({ payment_state: 'paid', amount_residual: 0 }),
      expect.objectContaining({ payment_state: 'paid', amount_residual: 0 }),
      expect.objectContaining({ payment_state: 'partial', amount_residual: 50 }),
    ]);
    const after = await call<Array<{ id: number; matching_number: string | false }>>(
      'account.move.line',
      'read',
      [[lineOf((invoices[2] as { invoiceId: number }).invoiceId).id], ['matching_number']],
    );
    expect(after[0]?.matching_number).toMatch(/^P\d+$/);
    const refused = await call<{ ids: unknown; messages: Array<{ message: string }> }>(
      'account.move.line',
      'load',
      [],
      {
        fields: ['.id', 'matching_number'],
        data: [[String(after[0]?.id), 'Iagain']],
      },
    );
    expect(refused).toMatchObject({
      ids: false,
      messages: [
        expect.objectContaining({ message: 'A temporary number can not be used in a real matching' }),
      ],
    });
  });
});

describe('external ids and JSON-2', () => {
  it('rejects a duplicate external id with a ValidationError, and load() upserts by it', async () => {
    const partnerId = await call<number>('res.partner', 'create', [{ name: 'Jane Roe' }]);
    const xmlid = { module: 'rcm_hub', name: 'patient_P1', model: 'res.partner', res_id: partnerId };
    await call('ir.model.data', 'create', [xmlid]);
    expect((await executeKw('ir.model.data', 'create', [xmlid])).error?.data.name).toBe(
      'odoo.exceptions.ValidationError',
    );
    const first = await call<{ ids: number[] }>('res.partner', 'load', [
      ['id', 'name', 'ref'],
      [['rcm_hub.patient_P2', 'John Doe', 'P2']],
    ]);
    const again = await call<{ ids: number[]; messages: unknown[] }>('res.partner', 'load', [
      ['id', 'name', 'ref'],
      [['rcm_hub.patient_P2', 'John Q. Doe', 'P2']],
    ]);
    expect(again).toEqual({ ids: first.ids, messages: [] });
  });

  it('serves JSON-2 with a bearer key and answers 401 to a bad one', async () => {
    const headers = {
      'Content-Type': 'application/json',
      Authorization: 'bearer admin',
      'X-Odoo-Database': 'rcm',
    };
    const created = await fetch(`${sandbox.url}/json/2/res.partner/create`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ vals_list: [{ name: 'Humana', ref: 'HUM' }] }),
    });
    expect(created.status).toBe(200);
    const [id] = (await created.json()) as number[];
    const read = await fetch(`${sandbox.url}/json/2/res.partner/read`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ ids: [id], fields: ['ref'] }),
    });
    expect(await read.json()).toEqual([{ id, ref: 'HUM' }]);
    const denied = await fetch(`${sandbox.url}/json/2/res.partner/search`, {
      method: 'POST',
      headers: { ...headers, Authorization: 'bearer nope' },
      body: '{}',
    });
    expect(denied.status).toBe(401);
    expect(await denied.json()).toMatchObject({ name: 'werkzeug.exceptions.Unauthorized' });
    const noCustomer = await fetch(`${sandbox.url}/json/2/account.move/create`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        vals_list: { move_type: 'out_invoice', invoice_line_ids: [[0, 0, { name: 'x', price_unit: 1 }]] },
      }),
    });
    const draftId = (await noCustomer.json()) as number;
    const refused = await fetch(`${sandbox.url}/json/2/account.move/action_post`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ ids: [draftId] }),
    });
    expect(refused.status).toBe(422);
    expect(await refused.json()).toMatchObject({ name: 'odoo.exceptions.UserError' });
    expect((await (await fetch(`${sandbox.url}/web/version`)).json()) as object).toMatchObject({
      version: '17.0',
    });
  });
});

describe('sandbox faults and persistence', () => {
  it('is down (HTML 500), then its pool is full (PoolError), then recovers', async () => {
    await admin('faults', { mode: 'down', remaining: 1 });
    const down = await fetch(`${sandbox.url}/jsonrpc`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        method: 'call',
        params: { service: 'common', method: 'version', args: [] },
        id: 1,
      }),
    });
    expect(down.status).toBe(500);
    expect(down.headers.get('content-type')).toMatch(/text\/html/);
    await admin('faults', { mode: 'pool_full', remaining: 1 });
    const full = await executeKw('res.partner', 'search', [[]]);
    expect(full.error?.data).toMatchObject({
      name: 'psycopg2.pool.PoolError',
      message: 'The Connection Pool Is Full',
    });
    expect((await executeKw('res.partner', 'search', [[]])).error).toBeUndefined();
    const stats = await admin('stats', undefined, 'GET');
    expect((stats.calls as Record<string, number>)['res.partner.search']).toBeGreaterThanOrEqual(2);
  });

  it('keeps committed records across a restart on the same data file', async () => {
    const { invoiceId } = await newPatientInvoice(42, 'CLM-PERSIST');
    await call('account.move', 'action_post', [[invoiceId]]);
    await sandbox.close();
    sandbox = await startOdooSandbox({ port: 0, dataFile: join(dir, 'odoo.json') });
    expect(await readInvoice(invoiceId)).toMatchObject({
      name: 'INV/2026/00001',
      amount_total: 42,
      state: 'posted',
    });
  });
});
