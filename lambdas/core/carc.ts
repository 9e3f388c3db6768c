/**
 * Claim Adjustment Reason Codes (CARC, the reason in an 835 CAS segment) as the posting rules read them: which
 * class of adjustment a code is, as data, so that a finance reviewer can read and change the table instead of
 * conditions spread through the rules (docs/posting-rules.md "Adjustment classes").
 *
 * Source: X12 external code list 139 "Claim Adjustment Reason Codes", maintained by the X12 Claim Adjustment
 * Status Code Maintenance Committee (https://x12.org/codes/claim-adjustment-reason-codes); descriptions are
 * shortened here. The class is the hospital finance team's reading of each code, not part of the code list:
 *  - `contractual`: the payer's allowance under the contract (fee schedule, bundling, multiple-procedure and
 *    sequestration reductions): written off to the contractual-allowance account;
 *  - `denial`: the payer refuses a service for a reason billing can contest or fix (medical necessity, missing
 *    information, authorization, timely filing, duplicate, coverage): never written off by the hub; the amount
 *    stays receivable with an exception until a person resolves it;
 *  - `patient-share`: deductible, coinsurance, copay (under PR they move to the patient);
 *  - `prior-payer`: what an earlier payer already settled (CARC 23), booked by that payer's remittance.
 *
 * The adjustment group (CAS01) still decides first: PR is always the patient's, whatever the code. A code not in
 * the table takes its group's default (CO contractual, OA other, PI payer-initiated), which is how payers use
 * CO: "contractual obligation", the provider's to absorb.
 */
export type CarcClass = 'contractual' | 'denial' | 'patient-share' | 'prior-payer';

export interface CarcEntry {
  class: CarcClass;
  description: string;
}

export const CARC_SOURCE =
  'X12 code list 139, Claim Adjustment Reason Codes (https://x12.org/codes/claim-adjustment-reason-codes)';

