import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { AcceptedDocument, HeldDocument } from '../../core/sla.js';

/** Timeline entry types the SLA rules look at (core/sla.ts). */
const DOCUMENT_TYPES = ['InvoiceIssued', 'RemittanceReceived', 'PaymentReceived'] as const;

/**
 * What the SLA sweeper reads of one encounter besides its workflow item: the accepted invoices, remittances and
 * payments of its timeline (`EVT#…`, non-PHI facts only) and its held events (`HELD#…`, without the envelope).
 * Two key-prefix queries of the encounter's partition (timeline filtered server-side by type).
 */
export class EncounterDocuments {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.doc = DynamoDBDocumentClient.from(client);
  }

  async read(encounterId: string): Promise<{ documents: AcceptedDocument[]; held: HeldDocument[] }> {
    const [events, heldItems] = await Promise.all([
      this.query(encounterId, 'EVT#', {
        FilterExpression: '#type IN (:t0, :t1, :t2)',
        ExpressionAttributeNames: { '#type': 'type', '#time': 'time' },
        ProjectionExpression: 'eventId, #type, #time, detail',
        values: { ':t0': DOCUMENT_TYPES[0], ':t1': DOCUMENT_TYPES[1], ':t2': DOCUMENT_TYPES[2] },
      }),
      this.query(encounterId, 'HELD#', { ProjectionExpression: 'sk, heldAt, waitingFor' }),
    ]);
    return {
      documents: events.map((item) => ({
        eventId: String(item.eventId),
        type: String(item.type),
        time: String(item.time),
        detail: (item.detail as Record<string, unknown>) ?? {},
      })),
      held: heldItems.map((item) => ({
        eventId: String(item.sk).slice('HELD#'.length),
        heldAt: String(item.heldAt),
        waitingFor: String(item.waitingFor ?? ''),
      })),
    };
  }

  private async query(
    encounterId: string,
    prefix: string,
    options: {
      FilterExpression?: string;
      ExpressionAttributeNames?: Record<string, string>;
      ProjectionExpression: string;
      values?: Record<string, unknown>;
    },
  ): Promise<Record<string, unknown>[]> {
    const { values, ...rest } = options;
    const items: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ...rest,
          ExpressionAttributeValues: { ':pk': `ENC#${encounterId}`, ':prefix': prefix, ...values },
          ExclusiveStartKey: startKey,
        }),
      );
      items.push(...(out.Items ?? []));
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    return items;
  }
}
