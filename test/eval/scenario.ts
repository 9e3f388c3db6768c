/**
 * Seeded scenario generator for `npm run eval` (docs/triage.md#evaluation). Everything is synthetic: payers
 * are `PAYER-01`…, claims `C-<payer>-<n>`, no names, no member ids, nothing that could be a real patient.
 * The same seed gives the same scenario, byte for byte.
 *
 *  - claims: per payer, a weekday-seasonal volume, billed charges by claim type (CHARGE_MIX: professional,
 *    outpatient, inpatient; log-normal within a type), denials with CARC codes,
 *    paid-to-billed ratios and days to pay (log-normal), over `weeks` simulated weeks;
 *  - anomalies: some payers get a planted fault (denial spike with one CARC, short-pay, slow pay) from an onset
 *    day for a few weeks, then return to normal; two others a fault at one of their three facilities only;
 *  - exceptions: faults with a known cause, written the way the hub's producers word them, with the
 *    ambiguity real ones have (a ValidationError may be configuration or master data) and a person's label
 *    that is wrong now and then.
 */
import type { ClaimOutcome } from '../../lambdas/core/insights/outcomes.js';
import { addDays } from '../../lambdas/core/insights/outcomes.js';
import type { Cause } from '../../lambdas/core/triage/taxonomy.js';

/** mulberry32: small, fast, good enough for simulation, and seedable. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Random = () => number;
const normal = (r: Random): number => {
  const u = Math.max(r(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
};
const pick = <T>(r: Random, items: readonly T[]): T => items[Math.floor(r() * items.length)] as T;
const poisson = (r: Random, mean: number): number => {
  // Knuth for small means, normal approximation above.
  if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * normal(r)));
  const l = Math.exp(-mean);
  let k = 0;
  let p = 1;
  do {
    k += 1;
    p *= r();
  } while (p > l);
  return k - 1;
};

export const START = '2026-01-05'; // a Monday

/**
 * Billed charges by claim type (docs/triage.md#evaluation). A/R money is heavy-tailed: public aggregates say
 * inpatient stays are about 7 % of people's care but 29 % of spending, at a mean cost of about $10,400 per stay
 * (AHRQ HCUP Statistical Briefs #180, #181, 2012), and hospitals bill charges of roughly three times cost; a
 * professional or outpatient claim is hundreds to a few thousand dollars. Each claim draws its type, then a
 * log-normal charge around the type's median. The parameters come from those aggregates, rounded; they were not
 * fitted to any goal of the evaluation.
 */
export const CHARGE_MIX = [
  { type: 'professional', share: 0.7, medianCents: 180_00, sigma: 0.8 },
  { type: 'outpatient', share: 0.25, medianCents: 1_500_00, sigma: 0.9 },
  { type: 'inpatient', share: 0.05, medianCents: 20_000_00, sigma: 0.9 },
] as const;

export function billedChargeCents(r: Random): number {
  let roll = r();
  let kind: (typeof CHARGE_MIX)[number] = CHARGE_MIX[CHARGE_MIX.length - 1] as (typeof CHARGE_MIX)[number];
  for (const c of CHARGE_MIX) {
    roll -= c.share;
    if (roll <= 0) {
      kind = c;
      break;
    }
  }
  return Math.max(20_00, Math.round(Math.exp(Math.log(kind.medianCents) + kind.sigma * normal(r))));
}

export type PlantedKind = 'denial-spike' | 'short-pay' | 'slow-pay';

/** The facilities whose claims go to every payer, with their share of the claims. */
export const FACILITIES = [
  { facilityId: 'FAC-A', share: 0.5 },
  { facilityId: 'FAC-B', share: 0.3 },
  { facilityId: 'FAC-C', share: 0.2 },
] as const;

export interface PayerProfile {
  payerId: string;
  weekdayVolume: number;
  denialRate: number;
  paidRatio: number;
  daysMedian: number;
  anomaly?: { kind: PlantedKind; onsetDay: number; endDay: number; code?: string };
  /** One facility's own fault (a clinic's coding problem): its denials of this payer rise, with one CARC. */
  facilityFault?: { facilityId: string; onsetDay: number; endDay: number; code: string };
}

