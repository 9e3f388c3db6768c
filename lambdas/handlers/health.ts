import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { OdooBreakerStore } from '../adapters/dynamodb/odoo-breaker-store.js';
import { requiredEnv } from '../adapters/environment.js';
import { jsonResponse } from '../adapters/http/json-response.js';
import { createLogger } from '../adapters/observability.js';
import { ensureHubSetup, ledgerSetupFromEnv, type SetupReport } from '../adapters/odoo/accounts.js';
import { OdooClient } from '../adapters/odoo/client.js';
import { OdooConnectionSecret } from '../adapters/secrets/odoo-connection.js';
import { breakerSummary } from '../core/odoo-breaker.js';
import { env } from '../env.js';

const logger = createLogger('health');
const dynamodb = new DynamoDBClient({});
const tableName = requiredEnv(env.workflowTable);

/**
 * `GET /health` is open (load balancers, uptime probes) and says only up or down (issue #15: it once showed
 * the Odoo URL, database, versions, table and Odoo's error text to anyone). `GET /health/details` carries the
 * whole report and needs the `rcm/operations.read` scope at the gateway: every detail lives in
 * `healthReport`, which only that route returns.
 */
export const handler = async (event?: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
  const report = await healthReport();
  const statusCode = report.status === 'ok' ? 200 : 503;
  if (event?.resource === '/health/details') return jsonResponse(statusCode, report);
  return jsonResponse(statusCode, { status: report.status === 'ok' ? 'up' : 'down' });
};

/** The detailed report (operations only): which Odoo and store are in use, and whether each answers. */
async function healthReport() {
  const [odoo, store, odooWrites] = await Promise.all([checkOdoo(), checkStore(), checkOdooWrites()]);
  const healthy = odoo.status === 'up' && store.status === 'up';
  return {
    status: healthy ? 'ok' : 'degraded',
    stage: process.env[env.stage] ?? 'local',
    odoo,
    store,
    odooWrites,
  };
}

// --- issue 12: the Odoo circuit breaker and the write backlog ("Odoo down, backlog N, draining at R/s") ---
let breakerStore: OdooBreakerStore | undefined;

async function checkOdooWrites() {
  try {
    breakerStore ??= new OdooBreakerStore(dynamodb, tableName);
    const { state, backlog } = await breakerStore.read();
    const now = Date.now();
    return {
      breaker: state.status,
      since: new Date(state.since).toISOString(),
      ...(state.status === 'open' ? { nextProbeAt: new Date(state.nextProbeAt).toISOString() } : {}),
      backlog: backlog?.backlog ?? null,
      drainingPerSecond: backlog?.drainPerSecond ?? null,
      backlogObservedAt: backlog ? new Date(backlog.observedAt).toISOString() : null,
      summary: breakerSummary(state, backlog?.backlog ?? 0, backlog?.drainPerSecond ?? 0, now),
    };
  } catch (error) {
    return { breaker: 'unknown', error: (error as Error).name };
  }
}

let odooSecret: OdooConnectionSecret | undefined;

async function checkOdoo() {
  try {
    odooSecret ??= new OdooConnectionSecret(requiredEnv(env.odooSecret));
    const connection = await odooSecret.load();
    const client = new OdooClient(connection, { timeoutMs: 3000 });
    try {
      // The dialect, not only the version: JSON-2 against 17 or an unsupported version reads as down, with why.
      const { version } = await client.dialect();
      return {
        status: 'up',
        url: connection.url,
        database: connection.db,
        protocol: connection.protocol,
        serverVersion: version.serverVersion,
        setup: await setupDetail(client, JSON.stringify(connection)),
      };
    } catch (error) {
      return {
        status: 'down',
        url: connection.url,
        database: connection.db,
        protocol: connection.protocol,
        error: (error as Error).message,
      };
    }
  } catch (error) {
    logger.warn('odoo connection secret unreadable', { error: error as Error });
    return { status: 'down', error: 'Odoo connection secret unreadable' };
  }
}

/**
 * Whether Odoo is ready for the hub (docs/operations.md#odoo-setup): every account and journal it books to
 * found by its rcm_hub external id, verified with the hub's own key (nothing is created here). Names only
 * external ids and codes, no data; cached a minute per connection so probes do not load Odoo.
 */
let setupCache: { key: string; at: number; detail: { ready: boolean; missing: string[] } } | undefined;

async function setupDetail(client: OdooClient, key: string) {
  if (setupCache?.key === key && Date.now() - setupCache.at < 60_000) return setupCache.detail;
  try {
    const report: SetupReport = await ensureHubSetup(client, ledgerSetupFromEnv(), { create: false });
    const detail = {
      ready: report.ready,
      missing: report.records.flatMap((r) => (r.problem ? [r.problem] : [])),
    };
    setupCache = { key, at: Date.now(), detail };
    return detail;
  } catch (error) {
    return { ready: false, missing: [`could not verify: ${(error as Error).message}`] };
  }
}

async function checkStore() {
  const endpoint = process.env.AWS_ENDPOINT_URL_DYNAMODB ?? 'aws';
  try {
    await dynamodb.send(
      new GetItemCommand({ TableName: tableName, Key: { pk: { S: 'HEALTH' }, sk: { S: 'HEALTH' } } }),
    );
    return { status: 'up', kind: 'dynamodb', endpoint, table: tableName };
  } catch (error) {
    return { status: 'down', kind: 'dynamodb', endpoint, table: tableName, error: (error as Error).name };
  }
}
