import type { OdooAccountRole } from '../../core/posting-plan.js';
import type { OdooClient } from './client.js';
import { OdooError } from './errors.js';

/** The chart-of-accounts codes the posting roles book to (account CODES, not ids: ids differ per database). */
export type LedgerAccounts = Record<OdooAccountRole, string>;

export const DEFAULT_LEDGER_ACCOUNTS: LedgerAccounts = {
  contractualAdjustments: '651000',
  otherAdjustments: '652000',
  // A clearing account, not revenue: the PR credit note debits it, the patient invoice credits it (nets to 0).
  patientResponsibilityTransfer: '121500',
  payerInitiatedReductions: '653000',
  deniedClaims: '654000',
  plbInterestIncome: '451000',
  plbOtherAdjustments: '655000',
  // The generic chart's Outstanding Receipts: where Odoo 17 books inbound payments of a bank journal, and what its
  // bank reconciliation proposes for a statement line (era-deposit.ts).
  eraDepositClearing: '101403',
  payerRefundLiability: '215000',
};

/** What the hub books to in Odoo: account codes per role and the bank journal of remittances and payments. */
export interface LedgerSetup {
  accounts: LedgerAccounts;
  bankJournalCode: string;
  /** The general journal the ERA deposit entries go to (era-deposit.ts); optional for setups written before it. */
  depositJournalCode?: string;
}

export const DEFAULT_LEDGER_SETUP: LedgerSetup = {
  accounts: DEFAULT_LEDGER_ACCOUNTS,
  bankJournalCode: 'BNK1',
  depositJournalCode: 'ERA',
};

/** Odoo module of the external ids the hub owns (`ir.model.data`, `rcm_hub.<name>`). */
export const HUB_MODULE = 'rcm_hub';

const PARSED_SETUPS = new Map<string, LedgerSetup>();

/**
 * `ODOO_LEDGER_SETUP` (wiring.ts `env.odooLedgerSetup`; JSON set by CDK from cdk.json's stage `odooLedger`;
 * locally from the environment) or the defaults (the generic chart's codes and the hub's own 121500, 651000–654000).
 */
export function ledgerSetupFromEnv(value = process.env.ODOO_LEDGER_SETUP): LedgerSetup {
  if (!value) return DEFAULT_LEDGER_SETUP;
  // One object per configuration: OdooChart.of keeps one chart per client and setup object, so every ledger
  // built from the same environment shares the chart (and its one setup run) instead of replacing it.
  const known = PARSED_SETUPS.get(value);
  if (known) return known;
  const setup = parseLedgerSetup(value);
  PARSED_SETUPS.set(value, setup);
  return setup;
}

function parseLedgerSetup(value: string): LedgerSetup {
  const parsed = JSON.parse(value) as {
    accounts?: Partial<LedgerAccounts>;
    bankJournalCode?: string;
    depositJournalCode?: string;
  };
  return {
    accounts: { ...DEFAULT_LEDGER_ACCOUNTS, ...parsed.accounts },
    bankJournalCode: parsed.bankJournalCode ?? DEFAULT_LEDGER_SETUP.bankJournalCode,
    depositJournalCode: parsed.depositJournalCode ?? DEFAULT_LEDGER_SETUP.depositJournalCode,
  };
}

/** One record the hub books to, named by its external id; created with `values` when no record has `code`. */
export interface HubRecord {
  xmlid: string;
  model: 'account.account' | 'account.journal';
  code: string;
  values: Record<string, unknown>;
}

const ACCOUNT_RECORDS: Record<
  OdooAccountRole,
  { name: string; label: string; accountType: string; reconcile?: boolean }
> = {
  contractualAdjustments: {
    name: 'account_contractual_adjustments',
    label: 'Contractual Adjustments',
    accountType: 'expense',
  },
  otherAdjustments: { name: 'account_other_adjustments', label: 'Other Adjustments', accountType: 'expense' },
  // Its own external id (not account_patient_responsibility, which named 400000 revenue before issue 14): a
  // database set up earlier gets the clearing account created beside it instead of a code conflict.
  patientResponsibilityTransfer: {
    name: 'account_patient_responsibility_clearing',
    label: 'Patient Responsibility Clearing',
    accountType: 'asset_current',
  },
  payerInitiatedReductions: {
    name: 'account_payer_initiated_reductions',
    label: 'Payer-Initiated Reductions',
    accountType: 'expense',
  },
  deniedClaims: { name: 'account_denied_claims', label: 'Denial Write-offs', accountType: 'expense' },
  plbInterestIncome: {
    name: 'account_plb_interest_income',
    label: 'Prompt-Pay Interest Income (ERA)',
    accountType: 'income_other',
  },
  plbOtherAdjustments: {
    name: 'account_plb_other_adjustments',
    label: 'Provider-Level Adjustments (ERA PLB)',
    accountType: 'expense',
  },
  eraDepositClearing: {
    name: 'account_era_deposit_clearing',
    label: 'Outstanding Receipts',
    accountType: 'asset_current',
    reconcile: true,
  },
  // Reconcilable: the refund to the payer (or its recoupment) is matched against the credit it settles.
  payerRefundLiability: {
    name: 'account_payer_refunds',
    label: 'Payer Refunds Payable',
    accountType: 'liability_current',
    reconcile: true,
  },
};

