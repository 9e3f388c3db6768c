/**
 * `npm start`: the whole hub on this machine. Ctrl-C stops it; data stays under .rcm-hub/ (`--fresh` wipes it).
 * Point it at a real Odoo with ODOO_URL, ODOO_DB, ODOO_USER, ODOO_API_KEY (and ODOO_PROTOCOL=json2 for Odoo 19+).
 */
import { startHub } from '../local/runtime.js';

const fresh = process.argv.includes('--fresh');
const odoo = process.env.ODOO_URL
  ? {
      url: process.env.ODOO_URL,
      db: required('ODOO_DB'),
      login: required('ODOO_USER'),
      apiKey: required('ODOO_API_KEY'),
      protocol: process.env.ODOO_PROTOCOL === 'json2' ? ('json2' as const) : ('jsonrpc' as const),
    }
  : undefined;

function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    console.error(`${name} must be set when ODOO_URL is set`);
    process.exit(2);
  }
  return value;
}

const hub = await startHub({
  fresh,
  odoo,
  // Another state dir than .rcm-hub/ (e.g. a second hub, the chaos suite).
  ...(process.env.RCM_STATE_DIR ? { stateDir: process.env.RCM_STATE_DIR } : {}),
  // A shorter redelivery wait for rehearsals (the chaos suite); AWS keeps 6 × the writer's timeout.
  ...(process.env.RCM_ODOO_WRITE_VISIBILITY_SECONDS
    ? { odooWriteQueue: { visibilityTimeoutSeconds: Number(process.env.RCM_ODOO_WRITE_VISIBILITY_SECONDS) } }
    : {}),
  port: Number(process.env.PORT ?? 3000),
  // The scheduled reconciliation (docs/reconciliation.md); 0 turns it off.
  reconciliationEveryMinutes: Number(process.env.RCM_LOCAL_RECONCILIATION_MINUTES ?? 60),
  triageSchedules: true,
});
const { clientId, clientSecret } = hub.developmentClient;
console.log(`
rcm-hub is running (stage local)
  API          ${hub.baseUrl}          (health: ${hub.baseUrl}/health)
  Odoo         ${hub.odooUrl}${hub.odooSandbox ? '   (sandbox: db rcm, user admin, key admin)' : ''}
  DynamoDB     ${hub.dynamodbEndpoint}  (dynalite, data in ${hub.stateDir})
  Client id     ${clientId}
  Client secret ${clientSecret}

  Get a token:  curl -s -u '${clientId}:${clientSecret}' -d grant_type=client_credentials ${hub.baseUrl}/oauth2/token
Ctrl-C to stop.
`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    console.log('\nstopping rcm-hub…');
    await hub.close();
    process.exit(0);
  });
}
