import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hub } from '../../local/runtime.js';
import { seedClaimThroughApi } from './support/claims.js';
import {
  type ApiCall,
  accessToken,
  apiCaller,
  eventually,
  sandboxAdmin,
  startTestHub,
} from './support/hub.js';

/**
 * Issue 13: the workflow view's `lastOdooError` says what is wrong now. Once a redelivery of the event that
 * failed goes through, it is gone — for every kind of event, not only invoices.
 */
let hub: Hub;
let call: ApiCall;

beforeAll(async () => {
  hub = await startTestHub({
    monitoring: { sweepIntervalSeconds: false },
    odooWriteQueue: { visibilityTimeoutSeconds: 1, maxReceiveCount: 1000 },
  });
  call = apiCaller(hub, await accessToken(hub), 'odoo-error-cleared');
});

afterAll(async () => {
  await sandboxAdmin(hub, 'faults', { mode: 'none' }).catch(() => undefined);
  await hub?.close();
});

describe('a remittance booked after Odoo failed on it', () => {
  it('leaves no lastOdooError on the workflow once a retry booked it', async () => {
    // Prepare: a claimed invoice in Odoo; Odoo goes down while the payer's remittance arrives.
    const encounterId = await seedClaimThroughApi(call, {
      claimId: 'C-OEC-1',
      billedCents: 150_000,
      prefix: 'OEC',
      payerId: 'PAYER-OEC',
      payerName: 'Odoo Error Cleared Payer',
    });
    await hub.waitForIdle();
    await sandboxAdmin(hub, 'faults', { mode: 'down' });
    const accepted = await call('POST', '/v1/remittances', {
      remittanceId: 'ERA-OEC-1',
      encounterId,
      facilityId: 'FAC-OEC',
      claimId: 'C-OEC-1',
      payerId: 'PAYER-OEC',
      payerClaimControlNumber: 'PCN-OEC-1',
      claimStatus: '1',
      billedAmount: '1500.00',
      paidAmount: '1234.56',
      adjustments: [{ group: 'CO', reason: '45', amount: '265.44' }],
      payment: { traceNumber: 'TRN-OEC-1', method: 'ACH', date: '2026-11-30' },
    });
    const failing = await eventually(
      async () => {
        const workflow = await call('GET', `/v1/workflows/${encounterId}`);
        return workflow.body.lastOdooError ? workflow.body : undefined;
      },
      20_000,
      'the writer to fail against Odoo',
    );

    // Act: Odoo is back; the redelivery books the remittance.
    await sandboxAdmin(hub, 'faults', { mode: 'none' });
    await hub.waitForIdle();

    // Assess
    expect(accepted.status).toBe(202);
    expect(failing.lastOdooError).toMatchObject({ kind: 'transient' });
    const after = await call('GET', `/v1/workflows/${encounterId}`);
    expect(after.body.state).not.toBe('claim_submitted');
    const timeline = after.body.timeline as Array<{ type: string }>;
    expect(timeline.map((e) => e.type)).toContain('RemittancePosted');
    expect(after.body.lastOdooError).toBeNull();
  });
});