export const CARC_TABLE: Readonly<Record<string, CarcEntry>> = {
  // Patient cost share.
  '1': { class: 'patient-share', description: 'Deductible amount' },
  '2': { class: 'patient-share', description: 'Coinsurance amount' },
  '3': { class: 'patient-share', description: 'Co-payment amount' },
  '66': { class: 'patient-share', description: 'Blood deductible' },
  // Prior payer.
  '23': { class: 'prior-payer', description: 'The impact of prior payer(s) adjudication' },
  // Contractual allowances.
  '42': { class: 'contractual', description: 'Charges exceed fee schedule or maximum allowable (use 45)' },
  '45': {
    class: 'contractual',
    description: 'Charge exceeds fee schedule/maximum allowable or contracted fee',
  },
  '59': { class: 'contractual', description: 'Multiple or concurrent procedure rules' },
  '94': { class: 'contractual', description: 'Processed in excess of charges' },
  '97': {
    class: 'contractual',
    description: 'Included in the allowance for another service already adjudicated',
  },
  '131': { class: 'contractual', description: 'Claim specific negotiated discount' },
  '144': { class: 'contractual', description: 'Incentive adjustment, e.g. preferred product/service' },
  '223': { class: 'contractual', description: 'Adjustment code for mandated federal, state or local law' },
  '237': { class: 'contractual', description: 'Legislated/regulatory penalty' },
  '253': { class: 'contractual', description: 'Sequestration: reduction of federal payment' },
  // Denials: contestable or fixable by billing (appeal, correct and resubmit, bill the right payer).
  '4': { class: 'denial', description: 'Procedure code inconsistent with the modifier, or modifier missing' },
  '5': { class: 'denial', description: 'Procedure code/bill type inconsistent with the place of service' },
  '6': { class: 'denial', description: "Procedure/revenue code inconsistent with the patient's age" },
  '7': { class: 'denial', description: "Procedure/revenue code inconsistent with the patient's gender" },
  '8': { class: 'denial', description: 'Procedure code inconsistent with the provider type/specialty' },
  '9': { class: 'denial', description: "Diagnosis inconsistent with the patient's age" },
  '10': { class: 'denial', description: "Diagnosis inconsistent with the patient's gender" },
  '11': { class: 'denial', description: 'Diagnosis inconsistent with the procedure' },
  '13': { class: 'denial', description: 'Date of death precedes the date of service' },
  '15': { class: 'denial', description: 'Authorization number missing, invalid or not for this service' },
  '16': { class: 'denial', description: 'Claim/service lacks information or has submission/billing errors' },
  '18': { class: 'denial', description: 'Exact duplicate claim/service' },
  '19': {
    class: 'denial',
    description: "Work-related injury: liability of the worker's compensation carrier",
  },
  '22': { class: 'denial', description: 'May be covered by another payer per coordination of benefits' },
  '26': { class: 'denial', description: 'Expenses incurred prior to coverage' },
  '27': { class: 'denial', description: 'Expenses incurred after coverage terminated' },
  '29': { class: 'denial', description: 'The time limit for filing has expired' },
  '31': { class: 'denial', description: 'Patient cannot be identified as our insured' },
  '32': { class: 'denial', description: 'Dependent is not an eligible dependent' },
  '33': { class: 'denial', description: 'Insured has no dependent coverage' },
  '39': {
    class: 'denial',
    description: 'Services denied when authorization/pre-certification was requested',
  },
  '40': { class: 'denial', description: 'Charges do not meet qualifications for emergent/urgent care' },
  '49': { class: 'denial', description: 'Routine/preventive exam or screening not covered' },
  '50': { class: 'denial', description: "Non-covered: not deemed a 'medical necessity' by the payer" },
  '51': { class: 'denial', description: 'Non-covered: pre-existing condition' },
  '55': { class: 'denial', description: 'Experimental/investigational procedure, treatment or drug' },
  '56': { class: 'denial', description: 'Procedure/treatment not proven effective' },
  '58': {
    class: 'denial',
    description: 'Treatment deemed rendered in an inappropriate or invalid place of service',
  },
  '96': { class: 'denial', description: 'Non-covered charge(s)' },
  '107': { class: 'denial', description: 'The related or qualifying claim/service was not identified' },
  '109': { class: 'denial', description: 'Not covered by this payer: send the claim to the correct payer' },
  '119': { class: 'denial', description: 'Benefit maximum for this time period or occurrence reached' },
  '140': {
    class: 'denial',
    description: 'Patient/insured health identification number and name do not match',
  },
  '146': { class: 'denial', description: 'Diagnosis was invalid for the date(s) of service reported' },
  '150': { class: 'denial', description: 'Information submitted does not support this level of service' },
  '151': {
    class: 'denial',
    description: 'Information submitted does not support this many/frequency of services',
  },
  '167': { class: 'denial', description: 'This (these) diagnosis(es) is (are) not covered' },
  '181': { class: 'denial', description: 'Procedure code was invalid on the date of service' },
  '182': { class: 'denial', description: 'Procedure modifier was invalid on the date of service' },
  '183': {
    class: 'denial',
    description: 'The referring provider is not eligible to refer the service billed',
  },
  '185': {
    class: 'denial',
    description: 'The rendering provider is not eligible to perform the service billed',
  },
  '197': { class: 'denial', description: 'Precertification/notification/authorization/pre-treatment absent' },
  '198': {
    class: 'denial',
    description: 'Precertification/notification/authorization/pre-treatment exceeded',
  },
  '204': { class: 'denial', description: "Service not covered under the patient's current benefit plan" },
  '234': { class: 'denial', description: 'This procedure is not paid separately' },
  '236': { class: 'denial', description: 'Procedure or procedure/modifier combination not compatible' },
  '252': { class: 'denial', description: 'An attachment/other documentation is required to adjudicate' },
  A1: { class: 'denial', description: 'Claim/service denied' },
  B7: {
    class: 'denial',
    description: 'Provider not certified/eligible to be paid for this procedure/service',
  },
  B9: { class: 'denial', description: 'Patient is enrolled in a hospice' },
  B11: { class: 'denial', description: 'Claim/service transferred to the proper payer/processor' },
  B12: { class: 'denial', description: "Services not documented in the patient's medical records" },
  B13: {
    class: 'denial',
    description: 'Previously paid: payment for this claim/service may have been provided',
  },
  B15: {
    class: 'denial',
    description: 'Requires that a qualifying service/procedure be received and covered',
  },
};

export function carcEntry(reason: string): CarcEntry | undefined {
  return Object.hasOwn(CARC_TABLE, reason) ? CARC_TABLE[reason] : undefined;
}

/**
 * What the posting rules do with one CAS adjustment, from its group (CAS01) and reason (CAS02):
 *  - `patient`: PR, any code: moves to the patient;
 *  - `prior-payer`: CARC 23 outside PR: already settled by the earlier payer's remittance, never booked again;
 *  - `denial`: a denial code under CO/OA/PI: stays receivable, billing decides;
 *  - `contractual`: CO (or a contractual code under OA/PI): the contractual allowance;
 *  - `other`: OA otherwise (other payer adjustments);
 *  - `payer-initiated`: PI otherwise (payer-initiated reductions).
 */
export type AdjustmentClass =
  | 'patient'
  | 'prior-payer'
  | 'denial'
  | 'contractual'
  | 'other'
  | 'payer-initiated';

export function adjustmentClass(group: string, reason: string): AdjustmentClass {
  if (group === 'PR') return 'patient';
  const entry = carcEntry(reason);
  if (entry?.class === 'prior-payer') return 'prior-payer';
  if (entry?.class === 'denial') return 'denial';
  if (group === 'CO' || entry?.class === 'contractual') return 'contractual';
  return group === 'PI' ? 'payer-initiated' : 'other';
}
