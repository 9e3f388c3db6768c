import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signatureHeader, verifySignature } from '../../lambdas/core/webhooks/signature.js';
import type { Hub } from '../../local/runtime.js';
import { accessToken, eventually, invoiceRequest, itemCount, odoo, startTestHub } from './support/hub.js';

/**
 * Issue #5: webhooks both ways, against the local hub over real HTTP. A partner's receiver gets signed
 * deliveries for a scripted workflow while it answers 500 for a while; inbound webhooks from a clearinghouse,
 * a gateway and Odoo itself move the workflow; a wrong signature changes nothing.
 */
const SOURCES = {
  clearinghouse: ['whsec_it_clearinghouse_current', 'whsec_it_clearinghouse_previous'],
  gateway: ['whsec_it_gateway_current_0001'],
  odoo: ['it-odoo-webhook-token-000001'],
};

let hub: Hub;
let token: string;
let receiver: Receiver;

interface Receiver {
  url: string;
  server: Server;
  secret?: string;
  /** Requests answered 500 before the receiver "recovers". */
  failuresLeft: number;
  answers: Array<{ status: number; eventId: string }>;
  /** The receiver's own dedupe: event id → envelope, first accepted copy only. */
  accepted: Map<string, { type: string }>;
  badSignatures: number;
}

