import type * as z from 'zod';
import type { WorkflowStore } from '../../adapters/dynamodb/workflow-store.js';
import type { OdooClient } from '../../adapters/odoo/client.js';
import { OdooInvoiceLedger, type PostedInvoice } from '../../adapters/odoo/invoice-ledger.js';
import { OdooReceivablesLedger, type ReceivablesSnapshot } from '../../adapters/odoo/receivables-ledger.js';
import type { EventEnvelope } from '../../core/envelope.js';
import type { BillTo, InvoiceIssued } from '../../core/invoice.js';
import { invoiceExternalId, partnerExternalId } from '../../core/odoo-external-ids.js';
import { partnerRef } from '../../core/odoo-posting.js';
import type { PaymentReceived } from '../../core/payment.js';
import { paymentStepRef } from '../../core/payment-posting.js';

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
  /** What Odoo holds for PaymentReceived events (their invoice, their payment if any), by envelope id. */
  payments: Map<string, ReceivablesSnapshot>;
}

export const nothingPrepared = (): PreparedWrites => ({ invoices: new Map(), payments: new Map() });

/**
 * Odoo partner ids by partner external id, per Odoo client (a writer container and its connection): the
 * crosswalk (master data) or Odoo told us once, and a partner id does not change. Forgotten when a batch that
 * used it was refused (a partner merged or deleted by hand): the one-by-one path then searches again.
 */
const knownPartners = new WeakMap<OdooClient, Map<string, number>>();

export async function prepareBatch(
  envelopes: readonly EventEnvelope[],
  deps: { odoo: OdooClient; store: Pick<WorkflowStore, 'getMasterRecord'> },
  /**
   * Envelope ids delivered for the first time (ApproximateReceiveCount 1, not a retry from the register): only
   * their payments may be looked up ahead. A redelivery follows an attempt whose payment may still commit late,
   * so it looks its payment up right before it writes, as before. All, when absent.
   */
  firstDeliveries?: ReadonlySet<string>,
): Promise<PreparedWrites> {
  const prepared = nothingPrepared();
  await preparePayments(
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
 * Payments look up their invoice and their own step ref before they write: for the first event of each
 * encounter in the batch (nothing earlier in the batch writes to its invoices), one search for all of them.
 */
async function preparePayments(
  eligible: readonly EventEnvelope[],
  envelopes: readonly EventEnvelope[],
  deps: { odoo: OdooClient; store: Pick<WorkflowStore, 'getMasterRecord'> },
  prepared: PreparedWrites,
): Promise<void> {
  const seen = new Set<string>();
  const candidates: EventEnvelope[] = [];
  // An invoice id named twice in the batch (two encounters reusing one id) would be written by the first.
  const named = new Map<string, number>();
  for (const envelope of envelopes) {
    const encounter = envelope.encounterId ?? envelope.id;
    if (envelope.type === 'PaymentReceived' && !seen.has(encounter) && eligible.includes(envelope))
      candidates.push(envelope);
    seen.add(encounter);
    const data = envelope.data as { invoiceId?: unknown; appliesTo?: { invoiceId?: unknown } };
    const invoiceId = data.appliesTo?.invoiceId ?? data.invoiceId;
    if (typeof invoiceId === 'string') named.set(invoiceId, (named.get(invoiceId) ?? 0) + 1);
  }
  const payments = candidates.filter((e) => named.get((e.data as PaymentReceived).appliesTo.invoiceId) === 1);
  if (payments.length === 0) return;
  const partnerIds = new Map<string, number>();
  const known = knownPartners.get(deps.odoo);
  for (const envelope of payments) {
    const { payer } = envelope.data as PaymentReceived;
    const ref = partnerRef(payer);
    const id =
      known?.get(partnerExternalId(payer)) ??
      (await deps.store.getMasterRecord(payer.kind, payer.id))?.odooPartnerId;
    if (id !== undefined) partnerIds.set(ref, id);
  }
  const snapshot = await OdooReceivablesLedger.snapshot(deps.odoo, {
    invoiceIds: payments.map((e) => (e.data as PaymentReceived).appliesTo.invoiceId),
    paymentRefs: payments.map((e) => paymentStepRef((e.data as PaymentReceived).paymentId)),
    partnerIds,
  });
  for (const envelope of payments) prepared.payments.set(envelope.id, snapshot);
}

export function forgetPartners(odoo: OdooClient): void {
  knownPartners.delete(odoo);
}

/** Partner ids for these bill-tos: remembered, else the crosswalk, else Odoo (one search and one load for all). */
async function partnerIds(
  billTos: ReadonlyArray<z.infer<typeof BillTo>>,
  ledger: OdooInvoiceLedger,
  deps: { odoo: OdooClient; store: Pick<WorkflowStore, 'getMasterRecord'> },
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
