import * as z from 'zod';
import { CalendarDate, PartnerId } from './identifiers.js';
import { type Cents, DecimalAmount, formatCents, parseCents, SignedDecimalAmount } from './money.js';
import type { ExceptionToOpen, OdooAccountRole } from './posting-plan.js';
import { claimInterestInPaid, type Remittance835 } from './x12/remittance-835.js';

/**
 * ERA-level money (issue 14): the deposit the payer sent (BPR02) and its provider-level adjustments (PLB), booked
 * as one journal entry per ERA so that the bank statement line of the EFT/check matches one Odoo line by trace
 * number (TRN02). Pure; lambdas/adapters/odoo/era-deposit-ledger.ts executes the plan. docs/posting-rules.md,
 * "ERA deposit and provider-level adjustments", has the worked example.
 *
 * The entry (signed amounts: + debit, − credit; the 835's own balancing BPR02 = Σ CLP04 − Σ PLB makes it balance):
 *   deposit        + BPR02        on the deposit-clearing account (Outstanding Receipts): the one open line the
 *                                 bank statement line of the EFT matches, labelled with TRN02
 *   claim payments − Σ CLP04      on the same account: reconciled with the claim payments (account.payment,
 *                                 one per CLP, booked per encounter) that carry this ERA's trace
 *   each PLB       + PLB amount   to interest income (L6), the payer's receivable (WO, 72, FB, …) or the
 *                                 provider-level adjustments account (CS and the rest, with a finance exception)
 * A positive PLB reduces the payment (a recoupment: debit), a negative one increases it (interest: credit).
 */

/** Where a PLB reason's money belongs. */
export type PlbTreatment =
  /** Interest the payer pays the provider on a late claim: the provider's income (a credit when PLB < 0). */
  | 'interest'
  /** Money between the payer and the provider (recoupment, refund acknowledgment, balance forward): the payer's balance. */
  | 'payerBalance'
  /** Anything else: booked to the provider-level adjustments account and reviewed by finance. */
  | 'review';

export interface PlbReason {
  name: string;
  treatment: PlbTreatment;
}

/**
 * PLB03-1 adjustment reason codes (005010X221A1 PLB03-1 code list; usage per payer companion guides, e.g. BCBS
 * "Provider Level Adjustments" and CMS MLN "Understanding the Remittance Advice": L6 increases the payment for
 * late-payment interest; WO negative carries a balance to a later ERA, positive recovers an earlier
 * overpayment; 72 negative acknowledges a refund the provider sent, offset by a positive WO; FB negative moves
 * a balance forward, positive applies one from an earlier ERA). As data, one row per code; a code not listed
 * is treated as `review`.
 */
export const PLB_REASONS: Readonly<Record<string, PlbReason>> = {
  L6: { name: 'interest owed', treatment: 'interest' },
  WO: { name: 'overpayment recovery', treatment: 'payerBalance' },
  '72': { name: 'authorized return', treatment: 'payerBalance' },
  FB: { name: 'forwarding balance', treatment: 'payerBalance' },
  B2: { name: 'rebate', treatment: 'payerBalance' },
  WU: { name: 'unspecified recovery', treatment: 'payerBalance' },
  OB: { name: 'offset for affiliated providers', treatment: 'payerBalance' },
  AP: { name: 'acceleration of benefits', treatment: 'payerBalance' },
  IS: { name: 'interim settlement', treatment: 'payerBalance' },
  PI: { name: 'periodic interim payment', treatment: 'payerBalance' },
  CS: { name: 'adjustment', treatment: 'review' },
  '50': { name: 'late charge', treatment: 'review' },
  '51': { name: 'interest penalty charge', treatment: 'review' },
  '90': { name: 'early payment allowance', treatment: 'review' },
  BD: { name: 'bad debt adjustment', treatment: 'review' },
  E3: { name: 'withholding', treatment: 'review' },
  IR: { name: 'internal revenue service withholding', treatment: 'review' },
  J1: { name: 'nonreimbursable', treatment: 'review' },
  L3: { name: 'penalty', treatment: 'review' },
  LE: { name: 'levy', treatment: 'review' },
  SL: { name: 'student loan repayment', treatment: 'review' },
  TL: { name: 'third party liability', treatment: 'review' },
};