export interface ClaimRecord extends ClaimOutcome {
  payerId: string;
  facilityId: string;
  submittedDay: number;
  /** Whether the claim was submitted (or adjudicated) under a planted fault (the payer's or its facility's). */
  affected: boolean;
  /** Whether it was under its facility's own fault. */
  facilityAffected: boolean;
}

const WEEKDAY_FACTOR = [0.15, 1.1, 1, 1, 0.95, 0.9, 0.1]; // Sun..Sat: clinics bill on weekdays

export function payerProfiles(r: Random, count: number, weeks: number): PayerProfile[] {
  const kinds: PlantedKind[] = ['denial-spike', 'short-pay', 'slow-pay'];
  return Array.from({ length: count }, (_, i) => {
    const profile: PayerProfile = {
      payerId: `PAYER-${String(i + 1).padStart(2, '0')}`,
      weekdayVolume: 20 + Math.floor(r() * 40),
      denialRate: 0.05 + r() * 0.07,
      paidRatio: 0.55 + r() * 0.25,
      daysMedian: 12 + Math.floor(r() * 18),
    };
    // Two of the others get a fault at one facility only (+25 points of denials with CARC 16), three weeks.
    if (i % 4 === 1) {
      const onsetDay = 7 * Math.floor(weeks / 2) + Math.floor(r() * 7);
      profile.facilityFault = {
        facilityId: i % 8 === 1 ? 'FAC-B' : 'FAC-C',
        onsetDay,
        endDay: onsetDay + 21,
        code: '16',
      };
    }
    // Half the payers get a planted fault in the second half, lasting three weeks.
    if (i % 2 === 0) {
      const onsetDay = 7 * Math.floor(weeks / 2) + Math.floor(r() * 7);
      profile.anomaly = {
        kind: kinds[(i / 2) % kinds.length] as PlantedKind,
        onsetDay,
        endDay: onsetDay + 21,
        code: pick(r, ['197', '16', '27']),
      };
    }
    return profile;
  });
}

/** Every claim of a payer over the simulation, adjudicated or not (paidDate may be past the end). */
export function claimsOf(r: Random, p: PayerProfile, weeks: number): ClaimRecord[] {
  const claims: ClaimRecord[] = [];
  let n = 0;
  for (let day = 0; day < weeks * 7; day += 1) {
    const weekday = (1 + day) % 7; // START is a Monday
    const count = poisson(r, p.weekdayVolume * (WEEKDAY_FACTOR[weekday] as number));
    for (let k = 0; k < count; k += 1) {
      n += 1;
      let roll = r();
      const facilityId = (FACILITIES.find((f) => (roll -= f.share) <= 0) ?? FACILITIES[0]).facilityId;
      const billedCents = billedChargeCents(r);
      let daysToPay = Math.max(3, Math.round(p.daysMedian * Math.exp(0.35 * normal(r))));
      let denialRate = p.denialRate;
      let paidRatio = p.paidRatio;
      const a = p.anomaly;
      let affected = false;
      // slow-pay affects claims submitted during the fault; the others affect adjudication during it.
      if (a?.kind === 'slow-pay' && day >= a.onsetDay && day < a.endDay) {
        daysToPay += 12;
        affected = true;
      }
      const paidDay = day + daysToPay;
      if (a && a.kind !== 'slow-pay' && paidDay >= a.onsetDay && paidDay < a.endDay) {
        affected = true;
        if (a.kind === 'denial-spike') denialRate = Math.min(0.6, p.denialRate + 0.22);
        if (a.kind === 'short-pay') paidRatio = p.paidRatio - 0.18;
      }
      const f = p.facilityFault;
      const facilityAffected =
        f !== undefined && f.facilityId === facilityId && paidDay >= f.onsetDay && paidDay < f.endDay;
      if (facilityAffected) {
        affected = true;
        denialRate = Math.min(0.6, denialRate + 0.25);
      }
      const denied = r() < denialRate;
      const carcs: string[] = [];
      let paidCents = 0;
      if (denied) {
        const code =
          facilityAffected && r() < 0.8
            ? (f?.code as string)
            : affected && a?.kind === 'denial-spike'
              ? (a.code as string)
              : pick(r, ['197', '16', '27', '4', '29', '18']);
        carcs.push(code);
      } else {
        const ratio = Math.min(1, Math.max(0.05, paidRatio + 0.06 * normal(r)));
        paidCents = Math.round(billedCents * ratio);
        carcs.push('45');
        if (r() < 0.3) carcs.push(pick(r, ['1', '2', '3']));
      }
      claims.push({
        payerId: p.payerId,
        facilityId,
        facilityAffected,
        claimId: `C-${p.payerId}-${n}`,
        submittedDay: day,
        submittedDate: addDays(START, day),
        paidDate: addDays(START, paidDay),
        billedCents,
        paidCents,
        denied,
        carcs,
        affected,
      });
    }
  }
  return claims;
}

