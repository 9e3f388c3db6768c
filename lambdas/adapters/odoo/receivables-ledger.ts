import { centsToOdooAmount, formatCents, odooAmountToCents } from '../../core/money.js';
import { partnerRef } from '../../core/odoo-posting.js';
import type { PostingStep } from '../../core/posting-plan.js';
import { type LedgerSetup, ledgerSetupFromEnv, OdooChart } from './accounts.js';
import type { OdooClient } from './client.js';
import { OdooError } from './errors.js';
import { OdooPaymentReversal } from './payment-reversal.js';
import { draftReversal, postDraft } from './posting.js';
import {
  creditNoteDraft,
  loadMoveHeaders,
  loadMoveLines,
  type MoveDraft,
  patientInvoiceDraft,
} from './receivable-moves.js';

export { DEFAULT_LEDGER_ACCOUNTS, type LedgerAccounts } from './accounts.js';

const ENV_SETUP = ledgerSetupFromEnv();

export interface ExecutedStep {
  ref: string;
  kind: PostingStep['kind'];
  /** `account.move` for credit notes, patient invoices and reversals; `account.payment` for payments. */
  model: string;
  /**
   * The record(s) this step stands for: the credit note, the patient invoice, the payment; for `reverse`, the
   * reversal moves (one per reversed credit note or invoice, in `reversesRefs` order).
   */
  ids: number[];
  /** true when Odoo already held everything the step asks for (a redelivery): nothing was written. */
  alreadyPresent: boolean;
  /** `reverse` only: the payments this step cancelled or found cancelled. */
  cancelledPaymentIds?: number[];
}

/** One search per SQS batch (`OdooReceivablesLedger.snapshot`): invoices by ref, payment rows by step ref. */
export interface ReceivablesSnapshot {
  invoices: Map<string, MoveRow[]>;
  payments: Map<string, PaymentRow[]>;
  partnerIds: Map<string, number>;
  /** Every customer invoice and credit note (any state) whose `ref` is one of `searchedRefs`. */
  moves: MoveRow[];
  searchedRefs: Set<string>;
}

export interface InvoiceState {
  moveId: number;
  partnerId: number;
  totalCents: number;
  residualCents: number;
  paymentState: string;
  state: string;
}

export type Many2one = [number, string] | false;

export interface MoveRow {
  id: number;
  name: string | false;
  ref: string | false;
  journal_id: Many2one;
  invoice_date: string | false;
  invoice_origin: string | false;
  state: 'draft' | 'posted' | 'cancel';
  move_type: string;
  partner_id: Many2one;
  amount_total: number;
  amount_residual: number;
  payment_state: string;
  reversed_entry_id: Many2one;
  currency_id?: Many2one;
  invoice_line_ids?: number[];
}

export const MOVE_FIELDS = [
  'name',
  'ref',
  'journal_id',
  'invoice_date',
  'invoice_origin',
  'state',
  'move_type',
  'partner_id',
  'amount_total',
  'amount_residual',
  'payment_state',
  'reversed_entry_id',
  'currency_id',
  'invoice_line_ids',
];

export interface PaymentRow {
  id: number;
  state: string;
  [memoField: string]: unknown;
}

type Domain = unknown[];

/**
 * How a payment carries its step ref: Odoo's memo (`ref` in 17, `memo` in 18) is `<memo> [<ref>]`. Found by
 * `ilike '[<ref>]'` with `\`, `%` and `_` escaped (Odoo passes the operand to SQL ILIKE as is; its own code
 * escapes with `tools.escape_psql`), then filtered here on the exact, case-sensitive bracketed marker.
 */
export function paymentMarker(ref: string): string {
  return `[${ref}]`;
}

/** `odoo.tools.escape_psql`: a literal for LIKE / ILIKE. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, '\\$&');
}

export function paymentMemo(memo: string, ref: string): string {
  const text = memo.trim();
  return text ? `${text} ${paymentMarker(ref)}` : paymentMarker(ref);
}

/** The `ref` of the move that reverses, under reverse step `stepRef`, the record created under `originalRef`. */
export function reversalRef(stepRef: string, originalRef: string): string {
  return `${stepRef}:${originalRef}`;
}

/**
 * Executes a posting plan's steps in Odoo, each idempotently: a record is looked up by the step's ref before it
 * is created, so a redelivery (after a crash, a timeout, a retried message) books nothing twice.
 *
 * Where each step's ref lives (Odoo's `ref` fields are not unique: uniqueness is ours, odoo.md):
 *  - credit note (out_refund): `ref` = `invoice_origin` = step ref;
 *  - patient invoice (out_invoice): `ref` = `payment_reference` = step.invoiceId, `invoice_origin` = step ref;
 *  - payment: memo (`ref` in 17, `memo` in 18) = `<memo> [<step ref>]`;
 *  - reversal move: `ref` = `<reverse step ref>:<original ref>`, `invoice_origin` = reverse step ref.
 * A `reverse` step finds what an earlier step created by `ref` or `invoice_origin` (moves) or marker (payments).
 */
export class OdooReceivablesLedger {
  private readonly chart: OdooChart;

