import type * as z from 'zod';
import type { WorkflowStore } from '../../adapters/dynamodb/workflow-store.js';
import type { OdooClient } from '../../adapters/odoo/client.js';
import { OdooEraDepositLedger } from '../../adapters/odoo/era-deposit-ledger.js';
import type { OdooError } from '../../adapters/odoo/errors.js';
import { OdooInvoiceLedger, type PostedInvoice } from '../../adapters/odoo/invoice-ledger.js';
import {
  type BatchBooking,
  type BookedMove,
  batchable,
  foundBooked,
  OdooReceivablesBatch,
} from '../../adapters/odoo/receivables-batch.js';
import {
  type ExecutedStep,
  OdooReceivablesLedger,
  type ReceivablesSnapshot,
} from '../../adapters/odoo/receivables-ledger.js';
import { type EncounterEnvelope, type EventEnvelope, isEncounterEvent } from '../../core/envelope.js';
import type { BillTo, InvoiceIssued } from '../../core/invoice.js';
import { invoiceExternalId, partnerExternalId } from '../../core/odoo-external-ids.js';
import { partnerRef } from '../../core/odoo-posting.js';
import type { PaymentReceived } from '../../core/payment.js';
import { paymentStepRef } from '../../core/payment-posting.js';
import type { PostingPlan } from '../../core/posting-plan.js';
import type { RemittanceReceived } from '../../core/remittance.js';
import { patientInvoiceId, remittanceStepRefs } from '../../core/remittance-posting.js';
import type { BookingContext } from './context.js';
import { decidePayment, decideRemittance, remittanceInvoiceId } from './receivables.js';

/**
 * What the writer booked in Odoo for a whole SQS batch before it walks the batch record by record (issue 16):
 * Odoo serves about 6 RPC/s per worker, so simple events are written in a fixed number of calls per batch, not
 * per event. Each record then records what was booked for it (its follow-up, its workflow change) in its turn;
 * a record the batch could not settle is booked on its own as before, where its failure is its own
 * (Powertools partial batch response): the batch never fails or doubles the others.
 */
export interface PreparedWrites {
  /** Invoices posted (or found posted) for InvoiceIssued events, by envelope id. */
  invoices: Map<string, PostedInvoice>;
  /**
   * What Odoo holds for PaymentReceived and RemittanceReceived events the batch did not book (their invoice, their
   * payment if any), by envelope id: their own booking's look-ups.
   */
  payments: Map<string, ReceivablesSnapshot>;
  /** Payments and ERA claim payments the batch booked (or failed to), by envelope id (receivables-batch.ts). */
  receivables: Map<string, PreparedReceivable>;
  /** ERA traces whose deposit entry the batch matched with the claim payments it booked. */
  settledTraces: Set<string>;
  /**
   * Payments and claim payments the receivables batch sent Odoo to write (not those found booked whole): what an
   * ERA round's Odoo time grows with (core/era-booking.ts `paceAfterRound`).
   */
  receivablesWritten: number;
}

export type PreparedReceivable =
  | {
      kind: 'booked';
      plan: PostingPlan;
      executed: ExecutedStep[];
      /** The moves it created (patient invoices), as Odoo numbered them. */
      moves: Map<number, BookedMove>;
    }
  | { kind: 'failed'; error: OdooError };

export const nothingPrepared = (): PreparedWrites => ({
  invoices: new Map(),
  payments: new Map(),
  receivables: new Map(),
  settledTraces: new Set(),
  receivablesWritten: 0,
});

/**
 * Odoo partner ids by partner external id, per Odoo client (a writer container and its connection): the
 * crosswalk (master data) or Odoo told us once, and a partner id does not change. Forgotten when a batch that
 * used it was refused (a partner merged or deleted by hand): the one-by-one path then searches again.
 */
const knownPartners = new WeakMap<OdooClient, Map<string, number>>();

