import { OdooEraDepositLedger } from '../../adapters/odoo/era-deposit-ledger.js';
import type { EventEnvelope } from '../../core/envelope.js';
import { type EraDepositReceived, planEraDeposit } from '../../core/era-deposit.js';
import { type BookingContext, type BookingOutcome, done } from './context.js';
import { exceptionOpened } from './record.js';

/**
 * An ERA's deposit (core/era-deposit.ts): one journal entry per trace, booked idempotently; the payer ledger
 * records it for reconciliation (BPR02 against what Odoo holds); the PLB codes finance must classify open an
 * exception each. No encounter: the exceptions go to the register (and subscribers) only, like master data.
 */
export async function bookEraDeposit(
  envelope: EventEnvelope,
  context: BookingContext,
): Promise<BookingOutcome> {
  const deposit = envelope.data as EraDepositReceived;
  const plan = planEraDeposit(deposit);
  // An ERA that moved no money (every claim denied, no PLB) has no entry to book; reconciliation still sees it.
  if (plan.lines.length > 0) await new OdooEraDepositLedger(await context.odoo()).book(plan);
  await context.store.indexDeposit(deposit);
  const now = context.now();
  if (plan.exceptions.length === 0) return done;
  // Stable ids (exception keys per trace and PLB position): a redelivery republishes, the register dedupes.
  await context.publisher.publish(
    ...plan.exceptions.map((exception) =>
      exceptionOpened(envelope, { ...exception, sourceEventId: envelope.id, openedAt: now }, now, {
        traceNumber: deposit.traceNumber,
        payerId: deposit.payerId,
      }),
    ),
  );
  return done;
}
