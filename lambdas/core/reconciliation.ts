import * as z from 'zod';
import { PartnerId } from './identifiers.js';
import { type Cents, formatCents } from './money.js';
import { paymentStepRef } from './payment-posting.js';
import type { PostingStep } from './posting-plan.js';

/**
 * Reconciliation: does what Odoo posted agree with what the payer paid and the hub accepted? Pure — the
 * reconciliation handler reads the hub's records and Odoo's, in bounded batches, and asks this module to
 * compare them. Every difference it finds has a stable key (class + subject), so a rerun, a retried batch or
 * a resumed run finds the same differences and opens no exception twice. docs/reconciliation.md explains the
 * classes with an example each.
 */

export const DIFFERENCE_CLASSES = [
  /** The hub accepted it (and planned it), Odoo has no such record. */
  'missing_in_odoo',
  /** Odoo has the same money twice: two records under one hub ref, or a hand-keyed copy of a hub payment. */
  'posted_twice',
  /** Odoo's record disagrees on the amount, or an invoice the hub closed is still open. */
  'amount_variance',
  /** The payment is reconciled with an invoice other than the claim's. */
  'wrong_invoice',
  /** A payer payment in Odoo that is reconciled with no invoice. */
  'unapplied_cash',
  /** A submitted claim with no remittance after the payer's expected lag. */
  'remittance_not_received',
  /** An ERA's deposit (BPR02) differs from the claim payments Odoo holds less its PLB (era-deposit.ts). */
  'deposit_variance',
] as const;
export const DifferenceClass = z.enum(DIFFERENCE_CLASSES);
export type DifferenceClass = z.infer<typeof DifferenceClass>;

/**
 * The payer ledger's bucket for payments patients make (gateway, card, cash): reconciled like a payer, under
 * an id no payer can have (payer ids are A-Z a-z 0-9 . _ : -, identifiers.ts).
 */
export const PATIENT_PAYMENTS = '(patients)';

/** Who acts on each class: finance owns the money in Odoo, integration the writes, billing the claims. */
export const DIFFERENCE_TEAM: Record<DifferenceClass, 'finance' | 'billing' | 'integration'> = {
  missing_in_odoo: 'integration',
  posted_twice: 'finance',
  amount_variance: 'finance',
  wrong_invoice: 'finance',
  unapplied_cash: 'finance',
  remittance_not_received: 'billing',
  deposit_variance: 'finance',
};

/** A remittance the hub accepted for the payer in the period, with the plan the Odoo writer fixed for it. */
export interface AcceptedRemittance {
  remittanceId: string;
  encounterId: string;
  claimId: string;
  traceNumber: string;
  paymentDate: string;
  paidCents: Cents;
  claimStatus: string;
  /** The steps the writer fixed before booking; absent when it never got that far (held, dead-lettered). */
  plannedSteps?: PostingStep[];
  /** A later reversal (CLP02 22) undid it: nothing of it should stay active in Odoo. */
  reversed: boolean;
}

export interface OdooPaymentSeen {
  id: number;
  /** The hub step ref in the memo's `[<ref>]` marker, when the hub made it. */
  hubRef?: string;
  memo: string;
  amountCents: Cents;
  active: boolean;
  date: string;
  /** Refs of the invoices Odoo reconciled it with. */
  invoiceRefs: string[];
}

export interface OdooMoveSeen {
  id: number;
  ref: string;
  /** `invoice_origin`: where the hub puts a credit note's or patient invoice's step ref. */
  origin: string;
  moveType: string;
  active: boolean;
  totalCents: Cents;
  residualCents: Cents;
}

export interface Difference {
  key: string;
  class: DifferenceClass;
  team: 'finance' | 'billing' | 'integration';
  payerId: string;
  /** Revenue at stake, in cents (always ≥ 0). */
  amountCents: Cents;
  expectedCents?: Cents;
  actualCents?: Cents;
  encounterId?: string;
  claimId?: string;
  remittanceId?: string;
  paymentId?: string;
  traceNumber?: string;
  invoiceId?: string;
  odooIds: number[];
  reason: string;
}

