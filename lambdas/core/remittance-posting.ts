import { createHash } from 'node:crypto';
import { type AdjustmentClass, adjustmentClass, carcEntry } from './carc.js';
import { eraPaymentMemoPrefix } from './era-deposit.js';
import { type Cents, formatCents } from './money.js';
import type { ExceptionToOpen, OdooAccountRole, PostingPlan, PostingStep } from './posting-plan.js';
import type { RemittanceReceived } from './remittance.js';

/**
 * Posting rules for one 835 claim payment (a hospital finance team's; docs/posting-rules.md has a worked
 * example for each). Pure: the caller looks up the context, the Odoo adapter executes the plan.
 *
 * Amounts are booked by adjustment class (group CAS01 and reason CAS02, carc.ts): PR moves to the patient
 * through a clearing account (credit note on the payer invoice + a patient invoice), contractual codes are
 * written off to the contractual allowance, OA and PI to their own accounts, and denied amounts stay open on
 * the payer invoice with an exception for billing. A remittance is assumed balanced (balancing.ts runs at the
 * edge); the plan's money must add up regardless.
 */

export interface RemittancePostingContext {
  /**
   * The claim's payer invoice as Odoo has it; `payerId` is the payer it is billed to (the claim's), when it
   * differs from the payer the ERA names (a secondary paying on it).
   */
  payerInvoice:
    | { invoiceId: string; totalCents: number; residualCents: number; payerId?: string }
    | undefined;
  /** The encounter's patient (needed to move PR to the patient). */
  patientId: string | undefined;
  /** For a reversal (22): the remittance it reverses (same payerClaimControlNumber), if the hub has it. */
  original?: { remittanceId: string; stepRefs: string[] };
  /**
   * A standing payment of the same claim by the same payer under another payer claim number
   * (remittance-sequencing.ts `paidBefore`): this remittance pays the claim a second time.
   */
  paidBefore?: { remittanceId: string; payerClaimControlNumber: string };
}

export type PostingDependency = 'payerInvoice' | 'patient' | 'invoice';

/**
 * The plan cannot be made yet because something it books against is not known to the hub (the invoice has
 * not been posted, the patient has not been synced). Not a failure of the event: the caller holds it and
 * plans again once the dependency exists.
 */
export class PostingDependencyMissing extends Error {
  override readonly name = 'PostingDependencyMissing';
  readonly dependency: PostingDependency;

  constructor(dependency: PostingDependency) {
    super(`cannot post yet: the ${DEPENDENCY_NAMES[dependency]} is not known to the hub`);
    this.dependency = dependency;
  }
}

const DEPENDENCY_NAMES: Record<PostingDependency, string> = {
  payerInvoice: 'payer invoice',
  patient: 'patient',
  invoice: 'invoice',
};

/** CLP02 statuses under which the payer adjudicated and paid (or applied patient responsibility). */
const PROCESSED_STATUSES: ReadonlySet<string> = new Set(['1', '2', '3', '19', '20', '21']);

/**
 * CLP02 19/20/21: processed as primary/secondary/tertiary and forwarded to the next payer (crossover). The
 * patient responsibility this payer reports is what the next payer is asked to cover, so it stays receivable
 * on the payer invoice; only the last payer's (1/2/3) PR is billed to the patient.
 */
const FORWARDED_STATUSES: ReadonlySet<string> = new Set(['19', '20', '21']);

/** Odoo `ref` and our invoice ids are bounded like every partner id (identifiers.ts). */
const MAX_INVOICE_ID_LENGTH = 64;

/**
 * The exception cause telling billing that a forwarding payer (CLP02 19/20/21) left an amount for the next payer:
 * the secondary (or tertiary) claim is due. Closed by the next payer's remittance (`nextPayerSettled`).
 */
export const NEXT_PAYER_CAUSE = 'next-payer';

/**
 * The `next-payer` exceptions a remittance settles: those of earlier forwarded remittances (CLP02 19/20/21) of the
 * same claim by another payer — the next payer has answered (paid, adjusted or denied; a denial opens its own).
 */
