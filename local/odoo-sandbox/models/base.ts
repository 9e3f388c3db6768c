/**
 * Master data: company, currencies, users, partners, chart of accounts, journals.
 * Ids follow a fresh Odoo 17 database with the generic chart: company 1, EUR 1 / USD 2
 * (base/data/res_currency_data.xml order), admin user 2 with partner 3.
 */
import { validationError } from '../errors.js';
import { baseCreate, baseWrite, type Env, type ModelDef, type Registry, type Vals } from '../orm.js';
import type { Row } from '../store.js';

export const COMPANY_ID = 1;
export const USD_ID = 2;
export const EUR_ID = 1;
export const ADMIN_UID = 2;

const company = (_env: Env) => COMPANY_ID;

const resCompany: ModelDef = {
  name: 'res.company',
  description: 'Companies',
  order: 'sequence, name',
  fields: {
    name: { type: 'char', string: 'Company Name', required: true },
    sequence: { type: 'integer', string: 'Sequence', default: () => 10 },
    currency_id: { type: 'many2one', string: 'Currency', relation: 'res.currency', required: true },
    partner_id: { type: 'many2one', string: 'Partner', relation: 'res.partner' },
    // account/models/company.py (17.0): fiscalyear_lock_date binds everyone, period_lock_date only
    // non-advisers; admin is an adviser (account.group_account_manager), see AccountMove lock logic.
    fiscalyear_lock_date: { type: 'date', string: 'Lock Date for All Users' },
    period_lock_date: { type: 'date', string: 'Lock Date for Non-Advisers' },
    tax_lock_date: { type: 'date', string: 'Tax Lock Date' },
    account_journal_payment_debit_account_id: {
      type: 'many2one',
      string: 'Journal Outstanding Receipts',
      relation: 'account.account',
    },
  },
};

const resCurrency: ModelDef = {
  name: 'res.currency',
  description: 'Currency',
  order: 'active desc, name',
  fields: {
    name: { type: 'char', string: 'Currency', required: true },
    symbol: { type: 'char', string: 'Symbol', required: true },
    rounding: { type: 'float', string: 'Rounding Factor', default: () => 0.01 },
    decimal_places: { type: 'integer', string: 'Decimal Places', default: () => 2 },
    active: { type: 'boolean', string: 'Active', default: () => true },
  },
};

const resUsers: ModelDef = {
  name: 'res.users',
  description: 'User',
  order: 'name, login',
  fields: {
    name: { type: 'char', string: 'Name', required: true },
    login: { type: 'char', string: 'Login', required: true },
    partner_id: { type: 'many2one', string: 'Related Partner', relation: 'res.partner' },
    company_id: { type: 'many2one', string: 'Company', relation: 'res.company' },
    active: { type: 'boolean', string: 'Active', default: () => true },
  },
};

function partnerDisplayName(env: Env, row: Row): string {
  const name = (row.name as string) || '';
  const parentId = row.parent_id as number | false;
  const parent = parentId ? env.store.get('res.partner', parentId) : undefined;
  if (parent && !row.is_company) return `${(parent.name as string) || ''}, ${name}`;
  return name;
}

/** company_type is Odoo's radio-button view of is_company (base/models/res_partner.py). */
function normalisePartnerVals(vals: Vals): Vals {
  const out = { ...vals };
  if ('company_type' in out) {
    out.is_company = out.company_type === 'company';
    delete out.company_type;
  }
  return out;
}

