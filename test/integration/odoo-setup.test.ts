import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_LEDGER_SETUP,
  ensureHubSetup,
  hubRecords,
  ledgerSetupFromEnv,
  OdooChart,
} from '../../lambdas/adapters/odoo/accounts.js';
import { OdooClient } from '../../lambdas/adapters/odoo/client.js';
import { classifyOdooFault, OdooError } from '../../lambdas/adapters/odoo/errors.js';
import { postDraft } from '../../lambdas/adapters/odoo/posting.js';
import { type OdooSandbox, startOdooSandbox } from '../../local/odoo-sandbox/server.js';

// Issue 11: what a stock Odoo lacks (the hub's own accounts), and what it refuses (a raced sequence number,
// a reversal wizard without a journal), against the sandbox that now refuses them as Odoo 17 does.

let sandbox: OdooSandbox;
let odoo: OdooClient;

beforeAll(async () => {
  sandbox = await startOdooSandbox({ port: 0 });
  odoo = new OdooClient({
    url: sandbox.url,
    db: 'rcm',
    login: 'admin',
    apiKey: 'admin',
    protocol: 'jsonrpc',
  });
});

afterAll(async () => {
  await sandbox?.close();
});

describe("the hub's Odoo setup", () => {
  it('finds nothing on a stock database, then creates or links every record by rcm_hub external id, once', async () => {
    const before = await ensureHubSetup(odoo, DEFAULT_LEDGER_SETUP, { create: false });
    expect(before.ready).toBe(false);
    expect(before.records.map((r) => [r.xmlid, r.outcome])).toEqual([
      ['rcm_hub.account_contractual_adjustments', 'missing'],
      ['rcm_hub.account_other_adjustments', 'missing'],
      ['rcm_hub.account_patient_responsibility_clearing', 'missing'],
      ['rcm_hub.account_payer_initiated_reductions', 'missing'],
      ['rcm_hub.account_denied_claims', 'missing'],
      ['rcm_hub.account_plb_interest_income', 'missing'],
      ['rcm_hub.account_plb_other_adjustments', 'missing'],
      ['rcm_hub.account_era_deposit_clearing', 'missing'],
      ['rcm_hub.account_payer_refunds', 'missing'],
      ['rcm_hub.journal_bank', 'missing'],
      ['rcm_hub.journal_era_deposits', 'missing'],
    ]);
    const first = await ensureHubSetup(odoo, DEFAULT_LEDGER_SETUP);
    expect(first.ready).toBe(true);
    // The adjustment accounts and the PR clearing account are the hub's own (created); BNK1 is the stock
    // chart's (linked). Issue 14: PR moves through 121500 clearing, no longer through 400000 revenue.
    expect(first.records.map((r) => [r.code, r.outcome])).toEqual([
      ['651000', 'created'],
      ['652000', 'created'],
      ['121500', 'created'],
      ['653000', 'created'],
      ['654000', 'created'],
      ['451000', 'created'],
      ['655000', 'created'],
      ['101403', 'linked'],
      ['215000', 'created'],
      ['BNK1', 'linked'],
      ['ERA', 'created'],
    ]);
    const second = await ensureHubSetup(odoo, DEFAULT_LEDGER_SETUP);
    expect(second.records.map((r) => [r.outcome, r.id])).toEqual(first.records.map((r) => ['found', r.id]));
    const accounts = await odoo.call<Array<{ code: string; account_type: string }>>(
      'account.account',
      'search_read',
      [[['code', 'in', ['121500', '651000', '652000', '653000', '654000', '215000']]]],
      { fields: ['code', 'account_type'] },
    );
    expect(accounts.map((a) => [a.code, a.account_type]).sort()).toEqual([
      ['121500', 'asset_current'],
      ['215000', 'liability_current'],
      ['651000', 'expense'],
      ['652000', 'expense'],
      ['653000', 'expense'],
      ['654000', 'expense'],
    ]);
  });

  it('names what is missing when its user may not create it, and classifies it as configuration', async () => {
    const setup = {
      ...DEFAULT_LEDGER_SETUP,
      accounts: { ...DEFAULT_LEDGER_SETUP.accounts, otherAdjustments: '659000' },
    };
    // A code that disagrees with the external id is reported, never silently rebooked elsewhere.
    const report = await ensureHubSetup(odoo, setup, { create: false });
    expect(report.ready).toBe(false);
    expect(report.records[1]?.problem).toMatch(
      /rcm_hub\.account_other_adjustments names account\.account \d+ with code 652000, the stage configures 659000/,
    );
    const chart = new OdooChart(odoo, setup);
    const failure = await chart.accountId('otherAdjustments').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OdooError);
    expect(failure).toMatchObject({ kind: 'auth', faultName: 'rcm.OdooNotSetUp' });
    expect((failure as Error).message).toMatch(/npm run odoo:setup/);
  });

  it('reads its codes per stage from ODOO_LEDGER_SETUP', () => {
    const setup = ledgerSetupFromEnv(
      JSON.stringify({ accounts: { contractualAdjustments: '5100' }, bankJournalCode: 'BNK2' }),
    );
    expect(hubRecords(setup).map((r) => r.code)).toEqual([
      '5100',
      '652000',
      '121500',
      '653000',
      '654000',
      '451000',
      '655000',
      '101403',
      '215000',
      'BNK2',
      'ERA',
    ]);
    expect(ledgerSetupFromEnv('')).toEqual(DEFAULT_LEDGER_SETUP);
  });
});

