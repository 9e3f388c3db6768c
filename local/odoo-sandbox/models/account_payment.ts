/**
 * Payments (account.payment) and the "Register Payment" wizard (account.payment.register), after
 * addons/account/models/account_payment.py and wizard/account_payment_register.py (17.0). In 17 a
 * payment `_inherits` its journal entry: name, date, ref, state and lines live on `move_id`.
 */
import { userError, validationError, valueError } from '../errors.js';
import { type Cents, fromCents, toCents } from '../money.js';
import { baseCreate, baseWrite, type Env, type ModelDef, type Registry, type Vals } from '../orm.js';
import type { Row } from '../store.js';
import {
  cancelMoves,
  checkFiscalyearLockDate,
  moveLines,
  nameFirstDraft,
  partialsOf,
  postMoves,
  reconcileLines,
  resetToDraft,
} from './account_move.js';
import { accountByCode, COMPANY_ID, journalByType, USD_ID } from './base.js';

interface WriteOff {
  accountId: number;
  label: string;
  /** receivable-side amount the write-off covers: positive when the customer paid short */
  amount: Cents;
}

const moveOf = (env: Env, payment: Row) => env.row('account.move', payment.move_id as number);

/**
 * The payment's journal entry (account_payment.py `_prepare_move_line_default_vals`): inbound debits
 * the journal's outstanding receipts account and credits the partner's receivable; a write-off line
 * takes up the difference between what was received and what is settled.
 */
function paymentLineVals(env: Env, payment: Row, writeOffs: WriteOff[] = []): Vals[] {
  const amount = payment._amount as Cents;
  const sign = payment.payment_type === 'inbound' ? 1 : -1;
  const outstanding = accountByCode(env, payment.payment_type === 'inbound' ? '101403' : '101404');
  const counterpart = destinationAccount(env, payment);
  const memo = (payment._memo as string) || '';
  const liquidity = sign * amount;
  const writeOffBalance = writeOffs.reduce((sum, w) => sum + sign * w.amount, 0);
  const counterpartBalance = -(liquidity + writeOffBalance);
  const line = (accountId: number, balance: Cents, name: string): Vals => ({
    account_id: accountId,
    partner_id: payment.partner_id || false,
    name,
    display_type: 'product',
    debit: fromCents(balance > 0 ? balance : 0),
    credit: fromCents(balance < 0 ? -balance : 0),
  });
  const label = memo || `Customer Payment $ ${fromCents(amount).toFixed(2)}`;
  const lines = [line(outstanding, liquidity, label), line(counterpart, counterpartBalance, label)];
  for (const writeOff of writeOffs)
    if (writeOff.amount !== 0)
      lines.push(line(writeOff.accountId, sign * writeOff.amount, writeOff.label || 'Write-Off'));
  return lines;
}

/** The entry's lines again (an amount changed): its write-off lines are kept, as `_synchronize_to_moves` does. */
function rebuildPaymentMove(env: Env, paymentId: number, writeOffs?: WriteOff[]): void {
  const payment = env.row('account.payment', paymentId);
  const moveId = payment.move_id as number;
  const kept = writeOffs ?? (payment._writeoffs as WriteOff[] | undefined) ?? [];
  env.store.update('account.payment', paymentId, { _writeoffs: kept });
  for (const line of moveLines(env, moveId)) env.store.delete('account.move.line', line.id);
  for (const vals of paymentLineVals(env, payment, kept))
    env.create('account.move.line', { ...vals, move_id: moveId });
}

/**
 * account_payment.py `create`: `write_off_line_vals` is popped from the values ("Hack to add a custom write-off
 * line", what the register wizard passes): a list of line values whose `balance` is booked as is, the
 * counterpart taking up payment + write-off. The wizard passes `[]` when there is nothing to write off.
 */