/** One accepted document (a remittance or a payment) and whether Odoo holds exactly what it booked. */
export interface DocumentMatch {
  kind: 'remittance' | 'payment';
  id: string;
  encounterId: string;
  /** What the payer (or patient) paid. */
  amountCents: Cents;
  matched: boolean;
}

export interface BatchComparison {
  differences: Difference[];
  documents: DocumentMatch[];
}

function difference(
  payerId: string,
  cls: DifferenceClass,
  subject: string,
  fields: Omit<Difference, 'key' | 'class' | 'team' | 'payerId' | 'odooIds'> & { odooIds?: number[] },
): Difference {
  return {
    key: `recon:${cls}:${subject}`,
    class: cls,
    team: DIFFERENCE_TEAM[cls],
    payerId,
    ...fields,
    odooIds: fields.odooIds ?? [],
    amountCents: Math.abs(fields.amountCents),
  };
}

/** What a plan expects to find in Odoo, by record. Reversal steps are checked on the original's side. */
function expectedRecords(steps: PostingStep[]) {
  const payments: Extract<PostingStep, { kind: 'payment' }>[] = [];
  const credits: Extract<PostingStep, { kind: 'creditNote' }>[] = [];
  const patientInvoices: Extract<PostingStep, { kind: 'patientInvoice' }>[] = [];
  for (const step of steps) {
    if (step.kind === 'payment') payments.push(step);
    else if (step.kind === 'creditNote') credits.push(step);
    else if (step.kind === 'patientInvoice') patientInvoices.push(step);
  }
  return { payments, credits, patientInvoices };
}

/**
 * Compares one batch of accepted remittances with what Odoo holds for them: the payments carrying their
 * markers, the moves carrying their refs, and the payer invoices. `odooMoves` must include the payer
 * invoices (by `ref` = our invoice id) the plans name.
 */
