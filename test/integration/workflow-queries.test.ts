import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hub } from '../../local/runtime.js';
import { accessToken, invoiceRequest, odoo, startTestHub } from './support/hub.js';

/** Issue #3: where each encounter stands — lists by state/payer/facility/age, master data crosswalk, held events. */
let hub: Hub;
let token: string;
const run = Date.now();

beforeAll(async () => {
  hub = await startTestHub({ heldEventMaxAgeSeconds: 1 });
  token = await accessToken(hub);
});

afterAll(async () => {
  await hub?.close();
});

async function call(method: string, path: string, body?: unknown, key?: string) {
  const response = await fetch(`${hub.baseUrl}${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${token}`,
      ...(body
        ? {
            'Content-Type': 'application/json',
            'Idempotency-Key': key ?? `key-${Math.random().toString(36).slice(2)}`,
          }
        : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

describe('listing workflows', () => {
  const posted = `ENC-Q-POSTED-${run}`;
  const rejected = `ENC-Q-REJECTED-${run}`;
  const charged = `ENC-Q-CHARGED-${run}`;

  beforeAll(async () => {
    await call(
      'POST',
      '/v1/invoices',
      invoiceRequest({ encounterId: posted, invoiceId: `INV-Q-1-${run}`, facilityId: 'FAC-EAST' }),
    );
    await call(
      'POST',
      '/v1/invoices',
      invoiceRequest({ encounterId: rejected, invoiceId: `INV-Q-2-${run}`, facilityId: 'FAC-WEST' }),
    );
    await call('POST', '/v1/charges', {
      chargeId: `CHG-Q-3-${run}`,
      encounterId: charged,
      facilityId: 'FAC-WEST',
      patientId: 'PAT-Q-3',
      lines: [
        {
          code: '99213',
          codeSystem: 'CPT',
          units: 1,
          amount: '125.00',
          serviceDate: '2026-11-30',
          renderingProviderNpi: '1234567893',
        },
      ],
    });
    await hub.waitForIdle();
    await call('POST', '/v1/claims', {
      claimId: `CLM-Q-2-${run}`,
      encounterId: rejected,
      facilityId: 'FAC-WEST',
      payerId: 'PAYER-ACME-HEALTH',
      invoiceIds: [`INV-Q-2-${run}`],
      billedAmount: '145.50',
      submittedDate: '2026-11-30',
    });
    await hub.waitForIdle();
    await call('POST', '/v1/claim-statuses', {
      statusId: `STS-Q-2-${run}`,
      claimId: `CLM-Q-2-${run}`,
      encounterId: rejected,
      facilityId: 'FAC-WEST',
      status: 'rejected',
      payerCodes: [{ category: 'A7', code: '562', entity: '85' }],
      effectiveDate: '2026-11-30',
    });
    await hub.waitForIdle();
  });

  it('by state finds the encounters in that state only', async () => {
    const issued = await call('GET', '/v1/workflows?state=invoice_issued');
    const pending = await call('GET', '/v1/workflows?state=exception_pending');
    const ready = await call('GET', '/v1/workflows?state=charge_ready');

    expect(issued.body.items.map((w: { encounterId: string }) => w.encounterId)).toContain(posted);
    expect(pending.body.items.map((w: { encounterId: string }) => w.encounterId)).toEqual([rejected]);
    expect(ready.body.items.map((w: { encounterId: string }) => w.encounterId)).toContain(charged);
    for (const w of issued.body.items) expect(w.state).toBe('invoice_issued');
  });

  it('by facility and by payer narrows the list, and every summary carries its money', async () => {
    const west = await call('GET', '/v1/workflows?facilityId=FAC-WEST');
    const acme = await call('GET', '/v1/workflows?payerId=PAYER-ACME-HEALTH&state=exception_pending');

    expect(west.body.items.map((w: { encounterId: string }) => w.encounterId).sort()).toEqual(
      [charged, rejected].sort(),
    );
    expect(acme.body.items).toHaveLength(1);
    expect(acme.body.items[0].money).toMatchObject({
      billedCents: 14_550,
      paidCents: 0,
      openBalanceCents: 14_550,
    });
  });

  it('pages with a cursor until every encounter was seen once', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await call('GET', `/v1/workflows?limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(1);
      seen.push(...page.body.items.map((w: { encounterId: string }) => w.encounterId));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(expect.arrayContaining([posted, rejected, charged]));
  });

  it('olderThan keeps only encounters stuck in their state at least that long', async () => {
    const stuck = await call('GET', '/v1/workflows?state=invoice_issued&olderThan=PT1H');
    expect(stuck.body.items).toEqual([]);
  });

  it('refuses a bad query with the parameter named', async () => {
    const badState = await call('GET', '/v1/workflows?state=lost');
    const badCursor = await call('GET', '/v1/workflows?cursor=not-ours');
    const badAge = await call('GET', '/v1/workflows?olderThan=yesterday');

    expect(badState.status).toBe(400);
    expect(badState.body.errors[0].path).toBe('query:state');
    expect(badCursor.status).toBe(400);
    expect(badAge.body.errors[0].path).toBe('query:olderThan');
  });
});

describe('master data', () => {
  it('a patient is upserted as an Odoo partner; an older update from another source loses', async () => {
    const patientId = `PAT-MD-${run}`;
    await call('PUT', `/v1/patients/${patientId}`, {
      name: 'Grace Patient',
      sourceSystem: 'ehr',
      sourceUpdatedAt: '2026-11-30T10:00:00Z',
    });
    await hub.waitForIdle();
    await call('PUT', `/v1/patients/${patientId}`, {
      name: 'G. Patient',
      sourceSystem: 'billing',
      sourceUpdatedAt: '2026-11-29T10:00:00Z',
    });
    await hub.waitForIdle();

    const view = await call('GET', `/v1/patients/${patientId}`);
    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({
      patientId,
      odooRef: `rcm:patient:${patientId}`,
      sourceSystem: 'ehr',
      version: 1,
    });
    expect(view.body).not.toHaveProperty('name');
    const [record] = await odoo<Array<{ name: string; ref: string }>>(
      hub,
      'res.partner',
      'read',
      [[view.body.odooPartnerId]],
      {
        fields: ['name', 'ref'],
      },
    );
    expect(record).toMatchObject({ name: 'Grace Patient', ref: `rcm:patient:${patientId}` });
  });
});

describe('events that arrive before what they depend on', () => {
  it('are held, and a person is told when one waits longer than the limit', async () => {
    const encounterId = `ENC-Q-HELD-${run}`;
    const remittance = {
      remittanceId: `ERA-Q-${run}`,
      encounterId,
      facilityId: 'FAC-EAST',
      claimId: `CLM-NEVER-${run}`,
      payerId: 'PAYER-ACME-HEALTH',
      payerClaimControlNumber: `PCCN-Q-${run}`,
      claimStatus: '1',
      billedAmount: '100.00',
      paidAmount: '80.00',
      adjustments: [{ group: 'CO', reason: '45', amount: '20.00' }],
      payment: { traceNumber: `TRN-Q-${run}`, method: 'ACH', date: '2026-11-30' },
    };
    await call('POST', '/v1/remittances', remittance);
    await hub.waitForIdle();
    const first = await call('GET', `/v1/workflows/${encounterId}`);

    await new Promise((resolve) => setTimeout(resolve, 1_200));
    await call('POST', '/v1/charges', {
      chargeId: `CHG-Q-HELD-${run}`,
      encounterId,
      facilityId: 'FAC-EAST',
      patientId: 'PAT-Q-HELD',
      lines: [
        {
          code: '99213',
          codeSystem: 'CPT',
          units: 1,
          amount: '100.00',
          serviceDate: '2026-11-30',
          renderingProviderNpi: '1234567893',
        },
      ],
    });
    await hub.waitForIdle();
    const later = await call('GET', `/v1/workflows/${encounterId}`);

    expect(first.body.held).toEqual([
      expect.objectContaining({ type: 'RemittanceReceived', waitingFor: `claim CLM-NEVER-${run}` }),
    ]);
    expect(first.body.openExceptions).toBe(0);
    expect(later.body.held).toHaveLength(1);
    expect(later.body.state).toBe('exception_pending');
    expect(later.body.exceptions).toEqual([
      expect.objectContaining({
        team: 'integration',
        amountCents: 8_000,
        reason: expect.stringContaining(`claim CLM-NEVER-${run}`),
      }),
    ]);
  });
});