function writeOffsFromVals(vals: Vals): WriteOff[] {
  const raw = vals.write_off_line_vals;
  if (raw === undefined || raw === null || raw === false) return [];
  if (!Array.isArray(raw)) throw valueError('write_off_line_vals must be a list of dicts');
  return raw.map((item) => {
    const line = item as Vals;
    if (typeof line.account_id !== 'number') {
      throw validationError(
        'The operation cannot be completed: Missing required account on accountable line.',
      );
    }
    const sign = (vals.payment_type ?? 'inbound') === 'outbound' ? -1 : 1;
    return {
      accountId: line.account_id,
      label: (line.name as string) || '',
      amount: sign * toCents(line.balance ?? line.amount_currency ?? 0),
    };
  });
}

function createPayment(env: Env, vals: Vals, writeOff?: WriteOff): number {
  const amount = toCents(vals.amount ?? 0);
  // account_payment.py: "The payment amount cannot be negative."
  if (amount < 0) throw validationError('The payment amount cannot be negative.');
  const paymentType = (vals.payment_type as string) ?? 'inbound';
  if (!['inbound', 'outbound'].includes(paymentType))
    throw validationError(`Wrong value for account.payment.payment_type: '${paymentType}'`);
  const partnerType = (vals.partner_type as string) ?? 'customer';
  const journalId = (vals.journal_id as number) || journalByType(env, 'bank');
  const journal = env.row('account.journal', journalId);
  if (!['bank', 'cash'].includes(journal.type as string)) {
    throw userError('A payment must always belongs to a bank or cash journal.');
  }
  const moveId = env.create('account.move', {
    move_type: 'entry',
    journal_id: journalId,
    date: (vals.date as string) || env.today(),
    ref: (vals.ref as string) || false,
    partner_id: vals.partner_id || false,
    currency_id: vals.currency_id || USD_ID,
  });
  env.store.update('account.move', moveId, { _is_payment: true });
  nameFirstDraft(env, env.row('account.move', moveId));
  const id = baseCreate(env, 'account.payment', {
    move_id: moveId,
    payment_type: paymentType,
    partner_type: partnerType,
    partner_id: vals.partner_id || false,
  });
  env.store.update('account.payment', id, {
    _amount: amount,
    _memo: (vals.ref as string) || '',
    ...(typeof vals.destination_account_id === 'number' ? { _destination: vals.destination_account_id } : {}),
  });
  rebuildPaymentMove(env, id, writeOff ? [writeOff] : writeOffsFromVals(vals));
  return id;
}

/**
 * account_payment.py `_compute_destination_account_id` (readonly=False): the partner's receivable (payable for
 * a vendor) unless the creator named another account, as the hub does for a payer's credit on a liability.
 */
function destinationAccount(env: Env, payment: Row): number {
  if (typeof payment._destination === 'number') return payment._destination;
  return accountByCode(env, payment.partner_type === 'supplier' ? '211000' : '121000');
}

const RECEIVABLE_TYPES = ['asset_receivable', 'liability_payable'];

function counterpartLines(env: Env, payment: Row): Row[] {
  return moveLines(env, payment.move_id as number).filter((line) =>
    RECEIVABLE_TYPES.includes(env.row('account.account', line.account_id as number).account_type as string),
  );
}

function reconciledInvoiceIds(env: Env, payment: Row): number[] {
  const invoices = new Set<number>();
  for (const line of counterpartLines(env, payment)) {
    for (const partial of partialsOf(env, line.id)) {
      const other = partial.debit_move_id === line.id ? partial.credit_move_id : partial.debit_move_id;
      const move = env.row('account.move', env.row('account.move.line', other as number).move_id as number);
      if (move.move_type !== 'entry') invoices.add(move.id);
    }
  }
  return [...invoices].sort((a, b) => a - b);
}

const paymentMoveField =
  (field: string) =>
  (env: Env, row: Row): unknown =>
    env.value('account.move', moveOf(env, row), field);