interface PrepareDeps {
  odoo: OdooClient;
  store: Pick<WorkflowStore, 'getMasterRecord'>;
  /** The writer's context for this batch: with it, payments and remittances are decided and booked here. */
  booking?: BookingContext;
  /**
   * ERA booking on (core/era-booking.ts): a claim payment is booked by its ERA's round, not by the SQS batch of
   * its turn (its encounter's later events in the batch still wait behind it).
   */
  deferRemittances?: boolean;
  /** Payments outside an ERA too: each joins its day's round (core/era-booking.ts `paymentRoundKey`). */
  deferPayments?: boolean;
  /** Until when (epoch ms) the receivables batch waits for Odoo's answers: an ERA round's invocation allows it. */
  answerBy?: number;
}

export async function prepareBatch(
  envelopes: readonly EventEnvelope[],
  deps: PrepareDeps,
  /**
   * Envelope ids delivered for the first time (ApproximateReceiveCount 1, not a retry from the register): only
   * their payments may be looked up ahead for their own booking. A redelivery follows an attempt whose payment
   * may still commit late, so it looks its payment up right before it writes, as before. All, when absent. The
   * batch's own booking of payments (receivables-batch.ts) looks up right before it writes, so it takes
   * redeliveries too: the look-up stands as close to the write as the one-by-one path's does.
   */
  firstDeliveries?: ReadonlySet<string>,
): Promise<PreparedWrites> {
  const prepared = nothingPrepared();
  await prepareReceivables(
    envelopes.filter((e) => !firstDeliveries || firstDeliveries.has(e.id)),
    envelopes,
    deps,
    prepared,
  );
  const invoices = envelopes.filter((e) => e.type === 'InvoiceIssued');
  if (invoices.length === 0) return prepared;
  const ledger = new OdooInvoiceLedger(deps.odoo);
  const partners = await partnerIds(
    invoices.map((e) => (e.data as InvoiceIssued).billTo),
    ledger,
    deps,
  );
  const items = invoices.map((envelope) => {
    const invoice = envelope.data as InvoiceIssued;
    return { envelope, invoice, partnerId: partners.get(partnerExternalId(invoice.billTo)) as number };
  });
  const posted = await ledger.postInvoices(items);
  for (const { envelope, invoice, partnerId } of items) {
    const booked = posted.get(invoiceExternalId(invoice.invoiceId, partnerId));
    if (booked) prepared.invoices.set(envelope.id, booked);
  }
  if (posted.size < new Set(items.map((i) => invoiceExternalId(i.invoice.invoiceId, i.partnerId))).size)
    forgetPartners(deps.odoo);
  return prepared;
}

/**
 * Patient payments and ERA claim payments of the batch, booked together (issue 16): for the first event of each
 * encounter in the batch (nothing earlier in the batch writes to its invoices), one look-up of all their invoices,
 * payments, credit notes and patient invoices; each decided as its own booking decides (receivables.ts, within
 * its FIFO turn: the rest of its group waits behind it); then the plans written together by
 * `OdooReceivablesBatch` in a fixed number of calls, and each ERA's deposit matched once. What the batch does not
 * book is booked by its record as before, with the look-ups (when the batch did not touch it).
 */
