/**
 * The triage model: naive Bayes over the signals (signals.ts), written out here because it is small and
 * every number it uses must be explainable. Its starting point is the rules below, expressed as pseudo-counts
 * (a rule "PoolError suggests an Odoo outage" is worth so many imaginary resolved exceptions); retraining adds
 * the causes people actually chose when they resolved (docs/triage.md#retrain). Training is deterministic:
 * the same resolved entries give the same counts and the same version, so any suggestion can be traced back
 * to the model that made it.
 */
import { createHash } from 'node:crypto';
import { CAUSES, type Cause, TAXONOMY } from './taxonomy.js';

/** One resolved exception a person labelled: the signals triage saw and the cause the person chose. */
export interface TrainingExample {
  tokens: readonly string[];
  cause: Cause;
}

export interface TriageModel {
  /** `rules-<hash>` for the rules alone, `nb-<examples>-<hash>` once trained on people's choices. */
  version: string;
  examples: number;
  alpha: number;
  classCounts: Record<Cause, number>;
  tokenCounts: Record<Cause, Record<string, number>>;
  tokenTotals: Record<Cause, number>;
  vocabulary: number;
}

/** Rule priors: token → causes it points to, with a strength in pseudo-examples. */
export const RULES: Record<string, Partial<Record<Cause, number>>> = {
  'kind:odoo-write': {
    odoo_unavailable: 3,
    odoo_configuration_missing: 3,
    master_data_mismatch: 3,
    partner_data_error: 1,
    duplicate_or_retransmission: 1,
  },
  'kind:held': { out_of_order_held: 8, claim_not_found: 2 },
  'kind:claim-status': {
    denial_authorization: 2,
    denial_eligibility: 2,
    denial_coding: 2,
    partner_data_error: 1,
  },
  'kind:webhook': { partner_data_error: 8 },
  'kind:webhook-delivery': { partner_endpoint_failure: 10 },
  'kind:refund': { reconciliation_variance: 4 },
  'kind:era:denied': {
    denial_authorization: 2,
    denial_eligibility: 2,
    denial_coding: 2,
    denial_timely_filing: 1,
    duplicate_or_retransmission: 1,
  },
  'kind:era:not-adjudicated': { denial_eligibility: 5, partner_data_error: 1 },
  'kind:era:negative-payment': { underpayment: 6 },
  'kind:era:adjustments-exceed-residual': { duplicate_or_retransmission: 6 },
  'kind:era:billed-differs': { partner_data_error: 4, underpayment: 2 },
  'kind:era:overpayment': { duplicate_or_retransmission: 3, reconciliation_variance: 3 },
  'kind:era:reversal-unmatched': { claim_not_found: 6 },
  'kind:recon:missing_in_odoo': { reconciliation_variance: 6, odoo_unavailable: 1 },
  'kind:recon:posted_twice': { duplicate_or_retransmission: 5, reconciliation_variance: 3 },
  'kind:recon:amount_variance': { reconciliation_variance: 5, underpayment: 2 },
  'kind:recon:wrong_invoice': { reconciliation_variance: 6 },
  'kind:recon:unapplied_cash': { reconciliation_variance: 5, claim_not_found: 2 },
  'kind:recon:remittance_not_received': { workflow_stalled: 5, claim_not_found: 2 },
  'kind:unmatched:remittance': { claim_not_found: 8 },
  'kind:unmatched:claim-status': { claim_not_found: 8 },
  'kind:sla:charge_ready': { workflow_stalled: 8 },
  'kind:sla:invoice_issued': { workflow_stalled: 8 },
  'kind:sla:claim_submitted': { workflow_stalled: 8 },
  'kind:sla:payer_response_received': { workflow_stalled: 8 },
  'kind:anomaly:denial-rate': { payer_anomaly: 10 },
  'kind:anomaly:paid-to-billed': { payer_anomaly: 10 },
  'kind:anomaly:carc-mix': { payer_anomaly: 10 },
  'kind:anomaly:days-to-pay': { payer_anomaly: 10 },
  'kind:anomaly:volume': { payer_anomaly: 10 },
  'fault:PoolError': { odoo_unavailable: 8 },
  'fault:SerializationFailure': { odoo_unavailable: 6 },
  'fault:AccessDenied': { odoo_unavailable: 6, odoo_configuration_missing: 2 },
  'fault:transport': { odoo_unavailable: 8 },
  'fault:gave-up': { odoo_unavailable: 5 },
  'fault:ValidationError': { odoo_configuration_missing: 3, master_data_mismatch: 3, partner_data_error: 1 },
  'fault:MissingError': { master_data_mismatch: 5, odoo_configuration_missing: 2 },
  'fault:UserError': { odoo_configuration_missing: 3, duplicate_or_retransmission: 2 },
  'fault:AccessError': { odoo_configuration_missing: 5 },
  'word:config': { odoo_configuration_missing: 6 },
  'word:master-data': { master_data_mismatch: 6 },
  'word:not-found': { claim_not_found: 4, master_data_mismatch: 1 },
  'word:duplicate': { duplicate_or_retransmission: 5 },
  'word:waiting': { out_of_order_held: 4 },
  'word:short': { underpayment: 3, reconciliation_variance: 2 },
  'word:auth': { denial_authorization: 4 },
  'word:eligibility': { denial_eligibility: 4 },
  'word:timely': { denial_timely_filing: 4 },
  'word:invalid': { partner_data_error: 4 },
  'carc:denial_authorization': { denial_authorization: 8 },
  'carc:denial_eligibility': { denial_eligibility: 8 },
  'carc:denial_coding': { denial_coding: 8 },
  'carc:denial_timely_filing': { denial_timely_filing: 8 },
  'carc:duplicate_or_retransmission': { duplicate_or_retransmission: 8 },
  'team:integration': {
    odoo_unavailable: 1,
    odoo_configuration_missing: 1,
    master_data_mismatch: 1,
    partner_endpoint_failure: 1,
  },
  'team:billing': { denial_authorization: 1, denial_coding: 1, denial_eligibility: 1, workflow_stalled: 1 },
  'team:finance': { underpayment: 1, reconciliation_variance: 1, payer_anomaly: 1 },
};

