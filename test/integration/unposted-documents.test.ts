import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hub } from '../../local/runtime.js';
import {
  type ApiCall,
  accessToken,
  apiCaller,
  eventually,
  invoiceRequest,
  sandboxAdmin,
  startTestHub,
} from './support/hub.js';

/**
 * Issue 12: an independent check finds an accepted invoice that has not reached Odoo within its SLA. The SLA
 * sweeper opens an integration exception `unposted:invoice:<id>` for it and clears it once the invoice is in
 * Odoo. The threshold is 0 h here, so the test depends on no clock: any accepted, unbooked invoice is overdue.
 */
let hub: Hub;
let call: ApiCall;

beforeAll(async () => {
  hub = await startTestHub({
    monitoring: {
      thresholds: { invoiceUnpostedHours: 0 },
      alarmPeriodSeconds: 1,
      sweepIntervalSeconds: false,
    },
    odooWriteQueue: { visibilityTimeoutSeconds: 1, maxReceiveCount: 1000 },
  });
  call = apiCaller(hub, await accessToken(hub), 'unposted-it');
});

afterAll(async () => {
  await sandboxAdmin(hub, 'faults', { mode: 'none' }).catch(() => undefined);
  await hub?.close();
});

interface WorkflowBody {
  odoo: { invoices: unknown[] };
  exceptions: { key: string; team: string; reason: string; amountCents: number }[];
  lastOdooError: { kind: string } | null;
}

describe('an accepted invoice that has not reached Odoo', () => {
  it('opens an integration exception at the next sweep, which clears itself once the invoice is posted', async () => {
    // Prepare: Odoo is down when the invoice is accepted
    await sandboxAdmin(hub, 'faults', { mode: 'down' });
    const invoice = invoiceRequest();
    const accepted = await call('POST', '/v1/invoices', invoice);
    expect(accepted.status).toBe(202);
    const path = `/v1/workflows/${invoice.encounterId as string}`;
    await eventually(
      async () => ((await call('GET', path)).body as unknown as WorkflowBody).lastOdooError ?? undefined,
    );

    // Act: the sweeper runs while Odoo is still down
    await hub.runSlaSweep();

    // Assess: the invoice is visible as unposted, with the money at stake and the integration team
    const during = (await call('GET', path)).body as unknown as WorkflowBody;
    expect(during.odoo.invoices).toHaveLength(0);
    expect(during.exceptions).toContainEqual(
      expect.objectContaining({
        key: `unposted:invoice:${invoice.invoiceId as string}`,
        team: 'integration',
        amountCents: 14_550,
        reason: expect.stringContaining('not in Odoo'),
      }),
    );

    // Odoo returns: the invoice is posted, and the next sweep clears the exception
    await sandboxAdmin(hub, 'faults', { mode: 'none' });
    await hub.waitForIdle();
    await hub.runSlaSweep();
    const after = (await call('GET', path)).body as unknown as WorkflowBody;
    expect(after.odoo.invoices).toHaveLength(1);
    expect(after.exceptions.map((e) => e.key)).not.toContain(
      `unposted:invoice:${invoice.invoiceId as string}`,
    );
  });
});
