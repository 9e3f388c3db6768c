import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  nextPosition,
  type WorkflowEffect,
  type WorkflowPosition,
  type WorkflowState,
} from '../../core/workflow.js';

/**
 * The workflow table, single-table style:
 *   ENC#<encounterId> / WORKFLOW         the encounter's position, links to Odoo, money summary
 *   ENC#<encounterId> / EVT#<eventId>    one timeline entry per business event (the correlation record)
 */
export interface TimelineEntry {
  eventId: string;
  type: string;
  time: string;
  correlationId: string;
  clientId: string;
  state: WorkflowState;
  /** Non-PHI facts about the event: ids, amounts in cents, Odoo ids, reasons. */
  detail: Record<string, unknown>;
}

export interface OdooInvoiceLink {
  invoiceId: string;
  moveId: number;
  moveName: string;
  partnerId: number;
}

export interface Workflow extends WorkflowPosition {
  encounterId: string;
  facilityId: string;
  createdAt: string;
  updatedAt: string;
  version: number;
  odooInvoices: Record<string, OdooInvoiceLink>;
  /** Events whose effect is in this item: the exactly-once guard for redeliveries. */
  appliedEventIds: string[];
  /** Last Odoo error seen while writing, so a stuck encounter says why. */
  lastOdooError?: { at: string; kind: string; message: string };
}

export interface RecordedEvent {
  eventId: string;
  type: string;
  time: string;
  correlationId: string;
  clientId: string;
  encounterId: string;
  facilityId: string;
  detail: Record<string, unknown>;
}

export interface AppliedEffect {
  applied: boolean;
  from: WorkflowState | null;
  to: WorkflowState;
  workflow: Workflow;
}

const workflowKey = (encounterId: string) => ({ pk: `ENC#${encounterId}`, sk: 'WORKFLOW' });
const MAX_VERSION_RETRIES = 5;
/** An encounter sees dozens of events; keep the last 500 ids (a redelivery older than that is long settled). */
const MAX_APPLIED_EVENT_IDS = 500;

export class WorkflowStore {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  async getWorkflow(encounterId: string): Promise<Workflow | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: workflowKey(encounterId), ConsistentRead: true }),
    );
    return out.Item ? toWorkflow(out.Item) : undefined;
  }

  async getTimeline(encounterId: string): Promise<TimelineEntry[]> {
    const entries: TimelineEntry[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :evt)',
          ExpressionAttributeValues: { ':pk': `ENC#${encounterId}`, ':evt': 'EVT#' },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of out.Items ?? []) {
        entries.push({
          eventId: item.eventId,
          type: item.type,
          time: item.time,
          correlationId: item.correlationId,
          clientId: item.clientId,
          state: item.state,
          detail: item.detail ?? {},
        });
      }
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    return entries.sort((a, b) => a.time.localeCompare(b.time) || a.eventId.localeCompare(b.eventId));
  }

  /**
   * Records a business event and applies its effect to the workflow exactly once. The workflow item lists
   * the events it has applied and is written with optimistic locking on `version`, so a redelivered event
   * is recognised and concurrent writers re-read instead of overwriting each other. The timeline entry is
   * then written if absent; a crash between the two writes is mended by the redelivery. (No transactions:
   * one conditional put is cheaper, and dynalite has no TransactWriteItems.)
   */
  async recordEvent(
    event: RecordedEvent,
    effect: WorkflowEffect,
    change: { odooInvoice?: OdooInvoiceLink; lastOdooError?: Workflow['lastOdooError'] | null } = {},
  ): Promise<AppliedEffect> {
    for (let attempt = 0; attempt < MAX_VERSION_RETRIES; attempt++) {
      const current = await this.getWorkflow(event.encounterId);
      if (current?.appliedEventIds.includes(event.eventId)) {
        await this.putTimelineEntry(event, current.state);
        return { applied: false, from: current.state, to: current.state, workflow: current };
      }
      const position = nextPosition(current ?? null, effect);
      const now = new Date().toISOString();
      const workflow: Workflow = {
        encounterId: event.encounterId,
        facilityId: current?.facilityId ?? event.facilityId,
        createdAt: current?.createdAt ?? now,
        updatedAt: now,
        version: (current?.version ?? 0) + 1,
        odooInvoices: { ...(current?.odooInvoices ?? {}) },
        appliedEventIds: [...(current?.appliedEventIds ?? []), event.eventId].slice(-MAX_APPLIED_EVENT_IDS),
        ...position,
        ...(current?.lastOdooError ? { lastOdooError: current.lastOdooError } : {}),
      };
      if (change.odooInvoice) workflow.odooInvoices[change.odooInvoice.invoiceId] = change.odooInvoice;
      if (change.lastOdooError === null) delete workflow.lastOdooError;
      else if (change.lastOdooError) workflow.lastOdooError = change.lastOdooError;

      try {
        await this.doc.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { ...workflowKey(event.encounterId), ...workflow },
            ConditionExpression: current ? 'version = :expected' : 'attribute_not_exists(pk)',
            ...(current ? { ExpressionAttributeValues: { ':expected': current.version } } : {}),
          }),
        );
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) continue; // another writer moved first; re-read
        throw error;
      }
      await this.putTimelineEntry(event, workflow.state);
      return { applied: true, from: current?.state ?? null, to: workflow.state, workflow };
    }
    throw new Error(
      `workflow ${event.encounterId} kept changing under us; giving up after ${MAX_VERSION_RETRIES} tries`,
    );
  }

  private async putTimelineEntry(event: RecordedEvent, state: WorkflowState): Promise<void> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: `ENC#${event.encounterId}`,
            sk: `EVT#${event.eventId}`,
            eventId: event.eventId,
            type: event.type,
            time: event.time,
            correlationId: event.correlationId,
            clientId: event.clientId,
            state,
            detail: event.detail,
          },
          ConditionExpression: 'attribute_not_exists(sk)',
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /** Records the last Odoo error on the workflow without adding a timeline entry (retries are noise). */
  async noteOdooError(
    encounterId: string,
    lastOdooError: NonNullable<Workflow['lastOdooError']>,
  ): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: workflowKey(encounterId),
          UpdateExpression: 'SET lastOdooError = :error',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':error': lastOdooError },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}

function toWorkflow(item: Record<string, unknown>): Workflow {
  const { pk: _pk, sk: _sk, ...rest } = item;
  return rest as unknown as Workflow;
}
