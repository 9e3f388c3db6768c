import { eraDepositRef } from '../../core/era-deposit.js';
import { centsToOdooAmount, formatCents, odooAmountToCents } from '../../core/money.js';
import { partnerRef } from '../../core/odoo-posting.js';
import type { PostingStep } from '../../core/posting-plan.js';
import { type LedgerSetup, ledgerSetupFromEnv, OdooChart } from './accounts.js';
import type { CallOptions, OdooClient } from './client.js';
import type { DepositEntryRow } from './era-deposit-ledger.js';
import { OdooError } from './errors.js';
import { creditNoteDraft, loadMoves, type MoveDraft, patientInvoiceDraft } from './receivable-moves.js';
import {
  type ExecutedStep,
  type Many2one,
  type MoveRow,
  many2oneId,
  paymentMarker,
  paymentMemo,
  type ReceivablesSnapshot,
} from './receivables-ledger.js';

/** One event's posting plan for the batch, and what Odoo does not say about it (the patient's partner id). */
export interface BatchBooking {
  key: string;
  steps: PostingStep[];
  /** The patient's Odoo partner (crosswalk), for a `patientInvoice` step. */
  patientPartnerId?: number;
  /** An ERA claim payment's trace (TRN02): the batch's last read finds the ERA's deposit entry too. */
  eraTrace?: string;
}

export interface BookedMove {
  id: number;
  name: string;
  partnerId: number;
}

export interface BatchOutcome {
  /** Bookings the batch executed whole, their steps as `OdooReceivablesLedger.execute` reports them. */
  booked: Map<string, { executed: ExecutedStep[]; moves: Map<number, BookedMove> }>;
  /**
   * Bookings whose writes may have reached Odoo without an answer (a timeout, a dropped connection): booked one by
   * one on a later delivery only, once a call that commits late has committed (nothing is written twice).
   */
  unsettled: Map<string, OdooError>;
  /** Bookings Odoo holds otherwise than planned after the batch wrote them (a residual that does not add up). */
  refused: Map<string, OdooError>;
  /** Every booking the batch took on (wrote for, or meant to): what Odoo held before is no longer the state. */
  attempted: Set<string>;
  /**
   * Per ERA trace of the bookings, the deposit entries (journal + ref, any state) Odoo held once the batch had
   * written; a trace is absent when the batch did not look (`OdooEraDepositLedger.settle` looks itself then).
   */
  deposits: Map<string, DepositEntryRow[]>;
}

const RECEIVABLE_TYPES = ['asset_receivable', 'liability_payable'];

type Domain = unknown[];

/**
 * The fault of a booking whose batch call got no answer: retried by SQS after its delay, never by a quick retry
 * inside the invocation (a write that commits late must be visible before the booking looks again).
 */
export const BATCH_OUTCOME_UNKNOWN = 'rcm.BatchOutcomeUnknown';

/** The least a batch call waits for its answer, even past `answerBy`: a call is not sent to be given up on. */
const MIN_ANSWER_WAIT_MS = 1_000;

type PaymentStep = Extract<PostingStep, { kind: 'payment' }>;
type CreditNoteStep = Extract<PostingStep, { kind: 'creditNote' }>;
type PatientInvoiceStep = Extract<PostingStep, { kind: 'patientInvoice' }>;

interface Item {
  booking: BatchBooking;
  invoice?: MoveRow;
  payment?: PaymentStep;
  creditNotes: CreditNoteStep[];
  patientInvoice?: PatientInvoiceStep;
  /** The payer invoice's open receivable line, the payment's counterpart line, the payment and its entry. */
  invoiceLine?: LineRow;
  paymentId?: number;
  /** The payment is a draft an earlier batch created and stopped before posting (an outage, a timeout). */
  adopted?: boolean;
  paymentLine?: LineRow;
  drafts: Array<{ draft: MoveDraft; moveId?: number }>;
}

interface LineRow {
  id: number;
  move_id: Many2one;
  account_id: Many2one;
  partner_id: Many2one;
  matching_number: string | false;
  matched_debit_ids: number[];
  matched_credit_ids: number[];
  payment_id?: Many2one;
  move_name?: string | false;
  amount_currency?: number;
  parent_state?: string;
}