export function compareRemittances(
  payerId: string,
  remittances: readonly AcceptedRemittance[],
  odooPayments: readonly OdooPaymentSeen[],
  odooMoves: readonly OdooMoveSeen[],
): BatchComparison {
  const differences: Difference[] = [];
  const matches: DocumentMatch[] = [];
  const paymentsByRef = activeByHubRef(odooPayments);
  const movesByOrigin = groupBy(
    odooMoves.filter((m) => m.active && m.origin),
    (m) => m.origin,
  );
  const invoiceByRef = new Map(
    odooMoves.filter((m) => m.active && m.moveType === 'out_invoice').map((m) => [m.ref, m]),
  );

  for (const r of remittances) {
    const before = differences.length;
    const base = {
      encounterId: r.encounterId,
      claimId: r.claimId,
      remittanceId: r.remittanceId,
      traceNumber: r.traceNumber,
    };
    if (r.claimStatus === '22') {
      // A reversal is checked on its original (below): nothing of the original may stay active.
      matches.push({
        kind: 'remittance',
        id: r.remittanceId,
        encounterId: r.encounterId,
        amountCents: r.paidCents,
        matched: true,
      });
      continue;
    }
    const paid = `remittance ${r.remittanceId} (ERA ${r.traceNumber}, claim ${r.claimId}) paid ${formatCents(r.paidCents)}`;
    if (!r.plannedSteps) {
      if (r.paidCents !== 0 && !r.reversed) {
        differences.push(
          missing(
            payerId,
            `era:${r.remittanceId}`,
            r.paidCents,
            base,
            `${paid} and was accepted by the hub, but it was never booked in Odoo`,
          ),
        );
      }
    } else {
      const expected = expectedRecords(r.plannedSteps);
      // A claim paid twice is booked as the payer's credit (remittance-posting.ts), not as a payment.
      const payerCredit = r.plannedSteps.some((step) => step.kind === 'payerCredit');
      if (expected.payments.length === 0 && r.paidCents > 0 && !r.reversed && !payerCredit) {
        // The posting rules booked nothing for money the payer sent (adjustments above the residual, a
        // recoupment outside a reversal…): the posting exception says why, the run says the cash is not in Odoo.
        differences.push(
          missing(
            payerId,
            `era:${r.remittanceId}`,
            r.paidCents,
            base,
            `${paid} but its posting booked no payment in Odoo; see the encounter's posting exception`,
          ),
        );
      }
      for (const step of expected.payments) {
        const found = paymentsByRef.get(step.ref) ?? [];
        const subject = step.ref;
        const fields = { ...base, invoiceId: step.invoiceId };
        const what = `claim ${r.claimId} (ERA ${r.traceNumber})`;
        if (r.reversed) {
          const left = stillActive(
            payerId,
            subject,
            found,
            fields,
            `remittance ${r.remittanceId} of ${what}`,
          );
          if (left) differences.push(left);
          continue;
        }
        if (found.length === 0) {
          differences.push(
            missing(
              payerId,
              subject,
              step.amountCents,
              fields,
              `payment of ${formatCents(step.amountCents)} for ${what} is not in Odoo`,
            ),
          );
          continue;
        }
        differences.push(
          ...checkPayment(payerId, subject, found, step.amountCents, step.invoiceId, fields, what),
        );
        const first = found[0] as OdooPaymentSeen;
        if (step.writeOff) {
          // A write-off closes the invoice: if Odoo still shows it open, money is missing somewhere.
          const invoice = invoiceByRef.get(step.invoiceId);
          if (invoice && invoice.residualCents !== 0) {
            differences.push(
              difference(payerId, 'amount_variance', `residual:${step.invoiceId}:${r.remittanceId}`, {
                ...fields,
                amountCents: invoice.residualCents,
                expectedCents: 0,
                actualCents: invoice.residualCents,
                odooIds: [invoice.id],
                reason: `invoice ${step.invoiceId} should be closed by the payment and contractual write-off of ERA ${r.traceNumber}, but Odoo still shows ${formatCents(invoice.residualCents)} open`,
              }),
            );
          }
        }
      }
      const moveSteps: Array<{ ref: string; amountCents: Cents; what: string; invoiceId: string }> = [
        ...expected.credits.map((c) => ({
          ref: c.ref,
          amountCents: c.amountCents,
          what: 'credit note',
          invoiceId: c.invoiceId,
        })),
        ...expected.patientInvoices.map((p) => ({
          ref: p.ref,
          amountCents: sum(p.lines.map((l) => l.amountCents)),
          what: 'patient invoice',
          invoiceId: p.invoiceId,
        })),
      ];
      for (const step of moveSteps) {
        const found = movesByOrigin.get(step.ref) ?? [];
        const fields = { ...base, invoiceId: step.invoiceId };
        if (r.reversed) continue; // the reversal's own moves net it out; checked by the Odoo ledger
        if (found.length === 0) {
          differences.push(
            difference(payerId, 'missing_in_odoo', step.ref, {
              ...fields,
              amountCents: step.amountCents,
              expectedCents: step.amountCents,
              actualCents: 0,
              reason: `${step.what} of ${formatCents(step.amountCents)} for claim ${r.claimId} (ERA ${r.traceNumber}) is not in Odoo`,
            }),
          );
          continue;
        }
        const [first, ...copies] = found as [OdooMoveSeen, ...OdooMoveSeen[]];
        if (copies.length > 0) {
          const extra = sum(copies.map((m) => m.totalCents));
          differences.push(
            difference(payerId, 'posted_twice', step.ref, {
              ...fields,
              amountCents: extra,
              expectedCents: step.amountCents,
              actualCents: sum(found.map((m) => m.totalCents)),
              odooIds: found.map((m) => m.id),
              reason: `Odoo holds ${found.length} ${step.what}s for claim ${r.claimId} (ERA ${r.traceNumber}); ${formatCents(extra)} is posted more than once`,
            }),
          );
        }
        if (first.totalCents !== step.amountCents) {
          differences.push(
            difference(payerId, 'amount_variance', step.ref, {
              ...fields,
              amountCents: first.totalCents - step.amountCents,
              expectedCents: step.amountCents,
              actualCents: first.totalCents,
              odooIds: [first.id],
              reason: `Odoo ${step.what} ${first.id} for claim ${r.claimId} is ${formatCents(first.totalCents)}; the ERA ${r.traceNumber} says ${formatCents(step.amountCents)}`,
            }),
          );
        }
      }
    }
    matches.push({
      kind: 'remittance',
      id: r.remittanceId,
      encounterId: r.encounterId,
      amountCents: r.paidCents,
      matched: differences.length === before,
    });
  }
  return { differences, documents: matches };
}