export function nextPayerSettled(
  r: Pick<RemittanceReceived, 'claimId' | 'payerId' | 'claimStatus'>,
  earlier: ReadonlyArray<{ remittanceId: string; claimId?: string; payerId?: string; claimStatus: string }>,
): string[] {
  if (r.claimStatus === '22') return [];
  return earlier
    .filter(
      (e) =>
        FORWARDED_STATUSES.has(e.claimStatus) &&
        e.claimId === r.claimId &&
        e.payerId !== undefined &&
        e.payerId !== r.payerId,
    )
    .map((e) => `era:${e.remittanceId}:${NEXT_PAYER_CAUSE}`);
}

/** The exception cause for denied lines of a paid claim (resolvable as not recoverable, denial-write-off.ts). */
export const DENIED_LINES_CAUSE = 'denied-lines';

/** Refs are derived from the remittance id alone, so a redelivery plans the same refs. */
export function remittanceStepRefs(remittanceId: string) {
  const base = `rcm:era:${remittanceId}`;
  return {
    payment: `${base}:payment`,
    prCredit: `${base}:pr-credit`,
    prInvoice: `${base}:pr-invoice`,
    coCredit: `${base}:co-credit`,
    oaCredit: `${base}:oa-credit`,
    piCredit: `${base}:pi-credit`,
    reversal: `${base}:reversal`,
    payerCredit: `${base}:payer-credit`,
  };
}

/**
 * The patient invoice for this remittance's PR: `<payerInvoiceId>-PR-<remittanceId>`, or, when that is
 * longer than 64 characters, the payer invoice id cut to 40 characters + `-PR-` + 20 hex digits of the
 * SHA-256 of the full id (still stable, still unique in practice).
 */
export function patientInvoiceId(payerInvoiceId: string, remittanceId: string): string {
  const full = `${payerInvoiceId}-PR-${remittanceId}`;
  if (full.length <= MAX_INVOICE_ID_LENGTH) return full;
  const digest = createHash('sha256').update(full).digest('hex').slice(0, 20);
  return `${payerInvoiceId.slice(0, MAX_INVOICE_ID_LENGTH - 24)}-PR-${digest}`;
}