/** Steps the batch books: payments on the payer's own invoice, credit notes, patient invoices. */
export function batchable(steps: readonly PostingStep[]): boolean {
  if (steps.length === 0) return false;
  const payments = steps.filter((s) => s.kind === 'payment');
  const invoices = new Set(
    steps.flatMap((s) => (s.kind === 'payment' || s.kind === 'creditNote' ? [s.invoiceId] : [])),
  );
  return (
    steps.every((s) => s.kind === 'payment' || s.kind === 'creditNote' || s.kind === 'patientInvoice') &&
    payments.length <= 1 &&
    payments.every((s) => !s.invoicePartner) &&
    steps.filter((s) => s.kind === 'patientInvoice').length <= 1 &&
    invoices.size === 1
  );
}

/**
 * Books the payment plans of a whole SQS batch (patient payments, ERA claim payments with their write-offs, PR
 * credit notes and patient invoices) in a fixed number of Odoo calls, whatever the number of events (issue 16):
 *
 *  1. one search of the payer invoices' open receivable lines;
 *  2. one `account.payment.create` of every payment, with the values Odoo's register wizard gives it
 *     (`_create_payment_vals_from_wizard`: counterpart on the invoice line's account, the write-off as
 *     `write_off_line_vals`, on 18+ the invoice linked), left in draft;
 *  3. one `account.move.load` of every credit note and patient invoice, headers and lines, each under its
 *     external id (receivable-moves.ts `loadMoves`), in draft;
 *  4. one search of the payments' counterpart lines and the drafts' receivable lines: these carry the total Odoo
 *     computed for each draft (a draft whose total is not the plan's is left to the one-by-one path, which
 *     refuses it before posting) and its state;
 *  5. one `account.move.line.load` writing a temporary matching number (`I<step ref>`) on each payment's
 *     counterpart line and its invoice's receivable line, then one `account.move.action_post` of the payments'
 *     entries: Odoo's `_post` ends with `_reconcile_marked`, which reconciles the lines of each number (the
 *     invoice's, already posted, included) exactly as the wizard's `_reconcile_payments` does
 *     (account_move_line.py `_reconcile_marked`, 17.0 and 19.0). On 19 the payment then reads `paid` or
 *     `in_process` as a wizard payment does, and the invoice `paid` or `partial`;
 *  6. one `action_post` of the credit notes and patient invoices: each credit note is then reconciled with its
 *     invoice by Odoo (`_reconcile_reversed_moves`);
 *  7. one search of every invoice and move it touched, to check what Odoo now holds against the plans, which
 *     also finds the ERAs' deposit entries for `OdooEraDepositLedger.settle` (after the postings, as `settle`'s
 *     own search would be).
 *
 * Payments post before the credit notes, in their own call: a line already matched refuses a temporary number
 * ("A temporary number can not be used in a real matching"), and one `_post` of both would reconcile the credit
 * notes first (`_reconcile_reversed_moves` before `_reconcile_marked`: account_move.py 17.0 lines 3899–3900,
 * 19.0 lines 5566–5567), so the payment is matched first; the partials and their amounts are the
 * ones the one-by-one order books (docs/posting-rules.md). The batch takes only bookings it can write from
 * scratch, or whose only trace in Odoo is the draft payment an earlier batch created and never posted (an
 * outage, a lost answer: posted here with the batch's own, at the plan's amount, not three calls each on the
 * one-by-one path): anything else Odoo already holds, a payer invoice already partly matched, an amount that
 * does not add up is left out before anything is written, for `OdooReceivablesLedger.execute` to book on its own
 * as before. Once a write answered, what a later failure leaves (a draft payment, draft credit notes) is what the
 * one-by-one path or the next batch finishes; a write whose answer was lost is `unsettled`.
 */
export class OdooReceivablesBatch {
  private readonly chart: OdooChart;

  constructor(
    private readonly odoo: OdooClient,
    setup: LedgerSetup = ledgerSetupFromEnv(),
  ) {
    this.chart = OdooChart.of(odoo, setup);
  }

