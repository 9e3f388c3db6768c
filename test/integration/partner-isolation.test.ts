import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PartnerClient } from '../../lambdas/core/partners.js';
import type { Hub } from '../../local/runtime.js';
import {
  type ApiCall,
  accessToken,
  apiCaller,
  eventually,
  invoiceRequest,
  odoo,
  startTestHub,
} from './support/hub.js';

/**
 * Issue #15: two partner clients A (facility FAC-A) and B (facility FAC-B) on one local hub, and people
 * bound to each facility. B must not read, list, change or be sent anything of A's — on every route family:
 * workflows, master data, every write, FHIR, exceptions, reconciliation and webhook fan-out.
 */
let hub: Hub;
const run = `${Date.now()}`;
const ENC_A = `ENC-A-${run}`;
const ENC_B = `ENC-B-${run}`;
const CLAIM_A = `CLM-A-${run}`;
const ERA_A = `ERA-A-${run}`;
const PATIENT_A = `PAT-A-${run}`;
const PAYER = 'PAYER-ACME-HEALTH';

interface Receiver {
  url: string;
  server: Server;
  received: Array<{ type: string; facilityId?: string; encounterId?: string }>;
}

async function startReceiver(): Promise<Receiver> {
  const received: Receiver['received'] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
    res.writeHead(200).end('ok');
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', () => ok()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`, server, received };
}

async function client(entry: Omit<PartnerClient, 'clientId'>): Promise<{ api: ApiCall; id: string }> {
  const added = hub.registerClient(entry);
  const token = await accessToken(hub, { ...added, scopes: [...added.scopes] });
  return { api: apiCaller(hub, token, entry.name), id: added.clientId };
}

let partnerA: ApiCall;
let partnerB: ApiCall;
let billingA: ApiCall;
let billingB: ApiCall;
let financeA: ApiCall;
let financeB: ApiCall;
let receiverA: Receiver;
let receiverB: Receiver;
const receivers: Receiver[] = [];

function claim(encounterId: string, facilityId: string, invoiceId: string) {
  return {
    claimId: CLAIM_A,
    encounterId,
    facilityId,
    payerId: PAYER,
    invoiceIds: [invoiceId],
    billedAmount: '145.50',
    submittedDate: '2026-11-03',
    claimFrequency: '1',
  };
}

function denial(facilityId: string, statusId: string) {
  return {
    statusId,
    claimId: CLAIM_A,
    encounterId: ENC_A,
    facilityId,
    status: 'denied',
    payerCodes: [{ category: 'F2', code: '96' }],
    effectiveDate: '2026-11-05',
  };
}

async function stateOf(api: ApiCall, encounterId: string, state: string) {
  return eventually(
    async () => {
      const answer = await api('GET', `/v1/workflows/${encounterId}`);
      return answer.body.state === state ? answer.body : undefined;
    },
    20_000,
    `${encounterId} ${state}`,
  );
}

const SUBSCRIBED = ['InvoicePosted', 'ClaimStatusChanged', 'RemittanceReceived', 'ExceptionOpened'];