async function prepareReceivables(
  eligible: readonly EventEnvelope[],
  envelopes: readonly EventEnvelope[],
  deps: PrepareDeps,
  prepared: PreparedWrites,
): Promise<void> {
  const seen = new Set<string>();
  const candidates: EventEnvelope[] = [];
  // An invoice id named twice in the batch (two encounters reusing one id) would be written by the first.
  const named = new Map<string, number>();
  for (const envelope of envelopes) {
    const encounter = envelope.encounterId ?? envelope.id;
    if (
      ((envelope.type === 'PaymentReceived' && !deps.deferPayments) ||
        (envelope.type === 'RemittanceReceived' && !deps.deferRemittances)) &&
      !seen.has(encounter)
    )
      candidates.push(envelope);
    seen.add(encounter);
    const data = envelope.data as { invoiceId?: unknown; appliesTo?: { invoiceId?: unknown } };
    const invoiceId = data.appliesTo?.invoiceId ?? data.invoiceId;
    if (typeof invoiceId === 'string') named.set(invoiceId, (named.get(invoiceId) ?? 0) + 1);
  }
  // Each candidate's invoice, partner and the refs its plan may create, from the workflow and the crosswalk.
  const wanted: Array<{
    envelope: EncounterEnvelope;
    invoiceId: string;
    paymentRef: string;
    moveRefs: string[];
    partner: { kind: 'payer' | 'patient'; id: string };
    patientId?: string;
  }> = [];
  // Each candidate is its own encounter: their reads run side by side (an ERA round brings hundreds), in order.
  const found = await inTurn(candidates, async (envelope): Promise<(typeof wanted)[number] | undefined> => {
    if (!isEncounterEvent(envelope)) return undefined;
    if (envelope.type === 'PaymentReceived') {
      const payment = envelope.data as PaymentReceived;
      if (named.get(payment.appliesTo.invoiceId) !== 1) return undefined;
      return {
        envelope,
        invoiceId: payment.appliesTo.invoiceId,
        paymentRef: paymentStepRef(payment.paymentId),
        moveRefs: [],
        partner: payment.payer,
      };
    }
    if (!deps.booking) return undefined;
    const remittance = envelope.data as RemittanceReceived;
    const workflow = await deps.booking.store.getWorkflow(envelope.encounterId);
    const invoiceId = workflow && remittanceInvoiceId(workflow, remittance.claimId);
    if (!workflow || !invoiceId || named.has(invoiceId)) return undefined;
    const refs = remittanceStepRefs(remittance.remittanceId);
    return {
      envelope,
      invoiceId,
      paymentRef: refs.payment,
      moveRefs: [
        refs.prCredit,
        refs.coCredit,
        refs.oaCredit,
        refs.piCredit,
        patientInvoiceId(invoiceId, remittance.remittanceId),
      ],
      partner: { kind: 'payer', id: remittance.payerId },
      ...(workflow.patientId ? { patientId: workflow.patientId } : {}),
    };
  });
  for (const item of found) if (item) wanted.push(item);
  if (wanted.length === 0) return;
  const partnerIds = new Map<string, number>();
  const known = knownPartners.get(deps.odoo);
  const partnerId = async (party: { kind: 'payer' | 'patient'; id: string }) =>
    known?.get(partnerExternalId(party)) ??
    (await deps.store.getMasterRecord(party.kind, party.id))?.odooPartnerId;
  // One look-up per partner: an ERA's claim payments all name its payer.
  const parties = new Map(wanted.map(({ partner }) => [partnerRef(partner), partner]));
  for (const [ref, partner] of parties) {
    const id = await partnerId(partner);
    if (id !== undefined) partnerIds.set(ref, id);
  }
  const snapshot = await OdooReceivablesLedger.snapshot(deps.odoo, {
    invoiceIds: wanted.map((w) => w.invoiceId),
    paymentRefs: wanted.map((w) => w.paymentRef),
    moveRefs: wanted.flatMap((w) => w.moveRefs),
    partnerIds,
  });
  if (!deps.booking) {
    // Look-ups only (no booking context): each record books on its own with them, as before issue 16's batch.
    for (const { envelope } of wanted)
      if (envelope.type === 'PaymentReceived' && eligible.includes(envelope))
        prepared.payments.set(envelope.id, snapshot);
    return;
  }
  const bookings: BatchBooking[] = [];
  const plans = new Map<string, PostingPlan>();
  const booking = deps.booking;
  const decided = await inTurn(wanted, async ({ envelope, patientId }) => {
    const ledger = new OdooReceivablesLedger(deps.odoo, undefined, snapshot);
    const decision =
      envelope.type === 'PaymentReceived'
        ? await decidePayment(envelope, booking, ledger)
        : await decideRemittance(envelope, booking, ledger);
    if (decision.kind !== 'plan' || !batchable(decision.plan.steps)) return undefined;
    const patientPartnerId = patientId ? await partnerId({ kind: 'patient', id: patientId }) : undefined;
    return { envelope, plan: decision.plan, patientPartnerId };
  });
  const memoField = (await deps.odoo.dialect()).paymentMemoField;
  // Booked whole already (a round stopped after its batch, before recording): recorded from the look-ups, not
  // looked up again one by one — after an outage that is most of a round.
  const foundWhole = new Set<string>();
  for (const item of decided) {
    if (!item) continue;
    plans.set(item.envelope.id, item.plan);
    const whole = foundBooked(item.plan.steps, item.patientPartnerId, snapshot, memoField);
    if (whole) {
      prepared.receivables.set(item.envelope.id, { kind: 'booked', plan: item.plan, ...whole });
      foundWhole.add(item.envelope.id);
      continue;
    }
    bookings.push({
      key: item.envelope.id,
      steps: item.plan.steps,
      ...(item.patientPartnerId === undefined ? {} : { patientPartnerId: item.patientPartnerId }),
      ...(item.envelope.type === 'RemittanceReceived'
        ? { eraTrace: (item.envelope.data as RemittanceReceived).payment.traceNumber }
        : {}),
    });
  }
  prepared.receivablesWritten += bookings.length;
  const outcome = await new OdooReceivablesBatch(deps.odoo).book(
    bookings,
    snapshot,
    deps.answerBy === undefined ? {} : { answerBy: deps.answerBy },
  );
  for (const [key, booked] of outcome.booked)
    prepared.receivables.set(key, { kind: 'booked', plan: plans.get(key) as PostingPlan, ...booked });
  for (const [key, error] of [...outcome.unsettled, ...outcome.refused])
    prepared.receivables.set(key, { kind: 'failed', error });
  // The look-ups stay good for what the batch did not try: its invoices and payments are untouched.
  for (const { envelope } of wanted)
    if (
      envelope.type === 'PaymentReceived' &&
      eligible.includes(envelope) &&
      !outcome.attempted.has(envelope.id)
    )
      prepared.payments.set(envelope.id, snapshot);
  // Each ERA's deposit entry matched once with the claim payments the batch booked (era-deposit-ledger.ts).
  const traces = new Set(
    wanted.flatMap(({ envelope }) =>
      envelope.type === 'RemittanceReceived' &&
      (outcome.booked.has(envelope.id) || foundWhole.has(envelope.id))
        ? [(envelope.data as RemittanceReceived).payment.traceNumber]
        : [],
    ),
  );
  for (const trace of traces) {
    try {
      await new OdooEraDepositLedger(deps.odoo).settle(trace, outcome.deposits.get(trace));
      prepared.settledTraces.add(trace);
    } catch {
      // Each record settles it on its own then.
    }
  }
}