const accountPayment: ModelDef = {
  name: 'account.payment',
  description: 'Payments',
  order: 'date desc, name desc',
  fields: {
    move_id: { type: 'many2one', string: 'Journal Entry', relation: 'account.move', readonly: true },
    name: { type: 'char', string: 'Number', compute: paymentMoveField('name') },
    date: { type: 'date', string: 'Date', compute: paymentMoveField('date') },
    ref: { type: 'char', string: 'Memo', compute: paymentMoveField('ref') },
    state: {
      type: 'selection',
      string: 'Status',
      selection: [
        ['draft', 'Draft'],
        ['posted', 'Posted'],
        ['cancel', 'Cancelled'],
      ],
      compute: paymentMoveField('state'),
    },
    journal_id: {
      type: 'many2one',
      string: 'Journal',
      relation: 'account.journal',
      compute: paymentMoveField('journal_id'),
    },
    company_id: { type: 'many2one', string: 'Company', relation: 'res.company', compute: () => COMPANY_ID },
    currency_id: {
      type: 'many2one',
      string: 'Currency',
      relation: 'res.currency',
      compute: paymentMoveField('currency_id'),
    },
    partner_id: { type: 'many2one', string: 'Customer/Vendor', relation: 'res.partner' },
    amount: { type: 'monetary', string: 'Amount', compute: (_env, row) => fromCents(row._amount as Cents) },
    amount_signed: {
      type: 'monetary',
      string: 'Amount Signed',
      compute: (_env, row) => fromCents((row.payment_type === 'outbound' ? -1 : 1) * (row._amount as Cents)),
    },
    payment_type: {
      type: 'selection',
      string: 'Payment Type',
      selection: [
        ['outbound', 'Send'],
        ['inbound', 'Receive'],
      ],
    },
    partner_type: {
      type: 'selection',
      string: 'Partner Type',
      selection: [
        ['customer', 'Customer'],
        ['supplier', 'Vendor'],
      ],
    },
    line_ids: {
      type: 'one2many',
      string: 'Journal Items',
      relation: 'account.move.line',
      inverse: 'move_id',
      compute: (env, row) => moveLines(env, row.move_id as number).map((l) => l.id),
    },
    destination_account_id: {
      type: 'many2one',
      string: 'Destination Account',
      relation: 'account.account',
      compute: destinationAccount,
    },
    outstanding_account_id: {
      type: 'many2one',
      string: 'Outstanding Account',
      relation: 'account.account',
      compute: (env, row) => accountByCode(env, row.payment_type === 'outbound' ? '101404' : '101403'),
    },
    // account_payment.py `_compute_reconciliation_status`: is_reconciled looks at the receivable side,
    // is_matched at the liquidity side (bank statement matching, which the sandbox does not model).
    is_reconciled: {
      type: 'boolean',
      string: 'Is Reconciled',
      compute: (env, row) =>
        (row._amount as Cents) === 0 ||
        (moveOf(env, row).state === 'posted' &&
          counterpartLines(env, row).every((line) => (line._residual as Cents) === 0)),
    },
    is_matched: {
      type: 'boolean',
      string: 'Is Matched With a Bank Statement',
      compute: (_env, row) => (row._amount as Cents) === 0,
    },
    reconciled_invoice_ids: {
      type: 'many2many',
      string: 'Reconciled Invoices',
      relation: 'account.move',
      compute: reconciledInvoiceIds,
    },
    reconciled_invoices_count: {
      type: 'integer',
      string: '# Reconciled Invoices',
      compute: (env, row) => reconciledInvoiceIds(env, row).length,
    },
  },
  displayName: (env, row) => {
    const move = moveOf(env, row);
    return move.name && move.name !== '/' ? (move.name as string) : 'Draft Payment';
  },
  create: (env, vals) => createPayment(env, vals),
  write(env, ids, vals) {
    for (const payment of env.ensure('account.payment', ids)) {
      const move = moveOf(env, payment);
      const moveVals: Vals = {};
      for (const key of ['date', 'ref', 'journal_id', 'partner_id'])
        if (key in vals) moveVals[key] = vals[key];
      const accounting = ['amount', 'partner_id', 'payment_type', 'partner_type', 'journal_id', 'date'].some(
        (k) => k in vals,
      );
      if (accounting && move.state === 'posted') {
        if (
          moveLines(env, move.id).some(
            (line) => (line._residual as Cents) !== (line._debit as Cents) - (line._credit as Cents),
          )
        ) {
          throw userError(
            'You cannot do this modification on a reconciled journal entry. You can just change some non legal fields or you must unreconcile first.\n' +
              `Journal Entry (id): ${move.name as string} (${move.id})`,
          );
        }
        checkFiscalyearLockDate(env, move);
      }
      if (Object.keys(moveVals).length) baseWrite(env, 'account.move', [move.id], moveVals);
      const paymentVals: Vals = {};
      for (const key of ['partner_id', 'payment_type', 'partner_type'])
        if (key in vals) paymentVals[key] = vals[key];
      if (Object.keys(paymentVals).length) baseWrite(env, 'account.payment', [payment.id], paymentVals);
      const patch: Vals = {};
      if ('amount' in vals) {
        const amount = toCents(vals.amount);
        if (amount < 0) throw validationError('The payment amount cannot be negative.');
        patch._amount = amount;
      }
      if ('ref' in vals) patch._memo = (vals.ref as string) || '';
      if (Object.keys(patch).length) env.store.update('account.payment', payment.id, patch);
      if (accounting) {
        rebuildPaymentMove(env, payment.id);
        if (move.state === 'posted') {
          // lines were rebuilt on a posted entry: their residuals start from the balance again
          for (const line of moveLines(env, move.id)) {
            const account = env.row('account.account', line.account_id as number);
            env.store.update('account.move.line', line.id, {
              _residual: account.reconcile ? (line._debit as Cents) - (line._credit as Cents) : 0,
            });
          }
        }
      }
    }
  },
  unlink(env, ids) {
    for (const payment of env.ensure('account.payment', ids)) {
      const move = moveOf(env, payment);
      if (move.state === 'posted') throw userError('You cannot delete an item linked to a posted entry.');
    }
    for (const payment of env.ensure('account.payment', ids)) {
      const moveId = payment.move_id as number;
      env.store.delete('account.payment', payment.id);
      env.unlink('account.move', [moveId]);
    }
  },
  methods: {
    action_post: {
      params: [],
      run(env, ids) {
        postMoves(
          env,
          env.ensure('account.payment', ids).map((p) => p.move_id as number),
        );
        return undefined; // account_payment.py action_post returns None: no "result" key
      },
    },
    action_draft: {
      params: [],
      run(env, ids) {
        resetToDraft(
          env,
          env.ensure('account.payment', ids).map((p) => p.move_id as number),
        );
        return undefined;
      },
    },
    action_cancel: {
      params: [],
      run(env, ids) {
        cancelMoves(
          env,
          env.ensure('account.payment', ids).map((p) => p.move_id as number),
        );
        return undefined;
      },
    },
  },
};

