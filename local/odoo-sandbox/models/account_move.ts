/**
 * Journal entries and invoices (account.move), journal items (account.move.line) and the matching
 * records of reconciliation (account.partial.reconcile, account.full.reconcile), after
 * addons/account/models/account_move.py, account_move_line.py and account_partial_reconcile.py (17.0).
 */
import { userError, validationError, valueError } from '../errors.js';
import { type Cents, formatDateUs, fromCents, lineSubtotalCents, toCents } from '../money.js';
import {
  baseCreate,
  baseUnlink,
  baseWrite,
  type Env,
  type ModelDef,
  type Registry,
  type Vals,
} from '../orm.js';
import type { Row, Store } from '../store.js';
import { accountByCode, COMPANY_ID, companyRow, journalByType, USD_ID } from './base.js';

export const SALE_TYPES = ['out_invoice', 'out_refund', 'out_receipt'];
const INVOICE_TYPES = [...SALE_TYPES, 'in_invoice', 'in_refund', 'in_receipt'];
const INVOICE_LINE_TYPES = ['product', 'line_section', 'line_note'];
const TERM_ACCOUNT_TYPES = ['asset_receivable', 'liability_payable'];

const isInvoice = (move: Row) => INVOICE_TYPES.includes(move.move_type as string);
const isSale = (move: Row) => SALE_TYPES.includes(move.move_type as string);
/** out_invoice: income is credited; out_refund: income is debited (the "inbound"/"outbound" sign). */
const incomeSign = (move: Row) =>
  move.move_type === 'out_refund' || move.move_type === 'in_invoice' ? 1 : -1;

// ---- line helpers ----

/**
 * Lookup indexes standing in for the database indexes Odoo's queries use. Each replaced a scan of a whole
 * table, whose cost grew with a month-end's books (tens of thousands of moves, lines, payments, partials): a
 * move's lines (account_move_line_move_id_idx), moves by journal and name (account_move_unique_name), partials
 * by either line, a move's payment, reversals of a move, lines by import number or matching number, and a
 * journal's sequences (sequence.mixin's account_move_sequence_index).
 */
const LINES_OF_MOVE = 'move_id';
const MOVES_BY_NAME = 'journal_id,name';
const MOVES_BY_SEQUENCE = 'journal_id,sequence_prefix';
const NAMED_MOVES_OF_JOURNAL = 'journal_id,named';
const REVERSALS_OF_MOVE = 'reversed_entry_id';
const PARTIALS_BY_DEBIT = 'debit_move_id';
const PARTIALS_BY_CREDIT = 'credit_move_id';
const PAYMENT_OF_MOVE = 'move_id';
const LINES_BY_MARK = '_mark';
const LINES_BY_MATCHING = 'full_reconcile_id';

/** A record id as an index key; empty many2one values are left out of the index. */
const idKey = (value: unknown) => (value ? String(value) : undefined);
const isNamed = (move: Row) => typeof move.name === 'string' && move.name !== '' && move.name !== '/';

/**
 * sequence.mixin `_compute_split_sequence`: a name's prefix and number are split at its trailing digits
 * (`INV/2026/00042` → `INV/2026/`, 42); a name without them has no number.
 */
function splitSequence(name: string): { prefix: string; number: number } | undefined {
  const match = /^(.*?)(\d+)$/.exec(name);
  return match ? { prefix: match[1] as string, number: Number(match[2]) } : undefined;
}

export function defineMoveIndexes(store: Store): void {
  store.defineIndex('account.move.line', LINES_OF_MOVE, (line) => idKey(line.move_id));
  store.defineIndex('account.move', MOVES_BY_NAME, (move) =>
    isNamed(move) ? `${String(move.journal_id)},${String(move.name)}` : undefined,
  );
  store.defineIndex(
    'account.move',
    MOVES_BY_SEQUENCE,
    (move) => {
      const split = isNamed(move) ? splitSequence(move.name as string) : undefined;
      return split ? `${String(move.journal_id)},${split.prefix}` : undefined;
    },
    // Odoo's `sequence_number`, indexed with the journal and prefix (sequence_mixin.py `_auto_init`).
    (move) => splitSequence(move.name as string)?.number ?? 0,
  );
  store.defineIndex('account.move', NAMED_MOVES_OF_JOURNAL, (move) =>
    isNamed(move) ? String(move.journal_id) : undefined,
  );
  store.defineIndex('account.move', REVERSALS_OF_MOVE, (move) => idKey(move.reversed_entry_id));
  store.defineIndex('account.partial.reconcile', PARTIALS_BY_DEBIT, (p) => idKey(p.debit_move_id));
  store.defineIndex('account.partial.reconcile', PARTIALS_BY_CREDIT, (p) => idKey(p.credit_move_id));
  store.defineIndex('account.payment', PAYMENT_OF_MOVE, (payment) => idKey(payment.move_id));
  store.defineIndex('account.move.line', LINES_BY_MARK, (line) =>
    typeof line._mark === 'string' ? line._mark : undefined,
  );
  store.defineIndex('account.move.line', LINES_BY_MATCHING, (line) => idKey(line.full_reconcile_id));
}

/** The payment whose journal entry is `moveId` (account.payment `move_id` is unique), or false. */
export function paymentOfMove(env: Env, moveId: number): number | false {
  return env.store.lookup('account.payment', PAYMENT_OF_MOVE, String(moveId))[0]?.id ?? false;
}

export function moveLines(env: Env, moveId: number): Row[] {
  return env.store.lookup('account.move.line', LINES_OF_MOVE, String(moveId));
}

const balanceOf = (line: Row): Cents => (line._debit as Cents) - (line._credit as Cents);

function accountOf(env: Env, line: Row): Row | undefined {
  return line.account_id ? env.store.get('account.account', line.account_id as number) : undefined;
}

function isReconcilable(env: Env, line: Row): boolean {
  const account = accountOf(env, line);
  return Boolean(
    account &&
      (account.reconcile || ['asset_cash', 'liability_credit_card'].includes(account.account_type as string)),
  );
}

/** account_move_line.py `_compute_amount_residual`: residual only exists on reconcilable accounts. */
function residualOf(env: Env, line: Row): Cents {
  return isReconcilable(env, line) ? (line._residual as Cents) : 0;
}

function isReconciled(env: Env, line: Row): boolean {
  return isReconcilable(env, line) && (line._residual as Cents) === 0;
}

/** The partial reconciliations a line takes part in, on either side, in id order. */
export function partialsOf(env: Env, lineId: number): Row[] {
  const key = String(lineId);
  const ids = new Set(env.store.indexedIds('account.partial.reconcile', PARTIALS_BY_DEBIT, key));
  for (const id of env.store.indexedIds('account.partial.reconcile', PARTIALS_BY_CREDIT, key)) ids.add(id);
  return [...ids].sort((a, b) => a - b).map((id) => env.row('account.partial.reconcile', id));
}

