import type { WorkflowStore } from '../../adapters/dynamodb/workflow-store.js';
import type { EventPublisher } from '../../adapters/eventbridge/event-publisher.js';
import { type EventEnvelope, EventSource, followUpEvent } from '../../core/envelope.js';
import { deterministicEventId } from '../../core/event-id.js';
import type { EventType } from '../../core/events.js';

/** A canonical business event ready to be accepted: what any intake (JSON, X12, FHIR, webhook) produces. */
export interface CanonicalEvent {
  eventType: EventType;
  data: unknown;
  /** The workflow it belongs to; absent for master data. */
  encounter?: { encounterId: string; facilityId: string };
  /** FIFO ordering key: the encounter, or `patient:<id>` / `payer:<id>`. */
  partitionKey: string;
  /** Non-PHI facts for the timeline entry. */
  facts: Record<string, unknown>;
  /**
   * Tells apart several events accepted under one idempotency key (the claim payments of one 835); stable
   * for the same document, e.g. the payer claim control number. Absent for single-event requests.
   */
  discriminator?: string;
}

export interface AcceptCommand {
  clientId: string;
  idempotencyKey: string;
  correlationId: string;
  /** Where the events came from on the bus (`rcm-hub.api`, `rcm-hub.webhooks`, …). */
  source?: string;
  events: CanonicalEvent[];
}

/**
 * Records each event in its encounter's timeline (the correlation record), then publishes them all. Event
 * ids are derived from (type, client, key[, discriminator]), so a retry after a crash between the two steps
 * republishes the same events and the timeline recognises them. Callers wrap this in Powertools
 * idempotency so a retried request returns the first answer.
 */
export async function acceptEvents(
  deps: { store: WorkflowStore; publisher: EventPublisher },
  command: AcceptCommand,
): Promise<EventEnvelope[]> {
  const time = new Date().toISOString();
  const accepted: EventEnvelope[] = [];
  const published: EventEnvelope[] = [];
  for (const event of command.events) {
    const idParts = [
      event.eventType,
      command.clientId,
      command.idempotencyKey,
      ...(event.discriminator === undefined ? [] : [event.discriminator]),
    ];
    const envelope: EventEnvelope = {
      id: deterministicEventId(...idParts),
      type: event.eventType,
      version: 1,
      source: command.source ?? EventSource.api,
      time,
      correlationId: command.correlationId,
      idempotencyKey: command.idempotencyKey,
      clientId: command.clientId,
      ...(event.encounter ?? {}),
      partitionKey: event.partitionKey,
      data: event.data,
    };
    accepted.push(envelope);
    published.push(envelope);
    if (event.encounter) {
      const recorded = await deps.store.recordEvent(
        {
          eventId: envelope.id,
          type: envelope.type,
          time,
          correlationId: command.correlationId,
          clientId: command.clientId,
          ...event.encounter,
          detail: event.facts,
        },
        { kind: 'none' },
      );
      if (recorded.applied && recorded.from === null) {
        published.push(
          followUpEvent(
            envelope,
            'WorkflowStateChanged',
            EventSource.workflow,
            { from: null, to: recorded.to, cause: envelope.type },
            time,
          ),
        );
      }
    }
  }
  await deps.publisher.publish(...published);
  return accepted;
}
