import { describe, expect, it } from 'vitest';
import { OdooClient } from '../../lambdas/adapters/odoo/client.js';
import { OdooPaymentReversal, reversedPaymentIds } from '../../lambdas/adapters/odoo/payment-reversal.js';

// The reversal's decisions, per dialect, against a scripted Odoo (JSON-RPC): which calls it makes from what Odoo
// holds. The books themselves are checked on real 17 and 19 (test/conformance/payment-reversal.test.ts).

type Answers = Record<string, unknown>;

function scripted(serverVersion: string, answers: Answers) {
  const calls: Array<{ call: string; args: unknown[]; kwargs: Record<string, unknown> }> = [];
  const fetchStub = (async (_input: URL | string | Request, init?: RequestInit) => {
    const { params, id } = JSON.parse(String(init?.body)) as {
      id: number;
      params: { method: string; args: unknown[] };
    };
    let result: unknown = null;
    if (params.method === 'version') result = { server_version: serverVersion };
    else if (params.method === 'authenticate') result = 2;
    else {
      const [, , , model, method, args, kwargs] = params.args as [
        unknown,
        unknown,
        unknown,
        string,
        string,
        unknown[],
        Record<string, unknown>,
      ];
      const call = `${model}.${method}`;
      calls.push({ call, args, kwargs });
      result = answers[call] ?? null;
    }
    return new Response(JSON.stringify({ jsonrpc: '2.0', id, result }));
  }) as typeof fetch;
  const odoo = new OdooClient(
    { url: 'http://odoo.test', db: 'db', login: 'rcm-hub', apiKey: 'k', protocol: 'jsonrpc' },
    { fetch: fetchStub },
  );
  return { odoo, calls };
}

const booking = { ref: 'rcm:era:R:reversal', date: '2025-03-14', reason: 'ERA R reversal' };
const posted = { id: 9, state: 'posted', move_id: [90, 'PBNK1/2025/00001'], journal_id: [6, 'Bank'] };

