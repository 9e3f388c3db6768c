import type { OdooClient } from './client.js';

/**
 * Posts a draft move so that a lost race for a sequence number cannot stick. Odoo 17 names the first draft of
 * a journal/year sequence at once (sequence.mixin `_set_next_sequence`): two drafts created together can both
 * hold `…/00001`, and posting the second fails on `account_move_unique_name`. Posting keeps a draft's name,
 * so every retry would fail the same way; a draft reset to "/" is numbered at posting instead, where Odoo
 * skips numbers taken meanwhile (`_set_next_sequence` retries on the unique violation).
 */
export async function postDraft(
  odoo: OdooClient,
  move: { id: number; name?: string | false },
): Promise<void> {
  if (move.name && move.name !== '/') await odoo.call('account.move', 'write', [[move.id], { name: '/' }]);
  await odoo.call('account.move', 'action_post', [[move.id]]);
}
