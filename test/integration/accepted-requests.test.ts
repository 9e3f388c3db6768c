import {
  IdempotencyConfig,
  IdempotencyValidationError,
  makeIdempotent,
} from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AcceptedRequests } from '../../lambdas/adapters/dynamodb/accepted-requests.js';
import { env } from '../../lambdas/wiring.js';
import type { Hub } from '../../local/runtime.js';
import { startTestHub } from './support/hub.js';

// Issue 16 (docs/cost.md#third-pass): the JSON intakes' Idempotency-Key guard in one write per request, with
// Powertools' record shape so records either one wrote are honoured by the other (deploy and rollback).
let hub: Hub;
let client: DynamoDBClient;
let table: string;

beforeAll(async () => {
  hub = await startTestHub();
  client = new DynamoDBClient({
    endpoint: hub.dynamodbEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  table = process.env[env.idempotencyTable] as string;
});

afterAll(async () => {
  client?.destroy();
  await hub?.close();
});

interface Answer {
  correlationId: string;
  eventId: string;
  status: 'accepted';
}
const answer = (correlationId: string): Answer => ({ correlationId, eventId: 'E-1', status: 'accepted' });
const body = (amount: string) => [{ invoiceId: 'INV-1', lines: [{ amount, code: '99214' }] }, {}];

/** What a claim was refused with (undefined: it was not). */
const refusal = (claim: Promise<unknown>) =>
  claim.then(
    () => undefined,
    (error: unknown) => error,
  );

async function recordsFor(prefix: string): Promise<Record<string, unknown>[]> {
  const out = await DynamoDBDocumentClient.from(client).send(new ScanCommand({ TableName: table }));
  return (out.Items ?? []).filter((item) => String(item.id).startsWith(prefix));
}

describe('the accepted-requests guard', () => {
  it('answers the first answer to a retry, refuses another body under the key, and writes one record', async () => {
    // Prepare
    const requests = new AcceptedRequests<Answer>(client, table, 3600);
    const key = ['client-a', 'createInvoice', 'key-0001'];

    // Act
    const first = await requests.claim(key, body('10.00'), answer('corr-1'));
    const retry = await requests.claim(key, body('10.00'), answer('corr-2'));
    const reordered = await requests.claim(
      key,
      [{ lines: [{ code: '99214', amount: '10.00' }], invoiceId: 'INV-1' }, {}],
      answer('corr-3'),
    );
    const otherBody = await refusal(requests.claim(key, body('99.00'), answer('corr-4')));
    const otherClient = await requests.claim(
      ['client-b', 'createInvoice', 'key-0001'],
      body('99.00'),
      answer('x'),
    );

    // Assess
    expect(first).toEqual({ first: true, answer: answer('corr-1') });
    expect(retry).toEqual({ first: false, answer: answer('corr-1') });
    expect(reordered).toEqual({ first: false, answer: answer('corr-1') }); // key order does not change a body
    expect(otherBody).toBeInstanceOf(IdempotencyValidationError);
    expect(otherClient.first).toBe(true); // keys are scoped per client (and route)
    const records = await recordsFor('#');
    expect(records).toHaveLength(2); // one per key, however often it was claimed
    expect(records.find((r) => (r.data as Answer).correlationId === 'corr-1')).toMatchObject({
      status: 'COMPLETED',
      validation: expect.any(String),
      expiration: expect.any(Number),
    });
  });

  it('frees the key when the first request failed, and only for that body', async () => {
    // Prepare
    const requests = new AcceptedRequests<Answer>(client, table, 3600);
    const key = ['client-a', 'createInvoice', 'key-0002'];
    await requests.claim(key, body('10.00'), answer('corr-1'));

    // Act
    await requests.release(key, body('55.00')); // not this key's body: stays
    const stillHeld = await refusal(requests.claim(key, body('55.00'), answer('corr-2')));
    await requests.release(key, body('10.00'));
    const corrected = await requests.claim(key, body('55.00'), answer('corr-3'));

    // Assess
    expect(stillHeld).toBeInstanceOf(IdempotencyValidationError);
    expect(corrected).toEqual({ first: true, answer: answer('corr-3') });
  });

  it('treats an expired record not yet swept by TTL as absent', async () => {
    // Prepare
    const key = ['client-a', 'createInvoice', 'key-0003'];
    await new AcceptedRequests<Answer>(client, table, 60).claim(key, body('10.00'), answer('corr-1'));
    const later = new AcceptedRequests<Answer>(client, table, 60, () => Date.now() + 120_000);

    // Act
    const again = await later.claim(key, body('20.00'), answer('corr-2'));

    // Assess
    expect(again).toEqual({ first: true, answer: answer('corr-2') });
  });

  it("honours a record Powertools wrote, and Powertools honours this one's (deploy and rollback)", async () => {
    // Prepare: Powertools as ingest configured it before (same key and validation paths).
    const config = new IdempotencyConfig({
      eventKeyJmesPath: '[clientId, intake, idempotencyKey]',
      payloadValidationJmesPath: '[request, pathParameters]',
      throwOnNoIdempotencyKey: true,
      expiresAfterSeconds: 3600,
    });
    let runs = 0;
    const powertools = makeIdempotent(
      async (command: { correlationId: string }) => {
        runs += 1;
        return answer(command.correlationId);
      },
      {
        persistenceStore: new DynamoDBPersistenceLayer({ tableName: table, awsSdkV3Client: client }),
        config,
      },
    );
    const command = (idempotencyKey: string, correlationId: string, amount = '10.00') => ({
      clientId: 'client-c',
      intake: 'createInvoice',
      idempotencyKey,
      correlationId,
      request: body(amount)[0],
      pathParameters: {},
    });
    const requests = new AcceptedRequests<Answer>(client, table, 3600);

    // Act: a key Powertools accepted, then retried through this guard…
    await powertools(command('key-0004', 'corr-pt'));
    const retried = await requests.claim(
      ['client-c', 'createInvoice', 'key-0004'],
      body('10.00'),
      answer('x'),
    );
    const refused = await refusal(
      requests.claim(['client-c', 'createInvoice', 'key-0004'], body('11.00'), answer('y')),
    );
    // …and a key this guard accepted, retried through Powertools (a rollback).
    await requests.claim(['client-c', 'createInvoice', 'key-0005'], body('10.00'), answer('corr-guard'));
    const rolledBack = await powertools(command('key-0005', 'corr-rollback'));

    // Assess
    expect(retried).toEqual({ first: false, answer: answer('corr-pt') });
    expect(refused).toBeInstanceOf(IdempotencyValidationError);
    expect(rolledBack).toEqual(answer('corr-guard'));
    expect(runs).toBe(1);
  });
});
