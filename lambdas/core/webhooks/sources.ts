import * as z from 'zod';
import { ClaimStatusRequest } from '../claim.js';
import { EventSource } from '../envelope.js';
import type { EventType } from '../events.js';
import { parseCents } from '../money.js';
import { PaymentRequest, toCanonicalPayment } from '../payment.js';
import { type OdooEntryRecorded, type PaymentRefunded, RefundNotice } from './events.js';

/**
 * Inbound webhook sources and how each payload becomes canonical business events. Pure: the receiver and the
 * processor (handlers) do the I/O. A payload that a known source sends but we cannot map is quarantined, never
 * dropped (docs/webhooks.md#quarantine).
 */
export const WEBHOOK_SOURCES = ['clearinghouse', 'gateway', 'odoo'] as const;
export type WebhookSource = (typeof WEBHOOK_SOURCES)[number];

export function isWebhookSource(value: string): value is WebhookSource {
  return (WEBHOOK_SOURCES as readonly string[]).includes(value);
}

/**
 * How a source proves itself: an HMAC signature header (`Rcm-Signature`), or — Odoo, whose outgoing webhooks
 * cannot sign nor set headers (odoo.md) — a secret token in the URL (`?token=`).
 */
export const SOURCE_AUTH: Record<WebhookSource, 'hmac' | 'url-token'> = {
  clearinghouse: 'hmac',
  gateway: 'hmac',
  odoo: 'url-token',
};

/** The bus `source` of events accepted from webhooks (see wiring.ts eventRoutes). */
export const WEBHOOK_EVENT_SOURCE = EventSource.webhooks;

/** Same shape as handlers/intake/accept-events.ts `CanonicalEvent` (the core does not import handlers). */
export interface CanonicalEventDraft {
  eventType: EventType;
  data: unknown;
  encounter?: { encounterId: string; facilityId: string };
  partitionKey: string;
  facts: Record<string, unknown>;
}

export type Mapping =
  | {
      kind: 'events';
      /** Business identity of the document: the idempotency key its events are derived from. */
      businessKey: string;
      events: CanonicalEventDraft[];
    }
  | { kind: 'ignored'; reason: string }
  | { kind: 'quarantine'; reason: string };

const Envelope = z.object({
  id: z.string().min(1).max(128),
  type: z.string().min(1).max(64),
  data: z.unknown(),
});

/** Clearinghouse: `{"id","type":"claim.status","data":<ClaimStatusRequest>}` (the REST contract's body). */
export const ClearinghouseWebhook = Envelope.extend({
  type: z.literal('claim.status'),
  data: ClaimStatusRequest,
});

/** Gateway: `payment.succeeded` (data = the REST payment contract) and `payment.refunded`. */
export const GatewayWebhook = z.discriminatedUnion('type', [
  Envelope.extend({ type: z.literal('payment.succeeded'), data: PaymentRequest }),
  Envelope.extend({ type: z.literal('payment.refunded'), data: RefundNotice }),
]);

function parseJson(rawBody: string): { ok: true; value: unknown } | { ok: false; reason: string } {
  try {
    return { ok: true, value: JSON.parse(rawBody) };
  } catch (error) {
    return { ok: false, reason: `not JSON: ${(error as Error).message}`.slice(0, 300) };
  }
}

function issues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    .join('; ')
    .slice(0, 500);
}

/** The sender's id of a delivery, when the body carries one (`id`); the `Rcm-Delivery-Id` header wins. */
export function bodyDeliveryId(rawBody: string): string | undefined {
  const json = parseJson(rawBody);
  if (!json.ok || typeof json.value !== 'object' || json.value === null) return undefined;
  const id = (json.value as { id?: unknown }).id;
  return typeof id === 'string' && /^[\x21-\x7e]{1,128}$/.test(id) ? id : undefined;
}

