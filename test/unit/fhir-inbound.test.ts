import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ClaimStatusChanged, ClaimSubmitted } from '../../lambdas/core/claim.js';
import { localIds, mapDocument, parseDocument } from '../../lambdas/core/fhir/document.js';
import {
  type KnownClaim,
  type MappingContext,
  mapClaim,
  mapClaimResponse,
  mapInvoice,
  mapPaymentReconciliation,
} from '../../lambdas/core/fhir/inbound.js';
import { statusFor } from '../../lambdas/core/fhir/outcome.js';
import { Claim, ClaimResponse, Invoice, PaymentReconciliation } from '../../lambdas/core/fhir/resources.js';
import type { InvoiceIssued } from '../../lambdas/core/invoice.js';
import type { RemittanceReceived } from '../../lambdas/core/remittance.js';
import { category, fhirClaim, fhirClaimResponse, fhirInvoice, usd } from './fhir-fixtures.js';

/**
 * Issue #4: FHIR R4 financial resources become the hub's canonical events through the same intakes as the
 * JSON API, and every refusal points at the FHIR element with a reason a partner can act on.
 */
/** Copies of the public samples, kept in the repository (test/fixtures/fhir/SOURCES.md). */
const SAMPLES = fileURLToPath(new URL('../fixtures/fhir/', import.meta.url));
const sample = (name: string) =>
  JSON.parse(readFileSync(`${SAMPLES}${name}`, 'utf8')) as Record<string, unknown>;

const known = (claimId: string, billedCents: number, encounterId = `ENC-${claimId}`): KnownClaim => ({
  claimId,
  encounterId,
  facilityId: 'FAC-NORTH',
  payerId: 'PAYER-ACME',
  invoiceIds: [`INV-${claimId}`],
  billedCents,
});

function context(claims: KnownClaim[] = [], remittances: Record<string, number> = {}): MappingContext {
  const byId = new Map<string, KnownClaim[]>();
  for (const c of claims) byId.set(c.claimId, [...(byId.get(c.claimId) ?? []), c]);
  return {
    claims: byId,
    remittances: new Map(Object.entries(remittances).map(([id, paidCents]) => [id, { paidCents }])),
    local: new Map(),
  };
}

const parse = <T>(schema: { parse(v: unknown): T }, value: unknown) => schema.parse(value);

describe('Claim → ClaimSubmitted', () => {
  it('reads our ids from identifiers and literal references, the billed amount in cents', () => {
    // Prepare
    const claim = parse(Claim, fhirClaim());

    // Act
    const { events, issues } = mapClaim(claim, 'Claim', context());

    // Assess
    expect(issues).toEqual([]);
    expect(events.map((e) => e.data)).toEqual([
      {
        claimId: 'CLM-1',
        encounterId: 'ENC-1',
        facilityId: 'FAC-NORTH',
        payerId: 'PAYER-ACME',
        invoiceIds: ['INV-1'],
        billedCents: 14550,
        submittedDate: '2026-11-30',
        claimFrequency: '1',
      } satisfies ClaimSubmitted,
    ]);
  });

  it('refuses a claim whose items name two encounters, pointing at the items', () => {
    // Prepare
    const base = fhirClaim();
    const item = base.item[0] as Record<string, unknown>;
    const claim = parse(
      Claim,
      fhirClaim({
        item: [item, { ...item, sequence: 2, encounter: [{ reference: 'Encounter/ENC-2' }] }],
        total: usd(291),
      }),
    );

    // Act
    const { events, issues } = mapClaim(claim, 'Claim', context());

    // Assess
    expect(events).toEqual([]);
    expect(issues).toEqual([
      expect.objectContaining({
        code: 'business-rule',
        expression: ['Claim.item'],
        diagnostics: expect.stringContaining('ENC-1, ENC-2'),
      }),
    ]);
  });

  it('refuses a claim that names no invoice, saying where R4 lets it name one', () => {
    // Prepare
    const claim = parse(Claim, fhirClaim({ supportingInfo: undefined }));

    // Act
    const { issues } = mapClaim(claim, 'Claim', context());

    // Assess
    expect(issues).toEqual([
      expect.objectContaining({ code: 'required', expression: ['Claim.supportingInfo'] }),
    ]);
    expect(statusFor(issues)).toBe(400);
  });
});