beforeAll(async () => {
  hub = await startTestHub();
  partnerA = (await client({ name: 'clinic-a', role: 'partner', facilities: ['FAC-A'] })).api;
  partnerB = (await client({ name: 'clinic-b', role: 'partner', facilities: ['FAC-B'] })).api;
  billingA = (await client({ name: 'billing-a', role: 'billing', facilities: ['FAC-A'] })).api;
  billingB = (await client({ name: 'billing-b', role: 'billing', facilities: ['FAC-B'] })).api;
  financeA = (await client({ name: 'finance-a', role: 'finance-operations', facilities: ['FAC-A'] })).api;
  financeB = (await client({ name: 'finance-b', role: 'finance-operations', facilities: ['FAC-B'] })).api;
  receiverA = await startReceiver();
  receiverB = await startReceiver();
  receivers.push(receiverA, receiverB);
  for (const [api, receiver] of [
    [partnerA, receiverA],
    [partnerB, receiverB],
  ] as const) {
    expect(
      (await api('POST', '/v1/subscriptions', { url: receiver.url, eventTypes: SUBSCRIBED })).status,
    ).toBe(201);
  }

  // A's encounter: patient, invoice (posted in Odoo), claim, a denial (an exception), a remittance.
  expect(
    (
      await partnerA('PUT', `/v1/patients/${PATIENT_A}`, {
        name: 'Avery A. Patient',
        sourceSystem: 'ehr',
        sourceUpdatedAt: '2026-11-01T09:00:00Z',
      })
    ).status,
  ).toBe(202);
  const invoiceA = invoiceRequest({ encounterId: ENC_A, facilityId: 'FAC-A' });
  expect((await partnerA('POST', '/v1/invoices', invoiceA)).status).toBe(202);
  await stateOf(partnerA, ENC_A, 'invoice_issued');
  expect(
    (await partnerA('POST', '/v1/claims', claim(ENC_A, 'FAC-A', invoiceA.invoiceId as string))).status,
  ).toBe(202);
  await stateOf(partnerA, ENC_A, 'claim_submitted');
  expect((await partnerA('POST', '/v1/claim-statuses', denial('FAC-A', `STS-A-${run}`))).status).toBe(202);
  expect(
    (
      await partnerA('POST', '/v1/remittances', {
        remittanceId: ERA_A,
        encounterId: ENC_A,
        facilityId: 'FAC-A',
        claimId: CLAIM_A,
        payerId: PAYER,
        payerClaimControlNumber: `PCN-A-${run}`,
        claimStatus: '1',
        billedAmount: '145.50',
        paidAmount: '100.00',
        patientResponsibility: '0.00',
        adjustments: [{ group: 'CO', reason: '45', amount: '45.50' }],
        payment: { traceNumber: `TRN-A-${run}`, method: 'ACH', date: '2026-11-10' },
      })
    ).status,
  ).toBe(202);
  // B's own encounter, so B's subscription demonstrably works.
  expect(
    (await partnerB('POST', '/v1/invoices', invoiceRequest({ encounterId: ENC_B, facilityId: 'FAC-B' })))
      .status,
  ).toBe(202);
  await stateOf(partnerB, ENC_B, 'invoice_issued');
  await hub.waitForIdle();
}, 90_000);

afterAll(async () => {
  for (const receiver of receivers) await new Promise<void>((ok) => receiver.server.close(() => ok()));
  await hub?.close();
});

describe('reads: what B may not see answers 404, lists leave it out', () => {
  it('workflow, timeline and the encounter list', async () => {
    expect((await partnerA('GET', `/v1/workflows/${ENC_A}`)).status).toBe(200);
    const read = await partnerB('GET', `/v1/workflows/${ENC_A}`);
    expect(read.status).toBe(404);
    expect(read.body.detail).toBe(`No workflow for encounter ${ENC_A}.`);
    const mine = await partnerB('GET', '/v1/workflows?limit=200');
    const ids = (mine.body.items as Array<{ encounterId: string }>).map((w) => w.encounterId);
    expect(ids).toContain(ENC_B);
    expect(ids).not.toContain(ENC_A);
    expect((await partnerB('GET', '/v1/workflows?facilityId=FAC-A')).body.items).toEqual([]);
  });

  it('patient crosswalk', async () => {
    await eventually(async () =>
      (await partnerA('GET', `/v1/patients/${PATIENT_A}`)).status === 200 ? true : undefined,
    );
    expect((await partnerB('GET', `/v1/patients/${PATIENT_A}`)).status).toBe(404);
  });

  it('FHIR PaymentReconciliation', async () => {
    expect((await partnerA('GET', `/fhir/r4/PaymentReconciliation/${ERA_A}`)).status).toBe(200);
    expect((await partnerB('GET', `/fhir/r4/PaymentReconciliation/${ERA_A}`)).status).toBe(404);
  });
});

