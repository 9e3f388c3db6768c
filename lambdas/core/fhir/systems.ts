/**
 * The URIs the FHIR edge reads and writes. Ours name the hub's own ids (docs/fhir.md#identifiers); the rest
 * are the published code systems (HL7 Terminology, https://terminology.hl7.org, and the CARIN Blue Button IG).
 */
const HUB_SID = 'https://rcm-hub.dev/fhir/sid';

/** Identifier systems for the hub's ids. A sender may use its own systems; ours win when both are present. */
export const HubSystem = {
  claim: `${HUB_SID}/claim-id`,
  invoice: `${HUB_SID}/invoice-id`,
  encounter: `${HUB_SID}/encounter-id`,
  facility: `${HUB_SID}/facility-id`,
  payer: `${HUB_SID}/payer-id`,
  patient: `${HUB_SID}/patient-id`,
  remittance: `${HUB_SID}/remittance-id`,
  /** The check or EFT trace number of a payment (835 TRN02). */
  paymentTrace: `${HUB_SID}/payment-trace`,
  /** The payer's own id for its adjudication of a claim (835 CLP07). */
  payerClaimControlNumber: `${HUB_SID}/payer-claim-control-number`,
} as const;

/**
 * Invoice has no `encounter` element in R4 (https://hl7.org/fhir/R4/invoice.html); the hub reads the encounter
 * from this extension (valueReference to Encounter), or from a contained ChargeItem's `context`.
 */
export const ENCOUNTER_EXTENSION = 'https://rcm-hub.dev/fhir/StructureDefinition/encounter';

/** Procedure and revenue code systems (HL7 Terminology external code systems). */
export const CodeSystemUri = {
  /** AMA CPT (THO NamingSystem `v3-cpt-4`). */
  cpt: ['http://www.ama-assn.org/go/cpt'],
  /** CMS HCPCS Level II (THO CodeSystem `hcpcs-Level-II`). */
  hcpcs: [
    'http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets',
    'https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets',
  ],
  /** NUBC revenue codes: THO `AHANUBCRevenueCodes`; Da Vinci PAS STU1 used `https://www.nubc.org/revenue-code`. */
  revenue: ['https://www.nubc.org/CodeSystem/RevenueCodes', 'https://www.nubc.org/revenue-code'],
} as const;

/** http://terminology.hl7.org/CodeSystem/adjudication (R4 example value set `adjudication`). */
export const ADJUDICATION_SYSTEM = 'http://terminology.hl7.org/CodeSystem/adjudication';
/** CARIN Blue Button adjudication categories that complement the HL7 ones (coinsurance, noncovered, …). */
export const C4BB_ADJUDICATION_SYSTEM = 'http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBAdjudication';
/** X12 Claim Adjustment Reason Codes as FHIR names them (THO `X12ClaimAdjustmentReasonCodes`). */
export const CARC_SYSTEM = 'https://x12.org/codes/claim-adjustment-reason-codes';
/** X12 claim status category and status codes (277 STC01-1 / STC01-2). */
export const CLAIM_STATUS_CATEGORY_SYSTEM = 'https://x12.org/codes/claim-status-category-codes';
export const CLAIM_STATUS_CODE_SYSTEM = 'https://x12.org/codes/claim-status-codes';
/** http://terminology.hl7.org/CodeSystem/payment-type (PaymentReconciliation.detail.type). */
export const PAYMENT_TYPE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/payment-type';