describe('Invoice → InvoiceIssued', () => {
  it('maps CPT and NUBC revenue lines, decimals to cents, factor as quantity', () => {
    // Prepare
    const invoice = parse(Invoice, fhirInvoice());

    // Act
    const { events, issues } = mapInvoice(invoice, 'Invoice', context());

    // Assess
    expect(issues).toEqual([]);
    const data = events[0]?.data as InvoiceIssued;
    expect(data).toMatchObject({
      invoiceId: 'INV-1',
      encounterId: 'ENC-1',
      facilityId: 'FAC-NORTH',
      issueDate: '2026-11-30',
      billTo: { kind: 'payer', id: 'PAYER-ACME', name: 'Acme Health Plan' },
      totalCents: 14550,
    });
    expect(data.lines).toEqual([
      {
        code: '99213',
        codeSystem: 'CPT',
        description: 'Office visit',
        quantity: 1,
        unitPriceCents: 12500,
        amountCents: 12500,
      },
      {
        code: '0300',
        codeSystem: 'REV',
        description: 'Laboratory',
        quantity: 2,
        unitPriceCents: 1025,
        amountCents: 2050,
      },
    ]);
  });

  it('reads the encounter from a contained ChargeItem when no extension names it', () => {
    // Prepare
    const invoice = parse(
      Invoice,
      fhirInvoice({
        extension: undefined,
        contained: [{ resourceType: 'ChargeItem', id: 'c1', context: { reference: 'Encounter/ENC-9' } }],
        lineItem: [
          {
            chargeItemReference: { reference: '#c1' },
            chargeItemCodeableConcept: {
              coding: [{ system: 'http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets', code: 'G0008' }],
            },
            priceComponent: [{ type: 'base', amount: usd(40) }],
          },
        ],
        totalNet: usd(40),
      }),
    );

    // Act
    const { events } = mapInvoice(invoice, 'Invoice', context());

    // Assess
    expect(events[0]?.data).toMatchObject({
      encounterId: 'ENC-9',
      lines: [{ code: 'G0008', codeSystem: 'HCPCS', amountCents: 4000 }],
    });
  });

  it('refuses an amount with three decimals and a discount component, each at its element', () => {
    // Prepare
    const invoice = parse(
      Invoice,
      fhirInvoice({
        lineItem: [
          {
            chargeItemCodeableConcept: fhirInvoice().lineItem[0]?.chargeItemCodeableConcept,
            priceComponent: [{ type: 'base', amount: usd(10.005) }],
          },
          {
            chargeItemCodeableConcept: fhirInvoice().lineItem[0]?.chargeItemCodeableConcept,
            priceComponent: [
              { type: 'base', amount: usd(10) },
              { type: 'discount', amount: usd(1) },
            ],
          },
        ],
        totalNet: undefined,
      }),
    );

    // Act
    const { issues } = mapInvoice(invoice, 'Invoice', context());

    // Assess
    expect(issues.map((i) => [i.code, i.expression?.[0]])).toEqual([
      ['value', 'Invoice.lineItem[0].priceComponent[0].amount.value'],
      ['not-supported', 'Invoice.lineItem[1].priceComponent[1]'],
    ]);
  });

  it('refuses a code outside CPT, HCPCS and NUBC revenue codes', () => {
    // Prepare
    const invoice = parse(
      Invoice,
      fhirInvoice({
        lineItem: [
          {
            chargeItemCodeableConcept: { coding: [{ system: 'http://snomed.info/sct', code: '185349003' }] },
            priceComponent: [{ type: 'base', amount: usd(145.5) }],
          },
        ],
      }),
    );

    // Act
    const { issues } = mapInvoice(invoice, 'Invoice', context());

    // Assess
    expect(issues).toEqual([
      expect.objectContaining({
        code: 'code-invalid',
        expression: ['Invoice.lineItem[0].chargeItemCodeableConcept'],
      }),
    ]);
  });
});