async function startReceiver(failures: number): Promise<Receiver> {
  const state: Omit<Receiver, 'url' | 'server'> = {
    failuresLeft: failures,
    answers: [],
    accepted: new Map(),
    badSignatures: 0,
  };
  const server = createServer(async (req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const verdict = verifySignature({
      header: req.headers['rcm-signature'] as string | undefined,
      rawBody: body,
      secrets: state.secret ? [state.secret] : [],
      nowSeconds: Math.floor(Date.now() / 1000),
    });
    if (!verdict.ok) {
      state.badSignatures += 1;
      res.writeHead(401).end();
      return;
    }
    const envelope = JSON.parse(body.toString('utf8')) as { id: string; type: string };
    if (state.failuresLeft > 0) {
      state.failuresLeft -= 1;
      state.answers.push({ status: 500, eventId: envelope.id });
      res.writeHead(500).end('not now');
      return;
    }
    state.answers.push({ status: 200, eventId: envelope.id });
    if (!state.accepted.has(envelope.id)) state.accepted.set(envelope.id, { type: envelope.type });
    res.writeHead(200).end('ok');
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', () => ok()));
  const receiverState = state as Receiver;
  receiverState.server = server;
  receiverState.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  return receiverState;
}

async function api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${hub.baseUrl}${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

async function webhook(
  source: string,
  payload: unknown,
  options: { secret?: string; timestamp?: number; deliveryId?: string; query?: string; raw?: string } = {},
) {
  const raw = options.raw ?? JSON.stringify(payload);
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (options.secret) headers['Rcm-Signature'] = signatureHeader([options.secret], timestamp, raw);
  if (options.deliveryId) headers['Rcm-Delivery-Id'] = options.deliveryId;
  const response = await fetch(`${hub.baseUrl}/webhooks/${source}${options.query ?? ''}`, {
    method: 'POST',
    headers,
    body: raw,
  });
  return {
    status: response.status,
    body: (await response.json()) as { status?: string; deliveryId?: string },
    contentType: response.headers.get('content-type'),
  };
}

async function workflowOf(encounterId: string) {
  const answer = await api('GET', `/v1/workflows/${encounterId}`);
  return answer.status === 200 ? answer.body : undefined;
}

async function postInvoice(invoice: Record<string, unknown>) {
  const answer = await api('POST', '/v1/invoices', invoice, { 'Idempotency-Key': `inv-${randomUUID()}` });
  expect(answer.status).toBe(202);
  return eventually(
    async () => {
      const wf = await workflowOf(invoice.encounterId as string);
      return wf?.state === 'invoice_issued' ? wf : undefined;
    },
    20_000,
    'invoice posted',
  );
}

beforeAll(async () => {
  hub = await startTestHub({
    webhooks: { sources: SOURCES, retryPolicy: { baseSeconds: 1, capSeconds: 2, budgetSeconds: 300 } },
  });
  token = await accessToken(hub);
  receiver = await startReceiver(4);
});

afterAll(async () => {
  await new Promise<void>((ok) => receiver?.server.close(() => ok()));
  await hub?.close();
});

describe('outbound subscriptions', () => {
  let subscriptionId: string;

  it('creates a subscription and returns its secret once', async () => {
    // Act
    const created = await api('POST', '/v1/subscriptions', {
      url: receiver.url,
      eventTypes: [
        'InvoicePosted',
        'ClaimStatusChanged',
        'PaymentPosted',
        'PaymentReversed',
        'ExceptionOpened',
      ],
    });
    const listed = await api('GET', '/v1/subscriptions');

    // Assess
    expect(created.status).toBe(201);
    expect(created.body.secret).toMatch(/^whsec_/);
    subscriptionId = created.body.id;
    receiver.secret = created.body.secret;
    expect(listed.body.items).toEqual([expect.objectContaining({ id: subscriptionId, url: receiver.url })]);
    expect(listed.body.items[0].secret).toBeUndefined();
  });

  it('refuses a plain-http URL that is not loopback, and an unknown event type', async () => {
    // Act
    const http = await api('POST', '/v1/subscriptions', {
      url: 'http://partner.example.com/hooks',
      eventTypes: ['InvoicePosted'],
    });
    const unknown = await api('POST', '/v1/subscriptions', {
      url: 'https://partner.example.com/hooks',
      eventTypes: ['PatientUpserted'],
    });

    // Assess
    expect(http.status).toBe(400);
    expect(unknown.status).toBe(400);
  });

  const encounterId = `ENC-WH-${Date.now()}`;
  const invoice = invoiceRequest({ encounterId });

  it('a scripted workflow reaches a receiver that fails for a while: every event arrives exactly once after dedupe', async () => {
    // Prepare: invoice (API) → claim (API) → claim status (clearinghouse webhook) → payment (gateway webhook)
    await postInvoice(invoice);
    const claimId = `CLM-${encounterId}`;
    const claim = await api(
      'POST',
      '/v1/claims',
      {
        claimId,
        encounterId,
        facilityId: 'FAC-NORTH',
        payerId: 'PAYER-ACME-HEALTH',
        invoiceIds: [invoice.invoiceId],
        billedAmount: '145.50',
        submittedDate: '2026-11-03',
      },
      { 'Idempotency-Key': `clm-${randomUUID()}` },
    );
    expect(claim.status).toBe(202);

    // Act
    const status = await webhook(
      'clearinghouse',
      {
        id: `evt-${randomUUID()}`,
        type: 'claim.status',
        data: {
          statusId: `ST-${encounterId}`,
          claimId,
          encounterId,
          facilityId: 'FAC-NORTH',
          status: 'accepted',
          payerCodes: [{ category: 'A2', code: '20' }],
          effectiveDate: '2026-11-04',
        },
      },
      // Signed with the previous secret: a rotation in progress does not drop it.
      { secret: SOURCES.clearinghouse[1] },
    );
    const paymentEvent = {
      id: `evt-${randomUUID()}`,
      type: 'payment.succeeded',
      data: {
        paymentId: `PAY-${encounterId}`,
        encounterId,
        facilityId: 'FAC-NORTH',
        payer: { kind: 'payer', id: 'PAYER-ACME-HEALTH' },
        amount: '145.50',
        method: 'ach',
        traceNumber: 'TRN-1',
        receivedDate: '2026-11-20',
        appliesTo: { invoiceId: invoice.invoiceId },
      },
    };
    const payment = await webhook('gateway', paymentEvent, { secret: SOURCES.gateway[0] });
    // The gateway retries the same delivery: recognised, not accepted twice.
    const again = await webhook('gateway', paymentEvent, { secret: SOURCES.gateway[0] });

    // Assess
    expect(status.status).toBe(202);
    expect(payment.status).toBe(202);
    expect([200, 202]).toContain(again.status);
    expect(again.body.status).toBe('duplicate');
    const wf = await eventually(
      async () => {
        const w = await workflowOf(encounterId);
        return w?.state === 'payment_posted' && w.money.paidCents === 14550 ? w : undefined;
      },
      30_000,
      'payment posted from the gateway webhook',
    );
    expect(wf.claims[0]).toMatchObject({ claimId, status: 'accepted' });

    const log = await eventually(
      async () => {
        const answer = await api('GET', `/v1/subscriptions/${subscriptionId}/deliveries`);
        const items = answer.body.items as Array<{
          status: string;
          eventType: string;
          eventId: string;
          attemptCount: number;
        }>;
        const types = new Set(items.map((d) => d.eventType));
        const done =
          items.length > 0 &&
          items.every((d) => d.status === 'delivered') &&
          ['InvoicePosted', 'PaymentPosted'].every((t) => types.has(t));
        return done ? items : undefined;
      },
      60_000,
      'every delivery delivered',
    );
    const logged = log.map((d) => d.eventId);
    expect(receiver.answers.filter((a) => a.status === 500)).toHaveLength(4);
    expect(new Set(receiver.accepted.keys())).toEqual(new Set(logged));
    for (const id of logged) {
      expect(receiver.answers.filter((a) => a.eventId === id && a.status === 200)).toHaveLength(1);
    }
    expect(log.some((d) => d.attemptCount > 1)).toBe(true);
    expect(receiver.badSignatures).toBe(0);
  });

  it('a gateway refund reverses the payment in Odoo and in the workflow', async () => {
    // Act
    const refund = await webhook(
      'gateway',
      {
        id: `evt-${randomUUID()}`,
        type: 'payment.refunded',
        data: {
          refundId: `RF-${encounterId}`,
          paymentId: `PAY-${encounterId}`,
          encounterId,
          facilityId: 'FAC-NORTH',
          amount: '145.50',
          refundedDate: '2026-11-25',
        },
      },
      { secret: SOURCES.gateway[0] },
    );

    // Assess
    expect(refund.status).toBe(202);
    await eventually(
      async () => {
        const w = await workflowOf(encounterId);
        return w?.money.paidCents === 0 ? w : undefined;
      },
      30_000,
      'refund reversed the payment',
    );
    const [move] = await odoo<Array<{ amount_residual: number }>>(
      hub,
      'account.move',
      'search_read',
      [
        [
          ['ref', '=', invoice.invoiceId],
          ['move_type', '=', 'out_invoice'],
        ],
      ],
      { fields: ['amount_residual'] },
    );
    expect(move?.amount_residual).toBe(145.5);
    await eventually(
      async () =>
        [...receiver.accepted.values()].some((e) => e.type === 'PaymentReversed') ? true : undefined,
      30_000,
      'PaymentReversed delivered',
    );
  });

  it('deleting a subscription stops it and hides it', async () => {
    // Act
    const other = await api('POST', '/v1/subscriptions', {
      url: 'https://partner.example.com/h',
      eventTypes: ['InvoicePosted'],
    });
    const deleted = await api('DELETE', `/v1/subscriptions/${other.body.id}`);
    const gone = await api('GET', `/v1/subscriptions/${other.body.id}`);

    // Assess
    expect(deleted.status).toBe(200);
    expect(deleted.body).toEqual({ id: other.body.id, status: 'deleted' });
    expect(gone.status).toBe(404);
  });
});

describe('inbound webhooks', () => {
  it('a wrong signature, a stale timestamp, an unknown source or a missing token change nothing', async () => {
    // Prepare
    const before = {
      webhooks: await itemCount(hub, 'WebhookTable'),
      workflows: await itemCount(hub, 'WorkflowTable'),
    };
    const payload = { id: 'evt-forged', type: 'claim.status', data: {} };

    // Act
    const forged = await webhook('clearinghouse', payload, { secret: 'whsec_attacker_guess_00000001' });
    const stale = await webhook('clearinghouse', payload, {
      secret: SOURCES.clearinghouse[0],
      timestamp: Math.floor(Date.now() / 1000) - 3600,
    });
    const unsigned = await webhook('clearinghouse', payload);
    const unknown = await webhook('acme', payload, { secret: SOURCES.clearinghouse[0] });
    const odooNoToken = await webhook('odoo', { _model: 'account.payment', _id: 1, id: 1 });
    const odooBadToken = await webhook(
      'odoo',
      { _model: 'account.payment', _id: 1, id: 1 },
      { query: '?token=nope' },
    );
    await hub.waitForIdle();

    // Assess
    expect(forged.status).toBe(401);
    expect(forged.contentType).toContain('application/problem+json');
    expect(stale.status).toBe(400);
    expect(unsigned.status).toBe(400);
    expect(unknown.status).toBe(401);
    expect(odooNoToken.status).toBe(401);
    expect(odooBadToken.status).toBe(401);
    expect(await itemCount(hub, 'WebhookTable')).toBe(before.webhooks);
    expect(await itemCount(hub, 'WorkflowTable')).toBe(before.workflows);
  });

  it('a payload a known source sends but we cannot map is quarantined with an exception, then replayed once fixed', async () => {
    // Prepare
    const deliveryId = `evt-${randomUUID()}`;
    const encounterId = `ENC-Q-${Date.now()}`;

    // Act: a dispute (not mapped) arrives, signed
    const answer = await webhook(
      'gateway',
      { id: deliveryId, type: 'payment.disputed', data: { amount: '10.00' } },
      { secret: SOURCES.gateway[0] },
    );

    // Assess: kept, listed with the reason, and an exception reached the subscriber
    expect(answer.status).toBe(202);
    await eventually(
      async () =>
        [...receiver.accepted.values()].some((e) => e.type === 'ExceptionOpened') ? true : undefined,
      30_000,
      'ExceptionOpened for the quarantined payload delivered',
    );
    const listed = await api('GET', '/v1/webhooks/quarantine');
    expect(listed.body.items).toEqual(
      expect.arrayContaining([expect.objectContaining({ source: 'gateway', deliveryId })]),
    );

    // Act: a person corrects the payload (it was a payment after all) and replays it
    const corrected = JSON.stringify({
      id: deliveryId,
      type: 'payment.succeeded',
      data: {
        paymentId: `PAY-${encounterId}`,
        encounterId,
        facilityId: 'FAC-NORTH',
        payer: { kind: 'patient', id: 'PAT-Q' },
        amount: '10.00',
        method: 'card',
        traceNumber: 'ch_q',
        receivedDate: '2026-11-22',
        appliesTo: { invoiceId: `INV-${encounterId}` },
      },
    });
    const replay = await api(
      'POST',
      `/v1/webhooks/quarantine/gateway/${encodeURIComponent(deliveryId)}/replay`,
      { correctedBody: corrected },
    );
    const again = await api(
      'POST',
      `/v1/webhooks/quarantine/gateway/${encodeURIComponent(deliveryId)}/replay`,
      {},
    );

    // Assess: accepted into the encounter's workflow, off the quarantine list; a second replay finds nothing
    expect(replay.status).toBe(202);
    expect([202, 404]).toContain(again.status);
    await eventually(async () => workflowOf(encounterId), 30_000, 'replayed payment accepted');
    const after = await api('GET', '/v1/webhooks/quarantine');
    expect(after.body.items.map((i: { deliveryId: string }) => i.deliveryId)).not.toContain(deliveryId);
  });

  it("an Odoo webhook for a payment registered by hand in Odoo advances the encounter's workflow", async () => {
    // Prepare: an invoice the hub posted, then a finance user registers a payment in Odoo (JSON-RPC)
    const encounterId = `ENC-ODOO-${Date.now()}`;
    const invoice = invoiceRequest({ encounterId });
    await postInvoice(invoice);
    const [invoiceMoveId] = await odoo<number[]>(hub, 'account.move', 'search', [
      [
        ['ref', '=', invoice.invoiceId],
        ['move_type', '=', 'out_invoice'],
      ],
    ]);
    const [journalId] = await odoo<number[]>(hub, 'account.journal', 'search', [[['code', '=', 'BNK1']]]);
    const context = { active_model: 'account.move', active_ids: [invoiceMoveId] };
    const [wizardId] = await odoo<number[]>(
      hub,
      'account.payment.register',
      'create',
      [[{ amount: 100, payment_date: '2026-11-21', journal_id: journalId, communication: 'check 1234' }]],
      { context },
    );
    const action = await odoo<{ res_id: number }>(
      hub,
      'account.payment.register',
      'action_create_payments',
      [[wizardId]],
      {
        context,
      },
    );
    const paymentId = action.res_id;

    // Act: Odoo's automation rule posts the hint (unsigned; the token in the URL authenticates it)
    const hint = {
      _action: 'Send Webhook Notification(#12)',
      _id: paymentId,
      _model: 'account.payment',
      id: paymentId,
    };
    const first = await webhook('odoo', hint, { query: `?token=${SOURCES.odoo[0]}` });
    const repeated = await webhook('odoo', hint, { query: `?token=${SOURCES.odoo[0]}` });

    // Assess
    expect(first.status).toBe(202);
    expect(repeated.body.status).toBe('duplicate');
    const wf = await eventually(
      async () => {
        const w = await workflowOf(encounterId);
        return w?.state === 'payment_posted' ? w : undefined;
      },
      30_000,
      'workflow advanced by the Odoo payment',
    );
    expect(wf.money.paidCents).toBe(10_000);
    expect(wf.timeline.map((e: { type: string }) => e.type)).toEqual(
      expect.arrayContaining(['OdooEntryRecorded', 'PaymentPosted']),
    );
  });

  it('an Odoo webhook for a payment the hub booked itself is ignored (no double count)', async () => {
    // Prepare: the gateway payment of the first encounter was booked by the hub; find it in Odoo by its marker
    const payments = await odoo<Array<{ id: number; ref: string }>>(
      hub,
      'account.payment',
      'search_read',
      [[['ref', 'ilike', '[rcm:pay:']]],
      { fields: ['ref'] },
    );
    expect(payments.length).toBeGreaterThan(0);
    // Whatever earlier tests left in flight (a day's payment round) is done before the table is counted.
    await hub.waitForIdle();
    const before = await itemCount(hub, 'WorkflowTable');

    // Act
    const answer = await webhook(
      'odoo',
      { _action: 'x', _id: payments[0]?.id, _model: 'account.payment', id: payments[0]?.id },
      { query: `?token=${SOURCES.odoo[0]}` },
    );
    await hub.waitForIdle();

    // Assess
    expect(answer.status).toBe(202);
    expect(await itemCount(hub, 'WorkflowTable')).toBe(before);
  });
});