  constructor(
    private readonly odoo: OdooClient,
    setup: LedgerSetup = ENV_SETUP,
    /** What one search per SQS batch found (see `snapshot`), for this ledger's look-ups until it first writes. */
    private snapshot?: ReceivablesSnapshot,
  ) {
    this.chart = OdooChart.of(odoo, setup);
  }

  /**
   * The look-ups of several payments' bookings, for a whole SQS batch in two calls: customer invoices by
   * `ref in [...]` and payments by their markers. Only for bookings nothing else in the batch writes before
   * (the writer passes the first event of each encounter): each ledger uses it until its first write, then asks
   * Odoo again. `partnerIds` (partner ref → Odoo id, from the crosswalk) answers "the invoice of this partner".
   */
  static async snapshot(
    odoo: OdooClient,
    wanted: {
      invoiceIds: string[];
      paymentRefs: string[];
      partnerIds: Map<string, number>;
      /** Refs of credit notes and patient invoices a batch may create (receivables-batch.ts), looked up too. */
      moveRefs?: string[];
    },
  ): Promise<ReceivablesSnapshot> {
    const invoiceIds = [...new Set(wanted.invoiceIds)];
    const searchedRefs = new Set([...invoiceIds, ...(wanted.moveRefs ?? [])]);
    const snapshot: ReceivablesSnapshot = {
      invoices: new Map(),
      payments: new Map(),
      partnerIds: wanted.partnerIds,
      moves: [],
      searchedRefs,
    };
    if (searchedRefs.size > 0) {
      snapshot.moves = await odoo.call<MoveRow[]>(
        'account.move',
        'search_read',
        [
          [
            ['move_type', 'in', ['out_invoice', 'out_refund']],
            ['ref', 'in', [...searchedRefs]],
          ],
        ],
        { fields: MOVE_FIELDS, order: 'id' },
      );
      for (const id of invoiceIds)
        snapshot.invoices.set(
          id,
          snapshot.moves.filter(
            (row) => row.move_type === 'out_invoice' && row.ref === id && row.state !== 'cancel',
          ),
        );
    }
    const refs = [...new Set(wanted.paymentRefs)];
    if (refs.length > 0) {
      const memoField = (await odoo.dialect()).paymentMemoField;
      const leaves = refs.map((ref) => [memoField, 'ilike', escapeLike(paymentMarker(ref))]);
      const rows = await odoo.call<PaymentRow[]>(
        'account.payment',
        'search_read',
        [[...Array(leaves.length - 1).fill('|'), ...leaves]],
        // `amount`: a batch adopts a draft of its own only at the plan's amount (receivables-batch.ts).
        { fields: [memoField, 'state', 'move_id', 'amount'] },
      );
      for (const ref of refs) snapshot.payments.set(ref, rows);
    }
    return snapshot;
  }

  /** Executes each step in order, idempotently: a step whose ref already exists in Odoo is found, not redone. */
  async execute(steps: PostingStep[]): Promise<ExecutedStep[]> {
    // The batch snapshot serves payment bookings only; remittance plans look everything up as before.
    if (steps.some((step) => step.kind !== 'payment')) this.snapshot = undefined;
    const executed: ExecutedStep[] = [];
    for (const step of steps) {
      switch (step.kind) {
        case 'creditNote':
          executed.push(await this.creditNote(step));
          break;
        case 'patientInvoice':
          executed.push(await this.patientInvoice(step));
          break;
        case 'payment':
          executed.push(await this.payment(step));
          break;
        case 'reverse':
          executed.push(await this.reverse(step));
          break;
        case 'payerCredit':
          executed.push(
            await this.directPayment(step, {
              destinationAccountId: await this.chart.accountId(step.account),
            }),
          );
          break;
        default:
          throw new OdooError(
            'permanent',
            'rcm.UnknownStep',
            `unknown posting step ${JSON.stringify(step as unknown)}`,
          );
      }
    }
    return executed;
  }

  /** What Odoo says about an invoice (by our invoiceId = move ref, out_invoice, not cancelled): for planning. */
  async invoiceState(invoiceId: string): Promise<InvoiceState | undefined> {
    const move = await this.findInvoice(invoiceId);
    return move && toInvoiceState(move);
  }

  // ---- credit note ----