  /**
   * `answerBy` (epoch ms): until when the batch's calls wait for their answers instead of a single call's 15 s:
   * the writer's invocation, less the time it needs to record what the batch did (a call still waiting when
   * Lambda stops the invocation leaves no trace of its fate). On a real Odoo a create or a posting of 300
   * payments takes 10–25 s, and an answer given up on is a write that may still commit: its records wait out a
   * late commit.
   */
  async book(
    bookings: readonly BatchBooking[],
    snapshot: ReceivablesSnapshot,
    options: { answerBy?: number } = {},
  ): Promise<BatchOutcome> {
    const patience = (): CallOptions =>
      options.answerBy === undefined
        ? {}
        : { timeoutMs: Math.max(MIN_ANSWER_WAIT_MS, options.answerBy - Date.now()) };
    const outcome: BatchOutcome = {
      booked: new Map(),
      unsettled: new Map(),
      refused: new Map(),
      attempted: new Set(),
      deposits: new Map(),
    };
    if (bookings.length === 0) return outcome;
    const dialect = await this.odoo.dialect();
    const claimed = new Set<string>();
    let items = bookings.flatMap((booking) => {
      const item = itemOf(booking, snapshot, claimed, dialect.paymentMemoField);
      return item ? [item] : [];
    });
    if (items.length === 0) return outcome;
    /**
     * Takes bookings out of the batch after a failed call. A refusal rolled its call back: the one-by-one path
     * books them now, finishing what earlier calls of the batch wrote (a draft payment, a move without lines).
     * Any other failure may have committed after all: they wait for a later delivery (`unsettled`).
     */
    const drop = (gone: Item[], error: unknown) => {
      const failure = error instanceof OdooError ? error : new OdooError('transient', 'Error', String(error));
      if (failure.kind !== 'permanent') {
        const unknown = new OdooError(
          failure.kind,
          BATCH_OUTCOME_UNKNOWN,
          `the writer's batch got no answer from Odoo (${failure.faultName}: ${failure.message}); booked on a later delivery`,
        );
        for (const item of gone) outcome.unsettled.set(item.booking.key, unknown);
      }
      items = items.filter((item) => !gone.includes(item));
    };

    // ---- payments: look-ups first, so that a booking left out has nothing written ----
    const paying = items.filter((item) => item.payment);
    if (paying.length > 0) {
      const lines = await this.odoo.call<LineRow[]>(
        'account.move.line',
        'search_read',
        [
          [
            ['move_id', 'in', paying.map((item) => (item.invoice as MoveRow).id)],
            ['account_type', 'in', RECEIVABLE_TYPES],
            ['reconciled', '=', false],
            ['parent_state', '=', 'posted'],
          ],
        ],
        {
          fields: [
            'move_id',
            'account_id',
            'partner_id',
            'matching_number',
            'matched_debit_ids',
            'matched_credit_ids',
          ],
        },
      );
      const usable = new Set<Item>();
      for (const item of paying) {
        const own = lines.filter((line) => many2oneId(line.move_id) === item.invoice?.id);
        const [line] = own;
        // One open line, never matched: it can take a temporary number (a matched one refuses it). An adopted
        // draft's invoice line may carry the number its batch wrote before it stopped.
        const ownMark = item.adopted && line?.matching_number === `I${(item.payment as PaymentStep).ref}`;
        if (
          own.length === 1 &&
          line &&
          (!line.matching_number || ownMark) &&
          line.matched_debit_ids.length === 0 &&
          line.matched_credit_ids.length === 0
        ) {
          item.invoiceLine = line;
          usable.add(item);
        }
      }
      items = items.filter((item) => !item.payment || usable.has(item));
    }
    const writeOffAccounts = new Map<string, number>();
    for (const item of items) {
      const writeOff = item.payment?.writeOff;
      if (writeOff && !writeOffAccounts.has(writeOff.account))
        writeOffAccounts.set(writeOff.account, await this.chart.accountId(writeOff.account));
    }
    const moveAccounts = new Map<string, number>();
    for (const item of items) {
      for (const step of [...item.creditNotes, ...(item.patientInvoice ? [item.patientInvoice] : [])]) {
        const role = step.kind === 'creditNote' ? step.account : 'patientResponsibilityTransfer';
        if (!moveAccounts.has(role)) moveAccounts.set(role, await this.chart.accountId(role));
      }
    }
    const journalId = items.some((item) => item.payment) ? await this.chart.bankJournalId() : undefined;
    let depositJournalId: number | undefined;
    if (items.some((item) => item.booking.eraTrace))
      depositJournalId = await this.chart.depositJournalId().catch(() => undefined);
    // Look-ups done: from here on the batch writes for these bookings.
    for (const item of items) outcome.attempted.add(item.booking.key);

    // ---- 2. payments created, in draft (an adopted draft is there already) ----
    const creating = items.filter((item) => item.payment && item.paymentId === undefined);
    if (creating.length > 0) {
      const values = creating.map((item) => {
        const step = item.payment as PaymentStep;
        const line = item.invoiceLine as LineRow;
        const partnerId = many2oneId(line.partner_id) ?? many2oneId(item.invoice?.partner_id);
        const currencyId = many2oneId(item.invoice?.currency_id);
        const writeOff = step.writeOff;
        return {
          payment_type: 'inbound',
          partner_type: 'customer',
          partner_id: partnerId ?? false,
          amount: centsToOdooAmount(step.amountCents),
          date: step.date,
          journal_id: journalId,
          [dialect.paymentMemoField]: paymentMemo(step.memo, step.ref),
          destination_account_id: many2oneId(line.account_id),
          ...(currencyId === undefined ? {} : { currency_id: currencyId }),
          write_off_line_vals: writeOff
            ? [
                {
                  name: writeOff.label,
                  account_id: writeOffAccounts.get(writeOff.account),
                  partner_id: partnerId ?? false,
                  ...(currencyId === undefined ? {} : { currency_id: currencyId }),
                  amount_currency: centsToOdooAmount(writeOff.amountCents),
                  balance: centsToOdooAmount(writeOff.amountCents),
                },
              ]
            : [],
          // 18+: the wizard links the invoice to its payment (`matched_payment_ids`); 17 has no such link.
          ...(dialect.paymentInvoiceLink ? { [dialect.paymentInvoiceLink]: [[4, item.invoice?.id]] } : {}),
        };
      });
      try {
        const ids = await this.odoo.call<number[]>('account.payment', 'create', [values], {}, patience());
        if (!Array.isArray(ids) || ids.length !== creating.length)
          throw new OdooError(
            'transient',
            'rcm.UnexpectedAnswer',
            `Odoo answered ${JSON.stringify(ids)} to a create of ${creating.length} payments`,
          );
        creating.forEach((item, index) => {
          item.paymentId = ids[index];
        });
      } catch (error) {
        drop(creating, error);
      }
    }

    // ---- 3. credit notes and patient invoices, whole, in draft ----
    const drafting = items.filter((item) => item.creditNotes.length > 0 || item.patientInvoice);
    for (const item of drafting) {
      const invoice = item.invoice as MoveRow;
      for (const step of item.creditNotes)
        item.drafts.push({
          draft: creditNoteDraft(
            step,
            {
              id: invoice.id,
              partnerId: many2oneId(invoice.partner_id) ?? false,
              invoiceDate: invoice.invoice_date,
            },
            moveAccounts.get(step.account) as number,
          ),
        });
      if (item.patientInvoice)
        item.drafts.push({
          draft: patientInvoiceDraft(
            item.patientInvoice,
            item.booking.patientPartnerId as number,
            moveAccounts.get('patientResponsibilityTransfer') as number,
          ),
        });
    }
    if (drafting.length > 0) {
      const slots = drafting.flatMap((item) => item.drafts);
      try {
        const ids = await loadMoves(
          this.odoo,
          slots.map((slot) => slot.draft),
          patience(),
        );
        if (!ids)
          throw new OdooError('permanent', 'rcm.ExternalIdRace', 'another writer holds one of the moves');
        slots.forEach((slot, index) => {
          slot.moveId = ids[index];
        });
      } catch (error) {
        drop(drafting, error);
      }
    }

    // ---- 4. one search: the payments' counterpart lines, the drafts' receivable lines ----
    const created = items.filter((item) => item.paymentId !== undefined);
    const drafted = items.filter((item) => item.drafts.length > 0);
    if (created.length === 0 && drafted.length === 0) return outcome;
    let lines: LineRow[];
    try {
      lines = await this.odoo.call<LineRow[]>(
        'account.move.line',
        'search_read',
        [
          [
            ['account_type', 'in', RECEIVABLE_TYPES],
            '|',
            ['payment_id', 'in', created.map((item) => item.paymentId as number)],
            ['move_id', 'in', drafted.flatMap((item) => item.drafts.map((slot) => slot.moveId as number))],
          ],
        ],
        {
          fields: [
            'move_id',
            'move_name',
            'account_id',
            'payment_id',
            'partner_id',
            'matching_number',
            'matched_debit_ids',
            'matched_credit_ids',
            'amount_currency',
            'parent_state',
          ],
        },
        patience(),
      );
    } catch (error) {
      // Written and answered: what the batch leaves (draft payments, draft moves) the one-by-one path finishes.
      drop([...created, ...drafted], error);
      return outcome;
    }
    const unmatched: Item[] = [];
    for (const item of created) {
      const own = lines.filter((line) => many2oneId(line.payment_id) === item.paymentId);
      const [line] = own;
      if (
        own.length === 1 &&
        line &&
        many2oneId(line.account_id) === many2oneId(item.invoiceLine?.account_id) &&
        // An adopted payment posted meanwhile (another delivery finished it) is the one-by-one path's to apply.
        (!item.adopted || line.parent_state === 'draft')
      )
        item.paymentLine = line;
      else unmatched.push(item);
    }
    drop(unmatched, new OdooError('permanent', 'rcm.Unmatched', 'no single counterpart line'));
    // Odoo computes a draft's total from its lines (taxes, rounding): its receivable lines carry it. A draft
    // whose total disagrees with the plan, or that is no longer a draft, is refused on the one-by-one path.
    const wrong = drafted.filter((item) =>
      item.drafts.some((slot) => {
        const own = lines.filter((line) => many2oneId(line.move_id) === slot.moveId);
        const signed = own.reduce((sum, line) => sum + odooAmountToCents(line.amount_currency ?? 0), 0);
        const total = slot.draft.kind === 'creditNote' ? -signed : signed;
        return (
          own.length === 0 ||
          own.some((line) => line.parent_state !== 'draft') ||
          total !== slot.draft.totalCents
        );
      }),
    );
    drop(wrong, new OdooError('permanent', 'rcm.TotalMismatch', 'left to the one-by-one path'));

    // ---- 5. payments matched by temporary numbers, posted ----
    const marked = items.filter((item) => item.paymentLine);
    const posting = items.filter((item) => item.drafts.length > 0);
    // Numbered at posting (postDraft): a draft named at creation (the first of a journal's year) is reset first.
    const named = [
      ...marked.map((item) => item.paymentLine as LineRow),
      ...posting.flatMap((item) =>
        item.drafts.flatMap((slot) =>
          lines.filter((line) => many2oneId(line.move_id) === slot.moveId).slice(0, 1),
        ),
      ),
    ]
      .filter((line) => line.move_name && line.move_name !== '/')
      .map((line) => many2oneId(line.move_id) as number);
    if (named.length > 0) {
      try {
        await this.odoo.call('account.move', 'write', [named, { name: '/' }], {}, patience());
      } catch (error) {
        drop([...marked, ...posting], error);
      }
    }
    const matching = items.filter((item) => item.paymentLine);
    if (matching.length > 0) {
      try {
        const rows = matching.flatMap((item) => {
          const mark = `I${(item.payment as PaymentStep).ref}`;
          return [
            [String((item.invoiceLine as LineRow).id), mark],
            [String((item.paymentLine as LineRow).id), mark],
          ];
        });
        const answer = await this.odoo.call<{
          ids: number[] | false;
          messages?: Array<{ message?: string }>;
        }>('account.move.line', 'load', [], { fields: ['.id', 'matching_number'], data: rows }, patience());
        if (!answer.ids)
          throw new OdooError(
            'permanent',
            'rcm.LoadRefused',
            `Odoo refused the matching numbers: ${(answer.messages ?? []).map((m) => m.message).join('; ')}`,
          );
        await this.odoo.call(
          'account.move',
          'action_post',
          [matching.map((item) => many2oneId((item.paymentLine as LineRow).move_id) as number)],
          {},
          patience(),
        );
      } catch (error) {
        // Their drafts too: a credit note posted before its payment is matched would take the temporary number.
        drop(matching, error);
      }
    }

    // ---- 6. credit notes and patient invoices posted, after the payments ----
    const lining = items.filter((item) => item.drafts.length > 0);
    if (lining.length > 0) {
      try {
        for (const round of postingRounds(lining))
          await this.odoo.call('account.move', 'action_post', [round], {}, patience());
      } catch (error) {
        drop(lining, error);
      }
    }
    if (items.length === 0) return outcome;

    // ---- 7. what Odoo holds now, against the plans ----
    const ids = [
      ...new Set(
        items.flatMap((item) =>
          [item.invoice?.id ?? [], ...item.drafts.map((d) => d.moveId as number)].flat(),
        ),
      ),
    ];
    // The ERAs' deposit entries in the same search (era-deposit-ledger.ts `settle` matches them next), read
    // after the batch's writes as `settle` would read them itself.
    const depositRefs = [
      ...new Set(
        items.flatMap((item) => (item.booking.eraTrace ? [eraDepositRef(item.booking.eraTrace)] : [])),
      ),
    ];
    const deposits: Domain =
      depositJournalId !== undefined && depositRefs.length > 0
        ? [
            '|',
            '&',
            '&',
            ['journal_id', '=', depositJournalId],
            ['move_type', '=', 'entry'],
            ['ref', 'in', depositRefs],
          ]
        : [];
    let after: Array<{
      id: number;
      name: string | false;
      state: 'draft' | 'posted' | 'cancel';
      partner_id: Many2one;
      amount_residual: number;
      amount_total: number;
      ref: string | false;
      journal_id: Many2one;
      move_type: string;
    }>;
    try {
      after = await this.odoo.call(
        'account.move',
        'search_read',
        [[...deposits, ['id', 'in', ids]]],
        {
          fields: [
            'name',
            'state',
            'partner_id',
            'amount_residual',
            'amount_total',
            'ref',
            'journal_id',
            'move_type',
          ],
          order: 'id',
        },
        patience(),
      );
    } catch {
      // Written and answered, not checked: the one-by-one path finds each step done and checks it.
      return outcome;
    }
    if (deposits.length > 0)
      for (const trace of new Set(items.flatMap((item) => item.booking.eraTrace ?? []))) {
        const ref = eraDepositRef(trace);
        outcome.deposits.set(
          trace,
          after.filter(
            (row) =>
              row.move_type === 'entry' && row.ref === ref && many2oneId(row.journal_id) === depositJournalId,
          ),
        );
      }
    for (const item of items) {
      const problem = checkItem(item, after);
      if (problem) {
        outcome.refused.set(item.booking.key, new OdooError('permanent', 'rcm.ResidualMismatch', problem));
        continue;
      }
      const moves = new Map<number, BookedMove>();
      for (const { moveId } of item.drafts) {
        const row = after.find((r) => r.id === moveId);
        if (row)
          moves.set(row.id, {
            id: row.id,
            name: row.name || String(row.id),
            partnerId: many2oneId(row.partner_id) ?? 0,
          });
      }
      outcome.booked.set(item.booking.key, { executed: executedOf(item), moves });
    }
    return outcome;
  }
}

