/**
 * The triage taxonomy (docs/triage.md#taxonomy): the business causes an exception can have, what each costs if
 * nobody acts (probability of losing the money at stake, before age), and the runbook's next action with the
 * exact API call where one exists. Pure data: the model (model.ts) chooses among these causes, the exposure
 * rules (exposure.ts) price them, people confirm or override them when they resolve.
 */
export const CAUSES = [
  'odoo_unavailable',
  'odoo_configuration_missing',
  'master_data_mismatch',
  'claim_not_found',
  'denial_authorization',
  'denial_eligibility',
  'denial_coding',
  'denial_timely_filing',
  'duplicate_or_retransmission',
  'underpayment',
  'out_of_order_held',
  'partner_data_error',
  'partner_endpoint_failure',
  'reconciliation_variance',
  'workflow_stalled',
  'payer_anomaly',
] as const;
export type Cause = (typeof CAUSES)[number];

/** What a person does next; `api` is the call that does it (path relative to the API's base URL). */
export const ACTIONS = [
  'retry',
  'resolve_with_note',
  'fix_master_data_then_retry',
  'configure_odoo_then_retry',
  'correct_and_resubmit_claim',
  'appeal_denial',
  'contact_payer',
  'write_off',
  'investigate_in_odoo',
] as const;
export type Action = (typeof ACTIONS)[number];

export interface CauseSpec {
  /** Plain words for a finance or billing reader. */
  label: string;
  description: string;
  /**
   * Probability the money at stake is lost if the exception is left as it is today (age 0). It rises with age
   * toward the payer's filing/appeal window (exposure.ts). Technical causes lose nothing while the hub still
   * holds the event; denials lose most once the appeal window closes.
   */
  baseLoss: number;
  /** Whether the loss depends on a payer deadline (timely filing or appeal) that runs from the opening. */
  deadline: 'filing' | 'appeal' | 'none';
  action: Action;
  /** The runbook step, as a person reads it. */
  nextStep: string;
  /** Runbook section (docs/operations.md). */
  runbook: string;
}

export const TAXONOMY: Record<Cause, CauseSpec> = {
  odoo_unavailable: {
    label: 'Odoo outage or throttling',
    description: 'Odoo did not answer, was overloaded or refused the login; the document itself is fine.',
    baseLoss: 0.01,
    deadline: 'none',
    action: 'retry',
    nextStep: 'Check GET /health until Odoo answers, then retry: the hub writes the event exactly once.',
    runbook: 'odoo-down',
  },
  odoo_configuration_missing: {
    label: 'Odoo configuration missing',
    description: 'Odoo lacks a journal, account, tax or sequence the posting needs.',
    baseLoss: 0.03,
    deadline: 'none',
    action: 'configure_odoo_then_retry',
    nextStep: 'Create the missing journal/account in Odoo (the reason names it), then retry.',
    runbook: 'odoo-configuration',
  },
  master_data_mismatch: {
    label: 'Master-data mismatch',
    description: 'A patient, payer or partner is missing or differs between the source system and Odoo.',
    baseLoss: 0.05,
    deadline: 'filing',
    action: 'fix_master_data_then_retry',
    nextStep: 'PUT the corrected patient or payer (PUT /v1/patients/{id} or /v1/payers/{id}), then retry.',
    runbook: 'master-data',
  },
  claim_not_found: {
    label: 'Claim or invoice not found',
    description: 'A remittance or status names a claim or invoice the hub never received.',
    baseLoss: 0.15,
    deadline: 'filing',
    action: 'investigate_in_odoo',
    nextStep:
      'Find the claim in the billing system and submit it (POST /v1/claims); the held remittance then posts.',
    runbook: 'exceptions',
  },
  denial_authorization: {
    label: 'Payer denial: authorization or referral',
    description:
      'The payer denied for missing prior authorization, referral or pre-certification (CARC 197, 15, 62…).',
    baseLoss: 0.35,
    deadline: 'appeal',
    action: 'appeal_denial',
    nextStep:
      'Obtain the retro-authorization and appeal within the payer’s window; resolve with the appeal reference.',
    runbook: 'exceptions',
  },
  denial_eligibility: {
    label: 'Payer denial: eligibility or coverage',
    description: 'The patient was not covered on the date of service (CARC 27, 26, 31, 109…).',
    baseLoss: 0.45,
    deadline: 'filing',
    action: 'correct_and_resubmit_claim',
    nextStep: 'Verify coverage, bill the right payer or the patient, and resolve with a note.',
    runbook: 'exceptions',
  },
  denial_coding: {
    label: 'Payer denial: coding or missing information',
    description: 'The payer rejected codes, modifiers or missing data (CARC 4, 11, 16, 146, 181…).',
    baseLoss: 0.25,
    deadline: 'filing',
    action: 'correct_and_resubmit_claim',
    nextStep: 'Correct the claim (codes, modifiers, missing fields) and resubmit it (POST /v1/claims).',
    runbook: 'exceptions',
  },
  denial_timely_filing: {
    label: 'Payer denial: timely filing',
    description: 'The payer says the claim arrived after its filing limit (CARC 29).',
    baseLoss: 0.85,
    deadline: 'appeal',
    action: 'appeal_denial',
    nextStep: 'Appeal only with proof of timely submission (clearinghouse acceptance); otherwise write off.',
    runbook: 'exceptions',
  },
  duplicate_or_retransmission: {
    label: 'Duplicate or retransmission',
    description:
      'The same claim, remittance or payment arrived twice, or the payer flagged a duplicate (CARC 18).',
    baseLoss: 0.05,
    deadline: 'none',
    action: 'resolve_with_note',
    nextStep: 'Confirm the original was posted (GET /v1/workflows/{encounterId}) and resolve with a note.',
    runbook: 'exceptions',
  },
  underpayment: {
    label: 'Underpayment against expected',
    description: 'The payer paid less than billed or expected, or took money back outside a reversal.',
    baseLoss: 0.5,
    deadline: 'appeal',
    action: 'contact_payer',
    nextStep:
      'Compare the ERA with the contract; dispute the short-pay with the payer or write off the difference.',
    runbook: 'exceptions',
  },
  out_of_order_held: {
    label: 'Out of order, held',
    description: 'An event arrived before what it depends on (an invoice, claim or patient) and is waiting.',
    baseLoss: 0.04,
    deadline: 'filing',
    action: 'retry',
    nextStep: 'Send the missing document (the reason names it); then retry the held event.',
    runbook: 'exceptions',
  },
  partner_data_error: {
    label: 'Partner data error',
    description:
      'A partner sent something the hub could not map (bad payload, unknown ids, inconsistent amounts).',
    baseLoss: 0.1,
    deadline: 'filing',
    action: 'fix_master_data_then_retry',
    nextStep: 'Ask the partner for a corrected payload, or replay it corrected (POST …/replay), then retry.',
    runbook: 'webhooks',
  },
  partner_endpoint_failure: {
    label: 'Partner endpoint failure',
    description: 'A partner’s webhook endpoint kept failing; no money moves, the partner missed events.',
    baseLoss: 0,
    deadline: 'none',
    action: 'resolve_with_note',
    nextStep: 'Tell the partner; once their endpoint answers, they can read missed events from the API.',
    runbook: 'webhooks',
  },
  reconciliation_variance: {
    label: 'Reconciliation variance',
    description: 'Odoo and the hub disagree on what was posted (missing, twice, wrong amount or invoice).',
    baseLoss: 0.2,
    deadline: 'none',
    action: 'investigate_in_odoo',
    nextStep:
      'Open the Odoo records the reconciliation names (GET /v1/reconciliations/{runId}) and correct them.',
    runbook: 'alarm-reconciliation-variance',
  },
  workflow_stalled: {
    label: 'Workflow stalled',
    description:
      'An encounter stayed in one stage longer than its service level (no claim, no payer answer).',
    baseLoss: 0.1,
    deadline: 'filing',
    action: 'contact_payer',
    nextStep: 'Chase the next step the stage waits for (submit the claim, call the payer for status).',
    runbook: 'alarm-open-exceptions',
  },
  payer_anomaly: {
    label: 'Payer payment anomaly',
    description: 'A payer’s denials, payments or timing moved away from its own normal.',
    baseLoss: 0.15,
    deadline: 'none',
    action: 'contact_payer',
    nextStep:
      'Review the claims listed in the anomaly with the payer (contract change, system problem); it clears itself when the payer returns to normal.',
    runbook: 'payer-anomalies',
  },
};

