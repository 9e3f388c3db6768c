import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hub } from '../../local/runtime.js';
import {
  accessToken,
  eventually,
  invoiceRequest,
  itemCount,
  odoo,
  sandboxAdmin,
  startTestHub,
} from './support/hub.js';

/** Issue #2: a partner's invoice travels from the REST API to a posted Odoo invoice. */
interface OdooMove {
  id: number;
  name: string;
  state: string;
  move_type: string;
  amount_total: number;
  amount_residual: number;
  payment_state: string;
  ref: string;
  partner_id: [number, string];
}

interface TimelineEntry {
  type: string;
  time: string;
  correlationId: string;
  clientId: string;
  detail: Record<string, unknown>;
}

interface WorkflowView {
  state: string;
  openExceptions: number;
  type?: string;
  odoo: { invoices: unknown[] };
  lastOdooError: { kind: string; message: string } | null;
  timeline: TimelineEntry[];
}

let hub: Hub;
let token: string;

beforeAll(async () => {
  // Short visibility timeout so redeliveries after an Odoo outage happen within the test.
  hub = await startTestHub({
    odooWriteQueue: { retryDelaySeconds: 1, maxReceiveCount: 1000 },
    clients: [
      { clientId: 'read-only-partner', clientSecret: 'read-only-secret-123', scopes: ['rcm/workflows.read'] },
    ],
  });
  token = await accessToken(hub);
});

afterAll(async () => {
  await hub?.close();
});

async function submit(body: unknown, key: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${hub.baseUrl}/v1/invoices`, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${token}`,
      'Content-Type': 'application/json',
      'Idempotency-Key': key,
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
}

