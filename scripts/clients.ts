/**
 * `npm run clients -- add NAME --role ROLE --facility F [--facility F2] [--payer P] [--team T]`
 * `npm run clients -- revoke NAME` · `npm run clients -- list`
 * Registers local OAuth clients in the partner registry of the local hub's state dir (default `.rcm-hub`,
 * or `--state-dir`/RCM_STATE_DIR), the same one `npm start` uses. `add` prints the client id and secret as
 * JSON; a running hub honours the change on the next request (docs/security.md#local-clients).
 */
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ALL, PartnerClient, ROLES } from '../lambdas/core/partners.js';
import { addClient, readRegistry, revokeClient } from '../local/clients.js';

// The AWS SDK's notice about Node 20 (README, The two commands): silenced by its own switch.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    role: { type: 'string' },
    facility: { type: 'string', multiple: true },
    payer: { type: 'string', multiple: true },
    team: { type: 'string', multiple: true },
    'state-dir': { type: 'string' },
  },
});
const [command, name] = positionals;
const stateDir = resolve(
  values['state-dir'] ??
    process.env.RCM_STATE_DIR ??
    join(dirname(fileURLToPath(import.meta.url)), '..', '.rcm-hub'),
);
mkdirSync(stateDir, { recursive: true });

function fail(message: string): never {
  console.error(`clients: ${message}`);
  console.error(
    `usage: npm run clients -- add NAME --role (${ROLES.filter((r) => r !== 'developer').join('|')}) --facility F|'*' [--payer P] [--team T]\n       npm run clients -- revoke NAME\n       npm run clients -- list`,
  );
  process.exit(2);
}

if (command === 'add') {
  if (!name) fail('add needs a NAME');
  const facilities = values.facility ?? [];
  const entry = PartnerClient.omit({ clientId: true }).safeParse({
    name,
    role: values.role,
    facilities: facilities.includes(ALL) ? ALL : facilities,
    ...(values.payer ? { payers: values.payer } : {}),
    ...(values.team ? { teams: values.team } : {}),
  });
  if (!entry.success) fail(entry.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  if (entry.data.role === 'developer') fail('the developer role is the built-in dev client only');
  if (entry.data.role === 'partner' && entry.data.facilities === ALL)
    fail('a partner client must be bound to named facilities');
  try {
    console.log(JSON.stringify(addClient(stateDir, entry.data), null, 2));
  } catch (error) {
    fail((error as Error).message);
  }
} else if (command === 'revoke') {
  if (!name) fail('revoke needs a NAME');
  const revoked = revokeClient(stateDir, name);
  if (!revoked) fail(`no client named ${name}`);
  console.log(JSON.stringify({ revoked: revoked.name, clientId: revoked.clientId }));
} else if (command === 'list') {
  console.log(JSON.stringify(readRegistry(stateDir), null, 2));
} else {
  fail(`unknown command ${command ?? '(none)'}`);
}
