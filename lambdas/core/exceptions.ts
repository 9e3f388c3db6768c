import * as z from 'zod';
import type { AuditAction, AuditFact, AuditLine } from './audit.js';
import type { EventEnvelope } from './envelope.js';
import type { ExceptionOpened } from './events.js';
import {
  EXCEPTION_STATUSES,
  EXCEPTION_TEAMS,
  type ExceptionAction,
  type ExceptionStatus,
  type ExceptionSubjects,
  type ExceptionTeam,
  exceptionIdFor,
  exceptionScope,
  type Redrive,
  redriveFor,
  retryAttemptOf,
} from './exception-keys.js';
import { CorrelationId, PartnerId } from './identifiers.js';
import type { TriageSubject } from './triage/signals.js';
import { ActionSchema, CauseSchema, type Triage, TriageView } from './triage/triage.js';

/**
 * The exception register (docs/operations.md#exceptions): every `ExceptionOpened` on the bus becomes one
 * entry a person can find, resolve with a note, or retry. The rules here are pure: which id an exception
 * gets, what can be re-driven, which status moves are allowed, and how an action is written to the audit.
 */
export {
  EXCEPTION_STATUSES,
  EXCEPTION_TEAMS,
  type ExceptionAction,
  type ExceptionStatus,
  type ExceptionSubjects,
  type ExceptionTeam,
  exceptionIdFor,
  exceptionScope,
  RETRY_ATTRIBUTES,
  type Redrive,
  redriveFor,
  resolvedEventIdFor,
  retryAttemptOf,
  retryKey,
  subjectsOf,
} from './exception-keys.js';

/** The next status for an action, or why it is refused. */
export function transition(
  status: ExceptionStatus,
  action: ExceptionAction,
  redrive: Redrive,
): { ok: true; status: ExceptionStatus } | { ok: false; reason: string } {
  if (status !== 'open') return { ok: false, reason: `the exception is already ${status}` };
  if (action === 'retry' && redrive.kind === 'none')
    return {
      ok: false,
      reason: 'nothing can be re-driven for this exception; resolve it with a note instead',
    };
  return { ok: true, status: action === 'resolve' ? 'resolved' : 'retried' };
}

/** One line of an exception's audit trail as the API shows it (core/audit.ts keeps the chained lines). */
export interface AuditEntry {
  at: string;
  action: Exclude<AuditAction, 'replayed'>;
  /** OAuth client id of the caller (or of the event's cause for `opened`, or the automation's name). */
  clientId: string;
  note?: string;
}

/** The first line of every exception's trail (version 1); triage on the way in adds `triaged` (version 2). */
export function openingFact(entry: ExceptionEntry, openedBy: string): AuditFact & { entryVersion: number } {
  return { at: entry.openedAt, action: 'opened', actor: openedBy, entryVersion: 1 };
}

export function auditTrailView(lines: readonly AuditLine[]): AuditEntry[] {
  return [...lines]
    .sort((a, b) => a.seq - b.seq)
    .map((line) => ({
      at: line.at,
      action: line.action as AuditEntry['action'],
      clientId: line.actor,
      ...(line.note !== undefined ? { note: line.note } : {}),
    }));
}

/** One register entry. */
export interface ExceptionEntry {
  id: string;
  key: string;
  scope: string;
  team: ExceptionTeam;
  status: ExceptionStatus;
  reason: string;
  amountCents: number;
  payerId?: string;
  facilityId?: string;
  subjects: ExceptionSubjects;
  openedAt: string;
  updatedAt: string;
  /** The event whose processing opened it (the held or refused event, the webhook receipt…). */
  sourceEventId: string;
  /** The `ExceptionOpened` event the entry was projected from. */
  openedByEventId: string;
  redrive: Redrive;
  /** 0 for a first exception, n for the one a failed n-th retry opened. */
  attempt: number;
  retryOf?: string;
  retriedAs?: string;
  resolution?: {
    code?: string;
    /** Denials only: not-recoverable queued the write-off to the denial account (denial-write-off.ts). */
    outcome?: 'recoverable' | 'not-recoverable';
    note: string;
    at: string;
    clientId: string;
    /** The cause and action the person chose (docs/triage.md): what the triage model learns from. */
    cause?: Triage['cause'];
    action?: Triage['nextAction']['action'];
    /** How the choice compares with the suggestion, and which model version made it. */
    feedback?: {
      suggestedCause?: Triage['cause'];
      modelVersion?: string;
      outcome: 'accepted' | 'overridden' | 'unlabelled';
    };
  };
  /** The latest triage (lambdas/core/triage): a suggestion; it never changes money or status. */
  triage?: Triage;
  redriven?: { kind: Redrive['kind']; from: string; reference: string; at: string };
  /** Bumped by every change; each change is the audit line with this number (core/audit.ts). */
  version: number;
}