async function workflow(encounterId: string) {
  const response = await fetch(`${hub.baseUrl}/v1/workflows/${encounterId}`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  return { status: response.status, body: (await response.json()) as WorkflowView };
}

const movesWithRef = (ref: string) =>
  odoo<OdooMove[]>(hub, 'account.move', 'search_read', [[['ref', '=', ref]]], {
    fields: [
      'name',
      'state',
      'move_type',
      'amount_total',
      'amount_residual',
      'payment_state',
      'ref',
      'partner_id',
    ],
  });

describe('an invoice submitted through the API', () => {
  it('is posted in Odoo as a customer invoice and the workflow says invoice_issued', async () => {
    // Prepare
    const invoice = invoiceRequest();

    // Act
    const accepted = await submit(invoice, `key-${invoice.invoiceId}`, {
      'X-Correlation-Id': 'corr-walking-skeleton-1',
    });
    await hub.waitForIdle();

    // Assess
    expect(accepted.status).toBe(202);
    expect(accepted.headers.get('location')).toBe(`/v1/workflows/${invoice.encounterId}`);
    expect(accepted.headers.get('x-correlation-id')).toBe('corr-walking-skeleton-1');
    expect(accepted.body).toMatchObject({
      correlationId: 'corr-walking-skeleton-1',
      encounterId: invoice.encounterId,
      status: 'accepted',
    });

    const moves = await movesWithRef(invoice.invoiceId as string);
    expect(moves).toHaveLength(1);
    expect(moves[0]).toMatchObject({
      move_type: 'out_invoice',
      state: 'posted',
      amount_total: 145.5,
      amount_residual: 145.5,
      payment_state: 'not_paid',
    });
    expect(moves[0]?.partner_id[1]).toBe('Acme Health Plan');

    const view = await workflow(invoice.encounterId as string);
    expect(view.status).toBe(200);
    expect(view.body.state).toBe('invoice_issued');
    expect(view.body.odoo.invoices).toEqual([
      expect.objectContaining({
        invoiceId: invoice.invoiceId,
        moveId: moves[0]?.id,
        moveName: moves[0]?.name,
        partnerId: moves[0]?.partner_id[0],
      }),
    ]);
    expect(view.body.timeline.map((e) => e.type)).toEqual(['InvoiceIssued', 'InvoicePosted']);
    for (const entry of view.body.timeline) {
      expect(entry.correlationId).toBe('corr-walking-skeleton-1');
      expect(entry.clientId).toBe(hub.developmentClient.clientId);
      expect(Date.parse(entry.time)).not.toBeNaN();
    }
  });

  it('sent twice with the same key gets the same answer and yields one invoice', async () => {
    const invoice = invoiceRequest();
    const first = await submit(invoice, `key-${invoice.invoiceId}`);
    const second = await submit(invoice, `key-${invoice.invoiceId}`);
    await hub.waitForIdle();

    expect(second.status).toBe(202);
    expect(second.body).toEqual(first.body);
    expect(await movesWithRef(invoice.invoiceId as string)).toHaveLength(1);
  });

  it('sent twice at once with the same key: both get the first answer, one invoice (docs/cost.md#third-pass)', async () => {
    const invoice = invoiceRequest();
    const [a, b] = await Promise.all([
      submit(invoice, `key-twice-${invoice.invoiceId}`),
      submit(invoice, `key-twice-${invoice.invoiceId}`),
    ]);
    await hub.waitForIdle();

    expect([a.status, b.status]).toEqual([202, 202]);
    expect(b.body).toEqual(a.body);
    expect(await movesWithRef(invoice.invoiceId as string)).toHaveLength(1);
    const view = await workflow(invoice.encounterId as string);
    expect(view.body.timeline.filter((e) => e.type === 'InvoiceIssued')).toHaveLength(1);
  });

  it('sent again under a new key still yields one invoice in Odoo (found by its reference)', async () => {
    const invoice = invoiceRequest();
    await submit(invoice, `key-a-${invoice.invoiceId}`);
    await hub.waitForIdle();
    await submit(invoice, `key-b-${invoice.invoiceId}`);
    await hub.waitForIdle();

    expect(await movesWithRef(invoice.invoiceId as string)).toHaveLength(1);
    const view = await workflow(invoice.encounterId as string);
    const posted = view.body.timeline.filter((e) => e.type === 'InvoicePosted');
    expect(posted.map((e) => e.detail.alreadyPresent)).toEqual([false, true]);
  });

  it('reusing a key for a different invoice is a 409 and changes nothing', async () => {
    const invoice = invoiceRequest();
    await submit(invoice, `key-${invoice.invoiceId}`);
    const conflicting = await submit(
      {
        ...invoice,
        lines: [{ code: '99214', codeSystem: 'CPT', description: 'Visit', quantity: 1, unitPrice: '1.00' }],
      },
      `key-${invoice.invoiceId}`,
    );
    await hub.waitForIdle();

    expect(conflicting.status).toBe(409);
    expect(conflicting.headers.get('content-type')).toBe('application/problem+json');
    expect(conflicting.body.type).toMatch(/idempotency-key-reused$/);
    const moves = await movesWithRef(invoice.invoiceId as string);
    expect(moves).toHaveLength(1);
    expect(moves[0]?.amount_total).toBe(145.5);
  });
});

describe('bad requests', () => {
  const valid = () => invoiceRequest();
  const withLine = (line: Record<string, unknown>) => {
    const body = valid();
    return { ...body, lines: [{ ...(body.lines as Record<string, unknown>[])[0], ...line }] };
  };
  const cases: Array<{
    name: string;
    status: number;
    path?: string;
    send: () => Promise<{ status: number; headers: Headers; body: Record<string, unknown> }>;
  }> = [
    { name: 'malformed JSON', status: 400, send: () => submit('{"invoiceId": ', 'key-bad-json-1') },
    { name: 'JSON that is not an object', status: 400, send: () => submit('[1,2,3]', 'key-bad-json-2') },
    {
      name: 'wrong content type',
      status: 415,
      send: () => submit(JSON.stringify(valid()), 'key-bad-ctype', { 'Content-Type': 'text/plain' }),
    },
    {
      name: 'missing Idempotency-Key',
      status: 400,
      send: () => submit(valid(), '', { 'Idempotency-Key': '' }),
    },
    {
      name: 'quantity as a string',
      status: 400,
      path: '/lines/0/quantity',
      send: () => submit(withLine({ quantity: '1' }), 'key-bad-1'),
    },
    {
      name: 'unknown currency',
      status: 400,
      path: '/currency',
      send: () => submit({ ...valid(), currency: 'EUR' }, 'key-bad-2'),
    },
    {
      name: 'negative amount',
      status: 400,
      path: '/lines/0/unitPrice',
      send: () => submit(withLine({ unitPrice: '-5.00' }), 'key-bad-3'),
    },
    {
      name: 'three decimals',
      status: 400,
      path: '/lines/0/unitPrice',
      send: () => submit(withLine({ unitPrice: '1.005' }), 'key-bad-4'),
    },
    {
      name: 'amount as a number',
      status: 400,
      path: '/lines/0/unitPrice',
      send: () => submit(withLine({ unitPrice: 125 }), 'key-bad-5'),
    },
    {
      name: 'missing invoiceId',
      status: 400,
      path: '/invoiceId',
      send: () => submit({ ...valid(), invoiceId: undefined }, 'key-bad-6'),
    },
    {
      name: 'unknown field',
      status: 400,
      send: () => submit({ ...valid(), patientSsn: '123-45-6789' }, 'key-bad-7'),
    },
    {
      name: 'impossible date',
      status: 400,
      path: '/issueDate',
      send: () => submit({ ...valid(), issueDate: '2026-02-30' }, 'key-bad-8'),
    },
    {
      name: 'no lines',
      status: 400,
      path: '/lines',
      send: () => submit({ ...valid(), lines: [] }, 'key-bad-9'),
    },
    {
      name: 'unknown bill-to kind',
      status: 400,
      path: '/billTo/kind',
      send: () => submit({ ...valid(), billTo: { kind: 'employer', id: 'E1', name: 'X' } }, 'key-bad-10'),
    },
    {
      name: 'unknown code system',
      status: 400,
      path: '/lines/0/codeSystem',
      send: () => submit(withLine({ codeSystem: 'ICD10' }), 'key-bad-11'),
    },
    {
      name: 'zero quantity',
      status: 400,
      path: '/lines/0/quantity',
      send: () => submit(withLine({ quantity: 0 }), 'key-bad-12'),
    },
    {
      name: 'oversize body',
      status: 413,
      send: () => submit({ ...valid(), padding: 'x'.repeat(300 * 1024) }, 'key-bad-13'),
    },
    {
      name: 'no token',
      status: 401,
      send: async () => {
        const r = await fetch(`${hub.baseUrl}/v1/invoices`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'Idempotency-Key': 'key-bad-14' },
          body: JSON.stringify(valid()),
        });
        return { status: r.status, headers: r.headers, body: (await r.json()) as Record<string, unknown> };
      },
    },
    {
      name: 'forged token',
      status: 401,
      send: () =>
        submit(valid(), 'key-bad-15', {
          Authorization: 'Bearer eyJhbGciOiJub25lIn0.eyJzY29wZSI6InJjbS9pbnZvaWNlcy53cml0ZSJ9.',
        }),
    },
    {
      name: 'token without the invoices scope',
      status: 403,
      send: async () => {
        const readOnly = await accessToken(hub, {
          clientId: 'read-only-partner',
          clientSecret: 'read-only-secret-123',
          scopes: [],
        });
        return submit(valid(), 'key-bad-16', { Authorization: `Bearer ${readOnly}` });
      },
    },
    {
      name: 'invalid correlation id',
      status: 400,
      send: () => submit(valid(), 'key-bad-17', { 'X-Correlation-Id': 'has spaces in it' }),
    },
  ];

  it('each get a clear 4xx problem+json and nothing is written anywhere', async () => {
    // Prepare
    const movesBefore = await odoo<number>(hub, 'account.move', 'search_count', [[]]);
    const partnersBefore = await odoo<number>(hub, 'res.partner', 'search_count', [[]]);
    const workflowItemsBefore = await itemCount(hub, 'WorkflowTable');
    const idempotencyItemsBefore = await itemCount(hub, 'IdempotencyTable');
    expect(cases.length).toBeGreaterThanOrEqual(20);

    // Act
    const answers = [];
    for (const c of cases) answers.push({ c, answer: await c.send() });
    await hub.waitForIdle();

    // Assess
    for (const { c, answer } of answers) {
      expect(answer.status, c.name).toBe(c.status);
      expect(answer.headers.get('content-type'), c.name).toBe('application/problem+json');
      expect(answer.body, c.name).toMatchObject({
        status: c.status,
        title: expect.any(String),
        detail: expect.any(String),
      });
      expect(String(answer.body.type), c.name).toMatch(/^https:\/\/rcm-hub\.dev\/problems\//);
      if (c.path) {
        expect(
          (answer.body.errors as Array<{ path: string }>).map((e) => e.path),
          c.name,
        ).toContain(c.path);
      }
    }
    expect(await odoo<number>(hub, 'account.move', 'search_count', [[]])).toBe(movesBefore);
    expect(await odoo<number>(hub, 'res.partner', 'search_count', [[]])).toBe(partnersBefore);
    expect(await itemCount(hub, 'WorkflowTable')).toBe(workflowItemsBefore);
    expect(await itemCount(hub, 'IdempotencyTable')).toBe(idempotencyItemsBefore);
  });

  it('an unknown encounter is a 404 problem', async () => {
    const answer = await workflow('ENC-NEVER-SEEN');
    expect(answer.status).toBe(404);
    expect(answer.body.type).toMatch(/not-found$/);
  });
});