// ---- Register Payment wizard ----

function wizardLines(env: Env, context: Record<string, unknown>): Row[] {
  const activeModel = context.active_model;
  const activeIds = (
    (context.active_ids as number[] | undefined) ?? (context.active_id ? [context.active_id as number] : [])
  ).map(Number);
  if (activeModel !== 'account.move' && activeModel !== 'account.move.line') {
    throw userError(
      'The register payment wizard should only be called on account.move or account.move.line records.',
    );
  }
  let lines: Row[];
  if (activeModel === 'account.move') {
    const moves = env.ensure('account.move', activeIds);
    if (moves.some((move) => move.state !== 'posted')) {
      throw userError('You can only register payment for posted journal entries.');
    }
    lines = moves.flatMap((move) => moveLines(env, move.id));
  } else {
    lines = env.ensure('account.move.line', activeIds);
    if (lines.some((line) => env.row('account.move', line.move_id as number).state !== 'posted')) {
      throw userError('You can only register payment for posted journal entries.');
    }
  }
  const open = lines.filter(
    (line) =>
      RECEIVABLE_TYPES.includes(
        env.row('account.account', line.account_id as number).account_type as string,
      ) && (line._residual as Cents) !== 0,
  );
  if (open.length === 0) {
    throw userError(
      "You can't register a payment because there is nothing left to pay on the selected journal items.",
    );
  }
  return open;
}