export function planRemittancePosting(r: RemittanceReceived, ctx: RemittancePostingContext): PostingPlan {
  const invoice = ctx.payerInvoice;
  if (invoice === undefined) throw new PostingDependencyMissing('payerInvoice');
  if (r.claimStatus === '22') return planReversal(r, ctx);

  const exceptionKey = (cause: string) => `era:${r.remittanceId}:${cause}`;
  const groups = adjustmentGroups(r);

  if (r.claimStatus === '23' || r.claimStatus === '25') {
    const why =
      r.claimStatus === '23'
        ? 'payer says it is not their claim and forwarded it to another payer (claim status 23)'
        : 'payer priced the claim as a predetermination only, no payment (claim status 25)';
    return noPosting({
      key: exceptionKey('not-adjudicated'),
      team: 'billing',
      reason: `claim ${r.claimId} not adjudicated by payer ${r.payerId}: ${why}; the invoice stays open`,
      amountCents: r.billedCents,
    });
  }

  // A zero payment with no PR is a denial unless every amount is an adjustment the provider books (contractual,
  // OA, PI) and nothing is denied: CO-45 for the whole charge is a contractual write-off with nothing paid.
  const adjustedOnly = groups.denied.total <= 0 && groups.co.total + groups.oa.total + groups.pi.total > 0;
  if (
    r.claimStatus === '4' ||
    !PROCESSED_STATUSES.has(r.claimStatus) ||
    (r.paidCents === 0 && groups.pr.total <= 0 && !adjustedOnly)
  ) {
    const codes = carcList(r.adjustments.filter((a) => a.amountCents !== 0)) || 'no adjustment reason given';
    const how =
      r.claimStatus === '4'
        ? `denied by payer ${r.payerId} (claim status 4)`
        : `paid 0.00 by payer ${r.payerId} with no patient responsibility (claim status ${r.claimStatus})`;
    return noPosting({
      key: exceptionKey('denied'),
      team: 'billing',
      reason: `claim ${r.claimId} ${how}: ${codes}; the invoice stays open`,
      amountCents: r.billedCents,
    });
  }

  if (r.paidCents < 0) {
    // A processed status with negative paid is a recoupment the payer should have sent as a reversal (22).
    return noPosting({
      key: exceptionKey('negative-payment'),
      team: 'finance',
      reason: `payer ${r.payerId} took back ${formatCents(-r.paidCents)} on claim ${r.claimId} outside a reversal (claim status ${r.claimStatus}); post the recoupment by hand`,
      amountCents: -r.paidCents,
    });
  }

  if (ctx.paidBefore && r.paidCents > 0) return planPayerCredit(r, ctx.paidBefore);

  // Only a positive group total can be booked: a credit note or write-off lowers the invoice, nothing here
  // raises it. A negative total (a payer paying above billed) shows up as overpayment instead. PR that a
  // forwarding payer reports stays on the payer invoice for the next payer.
  const prBooked = FORWARDED_STATUSES.has(r.claimStatus) ? 0 : Math.max(groups.pr.total, 0);
  const coBooked = Math.max(groups.co.total, 0);
  const oaBooked = Math.max(groups.oa.total, 0);
  const piBooked = Math.max(groups.pi.total, 0);
  // Denied lines are not booked at all: the amount stays receivable on the payer invoice for billing.
  const deniedOpen = Math.max(groups.denied.total, 0);
  const patientId = ctx.patientId;
  if (prBooked > 0 && patientId === undefined) throw new PostingDependencyMissing('patient');

  const credits = prBooked + coBooked + oaBooked + piBooked;
  if (credits > invoice.residualCents) {
    return noPosting({
      key: exceptionKey('adjustments-exceed-residual'),
      team: 'billing',
      reason: `adjustments of ${formatCents(credits)} on claim ${r.claimId} exceed the ${formatCents(invoice.residualCents)} invoice ${invoice.invoiceId} still owes; was the claim already posted by another remittance?`,
      amountCents: credits - invoice.residualCents,
    });
  }

  const refs = remittanceStepRefs(r.remittanceId);
  const steps: PostingStep[] = [];
  const exceptions: ExceptionToOpen[] = [];

  if (r.billedCents !== invoice.totalCents) {
    const difference = r.billedCents - invoice.totalCents;
    exceptions.push({
      key: exceptionKey('billed-differs'),
      team: 'billing',
      reason: `billed amount differs from the invoice: the payer adjudicated ${formatCents(r.billedCents)} on claim ${r.claimId}, invoice ${invoice.invoiceId} totals ${formatCents(invoice.totalCents)} (${difference > 0 ? 'more' : 'less'} by ${formatCents(Math.abs(difference))})`,
      amountCents: Math.abs(difference),
    });
  }
  // A forwarding payer's PR stays on the payer invoice: billing is told the next payer's claim is due for it.
  const leftForNextPayer = FORWARDED_STATUSES.has(r.claimStatus) ? Math.max(groups.pr.total, 0) : 0;
  if (leftForNextPayer > 0) {
    exceptions.push({
      key: exceptionKey(NEXT_PAYER_CAUSE),
      team: 'billing',
      reason: `payer ${r.payerId} processed claim ${r.claimId} and forwarded it to the next payer (claim status ${r.claimStatus}): ${formatCents(leftForNextPayer)} of patient responsibility (${carcList(groups.pr.adjustments)}) stays open on invoice ${invoice.invoiceId} for the next payer, not billed to the patient; make sure the secondary claim is filed (crossover or by billing); the next payer's remittance closes this`,
      amountCents: leftForNextPayer,
    });
  }
  if (deniedOpen > 0) {
    exceptions.push({
      key: exceptionKey(DENIED_LINES_CAUSE),
      team: 'billing',
      reason: `payer ${r.payerId} denied ${formatCents(deniedOpen)} of claim ${r.claimId} (${denialList(groups.denied.adjustments)}); the amount stays open on invoice ${invoice.invoiceId}: appeal or rebill, or resolve as not recoverable to write it off`,
      amountCents: deniedOpen,
    });
  }

  // Odoo owes `owed` once the credit notes and the write-off are applied; the payment should be exactly it.
  const owed = invoice.residualCents - credits;
  const excess = Math.max(r.paidCents - owed, 0);
  // Odoo's payment wizard writes off the invoice's whole remaining difference, so a write-off rides on the
  // payment only when payment + adjustments close the invoice exactly (no denied amount left open). Then the
  // payment carries one class as its write-off — even a 0.00 payment, as the ERA reports it — and Odoo reads
  // the invoice `paid`; closed by credit notes alone it would read `reversed` (docs/posting-rules.md).
  // Another payer's cash (a secondary's) on the claim's invoice is applied, not a wizard payment: no write-off.
  const invoicePayer =
    invoice.payerId !== undefined && invoice.payerId !== r.payerId ? invoice.payerId : undefined;
  const closes = deniedOpen === 0 && r.paidCents === owed && r.paidCents >= 0 && invoicePayer === undefined;
  const prLabel = `Patient responsibility moved to the patient: ${groups.pr.adjustments
    .map((a) => prReasonName(a.reason))
    .filter(unique)
    .join(', ')} (ERA ${r.payment.traceNumber})`;
  type Booking = { booked: Cents; account: OdooAccountRole; ref: string; label: string };
  const contractual: Booking = {
    booked: coBooked,
    account: 'contractualAdjustments',
    ref: refs.coCredit,
    label: `${carcList(groups.co.adjustments)} contractual adjustment (ERA ${r.payment.traceNumber})`,
  };
  const patient: Booking = {
    booked: prBooked,
    account: 'patientResponsibilityTransfer',
    ref: refs.prCredit,
    label: prLabel,
  };
  const other: Booking = {
    booked: oaBooked,
    account: 'otherAdjustments',
    ref: refs.oaCredit,
    label: `${carcList(groups.oa.adjustments)} other adjustment (ERA ${r.payment.traceNumber})`,
  };
  const payerInitiated: Booking = {
    booked: piBooked,
    account: 'payerInitiatedReductions',
    ref: refs.piCredit,
    label: `${carcList(groups.pi.adjustments)} payer-initiated reduction (ERA ${r.payment.traceNumber})`,
  };
  // The contractual allowance rides on the payment as it always did; when the payer paid nothing and there is
  // no contractual amount, the 0.00 payment carries the PR transfer (or OA, PI) instead, so the invoice is
  // still closed by a payment.
  const writeOffOrder = r.paidCents > 0 ? [contractual] : [contractual, patient, other, payerInitiated];
  const writeOff = closes ? writeOffOrder.find((c) => c.booked > 0) : undefined;

  // Credit notes first (PR, contractual, OA, PI), so that the payment meets the residual it is meant to close;
  // the patient invoice right after the PR credit note that it mirrors.
  for (const c of [patient, contractual, other, payerInitiated]) {
    if (c.booked <= 0) continue;
    if (c !== writeOff) {
      steps.push({
        kind: 'creditNote',
        ref: c.ref,
        invoiceId: invoice.invoiceId,
        date: r.payment.date,
        amountCents: c.booked,
        account: c.account,
        label: c.label,
      });
    }
    if (c === patient && patientId !== undefined) {
      steps.push({
        kind: 'patientInvoice',
        ref: refs.prInvoice,
        invoiceId: patientInvoiceId(invoice.invoiceId, r.remittanceId),
        patientId,
        issueDate: r.payment.date,
        lines: groups.pr.adjustments
          .filter((a) => a.amountCents !== 0)
          .map((a) => ({
            label: `${capitalize(prReasonName(a.reason))} for claim ${r.claimId} per payer ${r.payerId}`,
            amountCents: a.amountCents,
          })),
      });
    }
  }
  if (r.paidCents > 0 || writeOff !== undefined) {
    steps.push({
      kind: 'payment',
      ref: refs.payment,
      invoiceId: invoice.invoiceId,
      partner: { kind: 'payer', id: r.payerId },
      amountCents: r.paidCents,
      date: r.payment.date,
      memo: `${eraPaymentMemoPrefix(r.payment.traceNumber)}${r.claimId}`,
      ...(invoicePayer === undefined ? {} : { invoicePartner: { kind: 'payer' as const, id: invoicePayer } }),
      ...(writeOff
        ? { writeOff: { amountCents: writeOff.booked, account: writeOff.account, label: writeOff.label } }
        : {}),
    });
  }

  if (excess > 0) {
    exceptions.push({
      key: exceptionKey('overpayment'),
      team: 'finance',
      reason: `overpayment of ${formatCents(excess)} by payer ${r.payerId} on claim ${r.claimId}: paid ${formatCents(r.paidCents)} but invoice ${invoice.invoiceId} owed ${formatCents(Math.max(owed, 0))} after adjustments; unapplied cash held as the payer's outstanding credit`,
      amountCents: excess,
    });
  }

  return {
    steps,
    exceptions,
    summary: {
      paidCents: r.paidCents,
      adjustedCents: coBooked + oaBooked + piBooked,
      patientResponsibilityCents: prBooked,
      patientPaidCents: 0,
    },
  };
}

