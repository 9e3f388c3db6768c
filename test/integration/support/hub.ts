import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { type Hub, type HubOptions, startHub } from '../../../local/runtime.js';

/**
 * A hub on random ports with its own state dir: what `npm start` runs, isolated per test file. A state dir it made
 * itself is removed when the hub closes: every test file's tables and queues stayed behind in the temp dir (a
 * full-size month-end leaves 15 GB), until a later run found the disk full. A caller's own dir is the caller's.
 */
export async function startTestHub(options: HubOptions = {}): Promise<Hub> {
  const ownDir = options.stateDir === undefined ? mkdtempSync(join(tmpdir(), 'rcm-hub-it-')) : undefined;
  const hub = await startHub({
    port: 0,
    odooSandboxPort: 0,
    ...(ownDir ? { stateDir: ownDir } : {}),
    fresh: true,
    logLevel: (process.env.IT_LOG_LEVEL as HubOptions['logLevel']) ?? 'SILENT',
    ...options,
  }).catch((error: unknown) => {
    if (ownDir) rmSync(ownDir, { recursive: true, force: true });
    throw error;
  });
  if (!ownDir) return hub;
  const close = hub.close.bind(hub);
  return Object.assign(hub, {
    close: async () => {
      try {
        await close();
      } finally {
        rmSync(ownDir, { recursive: true, force: true });
      }
    },
  });
}

export async function accessToken(hub: Hub, client = hub.developmentClient, scope?: string): Promise<string> {
  const form = new URLSearchParams({ grant_type: 'client_credentials', ...(scope ? { scope } : {}) });
  const response = await fetch(`${hub.baseUrl}/oauth2/token`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      Authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`,
    },
    body: form,
  });
  if (!response.ok) throw new Error(`token endpoint answered ${response.status}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

/** Odoo as finance sees it: JSON-RPC straight to the Odoo the hub uses (sandbox or real). */
export async function odoo<T = unknown>(
  hub: Hub,
  model: string,
  method: string,
  args: unknown[],
  kwargs: Record<string, unknown> = {},
): Promise<T> {
  const response = await fetch(`${hub.odooUrl}/jsonrpc`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      jsonrpc: '2.0',
      method: 'call',
      params: {
        service: 'object',
        method: 'execute_kw',
        args: ['rcm', 2, 'admin', model, method, args, kwargs],
      },
      id: 1,
    }),
  });
  const payload = (await response.json()) as { result?: T; error?: { data?: { message?: string } } };
  if (payload.error) throw new Error(`Odoo error: ${payload.error.data?.message}`);
  return payload.result as T;
}

export async function sandboxAdmin(
  hub: Hub,
  path: string,
  body?: unknown,
  method = 'POST',
): Promise<unknown> {
  const response = await fetch(`${hub.odooUrl}/__sandbox/${path}`, {
    method,
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return response.json();
}

/**
 * Makes the sandbox refuse a payment of `amount` with a serialization failure (a fault a retry fixes), whichever way
 * it is created (payment or register wizard), and clears the call counts so a test counts from here.
 */
export async function failPaymentsRetryably(hub: Hub, amount: number): Promise<void> {
  for (const model of ['account.payment', 'account.payment.register'])
    await sandboxAdmin(hub, 'constraints', {
      model,
      method: 'create',
      field: 'amount',
      equals: amount,
      name: 'psycopg2.errors.SerializationFailure',
      message: 'could not serialize access due to concurrent update',
    });
  await sandboxAdmin(hub, 'stats', undefined, 'DELETE');
}

export async function itemCount(hub: Hub, tableName: string): Promise<number> {
  const client = new DynamoDBClient({ endpoint: hub.dynamodbEndpoint, region: 'us-east-1' });
  try {
    let count = 0;
    let startKey: Record<string, never> | undefined;
    do {
      const out = await client.send(
        new ScanCommand({ TableName: tableName, Select: 'COUNT', ExclusiveStartKey: startKey }),
      );
      count += out.Count ?? 0;
      startKey = out.LastEvaluatedKey as typeof startKey;
    } while (startKey);
    return count;
  } finally {
    client.destroy();
  }
}

export async function eventually<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs = 20_000,
  label = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

let counter = 0;
/** A valid invoice for a payer; override what a test cares about. */
export function invoiceRequest(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  counter += 1;
  return {
    invoiceId: `INV-${Date.now()}-${counter}`,
    encounterId: `ENC-${Date.now()}-${counter}`,
    facilityId: 'FAC-NORTH',
    issueDate: '2026-11-02',
    currency: 'USD',
    billTo: { kind: 'payer', id: 'PAYER-ACME-HEALTH', name: 'Acme Health Plan' },
    lines: [
      {
        code: '99213',
        codeSystem: 'CPT',
        description: 'Office visit, established patient',
        quantity: 1,
        unitPrice: '125.00',
      },
      {
        code: '36415',
        codeSystem: 'CPT',
        description: 'Routine venipuncture',
        quantity: 2,
        unitPrice: '10.25',
      },
    ],
    ...overrides,
  };
}

export interface ApiAnswer {
  status: number;
  body: Record<string, unknown>;
}

/**
 * A partner's JSON calls to the hub with one bearer token: writes get a fresh Idempotency-Key (prefix + a
 * counter) unless the caller passes one; the answer's body is parsed (empty → {}).
 */
export type ApiCall = (method: string, path: string, body?: unknown, key?: string) => Promise<ApiAnswer>;

export function apiCaller(hub: Hub, token: string, keyPrefix: string): ApiCall {
  let keys = 0;
  return async (method, path, body, key) => {
    const response = await fetch(`${hub.baseUrl}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${token}`,
        'Content-Type': 'application/json',
        ...(method === 'GET' ? {} : { 'Idempotency-Key': key ?? `${keyPrefix}-${++keys}-${Date.now()}` }),
      },
      body: method === 'GET' ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };
}
