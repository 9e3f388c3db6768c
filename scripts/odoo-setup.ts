/**
 * `npm run odoo:setup`: the deploy step that gets an Odoo ready for the hub (docs/operations.md#odoo-setup).
 * Finds or creates, by external id in module `rcm_hub`, every account and journal the hub books to, with the
 * stage's codes (ODOO_LEDGER_SETUP, JSON, else the defaults). Idempotent: run it again at every deploy.
 *
 * Connection: ODOO_URL, ODOO_DB, ODOO_USER, ODOO_API_KEY (an administrator: the integration user may not
 * create accounts), ODOO_PROTOCOL (jsonrpc | json2). `--check` only verifies, as the integration user can.
 * Exit 0 when Odoo is ready for the hub, 1 with every missing record named otherwise.
 */
import { ensureHubSetup, ledgerSetupFromEnv } from '../lambdas/adapters/odoo/accounts.js';
import { OdooClient } from '../lambdas/adapters/odoo/client.js';

// The AWS SDK's notice about Node 20 (README, The two commands): silenced by its own switch.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    console.error(`${name} must be set (see docs/operations.md#odoo-setup)`);
    process.exit(2);
  }
  return value;
}

const client = new OdooClient(
  {
    url: required('ODOO_URL'),
    db: required('ODOO_DB'),
    login: required('ODOO_USER'),
    apiKey: required('ODOO_API_KEY'),
    protocol: process.env.ODOO_PROTOCOL === 'json2' ? 'json2' : 'jsonrpc',
  },
  { timeoutMs: 60_000 },
);
const setup = ledgerSetupFromEnv();
const report = await ensureHubSetup(client, setup, { create: !process.argv.includes('--check') });
for (const record of report.records) {
  const where = record.id === undefined ? '' : ` (id ${record.id})`;
  console.log(`${record.outcome.padEnd(8)} ${record.xmlid} ${record.model} ${record.code}${where}`);
  if (record.problem) console.log(`         ${record.problem}`);
}
console.log(report.ready ? 'Odoo is ready for the hub.' : 'Odoo is NOT ready for the hub: see above.');
process.exit(report.ready ? 0 : 1);