/**
 * The credit notes and patient invoices in posting calls that Odoo matches rightly: `_post` reconciles each
 * credit note with its invoice by `zip(draft_reverse_moves.reversed_entry_id, draft_reverse_moves)`
 * (account_move.py, 17.0 and 19.0), where the invoices are a set — two credit notes of one invoice in one call
 * would pair the second with another invoice, or with none. So the n-th credit note of each invoice goes in the
 * n-th call; patient invoices (no reversal) in the first.
 */
function postingRounds(items: readonly Item[]): number[][] {
  const rounds: number[][] = [];
  for (const item of items) {
    let n = 0;
    for (const slot of item.drafts) {
      const round = slot.draft.kind === 'creditNote' ? n++ : 0;
      rounds[round] = [...(rounds[round] ?? []), slot.moveId as number];
    }
  }
  return rounds.filter((round) => round.length > 0);
}

/**
 * A booking Odoo already holds whole, read from the snapshot alone (a round that booked it in Odoo and stopped
 * before recording it — an outage, the invocation's end): each step as `OdooReceivablesLedger.execute` would
 * find it (`alreadyPresent`), and the patient invoice's number, so recording it costs no call. Undefined when
 * any step is missing or unfinished (a draft, a payment still in process, an open credit note): the ledger
 * finishes it as before.
 */