  private async creditNote(step: Extract<PostingStep, { kind: 'creditNote' }>): Promise<ExecutedStep> {
    const done = (id: number, alreadyPresent: boolean): ExecutedStep => ({
      ref: step.ref,
      kind: step.kind,
      model: 'account.move',
      ids: [id],
      alreadyPresent,
    });
    const found = await this.findOne<MoveRow>(
      'account.move',
      [
        ['move_type', '=', 'out_refund'],
        ['ref', '=', step.ref],
      ],
      MOVE_FIELDS,
      `credit note ${step.ref}`,
    );
    if (found) {
      // Cancelled by hand in Odoo, or already applied: nothing left for this step to do.
      if (found.state === 'cancel') return done(found.id, true);
      if (found.state === 'posted' && odooAmountToCents(found.amount_residual) === 0)
        return done(found.id, true);
      const invoiceId = many2oneId(found.reversed_entry_id);
      if (invoiceId === undefined) {
        throw new OdooError(
          'permanent',
          'rcm.NotACreditNote',
          `Odoo move ${found.id} carries ref ${step.ref} but reverses no invoice`,
        );
      }
      if (found.state === 'draft') {
        let draft = found;
        if (!found.invoice_line_ids?.length) {
          // A header a batch loaded without its lines (receivable-moves.ts): the same lines, by external id.
          await this.loadDraftLines(
            creditNoteDraft(
              step,
              { id: invoiceId, partnerId: false, invoiceDate: false },
              await this.chart.accountId(step.account),
            ),
            found.id,
          );
          draft = await this.readMove(found.id);
        }
        this.checkTotal(draft, step.amountCents, `credit note ${step.ref}`);
        await postDraft(this.odoo, draft);
      }
      await this.settleCreditNote(found.id, invoiceId, step.ref);
      return done(found.id, false);
    }

    const invoice = await this.findInvoice(step.invoiceId);
    if (!invoice) {
      throw new OdooError(
        'permanent',
        'rcm.UnknownInvoice',
        `no Odoo customer invoice carries ref ${step.invoiceId} (credit note ${step.ref})`,
      );
    }
    if (invoice.state !== 'posted') {
      throw new OdooError(
        'permanent',
        'rcm.NotPosted',
        `Odoo invoice ${invoice.id} (${step.invoiceId}) is ${invoice.state}, expected posted (credit note ${step.ref})`,
      );
    }
    const partnerId = many2oneId(invoice.partner_id);
    const accountId = await this.chart.accountId(step.account);
    // Created under its external id (receivable-moves.ts), as a batch creates it: whichever writer comes second,
    // or a call that committed after we gave up, finds the same move instead of creating another.
    const draft = await this.createDraft(
      creditNoteDraft(
        step,
        { id: invoice.id, partnerId: partnerId ?? false, invoiceDate: invoice.invoice_date },
        accountId,
      ),
    );
    const created = draft.id;
    if (draft.state === 'draft') {
      this.checkTotal(draft, step.amountCents, `credit note ${step.ref}`);
      await postDraft(this.odoo, draft);
    }
    const invoiceAfter = await this.settleCreditNote(created, invoice.id, step.ref);
    // The invoice owes exactly the credit note less (or nothing, when the credit exceeds what it owed).
    const expected = Math.max(odooAmountToCents(invoice.amount_residual) - step.amountCents, 0);
    if (odooAmountToCents(invoiceAfter.amount_residual) !== expected) {
      throw new OdooError(
        'permanent',
        'rcm.ResidualMismatch',
        `after credit note ${step.ref} (move ${created}) Odoo invoice ${invoice.id} owes ${formatCents(odooAmountToCents(invoiceAfter.amount_residual))}, expected ${formatCents(expected)}`,
      );
    }
    return done(created, false);
  }

  /**
   * Applies a posted credit note to its invoice. Odoo 17 reconciles a move with its `reversed_entry_id` when it
   * is posted (`_post` → `_reconcile_reversed_moves`), so this usually only verifies; if the credit note's
   * receivable line is still open (another Odoo, a crash between post and reconcile) it reconciles it with the
   * invoice's open receivable line. Reconciling twice would raise "already reconciled", hence the check first.
   */
  private async settleCreditNote(creditNoteId: number, invoiceId: number, ref: string): Promise<MoveRow> {
    let [invoice, creditNote] = await this.readPair(invoiceId, creditNoteId);
    if (
      odooAmountToCents(creditNote.amount_residual) !== 0 &&
      odooAmountToCents(invoice.amount_residual) !== 0
    ) {
      const lines = await this.odoo.call<Array<{ id: number; move_id: Many2one }>>(
        'account.move.line',
        'search_read',
        [
          [
            ['move_id', 'in', [invoiceId, creditNoteId]],
            ['account_type', '=', 'asset_receivable'],
            ['reconciled', '=', false],
            ['parent_state', '=', 'posted'],
          ],
        ],
        { fields: ['move_id'] },
      );
      const creditLine = lines.find((line) => many2oneId(line.move_id) === creditNoteId);
      const invoiceLine = lines.find((line) => many2oneId(line.move_id) === invoiceId);
      if (creditLine && invoiceLine) {
        await this.odoo.call('account.move.line', 'reconcile', [[creditLine.id, invoiceLine.id]]);
        [invoice, creditNote] = await this.readPair(invoiceId, creditNoteId);
      }
    }
    if (
      odooAmountToCents(creditNote.amount_residual) !== 0 &&
      odooAmountToCents(invoice.amount_residual) !== 0
    ) {
      throw new OdooError(
        'permanent',
        'rcm.NotReconciled',
        `credit note ${ref} (move ${creditNoteId}) is not applied to invoice ${invoiceId}: both still open`,
      );
    }
    return invoice;
  }

  /**
   * A credit note or patient invoice, header then lines, each under its external id, read back. Loading the lines
   * of a move a late call created meanwhile writes the same lines again (a no-op), never a second set.
   */
  private async createDraft(draft: MoveDraft): Promise<MoveRow> {
    const [id] = (await loadMoveHeaders(this.odoo, [draft])) ?? [];
    if (id === undefined)
      throw new OdooError(
        'transient',
        'rcm.ExternalIdRace',
        `${draft.externalId} is being created by another writer`,
      );
    await this.loadDraftLines(draft, id);
    return this.readMove(id);
  }