// ---- exceptions with known causes ----

export interface PlantedException {
  id: string;
  key: string;
  team: 'billing' | 'finance' | 'integration';
  reason: string;
  amountCents: number;
  payerId: string;
  openedAt: string;
  attempt: number;
  redriveKind: string;
  trueCause: Cause;
  /** What the person who resolved it chose (usually the true cause; sometimes a plausible other). */
  labelledCause: Cause;
  /** The generator's own loss probability for this fault (not the model's table): the money truly at risk. */
  trueLossProbability: number;
}

type Template = (
  r: Random,
  id: string,
  payer: string,
) => {
  key: string;
  team: PlantedException['team'];
  reason: string;
  redriveKind: string;
  confusableWith: Cause;
};

const ev = (r: Random) =>
  pick(r, ['InvoiceIssued', 'RemittanceReceived', 'PaymentReceived', 'ClaimSubmitted']);

const TEMPLATES: Record<Cause, Template[]> = {
  odoo_unavailable: [
    (r, id) => ({
      key: `odoo-write:${id}`,
      team: 'integration',
      reason: `${ev(r)} refused by Odoo: gave up after 5 attempts: ${pick(r, ['The Connection Pool Is Full', 'HTTP 502 from Odoo', 'request timed out after 30 s', 'could not serialize access due to concurrent update'])}`,
      redriveKind: 'dead-letter',
      confusableWith: 'odoo_configuration_missing',
    }),
  ],
  odoo_configuration_missing: [
    (r, id) => ({
      key: `odoo-write:${id}`,
      team: 'integration',
      reason: `${ev(r)} refused by Odoo: odoo.exceptions.ValidationError: ${pick(r, ['null value in column "journal_id" violates not-null constraint', 'no sequence defined for journal BNK2', 'the tax 15% is not configured for this company', 'account 651000 does not exist in the chart'])}`,
      redriveKind: 'dead-letter',
      confusableWith: 'master_data_mismatch',
    }),
    // The same words for two causes: Odoo says only that the operation failed; people tell them apart.
    (_r, id) => ({
      key: `odoo-write:${id}`,
      team: 'integration',
      reason: `InvoiceIssued refused by Odoo: odoo.exceptions.ValidationError: The operation cannot be completed`,
      redriveKind: 'dead-letter',
      confusableWith: 'master_data_mismatch',
    }),
    (r, id) => ({
      key: `odoo-write:${id}`,
      team: 'integration',
      reason: `${ev(r)} refused by Odoo: odoo.exceptions.AccessError: ${pick(r, ['you are not allowed to create journal entries', 'access to account.payment.register denied'])}`,
      redriveKind: 'dead-letter',
      confusableWith: 'odoo_unavailable',
    }),
  ],
  master_data_mismatch: [
    (r, id) => ({
      key: `odoo-write:${id}`,
      team: 'integration',
      reason: `${ev(r)} refused by Odoo: odoo.exceptions.MissingError: ${pick(r, ['Record does not exist or has been deleted (res.partner 4412)', 'partner 311 not found'])}`,
      redriveKind: 'dead-letter',
      confusableWith: 'odoo_configuration_missing',
    }),
    (r, id) => ({
      key: `odoo-write:${id}`,
      team: 'integration',
      reason: `${ev(r)} refused by Odoo: odoo.exceptions.ValidationError: ${pick(r, ['the patient partner differs from the invoice partner', 'payer partner missing for the company'])}`,
      redriveKind: 'dead-letter',
      confusableWith: 'odoo_configuration_missing',
    }),
    // The same words for two causes: Odoo says only that the operation failed; people tell them apart.
    (_r, id) => ({
      key: `odoo-write:${id}`,
      team: 'integration',
      reason: `InvoiceIssued refused by Odoo: odoo.exceptions.ValidationError: The operation cannot be completed`,
      redriveKind: 'dead-letter',
      confusableWith: 'odoo_configuration_missing',
    }),
  ],
  claim_not_found: [
    (r, id) => ({
      key: `unmatched:remittance:${id}`,
      team: 'billing',
      reason: `remittance ${id} names claim ${pick(r, ['CLM', 'C'])}-${id.slice(-4)} that the hub does not know`,
      redriveKind: 'none',
      confusableWith: 'partner_data_error',
    }),
    (_r, id, payer) => ({
      key: `era:${id}:reversal-unmatched`,
      team: 'finance',
      reason: `reversal of a remittance the hub never posted: payer ${payer} reversed claim C-${id} for 120.00`,
      redriveKind: 'none',
      confusableWith: 'duplicate_or_retransmission',
    }),
  ],
  denial_authorization: [
    (r, id, payer) => ({
      key: `era:${id}:denied`,
      team: 'billing',
      reason: `claim C-${id} denied by payer ${payer} (claim status 4): ${pick(r, ['CO-197', 'CO-197, CO-45', 'CO-15', 'CO-62'])}; the invoice stays open`,
      redriveKind: 'none',
      confusableWith: 'denial_coding',
    }),
  ],
  denial_eligibility: [
    (r, id, payer) => ({
      key: `era:${id}:denied`,
      team: 'billing',
      reason: `claim C-${id} denied by payer ${payer} (claim status 4): ${pick(r, ['CO-27', 'CO-26', 'CO-31', 'CO-109'])}; the invoice stays open`,
      redriveKind: 'none',
      confusableWith: 'denial_coding',
    }),
    (_r, id, payer) => ({
      key: `era:${id}:not-adjudicated`,
      team: 'billing',
      reason: `claim C-${id} not adjudicated by payer ${payer}: payer says it is not their claim and forwarded it to another payer (claim status 23); the invoice stays open`,
      redriveKind: 'none',
      confusableWith: 'partner_data_error',
    }),
  ],
  denial_coding: [
    (r, id, payer) => ({
      key: `era:${id}:denied`,
      team: 'billing',
      reason: `claim C-${id} denied by payer ${payer} (claim status 4): ${pick(r, ['CO-16', 'CO-4', 'CO-11', 'CO-146', 'CO-16, CO-45'])}; the invoice stays open`,
      redriveKind: 'none',
      confusableWith: 'denial_authorization',
    }),
  ],
  denial_timely_filing: [
    (r, id, payer) => ({
      key: `era:${id}:denied`,
      team: 'billing',
      reason: `claim C-${id} denied by payer ${payer} (claim status 4): ${pick(r, ['CO-29', 'CO-29, CO-45'])}; the invoice stays open`,
      redriveKind: 'none',
      confusableWith: 'denial_coding',
    }),
  ],
  duplicate_or_retransmission: [
    (_r, id) => ({
      key: `era:${id}:adjustments-exceed-residual`,
      team: 'billing',
      reason: `adjustments of 80.00 on claim C-${id} exceed the 0.00 invoice INV-${id} still owes; was the claim already posted by another remittance?`,
      redriveKind: 'none',
      confusableWith: 'reconciliation_variance',
    }),
    (_r, id, payer) => ({
      key: `recon:posted_twice:${id}`,
      team: 'finance',
      reason: `Odoo holds 2 payments for claim C-${id} (ERA T${id}); 150.00 is posted more than once (payer ${payer})`,
      redriveKind: 'none',
      confusableWith: 'reconciliation_variance',
    }),
    (_r, id, payer) => ({
      key: `era:${id}:denied`,
      team: 'billing',
      reason: `claim C-${id} denied by payer ${payer} (claim status 4): CO-18; the invoice stays open`,
      redriveKind: 'none',
      confusableWith: 'denial_coding',
    }),
  ],
  underpayment: [
    (_r, id, payer) => ({
      key: `era:${id}:negative-payment`,
      team: 'finance',
      reason: `payer ${payer} took back 55.00 on claim C-${id} outside a reversal (claim status 1); post the recoupment by hand`,
      redriveKind: 'none',
      confusableWith: 'reconciliation_variance',
    }),
    (_r, id, payer) => ({
      key: `recon:amount_variance:${id}`,
      team: 'finance',
      reason: `Odoo payment 77 for claim C-${id} is 80.00; the ERA T${id} says 120.00 (payer ${payer} paid less than the contract)`,
      redriveKind: 'none',
      confusableWith: 'reconciliation_variance',
    }),
  ],
  out_of_order_held: [
    (r, id) => ({
      key: `held:${id}`,
      team: 'integration',
      reason: `${pick(r, ['ClaimSubmitted', 'RemittanceReceived', 'PaymentReceived'])} has waited ${30 + Math.floor(r() * 90)} min for ${pick(r, ['invoice INV-', 'claim C-', 'patient PAT-'])}${id.slice(-4)}`,
      redriveKind: 'held',
      confusableWith: 'claim_not_found',
    }),
  ],
  partner_data_error: [
    (r, id) => ({
      key: `webhook:${pick(r, ['clearinghouse', 'gateway', 'ehr'])}:${id}`,
      team: 'integration',
      reason: `webhook from clearinghouse quarantined (delivery ${id}): ${pick(r, ['payload could not be mapped: missing claimId', 'invalid amount "12,50"', 'schema mismatch at data.payment.date'])}`,
      redriveKind: 'quarantined-webhook',
      confusableWith: 'claim_not_found',
    }),
    (_r, id, payer) => ({
      key: `era:${id}:billed-differs`,
      team: 'billing',
      reason: `billed amount differs from the invoice: the payer ${payer} adjudicated 130.00 on claim C-${id}, invoice INV-${id} totals 120.00 (more by 10.00)`,
      redriveKind: 'none',
      confusableWith: 'underpayment',
    }),
  ],
  partner_endpoint_failure: [
    (_r, id) => ({
      key: `webhook-delivery:sub-${id}:evt-${id}`,
      team: 'integration',
      reason: `webhook PaymentPosted evt-${id} to subscription sub-${id} not delivered: HTTP 503 for 24 h`,
      redriveKind: 'none',
      confusableWith: 'odoo_unavailable',
    }),
  ],
  reconciliation_variance: [
    (r, id, payer) => ({
      key: `recon:${pick(r, ['missing_in_odoo', 'wrong_invoice', 'unapplied_cash'])}:${id}`,
      team: 'finance',
      reason: `Odoo payment ${id} of 90.00 from payer ${payer} is applied to no invoice`,
      redriveKind: 'none',
      confusableWith: 'duplicate_or_retransmission',
    }),
    (_r, id) => ({
      key: `refund:${id}:partial`,
      team: 'finance',
      reason: `partial refund ${id} of 20.00 on payment P-${id} (100.00): book it in Odoo by hand`,
      redriveKind: 'none',
      confusableWith: 'duplicate_or_retransmission',
    }),
  ],
  workflow_stalled: [
    (r, id) => ({
      key: `sla:${pick(r, ['invoice_issued', 'claim_submitted', 'payer_response_received'])}`,
      team: 'billing',
      reason: `in claim_submitted for ${720 + Math.floor(r() * 200)} h (threshold 720 h); 310.00 open (encounter E-${id})`,
      redriveKind: 'none',
      confusableWith: 'claim_not_found',
    }),
    (_r, id, payer) => ({
      key: `recon:remittance_not_received:${id}`,
      team: 'billing',
      reason: `claim C-${id} for 310.00 was submitted to payer ${payer} 61 days ago (expected within 30) and no remittance has arrived`,
      redriveKind: 'none',
      confusableWith: 'claim_not_found',
    }),
  ],
  payer_anomaly: [
    (r, _id, payer) => ({
      key: `anomaly:${pick(r, ['denial-rate', 'paid-to-billed', 'days-to-pay'])}:${payer}`,
      team: 'finance',
      reason: `${payer}: denial rate 31 % over the last 50 claims against 8 % ± 2 % for 28 days`,
      redriveKind: 'none',
      confusableWith: 'underpayment',
    }),
  ],
};