describe('ClaimResponse → ClaimStatusChanged + RemittanceReceived', () => {
  it('books a complete adjudication: submitted − eligible as CO-45, copay as PR-3, benefit as paid', () => {
    // Prepare
    const response = parse(ClaimResponse, fhirClaimResponse());

    // Act
    const { events, issues } = mapClaimResponse(
      response,
      'ClaimResponse',
      context([known('CLM-1', 14550, 'ENC-1')]),
    );

    // Assess
    expect(issues).toEqual([]);
    expect(events.map((e) => e.eventType)).toEqual(['ClaimStatusChanged', 'RemittanceReceived']);
    expect(events[0]?.data).toMatchObject({
      statusId: 'CR-1',
      claimId: 'CLM-1',
      encounterId: 'ENC-1',
      status: 'paid',
    } satisfies Partial<ClaimStatusChanged>);
    expect(events[1]?.data).toEqual({
      remittanceId: 'CR-1',
      encounterId: 'ENC-1',
      facilityId: 'FAC-NORTH',
      claimId: 'CLM-1',
      payerId: 'PAYER-ACME',
      payerClaimControlNumber: 'CR-1',
      claimStatus: '1',
      billedCents: 14550,
      paidCents: 10000,
      patientResponsibilityCents: 2000,
      adjustments: [
        { group: 'CO', reason: '45', amountCents: 2550 },
        { group: 'PR', reason: '3', amountCents: 2000 },
      ],
      payment: { traceNumber: 'EFT-778', method: 'BOP', date: '2026-12-06' },
    } satisfies RemittanceReceived);
  });

  it('uses the CARC a payer gives as the adjudication reason', () => {
    // Prepare
    const base = fhirClaimResponse();
    const adjudication = [...(base.item[0]?.adjudication ?? [])];
    adjudication[1] = {
      category: category('eligible'),
      amount: usd(120),
      reason: { coding: [{ system: 'https://x12.org/codes/claim-adjustment-reason-codes', code: '253' }] },
    } as never;
    const response = parse(ClaimResponse, fhirClaimResponse({ item: [{ itemSequence: 1, adjudication }] }));

    // Act
    const { events } = mapClaimResponse(response, 'ClaimResponse', context([known('CLM-1', 14550)]));

    // Assess
    expect((events[1]?.data as RemittanceReceived).adjustments[0]).toEqual({
      group: 'CO',
      reason: '253',
      amountCents: 2550,
    });
  });

  it('maps outcomes without money to a status only: queued and partial pend, error rejects', () => {
    // Prepare
    const statusOf = (outcome: string) => {
      const response = parse(
        ClaimResponse,
        fhirClaimResponse({ outcome, item: undefined, payment: undefined }),
      );
      const { events } = mapClaimResponse(response, 'ClaimResponse', context([known('CLM-1', 14550)]));
      return events.map((e) => [e.eventType, (e.data as ClaimStatusChanged).status]);
    };

    // Act / Assess
    expect(statusOf('queued')).toEqual([['ClaimStatusChanged', 'pended']]);
    expect(statusOf('partial')).toEqual([['ClaimStatusChanged', 'pended']]);
    expect(statusOf('error')).toEqual([['ClaimStatusChanged', 'rejected']]);
    expect(statusOf('complete')).toEqual([['ClaimStatusChanged', 'accepted']]);
  });

  it('a zero benefit with no patient share is a denial (CLP02 4) and the status says denied', () => {
    // Prepare
    const response = parse(
      ClaimResponse,
      fhirClaimResponse({
        item: [
          {
            itemSequence: 1,
            adjudication: [
              { category: category('eligible'), amount: usd(0) },
              { category: category('benefit'), amount: usd(0) },
            ],
          },
        ],
        payment: undefined,
      }),
    );

    // Act
    const { events } = mapClaimResponse(response, 'ClaimResponse', context([known('CLM-1', 14550)]));

    // Assess
    expect((events[0]?.data as ClaimStatusChanged).status).toBe('denied');
    expect(events[1]?.data).toMatchObject({
      claimStatus: '4',
      billedCents: 14550,
      paidCents: 0,
      payment: { traceNumber: 'CR-1', method: 'NON' },
    });
  });

  it('carries X12 claim status codes the payer put in error.code', () => {
    // Prepare
    const response = parse(
      ClaimResponse,
      fhirClaimResponse({
        outcome: 'error',
        item: undefined,
        payment: undefined,
        error: [
          {
            code: {
              coding: [
                { system: 'https://x12.org/codes/claim-status-category-codes', code: 'A7' },
                { system: 'https://x12.org/codes/claim-status-codes', code: '562' },
              ],
            },
          },
        ],
      }),
    );

    // Act
    const { events } = mapClaimResponse(response, 'ClaimResponse', context([known('CLM-1', 14550)]));

    // Assess
    expect(events[0]?.data).toMatchObject({
      status: 'rejected',
      payerCodes: [{ category: 'A7', code: '562' }],
    });
  });

  it('refuses a claim the hub does not know, and a claim id that names two encounters', () => {
    // Prepare
    const response = parse(ClaimResponse, fhirClaimResponse());

    // Act
    const unknown = mapClaimResponse(response, 'ClaimResponse', context());
    const ambiguous = mapClaimResponse(
      response,
      'ClaimResponse',
      context([known('CLM-1', 14550, 'ENC-A'), known('CLM-1', 14550, 'ENC-B')]),
    );

    // Assess
    expect(unknown.issues).toEqual([
      expect.objectContaining({ code: 'not-found', expression: ['ClaimResponse.request'] }),
    ]);
    expect(ambiguous.issues).toEqual([
      expect.objectContaining({ code: 'multiple-matches', expression: ['ClaimResponse.request'] }),
    ]);
    expect(statusFor(unknown.issues)).toBe(422);
  });

  it('refuses an adjudication category with no documented X12 group instead of guessing', () => {
    // Prepare
    const response = parse(
      ClaimResponse,
      fhirClaimResponse({
        item: [
          {
            itemSequence: 1,
            adjudication: [
              {
                category: {
                  coding: [
                    {
                      system: 'http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBAdjudication',
                      code: 'noncovered',
                    },
                  ],
                },
                amount: usd(45.5),
              },
              { category: category('benefit'), amount: usd(100) },
            ],
          },
        ],
      }),
    );

    // Act
    const { issues } = mapClaimResponse(response, 'ClaimResponse', context([known('CLM-1', 14550)]));

    // Assess
    expect(issues[0]).toMatchObject({
      code: 'not-supported',
      expression: ['ClaimResponse.item[0].adjudication[0].category'],
    });
  });

  it('the HL7 example R3500 is refused with every reason: unresolvable request, benefit ≠ payment, unbalanced', () => {
    // Prepare
    const response = parse(ClaimResponse, sample('fhirru-claimresponse-1.json'));

    // Act
    const { events, issues } = mapClaimResponse(
      response,
      'ClaimResponse',
      context([known('15476332402', 13557)]),
    );

    // Assess
    expect(events).toEqual([]);
    expect(issues.map((i) => [i.code, i.expression?.[0], i.diagnostics])).toEqual([
      [
        'not-found',
        'ClaimResponse.request',
        expect.stringContaining(
          'http://www.BenefitsInc.com/fhir/oralhealthclaim/15476332402 names no claim the hub can resolve',
        ),
      ],
      [
        'business-rule',
        'ClaimResponse.payment.amount',
        'payment.amount 100.47 differs from the total benefit 90.47 and no payment.adjustment explains the 10.00',
      ],
      [
        'business-rule',
        'ClaimResponse.total',
        'does not balance: submitted 135.57 − benefit 90.47 = 45.10, but the adjudications the hub can book explain 10.00 (PR-3 10.00); 35.10 is unexplained',
      ],
    ]);
    expect(statusFor(issues)).toBe(422);
  });
});