/** The entry an `ExceptionOpened` makes: deterministic, so a redelivered event makes the same one. */
export function entryFromOpened(envelope: EventEnvelope<'ExceptionOpened', ExceptionOpened>): ExceptionEntry {
  const data = envelope.data;
  const scope = exceptionScope(envelope);
  const subjects: ExceptionSubjects = Object.fromEntries(
    Object.entries({
      encounterId: envelope.encounterId,
      claimId: data.claimId,
      invoiceId: data.invoiceId,
      traceNumber: data.traceNumber,
      correlationId: envelope.correlationId,
    }).filter(([, v]) => typeof v === 'string' && v.length > 0),
  );
  return {
    id: exceptionIdFor(scope, data.key),
    key: data.key,
    scope,
    team: data.team,
    status: 'open',
    reason: data.reason,
    amountCents: data.amountCents,
    ...(data.payerId ? { payerId: data.payerId } : {}),
    ...(envelope.facilityId ? { facilityId: envelope.facilityId } : {}),
    subjects,
    openedAt: envelope.time,
    updatedAt: envelope.time,
    sourceEventId: data.sourceEventId,
    openedByEventId: envelope.id,
    redrive: redriveFor(data.key, data.sourceEventId, envelope.encounterId),
    attempt: retryAttemptOf(data.key),
    ...(data.retryOf ? { retryOf: data.retryOf } : {}),
    version: 1,
  };
}

// ---- API shapes (GET/POST /v1/exceptions…) ----

export const ExceptionId = z
  .string()
  .uuid('must be an exception id as GET /v1/exceptions lists them')
  .meta({ id: 'ExceptionId', example: 'f25ea16c-4a8c-5d9d-9916-3deba6fe8308' });

export const ExceptionListQuery = z
  .object({
    team: z.enum(EXCEPTION_TEAMS).optional().meta({ description: 'Only this team’s exceptions' }),
    status: z
      .enum(EXCEPTION_STATUSES)
      .optional()
      .meta({ description: 'Only exceptions in this status (all when omitted: open first)' }),
    payerId: PartnerId.optional().meta({ description: 'Only exceptions about this payer' }),
    encounterId: PartnerId.optional().meta({ description: 'Exceptions of this encounter' }),
    claimId: PartnerId.optional().meta({ description: 'Exceptions about this claim' }),
    invoiceId: PartnerId.optional().meta({ description: 'Exceptions about this invoice (our invoice id)' }),
    traceNumber: z
      .string()
      .min(1)
      .max(64)
      .optional()
      .meta({ description: 'Exceptions about this check/EFT trace number' }),
    correlationId: CorrelationId.optional().meta({
      description: 'Exceptions caused by the request with this X-Correlation-Id',
    }),
    sort: z.enum(['openedAt', 'priority', 'exposure']).optional().meta({
      description:
        'openedAt (default): newest first. priority / exposure: open exceptions by revenue exposure, highest first, with their priority rank per team (docs/triage.md)',
    }),
    limit: z.coerce.number().int().min(1).max(200).default(50).meta({ description: 'Page size' }),
    cursor: z
      .string()
      .max(2048)
      .optional()
      .meta({ description: 'nextCursor of the previous page, as issued; other values answer 400' }),
  })
  .strict();
export type ExceptionListQuery = z.infer<typeof ExceptionListQuery>;

export const ResolveExceptionRequest = z
  .object({
    note: z
      .string()
      .min(1)
      .max(2000)
      .regex(/\S/, 'must say what was done')
      .meta({ description: 'What was done; kept in the audit trail (no patient data)' }),
    resolutionCode: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[A-Za-z0-9._:-]+$/, 'must use only A-Z a-z 0-9 . _ : -')
      .optional()
      .meta({ description: 'Your own code for how it was resolved (e.g. written-off, fixed-in-odoo)' }),
    cause: CauseSchema.optional().meta({
      description: 'The cause you found (docs/triage.md#taxonomy); the triage model learns from it',
    }),
    action: ActionSchema.optional().meta({ description: 'What you did about it' }),
    outcome: z.enum(['recoverable', 'not-recoverable']).optional().meta({
      description:
        'Denial exceptions only (era:<id>:denied, era:<id>:denied-lines): not-recoverable writes the denied amount still open off to the denial account in Odoo; recoverable (the default) books nothing (appealed, rebilled)',
    }),
  })
  .strict()
  .meta({ id: 'ResolveExceptionRequest' });
