import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hub } from '../../local/runtime.js';
import { verifyAuditTable } from '../../scripts/audit-verify.js';
import { accessToken, invoiceRequest, odoo, sandboxAdmin, startTestHub } from './support/hub.js';

/**
 * Issue #6: exceptions are first-class. An invoice Odoo refuses for good shows in the exception register,
 * found by team and status, encounter and correlation id; a retry after the cause is fixed posts it once in
 * Odoo and the encounter leaves exception_pending; a resolve is attributed to the caller; a redelivered
 * ExceptionOpened changes nothing; a retry that fails again opens a new, linked exception.
 */
interface ExceptionView {
  id: string;
  key: string;
  team: string;
  status: string;
  reason: string;
  amountCents: number;
  payerId?: string;
  subjects: Record<string, string>;
  redrive: { kind: string; eventId?: string };
  attempt: number;
  retryOf?: string;
  retriedAs?: string;
  redriven?: { kind: string; from: string; reference: string };
  resolution?: { code?: string; note: string; clientId: string };
  audit: Array<{ action: string; clientId: string; note?: string }>;
}

let hub: Hub;
let token: string;

beforeAll(async () => {
  hub = await startTestHub({ odooWriteQueue: { retryDelaySeconds: 1, maxReceiveCount: 8 } });
  token = await accessToken(hub);
});

afterAll(async () => {
  await hub?.close();
});

