/**
 * Odoo failures, classified once here so every caller retries the same way (odoo.md):
 *  - transient: worth retrying — network, HTTP 5xx/HTML pages under overload, pool exhaustion,
 *    serialization failures after Odoo's own retries, timeouts;
 *  - auth: credentials refused — retried (an operator may be rotating the key) and alarmed on;
 *  - permanent: Odoo refuses the business content (validation, user errors, missing records, bad
 *    method) — retrying cannot help; dead-letter with the reason.
 */
export type OdooFailureKind = 'transient' | 'auth' | 'permanent';

export class OdooError extends Error {
  constructor(
    readonly kind: OdooFailureKind,
    /** Odoo's `error.data.name` (e.g. `odoo.exceptions.ValidationError`), or a transport label. */
    readonly faultName: string,
    message: string,
    readonly httpStatus?: number,
  ) {
    super(message);
    this.name = 'OdooError';
  }
}

const TRANSIENT_FAULTS = [
  'psycopg2.pool.PoolError',
  'psycopg2.errors.SerializationFailure',
  'psycopg2.extensions.TransactionRollbackError',
  'psycopg2.errors.LockNotAvailable',
  'psycopg2.errors.DeadlockDetected',
  'odoo.addons.base.models.ir_cron.LockNotAvailable',
  'werkzeug.exceptions.ServiceUnavailable',
  'werkzeug.exceptions.GatewayTimeout',
  'werkzeug.exceptions.TooManyRequests',
];

const AUTH_FAULTS = [
  'odoo.exceptions.AccessDenied',
  'werkzeug.exceptions.Unauthorized',
  'odoo.http.SessionExpiredException',
];

const UNIQUE_NAME = /account_move_unique_name|Another entry with the same name already exists/i;

export function classifyOdooFault(faultName: string, message = ''): OdooFailureKind {
  if (TRANSIENT_FAULTS.includes(faultName)) return 'transient';
  if (AUTH_FAULTS.includes(faultName)) return 'auth';
  // An unknown database is a configuration fault, not the document's: keep retrying until someone fixes it.
  if (faultName === 'psycopg2.OperationalError')
    return /does not exist/i.test(message) ? 'auth' : 'transient';
  if (/could not serialize access|concurrent update|connection pool is full/i.test(message))
    return 'transient';
  // Two writers raced for the first number of a journal/year sequence (sequence.mixin names the first draft at
  // once): Odoo refuses the second posting with the unique index on (name, journal). Not the data's fault: a
  // retry numbers it anew (the ledger resets a draft's duplicate name before posting it again).
  if (faultName === 'odoo.exceptions.ValidationError' && UNIQUE_NAME.test(message)) return 'transient';
  return 'permanent';
}

export function classifyHttpStatus(status: number): OdooFailureKind {
  if (status === 401 || status === 403) return 'auth';
  if (status === 408 || status === 429 || status >= 500) return 'transient';
  return 'permanent';
}

export function isRetryable(error: unknown): boolean {
  return !(error instanceof OdooError) || error.kind !== 'permanent';
}
