import { z } from 'zod';
import { deterministicEventId } from './event-id.js';

/** `source` values on the bus: who vouches for the event. */
export const EventSource = {
  api: 'rcm-hub.api',
  odooWriter: 'rcm-hub.odoo-writer',
  workflow: 'rcm-hub.workflow',
} as const;
export type EventSource = (typeof EventSource)[keyof typeof EventSource];

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
      facilityId: z.string(),
      encounterId: z.string(),
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
  facilityId: string;
  encounterId: string;
  data: TData;
};

/** An event caused by another (InvoicePosted by InvoiceIssued, …): same correlation, derived stable id. */
export function followUpEvent<TType extends string, TData>(
  cause: EventEnvelope,
  type: TType,
  source: EventSource,
  data: TData,
  time: string,
): EventEnvelope<TType, TData> {
  return {
    id: deterministicEventId(type, cause.id),
    type,
    version: 1,
    source,
    time,
    correlationId: cause.correlationId,
    idempotencyKey: cause.idempotencyKey,
    clientId: cause.clientId,
    facilityId: cause.facilityId,
    encounterId: cause.encounterId,
    data,
  };
}
