import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type PartnerClient, PartnerRegistry } from '../lambdas/core/partners.js';
import { roleScopes } from '../lambdas/wiring.js';
import type { ClientRegistration } from './auth.js';

/**
 * The local partner registry (docs/security.md#local-clients): `partners.json` under the state dir is the
 * registry the handlers read (PARTNER_REGISTRY_FILE, no secrets), `client-secrets.json` what the local token
 * endpoint checks. `npm run clients -- add|revoke|list` edits both; a running hub sees the change at once.
 */
export const registryFile = (stateDir: string) => join(stateDir, 'partners.json');
const secretsFile = (stateDir: string) => join(stateDir, 'client-secrets.json');

export function readRegistry(stateDir: string): PartnerClient[] {
  const file = registryFile(stateDir);
  return existsSync(file) ? PartnerRegistry.parse(JSON.parse(readFileSync(file, 'utf8'))) : [];
}

function readSecrets(stateDir: string): Record<string, string> {
  const file = secretsFile(stateDir);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>) : {};
}

/** Whole-file replace (write then rename): a handler never reads half a registry. */
function writeJson(file: string, value: unknown): void {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(value, null, 2), { mode: 0o600 });
  renameSync(temporary, file);
}

function writeRegistry(stateDir: string, clients: PartnerClient[]): void {
  writeJson(registryFile(stateDir), PartnerRegistry.parse(clients));
}

/** Adds (or replaces, by client id) a registry entry without a secret: the dev client and test clients. */
export function putRegistryEntry(stateDir: string, client: PartnerClient): void {
  writeRegistry(stateDir, [...readRegistry(stateDir).filter((c) => c.clientId !== client.clientId), client]);
}

export interface AddedClient {
  clientId: string;
  clientSecret: string;
  name: string;
  role: PartnerClient['role'];
  facilities: PartnerClient['facilities'];
  payers?: string[];
  scopes: readonly string[];
}

export function addClient(stateDir: string, entry: Omit<PartnerClient, 'clientId'>): AddedClient {
  const registry = readRegistry(stateDir);
  if (registry.some((c) => c.name === entry.name))
    throw new Error(`a client named ${entry.name} is registered already (revoke it first)`);
  const clientId = `${entry.name}-${randomUUID().slice(0, 8)}`;
  const clientSecret = randomBytes(24).toString('base64url');
  const client: PartnerClient = { clientId, ...entry };
  writeRegistry(stateDir, [...registry, client]);
  writeJson(secretsFile(stateDir), { ...readSecrets(stateDir), [clientId]: clientSecret });
  return {
    clientId,
    clientSecret,
    name: client.name,
    role: client.role,
    facilities: client.facilities,
    ...(client.payers ? { payers: client.payers } : {}),
    scopes: roleScopes[client.role],
  };
}

/** Removes the client: its tokens stop working on the next call, its subscriptions stop delivering. */
export function revokeClient(stateDir: string, name: string): PartnerClient | undefined {
  const registry = readRegistry(stateDir);
  const revoked = registry.find((c) => c.name === name);
  if (!revoked) return undefined;
  writeRegistry(
    stateDir,
    registry.filter((c) => c !== revoked),
  );
  const { [revoked.clientId]: _gone, ...secrets } = readSecrets(stateDir);
  writeJson(secretsFile(stateDir), secrets);
  return revoked;
}

/** Token-endpoint view of the registered clients: secret and the role's scope bundle. */
export function registeredClient(stateDir: string, clientId: string): ClientRegistration | undefined {
  const secret = readSecrets(stateDir)[clientId];
  const entry = readRegistry(stateDir).find((c) => c.clientId === clientId);
  if (!secret || !entry) return undefined;
  return { clientId, clientSecret: secret, scopes: [...roleScopes[entry.role]] };
}