describe('reversing a payment', () => {
  it('17: a reversing entry of the payment’s entry, in its journal, dated and marked; no state written', async () => {
    // Prepare
    const { odoo, calls } = scripted('17.0', {
      'account.payment.read': [posted],
      'account.move.search_read': [],
      'account.move.reversal.create': [5],
      'account.move.reversal.refund_moves': { res_model: 'account.move', res_id: 91 },
    });

    // Act
    const outcome = await new OdooPaymentReversal(odoo).reverse([{ id: 9, state: 'posted' }], booking);

    // Assess
    expect(outcome).toEqual({ paymentIds: [9], reversalMoveIds: [91], wrote: true });
    expect(calls.map((c) => c.call)).toEqual([
      'account.payment.read',
      'account.move.search_read',
      'account.move.reversal.create',
      'account.move.reversal.refund_moves',
    ]);
    expect(calls[2]?.args).toEqual([
      [{ reason: 'ERA R reversal [rcm:era:R:reversal]', date: '2025-03-14', journal_id: 6 }],
    ]);
    expect(calls[2]?.kwargs).toEqual({ context: { active_model: 'account.move', active_ids: [90] } });
  });

  it('19: the same entry, then the payment marked canceled', async () => {
    // Prepare
    const { odoo, calls } = scripted('19.0', {
      'account.payment.read': [{ ...posted, state: 'paid' }],
      'account.move.search_read': [],
      'account.move.reversal.create': [5],
      'account.move.reversal.refund_moves': { res_id: 91 },
      'account.payment.write': true,
    });

    // Act
    const outcome = await new OdooPaymentReversal(odoo).reverse([{ id: 9, state: 'paid' }], booking);

    // Assess
    expect(outcome.reversalMoveIds).toEqual([91]);
    expect(calls.at(-1)).toMatchObject({ call: 'account.payment.write', args: [[9], { state: 'canceled' }] });
  });

  it('finds an earlier reversal by its entry and only finishes what is left (19: the mark)', async () => {
    // Prepare — a crash after refund_moves, before the mark
    const { odoo, calls } = scripted('19.0', {
      'account.payment.read': [{ ...posted, state: 'paid' }],
      'account.move.search_read': [{ id: 91, state: 'posted', reversed_entry_id: [90, 'PBNK1'] }],
      'account.payment.write': true,
    });

    // Act
    const outcome = await new OdooPaymentReversal(odoo).reverse([{ id: 9, state: 'paid' }], booking);

    // Assess
    expect(outcome).toEqual({ paymentIds: [9], reversalMoveIds: [91], wrote: true });
    expect(calls.map((c) => c.call)).toEqual([
      'account.payment.read',
      'account.move.search_read',
      'account.payment.write',
    ]);
  });

  it.each([
    ['17.0', 'cancel'],
    ['19.0', 'canceled'],
  ])('%s: a payment already %s is undone: nothing is read or written', async (version, state) => {
    // Prepare
    const { odoo, calls } = scripted(version, {});

    // Act
    const outcome = await new OdooPaymentReversal(odoo).reverse([{ id: 9, state }], booking);

    // Assess
    expect(outcome).toEqual({ paymentIds: [9], reversalMoveIds: [], wrote: false });
    expect(calls).toEqual([]);
  });

  it('a draft left by the former code is posted again, then reversed, when its entry had been posted', async () => {
    // Prepare
    const { odoo, calls } = scripted('19.0', {
      'account.payment.read': [{ ...posted, state: 'draft' }],
      'account.move.search_read': [],
      'account.move.read': [{ id: 90, state: 'draft', posted_before: true }],
      'account.move.reversal.create': [5],
      'account.move.reversal.refund_moves': { res_id: 91 },
      'account.payment.write': true,
    });

    // Act
    await new OdooPaymentReversal(odoo).reverse([{ id: 9, state: 'draft' }], booking);

    // Assess
    expect(calls.map((c) => c.call)).toEqual([
      'account.payment.read',
      'account.move.search_read',
      'account.move.read',
      'account.payment.action_post',
      'account.move.reversal.create',
      'account.move.reversal.refund_moves',
      'account.payment.write',
    ]);
  });

  it('a draft that was never posted is cancelled: nothing was booked to reverse', async () => {
    // Prepare
    const { odoo, calls } = scripted('17.0', {
      'account.payment.read': [{ ...posted, state: 'draft' }],
      'account.move.search_read': [],
      'account.move.read': [{ id: 90, state: 'draft', posted_before: false }],
    });

    // Act
    const outcome = await new OdooPaymentReversal(odoo).reverse([{ id: 9, state: 'draft' }], booking);

    // Assess
    expect(outcome).toEqual({ paymentIds: [9], reversalMoveIds: [], wrote: true });
    expect(calls.at(-1)?.call).toBe('account.payment.action_cancel');
  });

  it('refuses to guess about a draft reversal someone left in Odoo', async () => {
    // Prepare
    const { odoo } = scripted('17.0', {
      'account.payment.read': [posted],
      'account.move.search_read': [{ id: 91, state: 'draft', reversed_entry_id: [90, 'PBNK1'] }],
    });

    // Act
    const reversing = new OdooPaymentReversal(odoo).reverse([{ id: 9, state: 'posted' }], booking);

    // Assess
    await expect(reversing).rejects.toMatchObject({ kind: 'permanent', faultName: 'rcm.ReversalPending' });
  });

  it('refuses a reversal dated in the future: Odoo would leave it in draft, the payment applied', async () => {
    // Prepare
    const { odoo } = scripted('17.0', {
      'account.payment.read': [posted],
      'account.move.search_read': [],
    });

    // Act
    const reversing = new OdooPaymentReversal(odoo).reverse([{ id: 9, state: 'posted' }], {
      ...booking,
      date: '2999-01-01',
    });

    // Assess
    await expect(reversing).rejects.toMatchObject({ kind: 'permanent', faultName: 'rcm.FutureReversal' });
  });
});

describe('which payments a reversing entry undid', () => {
  it('finds them by their entry in one search', async () => {
    // Prepare
    const { odoo, calls } = scripted('17.0', {
      'account.move.search_read': [{ id: 91, reversed_entry_id: [90, 'PBNK1'] }],
    });

    // Act
    const reversed = await reversedPaymentIds(odoo, [
      { id: 9, move_id: [90, 'PBNK1/1'] },
      { id: 10, move_id: [100, 'PBNK1/2'] },
    ]);

    // Assess
    expect([...reversed]).toEqual([9]);
    expect(calls).toHaveLength(1);
  });
});