/** A payment (gateway, check, wire) the hub accepted outside an ERA, and what the workflow says of it. */
export interface AcceptedPayment {
  paymentId: string;
  encounterId: string;
  invoiceId: string;
  traceNumber: string;
  receivedDate: string;
  amountCents: Cents;
  /** The Odoo writer booked it (the workflow lists it). */
  booked: boolean;
  /** The posting rules refused it with an exception (cash from the patient on a payer invoice…). */
  refusedByRules: boolean;
  /** A full refund reversed it: its Odoo payment must be cancelled. */
  refunded: boolean;
}

/**
 * Compares payments with the Odoo payments carrying their markers (`[rcm:pay:<paymentId>]`): one active
 * payment of the same amount on the invoice the payment names.
 */
export function comparePaymentsReceived(
  payerId: string,
  payments: readonly AcceptedPayment[],
  odooPayments: readonly OdooPaymentSeen[],
): BatchComparison {
  const differences: Difference[] = [];
  const documents: DocumentMatch[] = [];
  const byRef = activeByHubRef(odooPayments);
  for (const p of payments) {
    const before = differences.length;
    const ref = paymentStepRef(p.paymentId);
    const found = byRef.get(ref) ?? [];
    const fields = {
      encounterId: p.encounterId,
      paymentId: p.paymentId,
      traceNumber: p.traceNumber,
      invoiceId: p.invoiceId,
    };
    const what = `payment ${p.paymentId} (${p.traceNumber})`;
    if (p.refunded) {
      const left = stillActive(payerId, ref, found, fields, `refunded ${what}`);
      if (left) differences.push(left);
    } else if (p.refusedByRules && found.length === 0) {
      // Already an exception on the encounter (nothing was booked on purpose): not a new difference.
    } else if (found.length === 0) {
      differences.push(
        missing(
          payerId,
          ref,
          p.amountCents,
          fields,
          p.booked
            ? `${what} of ${formatCents(p.amountCents)} was booked by the hub but Odoo no longer holds it (cancelled or deleted)`
            : `${what} of ${formatCents(p.amountCents)} was accepted by the hub but never booked in Odoo`,
        ),
      );
    } else {
      differences.push(...checkPayment(payerId, ref, found, p.amountCents, p.invoiceId, fields, what));
    }
    documents.push({
      kind: 'payment',
      id: p.paymentId,
      encounterId: p.encounterId,
      amountCents: p.amountCents,
      matched: differences.length === before && !p.refusedByRules,
    });
  }
  return { differences, documents };
}

function missing(
  payerId: string,
  subject: string,
  expectedCents: Cents,
  fields: Partial<Difference>,
  reason: string,
): Difference {
  return difference(payerId, 'missing_in_odoo', subject, {
    ...fields,
    amountCents: expectedCents,
    expectedCents,
    actualCents: 0,
    reason,
  });
}

/** A payment the payer reversed (or the gateway refunded) must be cancelled in Odoo: what is still active. */
function stillActive(
  payerId: string,
  subject: string,
  found: readonly OdooPaymentSeen[],
  fields: Partial<Difference>,
  what: string,
): Difference | undefined {
  if (found.length === 0) return undefined;
  const still = sum(found.map((f) => f.amountCents));
  return difference(payerId, 'amount_variance', subject, {
    ...fields,
    amountCents: still,
    expectedCents: 0,
    actualCents: still,
    odooIds: found.map((f) => f.id),
    reason: `${what} was reversed but ${formatCents(still)} is still active in Odoo`,
  });
}

