/**
 * Odoo failures, classified once here so every caller retries the same way (odoo.md):
 *  - transient: worth retrying — network, HTTP 5xx/HTML pages under overload, pool exhaustion,
 *    serialization failures after Odoo's own retries, timeouts;
 *  - auth: credentials refused — retried (an operator may be rotating the key) and alarmed on;
 *  - misconfiguration: the hub's Odoo setup is wrong, not the document — an unknown database (JSON-2 answers
 *    it with a 404 HTML page), a model or method this Odoo lacks, rights the integration user lacks, an
 *    unsupported version or protocol — retried like auth until an operator fixes it, never blamed on the data;
 *  - permanent: Odoo refuses the business content (validation, user errors, missing records, bad
 *    method) — retrying cannot help; dead-letter with the reason.
 */
export type OdooFailureKind = 'transient' | 'auth' | 'misconfiguration' | 'permanent';

export class OdooError extends Error {
  constructor(
    readonly kind: OdooFailureKind,
    /** Odoo's `error.data.name` (e.g. `odoo.exceptions.ValidationError`), or a transport label. */
    readonly faultName: string,
    message: string,
    readonly httpStatus?: number,
    /**
     * Where Odoo refused: the frames of its traceback (`debug`), without source lines or the exception's
     * message (`tracebackFrames`), for the hub's log — Odoo's own log keeps only a UserError's message.
     */
    readonly debug?: string,
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
    return /does not exist/i.test(message) ? 'misconfiguration' : 'transient';
  // JSON-2: a model or method this Odoo does not have (a module not installed, another version's API).
  if (faultName === 'werkzeug.exceptions.NotFound') return 'misconfiguration';
  // The integration user lacks a group (ACL): an operator grants it; a private method stays permanent.
  if (faultName === 'odoo.exceptions.AccessError' && /you are not allowed to/i.test(message))
    return 'misconfiguration';
  if (/could not serialize access|concurrent update|connection pool is full/i.test(message))
    return 'transient';
  // Two writers raced for the first number of a journal/year sequence (sequence.mixin names the first draft at
  // once): Odoo refuses the second posting with the unique index on (name, journal). Not the data's fault: a
  // retry numbers it anew (the ledger resets a draft's duplicate name before posting it again).
  if (faultName === 'odoo.exceptions.ValidationError' && UNIQUE_NAME.test(message)) return 'transient';
  return 'permanent';
}

/**
 * An answer that is not JSON: Odoo's (or a proxy's) HTML error page. A 404 page means the URL or database names
 * no Odoo endpoint (JSON-2 with an unknown `X-Odoo-Database`): a setup error, not the document's.
 */
export function classifyHtmlPage(status: number): OdooFailureKind {
  if (status === 404) return 'misconfiguration';
  return classifyHttpStatus(status);
}

export function classifyHttpStatus(status: number): OdooFailureKind {
  if (status === 401 || status === 403) return 'auth';
  if (status === 408 || status === 429 || status >= 500) return 'transient';
  return 'permanent';
}

export function isRetryable(error: unknown): boolean {
  return !(error instanceof OdooError) || error.kind !== 'permanent';
}

const MAX_FRAMES = 12;

/**
 * The frames of a Python traceback (`File "…", line N, in f`) and the exception's class, innermost last, at most
 * the last 12 frames: enough to name the line that refused. Source lines and the exception's message are left
 * out — a message may quote a partner's name (PHI stays out of logs); the message is kept elsewhere.
 */
export function tracebackFrames(debug: unknown): string | undefined {
  if (typeof debug !== 'string' || !debug.trim()) return undefined;
  const lines = debug.split('\n');
  const isFrame = (line: string) => /^\s*File "[^"]*", line \d+, in \S+/.test(line);
  const frames = lines
    .filter(isFrame)
    .map((line) => line.trim().replace(/^File "(?:[^"]*?\/)?(odoo\/[^"]*|[^"/]*)"/, 'File "$1"'));
  // The exception is the first unindented line after the innermost frame: `odoo.exceptions.UserError: …`.
  let innermost = -1;
  lines.forEach((line, index) => {
    if (isFrame(line)) innermost = index;
  });
  const raised = lines.slice(innermost + 1).find((line) => line.length > 0 && !/^\s/.test(line));
  const exception = raised && /^[A-Za-z_][\w.]*/.exec(raised)?.[0];
  const kept = frames.slice(-MAX_FRAMES);
  const skipped = frames.length - kept.length;
  return [
    ...(skipped > 0 ? [`… ${skipped} outer frames`] : []),
    ...kept,
    ...(exception ? [exception] : []),
  ].join('\n');
}