describe('writes: B touching what is A’s is refused with 403 and changes nothing', () => {
  it('a payment onto A’s encounter, under A’s facility or its own', async () => {
    for (const facilityId of ['FAC-A', 'FAC-B']) {
      const answer = await partnerB('POST', '/v1/payments', {
        paymentId: `PAY-B-${facilityId}-${run}`,
        encounterId: ENC_A,
        facilityId,
        payer: { kind: 'payer', id: PAYER },
        amount: '50.00',
        method: 'ach',
        traceNumber: `TRN-B-${run}`,
        receivedDate: '2026-11-20',
        appliesTo: { invoiceId: 'whatever' },
      });
      expect(answer.status).toBe(403);
      expect(answer.body.type).toBe('https://rcm-hub.dev/problems/not-entitled');
    }
  });

  it('a denial on A’s claim, an invoice and charges on A’s encounter', async () => {
    expect((await partnerB('POST', '/v1/claim-statuses', denial('FAC-B', `STS-B-${run}`))).status).toBe(403);
    expect(
      (await partnerB('POST', '/v1/invoices', invoiceRequest({ encounterId: ENC_A, facilityId: 'FAC-B' })))
        .status,
    ).toBe(403);
    expect((await partnerB('POST', '/v1/claims', claim(ENC_A, 'FAC-B', 'INV-X'))).status).toBe(403);
  });

  it('overwriting A’s patient, or claiming A’s facility for a new one', async () => {
    const overwrite = await partnerB('PUT', `/v1/patients/${PATIENT_A}`, {
      name: 'Mallory Overwrite',
      sourceSystem: 'ehr',
      sourceUpdatedAt: '2026-12-01T09:00:00Z',
    });
    expect(overwrite.status).toBe(403);
    const named = await partnerB('PUT', `/v1/patients/PAT-B-${run}`, {
      name: 'B Patient',
      facilityId: 'FAC-A',
      sourceSystem: 'ehr',
      sourceUpdatedAt: '2026-12-01T09:00:00Z',
    });
    expect(named.status).toBe(403);
    await hub.waitForIdle();
    const [partner] = await odoo<Array<{ name: string }>>(
      hub,
      'res.partner',
      'search_read',
      [[['ref', '=', `rcm:patient:${PATIENT_A}`]]],
      { fields: ['name'] },
    );
    expect(partner?.name).toBe('Avery A. Patient');
  });

  it('a FHIR ClaimResponse answering A’s claim', async () => {
    const answer = await partnerB('POST', '/fhir/r4/ClaimResponse', {
      resourceType: 'ClaimResponse',
      identifier: [{ system: 'urn:rcm-hub:test', value: `CR-B-${run}` }],
      status: 'active',
      type: {
        coding: [{ system: 'http://terminology.hl7.org/CodeSystem/claim-type', code: 'professional' }],
      },
      use: 'claim',
      patient: { display: 'x' },
      created: '2026-11-05T00:00:00Z',
      insurer: { identifier: { value: PAYER } },
      request: { identifier: { value: CLAIM_A } },
      outcome: 'error',
    });
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answer.status).toBeLessThan(500);
  });

  it('after all of it, A’s encounter has no payment and only A’s own denial', async () => {
    const workflow = await partnerA('GET', `/v1/workflows/${ENC_A}`);
    expect(workflow.body.payments).toEqual([]);
    const timeline = workflow.body.timeline as Array<{ type: string; clientId?: string }>;
    expect(timeline.filter((t) => t.type === 'ClaimStatusChanged')).toHaveLength(1);
  });
});

describe('exceptions: a person sees and acts on their own facility and team only', () => {
  it('list, read, resolve', async () => {
    const found = await eventually(async () => {
      const answer = await billingA('GET', `/v1/exceptions?encounterId=${ENC_A}`);
      const items = answer.body.items as Array<{ id: string; team: string }>;
      return items.length > 0 ? items[0] : undefined;
    });
    expect(
      ((await billingB('GET', `/v1/exceptions?encounterId=${ENC_A}`)).body.items as unknown[]).length,
    ).toBe(0);
    expect((await billingB('GET', `/v1/exceptions/${found.id}`)).status).toBe(404);
    expect((await billingB('POST', `/v1/exceptions/${found.id}/resolve`, { note: 'not mine' })).status).toBe(
      404,
    );
    // Same facility, another team: finance operations may read but not act on a billing exception.
    const otherTeam = found.team === 'finance' ? billingA : financeA;
    expect((await otherTeam('GET', `/v1/exceptions/${found.id}`)).status).toBe(200);
    expect(
      (await otherTeam('POST', `/v1/exceptions/${found.id}/resolve`, { note: 'not my team' })).status,
    ).toBe(403);
  });
});

describe('reconciliation: a run is its facility’s', () => {
  it('start, read, list', async () => {
    const period = { from: '2026-11-01T00:00:00Z', to: '2026-12-01T00:00:00Z' };
    expect((await financeB('POST', '/v1/reconciliations', { period, facilityId: 'FAC-A' })).status).toBe(403);
    const started = await financeA('POST', '/v1/reconciliations', { period });
    expect(started.status).toBe(202);
    const runId = started.body.runId as string;
    await hub.waitForIdle();
    expect((await financeA('GET', `/v1/reconciliations/${runId}`)).status).toBe(200);
    expect((await financeB('GET', `/v1/reconciliations/${runId}`)).status).toBe(404);
    const listed = (await financeB('GET', '/v1/reconciliations')).body.items as Array<{ runId: string }>;
    expect(listed.map((r) => r.runId)).not.toContain(runId);
  });
});