async function api<T = Record<string, unknown>>(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: T }> {
  const response = await fetch(`${hub.baseUrl}${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as T };
}

const list = async (query: Record<string, string>) =>
  (await api<{ items: ExceptionView[] }>('GET', `/v1/exceptions?${new URLSearchParams(query)}`)).body.items;

const workflowState = async (encounterId: string) =>
  (await api<{ state: string; openExceptions: number }>('GET', `/v1/workflows/${encounterId}`)).body;

const postedMoves = async (ref: string) =>
  (
    await odoo<Array<{ state: string }>>(hub, 'account.move', 'search_read', [[['ref', '=', ref]]], {
      fields: ['state'],
    })
  ).filter((m) => m.state === 'posted');

async function refuseInvoicesWithRef(ref: string): Promise<void> {
  await sandboxAdmin(hub, 'constraints', {
    model: 'account.move',
    method: 'create',
    field: 'ref',
    equals: ref,
    name: 'odoo.exceptions.ValidationError',
    message: 'An invoice for this payer needs a prior authorization number.',
  });
}

/** Submits an invoice Odoo refuses, and waits until the writer dead-lettered it. */
async function refusedInvoice(label: string) {
  const invoice = invoiceRequest({ invoiceId: `INV-EXC-${label}-${Date.now()}` });
  const correlationId = `corr-exc-${label}-${Date.now()}`;
  await refuseInvoicesWithRef(invoice.invoiceId as string);
  const accepted = await api('POST', '/v1/invoices', invoice, {
    'Idempotency-Key': `key-${invoice.invoiceId}`,
    'X-Correlation-Id': correlationId,
  });
  expect(accepted.status).toBe(202);
  await hub.waitForIdle();
  return {
    invoiceId: invoice.invoiceId as string,
    encounterId: invoice.encounterId as string,
    correlationId,
    eventId: accepted.body.eventId as string,
  };
}

async function dlqBodies(): Promise<string[]> {
  const sqs = new SQSClient({
    endpoint: hub.aws.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: hub.queueUrls.OdooWriteQueue?.dlqUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 0,
      }),
    );
    return (out.Messages ?? []).map((m) => m.Body ?? '');
  } finally {
    sqs.destroy();
  }
}

describe('an invoice Odoo refuses for good', () => {
  let refused: Awaited<ReturnType<typeof refusedInvoice>>;
  let exception: ExceptionView;

  beforeAll(async () => {
    refused = await refusedInvoice('retry');
  });

  it('is an open integration exception, found by team and status, encounter and correlation id', async () => {
    // Act
    const byTeam = await list({ team: 'integration', status: 'open' });
    const byEncounter = await list({ encounterId: refused.encounterId });
    const byCorrelation = await list({ correlationId: refused.correlationId });
    const byInvoice = await list({ invoiceId: refused.invoiceId, status: 'open' });

    // Assess
    exception = byTeam.find((e) => e.subjects.encounterId === refused.encounterId) as ExceptionView;
    expect(exception).toMatchObject({
      key: `odoo-write:${refused.eventId}`,
      team: 'integration',
      status: 'open',
      amountCents: 14550,
      payerId: 'PAYER-ACME-HEALTH',
      subjects: {
        encounterId: refused.encounterId,
        invoiceId: refused.invoiceId,
        correlationId: refused.correlationId,
      },
      redrive: { kind: 'dead-letter', eventId: refused.eventId },
      attempt: 0,
    });
    expect(exception.reason).toContain('prior authorization');
    expect(byEncounter.map((e) => e.id)).toEqual([exception.id]);
    expect(byCorrelation.map((e) => e.id)).toEqual([exception.id]);
    expect(byInvoice.map((e) => e.id)).toEqual([exception.id]);
    expect((await api('GET', `/v1/exceptions/${exception.id}`)).body).toEqual(exception);
    expect((await workflowState(refused.encounterId)).state).toBe('exception_pending');
  });

  it('a redelivered ExceptionOpened does not register it twice or change it', async () => {
    // Prepare
    const before = (await api<ExceptionView>('GET', `/v1/exceptions/${exception.id}`)).body;

    // Act: the bus delivers every ExceptionOpened of this encounter again (an EventBridge replay)
    const replayed = hub.aws.events.replay(
      'exceptions-redelivery',
      (a) =>
        a.event['detail-type'] === 'ExceptionOpened' &&
        (a.event.detail as { encounterId?: string }).encounterId === refused.encounterId,
    );
    await hub.waitForIdle();

    // Assess
    expect(replayed).toBe(1);
    expect(await list({ encounterId: refused.encounterId })).toHaveLength(1);
    expect((await api<ExceptionView>('GET', `/v1/exceptions/${exception.id}`)).body).toEqual(before);
  });

  it('a retry after the cause is fixed posts the invoice once in Odoo and the encounter leaves exception_pending', async () => {
    // Prepare: the prior authorization is sorted out in Odoo
    await sandboxAdmin(hub, 'constraints', undefined, 'DELETE');

    // Act
    const retried = await api<ExceptionView>('POST', `/v1/exceptions/${exception.id}/retry`, {
      note: 'Prior authorization added in Odoo.',
    });
    await hub.waitForIdle();

    // Assess
    expect(retried.status).toBe(202);
    expect(retried.body).toMatchObject({
      status: 'retried',
      redriven: {
        kind: 'dead-letter',
        from: 'dead-letter-queue',
        reference: `${refused.eventId}:retry:1`,
      },
    });
    expect(retried.body.audit.at(-1)).toEqual(
      expect.objectContaining({
        action: 'retried',
        clientId: hub.developmentClient.clientId,
        note: 'Prior authorization added in Odoo.',
      }),
    );
    expect(await postedMoves(refused.invoiceId)).toHaveLength(1);
    expect(await workflowState(refused.encounterId)).toMatchObject({
      state: 'invoice_issued',
      openExceptions: 0,
    });
    expect((await dlqBodies()).filter((b) => b.includes(refused.eventId))).toEqual([]);
    expect(await list({ encounterId: refused.encounterId })).toHaveLength(1);
    const again = await api('POST', `/v1/exceptions/${exception.id}/retry`, {});
    expect(again.status).toBe(409);
  });
});

describe('resolving an exception', () => {
  it('closes it with the note and the caller’s client id, and the encounter leaves exception_pending', async () => {
    // Prepare
    const refused = await refusedInvoice('resolve');
    const [exception] = await list({ encounterId: refused.encounterId });

    // Act
    const resolved = await api<ExceptionView>('POST', `/v1/exceptions/${exception?.id}/resolve`, {
      note: 'Invoice voided with the partner; re-billed under another encounter.',
      resolutionCode: 'voided',
    });
    const twice = await api('POST', `/v1/exceptions/${exception?.id}/resolve`, { note: 'again' });
    await hub.waitForIdle();

    // Assess
    expect(resolved.status).toBe(200);
    expect(resolved.body).toMatchObject({
      status: 'resolved',
      resolution: {
        code: 'voided',
        note: 'Invoice voided with the partner; re-billed under another encounter.',
        clientId: hub.developmentClient.clientId,
      },
    });
    // Issue 17: the triage suggestion is recorded between the opening and the person's action.
    expect(resolved.body.audit.map((a) => a.action)).toEqual(['opened', 'triaged', 'resolved']);
    expect(resolved.body.audit.at(-1)?.clientId).toBe(hub.developmentClient.clientId);
    expect(twice.status).toBe(409);
    expect(await workflowState(refused.encounterId)).toMatchObject({
      state: 'charge_ready',
      openExceptions: 0,
    });
    expect(await list({ team: 'integration', status: 'resolved' })).toEqual(
      expect.arrayContaining([expect.objectContaining({ id: exception?.id })]),
    );
    expect((await dlqBodies()).filter((b) => b.includes(refused.eventId))).toEqual([]);
    await sandboxAdmin(hub, 'constraints', undefined, 'DELETE');
  });

  it('writes off only denials: outcome not-recoverable on another exception is refused and leaves it open', async () => {
    // Prepare
    const refused = await refusedInvoice('not-a-denial');
    const [exception] = await list({ encounterId: refused.encounterId });

    // Act
    const answer = await api<{ errors?: Array<{ path: string }> }>(
      'POST',
      `/v1/exceptions/${exception?.id}/resolve`,
      { note: 'write it off', outcome: 'not-recoverable' },
    );

    // Assess: nothing queued, nothing closed (issue 14: only a denial's amount is written off by a person).
    expect(answer.status).toBe(400);
    expect(answer.body.errors?.map((e) => e.path)).toEqual(['/outcome']);
    expect((await list({ encounterId: refused.encounterId }))[0]?.status).toBe('open');
    await sandboxAdmin(hub, 'constraints', undefined, 'DELETE');
  });

  it('needs a note, and the exceptions scopes', async () => {
    // Prepare
    const readOnly = await accessToken(hub, hub.developmentClient, 'rcm/exceptions.read');

    // Act
    const noNote = await api('POST', '/v1/exceptions/f25ea16c-4a8c-5d9d-9916-3deba6fe8308/resolve', {});
    const forbidden = await fetch(
      `${hub.baseUrl}/v1/exceptions/f25ea16c-4a8c-5d9d-9916-3deba6fe8308/resolve`,
      {
        method: 'POST',
        headers: { Authorization: `Bearer ${readOnly}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ note: 'x' }),
      },
    );
    const unknown = await api('GET', '/v1/exceptions/f25ea16c-4a8c-5d9d-9916-3deba6fe8308');

    // Assess
    expect(noNote.status).toBe(400);
    expect(forbidden.status).toBe(403);
    expect(unknown.status).toBe(404);
  });
});