describe('when Odoo is down for a while', () => {
  it('the invoice lands once Odoo comes back, exactly once', async () => {
    // Prepare: Odoo answers HTTP 500 pages, as an overloaded server does.
    const invoice = invoiceRequest();
    await sandboxAdmin(hub, 'faults', { mode: 'down' });
    await sandboxAdmin(hub, 'stats', undefined, 'DELETE');

    // Act
    const accepted = await submit(invoice, `key-${invoice.invoiceId}`);
    await eventually(
      async () => {
        const stats = (await sandboxAdmin(hub, 'stats', undefined, 'GET')) as { total: number };
        return stats.total >= 6 ? true : undefined;
      },
      30_000,
      'several failed Odoo calls',
    );
    const during = await workflow(invoice.encounterId as string);
    await sandboxAdmin(hub, 'faults', { mode: 'none' });
    await hub.waitForIdle();

    // Assess
    expect(accepted.status).toBe(202);
    expect(during.body.state).toBe('charge_ready');
    expect(during.body.lastOdooError).toMatchObject({ kind: 'transient' });
    const moves = await movesWithRef(invoice.invoiceId as string);
    expect(moves).toHaveLength(1);
    expect(moves[0]?.state).toBe('posted');
    const after = await workflow(invoice.encounterId as string);
    expect(after.body.state).toBe('invoice_issued');
    expect(after.body.lastOdooError).toBeNull();
  });
});