export function foundBooked(
  steps: readonly PostingStep[],
  patientPartnerId: number | undefined,
  snapshot: ReceivablesSnapshot,
  memoField: string,
): { executed: ExecutedStep[]; moves: Map<number, BookedMove> } | undefined {
  if (!batchable(steps)) return undefined;
  const executed: ExecutedStep[] = [];
  const moves = new Map<number, BookedMove>();
  const found = (step: PostingStep, model: string, id: number): void => {
    executed.push({ ref: step.ref, kind: step.kind, model, ids: [id], alreadyPresent: true });
  };
  for (const step of steps) {
    if (step.kind === 'payment') {
      const marker = paymentMarker(step.ref);
      const rows = (snapshot.payments.get(step.ref) ?? []).filter(
        (row) => typeof row[memoField] === 'string' && row[memoField].includes(marker),
      );
      const [row] = rows;
      // In process (18+): its entry may still be a draft the ledger posts; only a settled state is done.
      if (!snapshot.payments.has(step.ref) || rows.length !== 1 || !row) return undefined;
      if (row.state === 'draft' || row.state === 'in_process') return undefined;
      found(step, 'account.payment', row.id);
    } else if (step.kind === 'creditNote') {
      if (!snapshot.searchedRefs.has(step.ref)) return undefined;
      const rows = snapshot.moves.filter((row) => row.move_type === 'out_refund' && row.ref === step.ref);
      const [row] = rows;
      if (rows.length !== 1 || !row) return undefined;
      const settled =
        row.state === 'cancel' || (row.state === 'posted' && odooAmountToCents(row.amount_residual) === 0);
      if (!settled) return undefined;
      found(step, 'account.move', row.id);
    } else if (step.kind === 'patientInvoice') {
      if (patientPartnerId === undefined || !snapshot.searchedRefs.has(step.invoiceId)) return undefined;
      const rows = snapshot.moves.filter(
        (row) =>
          row.move_type === 'out_invoice' &&
          row.ref === step.invoiceId &&
          many2oneId(row.partner_id) === patientPartnerId,
      );
      const [row] = rows;
      if (rows.length !== 1 || !row || (row.state !== 'posted' && row.state !== 'cancel')) return undefined;
      found(step, 'account.move', row.id);
      moves.set(row.id, { id: row.id, name: row.name || String(row.id), partnerId: patientPartnerId });
    } else return undefined;
  }
  return { executed, moves };
}

