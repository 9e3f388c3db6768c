import type { WorkflowStore } from '../../adapters/dynamodb/workflow-store.js';
import type { EventPublisher } from '../../adapters/eventbridge/event-publisher.js';
import type { ClaimSubmitted } from '../../core/claim.js';
import { type EventEnvelope, EventSource } from '../../core/envelope.js';
import { deterministicEventId } from '../../core/event-id.js';
import type { CanonicalEvent } from '../../core/events.js';

export type { CanonicalEvent };

import type { PaymentReceived } from '../../core/payment.js';
import { PATIENT_PAYMENTS } from '../../core/reconciliation.js';
import type { RemittanceReceived } from '../../core/remittance.js';

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
  for (const event of command.events) {
    const envelope: EventEnvelope = {
      id: acceptedEventId(event, command),
      type: event.eventType,
      version: 1,
      source: command.source ?? EventSource.api,
      time,
      correlationId: command.correlationId,
      idempotencyKey: command.idempotencyKey,
      clientId: command.clientId,
      ...(event.encounter ?? (event.ownerFacilityId ? { facilityId: event.ownerFacilityId } : {})),
      partitionKey: event.partitionKey,
      data: event.data,
    };
    accepted.push(envelope);
    if (event.encounter) await indexForLookup(deps.store, { ...event, encounter: event.encounter }, envelope);
    if (event.encounter) {
      // The timeline entry only; the workflow item is written by the Odoo writer's follow-up (once per event).
      const recorded = await deps.store.recordAccepted({
        eventId: envelope.id,
        type: envelope.type,
        time,
        correlationId: command.correlationId,
        clientId: command.clientId,
        ...event.encounter,
        detail: event.facts,
      });
      // The encounter's first document opens its workflow and carries that state change (docs/cost.md).
      if (recorded.created) envelope.workflowState = { from: null, to: recorded.state };
    }
  }
  await deps.publisher.publish(...accepted);
  return accepted;
}

/**
 * The id an accepted event gets: derived from (type, client, key[, discriminator]), so it is known before the
 * event is recorded (the JSON intakes answer with it before doing the work: adapters/dynamodb/accepted-requests.ts).
 */
export function acceptedEventId(
  event: Pick<CanonicalEvent, 'eventType' | 'discriminator'>,
  command: Pick<AcceptCommand, 'clientId' | 'idempotencyKey'>,
): string {
  return deterministicEventId(
    event.eventType,
    command.clientId,
    command.idempotencyKey,
    ...(event.discriminator === undefined ? [] : [event.discriminator]),
  );
}

/**
 * Partners that answer a claim name our claim id, never the encounter (FHIR ClaimResponse.request, an 835's
 * CLP01), and a remittance is read back by its id alone (GET /fhir/r4/PaymentReconciliation/{id}): index
 * claims and remittances by id as any intake accepts them (docs/fhir.md#claim-lookup). Idempotent puts.
 */
async function indexForLookup(
  store: WorkflowStore,
  event: CanonicalEvent & { encounter: { encounterId: string; facilityId: string } },
  envelope: EventEnvelope,
): Promise<void> {
  if (event.eventType === 'ClaimSubmitted') {
    const claim = event.data as ClaimSubmitted;
    await store.indexClaim({
      claimId: claim.claimId,
      ...event.encounter,
      payerId: claim.payerId,
      invoiceIds: claim.invoiceIds,
      billedCents: claim.billedCents,
      submittedDate: claim.submittedDate,
    });
  }
  if (event.eventType === 'PaymentReceived') {
    const payment = event.data as PaymentReceived;
    await store.indexPayment({
      ledgerId: payment.payer.kind === 'payer' ? payment.payer.id : PATIENT_PAYMENTS,
      paymentId: payment.paymentId,
      encounterId: event.encounter.encounterId,
      facilityId: event.encounter.facilityId,
      invoiceId: payment.appliesTo.invoiceId,
      receivedDate: payment.receivedDate,
      traceNumber: payment.traceNumber,
      amountCents: payment.amountCents,
    });
  }
  if (event.eventType === 'RemittanceReceived') {
    const remittance = event.data as RemittanceReceived;
    await store.indexRemittance({
      remittanceId: remittance.remittanceId,
      ...event.encounter,
      claimId: remittance.claimId,
      eventId: envelope.id,
      acceptedAt: envelope.time,
      remittance: remittance as unknown as Record<string, unknown>,
    });
  }
}
