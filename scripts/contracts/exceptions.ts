/**
 * Contracts of the exception register routes (docs/operations.md#exceptions; lambdas/handlers/exceptions.ts).
 * Examples are built by the register's own rule (lambdas/core/exceptions.ts entryFromOpened) from the samples:
 * the patient's overpayment (finance) and an invoice Odoo refused (integration, re-drivable from the DLQ).
 */
import { InvalidCursor } from '../../lambdas/adapters/dynamodb/workflow-store.js';
import { ProblemType } from '../../lambdas/adapters/http/problem.js';
import {
  type AuditFact,
  type AuditLine,
  AuditTrailView,
  auditStreams,
  chainLine,
  verifiedTrailView,
} from '../../lambdas/core/audit.js';
import { type EventEnvelope, EventSource, followUpEvent } from '../../lambdas/core/envelope.js';
import type { ExceptionOpened } from '../../lambdas/core/events.js';
import {
  type ExceptionEntry,
  ExceptionId,
  ExceptionList,
  ExceptionListQuery,
  ExceptionView,
  entryFromOpened,
  exceptionView,
  openingFact,
} from '../../lambdas/core/exceptions.js';
import type { ErrorCase, OperationContract, Samples } from './operations.js';
import { invalidQueryCase } from './query-errors.js';

const OPERATOR = '4k9financeops0client0id7q';
const RESOLVED_AT = '2026-11-21T09:12:40.118Z';
const RETRIED_AT = '2026-11-21T09:40:02.771Z';

/** The finance exception the sample payment opened, as the register holds it. */
export function overpaymentEntry(s: Samples): ExceptionEntry {
  return entryFromOpened(s.events.ExceptionOpened as EventEnvelope<'ExceptionOpened', ExceptionOpened>);
}

/** The integration exception the sample refusal of the invoice opened (OdooWriteRejected). */
export function refusedInvoiceEntry(s: Samples): ExceptionEntry {
  const rejected = s.events.OdooWriteRejected as EventEnvelope;
  const invoice = s.events.InvoiceIssued.data;
  const opened = followUpEvent(
    rejected,
    'ExceptionOpened',
    EventSource.workflow,
    {
      key: `odoo-write:${s.events.InvoiceIssued.id}`,
      team: 'integration' as const,
      reason: `InvoiceIssued refused by Odoo: ${s.events.OdooWriteRejected.data.reason}`,
      amountCents: invoice.totalCents,
      sourceEventId: s.events.InvoiceIssued.id,
      payerId: invoice.billTo.id,
      invoiceId: invoice.invoiceId,
    },
    rejected.time,
    `odoo-write:${s.events.InvoiceIssued.id}`,
  );
  return entryFromOpened(opened as EventEnvelope<'ExceptionOpened', ExceptionOpened>);
}

/** The chained lines of an entry's trail: opened by the client that caused it, then `more`. */
function trailOf(entry: ExceptionEntry, more: AuditFact[] = []): AuditLine[] {
  const stream = auditStreams.exception(entry.id);
  const facts = [openingFact(entry, OPENED_BY), ...more];
  const lines: AuditLine[] = [];
  for (const fact of facts) lines.push(chainLine(stream, lines.at(-1), fact));
  return lines;
}

const OPENED_BY = '7hq2partner0client0id3mz';
const RESOLVE_NOTE = 'Refunded the 10.00 to the patient’s card (gateway refund RF-1120).';

const exceptionIdParam = {
  exceptionId: {
    schema: ExceptionId,
    description: 'The id GET /v1/exceptions lists (derived from the exception’s scope and key)',
    example: 'f25ea16c-4a8c-5d9d-9916-3deba6fe8308',
  },
};

const invalidId: ErrorCase = {
  status: 400,
  type: ProblemType.validation,
  title: 'Invalid exception id',
  when: 'the exception id in the path is not one the register issues',
  detail: 'The exception id in the path is not valid.',
  by: 'handler',
  errors: [{ path: 'path:exceptionId', message: 'must be an exception id as GET /v1/exceptions lists them' }],
};

const unknown: ErrorCase = {
  status: 404,
  type: ProblemType.notFound,
  title: 'Unknown exception',
  when: 'no exception has this id',
  detail: 'No exception f25ea16c-4a8c-5d9d-9916-3deba6fe8308.',
  by: 'handler',
};

const closed: ErrorCase = {
  status: 409,
  type: ProblemType.conflict,
  title: 'Conflict',
  when: 'the exception is already resolved or retried (or someone else closed it meanwhile)',
  detail: 'the exception is already resolved',
  by: 'handler',
};

const unavailable: ErrorCase = {
  status: 503,
  type: ProblemType.unavailable,
  title: 'Service unavailable',
  when: 'the register, the workflow store, the bus or a queue did not answer; retry',
  detail: 'Try again shortly.',
  retryAfter: 2,
  by: 'handler',
};