export function plbReason(code: string): PlbReason {
  return PLB_REASONS[code] ?? { name: `code ${code}`, treatment: 'review' };
}

/** One ERA (835 transaction) as the deposit booking needs it. */
export interface EraDeposit {
  /** TRN02: the check or EFT trace number the bank shows. */
  traceNumber: string;
  /** The hub's payer the ERA is from (its Odoo partner carries the payer balance and the deposit). */
  payerId: string;
  /** BPR16 (or DTM*405) date. */
  date: string;
  /** BPR04. */
  method: string;
  /** BPR02 signed by BPR03. */
  depositCents: Cents;
  /**
   * Every CLP of the ERA (matched to an encounter or not: the cash arrived either way): `paidCents` is what the
   * claim payment books on the invoice (CLP04 less the AMT*I interest it carries), `interestCents` that interest.
   */
  claimPayments: Array<{ claimId: string; paidCents: Cents; interestCents?: Cents }>;
  /**
   * Claims of the ERA counted, not listed (a large upload reads its claims in batches and must not carry 20,000
   * of them in one event): how many, Σ (CLP04 − AMT*I) and Σ AMT*I. Added to `claimPayments`.
   */
  claimTotals?: { claims: number; paidCents: Cents; interestCents: Cents };
  /**
   * Claims of the ERA the hub could not place on an encounter (unknown claim or payer claim number): their cash
   * is in BPR02 but on no invoice. How many, and Σ (CLP04 − AMT*I) as the claim payments would have booked it.
   */
  unplaced?: { claims: number; paidCents: Cents };
  providerAdjustments: Array<{ reason: string; reference?: string; amountCents: Cents }>;
}

/**
 * The ERA-level event: one per 835 transaction whose payer the hub knows (from the claims it placed), accepted
 * with the ERA's claim payments; the Odoo writer books its deposit (partition `era:<TRN02>`).
 */
export const EraDepositReceived = z
  .object({
    traceNumber: z.string().meta({ description: 'TRN02: the check or EFT trace number the bank shows' }),
    payerId: z.string(),
    date: z.string().meta({ description: 'BPR16 (or DTM*405) payment date' }),
    method: z.string().meta({ description: 'BPR04: ACH, CHK, FWT, BOP, NON' }),
    depositCents: z.number().int().meta({ description: 'BPR02 signed by BPR03' }),
    claimPayments: z.array(
      z.object({
        claimId: z.string(),
        paidCents: z.number().int().meta({ description: 'CLP04 less the AMT*I interest it carries' }),
        interestCents: z.number().int().optional().meta({ description: 'AMT*I interest carried in CLP04' }),
      }),
    ),
    claimTotals: z
      .object({
        claims: z.number().int().nonnegative(),
        paidCents: z.number().int(),
        interestCents: z.number().int(),
      })
      .optional()
      .meta({
        description:
          'Claims counted, not listed (large uploads): how many, Σ (CLP04 − AMT*I), Σ AMT*I; added to claimPayments',
      }),
    unplaced: z
      .object({ claims: z.number().int().nonnegative(), paidCents: z.number().int() })
      .optional()
      .meta({
        description:
          'Claims of the ERA the hub could not place on an encounter: how many, Σ (CLP04 − AMT*I); in BPR02, on no invoice',
      }),
    providerAdjustments: z.array(
      z.object({ reason: z.string(), reference: z.string().optional(), amountCents: z.number().int() }),
    ),
  })
  .meta({ id: 'EraDepositReceived' });
export type EraDepositReceived = z.infer<typeof EraDepositReceived>;

/**
 * The ERA-level document of a partner that sends remittances as JSON (`POST /v1/remittance-deposits`): what an
 * 835's BPR, TRN, its claims' CLP04/AMT*I and its PLB segments say, so that the deposit, claim interest and
 * provider-level adjustments are booked by the same rules (planEraDeposit) as for an 835. The claim payments
 * themselves come one by one through `POST /v1/remittances` with the same `payment.traceNumber`.
 */
