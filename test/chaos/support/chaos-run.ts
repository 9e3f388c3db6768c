import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startOdooSandbox } from '../../../local/odoo-sandbox/server.js';
import { type FaultPlan, startFaultProxy } from './fault-proxy.js';

/**
 * A chaos run over the public API only (issue 12): the hub runs as its own process (`bin/local.ts`, as
 * `npm start`), talking to Odoo through a fault proxy; clients post invoices and retry with the same
 * Idempotency-Key as docs/api.md tells them; the hub is killed with SIGKILL mid-load and started again on its
 * state dir; Odoo is unreachable for a while. Afterwards Odoo (JSON-RPC) and the API are asked what happened.
 */
export interface ChaosOptions {
  invoices: number;
  /** Invoices per encounter, encounters per payer: new payers keep appearing during the run. */
  invoicesPerEncounter: number;
  encountersPerPayer: number;
  /** Parallel clients. */
  clients: number;
  faults: Partial<Pick<FaultPlan, 'rates' | 'delayMs' | 'lateMs'>>;
  /** Odoo unreachable for this long, starting when this share of the invoices is accepted (0 = no outage). */
  outageMs: number;
  outageAt: number;
  /** SIGKILL the hub when this share of the invoices is accepted (undefined = never). */
  killAt?: number;
  /** Give up waiting for the drain after this long. */
  drainTimeoutMs: number;
  /** The hub's Odoo write queue visibility timeout (AWS: 360 s); a message that failed waits this long. */
  visibilitySeconds?: number;
  /** A real Odoo (else a sandbox is started): url, db, login, key. */
  odoo?: { url: string; db: string; login: string; apiKey: string };
  log?: (line: string) => void;
}

export interface ChaosReport {
  invoices: number;
  accepted: number;
  posted: number;
  lost: number;
  duplicatePartners: number;
  duplicateMoves: number;
  deadLettered: number;
  clientRetries: number;
  faultsInjected: Record<string, number>;
  hubKills: number;
  outageSeconds: number;
  loadSeconds: number;
  drainSeconds: number;
}

interface HubProcess {
  child: ChildProcess;
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  /** The last 64 KiB the hub wrote to stderr: what a crash leaves behind. */
  stderrTail: () => string;
}