/** How often each cause occurs (integration outages come in bursts; denials dominate billing's queue). */
const CAUSE_WEIGHTS: Record<Cause, number> = {
  odoo_unavailable: 10,
  odoo_configuration_missing: 5,
  master_data_mismatch: 6,
  claim_not_found: 5,
  denial_authorization: 9,
  denial_eligibility: 7,
  denial_coding: 8,
  denial_timely_filing: 3,
  duplicate_or_retransmission: 5,
  underpayment: 6,
  out_of_order_held: 6,
  partner_data_error: 5,
  partner_endpoint_failure: 2,
  reconciliation_variance: 5,
  workflow_stalled: 5,
  payer_anomaly: 1,
};

/** Generator-side loss rates: deliberately not the model's table (docs/triage.md#evaluation). */
const TRUE_LOSS: Record<Cause, number> = {
  odoo_unavailable: 0.005,
  odoo_configuration_missing: 0.02,
  master_data_mismatch: 0.08,
  claim_not_found: 0.25,
  denial_authorization: 0.3,
  denial_eligibility: 0.55,
  denial_coding: 0.2,
  denial_timely_filing: 0.9,
  duplicate_or_retransmission: 0.03,
  underpayment: 0.6,
  out_of_order_held: 0.02,
  partner_data_error: 0.12,
  partner_endpoint_failure: 0,
  reconciliation_variance: 0.15,
  workflow_stalled: 0.12,
  payer_anomaly: 0.1,
};

