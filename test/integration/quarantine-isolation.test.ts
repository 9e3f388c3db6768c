import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../lambdas/adapters/dynamodb/audit-log.js';
import { RAW_BODY_TTL_DAYS } from '../../lambdas/adapters/webhooks/webhook-store.js';
import { auditStreams, verifyChain } from '../../lambdas/core/audit.js';
import { signatureHeader } from '../../lambdas/core/webhooks/signature.js';
import type { Hub } from '../../local/runtime.js';
import { type ApiCall, accessToken, apiCaller, eventually, startTestHub } from './support/hub.js';

/**
 * Issue #15: quarantined inbound webhooks are their facility's. A delivery whose payload names FAC-A is listed
 * and replayable by FAC-A's integration support (and all-facility clients), answers 404 to FAC-B's, and a
 * corrected body cannot move it to a facility the operator does not act for. Every replay is a line of the
 * delivery's audit stream.
 */
const GATEWAY_SECRET = 'whsec_it_quarantine_gateway_01';
let hub: Hub;
let supportA: ApiCall;
let supportB: ApiCall;
let supportAId: string;
let developer: ApiCall;

beforeAll(async () => {
  hub = await startTestHub({ webhooks: { sources: { gateway: [GATEWAY_SECRET] } } });
  const client = async (name: string, facility: string) => {
    const added = hub.registerClient({ name, role: 'integration-support', facilities: [facility] });
    return {
      api: apiCaller(hub, await accessToken(hub, { ...added, scopes: [...added.scopes] }), name),
      id: added.clientId,
    };
  };
  const a = await client('support-a', 'FAC-A');
  supportA = a.api;
  supportAId = a.id;
  supportB = (await client('support-b', 'FAC-B')).api;
  developer = apiCaller(hub, await accessToken(hub), 'dev');
});

afterAll(async () => {
  await hub?.close();
});

/** A signed gateway delivery the hub cannot map (a dispute), naming `facilityId`. */
async function quarantined(facilityId: string | undefined): Promise<string> {
  const deliveryId = `evt-${randomUUID()}`;
  const raw = JSON.stringify({
    id: deliveryId,
    type: 'payment.disputed',
    data: { amount: '10.00', ...(facilityId ? { facilityId } : {}) },
  });
  const response = await fetch(`${hub.baseUrl}/webhooks/gateway`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      'Rcm-Signature': signatureHeader([GATEWAY_SECRET], Math.floor(Date.now() / 1000), raw),
    },
    body: raw,
  });
  expect(response.status).toBe(202);
  await hub.waitForIdle();
  await eventually(async () => {
    const listed = await developer('GET', '/v1/webhooks/quarantine');
    return (listed.body.items as Array<{ deliveryId: string }>).some((i) => i.deliveryId === deliveryId)
      ? true
      : undefined;
  });
  return deliveryId;
}

const listedBy = async (api: ApiCall) =>
  (
    (await api('GET', '/v1/webhooks/quarantine')).body.items as Array<{
      deliveryId: string;
      facilityId?: string;
    }>
  ).map((i) => i.deliveryId);
const replay = (api: ApiCall, deliveryId: string, body: unknown = {}) =>
  api('POST', `/v1/webhooks/quarantine/gateway/${encodeURIComponent(deliveryId)}/replay`, body);

describe('quarantined webhooks by facility', () => {
  it('lists a delivery only to its facility’s people; one naming no facility only to all-facility clients', async () => {
    const ofA = await quarantined('FAC-A');
    const ofNobody = await quarantined(undefined);

    expect(await listedBy(supportA)).toContain(ofA);
    expect(await listedBy(supportB)).not.toContain(ofA);
    expect(await listedBy(supportA)).not.toContain(ofNobody);
    expect(await listedBy(developer)).toEqual(expect.arrayContaining([ofA, ofNobody]));
  });

  it('another facility’s replay answers 404 and changes nothing; its own facility replays it, audited', async () => {
    // Prepare
    const ofA = await quarantined('FAC-A');

    // Act
    const byB = await replay(supportB, ofA);
    const movedAway = await replay(supportA, ofA, {
      correctedBody: JSON.stringify({ id: ofA, type: 'payment.disputed', data: { facilityId: 'FAC-B' } }),
    });
    const stillListed = await listedBy(supportA);
    const byA = await replay(supportA, ofA);

    // Assess
    expect(byB.status).toBe(404);
    expect(movedAway.status).toBe(403);
    expect(movedAway.body.type).toBe('https://rcm-hub.dev/problems/not-entitled');
    expect(stillListed).toContain(ofA);
    expect(byA.status).toBe(202);
    const log = new AuditLog(
      new DynamoDBClient({
        endpoint: hub.dynamodbEndpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      }),
      'AuditTable',
    );
    const stream = auditStreams.webhook('gateway', ofA);
    const lines = await log.lines(stream);
    expect(lines.map((l) => [l.action, l.actor])).toEqual([['replayed', supportAId]]);
    expect(verifyChain(stream, lines).intact).toBe(true);
  });

  it('keeps the raw body (PHI) no longer than 35 days: the receipt carries its DynamoDB TTL', async () => {
    const before = Math.floor(Date.now() / 1000);
    const deliveryId = await quarantined('FAC-A');
    const after = Math.ceil(Date.now() / 1000);
    const client = new DynamoDBClient({
      endpoint: hub.dynamodbEndpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const out = await DynamoDBDocumentClient.from(client).send(
      new GetCommand({ TableName: 'WebhookTable', Key: { pk: `RCPT#gateway#${deliveryId}`, sk: 'RECEIPT' } }),
    );
    client.destroy();
    expect(out.Item?.rawBody).toContain(deliveryId);
    expect(out.Item?.expiresAt).toBeGreaterThanOrEqual(before + RAW_BODY_TTL_DAYS * 86_400);
    expect(out.Item?.expiresAt).toBeLessThanOrEqual(after + RAW_BODY_TTL_DAYS * 86_400);
    expect(RAW_BODY_TTL_DAYS).toBe(35);
  });

  it('the exception a quarantined delivery opens is its facility’s too', async () => {
    const ofA = await quarantined('FAC-A');
    const exceptions = async (api: ApiCall) =>
      (
        (await api('GET', '/v1/exceptions?team=integration&status=open')).body.items as Array<{ key: string }>
      ).map((e) => e.key);
    expect(await exceptions(supportA)).toContain(`webhook:gateway:${ofA}`);
    expect(await exceptions(supportB)).not.toContain(`webhook:gateway:${ofA}`);
  });
});
