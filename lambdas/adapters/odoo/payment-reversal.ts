import type { OdooClient } from './client.js';
import type { OdooDialect } from './dialect.js';
import { OdooError } from './errors.js';
import { draftReversal } from './posting.js';

type Many2one = [number, string] | false;

/** A payment as the ledger found it by its marker: its id and `account.payment.state`. */
export interface PaymentToReverse {
  id: number;
  state: string;
}

/** Which hub step reverses, on which business date, and why (the reversal entry's `ref` carries both). */
export interface PaymentReversalBooking {
  ref: string;
  date: string;
  reason: string;
}

export interface PaymentReversalOutcome {
  /** Every payment asked about: reversed now, found reversed, or found cancelled. */
  paymentIds: number[];
  /** The reversing entries (posted), one per payment that had a journal entry. */
  reversalMoveIds: number[];
  /** false when Odoo already held every reversal (a redelivery): nothing was written. */
  wrote: boolean;
}

interface PaymentRow {
  id: number;
  state: string;
  move_id: Many2one;
  journal_id: Many2one;
}

interface MoveRow {
  id: number;
  state: 'draft' | 'posted' | 'cancel';
  reversed_entry_id: Many2one;
  posted_before?: boolean;
}

/**
 * Reverses posted payments the way an audited finance team does, the same on Odoo 17, 18 and 19: a reversing
 * entry of the payment's journal entry (the `account.move.reversal` wizard, a billing user's right), never draft
 * + cancel. On an entry dated today or earlier the wizard takes its `cancel` path (`_reverse_moves(cancel=True)`):
 * it removes the payment's reconciliations — the invoice owes its amount again — posts the reversal and
 * reconciles it with the payment's lines. Both entries stay in the books and in the audit trail. Draft + cancel
 * cannot do that on 19: `action_draft` keeps the reconciliation and `action_cancel` deletes the draft entry,
 * which a restricted audit trail refuses (and a non-manager may not do unless it is the last of its sequence).
 *
 * Converges on retry, from whatever Odoo holds: a payment whose entry already has a posted reversal is not
 * reversed again (found by `reversed_entry_id`, not by a text ref Odoo does not keep unique); a payment left in
 * draft by the hub's former draft + cancel is posted again first, then reversed; one cancelled by hand (or by
 * the former code on 17) counts as undone. Where the version keeps a payment state of its own (18+), the payment
 * is then marked `canceled` so Odoo's payment list reads it as undone.
 */
export class OdooPaymentReversal {
  constructor(private readonly odoo: OdooClient) {}

  async reverse(
    payments: readonly PaymentToReverse[],
    booking: PaymentReversalBooking,
  ): Promise<PaymentReversalOutcome> {
    const paymentIds = payments.map((p) => p.id);
    if (payments.length === 0) return { paymentIds, reversalMoveIds: [], wrote: false };
    const dialect = await this.odoo.dialect();
    const open = payments.filter((p) => !dialect.undonePaymentStates.includes(p.state));
    if (open.length === 0) return { paymentIds, reversalMoveIds: [], wrote: false };

    const rows = await this.odoo.call<PaymentRow[]>('account.payment', 'read', [open.map((p) => p.id)], {
      fields: ['state', 'move_id', 'journal_id'],
    });
    const moveIds = rows.flatMap((row) => idOf(row.move_id) ?? []);
    const reversals = moveIds.length
      ? await this.odoo.call<MoveRow[]>(
          'account.move',
          'search_read',
          [[['reversed_entry_id', 'in', moveIds]]],
          { fields: ['state', 'reversed_entry_id'], order: 'id' },
        )
      : [];

    let wrote = false;
    const reversalMoveIds: number[] = [];
    const toMark: number[] = [];
    for (const payment of rows) {
      const moveId = idOf(payment.move_id);
      if (moveId === undefined) {
        // 18+: a draft payment that never had an entry: nothing was booked, cancelling deletes nothing.
        await this.odoo.call('account.payment', 'action_cancel', [[payment.id]]);
        wrote = true;
        continue;
      }
      const ofMove = reversals.filter((r) => idOf(r.reversed_entry_id) === moveId);
      let reversal = ofMove.find((r) => r.state === 'posted');
      const pending = ofMove.find((r) => r.state === 'draft');
      if (!reversal && pending) {
        throw new OdooError(
          'permanent',
          'rcm.ReversalPending',
          `payment ${payment.id}: Odoo holds a draft reversal (move ${pending.id}) of its entry ${moveId}; post or delete it in Odoo, then retry ${booking.ref}`,
        );
      }
      if (!reversal) {
        if (payment.state === 'draft' && !(await this.repost(payment, moveId))) {
          wrote = true;
          continue;
        }
        reversal = {
          id: await this.reverseEntry(payment, moveId, booking),
          state: 'posted',
          reversed_entry_id: false,
        };
        wrote = true;
      }
      reversalMoveIds.push(reversal.id);
      const mark = dialect.paymentReversal.markPaymentState;
      if (mark && payment.state !== mark) toMark.push(payment.id);
    }
    const mark = dialect.paymentReversal.markPaymentState;
    if (mark && toMark.length) {
      await this.odoo.call('account.payment', 'write', [toMark, { state: mark }]);
      wrote = true;
    }
    return { paymentIds, reversalMoveIds, wrote };
  }

