import { DeleteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../lambdas/adapters/dynamodb/audit-log.js';
import { type AuditTrailView, auditStreams, verifyChain } from '../../lambdas/core/audit.js';
import type { Hub } from '../../local/runtime.js';
import { verifyAuditTable } from '../../scripts/audit-verify.js';
import {
  type ApiCall,
  accessToken,
  apiCaller,
  eventually,
  invoiceRequest,
  sandboxAdmin,
  startTestHub,
} from './support/hub.js';

/**
 * Issue #15: the audit trail is append-only and tamper-evident. Every action on an exception is a line of its
 * hash-chained stream in the audit table; an auditor reads the chain with its verification, and
 * `npm run audit:verify` walks every stream. Changing one stored line, or deleting one, is found.
 */
let hub: Hub;
let developer: ApiCall;
let auditor: ApiCall;
let partner: ApiCall;
let client: DynamoDBClient;
let doc: DynamoDBDocumentClient;
let exceptionId: string;
const TABLES = { auditTable: 'AuditTable', exceptionTable: 'ExceptionTable' };
const seqKey = (seq: number) => String(seq).padStart(12, '0');

beforeAll(async () => {
  hub = await startTestHub({ odooWriteQueue: { retryDelaySeconds: 1, maxReceiveCount: 8 } });
  developer = apiCaller(hub, await accessToken(hub), 'dev');
  const auditorClient = hub.registerClient({ name: 'auditor-all', role: 'auditor', facilities: '*' });
  auditor = apiCaller(
    hub,
    await accessToken(hub, { ...auditorClient, scopes: [...auditorClient.scopes] }),
    'aud',
  );
  const partnerClient = hub.registerClient({
    name: 'clinic-north',
    role: 'partner',
    facilities: ['FAC-NORTH'],
  });
  partner = apiCaller(
    hub,
    await accessToken(hub, { ...partnerClient, scopes: [...partnerClient.scopes] }),
    'p',
  );
  client = new DynamoDBClient({
    endpoint: hub.dynamodbEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  doc = DynamoDBDocumentClient.from(client);

  // An invoice Odoo refuses for good: an open integration exception (opened, triaged), then resolved.
  const invoice = invoiceRequest({ invoiceId: `INV-AUDIT-${Date.now()}` });
  await sandboxAdmin(hub, 'constraints', {
    model: 'account.move',
    method: 'create',
    field: 'ref',
    equals: invoice.invoiceId,
    name: 'odoo.exceptions.ValidationError',
    message: 'An invoice for this payer needs a prior authorization number.',
  });
  expect((await developer('POST', '/v1/invoices', invoice)).status).toBe(202);
  await hub.waitForIdle();
  exceptionId = await eventually(async () => {
    const page = await developer('GET', `/v1/exceptions?invoiceId=${invoice.invoiceId}`);
    return (page.body.items as Array<{ id: string }>)[0]?.id;
  });
  const resolved = await developer('POST', `/v1/exceptions/${exceptionId}/resolve`, {
    note: 'Written off after review.',
  });
  expect(resolved.status).toBe(200);
});

afterAll(async () => {
  client?.destroy();
  await hub?.close();
});

const trail = async () => {
  const answer = await auditor('GET', `/v1/exceptions/${exceptionId}/audit`);
  expect(answer.status).toBe(200);
  return answer.body as unknown as AuditTrailView;
};
const storedLine = async (seq: number) =>
  (
    await doc.send(
      new GetCommand({
        TableName: 'AuditTable',
        Key: { stream: auditStreams.exception(exceptionId), seq: seqKey(seq) },
      }),
    )
  ).Item as Record<string, unknown>;
const putLine = (item: Record<string, unknown>) =>
  doc.send(new PutCommand({ TableName: 'AuditTable', Item: item }));
const deleteLine = (seq: number) =>
  client.send(
    new DeleteItemCommand({
      TableName: 'AuditTable',
      Key: { stream: { S: auditStreams.exception(exceptionId) }, seq: { S: seqKey(seq) } },
    }),
  );

describe('every action on an exception is a chained line of its own stream', () => {
  it('opened, triaged, resolved — each with who, at the version it made, linked by hash', async () => {
    // Act
    const chain = await trail();

    // Assess
    expect(chain.verification).toMatchObject({ intact: true, lines: 3 });
    expect(chain.lines.map((l) => [l.seq, l.action, l.entryVersion])).toEqual([
      [1, 'opened', 1],
      [2, 'triaged', 2],
      [3, 'resolved', 3],
    ]);
    expect(chain.lines[2]).toMatchObject({
      note: 'Written off after review.',
      actor: hub.developmentClient.clientId,
    });
    expect(chain.lines[1]?.prevHash).toBe(chain.lines[0]?.hash);
    expect(chain.verification.head).toBe(chain.lines[2]?.hash);
    // The exception API reads its trail from the audit table.
    const exception = await developer('GET', `/v1/exceptions/${exceptionId}`);
    expect((exception.body.audit as Array<{ action: string }>).map((a) => a.action)).toEqual([
      'opened',
      'triaged',
      'resolved',
    ]);
  });

  it('the chain is for auditors: a partner token is refused, an unknown exception is 404', async () => {
    expect((await partner('GET', `/v1/exceptions/${exceptionId}/audit`)).status).toBe(403);
    expect((await auditor('GET', '/v1/exceptions/0b7c5a52-3d47-5c1e-9a51-7f1e2f0c9e11/audit')).status).toBe(
      404,
    );
  });

  it('npm run audit:verify finds every stream intact', async () => {
    const report = await verifyAuditTable(client, TABLES);
    expect(report).toMatchObject({ intact: true, broken: [] });
    expect(report.exceptions).toBeGreaterThanOrEqual(1);
    expect(report.lines).toBeGreaterThanOrEqual(3);
  });
});

describe('tampering is found', () => {
  it('one stored line changed: the route and the script name that line', async () => {
    // Prepare
    const original = await storedLine(2);

    // Act: someone with write access edits the note of line 2 in place
    await putLine({ ...original, note: 'model says: nothing to see here' });

    // Assess
    expect((await trail()).verification).toMatchObject({
      intact: false,
      firstBroken: { seq: 2, problem: 'altered' },
    });
    const report = await verifyAuditTable(client, TABLES);
    expect(report.intact).toBe(false);
    expect(report.broken).toEqual([
      expect.objectContaining({
        stream: auditStreams.exception(exceptionId),
        firstBroken: { seq: 2, problem: 'altered' },
      }),
    ]);
    await putLine(original);
    expect((await trail()).verification.intact).toBe(true);
  });

  it('a line deleted in the middle, or the last one, is found', async () => {
    const first = await storedLine(1);
    await deleteLine(1);
    expect((await trail()).verification.firstBroken).toEqual({ seq: 1, problem: 'missing' });
    await putLine(first);

    const last = await storedLine(3);
    await deleteLine(3);
    expect((await trail()).verification.firstBroken).toEqual({
      seq: 3,
      problem: 'truncated',
      expectedVersion: 3,
      lastVersion: 2,
    });
    expect((await verifyAuditTable(client, TABLES)).intact).toBe(false);
    await putLine(last);
    expect((await verifyAuditTable(client, TABLES)).intact).toBe(true);
  });
});

describe('writers cannot fork a chain', () => {
  it('concurrent appends to one stream each get their own line, all linked', async () => {
    // Prepare: eight writers at once (conditional PutItem on the line number; a loser chains onto the new head)
    const log = new AuditLog(client, 'AuditTable');
    const stream = auditStreams.webhook('clearinghouse', `race-${Date.now()}`);

    // Act
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        log.append(stream, {
          at: new Date(Date.UTC(2026, 10, 2, 0, 0, i)).toISOString(),
          action: 'replayed',
          actor: `op-${i}`,
        }),
      ),
    );

    // Assess
    const lines = await log.lines(stream);
    expect(lines.map((l) => l.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(new Set(lines.map((l) => l.actor)).size).toBe(8);
    expect(verifyChain(stream, lines).intact).toBe(true);
  });

  it('a line number already taken is never overwritten by the hub', async () => {
    const log = new AuditLog(client, 'AuditTable');
    const stream = auditStreams.exception(exceptionId);
    await expect(
      log.record(stream, {
        at: '2026-11-02T00:00:00.000Z',
        action: 'resolved',
        actor: 'intruder',
        entryVersion: 3,
      }),
    ).rejects.toThrow(/holds another action/);
    expect((await trail()).verification.intact).toBe(true);
  });
});
