import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EraBookingStore } from '../../lambdas/adapters/dynamodb/era-booking-store.js';
import { env } from '../../lambdas/wiring.js';
import type { Hub } from '../../local/runtime.js';
import { countingClient as countingDynamoDb } from './support/counting-client.js';
import { startTestHub } from './support/hub.js';

// A claim payment joining its ERA asks for a round with the round mark (core/era-booking.ts): one round message
// per round, however many claim payments join while it is asked for.
let hub: Hub;

beforeAll(async () => {
  hub = await startTestHub();
});

afterAll(async () => {
  await hub?.close();
});

const countingClient = () => countingDynamoDb(hub.dynamodbEndpoint);

describe('the ERA round mark', () => {
  it('is asked for once while it stands: the others read it and write nothing; its own joining and a lapsed mark ask again', async () => {
    // Arrange
    const { counted, sent } = countingClient();
    const store = new EraBookingStore(counted, process.env[env.workflowTable] as string);
    const t = 1_000_000;

    // Act
    const first = await store.markRound('TRN-MARK-1', 'ready-1', t, t + 60_000);
    const writesAfterFirst = sent.get('PutItemCommand');
    const others = [
      await store.markRound('TRN-MARK-1', 'ready-2', t + 1_000, t + 61_000),
      await store.markRound('TRN-MARK-1', 'ready-3', t + 2_000, t + 62_000),
    ];
    const redelivered = await store.markRound('TRN-MARK-1', 'ready-1', t + 3_000, t + 63_000);
    const afterLapse = await store.markRound('TRN-MARK-1', 'ready-4', t + 64_000, t + 124_000);
    await store.clearRoundMark('TRN-MARK-1');
    const afterRound = await store.markRound('TRN-MARK-1', 'ready-5', t + 65_000, t + 125_000);

    // Assess
    expect(first).toBe(true);
    expect(others).toEqual([false, false]);
    expect(redelivered).toBe(true); // a crash between mark and send: the same joining sends again
    expect(afterLapse).toBe(true);
    expect(afterRound).toBe(true);
    // The two refused joinings read the mark and wrote nothing; each of the four that asked wrote it.
    expect(writesAfterFirst).toBe(1);
    expect(Object.fromEntries(sent)).toEqual({ GetItemCommand: 6, PutItemCommand: 4, DeleteItemCommand: 1 });
    counted.destroy();
  });
});