/** A hub that exits without being killed by the run is a failure of the run, not a slow drain. */
function assertHubAlive(hub: HubProcess | undefined, killing: boolean): void {
  if (!hub || killing) return;
  const { exitCode, signalCode } = hub.child;
  if (exitCode !== null || signalCode !== null)
    throw new Error(
      `the hub exited by itself (code ${exitCode}, signal ${signalCode}); stderr:\n${hub.stderrTail()}`,
    );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const log = options.log ?? (() => undefined);
  const run = Math.random().toString(36).slice(2, 8);
  const stateDir = mkdtempSync(join(tmpdir(), 'rcm-hub-chaos-'));
  const sandbox = options.odoo ? undefined : await startOdooSandbox({ port: 0, fresh: true });
  const odoo = options.odoo ?? {
    url: (sandbox as { url: string }).url,
    db: 'rcm',
    login: 'admin',
    apiKey: 'admin',
  };
  const proxy = await startFaultProxy(odoo.url, { ...options.faults, rates: options.faults.rates ?? {} });
  let hub: HubProcess | undefined;
  let hubKills = 0;
  try {
    hub = await startHubProcess(stateDir, proxy.url, odoo, options.visibilitySeconds);
    let token = await fetchToken(hub);
    const rpc = odooRpc(odoo);

    // Load: invoice i belongs to encounter floor(i / perEncounter), payer floor(encounter / perPayer).
    const ids = Array.from({ length: options.invoices }, (_, i) => i);
    const accepted = new Set<string>();
    let clientRetries = 0;
    let outageStarted = 0;
    let outageEnded = 0;
    let killed = false;
    let killing = false;
    const started = Date.now();
    let next = 0;
    const outageTrigger = options.outageMs > 0 ? Math.floor(options.invoices * options.outageAt) : -1;
    const killTrigger = options.killAt === undefined ? -1 : Math.floor(options.invoices * options.killAt);
    const onAccepted = async () => {
      if (accepted.size === outageTrigger && !outageStarted) {
        outageStarted = Date.now();
        proxy.plan.down = true;
        log(`outage starts (${options.outageMs} ms)`);
        setTimeout(() => {
          proxy.plan.down = false;
          outageEnded = Date.now();
          log('outage ends');
        }, options.outageMs).unref();
      }
      if (accepted.size === killTrigger && !killed && hub) {
        killed = true;
        killing = true;
        hubKills += 1;
        log('kill -9 of the hub');
        hub.child.kill('SIGKILL');
        await new Promise((r) => hub?.child.once('exit', r));
        hub = await startHubProcess(stateDir, proxy.url, odoo, options.visibilitySeconds);
        token = await fetchToken(hub);
        killing = false;
        log('hub restarted');
      }
    };
    const send = async (i: number) => {
      const encounter = Math.floor(i / options.invoicesPerEncounter);
      const payer = Math.floor(encounter / options.encountersPerPayer);
      const invoiceId = `CH-${run}-${i}`;
      const body = {
        invoiceId,
        encounterId: `CH-ENC-${run}-${encounter}`,
        facilityId: 'FAC-CHAOS',
        issueDate: '2026-11-02',
        currency: 'USD',
        billTo: { kind: 'payer', id: `CH-PAYER-${run}-${payer}`, name: `Chaos Payer ${payer}` },
        lines: [
          { code: '99213', codeSystem: 'CPT', description: 'Office visit', quantity: 1, unitPrice: '125.00' },
          {
            code: '36415',
            codeSystem: 'CPT',
            description: 'Venipuncture',
            quantity: 1,
            unitPrice: `${10 + (i % 7)}.25`,
          },
        ],
      };
      const key = `chaos-${run}-${i}`;
      // As docs/api.md says: on a network error, 5xx, 429 or 409-in-progress, resend with the same key.
      for (let attempt = 0; ; attempt += 1) {
        if (attempt > 0) {
          clientRetries += 1;
          await sleep(Math.min(2_000, 100 * 2 ** Math.min(attempt, 5)));
        }
        assertHubAlive(hub, killing);
        try {
          const current = hub as HubProcess;
          const response = await fetch(`${current.baseUrl}/v1/invoices`, {
            method: 'POST',
            headers: {
              Authorization: `Bearer ${token}`,
              'Content-Type': 'application/json',
              'Idempotency-Key': key,
            },
            body: JSON.stringify(body),
            signal: AbortSignal.timeout(10_000),
          });
          await response.text();
          if (response.status === 202 || response.status === 200) break;
          if (response.status === 401) token = await fetchToken(current).catch(() => token);
          if (
            response.status >= 400 &&
            response.status < 500 &&
            ![401, 408, 409, 429].includes(response.status)
          )
            throw new Error(`invoice ${invoiceId} refused with ${response.status}`);
        } catch (error) {
          if ((error as Error).message.includes('refused with')) throw error;
        }
      }
      accepted.add(invoiceId);
      await onAccepted();
    };
    await Promise.all(
      Array.from({ length: options.clients }, async () => {
        while (next < ids.length) {
          const i = next++;
          await send(i);
        }
      }),
    );
    const loadEnded = Date.now();
    log(`load done: ${accepted.size} accepted in ${Math.round((loadEnded - started) / 1000)} s`);
    while (outageStarted && !outageEnded) {
      assertHubAlive(hub, false);
      await sleep(200);
    }

    // Drain: every accepted invoice posted in Odoo (asked of Odoo directly, not of the hub).
    const drainFrom = Math.max(loadEnded, outageEnded);
    const refs = [...accepted];
    let posted = 0;
    while (Date.now() - drainFrom < options.drainTimeoutMs) {
      assertHubAlive(hub, false);
      posted = await countPosted(rpc, refs);
      if (posted >= refs.length) break;
      await sleep(1_000);
    }
    const drainSeconds = (Date.now() - drainFrom) / 1000;
    const moves = await rpc<{ ref: string }[]>(
      'account.move',
      'search_read',
      [
        [
          ['ref', '=like', `CH-${run}-%`],
          ['state', '!=', 'cancel'],
        ],
      ],
      { fields: ['ref'] },
    );
    const partners = await rpc<{ ref: string }[]>(
      'res.partner',
      'search_read',
      [[['ref', '=like', `rcm:payer:CH-PAYER-${run}-%`]]],
      { fields: ['ref'] },
    );
    const deadLettered = await openWriteExceptions(hub as HubProcess, token);
    return {
      invoices: options.invoices,
      accepted: accepted.size,
      posted,
      lost: accepted.size - posted,
      duplicatePartners: partners.length - new Set(partners.map((p) => p.ref)).size,
      duplicateMoves: moves.length - new Set(moves.map((m) => m.ref)).size,
      deadLettered,
      clientRetries,
      faultsInjected: { ...proxy.counts },
      hubKills,
      outageSeconds: outageStarted ? ((outageEnded || Date.now()) - outageStarted) / 1000 : 0,
      loadSeconds: (loadEnded - started) / 1000,
      drainSeconds,
    };
  } finally {
    if (hub && hub.child.exitCode === null && hub.child.signalCode === null) {
      hub.child.kill('SIGTERM');
      await Promise.race([new Promise((r) => hub?.child.once('exit', r)), sleep(15_000)]);
      if (hub.child.exitCode === null && hub.child.signalCode === null) hub.child.kill('SIGKILL');
    }
    await proxy.close();
    await sandbox?.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

async function startHubProcess(
  stateDir: string,
  odooUrl: string,
  odoo: { db: string; login: string; apiKey: string },
  visibilitySeconds = 30,
): Promise<HubProcess> {
  // CHAOS_HUB_NODE_ARGS: extra node flags for the hub only (e.g. a heap limit and a heap snapshot near it).
  const nodeArgs = (process.env.CHAOS_HUB_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', 'bin/local.ts'], {
    env: {
      ...process.env,
      PORT: '0',
      ODOO_URL: odooUrl,
      ODOO_DB: odoo.db,
      ODOO_USER: odoo.login,
      ODOO_API_KEY: odoo.apiKey,
      RCM_STATE_DIR: stateDir,
      RCM_LOCAL_RECONCILIATION_MINUTES: '0',
      RCM_ODOO_WRITE_VISIBILITY_SECONDS: String(visibilitySeconds),
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    err = (err + chunk.toString()).slice(-65_536);
  });
  // A run cut short (a test timeout abandons its promise, so no finally runs) must not leave the hub behind.
  const orphanGuard = () => child.kill('SIGKILL');
  process.once('exit', orphanGuard);
  child.once('exit', () => process.off('exit', orphanGuard));
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const deadline = Date.now() + 120_000;
  while (!out.includes('Ctrl-C to stop')) {
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`hub did not start: ${out}\n${err}`);
    await sleep(100);
  }
  const field = (name: string) => new RegExp(`${name}\\s+(\\S+)`).exec(out)?.[1] as string;
  // The development client as `npm start` leaves it for a shell (dev-client.env, mode 0600).
  const exported = (name: string) =>
    new RegExp(`^export ${name}='?([^'\\n]+)'?$`, 'm').exec(
      readFileSync(join(stateDir, 'dev-client.env'), 'utf8'),
    )?.[1] as string;
  return {
    child,
    baseUrl: field('API'),
    clientId: exported('CLIENT_ID'),
    clientSecret: exported('CLIENT_SECRET'),
    stderrTail: () => err,
  };
}

async function fetchToken(hub: HubProcess): Promise<string> {
  const response = await fetch(`${hub.baseUrl}/oauth2/token`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      Authorization: `Basic ${Buffer.from(`${hub.clientId}:${hub.clientSecret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials' }),
  });
  return ((await response.json()) as { access_token: string }).access_token;
}

type Rpc = <T>(
  model: string,
  method: string,
  args: unknown[],
  kwargs?: Record<string, unknown>,
) => Promise<T>;

function odooRpc(odoo: { url: string; db: string; login: string; apiKey: string }): Rpc {
  let uid: number | undefined;
  const post = async (service: string, method: string, args: unknown[]) => {
    const response = await fetch(`${odoo.url}/jsonrpc`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', method: 'call', params: { service, method, args }, id: 1 }),
    });
    const payload = (await response.json()) as { result?: unknown; error?: { data?: { message?: string } } };
    if (payload.error) throw new Error(`Odoo: ${payload.error.data?.message}`);
    return payload.result;
  };
  return async (model, method, args, kwargs = {}) => {
    uid ??= (await post('common', 'authenticate', [odoo.db, odoo.login, odoo.apiKey, {}])) as number;
    return (await post('object', 'execute_kw', [
      odoo.db,
      uid,
      odoo.apiKey,
      model,
      method,
      args,
      kwargs,
    ])) as never;
  };
}

async function countPosted(rpc: Rpc, refs: string[]): Promise<number> {
  let posted = 0;
  for (let i = 0; i < refs.length; i += 500) {
    const chunk = refs.slice(i, i + 500);
    const rows = await rpc<{ ref: string }[]>(
      'account.move',
      'search_read',
      [
        [
          ['ref', 'in', chunk],
          ['state', '=', 'posted'],
          ['move_type', '=', 'out_invoice'],
        ],
      ],
      { fields: ['ref'] },
    );
    posted += new Set(rows.map((r) => r.ref)).size;
  }
  return posted;
}

/** Writes dead-lettered (open `odoo-write:` exceptions), as the public API shows them. */
async function openWriteExceptions(hub: HubProcess, token: string): Promise<number> {
  let count = 0;
  let cursor: string | undefined;
  do {
    const url = new URL(`${hub.baseUrl}/v1/exceptions`);
    url.searchParams.set('status', 'open');
    if (cursor) url.searchParams.set('cursor', cursor);
    const response = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
    const page = (await response.json()) as { items?: { key?: string }[]; nextCursor?: string };
    count += (page.items ?? []).filter((item) => item.key?.startsWith('odoo-write')).length;
    cursor = page.nextCursor;
  } while (cursor);
  return count;
}
