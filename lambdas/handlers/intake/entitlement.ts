import type { OwnedKind, WorkflowStore } from '../../adapters/dynamodb/workflow-store.js';
import { notEntitled } from '../../adapters/partners/registry.js';
import type { CanonicalEvent } from '../../core/events.js';
import {
  type Decision,
  decideWrite,
  type EventSubject,
  eventSubject,
  masterRecordOwner,
  type Principal,
} from '../../core/partners.js';

interface Claim {
  kind: OwnedKind;
  id: string;
  /** The facility the id is claimed for (null: an all-facility caller naming none). */
  facilityId: string | null;
}

/**
 * Enforces core/partners.ts on a write before anything is recorded (docs/security.md#ownership): the
 * document's facility and payers must be the caller's, and what it touches (encounter, patient, payer, the
 * claim it answers) must not belong to another facility. Every event is checked against what is owned
 * already before the first owner record is written, so a refused document writes nothing; then the ids
 * nobody owned yet are claimed (a conditional put: of two concurrent first writers one wins, the other is
 * refused). Master records get their owning facility on the event. Throws a 403 rejection.
 */
export async function entitleWrites(
  store: WorkflowStore,
  principal: Principal,
  events: CanonicalEvent[],
): Promise<CanonicalEvent[]> {
  const pending = await checkWrites(store, principal, events);
  const entitled: CanonicalEvent[] = [];
  for (const { event, subject, claims, owners } of pending) {
    for (const claim of claims)
      owners.push(await store.claimOwner(claim.kind, claim.id, claim.facilityId, principal.clientId));
    enforce(decideWrite(principal, { ...withFacility(subject), ownerFacilities: owners }));
    const ownerFacilityId = subject.master ? owners.at(-1) : undefined;
    entitled.push(ownerFacilityId ? { ...event, ownerFacilityId } : event);
  }
  return entitled;
}

interface Pending {
  event: CanonicalEvent;
  subject: EventSubject;
  claims: Claim[];
  owners: (string | null)[];
}

/**
 * The checks of entitleWrites against what is owned now, writing nothing: throws the 403 rejection, or returns
 * the ids still to claim. A large upload runs it over the whole file before accepting any batch.
 */
export async function checkWrites(
  store: WorkflowStore,
  principal: Principal,
  events: CanonicalEvent[],
): Promise<Pending[]> {
  const pending: Pending[] = [];
  for (const event of events) {
    const subject = eventSubject(event);
    enforce(decideWrite(principal, subject));
    if (subject.claimId && subject.encounterId) {
      const claims = (await store.findClaim(subject.claimId)).filter(
        (c) => c.encounterId === subject.encounterId,
      );
      enforce(decideWrite(principal, { payerIds: claims.map((c) => c.payerId) }));
    }
    const owners: (string | null)[] = [];
    const claims: Claim[] = [];
    if (subject.encounterId && subject.facilityId) {
      const workflow = await store.getWorkflow(subject.encounterId);
      const owner = workflow ? workflow.facilityId : await store.ownerOf('encounter', subject.encounterId);
      if (owner === undefined)
        claims.push({ kind: 'encounter', id: subject.encounterId, facilityId: subject.facilityId });
      else owners.push(owner);
    }
    if (subject.master) {
      const wanted = masterRecordOwner(principal, subject.master.facilityId);
      if (!wanted.ok) throw notEntitled(wanted.reason);
      const owner = await store.ownerOf(subject.master.kind, subject.master.id);
      if (owner === undefined)
        claims.push({ kind: subject.master.kind, id: subject.master.id, facilityId: wanted.facilityId });
      else owners.push(owner);
    }
    enforce(decideWrite(principal, { ...withFacility(subject), ownerFacilities: owners }));
    pending.push({ event, subject, claims, owners });
  }
  return pending;
}

function withFacility(subject: EventSubject): { facilityId?: string } {
  return subject.facilityId ? { facilityId: subject.facilityId } : {};
}

function enforce(decision: Decision): void {
  if (!decision.allowed) throw notEntitled(decision.reason);
}
