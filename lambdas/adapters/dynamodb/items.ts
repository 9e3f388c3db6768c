import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';

/**
 * The single-table access shapes every store repeats: read one item, read a whole partition (every page),
 * and the opaque cursors the list APIs hand out. Items come back without their `pk`/`sk` keys.
 */
type Item = Record<string, unknown>;

export function withoutKeys<T>(item: Item): T {
  const { pk: _pk, sk: _sk, ...rest } = item;
  return rest as T;
}

/** One item by its key (strongly consistent), without `pk`/`sk`; undefined when absent. */
export async function getItem<T>(
  doc: DynamoDBDocumentClient,
  tableName: string,
  key: { pk: string; sk: string },
): Promise<T | undefined> {
  const out = await doc.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }));
  return out.Item ? withoutKeys<T>(out.Item) : undefined;
}

/**
 * Items by their keys (strongly consistent), in BatchGetItem requests of 100, each request again with the keys
 * DynamoDB left unprocessed; with their `pk`/`sk`, in no particular order; absent keys are left out.
 */
export async function batchGetItems(
  doc: DynamoDBDocumentClient,
  tableName: string,
  keys: ReadonlyArray<{ pk: string; sk: string }>,
): Promise<Item[]> {
  const items: Item[] = [];
  for (let i = 0; i < keys.length; i += 100) {
    let batch: Item[] = keys.slice(i, i + 100);
    while (batch.length > 0) {
      const out = await doc.send(
        new BatchGetCommand({ RequestItems: { [tableName]: { Keys: batch, ConsistentRead: true } } }),
      );
      items.push(...(out.Responses?.[tableName] ?? []));
      batch = (out.UnprocessedKeys?.[tableName]?.Keys as Item[] | undefined) ?? [];
    }
  }
  return items;
}

/** Every item of a partition, page after page, in sort-key order; optionally only sort keys with a prefix. */
export async function queryPartition<T>(
  doc: DynamoDBDocumentClient,
  tableName: string,
  pk: string,
  options: { skPrefix?: string; consistent?: boolean } = {},
): Promise<T[]> {
  const items: T[] = [];
  let startKey: Item | undefined;
  do {
    const out = await doc.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: options.skPrefix ? 'pk = :pk AND begins_with(sk, :prefix)' : 'pk = :pk',
        ExpressionAttributeValues: {
          ':pk': pk,
          ...(options.skPrefix ? { ':prefix': options.skPrefix } : {}),
        },
        ConsistentRead: options.consistent ?? false,
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of out.Items ?? []) items.push(withoutKeys<T>(item));
    startKey = out.LastEvaluatedKey;
  } while (startKey);
  return items;
}

export class InvalidCursor extends Error {
  constructor() {
    super('the cursor is not one this API issued');
  }
}

/** A list position as an opaque, URL-safe cursor. */
export function encodeCursor(position: unknown): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

/** The position back from a cursor this API issued; anything else is InvalidCursor (a 400 for the caller). */
export function decodeCursor<T>(cursor: string, isPosition: (value: T) => boolean): T {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as T;
    if (!isPosition(parsed)) throw new Error('bad cursor');
    return parsed;
  } catch {
    throw new InvalidCursor();
  }
}
