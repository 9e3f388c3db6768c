import type { OdooClient } from './client.js';
import { OdooError } from './errors.js';

/**
 * Posts a draft move so that neither a lost race for a sequence number nor a lost answer can stick:
 *  - Odoo 17 names the first draft of a journal/year sequence at once (sequence.mixin `_set_next_sequence`):
 *    two drafts created together can both hold `…/00001`, and posting the second fails on
 *    `account_move_unique_name`. Posting keeps a draft's name, so every retry would fail the same way; a
 *    draft reset to "/" is numbered at posting instead, where Odoo skips numbers taken meanwhile.
 *  - A post that committed after the hub gave up (timeout, restart) answers the retry "must be in draft" /
 *    "already posted": when Odoo now holds it posted, the step is done.
 */
export async function postDraft(
  odoo: OdooClient,
  move: { id: number; name?: string | false },
): Promise<void> {
  if (move.name && move.name !== '/') await odoo.call('account.move', 'write', [[move.id], { name: '/' }]);
  try {
    await odoo.call('account.move', 'action_post', [[move.id]]);
  } catch (error) {
    if (!(error instanceof OdooError) || !/must be in draft|is already posted/i.test(error.message))
      throw error;
    const [row] = await odoo.call<Array<{ state: string }>>('account.move', 'read', [[move.id]], {
      fields: ['state'],
    });
    if (row?.state !== 'posted') throw error;
  }
}

/**
 * Odoo's reversal wizard over RPC: a draft reversing entry of `moveId` (a credit note for an invoice), dated
 * `date`, in the journal of the move it reverses. `journal_id` is filled by onchange in the form only; over
 * RPC it must be given ("null value in column journal_id", odoo.md). Returns the draft's id; the caller
 * labels and posts it.
 */
export async function draftReversal(
  odoo: OdooClient,
  moveId: number,
  entry: { reason: string; date: string; journalId: number | false },
  subject: string,
): Promise<number> {
  const context = { active_model: 'account.move', active_ids: [moveId] };
  const [wizardId] = await odoo.call<number[]>(
    'account.move.reversal',
    'create',
    [[{ reason: entry.reason, date: entry.date, journal_id: entry.journalId }]],
    { context },
  );
  if (wizardId === undefined)
    throw new OdooError('transient', 'rcm.NoId', 'Odoo created no reversal wizard id');
  const action = await odoo.call<{ res_id?: number } | null>(
    'account.move.reversal',
    'refund_moves',
    [[wizardId]],
    {
      context,
    },
  );
  if (typeof action?.res_id !== 'number') {
    throw new OdooError(
      'permanent',
      'rcm.UnexpectedAnswer',
      `Odoo's reversal wizard returned no single entry for ${subject}: ${JSON.stringify(action)}`,
    );
  }
  return action.res_id;
}