const resPartner: ModelDef = {
  name: 'res.partner',
  description: 'Contact',
  // base/models/res_partner.py: _order = "complete_name ASC, id DESC"
  order: 'name asc, id desc',
  fields: {
    name: { type: 'char', string: 'Name' },
    ref: { type: 'char', string: 'Reference' },
    type: {
      type: 'selection',
      string: 'Address Type',
      selection: [
        ['contact', 'Contact'],
        ['invoice', 'Invoice Address'],
        ['delivery', 'Delivery Address'],
        ['other', 'Other Address'],
      ],
      default: () => 'contact',
    },
    is_company: { type: 'boolean', string: 'Is a Company', default: () => false },
    company_type: {
      type: 'selection',
      string: 'Company Type',
      selection: [
        ['person', 'Individual'],
        ['company', 'Company'],
      ],
      compute: (_env, row) => (row.is_company ? 'company' : 'person'),
    },
    parent_id: { type: 'many2one', string: 'Related Company', relation: 'res.partner' },
    child_ids: { type: 'one2many', string: 'Contact', relation: 'res.partner', inverse: 'parent_id' },
    email: { type: 'char', string: 'Email' },
    phone: { type: 'char', string: 'Phone' },
    mobile: { type: 'char', string: 'Mobile' },
    street: { type: 'char', string: 'Street' },
    street2: { type: 'char', string: 'Street2' },
    city: { type: 'char', string: 'City' },
    zip: { type: 'char', string: 'Zip' },
    vat: { type: 'char', string: 'Tax ID' },
    comment: { type: 'html', string: 'Notes' },
    active: { type: 'boolean', string: 'Active', default: () => true },
    customer_rank: { type: 'integer', string: 'Customer Rank', default: () => 0 },
    supplier_rank: { type: 'integer', string: 'Supplier Rank', default: () => 0 },
    company_id: { type: 'many2one', string: 'Company', relation: 'res.company' },
    property_account_receivable_id: {
      type: 'many2one',
      string: 'Account Receivable',
      relation: 'account.account',
      compute: (env) => accountByCode(env, '121000'),
    },
    commercial_partner_id: {
      type: 'many2one',
      string: 'Commercial Entity',
      relation: 'res.partner',
      compute: (_env, row) => (row.is_company || !row.parent_id ? row.id : row.parent_id),
    },
  },
  displayName: partnerDisplayName,
  create(env, vals) {
    const normalised = normalisePartnerVals(vals);
    // base/models/res_partner.py _sql_constraints check_name; a CHECK violation becomes a
    // ValidationError "The operation cannot be completed: <constraint message>".
    const type = normalised.type ?? 'contact';
    if (type === 'contact' && !normalised.name) {
      throw validationError('The operation cannot be completed: Contacts require a name');
    }
    return baseCreate(env, 'res.partner', normalised);
  },
  write(env, ids, vals) {
    const normalised = normalisePartnerVals(vals);
    if ('name' in normalised && !normalised.name) {
      for (const row of env.ensure('res.partner', ids)) {
        if ((normalised.type ?? row.type) === 'contact') {
          throw validationError('The operation cannot be completed: Contacts require a name');
        }
      }
    }
    baseWrite(env, 'res.partner', ids, normalised);
  },
};

export const ACCOUNT_TYPES = [
  ['asset_receivable', 'Receivable'],
  ['asset_cash', 'Bank and Cash'],
  ['asset_current', 'Current Assets'],
  ['asset_non_current', 'Non-current Assets'],
  ['asset_prepayments', 'Prepayments'],
  ['asset_fixed', 'Fixed Assets'],
  ['liability_payable', 'Payable'],
  ['liability_credit_card', 'Credit Card'],
  ['liability_current', 'Current Liabilities'],
  ['liability_non_current', 'Non-current Liabilities'],
  ['equity', 'Equity'],
  ['equity_unaffected', 'Current Year Earnings'],
  ['income', 'Income'],
  ['income_other', 'Other Income'],
  ['expense', 'Expenses'],
  ['expense_depreciation', 'Depreciation'],
  ['expense_direct_cost', 'Cost of Revenue'],
  ['off_balance', 'Off-Balance Sheet'],
] as const;

const accountAccount: ModelDef = {
  name: 'account.account',
  description: 'Account',
  order: 'code, company_id',
  fields: {
    name: { type: 'char', string: 'Account Name', required: true },
    code: { type: 'char', string: 'Code', required: true },
    account_type: { type: 'selection', string: 'Type', selection: ACCOUNT_TYPES, required: true },
    reconcile: { type: 'boolean', string: 'Allow Reconciliation', default: () => false },
    deprecated: { type: 'boolean', string: 'Deprecated', default: () => false },
    company_id: { type: 'many2one', string: 'Company', relation: 'res.company', default: company },
    currency_id: { type: 'many2one', string: 'Account Currency', relation: 'res.currency' },
  },
  displayName: (_env, row) => `${row.code as string} ${row.name as string}`,
};

const accountJournal: ModelDef = {
  name: 'account.journal',
  description: 'Journal',
  order: 'sequence, type, code',
  fields: {
    name: { type: 'char', string: 'Journal Name', required: true },
    code: { type: 'char', string: 'Short Code', required: true },
    type: {
      type: 'selection',
      string: 'Type',
      required: true,
      selection: [
        ['sale', 'Sales'],
        ['purchase', 'Purchase'],
        ['cash', 'Cash'],
        ['bank', 'Bank'],
        ['general', 'Miscellaneous'],
      ],
    },
    sequence: { type: 'integer', string: 'Sequence', default: () => 10 },
    active: { type: 'boolean', string: 'Active', default: () => true },
    default_account_id: { type: 'many2one', string: 'Default Account', relation: 'account.account' },
    company_id: { type: 'many2one', string: 'Company', relation: 'res.company', default: company },
    currency_id: { type: 'many2one', string: 'Currency', relation: 'res.currency' },
    // account/models/account_journal.py: separate credit note / payment numbering
    refund_sequence: { type: 'boolean', string: 'Dedicated Credit Note Sequence', default: () => false },
    payment_sequence: { type: 'boolean', string: 'Dedicated Payment Sequence', default: () => false },
  },
};

