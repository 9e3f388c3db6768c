import { exec } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { OdooClient } from '../../../lambdas/adapters/odoo/client.js';
import type { OdooTarget as HubOdooTarget } from '../../../local/runtime.js';
import { type SandboxProcess, startSandboxProcess } from '../../integration/support/odoo-sandbox-process.js';

type OdooTarget = HubOdooTarget & { protocol: 'jsonrpc' | 'json2' };

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * The Odoo the conformance suite runs against, named by the environment exactly as the hub is configured:
 *  - ODOO_URL, ODOO_DB, ODOO_USER, ODOO_API_KEY (an administrator: setup and finance's reads),
 *    ODOO_PROTOCOL (jsonrpc | json2), ODOO_INTEGRATION_USER / ODOO_INTEGRATION_API_KEY (what the hub runs as;
 *    default: the administrator), ODOO_RESTART_COMMAND (a shell command that restarts that Odoo);
 *  - without ODOO_URL (or outside `npm run test:odoo`): the hub's own Odoo sandbox, started here as its own program with a data file, so a
 *    restart is a real stop and start that keeps the data, as for a real server.
 */
export interface OdooUnderTest {
  kind: 'real' | 'sandbox';
  /** The administrator: runs the hub's setup and reads the books as finance would. */
  admin: OdooTarget;
  /** What the hub connects as. */
  hub: OdooTarget;
  /** The administrator's client (JSON-RPC or JSON-2, as ODOO_PROTOCOL says). */
  reader: OdooClient;
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function odooUnderTest(): Promise<OdooUnderTest> {
  const env = process.env;
  // `npm test` always uses the sandbox (it needs nothing beside the repository); `npm run test:odoo` the env's.
  if (env.ODOO_URL && env.RCM_CONFORMANCE_ODOO === '1') {
    const protocol = env.ODOO_PROTOCOL === 'json2' ? ('json2' as const) : ('jsonrpc' as const);
    const admin: OdooTarget = {
      url: env.ODOO_URL,
      db: required('ODOO_DB'),
      login: required('ODOO_USER'),
      apiKey: required('ODOO_API_KEY'),
      protocol,
    };
    const hub: OdooTarget = env.ODOO_INTEGRATION_USER
      ? { ...admin, login: env.ODOO_INTEGRATION_USER, apiKey: required('ODOO_INTEGRATION_API_KEY') }
      : admin;
    const restartCommand = env.ODOO_RESTART_COMMAND;
    return {
      kind: 'real',
      admin,
      hub,
      reader: new OdooClient(admin, { timeoutMs: 60_000 }),
      async restart() {
        if (!restartCommand)
          throw new Error('ODOO_RESTART_COMMAND is not set: the suite cannot restart this Odoo');
        await promisify(exec)(restartCommand, { cwd: REPO_ROOT, timeout: 180_000 });
        await waitForOdoo(admin);
      },
      async close() {},
    };
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'rcm-conformance-odoo-'));
  const dataFile = join(dataDir, 'odoo-sandbox.json');
  let running: SandboxProcess | undefined;
  let url = '';
  const start = async (port: number) => {
    running = await startSandboxProcess({ port, dataFile });
    url = running.url;
  };
  const stop = async () => {
    const stopping = running;
    running = undefined;
    await stopping?.stop();
  };
  // A port outside the ephemeral range (32768+): while the sandbox restarts, no other test's port-0 server can
  // be handed its port, so the hub reconnects to its own Odoo, as it would to a restarted real server.
  for (let attempt = 0; !url; attempt++) {
    try {
      await start(20_000 + Math.floor(Math.random() * 10_000));
    } catch (error) {
      if (attempt >= 5) throw error;
    }
  }
  const admin: OdooTarget = { url, db: 'rcm', login: 'admin', apiKey: 'admin', protocol: 'jsonrpc' };
  return {
    kind: 'sandbox',
    admin,
    hub: admin,
    reader: new OdooClient(admin, { timeoutMs: 60_000 }),
    async restart() {
      const port = Number(new URL(url).port);
      await stop();
      await start(port);
    },
    async close() {
      await stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} must be set when ODOO_URL is set`);
  return value;
}

/** After a restart: Odoo answers `version` before its registry is loaded, so wait for a real call to work. */
async function waitForOdoo(target: OdooTarget): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      await new OdooClient(target, { timeoutMs: 10_000 }).call('res.company', 'search', [[]], { limit: 1 });
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((ok) => setTimeout(ok, 500));
    }
  }
}
