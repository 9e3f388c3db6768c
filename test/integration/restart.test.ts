import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Hub } from '../../local/runtime.js';
import { accessToken, invoiceRequest, odoo, startTestHub } from './support/hub.js';

/** POSTs an invoice under a key of its own: the same call again is a retry. */
async function postInvoice(hub: Hub, invoice: ReturnType<typeof invoiceRequest>) {
  const response = await fetch(`${hub.baseUrl}/v1/invoices`, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${await accessToken(hub)}`,
      'Content-Type': 'application/json',
      'Idempotency-Key': `key-${invoice.invoiceId}`,
    },
    body: JSON.stringify(invoice),
  });
  return { status: response.status, body: await response.json() };
}

/** Issue #2: `npm start` keeps its data under the state dir, so a restart loses nothing. */
describe('restarting the local hub', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'rcm-hub-restart-'));
  const dirs = [stateDir];
  let hub: Hub | undefined;

  afterAll(async () => {
    await hub?.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('keeps workflows, idempotency records and Odoo data', async () => {
    // Prepare: one invoice posted, then the hub stopped.
    hub = await startTestHub({ stateDir });
    const invoice = invoiceRequest();
    const post = (h: Hub) => postInvoice(h, invoice);
    const first = await post(hub);
    await hub.waitForIdle();
    await hub.close();

    // Act: the same state dir, not fresh.
    hub = await startTestHub({ stateDir, fresh: false });
    const retried = await post(hub);
    await hub.waitForIdle();
    const view = await fetch(`${hub.baseUrl}/v1/workflows/${invoice.encounterId}`, {
      headers: { Authorization: `Bearer ${await accessToken(hub)}` },
    }).then((r) => r.json() as Promise<{ state: string; timeline: unknown[] }>);

    // Assess
    expect(retried).toEqual(first);
    expect(view.state).toBe('invoice_issued');
    expect(view.timeline).toHaveLength(2);
    expect(await odoo<number>(hub, 'account.move', 'search_count', [[['ref', '=', invoice.invoiceId]]])).toBe(
      1,
    );
  });

  it('keeps its tables with DynamoDB in a process of its own, which frees them when the hub closes', async () => {
    // Prepare: the month-end bench's setting (dynalite apart); one invoice, then the hub stopped.
    await hub?.close();
    const dir = mkdtempSync(join(tmpdir(), 'rcm-hub-restart-dynamodb-'));
    dirs.push(dir);
    hub = await startTestHub({ stateDir: dir, dynamoDbProcess: true });
    const invoice = invoiceRequest({ invoiceId: 'INV-DYNAMO-APART-1', encounterId: 'ENC-DYNAMO-APART-1' });
    const post = (h: Hub) => postInvoice(h, invoice);
    const first = await post(hub);
    await hub.waitForIdle();
    await hub.close();

    // Act: a new hub on the same tables (LevelDB refuses a second opener while the first child holds them).
    hub = await startTestHub({ stateDir: dir, fresh: false, dynamoDbProcess: true });
    const retried = await post(hub);
    await hub.waitForIdle();
    const view = await fetch(`${hub.baseUrl}/v1/workflows/${invoice.encounterId}`, {
      headers: { Authorization: `Bearer ${await accessToken(hub)}` },
    }).then((r) => r.json() as Promise<{ state: string }>);

    // Assess
    expect(first.status).toBe(202);
    expect(retried).toEqual(first);
    expect(view.state).toBe('invoice_issued');
  });

  it('gives a second hub in the same process its own Odoo and AWS endpoints (no secret cached across hubs)', async () => {
    // The hub above wrote to its own Odoo sandbox; this one has another sandbox and another local AWS.
    await hub?.close();
    hub = await startTestHub();
    const invoice = invoiceRequest({ invoiceId: 'INV-SECOND-HUB-1', encounterId: 'ENC-SECOND-HUB-1' });
    const response = await fetch(`${hub.baseUrl}/v1/invoices`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${await accessToken(hub)}`,
        'Content-Type': 'application/json',
        'Idempotency-Key': 'key-second-hub-0001',
      },
      body: JSON.stringify(invoice),
    });
    expect(response.status).toBe(202);
    await hub.waitForIdle();
    expect(await odoo<number>(hub, 'account.move', 'search_count', [[['ref', '=', invoice.invoiceId]]])).toBe(
      1,
    );
  });
});