// Every cause gets each payer-history token: the payer's usual cause is weak evidence for itself.
for (const cause of CAUSES) RULES[`payer:${cause}`] = { [cause]: 1 };

const ALPHA = 0.5;

function emptyCounts(): Pick<TriageModel, 'classCounts' | 'tokenCounts' | 'tokenTotals'> {
  const classCounts = {} as Record<Cause, number>;
  const tokenCounts = {} as Record<Cause, Record<string, number>>;
  const tokenTotals = {} as Record<Cause, number>;
  for (const cause of CAUSES) {
    classCounts[cause] = 1;
    tokenCounts[cause] = {};
    tokenTotals[cause] = 0;
  }
  return { classCounts, tokenCounts, tokenTotals };
}

/**
 * The model from the rules and the labelled examples. The examples are sorted first, so the order the
 * register answers in changes nothing (same data → same counts → same version).
 */
export function train(examples: readonly TrainingExample[]): TriageModel {
  const counts = emptyCounts();
  for (const [token, causes] of Object.entries(RULES)) {
    for (const [cause, weight] of Object.entries(causes) as Array<[Cause, number]>) {
      counts.tokenCounts[cause][token] = (counts.tokenCounts[cause][token] ?? 0) + weight;
      counts.tokenTotals[cause] += weight;
    }
  }
  const sorted = examples
    .map((e) => ({ cause: e.cause, tokens: [...new Set(e.tokens)].sort() }))
    .sort((a, b) => `${a.cause}|${a.tokens.join(',')}`.localeCompare(`${b.cause}|${b.tokens.join(',')}`));
  for (const example of sorted) {
    counts.classCounts[example.cause] += 1;
    for (const token of example.tokens) {
      counts.tokenCounts[example.cause][token] = (counts.tokenCounts[example.cause][token] ?? 0) + 1;
      counts.tokenTotals[example.cause] += 1;
    }
  }
  const vocabulary = new Set(CAUSES.flatMap((c) => Object.keys(counts.tokenCounts[c]))).size;
  const digest = createHash('sha256')
    .update(
      JSON.stringify([ALPHA, counts.classCounts, CAUSES.map((c) => sortedEntries(counts.tokenCounts[c]))]),
    )
    .digest('hex')
    .slice(0, 10);
  return {
    version: examples.length === 0 ? `rules-${digest}` : `nb-${examples.length}-${digest}`,
    examples: examples.length,
    alpha: ALPHA,
    vocabulary,
    ...counts,
  };
}