export function accountByCode(env: Env, code: string): number {
  const ids = env.search('account.account', [['code', '=', code]], { limit: 1 }, false);
  const id = ids[0];
  if (id === undefined) throw new Error(`seed account ${code} missing`);
  return id;
}

export function registerBaseModels(registry: Registry): void {
  for (const model of [resCompany, resCurrency, resUsers, resPartner, accountAccount, accountJournal]) {
    registry.register(model);
  }
}

/** The chart a fresh database starts with (subset of the generic chart, l10n_generic_coa). */
export function seedBase(env: Env): void {
  const { store } = env;
  store.insert('res.currency', {
    id: EUR_ID,
    name: 'EUR',
    symbol: '€',
    rounding: 0.01,
    decimal_places: 2,
    active: false,
  });
  store.insert('res.currency', {
    id: USD_ID,
    name: 'USD',
    symbol: '$',
    rounding: 0.01,
    decimal_places: 2,
    active: true,
  });
  store.insert('res.partner', {
    id: 1,
    name: 'RCM Hub Demo Clinic',
    is_company: true,
    active: true,
    type: 'contact',
  });
  store.insert('res.partner', { id: 2, name: 'OdooBot', is_company: false, active: false, type: 'contact' });
  store.insert('res.partner', {
    id: 3,
    name: 'Mitchell Admin',
    is_company: false,
    active: true,
    type: 'contact',
  });
  store.insert('res.users', {
    id: 1,
    name: 'OdooBot',
    login: '__system__',
    partner_id: 2,
    company_id: 1,
    active: false,
  });
  store.insert('res.users', {
    id: ADMIN_UID,
    name: 'Mitchell Admin',
    login: 'admin',
    partner_id: 3,
    company_id: 1,
    active: true,
  });
  const accounts: [string, string, string, boolean][] = [
    ['101401', 'Bank', 'asset_cash', false],
    // The generic chart's codes as a stock Odoo 17 has them (101402 is the bank suspense account there).
    ['101402', 'Bank Suspense Account', 'asset_current', false],
    ['101403', 'Outstanding Receipts', 'asset_current', true],
    ['101404', 'Outstanding Payments', 'asset_current', true],
    ['101501', 'Cash', 'asset_cash', false],
    ['121000', 'Account Receivable', 'asset_receivable', true],
    ['211000', 'Account Payable', 'liability_payable', true],
    ['400000', 'Product Sales', 'income', false],
    ['450000', 'Other Income', 'income_other', false],
    ['600000', 'Expenses', 'expense', false],
    ['999999', 'Undistributed Profits/Losses', 'equity_unaffected', false],
  ];
  for (const [code, name, accountType, reconcile] of accounts) {
    store.insert('account.account', {
      code,
      name,
      account_type: accountType,
      reconcile,
      deprecated: false,
      company_id: 1,
    });
  }
  store.insert('res.company', {
    id: COMPANY_ID,
    name: 'RCM Hub Demo Clinic',
    sequence: 10,
    currency_id: USD_ID,
    partner_id: 1,
    fiscalyear_lock_date: false,
    period_lock_date: false,
    tax_lock_date: false,
    account_journal_payment_debit_account_id: accountByCode(env, '101403'),
  });
  const journals: [string, string, string, string | false, boolean, boolean][] = [
    ['Customer Invoices', 'INV', 'sale', '400000', true, false],
    ['Vendor Bills', 'BILL', 'purchase', '600000', true, false],
    ['Miscellaneous Operations', 'MISC', 'general', false, false, false],
    ['Bank', 'BNK1', 'bank', '101401', false, true],
    ['Cash', 'CSH1', 'cash', '101501', false, true],
  ];
  journals.forEach(([name, code, type, account, refundSequence, paymentSequence], index) => {
    store.insert('account.journal', {
      name,
      code,
      type,
      sequence: (index + 1) * 5,
      active: true,
      default_account_id: account ? accountByCode(env, account) : false,
      company_id: COMPANY_ID,
      currency_id: false,
      refund_sequence: refundSequence,
      payment_sequence: paymentSequence,
    });
  });
}

export function companyRow(env: Env): Row {
  return env.row('res.company', COMPANY_ID);
}

export function journalByType(env: Env, type: string): number {
  const id = env.search('account.journal', [['type', '=', type]], { limit: 1 })[0];
  if (id === undefined) throw validationError(`No journal of type ${type}`);
  return id;
}