describe('PaymentReconciliation → RemittanceReceived per claim detail', () => {
  const recon = () => PaymentReconciliation.parse(sample('ibmfhir-paymentreconciliation-1.json'));

  it('the HL7 example ER2500 books its two claim payments and reports the advance and the undistributed amount', () => {
    // Prepare
    const ctx = context([known('AB12345', 350000), known('225476332699', 400000)]);

    // Act
    const { events, issues } = mapPaymentReconciliation(recon(), 'PaymentReconciliation', ctx);

    // Assess
    expect(events.map((e) => e.data)).toEqual([
      expect.objectContaining({
        remittanceId: 'CR20140815-AB12345',
        payerClaimControlNumber: 'CR20140815-AB12345',
        claimId: 'AB12345',
        encounterId: 'ENC-AB12345',
        claimStatus: '1',
        billedCents: 350000,
        paidCents: 350000,
        adjustments: [],
        payment: { traceNumber: '10-12345', method: 'BOP', date: '2014-08-01' },
      }),
      expect.objectContaining({ remittanceId: '10-12345-002', claimId: '225476332699', paidCents: 400000 }),
    ]);
    expect(issues.map((i) => [i.severity, i.expression?.[0]])).toEqual([
      ['warning', 'PaymentReconciliation.paymentAmount'],
      ['warning', 'PaymentReconciliation.detail[2]'],
    ]);
    expect(issues[0]?.diagnostics).toContain('paymentAmount 7000.00 differs from the 6000.00');
  });

  it('refuses a partial payment it cannot explain, and does not book twice what a ClaimResponse booked', () => {
    // Prepare
    const short = context([known('AB12345', 400000), known('225476332699', 400000)]);
    const already = context([known('AB12345', 350000), known('225476332699', 400000)], {
      'CR20140815-AB12345': 350000,
    });

    // Act
    const refused = mapPaymentReconciliation(recon(), 'PaymentReconciliation', short);
    const deduped = mapPaymentReconciliation(recon(), 'PaymentReconciliation', already);

    // Assess
    expect(refused.issues).toEqual([
      expect.objectContaining({
        code: 'business-rule',
        expression: ['PaymentReconciliation.detail[0].amount'],
        diagnostics: expect.stringContaining('500.00'),
      }),
    ]);
    expect(deduped.events.map((e) => (e.data as RemittanceReceived).remittanceId)).toEqual(['10-12345-002']);
    expect(deduped.issues).toContainEqual(
      expect.objectContaining({ severity: 'information', expression: ['PaymentReconciliation.detail[0]'] }),
    );
  });
});

