import type { OdooAccountRole } from '../../core/posting-plan.js';
import type { OdooClient } from './client.js';
import { OdooError } from './errors.js';

/** The chart-of-accounts codes the posting roles book to (account CODES, not ids: ids differ per database). */
export type LedgerAccounts = Record<OdooAccountRole, string>;

export const DEFAULT_LEDGER_ACCOUNTS: LedgerAccounts = {
  contractualAdjustments: '651000',
  otherAdjustments: '652000',
  patientResponsibilityTransfer: '400000',
};

/**
 * Accounts and journals looked up by code once per instance (codes do not move between calls; ids differ
 * between databases). A failed look-up is not cached, so a transient fault is retried by the next call.
 */
export class OdooChart {
  private readonly ids = new Map<string, Promise<number>>();

  constructor(private readonly odoo: OdooClient) {}

  accountId(code: string): Promise<number> {
    return this.byCode('account.account', code);
  }

  journalId(code: string): Promise<number> {
    return this.byCode('account.journal', code);
  }

  private byCode(model: 'account.account' | 'account.journal', code: string): Promise<number> {
    const key = `${model}:${code}`;
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.search(model, code);
      this.ids.set(key, id);
      id.catch(() => this.ids.delete(key));
    }
    return id;
  }

  private async search(model: string, code: string): Promise<number> {
    const found = await this.odoo.call<number[]>(model, 'search', [[['code', '=', code]]], { limit: 2 });
    const what = model === 'account.account' ? 'account' : 'journal';
    if (found.length > 1) {
      throw new OdooError(
        'permanent',
        'rcm.AmbiguousReference',
        `more than one Odoo ${what} has code ${code}`,
      );
    }
    const [id] = found;
    if (id === undefined) {
      throw new OdooError(
        'permanent',
        what === 'account' ? 'rcm.UnknownAccount' : 'rcm.UnknownJournal',
        `no Odoo ${what} has code ${code}`,
      );
    }
    return id;
  }
}
