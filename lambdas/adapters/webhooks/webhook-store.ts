import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { WebhookSource } from '../../core/webhooks/sources.js';
import type {
  DeliveryAttempt,
  DeliveryStatus,
  SubscribableEventType,
} from '../../core/webhooks/subscriptions.js';
import { queryPartition, withoutKeys } from '../dynamodb/items.js';

/**
 * The webhook table (single-table, encrypted with the stage CMK like every table):
 *   RCPT#<source>#<deliveryId> / RECEIPT     an inbound delivery: raw body, status, outcome (the dedupe record)
 *   QUARANTINE / <time>#<source>#<deliveryId> a payload we could not map: what a person must look at
 *   SUBS / SUB#<id>                           a subscription (its signing secret included: needed to sign)
 *   SUB#<id> / DLV#<eventId>                  the delivery log of one event to one subscription
 * Subscriptions are few (one or two per partner), so fan-out reads the whole SUBS partition.
 */
export type ReceiptStatus = 'received' | 'accepted' | 'ignored' | 'quarantined';

export interface Receipt {
  source: WebhookSource;
  deliveryId: string;
  receivedAt: string;
  status: ReceiptStatus;
  /** The body exactly as received (may hold PHI: the table is KMS-encrypted, never logged). */
  rawBody: string;
  /** Quarantined: the facility the payload names (core/webhooks/quarantine.ts claimedFacility). */
  facilityId?: string;
  reason?: string;
  eventIds?: string[];
  settledAt?: string;
}

export interface Subscription {
  id: string;
  clientId: string;
  url: string;
  eventTypes: SubscribableEventType[];
  description?: string;
  secret: string;
  createdAt: string;
}

export interface Delivery {
  subscriptionId: string;
  eventId: string;
  eventType: string;
  status: DeliveryStatus;
  createdAt: string;
  firstAttemptAt?: string;
  deliveredAt?: string;
  attemptCount: number;
  /** The last attempts (at most 20), newest last. */
  attempts: DeliveryAttempt[];
  lastStatusCode?: number;
  nextAttemptAt?: string;
  reason?: string;
}

const MAX_ATTEMPTS_KEPT = 20;
const receiptKey = (source: string, deliveryId: string) => ({
  pk: `RCPT#${source}#${deliveryId}`,
  sk: 'RECEIPT',
});
const subscriptionKey = (id: string) => ({ pk: 'SUBS', sk: `SUB#${id}` });
const deliveryKey = (subscriptionId: string, eventId: string) => ({
  pk: `SUB#${subscriptionId}`,
  sk: `DLV#${eventId}`,
});

const strip = withoutKeys;

/** Days a raw inbound body (and its dedupe record) is kept; a quarantined one must be replayed before. */
export const RAW_BODY_TTL_DAYS = 35;

export class WebhookStore {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  // ---- inbound receipts ----

