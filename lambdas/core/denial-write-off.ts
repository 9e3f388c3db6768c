import * as z from 'zod';
import { type Cents, formatCents } from './money.js';
import type { PostingPlan } from './posting-plan.js';
import { DENIED_LINES_CAUSE } from './remittance-posting.js';

/**
 * A denial is never written off by the hub on its own (docs/posting-rules.md "Denials"): the denied amount stays
 * receivable on the payer invoice with an exception for billing. Only a person resolving that exception as not
 * recoverable (POST /v1/exceptions/{id}/resolve with `outcome: not-recoverable`) books the write-off, to the
 * denial account, through the normal Odoo write path (OdooWriteQueue, idempotent by ref).
 */

/** The causes of the exceptions a remittance opens for denied money: the whole claim, or lines of a paid claim. */
const DENIAL_KEY = new RegExp(`^era:(.+):(denied|${DENIED_LINES_CAUSE})$`);

/** The remittance a denial exception belongs to, or undefined for any other exception. */
export function denialOf(
  key: string,
): { remittanceId: string; cause: 'denied' | 'denied-lines' } | undefined {
  const match = DENIAL_KEY.exec(key);
  if (!match) return undefined;
  return { remittanceId: match[1] as string, cause: match[2] as 'denied' | 'denied-lines' };
}

/** The event the resolve action puts on the Odoo write queue (in the encounter's FIFO group). */
export const DenialWriteOffApproved = z
  .object({
    exceptionId: z.string(),
    exceptionKey: z
      .string()
      .meta({ description: 'era:<remittanceId>:denied or era:<remittanceId>:denied-lines' }),
    remittanceId: z.string(),
    amountCents: z
      .number()
      .int()
      .positive()
      .meta({ description: 'The denied amount the exception was opened for' }),
    note: z.string().meta({ description: 'Why it is not recoverable, as the person wrote it' }),
    resolvedOn: z.iso
      .date()
      .meta({ description: 'The day the person resolved it: the write-off is dated then' }),
  })
  .meta({ id: 'DenialWriteOffApproved' });
export type DenialWriteOffApproved = z.infer<typeof DenialWriteOffApproved>;

export function denialWriteOffRef(exceptionId: string): string {
  return `rcm:denial:${exceptionId}:write-off`;
}

export interface DenialWriteOffContext {
  /** The claim's payer invoice as Odoo has it now. */
  payerInvoice: { invoiceId: string; residualCents: Cents };
  payerId: string;
  claimId: string;
  traceNumber: string;
}

/**
 * Writes off what is still open of the denied amount (the payer may have paid part of it since, after an
 * appeal): at most the invoice's residual. When it is exactly what the invoice owes, a 0.00 payment carries
 * the write-off, so Odoo reads the invoice `paid` (closed by a credit note alone it would read `reversed`);
 * otherwise a credit note of the amount, and the invoice stays open for the rest.
 */
export function planDenialWriteOff(
  approval: DenialWriteOffApproved,
  ctx: DenialWriteOffContext,
): PostingPlan {
  const amount = Math.min(approval.amountCents, ctx.payerInvoice.residualCents);
  const summary = {
    paidCents: 0,
    adjustedCents: Math.max(amount, 0),
    patientResponsibilityCents: 0,
    patientPaidCents: 0,
  };
  if (amount <= 0) {
    return {
      steps: [],
      exceptions: [],
      summary,
    };
  }
  const ref = denialWriteOffRef(approval.exceptionId);
  const label = `Denied on claim ${ctx.claimId} (ERA ${ctx.traceNumber}) written off as not recoverable: ${formatCents(amount)}`;
  if (amount === ctx.payerInvoice.residualCents) {
    return {
      steps: [
        {
          kind: 'payment',
          ref,
          invoiceId: ctx.payerInvoice.invoiceId,
          partner: { kind: 'payer', id: ctx.payerId },
          amountCents: 0,
          date: approval.resolvedOn,
          memo: `Denial write-off claim ${ctx.claimId}`,
          writeOff: { amountCents: amount, account: 'deniedClaims', label },
        },
      ],
      exceptions: [],
      summary,
    };
  }
  return {
    steps: [
      {
        kind: 'creditNote',
        ref,
        invoiceId: ctx.payerInvoice.invoiceId,
        amountCents: amount,
        account: 'deniedClaims',
        label,
        date: approval.resolvedOn,
      },
    ],
    exceptions: [],
    summary,
  };
}
