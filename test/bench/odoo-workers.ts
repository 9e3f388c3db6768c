/**
 * Whether an Odoo books two payment batches at once (issue 16, ERA lanes: core/era-booking.ts `laneRoundKey`):
 * two batches of `BENCH_ODOO_WORKERS_PAYMENTS` (default 150) customer payments in the bank journal, each one
 * `account.payment.create` of the list and one `action_post` of their entries (what an ERA round's batch does
 * besides matching), first one after the other, then side by side; then side by side in two journals. Prints the
 * wall clock of each. Run against a real Odoo, as its administrator (what `run-odoo17 start` exports):
 *   eval "$(../shared/odoo17/run-odoo17 start)"; npx tsx test/bench/odoo-workers.ts
 * It books test payments into that database: use a bench database, not a customer's.
 */
import { OdooClient } from '../../lambdas/adapters/odoo/client.js';

const required = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (eval "$(run-odoo17 start)" first)`);
  return value;
};

const odoo = new OdooClient(
  {
    url: required('ODOO_URL'),
    db: required('ODOO_DB'),
    login: process.env.ODOO_USER ?? 'admin',
    apiKey: required('ODOO_API_KEY'),
    protocol: process.env.ODOO_PROTOCOL === 'json2' ? 'json2' : 'jsonrpc',
  },
  { timeoutMs: 300_000 },
);
const payments = Number(process.env.BENCH_ODOO_WORKERS_PAYMENTS ?? 150);

const journalId = async (code: string): Promise<number> => {
  const [journal] = await odoo.call<Array<{ id: number }>>(
    'account.journal',
    'search_read',
    [[['code', '=', code]]],
    { fields: ['id'] },
  );
  if (!journal) throw new Error(`no journal ${code}`);
  return journal.id;
};

const bank = await journalId('BNK1');
const cash = await journalId('CSH1');
const partner = await odoo.call<number>('res.partner', 'create', [{ name: `Bench payer ${Date.now()}` }]);

/** One batch: the payments created in one call, their entries posted in one; its wall clock in ms. */
async function batch(journal: number): Promise<number> {
  const started = performance.now();
  const ids = await odoo.call<number[]>('account.payment', 'create', [
    Array.from({ length: payments }, (_, i) => ({
      payment_type: 'inbound',
      partner_type: 'customer',
      partner_id: partner,
      amount: 10 + i,
      journal_id: journal,
    })),
  ]);
  const moves = await odoo.call<Array<{ move_id: [number, string] }>>('account.payment', 'read', [
    ids,
    ['move_id'],
  ]);
  await odoo.call('account.move', 'action_post', [moves.map((m) => m.move_id[0])]);
  return performance.now() - started;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
await batch(bank); // warm-up: Odoo's caches, the journal's first sequence of the year
let started = performance.now();
const first = await batch(bank);
const second = await batch(bank);
const oneAfterOther = performance.now() - started;
started = performance.now();
const sideBySide = await Promise.all([batch(bank), batch(bank)]);
const together = performance.now() - started;
started = performance.now();
const twoJournals = await Promise.all([batch(bank), batch(cash)]);
const togetherTwoJournals = performance.now() - started;
console.log(
  [
    `Two batches of ${payments} payments (one create, one action_post each) on ${process.env.ODOO_URL}:`,
    `| how | wall clock | each batch |`,
    `| --- | ---: | --- |`,
    `| one after the other, one journal | ${seconds(oneAfterOther)} | ${seconds(first)}, ${seconds(second)} |`,
    `| side by side, one journal | ${seconds(together)} | ${sideBySide.map(seconds).join(', ')} |`,
    `| side by side, two journals | ${seconds(togetherTwoJournals)} | ${twoJournals.map(seconds).join(', ')} |`,
    `Side by side ÷ one after the other (one journal): ${(together / oneAfterOther).toFixed(2)}`,
  ].join('\n'),
);