describe('an invoice Odoo refuses for good', () => {
  it('goes to the DLQ with the reason and shows as an exception in the workflow', async () => {
    // Prepare: a custom constraint in this Odoo (as a module or Studio would add) refuses the invoice.
    const invoice = invoiceRequest({ invoiceId: `INV-REFUSED-${Date.now()}` });
    await sandboxAdmin(hub, 'constraints', {
      model: 'account.move',
      method: 'create',
      field: 'ref',
      equals: invoice.invoiceId,
      name: 'odoo.exceptions.ValidationError',
      message: 'An invoice for this payer needs a prior authorization number.',
    });

    // Act
    await submit(invoice, `key-${invoice.invoiceId}`);
    await hub.waitForIdle();

    // Assess
    expect(await movesWithRef(invoice.invoiceId as string)).toHaveLength(0);
    const view = await workflow(invoice.encounterId as string);
    expect(view.body.state).toBe('exception_pending');
    expect(view.body.openExceptions).toBe(1);
    expect(view.body.lastOdooError).toMatchObject({
      kind: 'permanent',
      message: expect.stringContaining('prior authorization'),
    });
    expect(view.body.timeline.map((e) => e.type)).toEqual(['InvoiceIssued', 'OdooWriteRejected']);

    const sqs = new SQSClient({
      endpoint: hub.aws.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const dead = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: hub.queueUrls.OdooWriteQueue?.dlqUrl,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ['All'],
      }),
    );
    sqs.destroy();
    const message = dead.Messages?.find(
      (m) => JSON.parse(m.Body ?? '{}').data?.invoiceId === invoice.invoiceId,
    );
    expect(message?.MessageAttributes?.failureKind?.StringValue).toBe('permanent');
    expect(message?.MessageAttributes?.failureReason?.StringValue).toContain('prior authorization');
    await sandboxAdmin(hub, 'constraints', undefined, 'DELETE');
  });
});