// ---- lock dates ----

/**
 * res_company.py `_get_user_fiscal_lock_date` (17.0): the admin user is an adviser
 * (account.group_account_manager), so only fiscalyear_lock_date binds; period_lock_date would bind
 * non-advisers, and the sandbox has no other users.
 */
export function userLockDate(env: Env): string | false {
  return (companyRow(env).fiscalyear_lock_date as string | false) || false;
}

export function lockDateError(lockDate: string) {
  // account_move.py `_check_fiscalyear_lock_date`, wording for an adviser
  return userError(
    `You cannot add/modify entries prior to and inclusive of the lock date ${formatDateUs(lockDate)}.`,
  );
}

export function checkFiscalyearLockDate(env: Env, move: Row): void {
  const lock = userLockDate(env);
  if (lock && (move.date as string) <= lock) throw lockDateError(lock);
}

function addDays(isoDate: string, days: number): string {
  const date = new Date(`${isoDate}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

function endOfMonth(isoDate: string): string {
  const date = new Date(`${isoDate}T00:00:00Z`);
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 0)).toISOString().slice(0, 10);
}

/**
 * account_move.py `_get_accounting_date` (17.0): an invoice dated in a locked period is booked on the
 * first open day; for sale documents the date is pushed to the end of that month (first number of the
 * journal) or year (yearly numbering), but never after today.
 */
function accountingDateAfterLock(env: Env, move: Row, lock: string): string {
  const firstOpen = addDays(lock, 1);
  if (!isSale(move)) return firstOpen;
  const named = env.store.indexedIds('account.move', NAMED_MOVES_OF_JOURNAL, String(move.journal_id));
  const hasHighestName = named.size > (named.has(move.id) ? 1 : 0);
  const candidate = hasHighestName ? `${firstOpen.slice(0, 4)}-12-31` : endOfMonth(firstOpen);
  return [candidate, env.today()].sort()[0] as string; // ISO dates: the earlier one
}

// ---- invoice computations ----

/**
 * Recomputes the dynamic lines of an invoice: product line balances from quantity × price, and the
 * single receivable ("payment_term") line for the total (account_move.py `_compute_needed_terms`;
 * only present when there are invoice lines).
 */
export function syncInvoiceLines(env: Env, moveId: number): void {
  const move = env.row('account.move', moveId);
  if (!isInvoice(move)) return;
  const sign = incomeSign(move);
  let total: Cents = 0; // receivable side, positive for an out_invoice
  const lines = moveLines(env, moveId);
  for (const line of lines) {
    if (line.display_type !== 'product') continue;
    const subtotal = lineSubtotalCents(
      Number(line.quantity ?? 1),
      Number(line.price_unit ?? 0),
      Number(line.discount ?? 0),
    );
    const balance = sign * subtotal;
    total -= balance;
    env.store.update('account.move.line', line.id, {
      _debit: Math.max(balance, 0),
      _credit: Math.max(-balance, 0),
      _residual: 0,
      partner_id: move.partner_id || false,
    });
  }
  const productLines = lines.filter((l) => l.display_type === 'product');
  const termLines = lines.filter((l) => l.display_type === 'payment_term');
  if (productLines.length === 0) {
    for (const term of termLines) env.store.delete('account.move.line', term.id);
    return;
  }
  const termVals = {
    _debit: total > 0 ? total : 0,
    _credit: total < 0 ? -total : 0,
    _residual: total,
    partner_id: move.partner_id || false,
    name: (move.payment_reference as string) || '',
    date_maturity: move.invoice_date_due || move.invoice_date || move.date || false,
  };
  const [first, ...extra] = termLines;
  for (const term of extra) env.store.delete('account.move.line', term.id);
  if (first) env.store.update('account.move.line', first.id, termVals);
  else {
    env.store.insert('account.move.line', {
      move_id: moveId,
      account_id: receivableAccountFor(env, move),
      display_type: 'payment_term',
      quantity: 1,
      price_unit: 0,
      discount: 0,
      ...termVals,
    });
  }
}

function receivableAccountFor(env: Env, _move: Row): number {
  return accountByCode(
    env,
    _move.move_type === 'in_invoice' || _move.move_type === 'in_refund' ? '211000' : '121000',
  );
}

function totals(env: Env, move: Row) {
  const lines = moveLines(env, move.id);
  if (isInvoice(move)) {
    const sign = -incomeSign(move);
    const untaxed = lines
      .filter((l) => l.display_type === 'product')
      .reduce((sum, l) => sum + -sign * balanceOf(l) * -1, 0);
    const terms = lines.filter((l) => TERM_ACCOUNT_TYPES.includes(accountOf(env, l)?.account_type as string));
    const residual = terms.reduce((sum, l) => sum + residualOf(env, l), 0);
    // amounts on invoices are unsigned; *_signed carry the direction (negative for credit notes)
    const direction = move.move_type === 'out_refund' || move.move_type === 'in_invoice' ? -1 : 1;
    return {
      untaxed: Math.abs(untaxed),
      total: Math.abs(untaxed),
      residual: Math.abs(residual),
      direction,
    };
  }
  const debit = lines.reduce((sum, l) => sum + (l._debit as Cents), 0);
  const residual = lines
    .filter((l) => TERM_ACCOUNT_TYPES.includes(accountOf(env, l)?.account_type as string))
    .reduce((sum, l) => sum + residualOf(env, l), 0);
  return { untaxed: debit, total: debit, residual: Math.abs(residual), direction: 1 };
}

/**
 * account_move.py `_compute_payment_state` (17.0). Community reports 'paid' where Enterprise would say
 * 'in_payment'. 'reversed' only when the invoice is fully matched 1:1 with its own credit note(s).
 */
export function paymentState(env: Env, move: Row): string {
  if (move.state !== 'posted' || !isInvoice(move)) return 'not_paid';
  const terms = moveLines(env, move.id).filter((l) =>
    TERM_ACCOUNT_TYPES.includes(accountOf(env, l)?.account_type as string),
  );
  if (terms.length === 0) return 'not_paid';
  const residual = terms.reduce((sum, l) => sum + residualOf(env, l), 0);
  const total = terms.reduce((sum, l) => sum + balanceOf(l), 0);
  if (residual === 0) {
    if (move.move_type === 'out_invoice' || move.move_type === 'in_invoice') {
      const reverseType = move.move_type === 'out_invoice' ? 'out_refund' : 'in_refund';
      const reversals = env.store
        .lookup('account.move', REVERSALS_OF_MOVE, String(move.id))
        .filter((m) => m.state === 'posted' && m.move_type === reverseType)
        .map((m) => m.id);
      if (reversals.length > 0) {
        const counterpartMoves = new Set<number>();
        for (const term of terms) {
          for (const line of reconciledComponent(env, term.id)) counterpartMoves.add(line.move_id as number);
        }
        counterpartMoves.delete(move.id);
        if (counterpartMoves.size > 0 && [...counterpartMoves].every((id) => reversals.includes(id)))
          return 'reversed';
      }
    }
    return 'paid';
  }
  return residual !== total ? 'partial' : 'not_paid';
}

// ---- reconciliation ----

/** All lines linked to `lineId` through partials (the future full reconcile group). */
function reconciledComponent(env: Env, lineId: number): Row[] {
  const seen = new Set<number>([lineId]);
  const queue = [lineId];
  while (queue.length) {
    const current = queue.pop() as number;
    for (const partial of partialsOf(env, current)) {
      for (const other of [partial.debit_move_id as number, partial.credit_move_id as number]) {
        if (!seen.has(other)) {
          seen.add(other);
          queue.push(other);
        }
      }
    }
  }
  return [...seen].map((id) => env.row('account.move.line', id));
}

/**
 * account_move_line.py `reconcile` / `_check_amls_exclusive_reconcile` (17.0): same account, posted,
 * not already reconciled; debits are matched against credits oldest first. Returns nothing (None).
 */
export function reconcileLines(env: Env, lineIds: number[]): void {
  const lines = env.ensure('account.move.line', [...new Set(lineIds)]);
  if (lines.length === 0) return;
  if (lines.some((line) => isReconciled(env, line))) {
    throw userError('You are trying to reconcile some entries that are already reconciled.');
  }
  if (lines.some((line) => env.row('account.move', line.move_id as number).state !== 'posted')) {
    throw userError('You can only reconcile posted entries.');
  }
  const accountIds = [...new Set(lines.map((line) => line.account_id as number))];
  if (accountIds.length > 1) {
    const names = accountIds.map((id) => {
      const account = env.row('account.account', id);
      return `${account.code as string} ${account.name as string}`;
    });
    throw userError(`Entries are not from the same account: ${names.join(', ')}`);
  }
  const account = env.row('account.account', accountIds[0] as number);
  if (
    !account.reconcile &&
    !['asset_cash', 'liability_credit_card'].includes(account.account_type as string)
  ) {
    throw userError(
      `Account ${account.code as string} ${account.name as string} does not allow reconciliation. First change the configuration of this account to allow it.`,
    );
  }
  const byDate = (a: Row, b: Row) => {
    const da = env.row('account.move', a.move_id as number).date as string;
    const db = env.row('account.move', b.move_id as number).date as string;
    return da < db ? -1 : da > db ? 1 : a.id - b.id;
  };
  const debits = lines.filter((l) => (l._residual as Cents) > 0).sort(byDate);
  const credits = lines.filter((l) => (l._residual as Cents) < 0).sort(byDate);
  let d = 0;
  let c = 0;
  while (d < debits.length && c < credits.length) {
    const debit = debits[d] as Row;
    const credit = credits[c] as Row;
    const amount = Math.min(debit._residual as Cents, -(credit._residual as Cents));
    const maxDate = [debit, credit]
      .map((l) => env.row('account.move', l.move_id as number).date as string)
      .sort()
      .at(-1);
    env.store.insert('account.partial.reconcile', {
      debit_move_id: debit.id,
      credit_move_id: credit.id,
      _amount: amount,
      max_date: maxDate,
      company_id: COMPANY_ID,
    });
    // account_partial_reconcile.py `_update_matching_number`: a real matching replaces a temporary `I…` number.
    env.store.update('account.move.line', debit.id, {
      _residual: (debit._residual as Cents) - amount,
      _mark: false,
    });
    env.store.update('account.move.line', credit.id, {
      _residual: (credit._residual as Cents) + amount,
      _mark: false,
    });
    if ((debit._residual as Cents) === 0) d++;
    if ((credit._residual as Cents) === 0) c++;
  }
  // A full reconcile ("matching number") once every line of the group is settled.
  const group = reconciledComponent(env, (lines[0] as Row).id);
  if (
    group.length > 1 &&
    group.every((line) => (line._residual as Cents) === 0) &&
    !group[0]?.full_reconcile_id
  ) {
    const full = env.store.insert('account.full.reconcile', { name: false });
    env.store.update('account.full.reconcile', full.id, { name: `A${full.id}` });
    for (const line of group) env.store.update('account.move.line', line.id, { full_reconcile_id: full.id });
  }
}

/** account_move_line.py `remove_move_reconcile`: drop partials (and full reconciles) of these lines. */
export function unreconcileLines(env: Env, lineIds: number[]): void {
  for (const lineId of lineIds) {
    for (const partial of partialsOf(env, lineId)) {
      const debit = env.row('account.move.line', partial.debit_move_id as number);
      const credit = env.row('account.move.line', partial.credit_move_id as number);
      for (const line of [debit, credit]) {
        if (line.full_reconcile_id) {
          const matched = env.store.lookup(
            'account.move.line',
            LINES_BY_MATCHING,
            String(line.full_reconcile_id),
          );
          for (const other of matched)
            env.store.update('account.move.line', other.id, { full_reconcile_id: false });
          env.store.delete('account.full.reconcile', line.full_reconcile_id as number);
        }
      }
      env.store.update('account.move.line', debit.id, {
        _residual: (debit._residual as Cents) + (partial._amount as Cents),
      });
      env.store.update('account.move.line', credit.id, {
        _residual: (credit._residual as Cents) - (partial._amount as Cents),
      });
      env.store.delete('account.partial.reconcile', partial.id);
    }
  }
}

function hasReconciledLines(env: Env, moveId: number): boolean {
  return moveLines(env, moveId).some((line) => partialsOf(env, line.id).length > 0);
}

function reconciledError(move: Row) {
  // account_move_line.py `_check_reconciliation`
  return userError(
    'You cannot do this modification on a reconciled journal entry. You can just change some non legal fields or you must unreconcile first.\n' +
      `Journal Entry (id): ${move.name as string} (${move.id})`,
  );
}

// ---- posting ----

/** The sequence a move is numbered in: `INV/2026/`, `RINV/2026/`, `PBNK1/2026/` (journal, type, year). */
function sequencePrefix(env: Env, move: Row): string {
  const journal = env.row('account.journal', move.journal_id as number);
  let prefix = journal.code as string;
  // account_journal.py refund_sequence / payment_sequence: "R" and "P" prefixes (RINV, PBNK1)
  if (journal.refund_sequence && (move.move_type === 'out_refund' || move.move_type === 'in_refund'))
    prefix = `R${prefix}`;
  if (journal.payment_sequence && move._is_payment) prefix = `P${prefix}`;
  return `${prefix}/${(move.date as string).slice(0, 4)}/`;
}

/**
 * sequence.mixin `_get_last_sequence` (17.0): the highest number any other move of the journal holds in
 * this sequence, drafts with a name included; 0 when the sequence has none yet.
 */
function lastSequenceNumber(env: Env, move: Row, prefix: string): number {
  return (
    env.store.greatestRank(
      'account.move',
      MOVES_BY_SEQUENCE,
      `${String(move.journal_id)},${prefix}`,
      move.id,
    ) ?? 0
  );
}

/** sequence.mixin `_set_next_sequence`: one above the last number of the sequence. */
function nextDocumentNumber(env: Env, move: Row): string {
  const prefix = sequencePrefix(env, move);
  return `${prefix}${String(lastSequenceNumber(env, move, prefix) + 1).padStart(5, '0')}`;
}

/**
 * account_move.py `_compute_name` (17.0) on create: the first draft of a journal/year sequence is named at
 * once (no last sequence to continue), later drafts stay "/" until posted. Two first drafts created
 * concurrently on a real server both get `…/00001`; the sandbox runs one call at a time, so the second
 * sees the first and stays "/" (docs/odoo-sandbox.md).
 */
export function nameFirstDraft(env: Env, move: Row): void {
  if (move.name && move.name !== '/') return;
  const prefix = sequencePrefix(env, move);
  if (lastSequenceNumber(env, move, prefix) === 0)
    env.store.update('account.move', move.id, { name: `${prefix}00001` });
}

function checkBalanced(env: Env, move: Row): void {
  const lines = moveLines(env, move.id);
  const debit = lines.reduce((sum, l) => sum + (l._debit as Cents), 0);
  const credit = lines.reduce((sum, l) => sum + (l._credit as Cents), 0);
  if (debit !== credit) {
    const journal = env.row('account.journal', move.journal_id as number);
    throw userError(
      `The move (${moveDisplayName(env, move)}) is not balanced.\n` +
        `The total of debits equals $ ${fromCents(debit).toFixed(2)} and the total of credits equals $ ${fromCents(credit).toFixed(2)}.\n` +
        `You might want to specify a default account on journal "${journal.name as string}" to automatically balance each move.`,
    );
  }
}

/** account_move.py `_post` (17.0), soft=False. */
export function postMoves(env: Env, ids: number[]): void {
  const moves = env.ensure('account.move', ids);
  for (const move of moves) {
    if (move.state === 'posted')
      throw userError(`The entry ${move.name as string} (id ${move.id}) is already posted.`);
    const lines = moveLines(env, move.id);
    if (!lines.some((l) => l.display_type !== 'line_section' && l.display_type !== 'line_note')) {
      throw userError('You need to add a line before posting.');
    }
    const journal = env.row('account.journal', move.journal_id as number);
    if (!journal.active)
      throw userError(`You cannot post an entry in an archived journal (${journal.name as string})`);
    if (!move.partner_id && isSale(move)) {
      throw userError(
        "The field 'Customer' is required, please complete it to validate the Customer Invoice.",
      );
    }
    if (!move.partner_id && isInvoice(move)) {
      throw userError("The field 'Vendor' is required, please complete it to validate the Vendor Bill.");
    }
    if (isInvoice(move) && totals(env, move).total < 0) {
      throw userError(
        'You cannot validate an invoice with a negative total amount. You should create a credit note instead. Use the action menu to transform it into a credit note or refund.',
      );
    }
    if (lines.some((l) => l.account_id && env.row('account.account', l.account_id as number).deprecated)) {
      throw userError('A line of this move is using a deprecated account, you cannot post it.');
    }
    const patch: Vals = {};
    if (isSale(move) && !move.invoice_date) {
      patch.invoice_date = env.today();
      patch.date = env.today();
    }
    const date = (patch.date as string | undefined) ?? (move.date as string);
    const lock = userLockDate(env);
    if (lock && date <= lock) {
      if (env.registry.behaviour.lockDateOnPost === 'raise') throw lockDateError(lock);
      patch.date = accountingDateAfterLock(env, { ...move, ...patch }, lock);
      if ((patch.date as string) <= lock) throw lockDateError(lock);
    }
    if (Object.keys(patch).length) env.store.update('account.move', move.id, patch);
    syncInvoiceLines(env, move.id);
    checkBalanced(env, move);
  }
  for (const move of moves) {
    const name = !move.name || move.name === '/' ? nextDocumentNumber(env, move) : (move.name as string);
    // The unique index account_move_unique_name (name, journal) over posted moves, as Odoo words its violation.
    const taken = env.store
      .lookup('account.move', MOVES_BY_NAME, `${String(move.journal_id)},${name}`)
      .some((m) => m.id !== move.id && m.state === 'posted');
    if (taken)
      throw validationError(
        'The operation cannot be completed: Another entry with the same name already exists.',
      );
    env.store.update('account.move', move.id, { state: 'posted', posted_before: true, name });
    for (const line of moveLines(env, move.id)) {
      // a freshly posted line's residual is its balance on reconcilable accounts
      if (partialsOf(env, line.id).length === 0) {
        env.store.update('account.move.line', line.id, {
          _residual: isReconcilable(env, line) ? balanceOf(line) : 0,
        });
      }
    }
    if (isSale(move) && move.partner_id) {
      const partner = env.row('res.partner', move.partner_id as number);
      env.store.update('res.partner', partner.id, { customer_rank: Number(partner.customer_rank ?? 0) + 1 });
    }
  }
  // "reconcile if state is in draft and move has reversal_entry_id set" (_post → _reconcile_reversed_moves):
  // `zip(draft_reverse_moves.reversed_entry_id, draft_reverse_moves)`, the originals a set in order of first
  // appearance — two reversals of one move posted in one call pair the second with the next original, or none.
  const reversals = moves.filter(
    (move) =>
      move.reversed_entry_id &&
      env.store.get('account.move', move.reversed_entry_id as number)?.state === 'posted',
  );
  const originals = [...new Set(reversals.map((move) => move.reversed_entry_id as number))];
  for (const [index, move] of reversals.entries()) {
    const originalId = originals[index];
    if (originalId === undefined) break;
    const original = env.row('account.move', originalId);
    const candidates = [...moveLines(env, original.id), ...moveLines(env, move.id)].filter(
      (line) => isReconcilable(env, line) && !isReconciled(env, line),
    );
    const byAccount = new Map<number, number[]>();
    for (const line of candidates) {
      const key = line.account_id as number;
      byAccount.set(key, [...(byAccount.get(key) ?? []), line.id]);
    }
    for (const lineIds of byAccount.values()) reconcileLines(env, lineIds);
  }
  reconcileMarked(
    env,
    moves.flatMap((move) => moveLines(env, move.id)),
  );
}

/**
 * account_move_line.py `_reconcile_marked` (17.0 and 19.0, called at the end of `_post`): the lines of the moves
 * just posted that carry a temporary matching number (`I…`) are reconciled with every line holding the same number
 * — already-posted lines of other moves included — account by account, once all their moves are posted. An account
 * that does not allow reconciliation is switched to allow it, as Odoo does.
 */
function reconcileMarked(env: Env, posted: Row[]): void {
  const marks = new Set(
    posted
      .map((line) => env.store.get('account.move.line', line.id)?._mark)
      .filter((mark): mark is string => typeof mark === 'string' && mark.startsWith('I')),
  );
  for (const mark of marks) {
    const byAccount = new Map<number, Row[]>();
    for (const line of env.store.lookup('account.move.line', LINES_BY_MARK, mark)) {
      const key = line.account_id as number;
      byAccount.set(key, [...(byAccount.get(key) ?? []), line]);
    }
    for (const [accountId, lines] of byAccount) {
      if (!lines.every((line) => env.row('account.move', line.move_id as number).state === 'posted'))
        continue;
      const account = env.row('account.account', accountId);
      if (!account.reconcile) env.store.update('account.account', accountId, { reconcile: true });
      reconcileLines(
        env,
        lines.map((line) => line.id),
      );
    }
  }
}

/** account_move.py `button_draft` (17.0): unreconciles, then the state write checks the lock date. */
export function resetToDraft(env: Env, ids: number[]): void {
  const moves = env.ensure('account.move', ids);
  for (const move of moves) {
    if (move.state !== 'posted' && move.state !== 'cancel') {
      throw userError('Only posted/cancelled journal entries can be reset to draft.');
    }
    if (move.state === 'posted') checkFiscalyearLockDate(env, move);
  }
  for (const move of moves) {
    unreconcileLines(
      env,
      moveLines(env, move.id).map((l) => l.id),
    );
    env.store.update('account.move', move.id, { state: 'draft' });
  }
}

export function cancelMoves(env: Env, ids: number[]): void {
  const moves = env.ensure('account.move', ids);
  const posted = moves.filter((m) => m.state === 'posted').map((m) => m.id);
  if (posted.length) resetToDraft(env, posted);
  for (const move of env.ensure('account.move', ids)) {
    if (move.state !== 'draft') throw userError('Only draft journal entries can be cancelled.');
    env.store.update('account.move', move.id, { state: 'cancel' });
  }
}

// ---- display ----

const DRAFT_LABEL: Record<string, string> = {
  out_invoice: 'Draft Invoice',
  out_refund: 'Draft Credit Note',
  in_invoice: 'Draft Bill',
  in_refund: 'Draft Vendor Credit Note',
  out_receipt: 'Draft Sales Receipt',
  in_receipt: 'Draft Purchase Receipt',
  entry: 'Draft Entry',
};

/** account_move.py `_get_move_display_name`: "Draft Invoice (* 12)" until a number is assigned. */
export function moveDisplayName(_env: Env, move: Row): string {
  let name = '';
  if (move.state === 'draft') name += `${DRAFT_LABEL[move.move_type as string] ?? 'Draft Entry'} `;
  if (!move.name || move.name === '/') name += `(* ${move.id})`;
  else name += move.name as string;
  return name.trim();
}

// ---- models ----

const MOVE_TYPES = [
  ['entry', 'Journal Entry'],
  ['out_invoice', 'Customer Invoice'],
  ['out_refund', 'Customer Credit Note'],
  ['in_invoice', 'Vendor Bill'],
  ['in_refund', 'Vendor Credit Note'],
  ['out_receipt', 'Sales Receipt'],
  ['in_receipt', 'Purchase Receipt'],
] as const;

/** Fields a posted move may still change (account_move.py: only "non legal" fields). */
const POSTED_WRITABLE = new Set([
  'ref',
  'narration',
  'payment_reference',
  'invoice_date_due',
  'invoice_origin',
  'to_check',
  'checked',
]);

function splitLineCommands(vals: Vals): { header: Vals; lineCommands: unknown[] } {
  const header = { ...vals };
  const lineCommands: unknown[] = [];
  for (const key of ['invoice_line_ids', 'line_ids']) {
    if (key in header) {
      const commands = header[key];
      if (!Array.isArray(commands))
        throw valueError(`Wrong value for account.move.${key}: ${JSON.stringify(commands)}`);
      lineCommands.push(...commands);
      delete header[key];
    }
  }
  return { header, lineCommands };
}

function applyLineCommands(env: Env, moveId: number, commands: unknown[]): void {
  if (commands.length === 0) return;
  const fieldHolder = 'line_ids';
  // reuse the generic x2many command engine on the real one2many
  baseWrite(env, 'account.move', [moveId], { [fieldHolder]: commands });
}

const accountMove: ModelDef = {
  name: 'account.move',
  description: 'Journal Entry',
  // account_move.py (17.0): _order = 'date desc, name desc, id desc'
  order: 'date desc, name desc, id desc',
  fields: {
    name: { type: 'char', string: 'Number', default: () => '/' },
    ref: { type: 'char', string: 'Reference' },
    date: { type: 'date', string: 'Date', required: true },
    state: {
      type: 'selection',
      string: 'Status',
      selection: [
        ['draft', 'Draft'],
        ['posted', 'Posted'],
        ['cancel', 'Cancelled'],
      ],
      default: () => 'draft',
      readonly: true,
    },
    move_type: {
      type: 'selection',
      string: 'Type',
      selection: MOVE_TYPES,
      default: () => 'entry',
      required: true,
    },
    journal_id: { type: 'many2one', string: 'Journal', relation: 'account.journal', required: true },
    company_id: { type: 'many2one', string: 'Company', relation: 'res.company', default: () => COMPANY_ID },
    currency_id: { type: 'many2one', string: 'Currency', relation: 'res.currency', default: () => USD_ID },
    company_currency_id: {
      type: 'many2one',
      string: 'Company Currency',
      relation: 'res.currency',
      compute: () => USD_ID,
    },
    partner_id: { type: 'many2one', string: 'Partner', relation: 'res.partner' },
    commercial_partner_id: {
      type: 'many2one',
      string: 'Commercial Entity',
      relation: 'res.partner',
      compute: (env, row) =>
        row.partner_id
          ? env.value(
              'res.partner',
              env.row('res.partner', row.partner_id as number),
              'commercial_partner_id',
            )
          : false,
    },
    line_ids: {
      type: 'one2many',
      string: 'Journal Items',
      relation: 'account.move.line',
      inverse: 'move_id',
    },
    invoice_line_ids: {
      type: 'one2many',
      string: 'Invoice lines',
      relation: 'account.move.line',
      inverse: 'move_id',
      compute: (env, row) =>
        moveLines(env, row.id)
          .filter((l) => INVOICE_LINE_TYPES.includes(l.display_type as string))
          .map((l) => l.id),
    },
    invoice_date: { type: 'date', string: 'Invoice/Bill Date' },
    invoice_date_due: { type: 'date', string: 'Due Date' },
    invoice_origin: { type: 'char', string: 'Origin' },
    payment_reference: { type: 'char', string: 'Payment Reference' },
    narration: { type: 'html', string: 'Terms and Conditions' },
    posted_before: { type: 'boolean', string: 'Posted Before', default: () => false },
    checked: { type: 'boolean', string: 'Checked', default: () => false },
    reversed_entry_id: { type: 'many2one', string: 'Reversal of', relation: 'account.move' },
    reversal_move_id: {
      type: 'one2many',
      string: 'Reversal Move',
      relation: 'account.move',
      inverse: 'reversed_entry_id',
      compute: (env, row) =>
        env.search('account.move', [['reversed_entry_id', '=', row.id]], { order: 'id' }),
    },
    payment_id: {
      type: 'many2one',
      string: 'Payment',
      relation: 'account.payment',
      compute: (env, row) => paymentOfMove(env, row.id),
    },
    amount_untaxed: {
      type: 'monetary',
      string: 'Untaxed Amount',
      compute: (env, row) => fromCents(totals(env, row).untaxed),
    },
    amount_tax: { type: 'monetary', string: 'Tax', compute: () => 0 },
    amount_total: {
      type: 'monetary',
      string: 'Total',
      compute: (env, row) => fromCents(totals(env, row).total),
    },
    amount_residual: {
      type: 'monetary',
      string: 'Amount Due',
      compute: (env, row) => fromCents(totals(env, row).residual),
    },
    amount_untaxed_signed: {
      type: 'monetary',
      string: 'Untaxed Amount Signed',
      compute: (env, row) => {
        const t = totals(env, row);
        return fromCents(t.direction * t.untaxed);
      },
    },
    amount_total_signed: {
      type: 'monetary',
      string: 'Total Signed',
      compute: (env, row) => {
        const t = totals(env, row);
        return fromCents(t.direction * t.total);
      },
    },
    amount_residual_signed: {
      type: 'monetary',
      string: 'Amount Due Signed',
      compute: (env, row) => {
        const t = totals(env, row);
        return fromCents(t.direction * t.residual);
      },
    },
    payment_state: {
      type: 'selection',
      string: 'Payment Status',
      selection: [
        ['not_paid', 'Not Paid'],
        ['in_payment', 'In Payment'],
        ['paid', 'Paid'],
        ['partial', 'Partially Paid'],
        ['reversed', 'Reversed'],
        ['invoicing_legacy', 'Invoicing App Legacy'],
      ],
      compute: paymentState,
    },
    has_reconciled_entries: {
      type: 'boolean',
      string: 'Has Reconciled Entries',
      compute: (env, row) => hasReconciledLines(env, row.id),
    },
    restrict_mode_hash_table: {
      type: 'boolean',
      string: 'Lock Posted Entries with Hash',
      compute: () => false,
    },
  },
  displayName: moveDisplayName,
  create(env, vals) {
    const { header, lineCommands } = splitLineCommands(vals);
    const moveType =
      (header.move_type as string | undefined) ??
      (env.context.default_move_type as string | undefined) ??
      'entry';
    header.move_type = moveType;
    if (!header.journal_id) {
      // account_move.py `_search_default_journal`: sale journal for customer documents
      const type = SALE_TYPES.includes(moveType)
        ? 'sale'
        : ['in_invoice', 'in_refund', 'in_receipt'].includes(moveType)
          ? 'purchase'
          : 'general';
      header.journal_id = journalByType(env, type);
    }
    if (!header.date) header.date = header.invoice_date || env.today();
    if (header.invoice_date && !header.invoice_date_due) header.invoice_date_due = header.invoice_date;
    if (header.state && header.state !== 'draft') delete header.state; // posting is action_post's job
    const id = baseCreate(env, 'account.move', header);
    applyLineCommands(env, id, lineCommands);
    syncInvoiceLines(env, id);
    const move = env.row('account.move', id);
    if (!isInvoice(move) && moveLines(env, id).length > 0) checkBalanced(env, move);
    // A payment's entry is named once account_payment.ts has marked it (its own PBNK1 sequence).
    const journal = env.row('account.journal', move.journal_id as number);
    if (!(move.move_type === 'entry' && journal.payment_sequence)) nameFirstDraft(env, move);
    return id;
  },
  write(env, ids, vals) {
    const { header, lineCommands } = splitLineCommands(vals);
    for (const move of env.ensure('account.move', ids)) {
      if (move.state === 'posted') {
        const legal = Object.keys(vals).filter((key) => !POSTED_WRITABLE.has(key));
        if (legal.length > 0) {
          if ('journal_id' in header && header.journal_id !== move.journal_id) {
            throw userError('You cannot edit the journal of an account move if it has been posted once.');
          }
          if (hasReconciledLines(env, move.id)) throw reconciledError(move);
          checkFiscalyearLockDate(env, move);
          if ('date' in header) checkFiscalyearLockDate(env, { ...move, date: header.date });
        }
      } else if (move.posted_before && 'journal_id' in header && header.journal_id !== move.journal_id) {
        throw userError('You cannot edit the journal of an account move if it has been posted once.');
      }
    }
    delete header.state;
    if (header.invoice_date && !('date' in header)) {
      for (const move of env.ensure('account.move', ids)) {
        if (isInvoice(move) && move.state === 'draft')
          env.store.update('account.move', move.id, { date: header.invoice_date });
      }
    }
    baseWrite(env, 'account.move', ids, header);
    for (const id of ids) {
      applyLineCommands(env, id, lineCommands);
      syncInvoiceLines(env, id);
      const move = env.row('account.move', id);
      if (move.state === 'posted') {
        checkBalanced(env, move);
        for (const line of moveLines(env, id)) {
          env.store.update('account.move.line', line.id, {
            _residual: isReconcilable(env, line) ? balanceOf(line) : 0,
          });
        }
      }
    }
  },
  unlink(env, ids) {
    for (const move of env.ensure('account.move', ids)) {
      // account_move_line.py `_unlink_except_posted`
      if (move.state === 'posted') throw userError('You cannot delete an item linked to a posted entry.');
    }
    for (const id of ids) {
      for (const line of moveLines(env, id)) env.store.delete('account.move.line', line.id);
      env.store.delete('account.move', id);
    }
  },
  methods: {
    action_post: {
      params: [],
      run(env, ids) {
        // account_move.py action_post: the moves of payments are posted through their payments, first
        const unique = [...new Set(ids)];
        const paymentMoveIds = unique.filter((id) => paymentOfMove(env, id) !== false);
        const others = unique.filter((id) => paymentOfMove(env, id) === false);
        if (paymentMoveIds.length) postMoves(env, paymentMoveIds);
        if (others.length) postMoves(env, others);
        return false; // account_move.py action_post: "return False"
      },
    },
    button_draft: { params: [], run: (env, ids) => resetToDraft(env, ids) },
    button_cancel: { params: [], run: (env, ids) => cancelMoves(env, ids) },
    action_register_payment: {
      params: [],
      run: (_env, ids) => ({
        name: 'Register Payment',
        res_model: 'account.payment.register',
        view_mode: 'form',
        context: { active_model: 'account.move', active_ids: ids },
        target: 'new',
        type: 'ir.actions.act_window',
      }),
    },
  },
};

const moveRelated =
  (field: string) =>
  (env: Env, row: Row): unknown =>
    env.value('account.move', env.row('account.move', row.move_id as number), field);

const accountMoveLine: ModelDef = {
  name: 'account.move.line',
  description: 'Journal Item',
  // account_move_line.py (17.0): _order = "date desc, move_name desc, id"
  order: 'date desc, move_name desc, id',
  fields: {
    move_id: { type: 'many2one', string: 'Journal Entry', relation: 'account.move', required: true },
    move_name: {
      type: 'char',
      string: 'Number',
      compute: (env, row) => env.row('account.move', row.move_id as number).name,
    },
    move_type: {
      type: 'selection',
      string: 'Type',
      selection: MOVE_TYPES,
      compute: moveRelated('move_type'),
    },
    date: { type: 'date', string: 'Date', compute: moveRelated('date') },
    ref: { type: 'char', string: 'Reference', compute: moveRelated('ref') },
    parent_state: {
      type: 'selection',
      string: 'Status',
      selection: [
        ['draft', 'Draft'],
        ['posted', 'Posted'],
        ['cancel', 'Cancelled'],
      ],
      compute: moveRelated('state'),
    },
    journal_id: {
      type: 'many2one',
      string: 'Journal',
      relation: 'account.journal',
      compute: moveRelated('journal_id'),
    },
    company_id: { type: 'many2one', string: 'Company', relation: 'res.company', compute: () => COMPANY_ID },
    currency_id: {
      type: 'many2one',
      string: 'Currency',
      relation: 'res.currency',
      compute: moveRelated('currency_id'),
    },
    account_id: { type: 'many2one', string: 'Account', relation: 'account.account' },
    account_type: {
      type: 'selection',
      string: 'Internal Type',
      compute: (env, row) => accountOf(env, row)?.account_type ?? false,
    },
    partner_id: { type: 'many2one', string: 'Partner', relation: 'res.partner' },
    name: { type: 'char', string: 'Label' },
    display_type: {
      type: 'selection',
      string: 'Display Type',
      selection: [
        ['product', 'Product'],
        ['cogs', 'Cost of Goods Sold'],
        ['tax', 'Tax'],
        ['discount', 'Discount'],
        ['rounding', 'Rounding'],
        ['payment_term', 'Payment Term'],
        ['line_section', 'Section'],
        ['line_note', 'Note'],
        ['epd', 'Early Payment Discount'],
      ],
      default: () => 'product',
    },
    quantity: { type: 'float', string: 'Quantity', default: () => 1 },
    price_unit: { type: 'float', string: 'Unit Price', default: () => 0 },
    discount: { type: 'float', string: 'Discount (%)', default: () => 0 },
    price_subtotal: {
      type: 'monetary',
      string: 'Subtotal',
      compute: (_env, row) =>
        row.display_type === 'product'
          ? fromCents(
              lineSubtotalCents(
                Number(row.quantity ?? 1),
                Number(row.price_unit ?? 0),
                Number(row.discount ?? 0),
              ),
            )
          : 0,
    },
    price_total: {
      type: 'monetary',
      string: 'Total',
      compute: (_env, row) =>
        row.display_type === 'product'
          ? fromCents(
              lineSubtotalCents(
                Number(row.quantity ?? 1),
                Number(row.price_unit ?? 0),
                Number(row.discount ?? 0),
              ),
            )
          : 0,
    },
    debit: { type: 'monetary', string: 'Debit', compute: (_env, row) => fromCents(row._debit as Cents) },
    credit: { type: 'monetary', string: 'Credit', compute: (_env, row) => fromCents(row._credit as Cents) },
    balance: { type: 'monetary', string: 'Balance', compute: (_env, row) => fromCents(balanceOf(row)) },
    amount_currency: {
      type: 'monetary',
      string: 'Amount in Currency',
      compute: (_env, row) => fromCents(balanceOf(row)),
    },
    amount_residual: {
      type: 'monetary',
      string: 'Residual Amount',
      compute: (env, row) => fromCents(residualOf(env, row)),
    },
    amount_residual_currency: {
      type: 'monetary',
      string: 'Residual Amount in Currency',
      compute: (env, row) => fromCents(residualOf(env, row)),
    },
    reconciled: { type: 'boolean', string: 'Reconciled', compute: (env, row) => isReconciled(env, row) },
    full_reconcile_id: { type: 'many2one', string: 'Matching', relation: 'account.full.reconcile' },
    matched_debit_ids: {
      type: 'one2many',
      string: 'Matched Debits',
      relation: 'account.partial.reconcile',
      inverse: 'credit_move_id',
      compute: (env, row) =>
        partialsOf(env, row.id)
          .filter((p) => p.credit_move_id === row.id)
          .map((p) => p.id),
    },
    matched_credit_ids: {
      type: 'one2many',
      string: 'Matched Credits',
      relation: 'account.partial.reconcile',
      inverse: 'debit_move_id',
      compute: (env, row) =>
        partialsOf(env, row.id)
          .filter((p) => p.debit_move_id === row.id)
          .map((p) => p.id),
    },
    matching_number: {
      type: 'char',
      string: 'Matching #',
      // 17.0: the full reconcile name, or "P<partial id>" while only partially matched
      compute: (env, row) => {
        if (row.full_reconcile_id)
          return env.row('account.full.reconcile', row.full_reconcile_id as number).name;
        const partials = partialsOf(env, row.id);
        if (partials.length) return `P${Math.min(...partials.map((p) => p.id))}`;
        // A temporary number written by an import (or a `load`), until `_reconcile_marked` matches the line.
        return typeof row._mark === 'string' ? row._mark : false;
      },
    },
    date_maturity: { type: 'date', string: 'Due Date' },
    payment_id: {
      type: 'many2one',
      string: 'Originator Payment',
      relation: 'account.payment',
      compute: (env, row) => paymentOfMove(env, row.move_id as number),
    },
  },
  displayName: (env, row) => {
    const move = env.row('account.move', row.move_id as number);
    const moveName = move.name && move.name !== '/' ? (move.name as string) : moveDisplayName(env, move);
    return row.name ? `${moveName} ${row.name as string}` : moveName;
  },
  create(env, vals) {
    const clean = { ...vals };
    // Product and tax fields exist in Odoo but the sandbox has no catalogue or taxes; accept and ignore.
    for (const ignored of ['product_id', 'tax_ids', 'product_uom_id', 'analytic_distribution'])
      delete clean[ignored];
    const moveId = Number(clean.move_id);
    const move = env.row('account.move', moveId);
    if (move.state === 'posted' && hasReconciledLines(env, moveId)) throw reconciledError(move);
    const debit = toCents(clean.debit ?? 0);
    const credit = toCents(clean.credit ?? 0);
    delete clean.debit;
    delete clean.credit;
    delete clean.balance;
    const displayType = (clean.display_type as string | undefined) ?? 'product';
    if (!clean.account_id && displayType !== 'line_section' && displayType !== 'line_note') {
      if (isInvoice(move) && displayType === 'product') {
        const journal = env.row('account.journal', move.journal_id as number);
        clean.account_id = journal.default_account_id || accountByCode(env, '400000');
      } else {
        // account_move_line.py _sql_constraints check_accountable_required_fields
        throw validationError(
          'The operation cannot be completed: Missing required account on accountable line.',
        );
      }
    }
    if (clean.partner_id === undefined && move.partner_id) clean.partner_id = move.partner_id;
    const id = baseCreate(env, 'account.move.line', clean);
    const balance = debit - credit;
    env.store.update('account.move.line', id, { _debit: debit, _credit: credit, _residual: balance });
    // account_move_line.py `create` runs inside `_sync_dynamic_lines`: a product line created on its own (a
    // line `load`) updates the invoice's receivable line as one created through the invoice does.
    if (isInvoice(move) && displayType === 'product' && move.state === 'draft') syncInvoiceLines(env, moveId);
    return id;
  },
  write(env, ids, vals) {
    const clean = { ...vals };
    for (const ignored of ['product_id', 'tax_ids', 'product_uom_id', 'analytic_distribution'])
      delete clean[ignored];
    const touchesAmounts = [
      'debit',
      'credit',
      'balance',
      'account_id',
      'partner_id',
      'quantity',
      'price_unit',
      'discount',
    ].some((k) => k in clean);
    const moveIds = new Set<number>();
    for (const line of env.ensure('account.move.line', ids)) {
      const move = env.row('account.move', line.move_id as number);
      moveIds.add(move.id);
      if (touchesAmounts && partialsOf(env, line.id).length > 0) throw reconciledError(move);
      if (touchesAmounts && move.state === 'posted') checkFiscalyearLockDate(env, move);
    }
    if ('matching_number' in clean) {
      writeMatchingNumber(env, ids, clean.matching_number);
      delete clean.matching_number;
      // Nothing else written: the entries' amounts are untouched (no line sync on a posted invoice).
      if (Object.keys(clean).length === 0) return;
    }
    const debit = 'debit' in clean ? toCents(clean.debit) : undefined;
    const credit = 'credit' in clean ? toCents(clean.credit) : undefined;
    delete clean.debit;
    delete clean.credit;
    delete clean.balance;
    baseWrite(env, 'account.move.line', ids, clean);
    if (debit !== undefined || credit !== undefined) {
      for (const line of env.ensure('account.move.line', ids)) {
        const d = debit ?? (line._debit as Cents);
        const c = credit ?? (line._credit as Cents);
        env.store.update('account.move.line', line.id, { _debit: d, _credit: c, _residual: d - c });
      }
    }
    for (const moveId of moveIds) syncInvoiceLines(env, moveId);
  },
  unlink(env, ids) {
    for (const line of env.ensure('account.move.line', ids)) {
      const move = env.row('account.move', line.move_id as number);
      if (move.state === 'posted') throw userError('You cannot delete an item linked to a posted entry.');
    }
    baseUnlink(env, 'account.move.line', ids);
  },
  methods: {
    reconcile: {
      params: [],
      run(env, ids) {
        reconcileLines(env, ids);
        return undefined; // None: no "result" key on the wire
      },
    },
    remove_move_reconcile: {
      params: [],
      run(env, ids) {
        unreconcileLines(env, ids);
        return undefined;
      },
    },
  },
};

/**
 * account_move_line.py `_sanitize_vals` and `_constrains_matching_number` (17.0, 19.0): a number written by hand is
 * a temporary one, `I` prefixed when it is not already; a line already matched (partials) refuses it ("A temporary
 * number can not be used in a real matching"). Writing False clears it. Posted lines accept it: it is not among the
 * fields a posted entry protects.
 */
function writeMatchingNumber(env: Env, ids: number[], value: unknown): void {
  const mark = value ? (String(value).startsWith('I') ? String(value) : `I${String(value)}`) : false;
  for (const line of env.ensure('account.move.line', ids)) {
    if (mark && partialsOf(env, line.id).length > 0)
      throw validationError('A temporary number can not be used in a real matching');
    env.store.update('account.move.line', line.id, { _mark: mark });
  }
}

const accountPartialReconcile: ModelDef = {
  name: 'account.partial.reconcile',
  description: 'Partial Reconcile',
  order: 'id',
  fields: {
    debit_move_id: { type: 'many2one', string: 'Debit line', relation: 'account.move.line' },
    credit_move_id: { type: 'many2one', string: 'Credit line', relation: 'account.move.line' },
    amount: { type: 'monetary', string: 'Amount', compute: (_env, row) => fromCents(row._amount as Cents) },
    debit_amount_currency: {
      type: 'monetary',
      string: 'Debit Amount',
      compute: (_env, row) => fromCents(row._amount as Cents),
    },
    credit_amount_currency: {
      type: 'monetary',
      string: 'Credit Amount',
      compute: (_env, row) => fromCents(row._amount as Cents),
    },
    max_date: { type: 'date', string: 'Max Date of Matched Lines' },
    full_reconcile_id: {
      type: 'many2one',
      string: 'Full Reconcile',
      relation: 'account.full.reconcile',
      compute: (env, row) =>
        env.row('account.move.line', row.debit_move_id as number).full_reconcile_id ?? false,
    },
    company_id: { type: 'many2one', string: 'Company', relation: 'res.company' },
  },
  displayName: (_env, row) => `Partial ${row.id}`,
};

const accountFullReconcile: ModelDef = {
  name: 'account.full.reconcile',
  description: 'Full Reconcile',
  order: 'id',
  fields: {
    name: { type: 'char', string: 'Number' },
    reconciled_line_ids: {
      type: 'one2many',
      string: 'Matched Journal Items',
      relation: 'account.move.line',
      inverse: 'full_reconcile_id',
    },
  },
};

export function registerAccountMoveModels(registry: Registry): void {
  for (const model of [accountMove, accountMoveLine, accountPartialReconcile, accountFullReconcile])
    registry.register(model);
}
