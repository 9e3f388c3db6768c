import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queues } from '../../lambdas/wiring.js';
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
 * Issue 12: recovery after Odoo returns takes seconds, not the visibility timeout. The queue keeps its real
 * 360 s visibility timeout and no retry delay is configured (as in AWS): the messages that failed as the
 * breaker opened come back at the next probe (ChangeMessageVisibility, lambdas/handlers/odoo-writer.ts), so
 * everything is posted well before a single visibility timeout has passed.
 */
let hub: Hub;
let call: ApiCall;
let token: string;

beforeAll(async () => {
  hub = await startTestHub();
  token = await accessToken(hub);
  call = apiCaller(hub, token, 'breaker-recovery-it');
});

const breaker = async (): Promise<string> =>
  (
    (await (
      await fetch(`${hub.baseUrl}/health/details`, { headers: { Authorization: `Bearer ${token}` } })
    ).json()) as { odooWrites: { breaker: string } }
  ).odooWrites.breaker;

afterAll(async () => {
  await sandboxAdmin(hub, 'faults', { mode: 'none' }).catch(() => undefined);
  await hub?.close();
});

const posted = async (invoiceId: string) =>
  (
    await odoo<{ state: string }[]>(hub, 'account.move', 'search_read', [[['ref', '=', invoiceId]]], {
      fields: ['state'],
    })
  ).filter((m) => m.state === 'posted').length;

describe('Odoo comes back while writes wait behind an open breaker', () => {
  it('posts what failed as the breaker opened within seconds, not after the visibility timeout', async () => {
    const visibilityMs = queues.OdooWriteQueue.visibilityTimeoutSeconds * 1000;
    expect(visibilityMs).toBe(360_000);
    await sandboxAdmin(hub, 'faults', { mode: 'down' });
    const invoices = Array.from({ length: 8 }, () => invoiceRequest());
    for (const invoice of invoices) expect((await call('POST', '/v1/invoices', invoice)).status).toBe(202);
    await eventually(
      async () => ((await breaker()) === 'open' ? true : undefined),
      60_000,
      'the breaker to open',
    );

    await sandboxAdmin(hub, 'faults', { mode: 'none' });
    const back = Date.now();
    for (const invoice of invoices)
      await eventually(
        async () => ((await posted(invoice.invoiceId as string)) === 1 ? true : undefined),
        90_000,
        `invoice ${String(invoice.invoiceId)} posted`,
      );
    // Not a timing assertion on a fast machine: 90 s is a quarter of the visibility timeout, the bound only
    // proves the messages did not wait it out.
    expect(Date.now() - back).toBeLessThan(visibilityMs / 4);
    expect(hub.aws.sqs.messageCount(hub.queueUrls.OdooWriteQueue?.dlqUrl as string)).toBe(0);

    // Operators were told, on the integration topic, in words: down with the backlog, then back.
    const told = await eventually(
      async () => {
        const messages = hub.sns.messages('integration').filter((m) => m.Subject.startsWith('Odoo '));
        return messages.length >= 2 ? messages : undefined;
      },
      30_000,
      'the probe to tell the integration topic',
    );
    expect(told[0]?.Subject).toBe('Odoo down: Odoo writes paused');
    expect(told[0]?.Message).toMatch(
      /^Odoo down for \d+ min \(writers paused\), backlog \d+, draining at [\d.]+\/s/,
    );
    expect(told[1]?.Subject).toBe('Odoo back: Odoo writes resumed');
    expect(told[1]?.Message).toMatch(/^Odoo up, backlog \d+, draining at [\d.]+\/s/);
  });
});
