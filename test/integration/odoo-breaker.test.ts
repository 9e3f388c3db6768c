import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OdooBreakerStore } from '../../lambdas/adapters/dynamodb/odoo-breaker-store.js';
import type { Hub } from '../../local/runtime.js';
import {
  type ApiCall,
  accessToken,
  apiCaller,
  eventually,
  invoiceRequest,
  odoo,
  sandboxAdmin,
  startTestHub,
} from './support/hub.js';

/**
 * Issue 12: a circuit breaker around Odoo. While Odoo is down the writers stop taking messages, so the outage
 * outlasts the whole redelivery window (visibility 10 s × 2 receives here) without dead-lettering anything;
 * intake keeps answering 202; /health says the breaker is open and how big the backlog is; when Odoo returns
 * the probe resumes the writers and everything is posted.
 */
let hub: Hub;
let call: ApiCall;
let token: string;

beforeAll(async () => {
  // 10 s outlasts a batch of writes on a loaded machine (2 s did not: successful writes whose receipt expired
  // mid-batch came back until SQS dead-lettered them — the test's configuration, not the breaker, failed).
  hub = await startTestHub({ odooWriteQueue: { visibilityTimeoutSeconds: 10, maxReceiveCount: 2 } });
  token = await accessToken(hub);
  call = apiCaller(hub, token, 'breaker-it');
});

afterAll(async () => {
  await sandboxAdmin(hub, 'faults', { mode: 'none' }).catch(() => undefined);
  await hub?.close();
});

interface Health {
  odooWrites: { breaker: string; backlog: number | null; summary: string };
}
// The backlog and breaker are operations details: /health/details, scope rcm/operations.read (issue 15).
const health = async (): Promise<Health> =>
  (await (
    await fetch(`${hub.baseUrl}/health/details`, { headers: { Authorization: `Bearer ${token}` } })
  ).json()) as Health;
const dlqCount = () => hub.aws.sqs.messageCount(hub.queueUrls.OdooWriteQueue?.dlqUrl as string);

describe('Odoo down for longer than the redelivery window', () => {
  it('dead-letters nothing, keeps answering 202, reports the backlog, and drains when Odoo returns', async () => {
    await sandboxAdmin(hub, 'faults', { mode: 'down' });
    const invoices = Array.from({ length: 12 }, () => invoiceRequest());
    for (const invoice of invoices) expect((await call('POST', '/v1/invoices', invoice)).status).toBe(202);

    const open = await eventually(
      async () => {
        const h = await health();
        return h.odooWrites.breaker === 'open' && (h.odooWrites.backlog ?? 0) > 0 ? h : undefined;
      },
      60_000,
      'the breaker to open',
    );
    expect(open.odooWrites.summary).toMatch(
      /^Odoo down for \d+ min \(writers paused\), backlog \d+, draining at/,
    );

    // Longer than visibility × maxReceiveCount: without the breaker every message would be dead-lettered now.
    await new Promise((resolve) => setTimeout(resolve, 21_000));
    expect(dlqCount()).toBe(0);
    expect((await call('POST', '/v1/invoices', invoiceRequest())).status).toBe(202);

    await sandboxAdmin(hub, 'faults', { mode: 'none' });
    await eventually(
      async () => ((await health()).odooWrites.breaker === 'closed' ? true : undefined),
      60_000,
    );
    await hub.waitForIdle();
    for (const invoice of invoices) {
      const moves = await odoo<{ state: string }[]>(
        hub,
        'account.move',
        'search_read',
        [[['ref', '=', invoice.invoiceId as string]]],
        { fields: ['state'] },
      );
      expect(moves).toEqual([expect.objectContaining({ state: 'posted' })]);
    }
    expect(dlqCount()).toBe(0);

    // The drain rate's counter (what the probe reads in AWS): the writers counted every message they took.
    const client = new DynamoDBClient({
      endpoint: hub.dynamodbEndpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const drained = await new OdooBreakerStore(client, 'WorkflowTable').drained();
    client.destroy();
    expect(drained).toBeGreaterThanOrEqual(invoices.length + 1);
  });
});
