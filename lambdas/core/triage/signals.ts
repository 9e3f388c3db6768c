/**
 * The signals triage reads off an exception (docs/triage.md#signals). Each is a discrete token the model
 * counts (`kind:odoo-write`, `fault:ValidationError`, `carc:denial_authorization`…) with the plain words a
 * finance reader sees in the evidence. Only what the register already holds is read: the key, team, reason
 * text, amount, retries, age and the payer's own history — never patient data.
 */
import { CARC_CLASS, type Cause, TAXONOMY } from './taxonomy.js';

/** What triage needs of a register entry (lambdas/core/exceptions.ts ExceptionEntry has all of it). */
export interface TriageSubject {
  id: string;
  key: string;
  team: string;
  reason: string;
  amountCents: number;
  payerId?: string;
  openedAt: string;
  attempt: number;
  redriveKind: string;
  encounterId?: string;
}

export interface Signal {
  /** The token the model counts. */
  token: string;
  /** What it means, in plain words. */
  text: string;
}

/** The key's cause family: `odoo-write:E1:retry:2` → odoo-write, `era:R1:denied` → era:denied. */
export function keyKind(key: string): string {
  const parts = key.split(':');
  const head = parts[0] ?? key;
  switch (head) {
    case 'era':
      return `era:${parts[2] ?? 'other'}`;
    case 'recon':
    case 'sla':
    case 'anomaly':
    case 'unmatched':
      return `${head}:${parts[1] ?? 'other'}`;
    default:
      return head;
  }
}

const KIND_TEXT: Record<string, string> = {
  'odoo-write': 'Odoo refused or kept failing the write',
  held: 'the event waited for a document it depends on',
  'claim-status': 'the payer sent a claim status that needs attention',
  webhook: 'an inbound webhook could not be mapped (quarantined)',
  'webhook-delivery': 'a partner webhook could not be delivered',
  refund: 'a partial refund must be booked by hand',
};

export function kindText(kind: string): string {
  if (KIND_TEXT[kind]) return KIND_TEXT[kind] as string;
  const [family, detail] = kind.split(':');
  switch (family) {
    case 'era':
      return `the remittance was not posted (${detail?.replace(/-/g, ' ')})`;
    case 'recon':
      return `reconciliation found ${detail?.replace(/_/g, ' ')}`;
    case 'sla':
      return `the encounter stayed too long in ${detail?.replace(/_/g, ' ')}`;
    case 'anomaly':
      return `the payer's ${detail?.replace(/-/g, ' ')} moved away from normal`;
    case 'unmatched':
      return `a ${detail} arrived for something the hub does not know`;
    default:
      return `exception of kind ${kind}`;
  }
}

/** Odoo fault classes (odoo.md) and transport failures, as named in reasons. */
const FAULTS: Array<[RegExp, string, string]> = [
  [/PoolError|connection pool is full/i, 'PoolError', 'Odoo was overloaded (connection pool full)'],
  [/SerializationFailure|could not serialize/i, 'SerializationFailure', 'Odoo hit a concurrent update'],
  [/AccessDenied|Unauthorized|credentials/i, 'AccessDenied', 'Odoo refused the hub’s credentials'],
  [/AccessError/i, 'AccessError', 'Odoo refused access to a record or method'],
  [/ValidationError/i, 'ValidationError', 'Odoo refused the data as invalid (ValidationError)'],
  // A refusal inside `load` keeps only Odoo's message, not the exception's name (odoo/models.py `load`).
  [
    /MissingError|Record does not exist or has been deleted/i,
    'MissingError',
    'Odoo could not find a record the write names (MissingError)',
  ],
  [/UserError/i, 'UserError', 'Odoo refused the operation (UserError)'],
  [
    /timed? ?out|ETIMEDOUT|ECONNRESET|ECONNREFUSED|HTTP 5\d\d|unavailable/i,
    'transport',
    'Odoo did not answer',
  ],
  [/gave up after \d+ attempts/i, 'gave-up', 'the hub retried several times before giving up'],
];

