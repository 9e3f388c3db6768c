import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubSystem } from '../../lambdas/core/fhir/systems.js';
import type { Hub } from '../../local/runtime.js';
import { fhirClaim, fhirInvoice } from '../unit/fhir-fixtures.js';
import { accessToken, eventually, startTestHub } from './support/hub.js';

/**
 * Issue #4, FHIR: the public HL7 examples in test/fixtures/fhir/ either post in the local runtime (after
 * seeding what they reference through the JSON API) or are refused with the exact OperationOutcome; Bundles
 * are all-or-nothing (transaction) or per entry (batch); a remittance reads back as a PaymentReconciliation.
 */
/** Copies of the public samples, kept in the repository (test/fixtures/fhir/SOURCES.md). */
const SAMPLES = fileURLToPath(new URL('../fixtures/fhir/', import.meta.url));
const sample = (name: string) =>
  JSON.parse(readFileSync(`${SAMPLES}${name}`, 'utf8')) as Record<string, unknown>;

let hub: Hub;
let token: string;

beforeAll(async () => {
  hub = await startTestHub();
  token = await accessToken(hub);
});

afterAll(async () => {
  await hub?.close();
});

interface Answer {
  status: number;
  contentType: string | null;
  body: Record<string, unknown> & {
    issue?: Array<Record<string, unknown>>;
    entry?: Array<Record<string, unknown>>;
  };
  location: string | null;
}