export function mapClearinghouse(rawBody: string): Mapping {
  const json = parseJson(rawBody);
  if (!json.ok) return { kind: 'quarantine', reason: json.reason };
  const type = (json.value as { type?: unknown } | null)?.type;
  if (type !== 'claim.status')
    return { kind: 'quarantine', reason: `unknown clearinghouse event type ${JSON.stringify(type)}` };
  const parsed = ClearinghouseWebhook.safeParse(json.value);
  if (!parsed.success) return { kind: 'quarantine', reason: issues(parsed.error) };
  const status = parsed.data.data;
  return {
    kind: 'events',
    businessKey: `claim-status:${status.statusId}`,
    events: [
      {
        eventType: 'ClaimStatusChanged',
        data: status,
        encounter: { encounterId: status.encounterId, facilityId: status.facilityId },
        partitionKey: status.encounterId,
        facts: {
          statusId: status.statusId,
          claimId: status.claimId,
          status: status.status,
          payerCodes: status.payerCodes,
          via: 'webhook:clearinghouse',
        },
      },
    ],
  };
}

export function mapGateway(rawBody: string): Mapping {
  const json = parseJson(rawBody);
  if (!json.ok) return { kind: 'quarantine', reason: json.reason };
  const type = (json.value as { type?: unknown } | null)?.type;
  if (type !== 'payment.succeeded' && type !== 'payment.refunded')
    return { kind: 'quarantine', reason: `unknown gateway event type ${JSON.stringify(type)}` };
  const parsed = GatewayWebhook.safeParse(json.value);
  if (!parsed.success) return { kind: 'quarantine', reason: issues(parsed.error) };
  if (parsed.data.type === 'payment.succeeded') {
    const payment = toCanonicalPayment(parsed.data.data);
    return {
      kind: 'events',
      businessKey: `payment:${payment.paymentId}`,
      events: [
        {
          eventType: 'PaymentReceived',
          data: payment,
          encounter: { encounterId: payment.encounterId, facilityId: payment.facilityId },
          partitionKey: payment.encounterId,
          facts: {
            paymentId: payment.paymentId,
            payerKind: payment.payer.kind,
            amountCents: payment.amountCents,
            invoiceId: payment.appliesTo.invoiceId,
            via: 'webhook:gateway',
          },
        },
      ],
    };
  }
  const notice = parsed.data.data;
  const refund: PaymentRefunded = {
    refundId: notice.refundId,
    paymentId: notice.paymentId,
    encounterId: notice.encounterId,
    facilityId: notice.facilityId,
    amountCents: parseCents(notice.amount),
    refundedDate: notice.refundedDate,
    ...(notice.reason ? { reason: notice.reason } : {}),
  };
  if (refund.amountCents <= 0) return { kind: 'quarantine', reason: 'a refund must be greater than zero' };
  return {
    kind: 'events',
    businessKey: `refund:${refund.refundId}`,
    events: [
      {
        eventType: 'PaymentRefunded',
        data: refund,
        encounter: { encounterId: refund.encounterId, facilityId: refund.facilityId },
        partitionKey: refund.encounterId,
        facts: {
          refundId: refund.refundId,
          paymentId: refund.paymentId,
          amountCents: refund.amountCents,
          via: 'webhook:gateway',
        },
      },
    ],
  };
}

// ---- Odoo ----

/**
 * What Odoo's "Send Webhook Notification" sends: `{"_action","_id","_model","id", <chosen fields>}`
 * (odoo.md). Only the model and id are trusted; everything else is re-read over RPC.
 */
export const OdooWebhookHint = z
  .object({
    _model: z.enum(['account.payment', 'account.move']),
    _id: z.number().int().positive(),
  })
  .passthrough();
export type OdooWebhookHint = { model: 'account.payment' | 'account.move'; id: number };

export function parseOdooHint(rawBody: string): { ok: true; hint: OdooWebhookHint } | Mapping {
  const json = parseJson(rawBody);
  if (!json.ok) return { kind: 'quarantine', reason: json.reason };
  const parsed = OdooWebhookHint.safeParse(json.value);
  if (!parsed.success) {
    const model = (json.value as { _model?: unknown } | null)?._model;
    return typeof model === 'string' && !['account.payment', 'account.move'].includes(model)
      ? { kind: 'ignored', reason: `webhooks for ${model} are not used` }
      : { kind: 'quarantine', reason: issues(parsed.error) };
  }
  return { ok: true, hint: { model: parsed.data._model, id: parsed.data._id } };
}

/** A delivery id for Odoo, which sends none: the record and a digest of the body (Odoo fires on every write). */
export function odooDeliveryId(hint: OdooWebhookHint, bodyDigest: string): string {
  return `${hint.model}:${hint.id}:${bodyDigest.slice(0, 16)}`;
}