/**
 * The claim was already paid by this payer under another payer claim number: the cash is in the bank, so it
 * is booked — as the payer's credit on the refund liability account, not against an invoice that owes
 * nothing — and finance is told to refund it or wait for the recoupment. PR and adjustments were booked
 * with the first payment and are not booked again.
 */
function planPayerCredit(
  r: RemittanceReceived,
  paidBefore: NonNullable<RemittancePostingContext['paidBefore']>,
): PostingPlan {
  return {
    steps: [
      {
        kind: 'payerCredit',
        ref: remittanceStepRefs(r.remittanceId).payerCredit,
        partner: { kind: 'payer', id: r.payerId },
        amountCents: r.paidCents,
        date: r.payment.date,
        memo: `${eraPaymentMemoPrefix(r.payment.traceNumber)}${r.claimId} paid twice`,
        account: 'payerRefundLiability',
      },
    ],
    exceptions: [
      {
        key: `era:${r.remittanceId}:overpayment`,
        team: 'finance',
        reason: `overpayment of ${formatCents(r.paidCents)} by payer ${r.payerId} on claim ${r.claimId}: the claim was already paid under payer claim ${paidBefore.payerClaimControlNumber} (remittance ${paidBefore.remittanceId}) and is paid again under ${r.payerClaimControlNumber}; the cash is booked as the payer's credit (refund liability) until it is refunded or recouped`,
        amountCents: r.paidCents,
      },
    ],
    summary: { paidCents: r.paidCents, adjustedCents: 0, patientResponsibilityCents: 0, patientPaidCents: 0 },
  };
}