  /**
   * A payment the former draft + cancel left in draft: posted again when its entry had been posted (the books
   * as they were, then reversed like any other); cancelled when it never was (nothing to keep). false: cancelled.
   */
  private async repost(payment: PaymentRow, moveId: number): Promise<boolean> {
    const [move] = await this.odoo.call<MoveRow[]>('account.move', 'read', [[moveId]], {
      fields: ['state', 'posted_before'],
    });
    if (move?.posted_before) {
      await this.odoo.call('account.payment', 'action_post', [[payment.id]]);
      return true;
    }
    await this.odoo.call('account.payment', 'action_cancel', [[payment.id]]);
    return false;
  }

  private async reverseEntry(
    payment: PaymentRow,
    moveId: number,
    booking: PaymentReversalBooking,
  ): Promise<number> {
    if (booking.date > new Date().toISOString().slice(0, 10)) {
      // Odoo would leave a future-dated reversal in draft (auto_post), the payment still applied.
      throw new OdooError(
        'permanent',
        'rcm.FutureReversal',
        `reversal ${booking.ref} is dated ${booking.date}, in the future: Odoo cannot book it yet`,
      );
    }
    return draftReversal(
      this.odoo,
      moveId,
      {
        reason: `${booking.reason} [${booking.ref}]`,
        date: booking.date,
        journalId: idOf(payment.journal_id) ?? false,
      },
      `payment ${payment.id} (${booking.ref})`,
    );
  }
}

/**
 * Of these payments, those whose journal entry a posted entry reverses: undone in the books though their state
 * may still read `posted` (17 keeps no payment state of its own). One search for the lot.
 */
export async function reversedPaymentIds(
  odoo: OdooClient,
  payments: ReadonlyArray<{ id: number; move_id?: Many2one }>,
): Promise<Set<number>> {
  const paymentOfMove = new Map<number, number>();
  for (const payment of payments) {
    const moveId = idOf(payment.move_id);
    if (moveId !== undefined) paymentOfMove.set(moveId, payment.id);
  }
  if (paymentOfMove.size === 0) return new Set();
  const reversals = await odoo.call<MoveRow[]>(
    'account.move',
    'search_read',
    [
      [
        ['reversed_entry_id', 'in', [...paymentOfMove.keys()]],
        ['state', '=', 'posted'],
      ],
    ],
    { fields: ['reversed_entry_id'] },
  );
  return new Set(
    reversals.flatMap((r) => {
      const id = paymentOfMove.get(idOf(r.reversed_entry_id) ?? -1);
      return id === undefined ? [] : [id];
    }),
  );
}

/** Whether a payment in this state, not reversed, is in the books. */
export function isLivePayment(dialect: OdooDialect, state: string): boolean {
  return dialect.livePaymentStates.includes(state);
}

function idOf(value: Many2one | number | undefined): number | undefined {
  if (Array.isArray(value)) return value[0];
  return typeof value === 'number' ? value : undefined;
}