export function plantExceptions(
  r: Random,
  count: number,
  payers: readonly string[],
  fromDay: number,
  toDay: number,
  labelNoise: number,
  prefix: string,
): PlantedException[] {
  const causes = Object.keys(CAUSE_WEIGHTS) as Cause[];
  const total = causes.reduce((sum, c) => sum + CAUSE_WEIGHTS[c], 0);
  const out: PlantedException[] = [];
  for (let i = 0; i < count; i += 1) {
    let roll = r() * total;
    let cause = causes[0] as Cause;
    for (const c of causes) {
      roll -= CAUSE_WEIGHTS[c];
      if (roll <= 0) {
        cause = c;
        break;
      }
    }
    const id = `${prefix}${String(i).padStart(5, '0')}`;
    const payer = pick(r, payers);
    const t = pick(r, TEMPLATES[cause])(r, id, payer);
    const day = fromDay + Math.floor(r() * (toDay - fromDay));
    // The money at stake is the claim's (or its invoice's, its payment's) charge: most exceptions are small, the
    // few inpatient ones carry most of the revenue. An anomaly is about the claims behind it (here 25 of them);
    // an undelivered partner webhook carries no money.
    const amountCents =
      cause === 'partner_endpoint_failure'
        ? 0
        : cause === 'payer_anomaly'
          ? Array.from({ length: 25 }, () => billedChargeCents(r)).reduce((a, b) => a + b, 0)
          : billedChargeCents(r);
    const attempt = t.key.startsWith('odoo-write') && r() < 0.2 ? 1 + Math.floor(r() * 2) : 0;
    // Per-instance variation around the generator's rate: two denials of one class are not equally recoverable.
    const trueLossProbability = Math.min(1, TRUE_LOSS[cause] * (0.6 + 0.8 * r()));
    out.push({
      id,
      key: attempt > 0 ? `${t.key}:retry:${attempt}` : t.key,
      team: t.team,
      reason: t.reason,
      amountCents,
      payerId: payer,
      openedAt: `${addDays(START, day)}T${String(8 + Math.floor(r() * 10)).padStart(2, '0')}:00:00Z`,
      attempt,
      redriveKind: t.redriveKind,
      trueCause: cause,
      labelledCause: r() < labelNoise ? t.confusableWith : cause,
      trueLossProbability,
    });
  }
  return out;
}