/** Every record the hub needs, for a stage's codes (docs/operations.md "Odoo setup"). */
export function hubRecords(setup: LedgerSetup): HubRecord[] {
  const accounts = (Object.keys(ACCOUNT_RECORDS) as OdooAccountRole[]).map((role) => {
    const { name, label, accountType, reconcile } = ACCOUNT_RECORDS[role];
    const code = setup.accounts[role];
    return {
      xmlid: `${HUB_MODULE}.${name}`,
      model: 'account.account' as const,
      code,
      values: { code, name: label, account_type: accountType, ...(reconcile ? { reconcile } : {}) },
    };
  });
  const code = setup.bankJournalCode;
  return [
    ...accounts,
    {
      xmlid: `${HUB_MODULE}.journal_bank`,
      model: 'account.journal',
      code,
      values: { code, name: `Bank ${code}`, type: 'bank' },
    },
    ...depositJournalRecords(setup),
  ];
}

function depositJournalRecords(setup: LedgerSetup): HubRecord[] {
  const code = setup.depositJournalCode ?? DEFAULT_LEDGER_SETUP.depositJournalCode;
  if (code === undefined) return [];
  return [
    {
      xmlid: `${HUB_MODULE}.journal_era_deposits`,
      model: 'account.journal',
      code,
      values: { code, name: 'ERA Deposits', type: 'general' },
    },
  ];
}

export interface SetupReport {
  ready: boolean;
  records: Array<{
    xmlid: string;
    model: string;
    code: string;
    id?: number;
    /** found: the external id existed; linked: an existing record got it; created: record and id created. */
    outcome: 'found' | 'linked' | 'created' | 'missing';
    problem?: string;
  }>;
}

/**
 * Finds what the hub books to by external id and, where `create` allows, links an existing record of the
 * configured code to it or creates the record: idempotent (a second run finds everything) and race-safe
 * (the unique index on `ir.model.data` and Odoo's unique codes refuse a second writer, which then finds).
 * A user without the rights (the integration user is a billing clerk, not an administrator) gets a report
 * naming each missing record instead.
 */
export async function ensureHubSetup(
  odoo: OdooClient,
  setup: LedgerSetup,
  { create = true } = {},
): Promise<SetupReport> {
  const records: SetupReport['records'] = [];
  for (const record of hubRecords(setup)) {
    const base = { xmlid: record.xmlid, model: record.model, code: record.code };
    try {
      const found = await lookupXmlid(odoo, record);
      if (found !== undefined) {
        const code = await recordCode(odoo, record.model, found);
        if (code !== record.code) {
          records.push({
            ...base,
            id: found,
            outcome: 'missing',
            problem: `${record.xmlid} names ${record.model} ${found} with code ${code ?? '(none)'}, the stage configures ${record.code}`,
          });
        } else records.push({ ...base, id: found, outcome: 'found' });
        continue;
      }
      if (!create) {
        records.push({
          ...base,
          outcome: 'missing',
          problem: `${record.xmlid} (code ${record.code}) is missing`,
        });
        continue;
      }
      records.push({ ...base, ...(await findOrCreate(odoo, record)) });
    } catch (error) {
      if (!(error instanceof OdooError) || error.kind === 'transient') throw error;
      records.push({
        ...base,
        outcome: 'missing',
        problem: `${record.xmlid} (${record.model} code ${record.code}) is missing and ${odoo.connection.login} may not create it (${error.faultName}: ${error.message})`,
      });
    }
  }
  return { ready: records.every((r) => r.outcome !== 'missing'), records };
}

