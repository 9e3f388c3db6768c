/**
 * The "Reverse" / "Credit Note" wizard (account.move.reversal), after
 * addons/account/wizard/account_move_reversal.py (17.0): fields `reason`, `date`, `journal_id`
 * (16.0's `refund_method` is gone; the buttons call `refund_moves` / `modify_moves`, both through
 * `reverse_moves(is_modify)`).
 */
import { userError } from '../errors.js';
import { fromCents } from '../money.js';
import { baseCreate, type Env, type ModelDef, type Registry, type Vals } from '../orm.js';
import type { Row } from '../store.js';
import { moveLines, postMoves, unreconcileLines } from './account_move.js';

const REVERSE_TYPE: Record<string, string> = {
  entry: 'entry',
  out_invoice: 'out_refund',
  out_refund: 'out_invoice',
  in_invoice: 'in_refund',
  in_refund: 'in_invoice',
  out_receipt: 'out_refund',
  in_receipt: 'in_refund',
};

function reverseOne(env: Env, wizard: Row, move: Row): number {
  const date = (wizard.date as string) || (move.date as string);
  const reason = wizard.reason as string | false;
  const isInvoice = move.move_type !== 'entry';
  const name = move.name as string;
  const lines = moveLines(env, move.id);
  const vals: Vals = {
    move_type: REVERSE_TYPE[move.move_type as string],
    partner_id: move.partner_id || false,
    journal_id: wizard.journal_id || move.journal_id,
    date,
    invoice_date: isInvoice ? date : false,
    currency_id: move.currency_id,
    // account_move_reversal.py `_prepare_default_reversal`
    ref: reason ? `Reversal of: ${name}, ${reason}` : `Reversal of: ${name}`,
    reversed_entry_id: move.id,
  };
  if (isInvoice) {
    vals.invoice_line_ids = lines
      .filter((l) => ['product', 'line_section', 'line_note'].includes(l.display_type as string))
      .map((l) => [
        0,
        0,
        {
          name: l.name || false,
          display_type: l.display_type,
          quantity: l.quantity,
          price_unit: l.price_unit,
          discount: l.discount ?? 0,
          account_id: l.account_id || false,
        },
      ]);
  } else {
    vals.line_ids = lines.map((l) => [
      0,
      0,
      {
        name: l.name || false,
        account_id: l.account_id,
        partner_id: l.partner_id || false,
        debit: fromCents(l._credit as number),
        credit: fromCents(l._debit as number),
      },
    ]);
  }
  return env.create('account.move', vals);
}

function reverseMoves(env: Env, wizardId: number, isModify: boolean): Record<string, unknown> {
  const wizard = env.row('account.move.reversal', wizardId);
  const moves = env.ensure('account.move', (wizard.move_ids as number[]) ?? []);
  const reversals: number[] = [];
  const redirect: number[] = [];
  for (const move of moves) {
    const cancel = isModify || move.move_type === 'entry';
    // `_reverse_moves(cancel=True)` first removes every reconciliation of the original's lines (a payment's
    // entry lets go of the invoice it paid), then posting the reversal reconciles the two with each other.
    if (cancel)
      unreconcileLines(
        env,
        moveLines(env, move.id).map((line) => line.id),
      );
    const reversalId = reverseOne(env, wizard, move);
    reversals.push(reversalId);
    // "is_cancel_needed = not is_auto_post and (is_modify or self.move_type == 'entry')": post now,
    // which reconciles the reversal with its origin.
    if (cancel) postMoves(env, [reversalId]);
    if (isModify) {
      const lines = moveLines(env, move.id).filter((l) => l.display_type === 'product');
      redirect.push(
        env.create('account.move', {
          move_type: move.move_type,
          partner_id: move.partner_id || false,
          journal_id: move.journal_id,
          ref: move.ref || false,
          payment_reference: move.payment_reference || false,
          invoice_line_ids: lines.map((l) => [
            0,
            0,
            {
              name: l.name || false,
              quantity: l.quantity,
              price_unit: l.price_unit,
              account_id: l.account_id,
            },
          ]),
        }),
      );
    } else redirect.push(reversalId);
  }
  const action: Record<string, unknown> = {
    name: 'Reverse Moves',
    type: 'ir.actions.act_window',
    res_model: 'account.move',
  };
  if (redirect.length === 1) {
    const target = env.row('account.move', redirect[0] as number);
    Object.assign(action, {
      view_mode: 'form',
      res_id: target.id,
      context: { default_move_type: target.move_type },
    });
  } else {
    Object.assign(action, { view_mode: 'tree,form', domain: [['id', 'in', redirect]] });
  }
  return action;
}

const accountMoveReversal: ModelDef = {
  name: 'account.move.reversal',
  description: 'Account Move Reversal',
  order: 'id',
  fields: {
    move_ids: { type: 'many2many', string: 'Moves', relation: 'account.move' },
    new_move_ids: { type: 'many2many', string: 'New Moves', relation: 'account.move' },
    date: { type: 'date', string: 'Reversal date' },
    reason: { type: 'char', string: 'Reason displayed on Credit Note' },
    // Odoo 17 computes it in the form (onchange); over RPC a create without it fails on the NOT NULL column.
    journal_id: { type: 'many2one', string: 'Journal', relation: 'account.journal', required: true },
  },
  displayName: (_env, row) => `Reversal ${row.id}`,
  create(env, vals) {
    const activeIds =
      env.context.active_model === 'account.move'
        ? ((env.context.active_ids as number[] | undefined) ??
          (env.context.active_id ? [env.context.active_id as number] : []))
        : [];
    const moves = env.ensure('account.move', activeIds.map(Number));
    if (moves.length === 0 && !vals.move_ids) throw userError('No journal entries selected to reverse.');
    if (moves.some((move) => move.state !== 'posted')) throw userError('You can only reverse posted moves.');
    const clean: Vals = { ...vals, date: vals.date || env.today() };
    if (moves.length) clean.move_ids = [[6, 0, moves.map((m) => m.id)]];
    return baseCreate(env, 'account.move.reversal', clean);
  },
  methods: {
    reverse_moves: {
      params: ['is_modify'],
      run: (env, ids, kw) => reverseMoves(env, ids[0] as number, Boolean(kw.is_modify)),
    },
    refund_moves: { params: [], run: (env, ids) => reverseMoves(env, ids[0] as number, false) },
    modify_moves: { params: [], run: (env, ids) => reverseMoves(env, ids[0] as number, true) },
  },
};

export function registerReversalWizard(registry: Registry): void {
  registry.register(accountMoveReversal);
}
