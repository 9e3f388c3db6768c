import type { WorkflowStore } from '../../adapters/dynamodb/workflow-store.js';
import type { EventPublisher } from '../../adapters/eventbridge/event-publisher.js';
import type { OdooClient } from '../../adapters/odoo/client.js';
import type { OdooWriteQueue } from '../../adapters/sqs/odoo-write-queue.js';
import type { EventEnvelope } from '../../core/envelope.js';
import type { PreparedWrites } from './batch.js';

/** What every booking needs: the store, the bus, a logged-in Odoo, and the time of this processing. */
export interface BookingContext {
  store: WorkflowStore;
  publisher: EventPublisher;
  odoo: () => Promise<OdooClient>;
  /** To re-queue held events of other encounters (their own FIFO groups) when what they wait for appears. */
  queue: OdooWriteQueue;
  /**
   * The exception register, to close an entry a later booking settled (an appeal paying a denial): as the SLA
   * sweeper does, `cleared` by an automation. Optional: without it only the workflow's copy closes.
   */
  exceptions?: { clear(id: string, clientId: string, at: string, note: string): Promise<boolean> };
  now: () => string;
  /** What the writer already booked for this SQS batch as a whole (booking/batch.ts); absent outside a batch. */
  prepared?: PreparedWrites;
}

/**
 * A booking either did its work (and recorded it), or found that what the event depends on does not exist
 * yet (a remittance before its invoice reached Odoo, a status before its claim): then the event is held and
 * retried after the encounter's next successful event.
 */
export type BookingOutcome = { kind: 'done' } | { kind: 'held'; waitingFor: string };

export type Booking = (envelope: EventEnvelope, context: BookingContext) => Promise<BookingOutcome>;

export const done: BookingOutcome = { kind: 'done' };
export const heldFor = (waitingFor: string): BookingOutcome => ({ kind: 'held', waitingFor });
