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
