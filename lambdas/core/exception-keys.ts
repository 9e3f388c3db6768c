import type { EventEnvelope } from './envelope.js';
import { deterministicEventId } from './event-id.js';

/*
 * How an exception is named and found: its team and status, its id, the event that closes it, retry keys, what
 * a retry re-drives and the ids it is searched by. Pure rules without schemas, in their own module so that the
 * handlers opening or closing exceptions (writer, SLA sweeper, insights, X12 intake) and core/partners.ts (in
 * nearly every handler) do not bundle the register's API schemas and the triage model behind core/exceptions.ts,
 * which re-exports them (issue 16, docs/benchmarks.md).
 */

export const EXCEPTION_TEAMS = ['billing', 'finance', 'integration'] as const;
export type ExceptionTeam = (typeof EXCEPTION_TEAMS)[number];

/** open → resolved (a person closed it) or retried (its event was re-driven); both are final. */
export const EXCEPTION_STATUSES = ['open', 'retried', 'resolved'] as const;
export type ExceptionStatus = (typeof EXCEPTION_STATUSES)[number];

export type ExceptionAction = 'resolve' | 'retry';

/** SQS message attributes a re-driven envelope carries, so a failure opens a new, linked exception. */
export const RETRY_ATTRIBUTES = { retryOf: 'rcmRetryOf', attempt: 'rcmRetryAttempt' } as const;

/**
 * Where an exception belongs: its encounter, or for exceptions without one the envelope's ordering key
 * (`webhook:<source>:<deliveryId>`, `unmatched:remittance:<id>`, `patient:<id>`). Keys are stable per cause
 * within a scope, so (scope, key) names one exception whoever publishes it and however often.
 */
export function exceptionScope(envelope: Pick<EventEnvelope, 'encounterId' | 'partitionKey'>): string {
  return envelope.encounterId ?? envelope.partitionKey;
}

export function exceptionIdFor(scope: string, key: string): string {
  return deterministicEventId('Exception', scope, key);
}

/** The id of the `ExceptionResolved` that closes an exception: one per exception, whatever the redeliveries. */
export function resolvedEventIdFor(exceptionId: string): string {
  return deterministicEventId('ExceptionResolved', exceptionId);
}

const RETRY_SUFFIX = /:retry:(\d+)$/;

/** How many retries came before the exception with this key (`odoo-write:E1:retry:2` → 2). */
export function retryAttemptOf(key: string): number {
  const match = RETRY_SUFFIX.exec(key);
  return match ? Number(match[1]) : 0;
}

/** The key of the exception a failed retry opens: the cause's key, marked with the attempt. */
export function retryKey(key: string, attempt: number): string {
  const base = key.replace(RETRY_SUFFIX, '');
  return attempt > 0 ? `${base}:retry:${attempt}` : base;
}

/** What a retry re-drives, read off the key's cause. */
export type Redrive =
  | { kind: 'dead-letter'; eventId: string }
  | { kind: 'held'; eventId: string; encounterId: string }
  | { kind: 'quarantined-webhook'; source: string; deliveryId: string }
  | { kind: 'none' };

export function redriveFor(key: string, sourceEventId: string, encounterId?: string): Redrive {
  if (key.startsWith('odoo-write:')) return { kind: 'dead-letter', eventId: sourceEventId };
  if (key.startsWith('held:') && encounterId) return { kind: 'held', eventId: sourceEventId, encounterId };
  const webhook = /^webhook:([^:]+):(.+)$/.exec(key);
  if (webhook)
    return { kind: 'quarantined-webhook', source: webhook[1] as string, deliveryId: webhook[2] as string };
  return { kind: 'none' };
}

/** Ids an exception can be searched by; never patient names or member ids. */
export interface ExceptionSubjects {
  encounterId?: string;
  claimId?: string;
  invoiceId?: string;
  traceNumber?: string;
  correlationId?: string;
}

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value.length > 0 ? value : undefined;

/**
 * The ids a business event carries that help find its exception: invoice, claim, payer and trace number,
 * wherever the canonical model keeps them (InvoiceIssued billTo, PaymentReceived appliesTo, an ERA's payment).
 * A patient is never named: only a payer counts as `payerId`.
 */
export function subjectsOf(data: unknown): {
  payerId?: string;
  claimId?: string;
  invoiceId?: string;
  traceNumber?: string;
} {
  const d = (data ?? {}) as Record<string, unknown>;
  const nested = (name: string) => (d[name] ?? {}) as Record<string, unknown>;
  const invoiceIds = Array.isArray(d.invoiceIds) && d.invoiceIds.length === 1 ? d.invoiceIds[0] : undefined;
  const payerParty = [nested('billTo'), nested('payer')].find((p) => p.kind === 'payer');
  const found = {
    payerId: text(d.payerId) ?? text(payerParty?.id),
    claimId: text(d.claimId),
    invoiceId: text(d.invoiceId) ?? text(nested('appliesTo').invoiceId) ?? text(invoiceIds),
    traceNumber: text(d.traceNumber) ?? text(nested('payment').traceNumber),
  };
  return Object.fromEntries(Object.entries(found).filter(([, v]) => v !== undefined));
}