  private async loadDraftLines(draft: MoveDraft, moveId: number): Promise<void> {
    if (!(await loadMoveLines(this.odoo, [{ draft, moveId }])))
      throw new OdooError(
        'transient',
        'rcm.ExternalIdRace',
        `the lines of ${draft.externalId} are being created by another writer`,
      );
  }

  // ---- patient invoice ----

  private async patientInvoice(
    step: Extract<PostingStep, { kind: 'patientInvoice' }>,
  ): Promise<ExecutedStep> {
    const patientRef = partnerRef({ kind: 'patient', id: step.patientId });
    const totalCents = step.lines.reduce((sum, line) => sum + line.amountCents, 0);
    let move = await this.findInvoice(step.invoiceId, patientRef, { withCancelled: true });
    // Cancelled (a draft a reverse step dropped, or by hand): this step is done, never booked again.
    if (move?.state === 'cancel') {
      return { ref: step.ref, kind: step.kind, model: 'account.move', ids: [move.id], alreadyPresent: true };
    }
    const alreadyPresent = move !== undefined && move.state !== 'draft';
    if (move === undefined) {
      const partners = await this.odoo.call<number[]>('res.partner', 'search', [[['ref', '=', patientRef]]], {
        limit: 2,
      });
      if (partners.length > 1) {
        throw new OdooError(
          'permanent',
          'rcm.AmbiguousReference',
          `more than one Odoo partner carries ref ${patientRef}`,
        );
      }
      const [partnerId] = partners;
      if (partnerId === undefined) {
        throw new OdooError(
          'permanent',
          'rcm.UnknownPartner',
          `no Odoo partner carries ref ${patientRef} (patient invoice ${step.invoiceId}); master data must be synced first`,
        );
      }
      const accountId = await this.chart.accountId('patientResponsibilityTransfer');
      move = await this.createDraft(patientInvoiceDraft(step, partnerId, accountId));
    } else if (move.state === 'draft' && !move.invoice_line_ids?.length) {
      // A header a batch loaded without its lines (receivable-moves.ts): the same lines, by external id.
      const accountId = await this.chart.accountId('patientResponsibilityTransfer');
      await this.loadDraftLines(
        patientInvoiceDraft(step, many2oneId(move.partner_id) ?? 0, accountId),
        move.id,
      );
      move = await this.readMove(move.id);
    }
    if (move.state === 'draft') {
      this.checkTotal(move, totalCents, `patient invoice ${step.invoiceId}`);
      await postDraft(this.odoo, move);
    }
    return { ref: step.ref, kind: step.kind, model: 'account.move', ids: [move.id], alreadyPresent };
  }

  // ---- payment ----

  private async payment(step: Extract<PostingStep, { kind: 'payment' }>): Promise<ExecutedStep> {
    const done = (id: number, alreadyPresent: boolean): ExecutedStep => ({
      ref: step.ref,
      kind: step.kind,
      model: 'account.payment',
      ids: [id],
      alreadyPresent,
    });
    if (step.invoicePartner) {
      // Another payer's cash (a secondary's) on the claim's invoice: its own payment, applied to the invoice.
      const invoice = await this.paymentInvoice(step, partnerRef(step.invoicePartner));
      return this.directPayment(step, { invoice });
    }
    const [existing] = await this.findPayments([step.ref]);
    if (existing) {
      if (!(await this.leftUnposted(existing))) return done(existing.id, true);
      // Created by a batch that failed before posting it (receivables-batch.ts): posted and applied here.
      const invoice = await this.paymentInvoice(step, partnerRef(step.partner));
      this.snapshot = undefined;
      await this.finishPayment(existing, invoice);
      return done(existing.id, false);
    }

    const invoice = await this.paymentInvoice(step, partnerRef(step.partner));
    const residual = odooAmountToCents(invoice.amount_residual);
    if (step.writeOff && residual - step.amountCents !== step.writeOff.amountCents) {
      // The wizard writes off whatever the payment leaves open: refuse rather than book a different amount.
      throw new OdooError(
        'permanent',
        'rcm.WriteOffMismatch',
        `payment ${step.ref}: invoice ${step.invoiceId} owes ${formatCents(residual)}, paying ${formatCents(step.amountCents)} would write off ${formatCents(residual - step.amountCents)}, the plan says ${formatCents(step.writeOff.amountCents)}`,
      );
    }
    // From here on this ledger writes: what the batch's snapshot saw is no longer the state of Odoo.
    this.snapshot = undefined;
    const journalId = await this.chart.bankJournalId();
    const values: Record<string, unknown> = {
      amount: centsToOdooAmount(step.amountCents),
      payment_date: step.date,
      journal_id: journalId,
      communication: paymentMemo(step.memo, step.ref),
      payment_difference_handling: step.writeOff ? 'reconcile' : 'open',
    };
    if (step.writeOff) {
      values.writeoff_account_id = await this.chart.accountId(step.writeOff.account);
      values.writeoff_label = step.writeOff.label;
    }
    const context = { active_model: 'account.move', active_ids: [invoice.id] };
    const [wizardId] = await this.odoo.call<number[]>('account.payment.register', 'create', [[values]], {
      context,
    });
    if (wizardId === undefined)
      throw new OdooError('transient', 'rcm.NoId', 'Odoo created no payment wizard id');
    const action = await this.odoo.call<{ res_id?: number; domain?: unknown } | null>(
      'account.payment.register',
      'action_create_payments',
      [[wizardId]],
      { context },
    );
    const paymentId = action?.res_id;
    if (typeof paymentId !== 'number') {
      throw new OdooError(
        'permanent',
        'rcm.UnexpectedAnswer',
        `Odoo's payment wizard returned no single payment for ${step.ref}: ${JSON.stringify(action)}`,
      );
    }
    return done(paymentId, false);
  }

