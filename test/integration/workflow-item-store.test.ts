import { createRequire } from 'node:module';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ReadOnceWorkflowStore,
  type RecordedEvent,
  WorkflowStore,
} from '../../lambdas/adapters/dynamodb/workflow-store.js';
import type { EventPublisher } from '../../lambdas/adapters/eventbridge/event-publisher.js';
import { ALL, type Principal } from '../../lambdas/core/partners.js';
import { acceptEvents, type CanonicalEvent } from '../../lambdas/handlers/intake/accept-events.js';
import { entitleWrites } from '../../lambdas/handlers/intake/entitlement.js';
import { env } from '../../lambdas/wiring.js';
import type { Hub } from '../../local/runtime.js';
import { countingClient as countingDynamoDb } from './support/counting-client.js';
import { startTestHub } from './support/hub.js';

// Issue 16 (docs/cost.md#third-pass): the workflow item keeps its index and lock attributes plain and the rest
// gzipped, so an encounter past its remittance is one write unit per write, not two.
const { itemSize } = createRequire(import.meta.url)('dynalite/db/index.js') as {
  itemSize: (item: unknown) => number;
};
let hub: Hub;
let client: DynamoDBClient;
let store: WorkflowStore;
let table: string;

beforeAll(async () => {
  hub = await startTestHub();
  client = new DynamoDBClient({
    endpoint: hub.dynamodbEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  table = process.env[env.workflowTable] as string;
  store = new WorkflowStore(client, table);
});

afterAll(async () => {
  client?.destroy();
  await hub?.close();
});

const event = (encounterId: string, n: number): RecordedEvent => ({
  eventId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  type: 'RemittancePosted',
  time: `2026-11-30T12:00:0${n}.000Z`,
  correlationId: `corr-${n}`,
  clientId: 'client-a',
  encounterId,
  facilityId: 'FAC-1',
  detail: {},
});

/** What an encounter holds after its invoice, claim, status and an 835 with a CO write-off and a PR deductible. */
async function bookedEncounter(encounterId: string) {
  for (let n = 1; n <= 7; n++)
    await store.recordEvent(event(encounterId, n), { kind: 'reach', state: 'payment_posted' }, (draft) => {
      draft.payerIds = ['PAYER-1'];
      draft.patientId = 'PAT-1';
      draft.odooInvoices['INV-1'] = {
        invoiceId: 'INV-1',
        moveId: 4211,
        moveName: 'INV/2026/04211',
        partnerId: 77,
        billTo: 'payer',
        totalCents: 15_000,
      };
      draft.odooInvoices['INV-1-PR'] = {
        invoiceId: 'INV-1-PR',
        moveId: 4298,
        moveName: 'INV/2026/04298',
        partnerId: 78,
        billTo: 'patient',
        totalCents: 2_000,
      };
      draft.claims['CLM-1'] = {
        claimId: 'CLM-1',
        payerId: 'PAYER-1',
        invoiceIds: ['INV-1'],
        billedCents: 15_000,
        status: 'accepted',
      };
      draft.remittances['R-1'] = {
        remittanceId: 'R-1',
        claimId: 'CLM-1',
        payerClaimControlNumber: 'PCN-000000001',
        claimStatus: '1',
        traceNumber: 'EFT-COST-0001',
        stepRefs: ['rcm:era:EFT-COST-0001:PCN-000000001:pay', 'rcm:era:EFT-COST-0001:PCN-000000001:co45'],
        payerId: 'PAYER-1',
        billedCents: 15_000,
        paidCents: 10_000,
      };
      draft.money = {
        billedCents: 17_000,
        paidCents: 10_000,
        adjustedCents: 3_000,
        patientResponsibilityCents: 2_000,
        patientPaidCents: 0,
      };
    });
}

describe('the workflow item', () => {
  it('keeps keys, index and lock attributes plain, the rest gzipped, and reads back whole', async () => {
    // Act
    await bookedEncounter('ENC-ITEM-1');
    await store.noteOdooError('ENC-ITEM-1', {
      at: '2026-11-30T12:01:00.000Z',
      kind: 'timeout',
      message: 'slow',
    });
    const workflow = await store.getWorkflow('ENC-ITEM-1');
    const raw =
      (
        await client.send(
          new GetItemCommand({
            TableName: table,
            Key: { pk: { S: 'ENC#ENC-ITEM-1' }, sk: { S: 'WORKFLOW' } },
          }),
        )
      ).Item ?? {};

    // Assess
    expect(Object.keys(raw).sort()).toEqual(
      [
        'pk',
        'sk',
        'encounterId',
        'facilityId',
        'payerIds',
        'state',
        'stateSince',
        'version',
        'listState',
        'bodyGzip',
        'lastOdooError',
      ].sort(),
    );
    expect(itemSize(raw)).toBeLessThanOrEqual(1024); // one write unit
    expect(workflow).toMatchObject({
      encounterId: 'ENC-ITEM-1',
      facilityId: 'FAC-1',
      state: 'payment_posted',
      version: 7,
      payerIds: ['PAYER-1'],
      patientId: 'PAT-1',
      money: { billedCents: 17_000, paidCents: 10_000 },
      lastOdooError: { kind: 'timeout' },
    });
    expect(workflow?.appliedEventIds).toHaveLength(7);
    expect(Object.keys(workflow?.remittances ?? {})).toEqual(['R-1']);
    expect(workflow?.odooInvoices['INV-1-PR']?.moveId).toBe(4298);
    // The redelivery guard still holds: an applied event is not applied again.
    const again = await store.recordEvent(event('ENC-ITEM-1', 3), { kind: 'none' });
    expect(again.applied).toBe(false);
    await store.clearOdooError('ENC-ITEM-1');
    expect((await store.getWorkflow('ENC-ITEM-1'))?.lastOdooError).toBeUndefined();
  });

  it('is still found by state, facility and payer through the state index', async () => {
    // Prepare
    await bookedEncounter('ENC-ITEM-2');
    // Act
    const listed = await store.listWorkflows({
      state: 'payment_posted',
      facilityId: 'FAC-1',
      payerId: 'PAYER-1',
      limit: 50,
    });
    const otherPayer = await store.listWorkflows({ state: 'payment_posted', payerId: 'PAYER-2', limit: 50 });
    // Assess
    expect(listed.items.map((w) => w.encounterId)).toContain('ENC-ITEM-2');
    expect(listed.items.find((w) => w.encounterId === 'ENC-ITEM-2')?.claims['CLM-1']?.status).toBe(
      'accepted',
    );
    expect(otherPayer.items.map((w) => w.encounterId)).not.toContain('ENC-ITEM-2');
  });

  it('reads an item written before the gzip (every attribute plain), and rewrites it gzipped at its next event', async () => {
    // Prepare: the shape every deployed item has today.
    await DynamoDBDocumentClient.from(client).send(
      new PutCommand({
        TableName: table,
        Item: {
          pk: 'ENC#ENC-ITEM-3',
          sk: 'WORKFLOW',
          listState: 'invoice_issued',
          encounterId: 'ENC-ITEM-3',
          facilityId: 'FAC-1',
          createdAt: '2026-11-30T10:00:00.000Z',
          updatedAt: '2026-11-30T10:00:00.000Z',
          stateSince: '2026-11-30T10:00:00.000Z',
          version: 2,
          state: 'invoice_issued',
          stage: 'invoice_issued',
          openExceptions: 0,
          payerIds: ['PAYER-1'],
          odooInvoices: { 'INV-3': { invoiceId: 'INV-3', moveId: 9, moveName: 'INV/9', partnerId: 7 } },
          claims: {},
          remittances: {},
          payments: {},
          exceptions: {},
          money: {
            billedCents: 100,
            paidCents: 0,
            adjustedCents: 0,
            patientResponsibilityCents: 0,
            patientPaidCents: 0,
          },
          appliedEventIds: ['E-OLD-1', 'E-OLD-2'],
        },
      }),
    );

    // Act
    const before = await store.getWorkflow('ENC-ITEM-3');
    const recorded = await store.recordEvent(event('ENC-ITEM-3', 9), {
      kind: 'reach',
      state: 'claim_submitted',
    });
    const replayed = await store.recordEvent(
      { ...event('ENC-ITEM-3', 1), eventId: 'E-OLD-1' },
      { kind: 'none' },
    );
    const raw =
      (
        await client.send(
          new GetItemCommand({
            TableName: table,
            Key: { pk: { S: 'ENC#ENC-ITEM-3' }, sk: { S: 'WORKFLOW' } },
          }),
        )
      ).Item ?? {};

    // Assess
    expect(before?.odooInvoices['INV-3']?.moveId).toBe(9);
    expect(recorded).toMatchObject({ applied: true, from: 'invoice_issued', to: 'claim_submitted' });
    expect(recorded.workflow.odooInvoices['INV-3']?.moveId).toBe(9);
    expect(replayed.applied).toBe(false); // ids applied before the rewrite still guard
    expect(raw.bodyGzip?.B).toBeInstanceOf(Uint8Array);
    expect(raw.odooInvoices).toBeUndefined();
  });
});

describe('ReadOnceWorkflowStore: a round reads its workflows once', () => {
  const countingClient = () => countingDynamoDb(hub.dynamodbEndpoint);

  it('reads 150 workflows in two BatchGetItem requests, then answers and records from its copies', async () => {
    // Arrange
    const ids = Array.from({ length: 150 }, (_, i) => `ENC-ROUND-${i}`);
    for (const id of ids) await store.recordEvent(event(id, 1), { kind: 'reach', state: 'claim_submitted' });
    const { counted, sent } = countingClient();
    const round = new ReadOnceWorkflowStore(counted, table);

    // Act
    await round.preload([...ids, 'ENC-ROUND-ABSENT']);
    const read = await round.getWorkflow('ENC-ROUND-7');
    if (read) read.payerIds = ['changed by one caller'];
    const recorded = await round.recordEvent(event('ENC-ROUND-7', 2), {
      kind: 'reach',
      state: 'payment_posted',
    });
    const after = await round.getWorkflow('ENC-ROUND-7');
    const absent = await round.getWorkflow('ENC-ROUND-ABSENT');

    // Assess
    expect(Object.fromEntries(sent)).toEqual({ BatchGetItemCommand: 2, PutItemCommand: 2 }); // the workflow and timeline
    expect(recorded).toMatchObject({ applied: true, from: 'claim_submitted', to: 'payment_posted' });
    expect(recorded.workflow.payerIds).toEqual([]); // a caller's change to its clone is not the store's
    expect(after).toEqual(await store.getWorkflow('ENC-ROUND-7'));
    expect(absent).toBeUndefined();
    counted.destroy();
  });

  it('fixes a plan once and reads it back from its copy; keeps a master record once it names its partner', async () => {
    // Arrange
    const { counted, sent } = countingClient();
    const round = new ReadOnceWorkflowStore(counted, table);
    const at = '2026-11-30T12:00:00.000Z';
    await store.putMasterRecord(
      'patient',
      'PAT-ROUND-SYNCED',
      { record: {}, odooPartnerId: 42, version: 1, updatedAt: at },
      0,
    );
    await store.putMasterRecord('patient', 'PAT-ROUND-WAITING', { record: {}, version: 1, updatedAt: at }, 0);

    // Act: a claim payment decided in the round's batch, then again when it is recorded
    const first = { steps: ['payment'] };
    const none = await round.fixedPlan('ENC-ROUND-P', 'remittance:R-1');
    const fixed = await round.fixPlan('ENC-ROUND-P', 'remittance:R-1', first);
    const again = await round.fixedPlan<typeof first>('ENC-ROUND-P', 'remittance:R-1');
    const refixed = await round.fixPlan('ENC-ROUND-P', 'remittance:R-1', { steps: ['another'] });
    for (let i = 0; i < 3; i++) {
      await round.getMasterRecord('patient', 'PAT-ROUND-SYNCED');
      await round.getMasterRecord('patient', 'PAT-ROUND-WAITING');
    }

    // Assess
    expect(none).toBeUndefined();
    expect([fixed, again, refixed]).toEqual([first, first, first]);
    expect(await store.fixedPlan('ENC-ROUND-P', 'remittance:R-1')).toEqual(first);
    // The plan: one read, one write. The synced patient read once; the one still waiting, every time.
    expect(Object.fromEntries(sent)).toEqual({ GetItemCommand: 1 + 1 + 3, PutItemCommand: 1 });
    counted.destroy();
  });

  it('reads the plans and synced patients its decisions need with its workflows; a plan fixed since still wins', async () => {
    // Arrange: two claim payments of one round, a plan fixed by an earlier round for one of them
    const at = '2026-11-30T12:00:00.000Z';
    for (const [encounterId, patientId] of [
      ['ENC-ROUND-PA', 'PAT-ROUND-PA'],
      ['ENC-ROUND-PB', 'PAT-ROUND-PB'],
    ] as const)
      await store.recordEvent(event(encounterId, 1), { kind: 'reach', state: 'claim_submitted' }, (draft) => {
        draft.patientId = patientId;
      });
    await store.putMasterRecord(
      'patient',
      'PAT-ROUND-PA',
      { record: {}, odooPartnerId: 7, version: 1, updatedAt: at },
      0,
    );
    await store.putMasterRecord('patient', 'PAT-ROUND-PB', { record: {}, version: 1, updatedAt: at }, 0);
    const earlier = { steps: ['fixed by an earlier round'] };
    await store.fixPlan('ENC-ROUND-PA', 'remittance:R-A', earlier);
    const { counted, sent } = countingClient();
    const round = new ReadOnceWorkflowStore(counted, table);

    // Act
    await round.preload(
      ['ENC-ROUND-PA', 'ENC-ROUND-PB'],
      [
        { encounterId: 'ENC-ROUND-PA', key: 'remittance:R-A' },
        { encounterId: 'ENC-ROUND-PB', key: 'remittance:R-B' },
      ],
    );
    const preloaded = Object.fromEntries(sent);
    const planA = await round.fixedPlan('ENC-ROUND-PA', 'remittance:R-A');
    const planB = await round.fixedPlan('ENC-ROUND-PB', 'remittance:R-B');
    // Another writer fixes B's plan after the round's read: the round's put finds it and takes it.
    const other = { steps: ['fixed by another writer'] };
    await store.fixPlan('ENC-ROUND-PB', 'remittance:R-B', other);
    const fixedB = await round.fixPlan('ENC-ROUND-PB', 'remittance:R-B', { steps: ['the round its own'] });
    const patientA = await round.getMasterRecord('patient', 'PAT-ROUND-PA');
    await round.getMasterRecord('patient', 'PAT-ROUND-PB');

    // Assess
    expect(preloaded).toEqual({ BatchGetItemCommand: 2 }); // the workflows; then the plans and patients
    expect(planA).toEqual(earlier);
    expect(planB).toBeUndefined();
    expect(fixedB).toEqual(other);
    expect(patientA?.odooPartnerId).toBe(7);
    // B's put refused and its read; the patient not yet synced is asked again; A's plan and patient were read.
    expect(Object.fromEntries(sent)).toEqual({
      BatchGetItemCommand: 2,
      PutItemCommand: 1,
      GetItemCommand: 2,
    });
    counted.destroy();
  });

  it("an intake request reads its encounter's workflow once: for the ownership check and the timeline entry", async () => {
    // Arrange: an encounter of FAC-1 past its claim, and a billing partner of FAC-1 sending its next document
    await store.recordEvent(event('ENC-ROUND-REQ', 1), { kind: 'reach', state: 'claim_submitted' });
    const { counted, sent } = countingClient();
    const request = new ReadOnceWorkflowStore(counted, table);
    const published: unknown[] = [];
    const publisher = { publish: async (...envelopes: unknown[]) => published.push(...envelopes) };
    const principal: Principal = {
      clientId: 'client-a',
      name: 'Billing A',
      role: 'partner',
      facilities: ['FAC-1'],
      payers: ALL,
      teams: [],
    };
    const document: CanonicalEvent = {
      eventType: 'ChargeFinalized',
      data: { chargeId: 'CHG-REQ-1' },
      encounter: { encounterId: 'ENC-ROUND-REQ', facilityId: 'FAC-1' },
      partitionKey: 'ENC-ROUND-REQ',
      facts: {},
    };

    // Act: as ingest.ts accepts a document — the entitlement check, then the timeline entry and the event
    const entitled = await entitleWrites(request, principal, [document]);
    await acceptEvents(
      { store: request, publisher: publisher as unknown as EventPublisher },
      { clientId: 'client-a', idempotencyKey: 'key-req-1', correlationId: 'corr-req-1', events: entitled },
    );

    // Assess: one read of the workflow; the timeline entry is the only write
    expect(Object.fromEntries(sent)).toEqual({ GetItemCommand: 1, PutItemCommand: 1 });
    expect(published).toHaveLength(1);
    const timeline = await store.getTimeline('ENC-ROUND-REQ');
    expect(timeline.map((entry) => entry.state)).toEqual(['claim_submitted', 'claim_submitted']);
    counted.destroy();
  });

  it("a copy another writer overtook is read again: its event and the other writer's both stand", async () => {
    // Arrange
    await store.recordEvent(event('ENC-ROUND-X', 1), { kind: 'reach', state: 'claim_submitted' });
    const { counted, sent } = countingClient();
    const round = new ReadOnceWorkflowStore(counted, table);
    await round.preload(['ENC-ROUND-X']);
    await store.recordEvent(event('ENC-ROUND-X', 2), { kind: 'none' }, (draft) => {
      draft.payerIds = ['PAYER-BY-ANOTHER-WRITER'];
    });

    // Act
    const recorded = await round.recordEvent(event('ENC-ROUND-X', 3), {
      kind: 'reach',
      state: 'payment_posted',
    });
    const redelivered = await round.recordEvent(event('ENC-ROUND-X', 2), { kind: 'none' });

    // Assess
    expect(recorded.applied).toBe(true);
    expect(recorded.workflow.payerIds).toEqual(['PAYER-BY-ANOTHER-WRITER']);
    expect(recorded.workflow.appliedEventIds).toEqual([1, 2, 3].map((n) => event('ENC-ROUND-X', n).eventId));
    expect(redelivered.applied).toBe(false);
    expect(await store.getWorkflow('ENC-ROUND-X')).toEqual(recorded.workflow);
    // The stale put, the fresh read, the put and its timeline entry; the redelivery's timeline entry.
    expect(sent.get('GetItemCommand')).toBe(1);
    counted.destroy();
  });
});
