import { OdooPartnerDirectory } from '../../adapters/odoo/partner-directory.js';
import { type EventEnvelope, EventSource, followUpEvent } from '../../core/envelope.js';
import {
  outranks,
  type PatientUpserted,
  type PayerUpserted,
  survivingRecord,
} from '../../core/master-data.js';
import { partnerExternalId } from '../../core/odoo-external-ids.js';
import { masterPartnerValues } from '../../core/odoo-partners.js';
import { partnerRef } from '../../core/odoo-posting.js';
import { type BookingContext, type BookingOutcome, done } from './context.js';

/** Raised when another writer changed the master record between our read and write: retried by SQS. */
class MasterRecordChanged extends Error {}

/**
 * A patient or payer upsert: survivorship decides the record that stands (core/master-data.ts), the Odoo
 * partner is written only when the stored record changed, and the crosswalk keeps canonical id → partner id.
 */
export async function bookMasterData(
  envelope: EventEnvelope,
  context: BookingContext,
): Promise<BookingOutcome> {
  const kind = envelope.type === 'PatientUpserted' ? 'patient' : 'payer';
  const incoming = envelope.data as PatientUpserted | PayerUpserted;
  const id =
    kind === 'patient' ? (incoming as PatientUpserted).patientId : (incoming as PayerUpserted).payerId;
  const current = await context.store.getMasterRecord<PatientUpserted | PayerUpserted>(kind, id);
  const applied = outranks(incoming, current?.record);
  const record = survivingRecord(current?.record, incoming);

  let odooPartnerId = current?.odooPartnerId;
  // A losing record can still fill fields the stored one lacks; write whenever the survivor changed.
  const changed = JSON.stringify(record) !== JSON.stringify(current?.record);
  if (changed || odooPartnerId === undefined) {
    const directory = new OdooPartnerDirectory(await context.odoo());
    odooPartnerId = await directory.upsert(
      partnerRef({ kind, id }),
      masterPartnerValues(kind as never, record as never),
      partnerExternalId({ kind, id }),
    );
    const written = await context.store.putMasterRecord(
      kind,
      id,
      { record, odooPartnerId, version: (current?.version ?? 0) + 1, updatedAt: context.now() },
      current?.version ?? 0,
    );
    if (!written)
      throw new MasterRecordChanged(`the ${kind} record ${id} changed while it was being written; retrying`);
  }
  await context.publisher.publish(
    followUpEvent(
      envelope,
      'PartnerSynced',
      EventSource.odooWriter,
      { kind, id, odooPartnerId, applied },
      context.now(),
    ),
  );
  // Encounters that held events until this partner existed get them back, in their own FIFO group.
  for (const encounterId of await context.store.takeWaiters(`${kind}:${id}`)) {
    for (const held of await context.store.heldEvents(encounterId)) {
      await context.queue.enqueue(held.envelope, `after-${kind}-${envelope.id}`);
      await context.store.releaseHeld(encounterId, held.envelope.id);
    }
  }
  return done;
}