export const EraDepositRequest = z
  .object({
    traceNumber: z.string().min(1).max(50).meta({
      description: 'TRN02: the check or EFT trace number, as on each remittance’s payment.traceNumber',
    }),
    payerId: PartnerId.meta({ description: 'The payer that sent the money (the hub’s payer id)' }),
    method: z.enum(['ACH', 'CHK', 'FWT', 'BOP', 'NON']).meta({ description: 'BPR04' }),
    date: CalendarDate.meta({ description: 'BPR16: the payment date' }),
    depositAmount: SignedDecimalAmount.meta({
      description: 'BPR02: what the payer sent = Σ claim paidAmount − Σ provider adjustments',
    }),
    claimPayments: z
      .array(
        z
          .object({
            claimId: PartnerId.meta({ description: 'CLP01' }),
            paidAmount: SignedDecimalAmount.meta({ description: 'CLP04, interest included' }),
            interestAmount: DecimalAmount.optional().meta({
              description: 'AMT*I: the prompt-pay interest inside paidAmount, booked to interest income',
            }),
          })
          .strict(),
      )
      .max(2_000),
    providerAdjustments: z
      .array(
        z
          .object({
            reason: z
              .string()
              .regex(/^[A-Z0-9]{2}$/, 'must be a PLB03-1 code such as L6, WO, FB, 72 or CS')
              .meta({ description: 'PLB03-1, e.g. L6 interest, WO overpayment recovery, CS adjustment' }),
            reference: z.string().min(1).max(50).optional().meta({ description: 'PLB03-2' }),
            amount: SignedDecimalAmount.meta({
              description:
                'PLB04 as sent: positive reduces the payment (a recoupment), negative increases it',
            }),
          })
          .strict(),
      )
      .max(99),
  })
  .strict()
  .meta({
    id: 'EraDepositRequest',
    description:
      'One ERA’s deposit in JSON: BPR02 by TRN02, its claims’ paid amounts and interest, and provider-level adjustments (PLB).',
  });
export type EraDepositRequest = z.infer<typeof EraDepositRequest>;

export function toCanonicalEraDeposit(request: EraDepositRequest): EraDepositReceived {
  return {
    traceNumber: request.traceNumber,
    payerId: request.payerId,
    date: request.date,
    method: request.method,
    depositCents: parseCents(request.depositAmount),
    claimPayments: request.claimPayments.map((c) => {
      const interestCents = c.interestAmount === undefined ? 0 : parseCents(c.interestAmount);
      return {
        claimId: c.claimId,
        paidCents: parseCents(c.paidAmount) - interestCents,
        ...(interestCents ? { interestCents } : {}),
      };
    }),
    providerAdjustments: request.providerAdjustments.map((p) => ({
      reason: p.reason,
      ...(p.reference ? { reference: p.reference } : {}),
      amountCents: parseCents(p.amount),
    })),
  };
}

/** An ERA whose deposit is not Σ paid − Σ PLB cannot be booked (planEraDeposit refuses it): a 400 at the edge. */
export function eraDepositViolations(era: EraDepositReceived): Array<{ path: string; message: string }> {
  const paid = era.claimPayments.reduce((s, c) => s + BigInt(c.paidCents) + BigInt(c.interestCents ?? 0), 0n);
  const plb = era.providerAdjustments.reduce((s, p) => s + BigInt(p.amountCents), 0n);
  if (paid - plb === BigInt(era.depositCents)) return [];
  const cents = (n: bigint) => formatCents(Number(n));
  return [
    {
      path: '/depositAmount',
      message: `deposit ${cents(BigInt(era.depositCents))} but claims paid ${cents(paid)} − provider adjustments ${cents(plb)} = ${cents(paid - plb)}`,
    },
  ];
}

/** One line of the deposit entry. `account` is a role, or the payer's own receivable account. */
export interface DepositLine {
  account: OdooAccountRole | 'payerReceivable';
  /** + debit, − credit, in cents; never 0. */
  balanceCents: Cents;
  label: string;
  /** What the line is: the adapter finds the deposit line and the claim-payments line by it. */
  role: 'deposit' | 'claimPayments' | 'providerAdjustment';
}