  /** Stores a receipt unless one exists for this (source, delivery id): the sender's retry is recognised. */
  async putReceipt(receipt: Receipt): Promise<{ created: true } | { created: false; existing: Receipt }> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          // The raw body may hold PHI: the receipt (body and dedupe record) expires after RAW_BODY_TTL_DAYS
          // (issue #15), far beyond any sender's retry window (docs/security.md#retention).
          Item: {
            ...receiptKey(receipt.source, receipt.deliveryId),
            ...receipt,
            expiresAt: Math.floor(Date.now() / 1000) + RAW_BODY_TTL_DAYS * 86_400,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return { created: true };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const existing = await this.getReceipt(receipt.source, receipt.deliveryId);
      if (!existing) throw error;
      return { created: false, existing };
    }
  }

  async getReceipt(source: string, deliveryId: string): Promise<Receipt | undefined> {
    const out = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: receiptKey(source, deliveryId),
        ConsistentRead: true,
      }),
    );
    return out.Item ? strip<Receipt>(out.Item) : undefined;
  }

  async settleReceipt(
    source: string,
    deliveryId: string,
    outcome: {
      status: Exclude<ReceiptStatus, 'received'>;
      reason?: string;
      eventIds?: string[];
      facilityId?: string;
    },
  ): Promise<void> {
    const settledAt = new Date().toISOString();
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: receiptKey(source, deliveryId),
        UpdateExpression: `SET #status = :status, settledAt = :at, reason = :reason, eventIds = :ids${outcome.facilityId ? ', facilityId = :facility' : ''}`,
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':status': outcome.status,
          ':at': settledAt,
          ':reason': outcome.reason ?? null,
          ':ids': outcome.eventIds ?? [],
          ...(outcome.facilityId ? { ':facility': outcome.facilityId } : {}),
        },
      }),
    );
    if (outcome.status === 'quarantined') {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: 'QUARANTINE',
            sk: `${settledAt}#${source}#${deliveryId}`,
            source,
            deliveryId,
            reason: outcome.reason,
            quarantinedAt: settledAt,
            ...(outcome.facilityId ? { facilityId: outcome.facilityId } : {}),
          },
        }),
      );
    }
  }

  /** Quarantined receipts, oldest first: what a person must map and replay (docs/operations.md). */
  async quarantined(
    limit = 100,
  ): Promise<
    Array<{ source: string; deliveryId: string; reason: string; quarantinedAt: string; facilityId?: string }>
  > {
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': 'QUARANTINE' },
        Limit: limit,
      }),
    );
    return (out.Items ?? []).map((item) => ({
      source: item.source as string,
      deliveryId: item.deliveryId as string,
      reason: item.reason as string,
      quarantinedAt: item.quarantinedAt as string,
      ...(typeof item.facilityId === 'string' ? { facilityId: item.facilityId } : {}),
    }));
  }

  /**
   * Puts a quarantined receipt back to `received` for the processor, optionally with a corrected body (the
   * original is kept as `originalBody`), and takes it off the quarantine list. False when it is not quarantined.
   */
  async reopenReceipt(source: string, deliveryId: string, correctedBody?: string): Promise<boolean> {
    const receipt = await this.getReceipt(source, deliveryId);
    if (!receipt || receipt.status !== 'quarantined') return false;
    const replayedAt = new Date().toISOString();
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: receiptKey(source, deliveryId),
          UpdateExpression:
            correctedBody === undefined
              ? 'SET #status = :received, replayedAt = :at'
              : 'SET #status = :received, replayedAt = :at, rawBody = :body, originalBody = if_not_exists(originalBody, :old)',
          ConditionExpression: '#status = :quarantined',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':received': 'received',
            ':quarantined': 'quarantined',
            ':at': replayedAt,
            ...(correctedBody === undefined ? {} : { ':body': correctedBody, ':old': receipt.rawBody }),
          },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
    if (receipt.settledAt) {
      await this.doc.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { pk: 'QUARANTINE', sk: `${receipt.settledAt}#${source}#${deliveryId}` },
        }),
      );
    }
    return true;
  }

  // ---- subscriptions ----

  async putSubscription(subscription: Subscription): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...subscriptionKey(subscription.id), ...subscription },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async getSubscription(id: string): Promise<Subscription | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: subscriptionKey(id), ConsistentRead: true }),
    );
    return out.Item ? strip<Subscription>(out.Item) : undefined;
  }

  async deleteSubscription(id: string): Promise<void> {
    await this.doc.send(new DeleteCommand({ TableName: this.tableName, Key: subscriptionKey(id) }));
  }

  async subscriptions(): Promise<Subscription[]> {
    return queryPartition(this.doc, this.tableName, 'SUBS');
  }

  // ---- delivery log ----

  /** Logs a delivery as pending unless it is already logged (the bus redelivered the event). */
  async createDelivery(delivery: Delivery): Promise<{ created: boolean; existing?: Delivery }> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...deliveryKey(delivery.subscriptionId, delivery.eventId), ...delivery },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return { created: true };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return { created: false, existing: await this.getDelivery(delivery.subscriptionId, delivery.eventId) };
    }
  }

  async getDelivery(subscriptionId: string, eventId: string): Promise<Delivery | undefined> {
    const out = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: deliveryKey(subscriptionId, eventId),
        ConsistentRead: true,
      }),
    );
    return out.Item ? strip<Delivery>(out.Item) : undefined;
  }

  /** Appends an attempt and sets the outcome; the attempt list is bounded. */
  async recordAttempt(
    delivery: Delivery,
    attempt: DeliveryAttempt,
    outcome: { status: DeliveryStatus; nextAttemptAt?: string; reason?: string },
  ): Promise<Delivery> {
    const updated: Delivery = {
      ...delivery,
      status: outcome.status,
      attemptCount: delivery.attemptCount + 1,
      attempts: [...delivery.attempts, attempt].slice(-MAX_ATTEMPTS_KEPT),
      firstAttemptAt: delivery.firstAttemptAt ?? attempt.at,
      ...(attempt.statusCode !== undefined ? { lastStatusCode: attempt.statusCode } : {}),
      ...(outcome.status === 'delivered' ? { deliveredAt: attempt.at } : {}),
      nextAttemptAt: outcome.nextAttemptAt,
      reason: outcome.reason,
    };
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...deliveryKey(delivery.subscriptionId, delivery.eventId), ...updated },
      }),
    );
    return updated;
  }

  /** A subscription's deliveries, newest first. */
  async deliveries(subscriptionId: string, limit: number): Promise<Delivery[]> {
    const items: Delivery[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :dlv)',
          ExpressionAttributeValues: { ':pk': `SUB#${subscriptionId}`, ':dlv': 'DLV#' },
          ExclusiveStartKey: startKey,
        }),
      );
      items.push(...(out.Items ?? []).map((item) => strip<Delivery>(item)));
      startKey = out.LastEvaluatedKey;
    } while (startKey && items.length < 1000);
    return items.sort((a, b) => b.createdAt.localeCompare(a.createdAt)).slice(0, limit);
  }
}
