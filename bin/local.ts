/**
 * `npm start`: the whole hub on this machine. Ctrl-C stops it; data stays under .rcm-hub/ (`--fresh` wipes it).
 * Point it at a real Odoo with ODOO_URL, ODOO_DB, ODOO_USER, ODOO_API_KEY (and ODOO_PROTOCOL=json2 for Odoo 19+).
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PortInUseError, startHub } from '../local/runtime.js';

// The SDK's own switch for its Node-version notice (@aws-sdk/core emitWarningIfUnsupportedVersion): the README
// names the Node version; nine lines on every start add nothing.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const fresh = process.argv.includes('--fresh');
// RCM_STATE_DIR: another state dir than .rcm-hub/ (e.g. a second hub, the chaos suite).
const stateDir = process.env.RCM_STATE_DIR
  ? resolve(process.env.RCM_STATE_DIR)
  : resolve(dirname(fileURLToPath(import.meta.url)), '..', '.rcm-hub');
// One hub per state dir: a second one would fight over the local database (and --fresh would wipe the first's).
const pidFile = join(stateDir, 'npm-start.pid');
const running = existsSync(pidFile) ? readFileSync(pidFile, 'utf8').trim().split(' ') : [];
if (running[0] && isAlive(Number(running[0]))) {
  console.error(
    `rcm-hub: another npm start (pid ${running[0]}, PORT ${running[1]}, ODOO_SANDBOX_PORT ${running[2]}) runs on this folder's data (.rcm-hub): stop it first (Ctrl-C); a second clone needs other ports, e.g. PORT=${Number(running[1]) + 1} ODOO_SANDBOX_PORT=${Number(running[2]) + 1} npm start`,
  );
  process.exit(1);
}
if (fresh)
  console.log(
    `--fresh: wiping ${stateDir} (local tables, queues, uploads, Odoo sandbox data, development client, token key)`,
  );
const odoo = process.env.ODOO_URL
  ? {
      url: process.env.ODOO_URL,
      db: required('ODOO_DB'),
      login: required('ODOO_USER'),
      apiKey: required('ODOO_API_KEY'),
      protocol: process.env.ODOO_PROTOCOL === 'json2' ? ('json2' as const) : ('jsonrpc' as const),
    }
  : undefined;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

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
  stateDir,
  odoo,
  // A shorter redelivery wait for rehearsals (the chaos suite); AWS keeps 6 × the writer's timeout.
  ...(process.env.RCM_ODOO_WRITE_VISIBILITY_SECONDS
    ? { odooWriteQueue: { visibilityTimeoutSeconds: Number(process.env.RCM_ODOO_WRITE_VISIBILITY_SECONDS) } }
    : {}),
  port: Number(process.env.PORT ?? 3000),
  // The scheduled reconciliation (docs/reconciliation.md); 0 turns it off.
  reconciliationEveryMinutes: Number(process.env.RCM_LOCAL_RECONCILIATION_MINUTES ?? 60),
  triageSchedules: true,
}).catch((error: unknown) => {
  if (!(error instanceof PortInUseError)) throw error;
  console.error(`rcm-hub: ${error.message}`);
  process.exit(1);
});
const { clientId, clientSecret } = hub.developmentClient;
// The development client for a shell: `source` it (owner-only, it holds the secret) instead of copying it.
const clientFile = join(hub.stateDir, 'dev-client.env');
const exports = [
  `export API=${hub.baseUrl}`,
  `export TOKEN_URL=${hub.baseUrl}/oauth2/token`,
  `export CLIENT_ID=${clientId}`,
  `export CLIENT_SECRET='${clientSecret}'`,
];
writeFileSync(clientFile, `${exports.join('\n')}\n`, { mode: 0o600 });
writeFileSync(
  pidFile,
  `${process.pid} ${new URL(hub.baseUrl).port} ${hub.odooSandbox ? new URL(hub.odooUrl).port : '-'}\n`,
);
process.once('exit', () => rmSync(pidFile, { force: true }));
const shown = relative(process.cwd(), clientFile);
console.log(`
rcm-hub is running (stage local)
  API          ${hub.baseUrl}          (health: ${hub.baseUrl}/health)
  Odoo         ${hub.odooUrl}${hub.odooSandbox ? '   (sandbox: db rcm, user admin, key admin)' : ''}
  DynamoDB     ${hub.dynamodbEndpoint}  (dynalite, data in ${hub.stateDir})

  The development client, for your shell (also in ${shown.startsWith('..') ? clientFile : shown}, mode 0600: source it):
    ${exports.join('\n    ')}
  Then a token:
    TOKEN=$(curl -s -u "$CLIENT_ID:$CLIENT_SECRET" -d grant_type=client_credentials "$TOKEN_URL" | node -pe 'JSON.parse(require("fs").readFileSync(0, "utf8")).access_token')
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