/**
 * Money at stake when a remittance cannot be booked (held too long, refused by Odoo): the payer's cash and the
 * patient's share it moves — a refused zero-pay remittance with 300.00 of deductible has 300.00 at stake.
 * Contractual adjustments are not money anyone collects.
 */
export function remittanceAtStake(
  r: Pick<RemittanceReceived, 'paidCents' | 'patientResponsibilityCents'>,
): Cents {
  return Math.abs(r.paidCents) + Math.abs(r.patientResponsibilityCents);
}

function planReversal(r: RemittanceReceived, ctx: RemittancePostingContext): PostingPlan {
  const original = ctx.original;
  if (original === undefined) {
    return noPosting({
      key: `era:${r.remittanceId}:reversal-unmatched`,
      team: 'billing',
      reason: `reversal of a remittance the hub never posted: payer ${r.payerId} reversed claim ${r.claimId} (payer claim ${r.payerClaimControlNumber}) for ${formatCents(r.paidCents)}`,
      amountCents: Math.abs(r.paidCents),
    });
  }
  // The original booked nothing (a denial): there is nothing in Odoo to undo.
  if (original.stepRefs.length === 0) return noPosting();

  const groups = adjustmentGroups(r);
  return {
    steps: [
      {
        kind: 'reverse',
        ref: remittanceStepRefs(r.remittanceId).reversal,
        reversesRefs: [...original.stepRefs],
        date: r.payment.date,
        reason: `ERA ${r.payment.traceNumber} reversal (claim status 22) of remittance ${original.remittanceId}, payer claim ${r.payerClaimControlNumber}`,
      },
    ],
    exceptions: [],
    // The reversal's own (negated) amounts: the workflow's running totals go back by what the original added.
    summary: {
      paidCents: r.paidCents,
      adjustedCents: groups.co.total + groups.oa.total + groups.pi.total,
      patientResponsibilityCents: groups.pr.total,
      patientPaidCents: 0,
    },
  };
}