function defaultCommunication(env: Env, lines: Row[]): string {
  const moves = [...new Set(lines.map((l) => l.move_id as number))].map((id) => env.row('account.move', id));
  // account_payment_register.py `_get_batch_communication`: payment reference, else ref, else number
  return moves
    .map((m) => (m.payment_reference as string) || (m.ref as string) || (m.name as string))
    .join(' ');
}

const accountPaymentRegister: ModelDef = {
  name: 'account.payment.register',
  description: 'Register Payment',
  order: 'id',
  fields: {
    payment_date: { type: 'date', string: 'Payment Date', required: true },
    amount: { type: 'monetary', string: 'Amount', compute: (_env, row) => fromCents(row._amount as Cents) },
    communication: { type: 'char', string: 'Memo' },
    group_payment: { type: 'boolean', string: 'Group Payments', default: () => true },
    journal_id: { type: 'many2one', string: 'Journal', relation: 'account.journal' },
    partner_id: { type: 'many2one', string: 'Customer/Vendor', relation: 'res.partner' },
    currency_id: { type: 'many2one', string: 'Currency', relation: 'res.currency', compute: () => USD_ID },
    line_ids: { type: 'many2many', string: 'Journal items', relation: 'account.move.line' },
    payment_type: {
      type: 'selection',
      string: 'Payment Type',
      selection: [
        ['outbound', 'Send'],
        ['inbound', 'Receive'],
      ],
    },
    source_amount: {
      type: 'monetary',
      string: 'Amount to Pay (company currency)',
      compute: (env, row) => fromCents(sourceResidual(env, row)),
    },
    payment_difference: {
      type: 'monetary',
      string: 'Payment Difference',
      compute: (env, row) => fromCents(Math.abs(sourceResidual(env, row)) - (row._amount as Cents)),
    },
    payment_difference_handling: {
      type: 'selection',
      string: 'Payment Difference Handling',
      selection: [
        ['open', 'Keep open'],
        ['reconcile', 'Mark as fully paid'],
      ],
      default: () => 'open',
    },
    writeoff_account_id: { type: 'many2one', string: 'Difference Account', relation: 'account.account' },
    writeoff_label: { type: 'char', string: 'Journal Item Label', default: () => 'Write-Off' },
  },
  displayName: (_env, row) => `Register Payment ${row.id}`,
  create(env, vals) {
    const lines = wizardLines(env, env.context);
    const residual = lines.reduce((sum, line) => sum + (line._residual as Cents), 0);
    const partnerIds = [...new Set(lines.map((l) => l.partner_id))];
    const clean: Vals = {
      payment_date: vals.payment_date || env.today(),
      communication: vals.communication ?? defaultCommunication(env, lines),
      journal_id: vals.journal_id || journalByType(env, 'bank'),
      partner_id: vals.partner_id ?? (partnerIds.length === 1 ? partnerIds[0] : false),
      payment_type: residual > 0 ? 'inbound' : 'outbound',
      line_ids: [[6, 0, lines.map((l) => l.id)]],
    };
    for (const key of [
      'group_payment',
      'payment_difference_handling',
      'writeoff_account_id',
      'writeoff_label',
    ]) {
      if (key in vals) clean[key] = vals[key];
    }
    const id = baseCreate(env, 'account.payment.register', clean);
    const amount =
      vals.amount === undefined || vals.amount === false ? Math.abs(residual) : toCents(vals.amount);
    env.store.update('account.payment.register', id, {
      _amount: amount,
      _amount_given: vals.amount !== undefined && vals.amount !== false,
    });
    return id;
  },
  methods: {
    action_create_payments: {
      params: [],
      run(env, ids) {
        const paymentIds = ids.flatMap((id) =>
          createPaymentsFromWizard(env, env.row('account.payment.register', id)),
        );
        // account_payment_register.py action_create_payments: an action opening the payment(s)
        const action: Record<string, unknown> = {
          name: 'Payments',
          type: 'ir.actions.act_window',
          res_model: 'account.payment',
          context: { create: false },
        };
        if (paymentIds.length === 1) Object.assign(action, { view_mode: 'form', res_id: paymentIds[0] });
        else Object.assign(action, { view_mode: 'tree,form', domain: [['id', 'in', paymentIds]] });
        return action;
      },
    },
  },
};