  /**
   * Whether a payment found by its marker still has a draft entry: only a batch leaves one (it creates payments,
   * then posts them in a later call). 17 says so in the payment's state; 18+ call such a payment `in_process`
   * (account_payment.py `_generate_journal_entry`), as they call a posted one that is not fully matched.
   */
  private async leftUnposted(payment: PaymentRow): Promise<boolean> {
    if (payment.state === 'draft') return true;
    if (payment.state !== 'in_process') return false;
    const moveId = many2oneId(payment.move_id as Many2one | undefined);
    if (moveId === undefined) return false;
    return (await this.readMove(moveId)).state === 'draft';
  }

  /**
   * Posts a payment's draft entry (account.move `action_post`: 17 posts it through its payment, 18+ post the entry,
   * and both reconcile a pair the batch marked) and applies it to the invoice if the posting did not.
   */
  private async finishPayment(payment: PaymentRow, invoice: MoveRow): Promise<void> {
    let moveId = many2oneId(payment.move_id as Many2one | undefined);
    if (moveId === undefined) {
      // 18+ without an entry yet: the payment's own action_post creates and posts it.
      await this.odoo.call('account.payment', 'action_post', [[payment.id]]);
      const [row] = await this.odoo.call<Array<{ move_id: Many2one }>>(
        'account.payment',
        'read',
        [[payment.id]],
        {
          fields: ['move_id'],
        },
      );
      moveId = many2oneId(row?.move_id);
      if (moveId === undefined)
        throw new OdooError('permanent', 'rcm.NoMove', `Odoo payment ${payment.id} has no journal entry`);
    } else {
      const move = await this.readMove(moveId);
      if (move.state === 'draft') await postDraft(this.odoo, move);
    }
    await this.applyToInvoice(moveId, invoice);
  }

  /** Reconciles a posted entry's open receivable line with the invoice's, when both are still open. */
  private async applyToInvoice(moveId: number, invoice: MoveRow): Promise<boolean> {
    const lines = await this.odoo.call<Array<{ id: number; move_id: Many2one }>>(
      'account.move.line',
      'search_read',
      [
        [
          ['move_id', 'in', [moveId, invoice.id]],
          ['account_type', 'in', ['asset_receivable', 'liability_payable']],
          ['reconciled', '=', false],
          ['parent_state', '=', 'posted'],
        ],
      ],
      { fields: ['move_id'] },
    );
    const paymentLine = lines.find((line) => many2oneId(line.move_id) === moveId);
    const invoiceLine = lines.find((line) => many2oneId(line.move_id) === invoice.id);
    // Both open: apply. The invoice already settled: the cash stays the payer's outstanding credit.
    if (!paymentLine || !invoiceLine) return false;
    await this.odoo.call('account.move.line', 'reconcile', [[paymentLine.id, invoiceLine.id]]);
    return true;
  }

  // ---- payments outside the wizard ----

  /**
   * A payment created as itself rather than through an invoice's wizard: the payer's credit (its counterpart on
   * the refund liability account, applied to nothing), or another payer's cash applied to the claim's invoice
   * (its receivable line reconciled with the invoice's; reconcile does not ask for one partner, and the
   * wizard would book the invoice's partner). Found by its memo marker; one a crash left in draft or unapplied
   * is finished, never created again.
   */
  private async directPayment(
    step: Extract<PostingStep, { kind: 'payment' | 'payerCredit' }>,
    options: { destinationAccountId?: number; invoice?: MoveRow },
  ): Promise<ExecutedStep> {
    let wrote = false;
    let [payment] = await this.findPayments([step.ref]);
    if (!payment) {
      const partnerId = await this.partnerId(partnerRef(step.partner), step.ref);
      const memoField = await this.memoField();
      const [created] = await this.odoo.call<number[]>('account.payment', 'create', [
        [
          {
            payment_type: 'inbound',
            partner_type: 'customer',
            partner_id: partnerId,
            amount: centsToOdooAmount(step.amountCents),
            date: step.date,
            journal_id: await this.chart.bankJournalId(),
            [memoField]: paymentMemo(step.memo, step.ref),
            ...(options.destinationAccountId === undefined
              ? {}
              : { destination_account_id: options.destinationAccountId }),
          },
        ],
      ]);
      if (created === undefined) throw new OdooError('transient', 'rcm.NoId', 'Odoo created no payment id');
      wrote = true;
      payment = { id: created, state: 'draft' };
    }
    if (payment.state === 'draft') {
      await this.odoo.call('account.payment', 'action_post', [[payment.id]]);
      wrote = true;
    }
    const [row] = await this.odoo.call<Array<{ id: number; move_id: Many2one }>>(
      'account.payment',
      'read',
      [[payment.id]],
      { fields: ['move_id'] },
    );
    const moveId = many2oneId(row?.move_id);
    if (moveId === undefined)
      throw new OdooError('permanent', 'rcm.NoMove', `Odoo payment ${payment.id} has no journal entry`);
    if (options.destinationAccountId !== undefined) {
      const lines = await this.odoo.call<Array<{ balance: number }>>(
        'account.move.line',
        'search_read',
        [
          [
            ['move_id', '=', moveId],
            ['account_id', '=', options.destinationAccountId],
          ],
        ],
        { fields: ['balance'] },
      );
      const credited = -lines.reduce((sum, line) => sum + odooAmountToCents(line.balance), 0);
      if (credited !== step.amountCents) {
        throw new OdooError(
          'permanent',
          'rcm.WrongAccount',
          `Odoo payment ${payment.id} (${step.ref}) credits ${formatCents(credited)} to account ${options.destinationAccountId}, the plan says ${formatCents(step.amountCents)}`,
        );
      }
    }
    if (options.invoice && (await this.applyToInvoice(moveId, options.invoice))) wrote = true;
    return {
      ref: step.ref,
      kind: step.kind,
      model: 'account.payment',
      ids: [payment.id],
      alreadyPresent: !wrote,
    };
  }