/** One expected payment found in Odoo: posted once, for the amount, on the invoice it pays. */
function checkPayment(
  payerId: string,
  subject: string,
  found: readonly OdooPaymentSeen[],
  expectedCents: Cents,
  invoiceId: string,
  fields: Partial<Difference>,
  what: string,
): Difference[] {
  const differences: Difference[] = [];
  const [first, ...copies] = found as [OdooPaymentSeen, ...OdooPaymentSeen[]];
  if (copies.length > 0) {
    const extra = sum(copies.map((c) => c.amountCents));
    differences.push(
      difference(payerId, 'posted_twice', subject, {
        ...fields,
        amountCents: extra,
        expectedCents,
        actualCents: sum(found.map((f) => f.amountCents)),
        odooIds: found.map((f) => f.id),
        reason: `Odoo holds ${found.length} payments for ${what}; ${formatCents(extra)} is posted more than once`,
      }),
    );
  }
  if (first.amountCents !== expectedCents) {
    differences.push(
      difference(payerId, 'amount_variance', subject, {
        ...fields,
        amountCents: first.amountCents - expectedCents,
        expectedCents,
        actualCents: first.amountCents,
        odooIds: [first.id],
        reason: `Odoo payment ${first.id} for ${what} is ${formatCents(first.amountCents)}; ${formatCents(expectedCents)} was paid`,
      }),
    );
  }
  if (first.invoiceRefs.length === 0) {
    differences.push(
      difference(payerId, 'unapplied_cash', `payment:${first.id}`, {
        ...fields,
        amountCents: first.amountCents,
        actualCents: first.amountCents,
        odooIds: [first.id],
        reason: `Odoo payment ${first.id} of ${formatCents(first.amountCents)} for ${what} is reconciled with no invoice`,
      }),
    );
  } else if (!first.invoiceRefs.includes(invoiceId)) {
    differences.push(
      difference(payerId, 'wrong_invoice', subject, {
        ...fields,
        amountCents: first.amountCents,
        actualCents: first.amountCents,
        odooIds: [first.id],
        reason: `Odoo payment ${first.id} for ${what} is applied to ${first.invoiceRefs.join(', ')}, not to invoice ${invoiceId}`,
      }),
    );
  }
  return differences;
}

/** A payer's payment in Odoo the hub did not make (no marker) or made for a remittance outside the batch. */
export interface PayerPaymentContext {
  /** Hub payment refs with their invoice and amount, for the payer's remittances the hub knows. */
  hubPayments: ReadonlyMap<
    string,
    { invoiceId: string; amountCents: Cents; traceNumber: string; encounterId?: string; claimId?: string }
  >;
}

/**
 * The payer's payments in Odoo for the period, read page by page: a payment the hub did not make that
 * is reconciled with no invoice is unapplied cash; one that repeats a hub payment (same invoice and amount,
 * or the same ERA trace number in its memo) is money posted twice. Hand entries that are neither are
 * legitimate (recorded through Odoo's webhook) and left alone.
 */
