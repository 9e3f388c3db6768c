import type { OdooClient } from './client.js';
import { OdooError } from './errors.js';
import { loadByExternalId, pickCanonical } from './external-records.js';

/** Searches and `load`s before giving a lost race to SQS: the loser finds the winner's partner at once. */
const RACE_ATTEMPTS = 3;
/** Enough candidates to see our external id among partners that share a reference (legacy duplicates). */
const CANDIDATES = 20;

/**
 * Partners upserted by canonical reference: found by `ref` (ours, `rcm:<kind>:<id>`) and written, or created
 * together with their external id in one transaction (`load`), so two writers of one new payer, or a retry
 * after a create that committed late, never make a second partner. Partners that share a `ref` (made before
 * external ids, or by hand) are resolved deterministically (`pickCanonical`), never refused.
 */
export class OdooPartnerDirectory {
  constructor(private readonly odoo: OdooClient) {}

  async upsert(ref: string, values: Record<string, unknown>, externalId: string): Promise<number> {
    for (let attempt = 0; attempt < RACE_ATTEMPTS; attempt += 1) {
      const found = await this.odoo.call<number[]>('res.partner', 'search', [[['ref', '=', ref]]], {
        limit: CANDIDATES,
        order: 'id',
      });
      const kept = await pickCanonical(
        this.odoo,
        'res.partner',
        found.map((id) => ({ id })),
        externalId,
      );
      if (kept) {
        await this.odoo.call('res.partner', 'write', [[kept.id], values]);
        return kept.id;
      }
      const created = await loadByExternalId(this.odoo, 'res.partner', externalId, values);
      if (created !== undefined) return created;
    }
    throw new OdooError(
      'transient',
      'rcm.ExternalIdRace',
      `${externalId} is being created by another writer`,
    );
  }
}