  private async partnerId(ref: string, stepRef: string): Promise<number> {
    const partners = await this.odoo.call<number[]>('res.partner', 'search', [[['ref', '=', ref]]], {
      limit: 2,
    });
    if (partners.length > 1)
      throw new OdooError(
        'permanent',
        'rcm.AmbiguousReference',
        `more than one Odoo partner carries ref ${ref}`,
      );
    const [id] = partners;
    if (id === undefined) {
      throw new OdooError(
        'permanent',
        'rcm.UnknownPartner',
        `no Odoo partner carries ref ${ref} (${stepRef}); master data must be synced first`,
      );
    }
    return id;
  }

  // ---- reverse ----

  private async reverse(step: Extract<PostingStep, { kind: 'reverse' }>): Promise<ExecutedStep> {
    const refs = [...new Set(step.reversesRefs)];
    const payments = refs.length ? await this.findPayments(refs) : [];
    const originals = refs.length ? await this.findOriginalMoves(refs) : [];
    let wrote = false;

    // Payments first: reversing them unreconciles the invoices, so the moves below reverse cleanly. A reversing
    // entry per payment, never draft + cancel (payment-reversal.ts: 19 deletes the entry, the audit trail refuses).
    const paymentReversal = await new OdooPaymentReversal(this.odoo).reverse(payments, step);
    const cancelledPaymentIds = paymentReversal.paymentIds;
    if (paymentReversal.wrote) wrote = true;

    const reversalIds: number[] = [];
    if (originals.length) {
      const wanted = originals.map(({ ref }) => reversalRef(step.ref, ref));
      const ids = originals.map(({ move }) => move.id);
      const reversals = await this.odoo.call<MoveRow[]>(
        'account.move',
        'search_read',
        [['|', ['ref', 'in', wanted], ['reversed_entry_id', 'in', ids]]],
        { fields: MOVE_FIELDS },
      );
      for (const { ref, move } of originals) {
        const id = await this.reverseMove(step, ref, move, reversals);
        if (id.wrote) wrote = true;
        if (id.reversalId !== undefined) reversalIds.push(id.reversalId);
      }
    }
    return {
      ref: step.ref,
      kind: step.kind,
      model: 'account.move',
      ids: reversalIds,
      alreadyPresent: !wrote,
      cancelledPaymentIds,
    };
  }

