import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { requiredEnv } from '../adapters/environment.js';
import { jsonResponse } from '../adapters/http/api-request.js';
import { createLogger } from '../adapters/observability.js';
import { OdooClient } from '../adapters/odoo/client.js';
import { OdooConnectionSecret } from '../adapters/secrets/odoo-connection.js';
import { env } from '../wiring.js';

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
  const [odoo, store] = await Promise.all([checkOdoo(), checkStore()]);
  const healthy = odoo.status === 'up' && store.status === 'up';
  return {
    status: healthy ? 'ok' : 'degraded',
    stage: process.env[env.stage] ?? 'local',
    odoo,
    store,
  };
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