export interface EraDepositPlan {
  /** Idempotency: the adapter finds the entry by it before creating one. */
  ref: string;
  traceNumber: string;
  payerId: string;
  date: string;
  lines: DepositLine[];
  exceptions: ExceptionToOpen[];
}

/** The exception that makes an ERA's unplaced claim money visible (finance; searchable by payer and trace). */
export function unplacedExceptionKey(traceNumber: string): string {
  return `era-deposit:${traceNumber}:unplaced`;
}

/** The deposit entry's ref (journal entry `ref`): what the bank statement line is matched by is the TRN02 itself. */
export function eraDepositRef(traceNumber: string): string {
  return traceNumber;
}

/** The hub's marker in a claim payment's memo (`[rcm:era:<remittance id>…`, remittance-posting.ts refs). */
const ERA_PAYMENT_MARKER = '[rcm:era:';

/**
 * The memo marker every claim payment of this ERA carries (remittance-posting.ts: `rcm:era:<TRN02>:<CLP07>…`),
 * by which the adapter finds the payments to reconcile with the claim-payments line.
 */
export function eraPaymentMarkerPrefix(traceNumber: string): string {
  return `${ERA_PAYMENT_MARKER}${traceNumber}:`;
}

/**
 * How every claim payment of an ERA's trace begins its memo (remittance-posting.ts: `ERA <TRN02> claim <CLP01>`):
 * with the hub's `[rcm:era:` marker, it finds the claim payments of a trace whatever their remittance id — an 835's
 * `<TRN02>:<CLP07>`, or a JSON partner's own id.
 */
export function eraPaymentMemoPrefix(traceNumber: string): string {
  return `ERA ${traceNumber} claim `;
}

/**
 * Whether a payment memo is one of this trace's claim payments: it carries the trace's marker (an 835's
 * remittance ids begin with the trace), or it begins with the trace's memo prefix and carries the hub's marker
 * (a JSON partner's own remittance ids). Exact, case-sensitive: Odoo's ILIKE search is wider.
 */
export function isEraClaimPaymentMemo(memo: string, traceNumber: string): boolean {
  return (
    memo.includes(eraPaymentMarkerPrefix(traceNumber)) ||
    (memo.startsWith(eraPaymentMemoPrefix(traceNumber)) && memo.includes(ERA_PAYMENT_MARKER))
  );
}

/** Label prefix of a claim-interest line (AMT*I); PLB lines start with `PLB `. */
export const CLAIM_INTEREST_LABEL = 'AMT*I';

/** How the deposit entry's claim-payments line is labelled (the adapter finds it by this prefix). */
export function claimPaymentsLabelPrefix(traceNumber: string): string {
  return `ERA ${traceNumber} claim payments`;
}