/** `work` over the items, a few at a time, the answers in the items' order. */
async function inTurn<T, R>(items: readonly T[], work: (item: T) => Promise<R>, width = 8): Promise<R[]> {
  const answers: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        answers[index] = await work(items[index] as T);
      }
    }),
  );
  return answers;
}

export function forgetPartners(odoo: OdooClient): void {
  knownPartners.delete(odoo);
}

/** Partner ids for these bill-tos: remembered, else the crosswalk, else Odoo (one search and one load for all). */
async function partnerIds(
  billTos: ReadonlyArray<z.infer<typeof BillTo>>,
  ledger: OdooInvoiceLedger,
  deps: PrepareDeps,
): Promise<Map<string, number>> {
  let known = knownPartners.get(deps.odoo);
  if (!known) {
    known = new Map();
    knownPartners.set(deps.odoo, known);
  }
  const unknown = new Map<string, z.infer<typeof BillTo>>();
  for (const billTo of billTos) {
    const externalId = partnerExternalId(billTo);
    if (known.has(externalId) || unknown.has(externalId)) continue;
    // The crosswalk holds the partner master data synced (bookMasterData), under the same external id.
    const master = await deps.store.getMasterRecord(billTo.kind, billTo.id);
    if (master?.odooPartnerId !== undefined) known.set(externalId, master.odooPartnerId);
    else unknown.set(externalId, billTo);
  }
  if (unknown.size > 0) {
    for (const [externalId, id] of await ledger.ensurePartners([...unknown.values()]))
      known.set(externalId, id);
  }
  return known;
}
