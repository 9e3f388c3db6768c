import type { OdooClient } from './client.js';
import { OdooError } from './errors.js';

/**
 * Partners upserted by canonical reference: found by `ref` (ours, `rcm:<kind>:<id>`), written if present,
 * created if absent. Odoo does not make `ref` unique, so two matches are refused rather than guessed.
 */
export class OdooPartnerDirectory {
  constructor(private readonly odoo: OdooClient) {}

  async upsert(ref: string, values: Record<string, unknown>): Promise<number> {
    const found = await this.odoo.call<number[]>('res.partner', 'search', [[['ref', '=', ref]]], {
      limit: 2,
    });
    if (found.length > 1)
      throw new OdooError(
        'permanent',
        'rcm.AmbiguousPartner',
        `more than one Odoo partner carries ref ${ref}`,
      );
    if (found[0] !== undefined) {
      await this.odoo.call('res.partner', 'write', [[found[0]], values]);
      return found[0];
    }
    const [created] = await this.odoo.call<number[]>('res.partner', 'create', [[values]]);
    if (created === undefined) throw new OdooError('transient', 'rcm.NoId', 'Odoo created no partner id');
    return created;
  }
}
