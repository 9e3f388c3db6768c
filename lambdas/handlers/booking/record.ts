import type {
  AppliedEffect,
  OpenException,
  StageEffect,
  Workflow,
} from '../../adapters/dynamodb/workflow-store.js';
import {
  type EncounterEnvelope,
  type EventEnvelope,
  EventSource,
  followUpEvent,
} from '../../core/envelope.js';
import type { ExceptionResolved } from '../../core/events.js';
import { subjectsOf } from '../../core/exception-keys.js';
import type { BookingContext } from './context.js';

/**
 * Records what a booking did as a follow-up event of its cause: one timeline entry and workflow change
 * (exactly once, whatever the redeliveries), then publishes the follow-up, any state change and any
 * exception it opened. Publishing happens on every delivery (ids are stable), so a crash after the record
 * loses nothing and subscribers dedupe by id. A published follow-up carries its state change in
 * `workflowState`; only a tracking-only one's change is published as WorkflowStateChanged.
 */
export async function recordFollowUp<TType extends string, TData extends Record<string, unknown>>(
  context: BookingContext,
  cause: EncounterEnvelope,
  type: TType,
  data: TData,
  effect: StageEffect,
  mutate?: (draft: Workflow) => void,
  /**
   * Tracking-only follow-ups (ClaimRecorded…) stay in the timeline; only their state changes go on the bus.
   * `discriminator` tells apart follow-ups of one type caused by the same event (a retry that failed again);
   * `retryOf` names the exception that retry came from (the exception register links the two).
   */
  options: { publish: boolean; discriminator?: string; retryOf?: string } = { publish: true },
): Promise<AppliedEffect> {
  const now = context.now();
  const followUp = followUpEvent(cause, type, EventSource.odooWriter, data, now, options.discriminator);
  const before = new Set<string>();
  const recorded = await context.store.recordEvent(
    {
      eventId: followUp.id,
      type,
      time: now,
      correlationId: cause.correlationId,
      clientId: cause.clientId,
      encounterId: cause.encounterId,
      facilityId: cause.facilityId,
      detail: data,
    },
    effect,
    (draft) => {
      for (const key of Object.keys(draft.exceptions)) before.add(key);
      mutate?.(draft);
    },
  );
  const opened = recorded.applied
    ? Object.values(recorded.workflow.exceptions).filter((e) => !before.has(e.key))
    : [];
  const changed = recorded.applied && recorded.from !== recorded.to;
  // A published follow-up carries its state change (one bus event, not two: docs/cost.md); a tracking-only
  // one (ClaimRecorded…) is not published, so its change goes out as WorkflowStateChanged.
  const events: EventEnvelope[] = options.publish
    ? [changed ? { ...followUp, workflowState: { from: recorded.from, to: recorded.to } } : followUp]
    : [];
  if (changed && !options.publish) {
    events.push(
      followUpEvent(
        followUp,
        'WorkflowStateChanged',
        EventSource.workflow,
        { from: recorded.from, to: recorded.to, cause: type },
        now,
      ),
    );
  }
  // The ids the cause carries (invoice, claim, payer, trace number) make the exception searchable in the register.
  const subjects = subjectsOf(cause.data);
  const payerId =
    subjects.payerId ??
    (subjects.claimId ? recorded.workflow.claims[subjects.claimId]?.payerId : undefined) ??
    (recorded.workflow.payerIds.length === 1 ? recorded.workflow.payerIds[0] : undefined);
  for (const exception of opened)
    events.push(
      exceptionOpened(followUp, exception, now, {
        ...subjects,
        ...(payerId ? { payerId } : {}),
        ...(options.retryOf ? { retryOf: options.retryOf } : {}),
      }),
    );
  if (events.length > 0) await context.publisher.publish(...events);
  return recorded;
}

export function exceptionOpened(
  cause: EventEnvelope,
  exception: OpenException,
  time: string,
  /** Optional ExceptionOpened members: payerId, claimId, invoiceId, traceNumber, retryOf. */
  extra: Record<string, string> = {},
): EventEnvelope {
  return followUpEvent(
    cause,
    'ExceptionOpened',
    EventSource.workflow,
    {
      key: exception.key,
      team: exception.team,
      reason: exception.reason,
      amountCents: exception.amountCents,
      sourceEventId: exception.sourceEventId,
      ...extra,
    },
    time,
    exception.key,
  );
}

/** Opens an exception keyed by its cause; an exception already open under that key stays as it is. */
export function openException(
  draft: Workflow,
  exception: Omit<OpenException, 'openedAt'>,
  now: string,
): void {
  if (draft.exceptions[exception.key]) return;
  draft.exceptions[exception.key] = { ...exception, openedAt: now };
}

export function addPayer(draft: Workflow, payerId: string): void {
  if (!draft.payerIds.includes(payerId)) draft.payerIds.push(payerId);
}

/**
 * Closes an exception on its encounter: records the `ExceptionResolved` (its id is one per exception) with its
 * key removed from the workflow — the encounter returns to its stage when nothing else is open — then publishes
 * it, carrying any state change in `workflowState`. Publishing repeats on a repeated call (ids are stable; subscribers dedupe by id).
 * Without an encounter it only publishes. Answers whether the workflow changed.
 */
export async function recordExceptionResolved(
  deps: Pick<BookingContext, 'store' | 'publisher'>,
  resolved: EventEnvelope<'ExceptionResolved', ExceptionResolved>,
): Promise<boolean> {
  let published: EventEnvelope = resolved;
  let applied = false;
  if (resolved.encounterId && resolved.facilityId) {
    const recorded = await deps.store.recordEvent(
      {
        eventId: resolved.id,
        type: resolved.type,
        time: resolved.time,
        correlationId: resolved.correlationId,
        clientId: resolved.clientId,
        encounterId: resolved.encounterId,
        facilityId: resolved.facilityId,
        detail: resolved.data,
      },
      { kind: 'none' },
      (draft) => {
        delete draft.exceptions[resolved.data.key];
      },
    );
    applied = recorded.applied;
    // The ExceptionResolved carries the state change it caused (no separate WorkflowStateChanged).
    if (recorded.applied && recorded.from !== recorded.to)
      published = { ...resolved, workflowState: { from: recorded.from, to: recorded.to } };
  }
  await deps.publisher.publish(published);
  return applied;
}