/** The Odoo record as re-read over RPC (fields normalised by the adapter). */
export type OdooRecord =
  | {
      model: 'account.payment';
      id: number;
      name?: string;
      /** `posted` (17), `in_process`/`paid` (18) count as booked. */
      state: string;
      paymentType: string;
      partnerType: string;
      amountCents: number;
      date: string;
      memo: string;
      invoices: OdooInvoice[];
    }
  | {
      model: 'account.move';
      id: number;
      name?: string;
      state: string;
      moveType: string;
      ref: string;
      amountCents: number;
      date: string;
      invoices: OdooInvoice[];
    };

export interface OdooInvoice {
  id: number;
  ref: string;
  narration: string;
}

/** Booked payment states: `posted` in 17; `in_process` / `paid` in 18. */
const BOOKED_PAYMENT_STATES = new Set(['posted', 'in_process', 'paid']);

/** `invoiceValues` (core/odoo-posting.ts) writes this narration on every invoice the hub books. */
export function encounterFromNarration(
  narration: string,
): { encounterId: string; facilityId: string } | undefined {
  const text = narration.replace(/<[^>]*>/g, ' ');
  const match = /rcm-hub encounter (\S+) facility (\S+)/.exec(text);
  return match?.[1] && match[2] ? { encounterId: match[1], facilityId: match[2] } : undefined;
}

/**
 * A re-read Odoo record → the canonical event that shows it in the encounter's workflow, or why it is skipped.
 * What the hub wrote itself (payment memos carry `[rcm:…]`, credit notes and reversals a `rcm:` ref) is skipped:
 * the workflow already holds it, and counting it again would double the money.
 */
export function mapOdooRecord(record: OdooRecord | undefined): Mapping {
  if (!record) return { kind: 'ignored', reason: 'the record does not exist (rolled back or deleted)' };
  const key = `odoo:${record.model}:${record.id}`;
  let kind: OdooEntryRecorded['kind'];
  if (record.model === 'account.payment') {
    if (record.memo.includes('[rcm:')) return { kind: 'ignored', reason: 'a payment the hub booked itself' };
    if (record.paymentType !== 'inbound' || record.partnerType !== 'customer')
      return { kind: 'ignored', reason: 'not an inbound customer payment' };
    if (!BOOKED_PAYMENT_STATES.has(record.state))
      return { kind: 'ignored', reason: `payment is ${record.state}, not posted yet` };
    kind = 'payment';
  } else {
    if (record.moveType !== 'out_refund') return { kind: 'ignored', reason: `a ${record.moveType} move` };
    if (record.ref.startsWith('rcm:'))
      return { kind: 'ignored', reason: 'a credit note the hub booked itself' };
    if (record.state !== 'posted')
      return { kind: 'ignored', reason: `credit note is ${record.state}, not posted yet` };
    kind = 'creditNote';
  }
  if (record.invoices.length === 0)
    return { kind: 'ignored', reason: `${kind} is not reconciled with an invoice (yet)` };
  if (record.invoices.length > 1)
    return {
      kind: 'quarantine',
      reason: `${kind} ${record.id} applies to ${record.invoices.length} invoices; split it by hand`,
    };
  const invoice = record.invoices[0] as OdooInvoice;
  const encounter = encounterFromNarration(invoice.narration);
  if (!encounter || !invoice.ref)
    return {
      kind: 'quarantine',
      reason: `Odoo invoice ${invoice.id} carries no rcm-hub encounter; cannot map ${kind} ${record.id}`,
    };
  if (record.amountCents <= 0) return { kind: 'ignored', reason: `${kind} of zero` };
  const data: OdooEntryRecorded = {
    kind,
    odooModel: record.model,
    odooId: record.id,
    ...(record.name ? { odooName: record.name } : {}),
    invoiceId: invoice.ref,
    odooInvoiceId: invoice.id,
    ...encounter,
    amountCents: record.amountCents,
    date: record.date,
  };
  return {
    kind: 'events',
    businessKey: key,
    events: [
      {
        eventType: 'OdooEntryRecorded',
        data,
        encounter,
        partitionKey: encounter.encounterId,
        facts: {
          kind,
          odooModel: record.model,
          odooId: record.id,
          invoiceId: invoice.ref,
          amountCents: record.amountCents,
          via: 'webhook:odoo',
        },
      },
    ],
  };
}
