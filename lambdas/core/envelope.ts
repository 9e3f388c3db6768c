import * as z from 'zod';
import { deterministicEventId } from './event-id.js';
import { WorkflowState } from './workflow.js';

/** `source` values on the bus: who vouches for the event. */
export const EventSource = {
  api: 'rcm-hub.api',
  odooWriter: 'rcm-hub.odoo-writer',
  workflow: 'rcm-hub.workflow',
  /** Accepted from an inbound webhook (docs/webhooks.md): clearinghouse, gateway, Odoo. */
  webhooks: 'rcm-hub.webhooks',
  /** Differences the reconciliation run found (docs/reconciliation.md). */
  reconciliation: 'rcm-hub.reconciliation',
  /** Payer anomalies the insights sweep found (docs/triage.md#anomalies). */
  insights: 'rcm-hub.insights',
} as const;
export type EventSource = (typeof EventSource)[keyof typeof EventSource];

/**
 * A workflow state change, carried by the event that caused it (folded, so one bus event instead of two:
 * docs/cost.md). `from` is null when the event opened the encounter's workflow.
 */
export const StateChange = z.object({ from: WorkflowState.nullable(), to: WorkflowState });
export type StateChange = z.infer<typeof StateChange>;

/**
 * Every business event travels in this versioned envelope (the EventBridge `detail`). `id` is ours and
 * stable across retries, so it doubles as the SQS FIFO deduplication id and the timeline key; `version`
 * is the schema version of `data` for that `type`.
 */
export function eventEnvelope<TType extends string, TData extends z.ZodType>(type: TType, data: TData) {
  return z
    .object({
      id: z.string().uuid(),
      type: z.literal(type),
      version: z.literal(1),
      source: z.string(),
      time: z.iso.datetime({ offset: true }),
      correlationId: z.string(),
      idempotencyKey: z.string(),
      clientId: z.string().meta({ description: 'OAuth client that caused the event (attribution)' }),
      facilityId: z.string().optional(),
      encounterId: z.string().optional(),
      partitionKey: z.string().meta({
        description:
          'Ordering key: the encounter for workflow events, patient:<id> or payer:<id> for master data',
      }),
      workflowState: StateChange.optional().meta({
        description:
          "The encounter's workflow state change this event caused (docs/webhooks.md#workflow-state); a change no published event causes goes out as WorkflowStateChanged",
      }),
      data,
    })
    .meta({ id: `${type}Event`, title: type });
}

export type EventEnvelope<TType extends string = string, TData = unknown> = {
  id: string;
  type: TType;
  version: 1;
  source: string;
  time: string;
  correlationId: string;
  idempotencyKey: string;
  clientId: string;
  facilityId?: string;
  encounterId?: string;
  /** FIFO message group: writes with the same key are applied in order. */
  partitionKey: string;
  /** The workflow state change this event caused, if any (StateChange). */
  workflowState?: StateChange;
  data: TData;
};

/** An envelope that belongs to an encounter's workflow. */
export type EncounterEnvelope<TType extends string = string, TData = unknown> = EventEnvelope<
  TType,
  TData
> & {
  encounterId: string;
  facilityId: string;
};

export function isEncounterEvent(envelope: EventEnvelope): envelope is EncounterEnvelope {
  return typeof envelope.encounterId === 'string' && typeof envelope.facilityId === 'string';
}

/** An event caused by another (InvoicePosted by InvoiceIssued, …): same correlation, derived stable id. */
export function followUpEvent<TType extends string, TData>(
  cause: EventEnvelope,
  type: TType,
  source: EventSource,
  data: TData,
  time: string,
  /** Tells apart several follow-ups of one type caused by the same event (e.g. two exceptions). */
  discriminator?: string,
): EventEnvelope<TType, TData> {
  return {
    id:
      discriminator === undefined
        ? deterministicEventId(type, cause.id)
        : deterministicEventId(type, cause.id, discriminator),
    type,
    version: 1,
    source,
    time,
    correlationId: cause.correlationId,
    idempotencyKey: cause.idempotencyKey,
    clientId: cause.clientId,
    facilityId: cause.facilityId,
    encounterId: cause.encounterId,
    partitionKey: cause.partitionKey,
    data,
  };
}
