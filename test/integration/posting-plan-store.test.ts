import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowStore } from '../../lambdas/adapters/dynamodb/workflow-store.js';
import { env } from '../../lambdas/wiring.js';
import type { Hub } from '../../local/runtime.js';
import { startTestHub } from './support/hub.js';

// Issue 16 (docs/cost.md): a fixed posting plan is stored gzipped, one write unit instead of two.
let hub: Hub;
let store: WorkflowStore;
let doc: DynamoDBDocumentClient;
let table: string;

beforeAll(async () => {
  hub = await startTestHub();
  const client = new DynamoDBClient({
    endpoint: hub.dynamodbEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  table = process.env[env.workflowTable] as string;
  store = new WorkflowStore(client, table);
  doc = DynamoDBDocumentClient.from(client);
});

afterAll(async () => {
  await hub?.close();
});

const plan = {
  steps: Array.from({ length: 6 }, (_, i) => ({
    ref: `rcm:era:EFT-1:PCN-${i}:step-${i}`,
    kind: i % 2 ? 'credit_note' : 'payment',
    amountCents: 1_000 * (i + 1),
  })),
  exceptions: [],
};

describe('the posting plan store', () => {
  it('keeps the plan gzipped and gives back exactly what was fixed; the first writer wins', async () => {
    // Act
    const fixed = await store.fixPlan('ENC-PLAN-1', 'remittance:R1', plan);
    const second = await store.fixPlan('ENC-PLAN-1', 'remittance:R1', { steps: [], exceptions: [] });
    // Assess
    expect(fixed).toEqual(plan);
    expect(second).toEqual(plan);
    expect(await store.fixedPlan('ENC-PLAN-1', 'remittance:R1')).toEqual(plan);
    const raw = (
      await doc.send(
        new GetCommand({ TableName: table, Key: { pk: 'ENC#ENC-PLAN-1', sk: 'PLAN#remittance:R1' } }),
      )
    ).Item as Record<string, unknown>;
    expect(raw.plan).toBeUndefined();
    expect(raw.planGzip).toBeInstanceOf(Uint8Array);
    expect((raw.planGzip as Uint8Array).byteLength).toBeLessThan(JSON.stringify(plan).length);
  });

  it('still reads a plan fixed before the gzip (JSON text in `plan`)', async () => {
    // Prepare
    await doc.send(
      new PutCommand({
        TableName: table,
        Item: {
          pk: 'ENC#ENC-PLAN-2',
          sk: 'PLAN#remittance:R2',
          plan: JSON.stringify(plan),
          fixedAt: '2026-11-30T12:00:00.000Z',
        },
      }),
    );
    // Act, Assess
    expect(await store.fixedPlan('ENC-PLAN-2', 'remittance:R2')).toEqual(plan);
    expect(await store.fixPlan('ENC-PLAN-2', 'remittance:R2', { steps: [], exceptions: [] })).toEqual(plan);
  });
});