/** The deposit booking for one ERA: a balanced entry, or a refusal when the ERA does not balance. */
export function planEraDeposit(era: EraDeposit): EraDepositPlan {
  const trace = era.traceNumber;
  const totals = era.claimTotals ?? { claims: 0, paidCents: 0, interestCents: 0 };
  const claimsCents = sum([...era.claimPayments.map((c) => c.paidCents), totals.paidCents]);
  const interestCents = sum([...era.claimPayments.map((c) => c.interestCents ?? 0), totals.interestCents]);
  const claimCount = era.claimPayments.length + totals.claims;
  const plbCents = sum(era.providerAdjustments.map((p) => p.amountCents));
  if (claimsCents + interestCents - plbCents !== era.depositCents) {
    // balance835 refuses such a file at the edge; a plan must never book one that does not add up.
    throw new RangeError(
      `ERA ${trace} does not balance: BPR02 ${formatCents(era.depositCents)} but Σ CLP04 ${formatCents(claimsCents + interestCents)} − Σ PLB ${formatCents(plbCents)} = ${formatCents(claimsCents + interestCents - plbCents)}`,
    );
  }
  const lines: DepositLine[] = [];
  const exceptions: ExceptionToOpen[] = [];
  if (era.depositCents !== 0) {
    lines.push({
      account: 'eraDepositClearing',
      balanceCents: era.depositCents,
      label: `ERA ${trace} deposit (${era.method}) from payer ${era.payerId}`,
      role: 'deposit',
    });
  }
  if (claimsCents !== 0) {
    lines.push({
      account: 'eraDepositClearing',
      balanceCents: -claimsCents,
      label: `${claimPaymentsLabelPrefix(trace)} (${claimCount} claims)`,
      role: 'claimPayments',
    });
  }
  // AMT*I: interest paid with a claim (inside its CLP04) is the provider's income, like PLB L6.
  for (const claim of era.claimPayments) {
    if (!claim.interestCents) continue;
    lines.push({
      account: 'plbInterestIncome',
      balanceCents: -claim.interestCents,
      label: `${CLAIM_INTEREST_LABEL} interest on claim ${claim.claimId} (ERA ${trace}, payer ${era.payerId})`,
      role: 'providerAdjustment',
    });
  }
  if (totals.interestCents) {
    lines.push({
      account: 'plbInterestIncome',
      balanceCents: -totals.interestCents,
      label: `${CLAIM_INTEREST_LABEL} interest on ${totals.claims} claims (ERA ${trace}, payer ${era.payerId})`,
      role: 'providerAdjustment',
    });
  }
  for (const [i, plb] of era.providerAdjustments.entries()) {
    if (plb.amountCents === 0) continue;
    const reason = plbReason(plb.reason);
    const account =
      reason.treatment === 'interest'
        ? 'plbInterestIncome'
        : reason.treatment === 'payerBalance'
          ? 'payerReceivable'
          : 'plbOtherAdjustments';
    const reference = plb.reference ? ` ref ${plb.reference}` : '';
    const label = `PLB ${plb.reason} ${reason.name}${reference} (ERA ${trace}, payer ${era.payerId})`;
    lines.push({ account, balanceCents: plb.amountCents, label, role: 'providerAdjustment' });
    if (reason.treatment === 'review') {
      exceptions.push({
        key: `era-deposit:${trace}:plb:${i}:${plb.reason}`,
        team: 'finance',
        reason: `provider-level adjustment ${plb.reason} (${reason.name})${reference} of ${formatCents(plb.amountCents)} on ERA ${trace} from payer ${era.payerId} was booked to provider-level adjustments; classify it (a positive amount reduced the deposit)`,
        amountCents: Math.abs(plb.amountCents),
      });
    }
  }
  const unplaced = era.unplaced;
  if (unplaced && unplaced.paidCents !== 0) {
    // The bank has the money and the deposit books it; no invoice does: reconciliation's deposit variance is
    // exactly this amount until the claims are placed (or the cash is booked by hand).
    exceptions.push({
      key: unplacedExceptionKey(trace),
      team: 'finance',
      reason: `ERA ${trace} from payer ${era.payerId}: ${unplaced.claims} claim${unplaced.claims === 1 ? '' : 's'} paying ${formatCents(unplaced.paidCents)} of the ${formatCents(era.depositCents)} deposit (BPR02) could not be placed on an encounter (unknown claim or payer claim number); the cash is booked with the deposit and stays open on the claim-payments line, on no invoice: place the claims (unmatched remittances) or book the cash by hand`,
      amountCents: Math.abs(unplaced.paidCents),
    });
  }
  return {
    ref: eraDepositRef(trace),
    traceNumber: trace,
    payerId: era.payerId,
    date: era.date,
    lines,
    exceptions,
  };
}

/**
 * An ERA as the deposit booking needs it, from a read 835 transaction. `payerId` is the hub's payer the
 * transaction's claims were placed with (the intake resolves it).
 */
export function eraDepositOf(
  transaction: Remittance835,
  payerId: string,
  unplaced?: EraDeposit['unplaced'],
): EraDeposit {
  return {
    traceNumber: transaction.trace.traceNumber,
    payerId,
    date: transaction.payment.date as string,
    method: transaction.payment.method,
    depositCents: transaction.payment.amountCents,
    claimPayments: transaction.claims.map((c) => {
      const interestCents = claimInterestInPaid(c);
      return {
        claimId: c.claimId,
        paidCents: c.paidCents - interestCents,
        ...(interestCents ? { interestCents } : {}),
      };
    }),
    ...(unplaced && unplaced.claims > 0 ? { unplaced } : {}),
    providerAdjustments: transaction.providerAdjustments.map((p) => ({
      reason: p.reason,
      ...(p.reference ? { reference: p.reference } : {}),
      amountCents: p.amountCents,
    })),
  };
}

