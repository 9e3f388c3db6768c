import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import {
  type AuditFact,
  type AuditLine,
  type ChainVerdict,
  chainLine,
  sameFact,
  verifyChain,
} from '../../core/audit.js';

/**
 * The audit table (wiring.ts `AuditTable`, encrypted with the stage CMK, PITR on, backed up): one item per line,
 *   stream / seq   `exception#<id>` or `webhook#<source>#<deliveryId>` / the line number, zero-padded
 * Written with PutItem only, each conditional on its line number being free (`attribute_not_exists(seq)`), so
 * two writers can never both write line n of a stream: the chain cannot fork. The functions hold PutItem,
 * GetItem and Query on it and nothing else (lib/functions.ts), and the table's resource policy denies
 * UpdateItem, DeleteItem and BatchWriteItem to everyone (lib/data.ts).
 */
const SEQ_DIGITS = 12;
const seqKey = (seq: number) => String(seq).padStart(SEQ_DIGITS, '0');
/** Appends that find their line number taken (another writer won) try again on the new head, this often. */
const APPEND_ATTEMPTS = 8;

export class AuditFork extends Error {}

function toLine(item: Record<string, unknown>): AuditLine {
  const { seq, ...rest } = item;
  return { ...(rest as Omit<AuditLine, 'seq'>), seq: Number(seq) };
}

export class AuditLog {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  /**
   * Appends a line after the stream's current last one. When another writer took that line number first, the
   * new head is read and the line chained to it instead (never overwriting, never forking).
   */
  async append(stream: string, fact: AuditFact): Promise<AuditLine> {
    for (let attempt = 1; ; attempt += 1) {
      const line = chainLine(stream, await this.lastBefore(stream), fact);
      if (await this.put(line)) return line;
      if (attempt >= APPEND_ATTEMPTS)
        throw new AuditFork(`audit stream ${stream}: line ${line.seq} kept being taken by other writers`);
    }
  }

  /**
   * Records the line of an exception's change at the position of the version it produced (`entryVersion`): the
   * register's conditional write already let one writer make that version, so the line number is its own.
   * Recording the same fact again (a redelivery) is a no-op; a different fact for a taken line is refused.
   */
  async record(stream: string, fact: AuditFact & { entryVersion: number }): Promise<AuditLine> {
    // Chained to the last line before it: a line lost earlier stays the gap verification reports.
    const line = chainLine(stream, await this.lastBefore(stream, fact.entryVersion), fact, fact.entryVersion);
    if (await this.put(line)) return line;
    const taken = await this.line(stream, fact.entryVersion);
    if (taken && sameFact(taken, fact)) return taken;
    throw new AuditFork(`audit stream ${stream}: line ${fact.entryVersion} holds another action`);
  }

  async line(stream: string, seq: number): Promise<AuditLine | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: { stream, seq: seqKey(seq) }, ConsistentRead: true }),
    );
    return out.Item ? toLine(out.Item) : undefined;
  }

  /** Every line of a stream, first to last. */
  async lines(stream: string): Promise<AuditLine[]> {
    const lines: AuditLine[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#s = :s',
          ExpressionAttributeNames: { '#s': 'stream' },
          ExpressionAttributeValues: { ':s': stream },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      lines.push(...(out.Items ?? []).map(toLine));
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    return lines;
  }

  async verify(stream: string, expected: { entryVersion?: number } = {}): Promise<ChainVerdict> {
    return verifyChain(stream, await this.lines(stream), expected);
  }

  /** The stream's last line (before line `before`, when given). */
  private async lastBefore(stream: string, before?: number): Promise<AuditLine | undefined> {
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: before === undefined ? '#s = :s' : '#s = :s AND #n < :n',
        ExpressionAttributeNames: { '#s': 'stream', ...(before === undefined ? {} : { '#n': 'seq' }) },
        ExpressionAttributeValues: {
          ':s': stream,
          ...(before === undefined ? {} : { ':n': seqKey(before) }),
        },
        ScanIndexForward: false,
        Limit: 1,
        ConsistentRead: true,
      }),
    );
    const item = out.Items?.[0];
    return item ? toLine(item) : undefined;
  }

  private async put(line: AuditLine): Promise<boolean> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...line, seq: seqKey(line.seq) },
          ConditionExpression: 'attribute_not_exists(seq)',
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