export function comparePayerPayments(
  payerId: string,
  payments: readonly OdooPaymentSeen[],
  context: PayerPaymentContext,
): Difference[] {
  const differences: Difference[] = [];
  const hub = [...context.hubPayments.values()];
  for (const payment of payments) {
    if (!payment.active) continue;
    if (payment.hubRef) {
      // The hub's own: checked against its remittance, except when it sits on no invoice at all.
      if (!context.hubPayments.has(payment.hubRef) && payment.invoiceRefs.length === 0) {
        differences.push(unapplied(payerId, payment));
      }
      continue;
    }
    const copyOf = hub.find(
      (h) =>
        (payment.invoiceRefs.includes(h.invoiceId) && payment.amountCents === h.amountCents) ||
        (h.traceNumber.length > 0 && payment.memo.includes(h.traceNumber)),
    );
    if (copyOf) {
      differences.push(
        difference(payerId, 'posted_twice', `payment:${payment.id}`, {
          ...(copyOf.encounterId ? { encounterId: copyOf.encounterId } : {}),
          ...(copyOf.claimId ? { claimId: copyOf.claimId } : {}),
          invoiceId: copyOf.invoiceId,
          traceNumber: copyOf.traceNumber,
          amountCents: payment.amountCents,
          expectedCents: 0,
          actualCents: payment.amountCents,
          odooIds: [payment.id],
          reason: `Odoo payment ${payment.id} of ${formatCents(payment.amountCents)} repeats the hub's payment of ERA ${copyOf.traceNumber} on invoice ${copyOf.invoiceId}`,
        }),
      );
      continue;
    }
    if (payment.invoiceRefs.length === 0) differences.push(unapplied(payerId, payment));
  }
  return differences;
}

function unapplied(payerId: string, payment: OdooPaymentSeen): Difference {
  return difference(payerId, 'unapplied_cash', `payment:${payment.id}`, {
    amountCents: payment.amountCents,
    actualCents: payment.amountCents,
    odooIds: [payment.id],
    reason: `Odoo payment ${payment.id} of ${formatCents(payment.amountCents)} from payer ${payerId} (${payment.date}) is applied to no invoice`,
  });
}

export interface SubmittedClaim {
  claimId: string;
  encounterId: string;
  submittedDate: string;
  billedCents: Cents;
  /** The claim's status as the hub last saw it (rejected/denied claims expect no payment). */
  status?: string;
  /** Any remittance the hub ever accepted for the claim. */
  remitted: boolean;
}

/**
 * Claims past the payer's expected lag with no remittance: the money the organisation is still waiting for.
 * `asOf` is the end of the period; lag in whole days.
 */
export function overdueClaims(
  payerId: string,
  claims: readonly SubmittedClaim[],
  asOf: string,
  lagDays: number,
): Difference[] {
  const cutoff = Date.parse(asOf) - lagDays * 86_400_000;
  return claims
    .filter(
      (c) =>
        !c.remitted &&
        c.status !== 'rejected' &&
        c.status !== 'denied' &&
        c.status !== 'paid' &&
        Date.parse(c.submittedDate) <= cutoff,
    )
    .map((c) => {
      const days = Math.floor((Date.parse(asOf) - Date.parse(c.submittedDate)) / 86_400_000);
      return difference(payerId, 'remittance_not_received', `claim:${c.claimId}`, {
        encounterId: c.encounterId,
        claimId: c.claimId,
        amountCents: c.billedCents,
        expectedCents: c.billedCents,
        actualCents: 0,
        reason: `claim ${c.claimId} for ${formatCents(c.billedCents)} was submitted to payer ${payerId} ${days} days ago (expected within ${lagDays}) and no remittance has arrived`,
      });
    });
}

/**
 * Encounters a run may call reconciled: every remittance of theirs it compared matched, and no difference
 * of the run names them.
 */
export function reconciledEncounters(
  documents: readonly DocumentMatch[],
  differences: readonly Difference[],
): string[] {
  const troubled = new Set(differences.flatMap((d) => (d.encounterId ? [d.encounterId] : [])));
  for (const d of documents) if (!d.matched) troubled.add(d.encounterId);
  return [...new Set(documents.map((d) => d.encounterId))].filter((id) => !troubled.has(id)).sort();
}

/** Run report totals, by class and by payer. Differences are deduplicated by key (a retried batch). */
export interface ClassTotals {
  count: number;
  amountCents: Cents;
}

export interface PayerTotals {
  remittances: number;
  remittedCents: Cents;
  /** Payments outside an ERA (gateway, check, wire) received in the period. */
  payments: number;
  paymentCents: Cents;
  /** Remittances and payments whose Odoo records match exactly. */
  matched: number;
  matchedCents: Cents;
  differences: number;
  varianceCents: Cents;
  byClass: Partial<Record<DifferenceClass, ClassTotals>>;
}