  private async reverseMove(
    step: Extract<PostingStep, { kind: 'reverse' }>,
    originalRef: string,
    move: MoveRow,
    candidates: MoveRow[],
  ): Promise<{ reversalId?: number; wrote: boolean }> {
    const ref = reversalRef(step.ref, originalRef);
    const ours = candidates.filter((c) => c.ref === ref);
    if (ours.length > 1) {
      throw new OdooError(
        'permanent',
        'rcm.AmbiguousReference',
        `more than one Odoo move carries ref ${ref}`,
      );
    }
    let reversal = ours[0];
    if (reversal?.state === 'posted' || reversal?.state === 'cancel')
      return { reversalId: reversal.id, wrote: false };
    if (move.state === 'cancel') return { wrote: false };
    if (move.state === 'draft') {
      // Never posted (a plan that crashed half-way): there is nothing to reverse, only a draft to drop.
      await this.odoo.call('account.move', 'button_cancel', [[move.id]]);
      return { wrote: true };
    }
    if (!reversal) {
      // A crash between the wizard and our write leaves Odoo's draft reversal ("Reversal of: …"): adopt it.
      // Our own credit notes also point at what they reverse, but carry ref = invoice_origin = their step ref.
      reversal = candidates.find(
        (c) =>
          c.state === 'draft' &&
          many2oneId(c.reversed_entry_id) === move.id &&
          !(c.ref && c.ref === c.invoice_origin),
      );
    }
    if (!reversal) {
      // Already reversed by another reverse step (its ref ends with ours), or by hand (invoice `reversed`).
      const other = candidates.find(
        (c) =>
          c.state === 'posted' &&
          many2oneId(c.reversed_entry_id) === move.id &&
          typeof c.ref === 'string' &&
          c.ref.endsWith(`:${originalRef}`),
      );
      if (other) return { reversalId: other.id, wrote: false };
      if (move.payment_state === 'reversed') return { wrote: false };
    }
    let reversalId = reversal?.id;
    if (reversalId === undefined) {
      // Detach the original from whatever it was matched with (a credit note from its invoice), so that the
      // reversal pairs with it exactly and the invoice it was applied to owes its amount again.
      const lines = await this.odoo.call<number[]>('account.move.line', 'search', [
        [
          ['move_id', '=', move.id],
          ['account_type', 'in', ['asset_receivable', 'liability_payable']],
        ],
      ]);
      if (lines.length) await this.odoo.call('account.move.line', 'remove_move_reconcile', [lines]);
      // Dated as the remittance, in the journal of the move it reverses.
      reversalId = await draftReversal(
        this.odoo,
        move.id,
        { reason: step.reason, date: step.date, journalId: many2oneId(move.journal_id) ?? false },
        ref,
      );
    }
    // Our ref (a redelivery finds it), then post: Odoo reconciles it with the move it reverses.
    await this.odoo.call('account.move', 'write', [[reversalId], { ref, invoice_origin: step.ref }]);
    await postDraft(this.odoo, reversal ?? (await this.readMove(reversalId)));
    return { reversalId, wrote: true };
  }

  // ---- look-ups ----

  /** The invoice a payment step applies to, of the partner with that ref: Odoo must hold it. */
  private async paymentInvoice(
    step: { invoiceId: string; ref: string },
    ofPartnerRef: string,
  ): Promise<MoveRow> {
    const invoice = await this.findInvoice(step.invoiceId, ofPartnerRef);
    if (!invoice) {
      throw new OdooError(
        'permanent',
        'rcm.UnknownInvoice',
        `no Odoo customer invoice carries ref ${step.invoiceId} for partner ${ofPartnerRef} (payment ${step.ref})`,
      );
    }
    return invoice;
  }

  /**
   * The customer invoice whose `ref` is `invoiceId`, optionally of the partner with that ref; not cancelled,
   * unless `withCancelled` and no live one exists (then a cancelled one).
   */
  private async findInvoice(
    invoiceId: string,
    ofPartnerRef?: string,
    { withCancelled = false } = {},
  ): Promise<MoveRow | undefined> {
    const domain: Domain = [
      ['move_type', '=', 'out_invoice'],
      ['ref', '=', invoiceId],
    ];
    if (!withCancelled) {
      const known = this.knownInvoice(invoiceId, ofPartnerRef);
      if (known !== 'ask Odoo') return known;
    }
    if (!withCancelled) domain.push(['state', '!=', 'cancel']);
    if (ofPartnerRef !== undefined) domain.push(['partner_id.ref', '=', ofPartnerRef]);
    if (!withCancelled)
      return this.findOne<MoveRow>('account.move', domain, MOVE_FIELDS, `customer invoice ${invoiceId}`);
    const rows = await this.odoo.call<MoveRow[]>('account.move', 'search_read', [domain], {
      fields: MOVE_FIELDS,
      order: 'id',
    });
    const live = rows.filter((row) => row.state !== 'cancel');
    if (live.length > 1) {
      throw new OdooError(
        'permanent',
        'rcm.AmbiguousReference',
        `more than one Odoo account.move matches customer invoice ${invoiceId}: ${live.map((r) => r.id).join(', ')}`,
      );
    }
    return live[0] ?? rows[0];
  }

  /**
   * The snapshot's answer to `findInvoice` (live, not cancelled) when it is certain: one invoice with that ref
   * (and, asked for a partner, that invoice's partner is the one the crosswalk names), or none at all.
   * Anything else (several, another partner) is asked of Odoo, whose answer and errors stay the reference.
   */
  private knownInvoice(invoiceId: string, ofPartnerRef?: string): MoveRow | undefined | 'ask Odoo' {
    const rows = this.snapshot?.invoices.get(invoiceId);
    if (!this.snapshot || !rows || rows.length > 1) return 'ask Odoo';
    const [row] = rows;
    if (!row || ofPartnerRef === undefined) return row;
    const partnerId = this.snapshot.partnerIds.get(ofPartnerRef);
    return partnerId !== undefined && many2oneId(row.partner_id) === partnerId ? row : 'ask Odoo';
  }

  /** Payments whose memo carries one of these refs' markers, in the order of `refs`; 2+ for one ref is refused. */
  private async findPayments(refs: string[]): Promise<PaymentRow[]> {
    const memoField = await this.memoField();
    const snapshot = this.snapshot;
    const known = snapshot && refs.every((ref) => snapshot.payments.has(ref));
    const rows = known
      ? [...new Set(refs.flatMap((ref) => snapshot.payments.get(ref) ?? []))]
      : await this.searchPayments(refs, memoField);
    const found: PaymentRow[] = [];
    for (const ref of refs) {
      const marker = paymentMarker(ref);
      const matches = rows.filter(
        (row) => typeof row[memoField] === 'string' && row[memoField].includes(marker),
      );
      if (matches.length > 1) {
        throw new OdooError(
          'permanent',
          'rcm.AmbiguousReference',
          `more than one Odoo payment carries ${marker}: ${matches.map((m) => m.id).join(', ')}`,
        );
      }
      if (matches[0]) found.push(matches[0]);
    }
    return found;
  }

