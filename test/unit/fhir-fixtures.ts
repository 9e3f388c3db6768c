import { ENCOUNTER_EXTENSION, HubSystem } from '../../lambdas/core/fhir/systems.js';

/** FHIR R4 resources as a partner would send them for one encounter (ENC-1, claim CLM-1, invoice INV-1). */
export const usd = (value: number) => ({ value, currency: 'USD' });
export const category = (code: string) => ({
  coding: [{ system: 'http://terminology.hl7.org/CodeSystem/adjudication', code }],
});

export function fhirClaim(overrides: Record<string, unknown> = {}) {
  return {
    resourceType: 'Claim',
    identifier: [{ system: HubSystem.claim, value: 'CLM-1' }],
    status: 'active',
    use: 'claim',
    patient: { reference: 'Patient/PAT-1' },
    created: '2026-11-30T09:00:00Z',
    insurer: { identifier: { system: HubSystem.payer, value: 'PAYER-ACME' } },
    facility: { reference: 'Location/FAC-NORTH' },
    supportingInfo: [
      {
        sequence: 1,
        category: { coding: [{ code: 'info' }] },
        valueReference: { type: 'Invoice', identifier: { system: HubSystem.invoice, value: 'INV-1' } },
      },
    ],
    item: [
      {
        sequence: 1,
        productOrService: { coding: [{ system: 'http://www.ama-assn.org/go/cpt', code: '99213' }] },
        encounter: [{ reference: 'Encounter/ENC-1' }],
        net: usd(145.5),
      },
    ],
    total: usd(145.5),
    ...overrides,
  };
}

export function fhirInvoice(overrides: Record<string, unknown> = {}) {
  return {
    resourceType: 'Invoice',
    extension: [{ url: ENCOUNTER_EXTENSION, valueReference: { reference: 'Encounter/ENC-1' } }],
    identifier: [{ system: HubSystem.invoice, value: 'INV-1' }],
    status: 'issued',
    subject: { reference: 'Patient/PAT-1' },
    recipient: { reference: 'Organization/PAYER-ACME', display: 'Acme Health Plan' },
    date: '2026-11-30',
    issuer: { identifier: { system: HubSystem.facility, value: 'FAC-NORTH' } },
    lineItem: [
      {
        sequence: 1,
        chargeItemCodeableConcept: {
          coding: [{ system: 'http://www.ama-assn.org/go/cpt', code: '99213', display: 'Office visit' }],
        },
        priceComponent: [{ type: 'base', amount: usd(125) }],
      },
      {
        sequence: 2,
        chargeItemCodeableConcept: {
          coding: [
            { system: 'https://www.nubc.org/CodeSystem/RevenueCodes', code: '0300', display: 'Laboratory' },
          ],
        },
        priceComponent: [{ type: 'base', factor: 2, amount: usd(20.5) }],
      },
    ],
    totalNet: usd(145.5),
    ...overrides,
  };
}

export function fhirClaimResponse(overrides: Record<string, unknown> = {}) {
  return {
    resourceType: 'ClaimResponse',
    identifier: [{ system: 'http://payer.example/claimresponse', value: 'CR-1' }],
    status: 'active',
    type: { coding: [{ code: 'professional' }] },
    use: 'claim',
    patient: { reference: 'Patient/PAT-1' },
    created: '2026-12-05',
    insurer: { identifier: { system: HubSystem.payer, value: 'PAYER-ACME' } },
    request: { identifier: { system: HubSystem.claim, value: 'CLM-1' } },
    outcome: 'complete',
    item: [
      {
        itemSequence: 1,
        adjudication: [
          { category: category('submitted'), amount: usd(145.5) },
          { category: category('eligible'), amount: usd(120) },
          { category: category('copay'), amount: usd(20) },
          { category: category('eligpercent'), value: 100 },
          { category: category('benefit'), amount: usd(100) },
        ],
      },
    ],
    payment: {
      type: { coding: [{ code: 'complete' }] },
      date: '2026-12-06',
      amount: usd(100),
      identifier: { system: 'http://payer.example/eft', value: 'EFT-778' },
    },
    ...overrides,
  };
}