export function payerTotals(
  documents: readonly DocumentMatch[],
  differences: readonly Difference[],
): PayerTotals {
  const unique = dedupe(differences);
  const byClass: Partial<Record<DifferenceClass, ClassTotals>> = {};
  for (const d of unique) {
    const entry = byClass[d.class] ?? { count: 0, amountCents: 0 };
    entry.count += 1;
    entry.amountCents += d.amountCents;
    byClass[d.class] = entry;
  }
  const matched = documents.filter((d) => d.matched);
  const remittances = documents.filter((d) => d.kind === 'remittance');
  const payments = documents.filter((d) => d.kind === 'payment');
  return {
    remittances: remittances.length,
    remittedCents: sum(remittances.map((d) => d.amountCents)),
    payments: payments.length,
    paymentCents: sum(payments.map((d) => d.amountCents)),
    matched: matched.length,
    matchedCents: sum(matched.map((d) => d.amountCents)),
    differences: unique.length,
    varianceCents: sum(unique.map((d) => d.amountCents)),
    byClass,
  };
}

export function dedupe(differences: readonly Difference[]): Difference[] {
  return [...new Map(differences.map((d) => [d.key, d])).values()];
}

/** The run's period: explicit, or the previous whole UTC day for a scheduled run. */
export const ReconciliationPeriod = z
  .object({
    from: z.iso.datetime({ offset: true }),
    to: z.iso.datetime({ offset: true }),
  })
  .refine((p) => Date.parse(p.from) < Date.parse(p.to), {
    message: 'period.from must be before period.to',
    path: ['to'],
  })
  .refine((p) => Date.parse(p.to) - Date.parse(p.from) <= 366 * 86_400_000, {
    message: 'a period spans at most 366 days',
    path: ['to'],
  });
export type ReconciliationPeriod = z.infer<typeof ReconciliationPeriod>;

export function previousUtcDay(now: string): ReconciliationPeriod {
  const day = new Date(now);
  day.setUTCHours(0, 0, 0, 0);
  const from = new Date(day.getTime() - 86_400_000);
  return { from: from.toISOString(), to: day.toISOString() };
}

/** Dates in the ledger are payment dates (YYYY-MM-DD): inside the period when on a day it touches. */
export function dateRange(period: ReconciliationPeriod): { fromDate: string; toDate: string } {
  const toExclusive = new Date(Date.parse(period.to) - 1);
  return {
    fromDate: new Date(period.from).toISOString().slice(0, 10),
    toDate: toExclusive.toISOString().slice(0, 10),
  };
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

/** The active Odoo payments the hub made, by the step ref in their memo's marker. */
function activeByHubRef(payments: readonly OdooPaymentSeen[]): Map<string, OdooPaymentSeen[]> {
  return groupBy(
    payments.filter((p) => p.active && p.hubRef),
    (p) => p.hubRef as string,
  );
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    map.set(k, [...(map.get(k) ?? []), item]);
  }
  return map;
}

/** `POST /v1/reconciliations`: a period and, optionally, one payer and/or one facility. */
export const ReconciliationRequest = z
  .object({
    period: ReconciliationPeriod.meta({
      description: 'ISO 8601 instants with zone; remittances are selected by payment date inside it',
    }),
    // One id rule everywhere (core/identifiers.ts): no path traversal, quotes or control characters.
    payerId: PartnerId.optional(),
    facilityId: PartnerId.optional(),
  })
  .strict()
  .meta({ id: 'ReconciliationRequest' });
export type ReconciliationRequest = z.infer<typeof ReconciliationRequest>;

/** `GET /v1/reconciliations`: newest first, a page at a time. */
export const ReconciliationRunListQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(100).default(20),
    cursor: z
      .string()
      .regex(/^[\w:.#-]{1,200}$/, 'must be a nextCursor this API issued')
      .optional(),
  })
  .strict();