function sortedEntries(record: Record<string, number>): Array<[string, number]> {
  return Object.entries(record).sort(([a], [b]) => a.localeCompare(b));
}

function known(model: TriageModel, token: string): boolean {
  return CAUSES.some((cause) => (model.tokenCounts[cause][token] ?? 0) > 0);
}

function logLikelihood(model: TriageModel, cause: Cause, token: string): number {
  const count = model.tokenCounts[cause][token] ?? 0;
  return Math.log((count + model.alpha) / (model.tokenTotals[cause] + model.alpha * model.vocabulary));
}

function logPrior(model: TriageModel, cause: Cause): number {
  const total = CAUSES.reduce((sum, c) => sum + model.classCounts[c], 0);
  return Math.log(model.classCounts[cause] / total);
}

export interface Contribution {
  token: string;
  /** Log-odds (natural log) this token adds for the chosen cause against the runner-up; > 0 supports it. */
  weight: number;
}

export interface Classification {
  cause: Cause;
  confidence: number;
  /** Every cause with its posterior probability, most probable first. */
  posterior: Array<{ cause: Cause; probability: number }>;
  runnerUp: Cause;
  /** Prior log-odds of the chosen cause against the runner-up (how common each is in the register). */
  priorWeight: number;
  contributions: Contribution[];
}

/** Posterior over causes for the tokens (unknown tokens carry no information and are skipped). */
export function classify(model: TriageModel, tokens: readonly string[]): Classification {
  const used = [...new Set(tokens)].filter((token) => known(model, token));
  const scores = CAUSES.map((cause) => ({
    cause,
    score: logPrior(model, cause) + used.reduce((sum, token) => sum + logLikelihood(model, cause, token), 0),
  }));
  const max = Math.max(...scores.map((s) => s.score));
  const exp = scores.map((s) => ({ cause: s.cause, value: Math.exp(s.score - max) }));
  const z = exp.reduce((sum, s) => sum + s.value, 0);
  // Ties break by taxonomy order, so the answer never depends on floating-point luck between equal scores.
  const posterior = exp
    .map((s) => ({ cause: s.cause, probability: s.value / z }))
    .sort((a, b) => b.probability - a.probability || CAUSES.indexOf(a.cause) - CAUSES.indexOf(b.cause));
  const best = posterior[0] as { cause: Cause; probability: number };
  const second = posterior[1] as { cause: Cause; probability: number };
  return {
    cause: best.cause,
    confidence: best.probability,
    posterior,
    runnerUp: second.cause,
    priorWeight: logPrior(model, best.cause) - logPrior(model, second.cause),
    contributions: used.map((token) => ({
      token,
      weight: logLikelihood(model, best.cause, token) - logLikelihood(model, second.cause, token),
    })),
  };
}

/** The cause people chose most often for this payer (ties: taxonomy order); undefined without history. */
export function usualCause(causes: readonly Cause[]): Cause | undefined {
  const counts = new Map<Cause, number>();
  for (const cause of causes) counts.set(cause, (counts.get(cause) ?? 0) + 1);
  let best: Cause | undefined;
  for (const cause of CAUSES) {
    const n = counts.get(cause) ?? 0;
    if (n > 0 && (best === undefined || n > (counts.get(best) ?? 0))) best = cause;
  }
  return best;
}

export const causeLabel = (cause: Cause): string => TAXONOMY[cause].label;
