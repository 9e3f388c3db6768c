import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { OdooBreakerStore } from '../adapters/dynamodb/odoo-breaker-store.js';
import { requiredEnv } from '../adapters/environment.js';
import { jsonResponse } from '../adapters/http/api-request.js';
import { createLogger } from '../adapters/observability.js';
import { OdooClient } from '../adapters/odoo/client.js';
import { OdooConnectionSecret } from '../adapters/secrets/odoo-connection.js';
import { breakerSummary } from '../core/odoo-breaker.js';
import { env } from '../wiring.js';

const logger = createLogger('health');
const dynamodb = new DynamoDBClient({});
const tableName = requiredEnv(env.workflowTable);

/** No auth: says which Odoo and which store are in use, and whether each answers. No PHI, no secrets. */
export const handler = async (): Promise<APIGatewayProxyResult> => {
  const [odoo, store, odooWrites] = await Promise.all([checkOdoo(), checkStore(), checkOdooWrites()]);
  const healthy = odoo.status === 'up' && store.status === 'up';
  return jsonResponse(healthy ? 200 : 503, {
    status: healthy ? 'ok' : 'degraded',
    stage: process.env[env.stage] ?? 'local',
    odoo,
    store,
    odooWrites,
  });
};

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
      const version = await client.serverVersion();
      return {
        status: 'up',
        url: connection.url,
        database: connection.db,
        protocol: connection.protocol,
        serverVersion: version.serverVersion,
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