async function findOrCreate(
  odoo: OdooClient,
  record: HubRecord,
): Promise<{ id: number; outcome: 'linked' | 'created' }> {
  for (let attempt = 0; ; attempt++) {
    try {
      const [existing, ...more] = await odoo.call<number[]>(
        record.model,
        'search',
        [[['code', '=', record.code]]],
        {
          limit: 2,
        },
      );
      if (more.length) {
        throw new OdooError(
          'permanent',
          'rcm.AmbiguousReference',
          `more than one Odoo ${record.model} has code ${record.code}`,
        );
      }
      let id = existing;
      const outcome = id === undefined ? 'created' : 'linked';
      if (id === undefined) {
        const [created] = await odoo.call<number[]>(record.model, 'create', [[record.values]]);
        if (created === undefined)
          throw new OdooError('transient', 'rcm.NoId', `Odoo created no ${record.model}`);
        id = created;
      }
      const [module, name] = record.xmlid.split('.') as [string, string];
      await odoo.call('ir.model.data', 'create', [
        [{ module, name, model: record.model, res_id: id, noupdate: true }],
      ]);
      return { id, outcome };
    } catch (error) {
      // Another writer created the same code or external id first: the next round finds theirs.
      const raced = error instanceof OdooError && error.faultName === 'odoo.exceptions.ValidationError';
      if (!raced || attempt > 0) throw error;
      const found = await lookupXmlid(odoo, record);
      if (found !== undefined) return { id: found, outcome: 'linked' };
    }
  }
}

/** `ir.model.data.check_object_reference`: public, unlike reading `ir.model.data` (billing users may not). */
async function lookupXmlid(odoo: OdooClient, record: HubRecord): Promise<number | undefined> {
  const [module, name] = record.xmlid.split('.') as [string, string];
  try {
    // Named arguments: the same call over JSON-RPC (execute_kw kwargs) and JSON-2 (body).
    const [, id] = await odoo.call<[string, number | false]>('ir.model.data', 'check_object_reference', [], {
      module,
      xml_id: name,
    });
    return typeof id === 'number' ? id : undefined;
  } catch (error) {
    // Odoo: ValueError "External ID not found in the system: rcm_hub.x".
    if (error instanceof OdooError && /External ID not found/i.test(error.message)) return undefined;
    throw error;
  }
}

async function recordCode(odoo: OdooClient, model: string, id: number): Promise<string | undefined> {
  const [row] = await odoo.call<Array<{ code: string }>>(model, 'read', [[id]], { fields: ['code'] });
  return row?.code;
}

/**
 * The ids the posting roles and the bank journal resolve to, found by external id once per instance (ids
 * differ between databases). On first use it runs the setup (which an administrator's key completes and a
 * billing user's key only verifies); a setup that is not ready fails every booking with one error naming
 * what is missing, classified as configuration (retried, alarmed), never as a refusal of the document.
 */
export class OdooChart {
  private static readonly perClient = new WeakMap<OdooClient, OdooChart>();
  private ready: Promise<Map<string, number>> | undefined;

  /** One chart per client (a writer instance): the setup runs on its first booking, not on every one. */
  static of(odoo: OdooClient, setup: LedgerSetup = DEFAULT_LEDGER_SETUP): OdooChart {
    let chart = OdooChart.perClient.get(odoo);
    if (!chart || chart.setup !== setup) {
      chart = new OdooChart(odoo, setup);
      OdooChart.perClient.set(odoo, chart);
    }
    return chart;
  }

  constructor(
    private readonly odoo: OdooClient,
    private readonly setup: LedgerSetup = DEFAULT_LEDGER_SETUP,
  ) {}

  async accountId(role: OdooAccountRole): Promise<number> {
    return this.id(`${HUB_MODULE}.${ACCOUNT_RECORDS[role].name}`);
  }

  async bankJournalId(): Promise<number> {
    return this.id(`${HUB_MODULE}.journal_bank`);
  }

  async depositJournalId(): Promise<number> {
    return this.id(`${HUB_MODULE}.journal_era_deposits`);
  }

  private async id(xmlid: string): Promise<number> {
    if (!this.ready) {
      this.ready = this.load();
      this.ready.catch(() => {
        this.ready = undefined;
      });
    }
    const id = (await this.ready).get(xmlid);
    if (id === undefined) throw new OdooError('permanent', 'rcm.UnknownAccount', `no Odoo record ${xmlid}`);
    return id;
  }

  private async load(): Promise<Map<string, number>> {
    const report = await ensureHubSetup(this.odoo, this.setup);
    if (!report.ready) throw notSetUp(report);
    return new Map(report.records.map((r) => [r.xmlid, r.id as number]));
  }
}

export function notSetUp(report: SetupReport): OdooError {
  const problems = report.records.flatMap((r) => (r.problem ? [r.problem] : []));
  return new OdooError(
    'auth',
    'rcm.OdooNotSetUp',
    `Odoo is not set up for the hub: ${problems.join('; ')}. Run \`npm run odoo:setup\` with an Odoo administrator's key (docs/operations.md#odoo-setup).`,
  );
}