/** What reconciliation found booked for one ERA, in cents. */
export interface DepositBooked {
  /** The deposit line in Odoo (undefined: no deposit entry). */
  depositLineCents?: Cents;
  /** Σ of the hub's active claim payments in Odoo carrying this trace. */
  claimPaymentsCents: Cents;
  /** Σ of the PLB and AMT*I interest lines of the deposit entry, signed as PLB (0 when there is none). */
  providerAdjustmentsCents: Cents;
}

export interface DepositDifference {
  key: string;
  /** reconciliation.ts DifferenceClass: no deposit, a deposit of another amount, payments − PLB ≠ BPR02. */
  class: 'missing_in_odoo' | 'amount_variance' | 'deposit_variance';
  traceNumber: string;
  payerId: string;
  expectedCents: Cents;
  actualCents: Cents;
  amountCents: Cents;
  reason: string;
}

/**
 * BPR02 against what Odoo booked for the ERA: the deposit line must be BPR02, and the claim payments booked less
 * the PLB booked must add up to it too. Each shortfall or excess is one difference (stable key per trace), so a
 * 7.50 gap between the deposit and the payments is reported as 7.50, never as 0.
 */
export function compareDeposit(era: EraDeposit, booked: DepositBooked): DepositDifference[] {
  const out: DepositDifference[] = [];
  const trace = era.traceNumber;
  const base = { traceNumber: trace, payerId: era.payerId, expectedCents: era.depositCents };
  if (booked.depositLineCents === undefined) {
    if (era.depositCents !== 0) {
      out.push({
        ...base,
        key: `recon:deposit_missing:${trace}`,
        class: 'missing_in_odoo',
        actualCents: 0,
        amountCents: Math.abs(era.depositCents),
        reason: `ERA ${trace}: the payer sent ${formatCents(era.depositCents)} (BPR02) and Odoo holds no deposit for it; the bank statement line cannot be matched`,
      });
    }
  } else if (booked.depositLineCents !== era.depositCents) {
    out.push({
      ...base,
      key: `recon:deposit_amount:${trace}`,
      class: 'amount_variance',
      actualCents: booked.depositLineCents,
      amountCents: Math.abs(booked.depositLineCents - era.depositCents),
      reason: `ERA ${trace}: Odoo's deposit is ${formatCents(booked.depositLineCents)}, the payer sent ${formatCents(era.depositCents)} (BPR02)`,
    });
  }
  const net = booked.claimPaymentsCents - booked.providerAdjustmentsCents;
  if (net !== era.depositCents) {
    // Claims the hub could not place are on no invoice: say how much of the variance they explain.
    const unplaced = era.unplaced?.paidCents ?? 0;
    const explained =
      unplaced !== 0
        ? `; ${formatCents(unplaced)} of it is for ${era.unplaced?.claims} claim${era.unplaced?.claims === 1 ? '' : 's'} the hub could not place (exception ${unplacedExceptionKey(trace)})${era.depositCents - net === unplaced ? ', which explains the whole difference' : ''}`
        : '';
    out.push({
      ...base,
      key: `recon:deposit_variance:${trace}`,
      class: 'deposit_variance',
      actualCents: net,
      amountCents: Math.abs(net - era.depositCents),
      reason: `ERA ${trace}: the payer sent ${formatCents(era.depositCents)} (BPR02) but Odoo holds claim payments ${formatCents(booked.claimPaymentsCents)} − provider-level adjustments ${formatCents(booked.providerAdjustmentsCents)} = ${formatCents(net)} (${net > era.depositCents ? 'more' : 'less'} by ${formatCents(Math.abs(net - era.depositCents))})${explained}`,
    });
  }
  return out;
}

function sum(amounts: Cents[]): Cents {
  const total = amounts.reduce((s, a) => s + BigInt(a), 0n);
  const result = Number(total);
  if (!Number.isSafeInteger(result)) throw new RangeError(`total beyond a safe integer: ${total}`);
  return result;
}