export const exceptionContracts: Record<string, OperationContract> = {
  listExceptions: {
    description:
      'Without a subject: by status (open, then retried, then resolved when omitted) and team, newest first, optionally for one payer. With a subject (encounterId, claimId, invoiceId, traceNumber or correlationId) it searches that subject’s index and applies the other parameters as filters. Pages with cursor; a page may hold fewer than limit items and still have a nextCursor.',
    success: {
      description: 'One page of exceptions',
      schema: ExceptionList,
      example: (s) => ({
        items: [
          exceptionView(refusedInvoiceEntry(s), trailOf(refusedInvoiceEntry(s))),
          exceptionView(overpaymentEntry(s), trailOf(overpaymentEntry(s))),
        ],
      }),
      headers: [],
    },
    correlationHeader: false,
    query: {
      schema: ExceptionListQuery,
      example: { team: 'integration', status: 'open', payerId: 'PAYER-BCBS-IL', limit: '25' },
    },
    errors: [
      invalidQueryCase(ExceptionListQuery),
      {
        status: 400,
        type: ProblemType.validation,
        title: 'Invalid cursor',
        when: 'cursor is not a nextCursor this API issued',
        detail: new InvalidCursor().message,
        by: 'handler',
        errors: [{ path: 'query:cursor', message: new InvalidCursor().message }],
      },
      unavailable,
    ],
  },
  getException: {
    description:
      'Why it was opened, for which team, the revenue at stake, the ids it concerns, what a retry would re-drive, how it was closed, and every action with the client id that took it.',
    success: {
      description: 'The exception',
      schema: ExceptionView,
      example: (s) => exceptionView(refusedInvoiceEntry(s), trailOf(refusedInvoiceEntry(s))),
      headers: [],
    },
    correlationHeader: false,
    pathParams: exceptionIdParam,
    errors: [invalidId, unknown, unavailable],
  },
  getExceptionAudit: {
    description:
      'The exception’s audit lines as stored in the append-only audit table, each with the SHA-256 of its canonical form covering the previous line’s hash, and the verdict of walking them from the first: intact (with the head hash to note), or the first broken link — a line altered, unlinked from its predecessor, missing from the numbering, or a trail that ends before the exception’s current version (docs/security.md#audit).',
    success: {
      description: 'The chain and its verification',
      schema: AuditTrailView,
      example: (s) => {
        const entry = overpaymentEntry(s);
        const lines = trailOf(entry, [
          { at: RESOLVED_AT, action: 'resolved', actor: OPERATOR, note: RESOLVE_NOTE, entryVersion: 2 },
        ]);
        return verifiedTrailView(entry.id, lines, 2);
      },
      headers: [],
    },
    correlationHeader: false,
    pathParams: exceptionIdParam,
    errors: [invalidId, unknown, unavailable],
  },
  resolveException: {
    description:
      'For an exception handled outside the hub (written off, corrected in Odoo, settled with the partner). A workflow exception is removed from its encounter with an ExceptionResolved (carrying the workflowState change when the encounter leaves exception_pending); a dead-lettered Odoo write is taken out of the DLQ and its kept copy dropped.',
    success: {
      description: 'The exception, resolved',
      schema: ExceptionView,
      example: (s) => {
        const entry = overpaymentEntry(s);
        const note = RESOLVE_NOTE;
        return exceptionView(
          {
            ...entry,
            status: 'resolved',
            updatedAt: RESOLVED_AT,
            resolution: { code: 'refunded', note, at: RESOLVED_AT, clientId: OPERATOR },
          },
          trailOf(entry, [{ at: RESOLVED_AT, action: 'resolved', actor: OPERATOR, note, entryVersion: 2 }]),
        );
      },
      headers: [],
    },
    correlationHeader: false,
    pathParams: exceptionIdParam,
    errors: [invalidId, unknown, closed, unavailable],
    requestRules: ['note must contain a non-blank character.'],
  },
  retryException: {
    description:
      'A dead-lettered Odoo write is taken out of the DLQ (or, after SQS pruned it, taken from the copy kept with the exception) and queued again in its encounter’s FIFO group with deduplication id <eventId>:retry:<n>; a held event is queued again the same way; a quarantined webhook is mapped again (as its replay route does). The exception is marked retried and cleared on its encounter; if the retry fails again, a new exception opens with retryOf pointing here (and retriedAs here pointing at it).',
    success: {
      description:
        'Re-driven; the outcome shows on the encounter and, on a new failure, as a linked exception',
      schema: ExceptionView,
      example: (s) => {
        const entry = refusedInvoiceEntry(s);
        const eventId = s.events.InvoiceIssued.id;
        return exceptionView(
          {
            ...entry,
            status: 'retried',
            updatedAt: RETRIED_AT,
            redriven: {
              kind: 'dead-letter',
              from: 'dead-letter-queue',
              reference: `${eventId}:retry:1`,
              at: RETRIED_AT,
            },
          },
          trailOf(entry, [
            {
              at: RETRIED_AT,
              action: 'retried',
              actor: OPERATOR,
              note: 'Prior authorization added in Odoo.',
              entryVersion: 2,
            },
          ]),
        );
      },
      headers: [],
    },
    correlationHeader: false,
    pathParams: exceptionIdParam,
    errors: [
      invalidId,
      unknown,
      {
        ...closed,
        when: 'the exception is closed already, or holds nothing to re-drive (a denial, an unmatched ERA claim: resolve those)',
        detail: 'nothing can be re-driven for this exception; resolve it with a note instead',
      },
      unavailable,
    ],
  },
};