describe('a retry that fails again', () => {
  it('opens a new exception linked to the retried one', async () => {
    // Prepare: Odoo still refuses
    const refused = await refusedInvoice('again');
    const [first] = await list({ encounterId: refused.encounterId });

    // Act
    const retried = await api<ExceptionView>('POST', `/v1/exceptions/${first?.id}/retry`);
    await hub.waitForIdle();

    // Assess
    expect(retried.status).toBe(202);
    const entries = await list({ encounterId: refused.encounterId });
    const second = entries.find((e) => e.id !== first?.id);
    expect(second).toMatchObject({
      key: `odoo-write:${refused.eventId}:retry:1`,
      status: 'open',
      attempt: 1,
      retryOf: first?.id,
      redrive: { kind: 'dead-letter', eventId: refused.eventId },
    });
    expect((await api<ExceptionView>('GET', `/v1/exceptions/${first?.id}`)).body).toMatchObject({
      status: 'retried',
      retriedAs: second?.id,
    });
    expect(await workflowState(refused.encounterId)).toMatchObject({
      state: 'exception_pending',
      openExceptions: 1,
    });
    // The retried entry's trail: opened, triaged, retried, then the failure it was linked to (issue #15).
    const trail = (await api<ExceptionView>('GET', `/v1/exceptions/${first?.id}`)).body.audit;
    expect(trail.map((a) => a.action)).toEqual(['opened', 'triaged', 'retried', 'retry-failed']);
    expect(trail.at(-1)?.note).toBe(`failed again: exception ${second?.id}`);
    await sandboxAdmin(hub, 'constraints', undefined, 'DELETE');
  });

  it('leaves every audit chain of these actions intact: each change one linked line (issue #15)', async () => {
    const client = new DynamoDBClient({
      endpoint: hub.dynamodbEndpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const report = await verifyAuditTable(client, {
      auditTable: 'AuditTable',
      exceptionTable: 'ExceptionTable',
    });
    client.destroy();
    expect(report.broken).toEqual([]);
    expect(report.exceptions).toBeGreaterThanOrEqual(4);
  });
});