/** The booking as the batch books it, or undefined when it is for the one-by-one path (see `book`). */
function itemOf(
  booking: BatchBooking,
  snapshot: ReceivablesSnapshot,
  claimed: Set<string>,
  memoField: string,
): Item | undefined {
  const { steps } = booking;
  if (!batchable(steps)) return undefined;
  const payment = steps.find((s): s is PaymentStep => s.kind === 'payment');
  const creditNotes = steps.filter((s): s is CreditNoteStep => s.kind === 'creditNote');
  const patientInvoice = steps.find((s): s is PatientInvoiceStep => s.kind === 'patientInvoice');
  const invoiceId = (payment ?? creditNotes[0])?.invoiceId;
  if (invoiceId === undefined || !snapshot.searchedRefs.has(invoiceId)) return undefined;
  const live = snapshot.moves.filter(
    (row) => row.move_type === 'out_invoice' && row.ref === invoiceId && row.state !== 'cancel',
  );
  const [invoice] = live;
  if (live.length !== 1 || !invoice || invoice.state !== 'posted') return undefined;
  let adopted: number | undefined;
  if (payment) {
    const partnerId = snapshot.partnerIds.get(partnerRef(payment.partner));
    if (partnerId === undefined || many2oneId(invoice.partner_id) !== partnerId) return undefined;
    const rows = snapshot.payments.get(payment.ref);
    if (!rows) return undefined;
    const marker = paymentMarker(payment.ref);
    const held = rows.filter((row) => typeof row[memoField] === 'string' && row[memoField].includes(marker));
    if (held.length > 0) {
      // Only a batch leaves a payment unposted (its create answered, its post never came): the batch posts it as
      // it posts its own, instead of three calls of the one-by-one path per payment. Anything else — posted,
      // cancelled, another amount, two of them — is the one-by-one path's to find and check.
      const [row] = held;
      if (
        held.length > 1 ||
        !row ||
        (row.state !== 'draft' && row.state !== 'in_process') ||
        typeof row.amount !== 'number' ||
        odooAmountToCents(row.amount) !== payment.amountCents
      )
        return undefined;
      adopted = row.id;
    }
  }
  for (const step of creditNotes) {
    if (!snapshot.searchedRefs.has(step.ref)) return undefined;
    if (snapshot.moves.some((row) => row.move_type === 'out_refund' && row.ref === step.ref))
      return undefined;
  }
  if (patientInvoice) {
    if (booking.patientPartnerId === undefined || !snapshot.searchedRefs.has(patientInvoice.invoiceId))
      return undefined;
    if (snapshot.moves.some((row) => row.ref === patientInvoice.invoiceId)) return undefined;
  }
  // Amounts the batch order (payment, then credit notes) books exactly as the plan's order does.
  const residual = odooAmountToCents(invoice.amount_residual);
  const credits = creditNotes.reduce((sum, s) => sum + s.amountCents, 0);
  const paid = payment ? payment.amountCents + (payment.writeOff?.amountCents ?? 0) : 0;
  if (payment?.writeOff && residual - credits - payment.amountCents !== payment.writeOff.amountCents)
    return undefined;
  if (credits > 0 && credits + paid > residual) return undefined;
  const keys = [`invoice:${invoice.id}`, ...(patientInvoice ? [`patient:${patientInvoice.invoiceId}`] : [])];
  if (keys.some((key) => claimed.has(key))) return undefined;
  for (const key of keys) claimed.add(key);
  return {
    booking,
    invoice,
    payment,
    creditNotes,
    patientInvoice,
    drafts: [],
    ...(adopted === undefined ? {} : { paymentId: adopted, adopted: true }),
  };
}