describe('documents and Bundles', () => {
  it('schema errors carry FHIRPath locations (Bundle entries included)', () => {
    // Prepare
    const broken = { ...fhirClaimResponse(), outcome: 'done', created: undefined };
    const bundle = {
      resourceType: 'Bundle',
      type: 'batch',
      entry: [{ resource: broken, request: { method: 'POST', url: 'ClaimResponse' } }],
    };

    // Act
    const single = parseDocument(broken, 'ClaimResponse');
    const inBundle = parseDocument(bundle, undefined);

    // Assess
    expect(single.entries[0]?.issues.map((i) => [i.code, i.expression?.[0]])).toEqual([
      ['required', 'ClaimResponse.created'],
      ['code-invalid', 'ClaimResponse.outcome'],
    ]);
    expect(inBundle.entries[0]?.issues.map((i) => i.expression?.[0])).toEqual([
      'Bundle.entry[0].resource.created',
      'Bundle.entry[0].resource.outcome',
    ]);
  });

  it('ExplanationOfBenefit and PaymentNotice (HL7 examples) are refused with what to send instead', () => {
    // Prepare / Act
    const eob = parseDocument(sample('fhirru-explanationofbenefit-1.json'), undefined);
    const notice = parseDocument(sample('fhirru-paymentnotice-1.json'), 'PaymentReconciliation');

    // Assess
    expect(eob.issues).toEqual([
      expect.objectContaining({ code: 'not-supported', diagnostics: expect.stringContaining('send those') }),
    ]);
    expect(notice.entries[0]?.issues).toEqual([
      expect.objectContaining({ code: 'not-supported', expression: ['PaymentReconciliation.resourceType'] }),
    ]);
  });

  it('a ClaimResponse finds the Claim of the same Bundle through its fullUrl', () => {
    // Prepare
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          fullUrl: 'urn:uuid:cr',
          resource: fhirClaimResponse({ request: { reference: 'urn:uuid:claim' } }),
          request: { method: 'POST', url: 'ClaimResponse' },
        },
        { fullUrl: 'urn:uuid:claim', resource: fhirClaim(), request: { method: 'POST', url: 'Claim' } },
      ],
    };
    const document = parseDocument(bundle, undefined);

    // Act
    const results = mapDocument(document, { ...context(), local: localIds(document) });

    // Assess
    expect(results.get(0)?.issues).toEqual([]);
    expect(results.get(0)?.events.map((e) => e.eventType)).toEqual([
      'ClaimStatusChanged',
      'RemittanceReceived',
    ]);
    expect(results.get(1)?.events.map((e) => e.eventType)).toEqual(['ClaimSubmitted']);
  });

  it('a batch entry must POST the type it carries; a duplicate document in one Bundle is refused', () => {
    // Prepare
    const bundle = {
      resourceType: 'Bundle',
      type: 'batch',
      entry: [
        { resource: fhirClaim(), request: { method: 'PUT', url: 'Claim/CLM-1' } },
        { resource: fhirInvoice(), request: { method: 'POST', url: 'Invoice' } },
        { resource: fhirInvoice(), request: { method: 'POST', url: 'Invoice' } },
      ],
    };
    const document = parseDocument(bundle, undefined);

    // Act
    const results = mapDocument(document, context());

    // Assess
    expect(results.get(0)?.issues).toEqual([
      expect.objectContaining({ code: 'not-supported', expression: ['Bundle.entry[0].request.method'] }),
    ]);
    expect(results.get(1)?.events).toHaveLength(1);
    expect(results.get(2)?.issues).toEqual([expect.objectContaining({ code: 'duplicate' })]);
  });
});