describe('a raced first number of a sequence', () => {
  it('refuses the second posting as Odoo does (transient), and postDraft numbers it anew', async () => {
    const [partner] = await odoo.call<number[]>('res.partner', 'create', [[{ name: 'Race Payer' }]]);
    const draft = (ref: string) => ({
      move_type: 'out_invoice',
      partner_id: partner,
      invoice_date: '2003-02-01',
      ref,
      invoice_line_ids: [[0, 0, { name: 'Visit', quantity: 1, price_unit: 10 }]],
    });
    const [first, second] = await odoo.call<number[]>('account.move', 'create', [
      [draft('RACE-1'), draft('RACE-2')],
    ]);
    const read = async (id: number) =>
      (
        await odoo.call<Array<{ name: string; state: string }>>('account.move', 'read', [[id]], {
          fields: ['name', 'state'],
        })
      )[0];
    // Odoo 17 names the first draft of a journal/year at once; two concurrent first drafts both get 00001.
    expect(await read(first as number)).toMatchObject({ name: 'INV/2003/00001' });
    await odoo.call('account.move', 'write', [[second], { name: 'INV/2003/00001' }]);
    await odoo.call('account.move', 'action_post', [[first]]);
    const refused = await odoo
      .call('account.move', 'action_post', [[second]])
      .catch((error: unknown) => error);
    expect(refused).toMatchObject({ faultName: 'odoo.exceptions.ValidationError', kind: 'transient' });
    expect(classifyOdooFault('odoo.exceptions.ValidationError', (refused as Error).message)).toBe(
      'transient',
    );
    // The retry: the draft still holds the duplicate name; postDraft resets it and Odoo numbers it at posting.
    await postDraft(odoo, { id: second as number, name: 'INV/2003/00001' });
    expect(await read(second as number)).toEqual({ id: second, name: 'INV/2003/00002', state: 'posted' });
  });

  it('needs journal_id on account.move.reversal, as Odoo 17 over RPC does', async () => {
    const [invoice] = await odoo.call<number[]>('account.move', 'search', [[['ref', '=', 'RACE-1']]]);
    const context = { active_model: 'account.move', active_ids: [invoice] };
    const refused = await odoo
      .call('account.move.reversal', 'create', [[{ reason: 'x', date: '2003-03-01' }]], { context })
      .catch((error: unknown) => error);
    expect(refused).toMatchObject({ faultName: 'odoo.exceptions.ValidationError', kind: 'permanent' });
    const [journal] = await odoo.call<number[]>('account.journal', 'search', [[['code', '=', 'INV']]]);
    const [wizard] = await odoo.call<number[]>(
      'account.move.reversal',
      'create',
      [[{ reason: 'x', date: '2003-03-01', journal_id: journal }]],
      { context },
    );
    expect(wizard).toBeGreaterThan(0);
  });
});
