import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type BreakerState, closedBreaker } from '../../core/odoo-breaker.js';

/** The Odoo write backlog as the probe last saw it (the queue's visible messages, the drain rate). */
export interface WriteBacklog {
  backlog: number;
  drainPerSecond: number;
  observedAt: number;
  /** The writers' drained counter at `observedAt` (a cold probe measures the drain from it). */
  drained?: number;
}

export interface BreakerRecord {
  state: BreakerState;
  backlog?: WriteBacklog;
  version: number;
}

const KEY = { pk: 'BREAKER#odoo', sk: 'STATE' };
/** The writers' counter of messages taken off the write queue: its own item, so an ADD never races the state's Put. */
const DRAINED_KEY = { pk: 'BREAKER#odoo', sk: 'DRAINED' };
/** Writers read the breaker at most this often: one read per message would double the table's load. */
const CACHE_MS = 1_000;

/**
 * The breaker's state, shared by every writer instance and the probe: one item of the workflow table, written
 * with a version condition so two writers counting failures at once never lose a count silently (the loser
 * re-reads and applies its outcome again).
 */
export class OdooBreakerStore {
  private readonly doc: DynamoDBDocumentClient;
  private cached: { record: BreakerRecord; at: number } | undefined;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
    private readonly clock: () => number = Date.now,
  ) {
    this.doc = DynamoDBDocumentClient.from(client);
  }

  async read(options: { fresh?: boolean } = {}): Promise<BreakerRecord> {
    const now = this.clock();
    if (!options.fresh && this.cached && now - this.cached.at < CACHE_MS) return this.cached.record;
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: KEY, ConsistentRead: true }),
    );
    const record: BreakerRecord = out.Item
      ? {
          state: out.Item.state as BreakerState,
          backlog: out.Item.backlog as WriteBacklog | undefined,
          version: Number(out.Item.version),
        }
      : { state: closedBreaker(now), version: 0 };
    this.cached = { record, at: now };
    return record;
  }

  /** Applies `change` to the current record; writes only if it changed anything. */
  async update(change: (record: BreakerRecord) => Omit<BreakerRecord, 'version'>): Promise<BreakerRecord> {
    for (let attempt = 0; ; attempt += 1) {
      const current = await this.read({ fresh: attempt > 0 });
      const next = change(current);
      if (
        JSON.stringify({ state: next.state, backlog: next.backlog }) ===
        JSON.stringify({ state: current.state, backlog: current.backlog })
      )
        return current;
      const record: BreakerRecord = { ...next, version: current.version + 1 };
      try {
        await this.doc.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { ...KEY, ...record },
            ConditionExpression: current.version === 0 ? 'attribute_not_exists(pk)' : 'version = :v',
            ...(current.version === 0 ? {} : { ExpressionAttributeValues: { ':v': current.version } }),
          }),
        );
        this.cached = { record, at: this.clock() };
        return record;
      } catch (error) {
        if ((error as Error).name !== 'ConditionalCheckFailedException' || attempt >= 4) throw error;
      }
    }
  }

  /**
   * Counts messages the writers took off the Odoo write queue (posted, or settled without Odoo): the probe's
   * drain rate is this counter's slope, so it reads what was drained even while documents keep arriving (the
   * backlog's net decrease would read low, or 0). One atomic ADD per batch, not per message.
   */
  async countDrained(messages: number): Promise<void> {
    if (messages <= 0) return;
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: DRAINED_KEY,
        UpdateExpression: 'ADD drained :n',
        ExpressionAttributeValues: { ':n': messages },
      }),
    );
  }

  /** The drained counter (0 before the first count). */
  async drained(): Promise<number> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: DRAINED_KEY, ConsistentRead: true }),
    );
    return Number(out.Item?.drained ?? 0);
  }
}