/** Group CARC (X12 claim adjustment reason) codes into denial classes; unknown codes are not a signal. */
export const CARC_CLASS: Record<string, Cause> = {
  '197': 'denial_authorization',
  '15': 'denial_authorization',
  '62': 'denial_authorization',
  '198': 'denial_authorization',
  '27': 'denial_eligibility',
  '26': 'denial_eligibility',
  '31': 'denial_eligibility',
  '109': 'denial_eligibility',
  '177': 'denial_eligibility',
  '4': 'denial_coding',
  '5': 'denial_coding',
  '11': 'denial_coding',
  '16': 'denial_coding',
  '146': 'denial_coding',
  '181': 'denial_coding',
  '182': 'denial_coding',
  '29': 'denial_timely_filing',
  '18': 'duplicate_or_retransmission',
  // CO-45 (charge above the fee schedule) is on nearly every paid claim: the contract, not a short-pay.
};

export interface NextAction {
  action: Action;
  text: string;
  runbook: string;
  /** The exact API call, when the hub has one for this exception. */
  api?: { method: 'GET' | 'POST' | 'PUT'; path: string };
}

/**
 * The runbook's next action for a cause on this exception: retry only when the exception holds something the
 * hub can re-drive; otherwise the cause's step and a resolve with a note once it is done.
 */
export function nextActionFor(
  cause: Cause,
  exception: { id: string; redriveKind: string; encounterId?: string },
): NextAction {
  const spec = TAXONOMY[cause];
  const base = { action: spec.action, text: spec.nextStep, runbook: `docs/operations.md#${spec.runbook}` };
  const canRetry = exception.redriveKind !== 'none';
  const retry = { method: 'POST' as const, path: `/v1/exceptions/${exception.id}/retry` };
  const resolve = { method: 'POST' as const, path: `/v1/exceptions/${exception.id}/resolve` };
  switch (spec.action) {
    case 'retry':
    case 'fix_master_data_then_retry':
    case 'configure_odoo_then_retry':
      return canRetry ? { ...base, api: retry } : { ...base, action: 'resolve_with_note', api: resolve };
    case 'investigate_in_odoo':
      return exception.encounterId
        ? { ...base, api: { method: 'GET', path: `/v1/workflows/${exception.encounterId}` } }
        : { ...base, api: resolve };
    default:
      return { ...base, api: resolve };
  }
}