async function call(
  method: 'GET' | 'POST' | 'PUT',
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
  bearer = token,
): Promise<Answer> {
  const response = await fetch(`${hub.baseUrl}${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${bearer}`,
      ...(body === undefined ? {} : { 'Content-Type': 'application/fhir+json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    body: (await response.json()) as Answer['body'],
    location: response.headers.get('location'),
  };
}

async function json(method: 'POST' | 'PUT', path: string, body: unknown, key: string): Promise<void> {
  const answer = await call(method, path, body, {
    'Content-Type': 'application/json',
    'Idempotency-Key': key,
  });
  expect(answer.status, `${method} ${path}: ${JSON.stringify(answer.body)}`).toBe(202);
}

/** An encounter with a patient, a payer invoice and a claim, all through the JSON API. */
async function seedEncounter(encounterId: string, claimId: string, billed: string): Promise<void> {
  await json(
    'PUT',
    '/v1/patients/PAT-FHIR',
    {
      name: 'Fhir Patient',
      birthDate: '1980-01-15',
      sourceSystem: 'ehr',
      sourceUpdatedAt: '2026-11-30T08:00:00Z',
    },
    'fhir-seed-patient',
  );
  await json(
    'PUT',
    '/v1/payers/PAYER-BENEFITS',
    {
      name: 'Benefits Inc',
      payerType: 'commercial',
      sourceSystem: 'billing',
      sourceUpdatedAt: '2026-11-01T00:00:00Z',
    },
    'fhir-seed-payer',
  );
  await json(
    'POST',
    '/v1/charges',
    {
      chargeId: `CHG-${encounterId}`,
      encounterId,
      facilityId: 'FAC-FHIR',
      patientId: 'PAT-FHIR',
      lines: [
        {
          code: '99214',
          codeSystem: 'CPT',
          units: 1,
          amount: billed,
          serviceDate: '2026-11-30',
          renderingProviderNpi: '1234567893',
        },
      ],
    },
    `fhir-seed-chg-${encounterId}`,
  );
  await json(
    'POST',
    '/v1/invoices',
    {
      invoiceId: `INV-${encounterId}`,
      encounterId,
      facilityId: 'FAC-FHIR',
      issueDate: '2026-11-30',
      currency: 'USD',
      billTo: { kind: 'payer', id: 'PAYER-BENEFITS', name: 'Benefits Inc' },
      lines: [
        { code: '99214', codeSystem: 'CPT', description: 'Office visit', quantity: 1, unitPrice: billed },
      ],
    },
    `fhir-seed-inv-${encounterId}`,
  );
  await json(
    'POST',
    '/v1/claims',
    {
      claimId,
      encounterId,
      facilityId: 'FAC-FHIR',
      payerId: 'PAYER-BENEFITS',
      invoiceIds: [`INV-${encounterId}`],
      billedAmount: billed,
      submittedDate: '2026-11-30',
    },
    `fhir-seed-clm-${encounterId}`,
  );
}

async function workflow(encounterId: string) {
  return (await call('GET', `/v1/workflows/${encounterId}`)).body as unknown as {
    state: string;
    remittances: Array<{ remittanceId: string }>;
    claims: Array<{ claimId: string; status?: string }>;
    money: { paidCents: number; adjustedCents: number; patientResponsibilityCents: number };
    timeline: Array<{ type: string }>;
  };
}

describe('FHIR R4 intake in the local runtime', () => {
  it('the HL7 PaymentReconciliation ER2500 books its two claim payments; a retry books nothing more', async () => {
    // Prepare: the claims its details name (AB12345 by identifier, 225476332699 by [base]/Claim/{id}).
    await seedEncounter('ENC-FHIR-PR1', 'AB12345', '3500.00');
    await seedEncounter('ENC-FHIR-PR2', '225476332699', '4000.00');
    await hub.waitForIdle();

    // Act
    const first = await call(
      'POST',
      '/fhir/r4/PaymentReconciliation',
      sample('ibmfhir-paymentreconciliation-1.json'),
      {
        'Idempotency-Key': 'fhir-er2500-0001',
      },
    );
    const retry = await call(
      'POST',
      '/fhir/r4/PaymentReconciliation',
      sample('ibmfhir-paymentreconciliation-1.json'),
      {
        'Idempotency-Key': 'fhir-er2500-0001',
      },
    );
    await hub.waitForIdle();

    // Assess
    expect(first.status).toBe(202);
    expect(first.contentType).toMatch(/^application\/fhir\+json/);
    expect(first.location).toBe('/v1/workflows/ENC-FHIR-PR1');
    expect(first.body.issue?.map((i) => [i.severity, i.expression])).toEqual([
      ['information', undefined],
      ['information', undefined],
      ['warning', ['PaymentReconciliation.paymentAmount']],
      ['warning', ['PaymentReconciliation.detail[2]']],
    ]);
    expect(retry).toEqual(first);
    const one = await workflow('ENC-FHIR-PR1');
    const two = await workflow('ENC-FHIR-PR2');
    expect([one.state, one.remittances.map((r) => r.remittanceId), one.money.paidCents]).toEqual([
      'payment_posted',
      ['CR20140815-AB12345'],
      350000,
    ]);
    expect([two.state, two.remittances.map((r) => r.remittanceId), two.money.paidCents]).toEqual([
      'payment_posted',
      ['10-12345-002'],
      400000,
    ]);
    expect(one.timeline.filter((t) => t.type === 'RemittanceReceived')).toHaveLength(1);
  });

  it('reads a booked remittance back as a PaymentReconciliation', async () => {
    // Act
    const read = await call('GET', '/fhir/r4/PaymentReconciliation/CR20140815-AB12345');
    const missing = await call('GET', '/fhir/r4/PaymentReconciliation/NOPE-1');

    // Assess
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({
      resourceType: 'PaymentReconciliation',
      id: 'CR20140815-AB12345',
      status: 'active',
      outcome: 'complete',
      paymentDate: '2014-08-01',
      paymentAmount: { value: 3500, currency: 'USD' },
      paymentIdentifier: { system: HubSystem.paymentTrace, value: '10-12345' },
      detail: [
        { request: { identifier: { system: HubSystem.claim, value: 'AB12345' } }, amount: { value: 3500 } },
      ],
    });
    expect([missing.status, missing.body.issue?.[0]?.code]).toEqual([404, 'not-found']);
  });

  it('the HL7 ClaimResponse R3500 is refused (422) with every reason, and nothing is accepted', async () => {
    // Act
    const answer = await call('POST', '/fhir/r4/ClaimResponse', sample('fhirru-claimresponse-1.json'), {
      'Idempotency-Key': 'fhir-r3500-as-is',
    });

    // Assess
    expect(answer.status).toBe(422);
    expect(answer.contentType).toMatch(/^application\/fhir\+json/);
    expect(answer.body.resourceType).toBe('OperationOutcome');
    expect(answer.body.issue?.map((i) => [i.code, (i.expression as string[])[0]])).toEqual([
      ['not-found', 'ClaimResponse.request'],
      ['business-rule', 'ClaimResponse.payment.amount'],
      ['business-rule', 'ClaimResponse.total'],
    ]);
    expect(answer.body.issue?.[2]?.diagnostics).toBe(
      'does not balance: submitted 135.57 − benefit 90.47 = 45.10, but the adjudications the hub can book explain 10.00 (PR-3 10.00); 35.10 is unexplained',
    );
  });

  it('R3500 made consistent (claim named, eligible 100.47, payment 90.47) posts under If-None-Exist', async () => {
    // Prepare
    await seedEncounter('ENC-FHIR-CR', 'CLM-R3500', '135.57');
    await hub.waitForIdle();
    const response = sample('fhirru-claimresponse-1.json') as Record<string, any>;
    response.request = { identifier: { system: HubSystem.claim, value: 'CLM-R3500' } };
    response.item[0].adjudication[0].amount.value = 100.47;
    response.payment.amount.value = 90.47;
    const condition = { 'If-None-Exist': 'identifier=http://www.BenefitsInc.com/fhir/remittance|R3500' };

    // Act
    const first = await call('POST', '/fhir/r4/ClaimResponse', response, condition);
    const again = await call('POST', '/fhir/r4/ClaimResponse', response, condition);
    await hub.waitForIdle();

    // Assess
    expect(first.status, JSON.stringify(first.body)).toBe(202);
    expect(again).toEqual(first);
    const view = await workflow('ENC-FHIR-CR');
    expect(view.claims).toEqual([expect.objectContaining({ claimId: 'CLM-R3500', status: 'paid' })]);
    expect(view.remittances.map((r) => r.remittanceId)).toEqual(['R3500']);
    expect(view.money).toMatchObject({ paidCents: 9047, patientResponsibilityCents: 1000 });
    const read = await call('GET', '/fhir/r4/PaymentReconciliation/R3500');
    expect(read.body).toMatchObject({ outcome: 'complete', paymentAmount: { value: 90.47 } });
  });

  it.each([
    ['fhirru-explanationofbenefit-1.json', 'ExplanationOfBenefit'],
    ['fhirru-paymentnotice-1.json', 'PaymentNotice'],
  ])('the HL7 %s is refused: %s is not something the hub books', async (file, type) => {
    // Act
    const answer = await call('POST', '/fhir/r4', sample(file), { 'Idempotency-Key': `fhir-${type}-0001` });

    // Assess
    expect(answer.status).toBe(422);
    expect(answer.body.issue).toEqual([
      expect.objectContaining({
        severity: 'error',
        code: 'not-supported',
        expression: [type],
        diagnostics: expect.stringContaining(`${type} is not booked by the hub`),
      }),
    ]);
  });

  it('an invalid resource answers 400 with the FHIRPath of each problem', async () => {
    // Act
    const answer = await call(
      'POST',
      '/fhir/r4/Invoice',
      {
        ...fhirInvoice(),
        status: 'sent',
        lineItem: [{ priceComponent: [{ type: 'base', amount: { value: '12' } }] }],
      },
      {
        'Idempotency-Key': 'fhir-invalid-0001',
      },
    );

    // Assess
    expect(answer.status).toBe(400);
    expect(answer.body.issue?.map((i) => (i.expression as string[])[0])).toEqual([
      'Invoice.status',
      'Invoice.lineItem[0].priceComponent[0].amount.value',
    ]);
  });

  it('without Idempotency-Key or If-None-Exist, and without the event scopes, nothing is accepted', async () => {
    // Prepare
    const fhirOnly = await accessToken(hub, hub.developmentClient, 'rcm/fhir.write');

    // Act
    const noKey = await call('POST', '/fhir/r4/Claim', fhirClaim());
    const noScope = await call(
      'POST',
      '/fhir/r4/Invoice',
      fhirInvoice(),
      { 'Idempotency-Key': 'fhir-scope-0001' },
      fhirOnly,
    );

    // Assess
    expect([noKey.status, noKey.body.issue?.[0]?.code]).toEqual([400, 'required']);
    expect([noScope.status, noScope.body.issue?.[0]?.code]).toEqual([403, 'forbidden']);
    expect(noScope.body.issue?.[0]?.diagnostics).toContain('rcm/invoices.write');
  });

  const bundleOf = (type: string, encounterId: string, badSecond: boolean) => {
    const invoice = fhirInvoice({
      identifier: [{ system: HubSystem.invoice, value: `INV-${encounterId}` }],
      extension: [
        {
          url: 'https://rcm-hub.dev/fhir/StructureDefinition/encounter',
          valueReference: { reference: `Encounter/${encounterId}` },
        },
      ],
      issuer: { reference: 'Organization/FAC-FHIR' },
      recipient: { reference: 'Organization/PAYER-BENEFITS', display: 'Benefits Inc' },
    });
    const claim = fhirClaim({
      identifier: [{ system: HubSystem.claim, value: `CLM-${encounterId}` }],
      insurer: { reference: 'Organization/PAYER-BENEFITS' },
      facility: { reference: 'Location/FAC-FHIR' },
      supportingInfo: [
        {
          sequence: 1,
          category: { coding: [{ code: 'info' }] },
          valueReference: { reference: 'urn:uuid:inv' },
        },
      ],
      item: [{ ...fhirClaim().item[0], encounter: [{ reference: `Encounter/${encounterId}` }] }],
      ...(badSecond ? { total: { value: 145.5, currency: 'EUR' } } : {}),
    });
    return {
      resourceType: 'Bundle',
      type,
      entry: [
        { fullUrl: 'urn:uuid:inv', resource: invoice, request: { method: 'POST', url: 'Invoice' } },
        { fullUrl: 'urn:uuid:clm', resource: claim, request: { method: 'POST', url: 'Claim' } },
      ],
    };
  };

  it('a transaction with one bad entry accepts nothing; a batch accepts the good entry and answers per entry', async () => {
    // Act
    const transaction = await call('POST', '/fhir/r4', bundleOf('transaction', 'ENC-FHIR-TX', true), {
      'Idempotency-Key': 'fhir-tx-bad-0001',
    });
    const batch = await call('POST', '/fhir/r4', bundleOf('batch', 'ENC-FHIR-BATCH', true), {
      'Idempotency-Key': 'fhir-batch-bad-0001',
    });
    await hub.waitForIdle();

    // Assess
    expect(transaction.status).toBe(422);
    expect(transaction.body.issue).toEqual([
      expect.objectContaining({
        code: 'not-supported',
        expression: ['Bundle.entry[1].resource.total.currency'],
      }),
    ]);
    expect((await call('GET', '/v1/workflows/ENC-FHIR-TX')).status).toBe(404);
    expect(batch.status).toBe(200);
    expect(batch.body).toMatchObject({ resourceType: 'Bundle', type: 'batch-response' });
    expect(batch.body.entry?.map((e) => (e.response as { status: string }).status)).toEqual([
      '202 Accepted',
      '422',
    ]);
    const view = await eventually(async () => {
      const w = await workflow('ENC-FHIR-BATCH');
      return w.state === 'invoice_issued' ? w : undefined;
    });
    expect(view.timeline.map((t) => t.type)).toContain('InvoiceIssued');
  });

  it('a good transaction books the FHIR Invoice and the Claim that names it through the Bundle', async () => {
    // Act
    const answer = await call('POST', '/fhir/r4', bundleOf('transaction', 'ENC-FHIR-GOOD', false), {
      'Idempotency-Key': 'fhir-tx-good-0001',
    });
    await hub.waitForIdle();

    // Assess
    expect(answer.status, JSON.stringify(answer.body)).toBe(202);
    expect(answer.body).toMatchObject({ type: 'transaction-response' });
    const view = await workflow('ENC-FHIR-GOOD');
    expect(view.state).toBe('claim_submitted');
    expect(view.claims).toEqual([expect.objectContaining({ claimId: 'CLM-ENC-FHIR-GOOD' })]);
  });
});