describe('webhook fan-out', () => {
  it('B’s subscription gets B’s events and none of A’s', async () => {
    await eventually(async () =>
      receiverA.received.some((e) => e.type === 'InvoicePosted' && e.encounterId === ENC_A)
        ? true
        : undefined,
    );
    await eventually(async () =>
      receiverB.received.some((e) => e.type === 'InvoicePosted' && e.encounterId === ENC_B)
        ? true
        : undefined,
    );
    expect(receiverA.received.some((e) => e.type === 'ExceptionOpened')).toBe(true);
    expect(receiverB.received.filter((e) => e.facilityId !== 'FAC-B')).toEqual([]);
  });

  it('a revoked client’s subscription stops at once, and its token with it', async () => {
    const portal = await client({ name: 'portal-a', role: 'partner', facilities: ['FAC-A'] });
    const receiver = await startReceiver();
    receivers.push(receiver);
    expect(
      (await portal.api('POST', '/v1/subscriptions', { url: receiver.url, eventTypes: ['InvoicePosted'] }))
        .status,
    ).toBe(201);
    const first = `ENC-A2-${run}`;
    await partnerA('POST', '/v1/invoices', invoiceRequest({ encounterId: first, facilityId: 'FAC-A' }));
    await eventually(async () => (receiver.received.some((e) => e.encounterId === first) ? true : undefined));

    expect(hub.revokeClient('portal-a')).toBe(true);
    expect((await portal.api('GET', '/v1/subscriptions')).status).toBe(401);
    const second = `ENC-A3-${run}`;
    await partnerA('POST', '/v1/invoices', invoiceRequest({ encounterId: second, facilityId: 'FAC-A' }));
    await eventually(async () =>
      receiverA.received.some((e) => e.type === 'InvoicePosted' && e.encounterId === second)
        ? true
        : undefined,
    );
    await hub.waitForIdle();
    expect(receiver.received.some((e) => e.encounterId === second)).toBe(false);
  });
});

describe('subscription targets', () => {
  it('refuses private, metadata and the hub’s own services, however the address is written', async () => {
    for (const url of [
      `${hub.odooUrl}/jsonrpc`,
      'https://169.254.169.254/latest/meta-data',
      'https://2852039166/',
      'https://0x7f000001/',
      'https://10.0.0.5/',
      'https://[::1]/',
      'https://[fd00::1]/',
      'https://100.64.0.1/',
    ]) {
      const answer = await partnerA('POST', '/v1/subscriptions', { url, eventTypes: ['InvoicePosted'] });
      expect(answer.status, url).toBe(400);
    }
  });
});

describe('/health', () => {
  it('says only up or down without a token; the details need rcm/operations.read', async () => {
    const open = await fetch(`${hub.baseUrl}/health`);
    expect(open.status).toBe(200);
    expect(await open.json()).toEqual({ status: 'up' });
    expect((await fetch(`${hub.baseUrl}/health/details`)).status).toBe(401);
    expect((await partnerA('GET', '/health/details')).status).toBe(403);
    const details = await apiCaller(hub, await accessToken(hub), 'ops')('GET', '/health/details');
    expect(details.status).toBe(200);
    expect(details.body).toMatchObject({ status: 'ok', odoo: { status: 'up' }, store: { status: 'up' } });
  });
});

describe('npm run clients', () => {
  it('registers a client with the running hub and prints its id and secret as JSON', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        '--import',
        'tsx',
        'scripts/clients.ts',
        'add',
        'cli-partner',
        '--role',
        'partner',
        '--facility',
        'FAC-C',
        '--state-dir',
        hub.stateDir,
      ],
      { cwd: new URL('../..', import.meta.url).pathname },
    );
    const added = JSON.parse(stdout) as { clientId: string; clientSecret: string; scopes: string[] };
    expect(added.scopes).toContain('rcm/invoices.write');
    expect(added.scopes).not.toContain('rcm/exceptions.write');
    const api = apiCaller(hub, await accessToken(hub, added), 'cli');
    expect(
      (
        await api(
          'POST',
          '/v1/invoices',
          invoiceRequest({ encounterId: `ENC-C-${run}`, facilityId: 'FAC-C' }),
        )
      ).status,
    ).toBe(202);
    expect((await api('GET', `/v1/workflows/${ENC_A}`)).status).toBe(404);
  });
});