export type ResolveExceptionRequest = z.infer<typeof ResolveExceptionRequest>;

export const RetryExceptionRequest = z
  .object({
    note: z
      .string()
      .min(1)
      .max(2000)
      .optional()
      .meta({ description: 'Why it is retried; kept in the audit trail' }),
  })
  .strict()
  .meta({ id: 'RetryExceptionRequest' });
export type RetryExceptionRequest = z.infer<typeof RetryExceptionRequest>;

const RedriveView = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('dead-letter'), eventId: z.string() }),
  z.object({ kind: z.literal('held'), eventId: z.string(), encounterId: z.string() }),
  z.object({ kind: z.literal('quarantined-webhook'), source: z.string(), deliveryId: z.string() }),
  z.object({ kind: z.literal('none') }),
]);

export const ExceptionView = z
  .object({
    id: ExceptionId,
    key: z.string().meta({ description: 'Stable per cause (docs/operations.md#exceptions)' }),
    team: z.enum(EXCEPTION_TEAMS),
    status: z.enum(EXCEPTION_STATUSES),
    reason: z.string(),
    amountCents: z.number().int().meta({ description: 'Revenue at stake' }),
    payerId: z.string().optional(),
    subjects: z.object({
      encounterId: z.string().optional(),
      claimId: z.string().optional(),
      invoiceId: z.string().optional(),
      traceNumber: z.string().optional(),
      correlationId: z.string().optional(),
    }),
    openedAt: z.string(),
    updatedAt: z.string(),
    sourceEventId: z.string(),
    redrive: RedriveView.meta({ description: 'What POST …/retry re-drives (kind none: resolve only)' }),
    attempt: z.number().int().meta({ description: 'n when a failed n-th retry opened it' }),
    retryOf: ExceptionId.optional().meta({ description: 'The exception whose retry failed into this one' }),
    retriedAs: ExceptionId.optional().meta({ description: 'The exception its retry failed into' }),
    resolution: z
      .object({
        code: z.string().optional(),
        outcome: z.enum(['recoverable', 'not-recoverable']).optional(),
        note: z.string(),
        at: z.string(),
        clientId: z.string(),
        cause: CauseSchema.optional(),
        action: ActionSchema.optional(),
        feedback: z
          .object({
            suggestedCause: CauseSchema.optional(),
            modelVersion: z.string().optional(),
            outcome: z.enum(['accepted', 'overridden', 'unlabelled']),
          })
          .optional()
          .meta({ description: 'The person’s cause against the triage suggestion (acceptance is measured)' }),
      })
      .optional(),
    triage: TriageView.optional().meta({
      description: 'Probable cause, evidence, exposure and next action (a suggestion; people decide)',
    }),
    redriven: z
      .object({
        kind: z.enum(['dead-letter', 'held', 'quarantined-webhook', 'none']),
        from: z.string().meta({ description: 'dead-letter-queue, stored-copy, held or quarantine' }),
        reference: z
          .string()
          .meta({ description: 'The re-driven message: its deduplication id or delivery' }),
        at: z.string(),
      })
      .optional(),
    audit: z.array(
      z.object({
        at: z.string(),
        action: z.enum(['opened', 'triaged', 'retried', 'retry-failed', 'resolved', 'cleared']),
        clientId: z.string(),
        note: z.string().optional(),
      }),
    ),
  })
  .meta({ id: 'Exception' });
export type ExceptionView = z.infer<typeof ExceptionView>;

export const ExceptionList = z
  .object({ items: z.array(ExceptionView), nextCursor: z.string().optional() })
  .meta({ id: 'ExceptionList' });

/** What triage reads of an entry (lambdas/core/triage/signals.ts): ids, wording, money, age — no patient data. */
export function triageSubject(entry: ExceptionEntry): TriageSubject {
  return {
    id: entry.id,
    key: entry.key,
    team: entry.team,
    reason: entry.reason,
    amountCents: entry.amountCents,
    ...(entry.payerId ? { payerId: entry.payerId } : {}),
    openedAt: entry.openedAt,
    attempt: entry.attempt,
    redriveKind: entry.redrive.kind,
    ...(entry.subjects.encounterId ? { encounterId: entry.subjects.encounterId } : {}),
  };
}

/**
 * What the API shows of an entry (its internals — scope, version, source event of the projection — stay in),
 * with its audit trail read from the audit table.
 */
export function exceptionView(entry: ExceptionEntry, trail: readonly AuditLine[]): ExceptionView {
  const {
    scope: _scope,
    version: _version,
    openedByEventId: _opened,
    facilityId: _facility,
    ...view
  } = entry;
  return { ...view, audit: auditTrailView(trail) };
}
