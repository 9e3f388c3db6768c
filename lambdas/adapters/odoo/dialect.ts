import { OdooError } from './errors.js';

/** Odoo's wire protocols: JSON-RPC (`/jsonrpc`, 8.0–21) and JSON-2 (`/json/2/<model>/<method>`, 19+). */
export type OdooProtocol = 'jsonrpc' | 'json2';

export interface OdooVersion {
  serverVersion: string;
  major: number;
}

/**
 * What differs between the Odoo versions the hub books into, named once (odoo.md, ../shared/odoo19/README.md),
 * so the ledger and readers ask the dialect instead of comparing version numbers. Chosen by the server version
 * the client reads when it connects (`OdooClient.dialect()`); every field below was checked against 17.0 and
 * 19.0 sources and servers (18.0 from its source: the payment model it introduced is what 19 still has).
 */
export interface OdooDialect {
  readonly name: 'odoo17' | 'odoo18' | 'odoo19';
  readonly version: OdooVersion;
  /** Protocols the server serves: JSON-2 exists from 19 on. */
  readonly protocols: readonly OdooProtocol[];
  /** The payment's memo, where the hub writes its `[<ref>]` marker: `ref` (17, the payment's move) or `memo`. */
  readonly paymentMemoField: 'ref' | 'memo';
  /**
   * The payment's link to the invoices it pays, which the register wizard sets (`lines.move_id.matched_payment_ids
   * += payment`, 18+; the inverse of the payment's `invoice_ids`); 17 has none.
   */
  readonly paymentInvoiceLink?: 'invoice_ids';
  /** `account.payment.state` values of a payment in the books (posted, not undone). */
  readonly livePaymentStates: readonly string[];
  /** `account.payment.state` values of a payment that was undone (cancelled or, on 18+, marked after reversal). */
  readonly undonePaymentStates: readonly string[];
  /**
   * How a posted payment is reversed: always by a reversing entry of its journal entry (the audit trail keeps
   * both). `markPaymentState` is the payment state the hub then writes so the payment reads as undone in
   * Odoo's own lists: 18+ keep a state of their own on the payment (`canceled`, what `button_cancel` sets);
   * in 17 the payment's state is its move's, which stays posted — the reversal is what shows.
   */
  readonly paymentReversal: { readonly markPaymentState?: 'canceled' };
  /**
   * Whether resetting a payment to draft removes its reconciliation (17: `button_draft` does; 19: it does not, and
   * `action_cancel` then deletes the draft entry). Why the hub never reverses by draft + cancel.
   */
  readonly draftUnreconcilesPayment: boolean;
  /** `res.users` field holding a user's groups: `groups_id` (17, 18), `group_ids` (19). */
  readonly userGroupsField: 'groups_id' | 'group_ids';
  /**
   * The `res.company` flag that forbids deleting posted entries (restricted audit trail), where a stock Invoicing
   * database has one: 19's `restrictive_audit_trail`. 17 has it only in the separate `account_audit_trail`
   * module (`check_account_audit_trail`), not installed by Invoicing.
   */
  readonly auditTrailField?: 'restrictive_audit_trail';
}

/** `server_version` as Odoo reports it (`17.0-20240709`, `19.0`, `saas~18.3`) → major and the raw text. */
export function parseOdooVersion(serverVersion: string): OdooVersion {
  const major = Number.parseInt(serverVersion.replace(/^saas~/, ''), 10);
  return { serverVersion, major: Number.isFinite(major) ? major : Number.NaN };
}

const ODOO17 = {
  name: 'odoo17',
  protocols: ['jsonrpc'],
  paymentMemoField: 'ref',
  livePaymentStates: ['posted'],
  undonePaymentStates: ['cancel'],
  paymentReversal: {},
  draftUnreconcilesPayment: true,
  userGroupsField: 'groups_id',
} as const;

const ODOO18 = {
  name: 'odoo18',
  protocols: ['jsonrpc'],
  paymentMemoField: 'memo',
  paymentInvoiceLink: 'invoice_ids',
  livePaymentStates: ['in_process', 'paid'],
  undonePaymentStates: ['canceled', 'rejected'],
  paymentReversal: { markPaymentState: 'canceled' },
  draftUnreconcilesPayment: false,
  userGroupsField: 'groups_id',
} as const;

const ODOO19 = {
  ...ODOO18,
  name: 'odoo19',
  protocols: ['jsonrpc', 'json2'],
  userGroupsField: 'group_ids',
  auditTrailField: 'restrictive_audit_trail',
} as const;

/**
 * The dialect of a server version: 17, 18 and 19 by name; a later version speaks 19's dialect (the newest the
 * hub knows) and anything before 17 is refused as a misconfiguration rather than booked into blindly.
 */
export function odooDialect(version: OdooVersion): OdooDialect {
  const { major } = version;
  if (!Number.isFinite(major) || major < 17) {
    throw new OdooError(
      'misconfiguration',
      'rcm.UnsupportedOdooVersion',
      `Odoo ${version.serverVersion} is not supported: the hub books into Odoo 17, 18 and 19`,
    );
  }
  const base = major >= 19 ? ODOO19 : major === 18 ? ODOO18 : ODOO17;
  return { ...base, version };
}

/** A connection's protocol must be one the server serves: JSON-2 against 17 or 18 is a setup error. */
export function checkProtocol(dialect: OdooDialect, protocol: OdooProtocol): void {
  if (!dialect.protocols.includes(protocol)) {
    throw new OdooError(
      'misconfiguration',
      'rcm.UnsupportedProtocol',
      `Odoo ${dialect.version.serverVersion} does not serve ${protocol === 'json2' ? 'JSON-2' : 'JSON-RPC'}; set ODOO_PROTOCOL to ${dialect.protocols.join(' or ')}`,
    );
  }
}