/** What must hold once the batch booked an item; a description of what does not, else undefined. */
function checkItem(
  item: Item,
  after: ReadonlyArray<{ id: number; state: string; amount_residual: number }>,
): string | undefined {
  const invoice = item.invoice as MoveRow;
  const row = after.find((r) => r.id === invoice.id);
  const credits = item.creditNotes.reduce((sum, s) => sum + s.amountCents, 0);
  const paid = item.payment ? item.payment.amountCents + (item.payment.writeOff?.amountCents ?? 0) : 0;
  const expected = Math.max(odooAmountToCents(invoice.amount_residual) - credits - paid, 0);
  if (!row || odooAmountToCents(row.amount_residual) !== expected)
    return `after the batch booked ${item.booking.key}, Odoo invoice ${invoice.id} owes ${row ? formatCents(odooAmountToCents(row.amount_residual)) : 'nothing readable'}, expected ${formatCents(expected)}`;
  for (const { draft, moveId } of item.drafts) {
    const move = after.find((r) => r.id === moveId);
    if (move?.state !== 'posted')
      return `${draft.stepRef} (move ${moveId}) is ${move?.state ?? 'missing'}, expected posted`;
    if (draft.kind === 'creditNote' && odooAmountToCents(move.amount_residual) !== 0)
      return `credit note ${draft.stepRef} (move ${moveId}) is not applied to invoice ${invoice.id}`;
  }
  return undefined;
}

function executedOf(item: Item): ExecutedStep[] {
  return item.booking.steps.map((step) => {
    if (step.kind === 'payment')
      return {
        ref: step.ref,
        kind: step.kind,
        model: 'account.payment',
        ids: [item.paymentId as number],
        alreadyPresent: false,
      };
    const slot = item.drafts.find((d) => d.draft.stepRef === step.ref);
    return {
      ref: step.ref,
      kind: step.kind,
      model: 'account.move',
      ids: [slot?.moveId as number],
      alreadyPresent: false,
    };
  });
}