  private async searchPayments(refs: string[], memoField: string): Promise<PaymentRow[]> {
    const leaves = refs.map((ref) => [memoField, 'ilike', escapeLike(paymentMarker(ref))]);
    const domain: Domain = [...Array(leaves.length - 1).fill('|'), ...leaves];
    return this.odoo.call<PaymentRow[]>('account.payment', 'search_read', [domain], {
      fields: [memoField, 'state', 'move_id'],
    });
  }

  /** The credit notes and invoices created under these refs (`invoice_origin` or `ref`), in `refs` order. */
  private async findOriginalMoves(refs: string[]): Promise<Array<{ ref: string; move: MoveRow }>> {
    const rows = await this.odoo.call<MoveRow[]>(
      'account.move',
      'search_read',
      [
        [
          ['move_type', 'in', ['out_invoice', 'out_refund']],
          '|',
          ['invoice_origin', 'in', refs],
          ['ref', 'in', refs],
        ],
      ],
      { fields: MOVE_FIELDS, order: 'id' },
    );
    const found: Array<{ ref: string; move: MoveRow }> = [];
    for (const ref of refs) {
      const matches = rows.filter((row) => row.invoice_origin === ref || row.ref === ref);
      // Odoo copies invoice_origin onto a reversal it drafts: such a draft is not an original.
      const originals = matches.filter(
        (row) =>
          !(row.state === 'draft' && matches.some((other) => other.id === many2oneId(row.reversed_entry_id))),
      );
      if (originals.length > 1) {
        throw new OdooError(
          'permanent',
          'rcm.AmbiguousReference',
          `more than one Odoo move was created under ${ref}: ${originals.map((m) => m.id).join(', ')}`,
        );
      }
      if (originals[0]) found.push({ ref, move: originals[0] });
    }
    return found;
  }

  private async findOne<T extends { id: number }>(
    model: string,
    domain: Domain,
    fields: string[],
    what: string,
  ): Promise<T | undefined> {
    const rows = await this.odoo.call<T[]>(model, 'search_read', [domain], { fields, limit: 2 });
    if (rows.length > 1) {
      throw new OdooError(
        'permanent',
        'rcm.AmbiguousReference',
        `more than one Odoo ${model} matches ${what}: ${rows.map((r) => r.id).join(', ')}`,
      );
    }
    return rows[0];
  }

  private async readMove(id: number): Promise<MoveRow> {
    const [row] = await this.readMoves([id]);
    return row as MoveRow;
  }

  private async readPair(first: number, second: number): Promise<[MoveRow, MoveRow]> {
    const [a, b] = await this.readMoves([first, second]);
    return [a as MoveRow, b as MoveRow];
  }

  /** `read` drops missing ids (odoo.md): a missing one is an error, in the order asked. */
  private async readMoves(ids: number[]): Promise<MoveRow[]> {
    const rows = await this.odoo.call<MoveRow[]>('account.move', 'read', [ids], { fields: MOVE_FIELDS });
    return ids.map((id) => {
      const row = rows.find((r) => r.id === id);
      if (!row) {
        throw new OdooError('permanent', 'odoo.exceptions.MissingError', `Odoo move ${id} no longer exists`);
      }
      return row;
    });
  }

  /** Odoo computes the total from the lines (taxes, rounding): never post one that disagrees with the plan. */
  private checkTotal(move: MoveRow, expectedCents: number, what: string): void {
    const odooTotal = odooAmountToCents(move.amount_total);
    if (odooTotal !== expectedCents) {
      throw new OdooError(
        'permanent',
        'rcm.TotalMismatch',
        `Odoo computed ${formatCents(odooTotal)} for ${what}, the plan says ${formatCents(expectedCents)}; left in draft (move ${move.id})`,
      );
    }
  }

  /** 17: `account.payment` inherits its move, the memo is `ref`; 18: the memo is `memo` (dialect.ts). */
  private async memoField(): Promise<'ref' | 'memo'> {
    return (await this.odoo.dialect()).paymentMemoField;
  }
}

export function many2oneId(value: Many2one | number | undefined): number | undefined {
  if (Array.isArray(value)) return value[0];
  return typeof value === 'number' ? value : undefined;
}

function toInvoiceState(move: MoveRow): InvoiceState {
  const partnerId = many2oneId(move.partner_id);
  if (partnerId === undefined) {
    throw new OdooError('permanent', 'rcm.NoPartner', `Odoo invoice ${move.id} has no customer`);
  }
  return {
    moveId: move.id,
    partnerId,
    totalCents: odooAmountToCents(move.amount_total),
    residualCents: odooAmountToCents(move.amount_residual),
    paymentState: move.payment_state,
    state: move.state,
  };
}