function sourceResidual(env: Env, wizard: Row): Cents {
  return ((wizard.line_ids as number[]) ?? []).reduce(
    (sum, id) => sum + ((env.store.get('account.move.line', id)?._residual as Cents) ?? 0),
    0,
  );
}

function createPaymentsFromWizard(env: Env, wizard: Row): number[] {
  const lines = ((wizard.line_ids as number[]) ?? []).map((id) => env.row('account.move.line', id));
  if (lines.some((line) => (line._residual as Cents) === 0)) {
    throw userError(
      "You can't register a payment because there is nothing left to pay on the selected journal items.",
    );
  }
  // One payment per invoice unless grouped or an explicit amount was given (the wizard only lets
  // you edit the amount when it makes a single payment).
  const moveIds = [...new Set(lines.map((l) => l.move_id as number))];
  const batches: Row[][] =
    wizard.group_payment !== false || wizard._amount_given || moveIds.length === 1
      ? [lines]
      : moveIds.map((moveId) => lines.filter((l) => l.move_id === moveId));
  const paymentIds: number[] = [];
  for (const batch of batches) {
    const residual = batch.reduce((sum, line) => sum + (line._residual as Cents), 0);
    const paymentType = residual > 0 ? 'inbound' : 'outbound';
    const amount = batches.length === 1 ? (wizard._amount as Cents) : Math.abs(residual);
    const difference = Math.abs(residual) - amount;
    let writeOff: WriteOff | undefined;
    if (wizard.payment_difference_handling === 'reconcile' && difference !== 0) {
      if (!wizard.writeoff_account_id) {
        throw validationError(
          'The operation cannot be completed:\n- Create/update: a mandatory field is not set.\n' +
            '- Delete: another model requires the record being deleted. If possible, archive it instead.\n\n' +
            'Model: Journal Item (account.move.line)\nField: Account (account_id)\n',
        );
      }
      writeOff = {
        accountId: wizard.writeoff_account_id as number,
        label: (wizard.writeoff_label as string) || 'Write-Off',
        amount: difference,
      };
    }
    const first = batch[0] as Row;
    const paymentId = createPayment(
      env,
      {
        payment_type: paymentType,
        partner_type: 'customer',
        partner_id: wizard.partner_id || first.partner_id || false,
        amount: fromCents(amount),
        date: wizard.payment_date,
        journal_id: wizard.journal_id,
        ref: batches.length === 1 ? wizard.communication : defaultCommunication(env, batch),
      },
      writeOff,
    );
    const payment = env.row('account.payment', paymentId);
    postMoves(env, [payment.move_id as number]);
    // reconcile the payment's receivable line(s) with the invoices', account by account
    const candidates = [
      ...batch.map((l) => env.row('account.move.line', l.id)),
      ...counterpartLines(env, payment),
    ];
    const byAccount = new Map<number, number[]>();
    for (const line of candidates) {
      if ((line._residual as Cents) === 0) continue;
      byAccount.set(line.account_id as number, [
        ...(byAccount.get(line.account_id as number) ?? []),
        line.id,
      ]);
    }
    for (const lineIds of byAccount.values()) reconcileLines(env, lineIds);
    paymentIds.push(paymentId);
  }
  return paymentIds;
}

export function registerPaymentModels(registry: Registry): void {
  registry.register(accountPayment);
  registry.register(accountPaymentRegister);
}