/** Words in reasons that tell causes apart (a fixed vocabulary, so the model never learns free text). */
const WORDS: Array<[RegExp, string, string]> = [
  [
    // Not a model name such as account.move, which every invoice reason names.
    /\b(journal|account(?:ing)?|tax|sequence|chart)\b(?!\.)/i,
    'config',
    'names an Odoo journal, account, tax or sequence',
  ],
  [
    /\b(partner|patient|payer)\b.*\b(not found|missing|unknown|differs|mismatch)|\b(unknown|missing) (partner|patient|payer)/i,
    'master-data',
    'names a missing or different patient/payer',
  ],
  [
    /\bnot found\b|\bnever\b|\bno (claim|invoice)\b|does not know|unknown claim/i,
    'not-found',
    'says a claim or invoice is not known',
  ],
  [
    /\bduplicate|\btwice\b|more than once|repeats|already posted|already (exists|recorded)/i,
    'duplicate',
    'mentions a duplicate',
  ],
  [/\bwaited\b|\bwaiting\b|\bheld\b/i, 'waiting', 'says the event is waiting'],
  [
    /\b(less|short|underpaid|took back|recoup|variance|differs)\b/i,
    'short',
    'mentions a short payment or a variance',
  ],
  [/\b(authori[sz]ation|referral|precert)/i, 'auth', 'mentions authorization or referral'],
  [/\b(eligib|coverage|not covered|terminated)/i, 'eligibility', 'mentions eligibility or coverage'],
  [/\b(timely|filing limit|late)\b/i, 'timely', 'mentions the filing limit'],
  [
    /\b(invalid|malformed|cannot map|could not be mapped|schema|unmapped)\b/i,
    'invalid',
    'says the data could not be read',
  ],
];

const HOUR = 3_600_000;

function ageBucket(ageMs: number): [string, string] {
  const days = ageMs / (24 * HOUR);
  if (days < 1) return ['lt1d', 'open less than a day'];
  if (days < 7) return ['1-7d', `open ${Math.floor(days)} days`];
  if (days < 30) return ['7-30d', `open ${Math.floor(days)} days`];
  return ['30d+', `open ${Math.floor(days)} days`];
}

function amountBucket(cents: number): [string, string] {
  const dollars = Math.abs(cents) / 100;
  if (dollars === 0) return ['zero', 'no money at stake'];
  if (dollars < 100) return ['lt100', 'under $100 at stake'];
  if (dollars < 1000) return ['lt1k', 'under $1,000 at stake'];
  if (dollars < 10000) return ['lt10k', 'under $10,000 at stake'];
  return ['10k+', '$10,000 or more at stake'];
}

/** CARCs named in a reason as `CO-197`, `PR-1`, `OA:18`… */
export function carcCodes(reason: string): string[] {
  const found = new Set<string>();
  for (const match of reason.matchAll(/\b(CO|PR|OA|PI|CR)[-: ](\w{1,5})\b/g)) found.add(match[2] as string);
  return [...found];
}

export interface SignalContext {
  /** Milliseconds since the epoch at triage time. */
  now: number;
  /** The cause people most often chose for this payer's resolved exceptions, if any. */
  payerHistory?: Cause;
}

export function signalsOf(subject: TriageSubject, context: SignalContext): Signal[] {
  const signals: Signal[] = [];
  const kind = keyKind(subject.key);
  signals.push({ token: `kind:${kind}`, text: kindText(kind) });
  signals.push({ token: `team:${subject.team}`, text: `routed to ${subject.team}` });
  for (const [pattern, name, text] of FAULTS) {
    if (pattern.test(subject.reason)) signals.push({ token: `fault:${name}`, text });
  }
  for (const [pattern, name, text] of WORDS) {
    if (pattern.test(subject.reason)) signals.push({ token: `word:${name}`, text: `the reason ${text}` });
  }
  const classes = new Set<Cause>();
  for (const code of carcCodes(subject.reason)) {
    const cls = CARC_CLASS[code];
    if (cls && !classes.has(cls)) {
      classes.add(cls);
      signals.push({
        token: `carc:${cls}`,
        text: `reason code ${code} (${TAXONOMY[cls].label.replace(/^Payer denial: /, '')})`,
      });
    }
  }
  const attempt = subject.attempt >= 2 ? '2+' : String(subject.attempt);
  if (subject.attempt > 0)
    signals.push({ token: `attempt:${attempt}`, text: `already retried ${subject.attempt} time(s)` });
  const [age, ageText] = ageBucket(Math.max(0, context.now - Date.parse(subject.openedAt)));
  signals.push({ token: `age:${age}`, text: ageText });
  const [amount, amountText] = amountBucket(subject.amountCents);
  signals.push({ token: `amount:${amount}`, text: amountText });
  if (context.payerHistory)
    signals.push({
      token: `payer:${context.payerHistory}`,
      text: `people most often resolved this payer's exceptions as “${TAXONOMY[context.payerHistory].label}”`,
    });
  return signals;
}