type Adjustment = RemittanceReceived['adjustments'][number];

interface GroupTotal {
  adjustments: Adjustment[];
  total: Cents;
}

/**
 * The adjustments by what the rules do with them (carc.ts `adjustmentClass`, the CARC table as data): PR to the
 * patient, contractual to the allowance, OA and PI to their own accounts, denials left open; prior-payer
 * impact (CARC 23 outside PR) belongs to none of them.
 */
function adjustmentGroups(r: RemittanceReceived): {
  pr: GroupTotal;
  co: GroupTotal;
  oa: GroupTotal;
  pi: GroupTotal;
  denied: GroupTotal;
} {
  const classed = r.adjustments.map((a) => ({ a, cls: adjustmentClass(a.group, a.reason) }));
  const pick = (cls: AdjustmentClass): GroupTotal => {
    const adjustments = classed.filter((c) => c.cls === cls).map((c) => c.a);
    return { adjustments, total: sumCents(adjustments.map((a) => a.amountCents)) };
  };
  return {
    pr: pick('patient'),
    co: pick('contractual'),
    oa: pick('other'),
    pi: pick('payer-initiated'),
    denied: pick('denial'),
  };
}

/** "CO-50 not medically necessary …, OA-18 …": each denied code once, with the CARC table's description. */
function denialList(adjustments: Adjustment[]): string {
  return adjustments
    .filter((a) => a.amountCents !== 0)
    .map((a) => `${a.group}-${a.reason} ${carcEntry(a.reason)?.description ?? 'denied'}`)
    .filter(unique)
    .join('; ');
}

/** Exact integer sum; refuses totals beyond what a Number holds exactly rather than booking a rounded one. */
function sumCents(amounts: Cents[]): Cents {
  const total = amounts.reduce((sum, amount) => sum + BigInt(amount), 0n);
  const result = Number(total);
  if (!Number.isSafeInteger(result)) throw new RangeError(`adjustment total beyond a safe integer: ${total}`);
  return result;
}

/** "CO-45, CO-253": each group-reason pair once, in the remittance's order. */
function carcList(adjustments: Adjustment[]): string {
  return adjustments
    .map((a) => `${a.group}-${a.reason}`)
    .filter(unique)
    .join(', ');
}

/** CARCs 1–3 are the patient's cost share; others under PR are named by code (e.g. PR-96 non-covered). */
function prReasonName(reason: string): string {
  switch (reason) {
    case '1':
      return 'deductible (PR-1)';
    case '2':
      return 'coinsurance (PR-2)';
    case '3':
      return 'copay (PR-3)';
    default:
      return `patient responsibility (PR-${reason})`;
  }
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function unique<T>(value: T, index: number, all: T[]): boolean {
  return all.indexOf(value) === index;
}

function noPosting(exception?: ExceptionToOpen): PostingPlan {
  return {
    steps: [],
    exceptions: exception === undefined ? [] : [exception],
    summary: { paidCents: 0, adjustedCents: 0, patientResponsibilityCents: 0, patientPaidCents: 0 },
  };
}
