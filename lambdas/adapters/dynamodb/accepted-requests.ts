import { createHash } from 'node:crypto';
import { IdempotencyValidationError } from '@aws-lambda-powertools/idempotency';
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';

/**
 * The Idempotency-Key guard of the JSON intakes in ONE write per request (docs/cost.md#third-pass). Powertools
 * idempotency writes two (an in-progress record before the work, the answer after it), because it cannot know
 * the answer before the work. An intake can: the event id is derived from (type, client, key) and the answer is
 * ids and a location read off the document. So the answer is written first, with the payload's hash, in one
 * conditional put, and the work — which is idempotent by event id (conditional timeline put, FIFO dedup id,
 * `appliedEventIds`) — runs on every delivery of the request:
 *
 * - first request: the put succeeds; the work runs; on failure the record is deleted again (as Powertools does),
 *   so a corrected body may be sent under the same key;
 * - the same key and body again (a retry, a concurrent duplicate, a retry after a crash): the put fails on the
 *   record; the work runs again (a crash between record and work loses nothing; its events are republished
 *   with the same ids, which every consumer dedupes) and the first answer is returned;
 * - the same key with a different body or path: 409, as before (Powertools' `IdempotencyValidationError`).
 *
 * A concurrent duplicate is answered 202 with the first answer instead of 409 `request-in-progress`.
 *
 * Records have Powertools' shape and id (`<AWS_LAMBDA_FUNCTION_NAME>#md5(key)`, `status`, `data`, `validation`,
 * `expiration`), hashed the same way: records Powertools wrote before a deploy are honoured (an INPROGRESS one
 * reads as accepted, its work runs again), and a rollback to Powertools reads these as COMPLETED.
 */
export class AcceptedRequests<TAnswer extends object> {
  private readonly doc: DynamoDBDocumentClient;
  /** Powertools' prefix, read once as it does (persistence layer construction). */
  private readonly keyPrefix = process.env.AWS_LAMBDA_FUNCTION_NAME ?? '';

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
    private readonly expiresAfterSeconds: number,
    private readonly clock: () => number = Date.now,
  ) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  /**
   * Records `answer` as the first answer for `key` unless a record stands: answers whether this is the key's
   * first request, and the answer to give. Throws IdempotencyValidationError when the key was used with
   * another `payload`.
   */
  async claim(
    key: unknown,
    payload: unknown,
    answer: TAnswer,
    attempt = 0,
  ): Promise<{ first: boolean; answer: TAnswer }> {
    const id = this.idOf(key);
    const validation = hashOf(payload);
    const now = this.clock();
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            id,
            status: 'COMPLETED',
            data: answer,
            validation,
            expiration: Math.round(now / 1000 + this.expiresAfterSeconds),
          },
          // Absent, or expired but not yet swept by TTL (as Powertools): the key is free again.
          ConditionExpression: 'attribute_not_exists(id) OR expiration < :now',
          ExpressionAttributeValues: { ':now': now / 1000 },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { first: true, answer };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const standing =
        (error.Item as Record<string, unknown> | undefined) ??
        (
          await this.doc.send(
            new GetCommand({ TableName: this.tableName, Key: { id }, ConsistentRead: true }),
          )
        ).Item;
      // Deleted between the two reads (the first request failed): nothing stands, claim again.
      if (!standing && attempt < 3) return this.claim(key, payload, answer, attempt + 1);
      if (!standing) throw error;
      if (standing.validation !== undefined && standing.validation !== validation)
        throw new IdempotencyValidationError('Idempotency-Key reused with a different payload');
      // A Powertools INPROGRESS record (written before a deploy) has no answer yet: this one is the same.
      return { first: false, answer: (standing.data as TAnswer | undefined) ?? answer };
    }
  }

  /** Forgets the first request's record after its work failed (only if it is still that payload's). */
  async release(key: unknown, payload: unknown): Promise<void> {
    try {
      await this.doc.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { id: this.idOf(key) },
          ConditionExpression: 'validation = :validation',
          ExpressionAttributeValues: { ':validation': hashOf(payload) },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  private idOf(key: unknown): string {
    return `${this.keyPrefix}#${hashOf(key)}`;
  }
}

/** Powertools' hash: md5, base64, of the JSON with every object's keys sorted (case-insensitively). */
function hashOf(value: unknown): string {
  return createHash('md5')
    .update(JSON.stringify(deepSort(value)))
    .digest('base64');
}

function deepSort(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(deepSort);
  if (value !== null && typeof value === 'object') {
    const object = value as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(object)
        .sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1))
        .map((k) => [k, deepSort(object[k])]),
    );
  }
  return value;
}
