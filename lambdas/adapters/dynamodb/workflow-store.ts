import { gunzipSync, gzipSync } from 'node:zlib';
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { EventEnvelope } from '../../core/envelope.js';
import {
  ACTIONABLE_ORDER,
  nextPosition,
  stateFor,
  type WorkflowEffect,
  type WorkflowPosition,
  type WorkflowState,
} from '../../core/workflow.js';
import {
  batchGetItems,
  decodeCursor,
  encodeCursor,
  getItem,
  InvalidCursor,
  queryPartition,
  withoutKeys,
} from './items.js';

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

export interface ClaimRecord {
  claimId: string;
  payerId: string;
  invoiceIds: string[];
  billedCents: number;
  status?: string;
  payerClaimControlNumber?: string;
}

export interface RemittanceRecord {
  remittanceId: string;
  claimId: string;
  payerClaimControlNumber: string;
  claimStatus: string;
  traceNumber: string;
  /** Refs of what was booked in Odoo, so a reversal (CLP02 22) can undo exactly that. */
  stepRefs: string[];
  reversed?: boolean;
  /** Since issue 14 (remittance-sequencing.ts `BookedRemittance`): what matches a reversal to its original. */
  payerId?: string;
  billedCents?: number;
  paidCents?: number;
  unmatched?: boolean;
  payerCredit?: boolean;
}

export interface OpenException {
  key: string;
  team: 'billing' | 'finance' | 'integration';
  reason: string;
  amountCents: number;
  openedAt: string;
  sourceEventId: string;
}

export interface MoneySummary {
  /** Invoiced to payers and patients. */
  billedCents: number;
  paidCents: number;
  adjustedCents: number;
  patientResponsibilityCents: number;
  patientPaidCents: number;
}

export const EMPTY_MONEY: MoneySummary = {
  billedCents: 0,
  paidCents: 0,
  adjustedCents: 0,
  patientResponsibilityCents: 0,
  patientPaidCents: 0,
};

export interface Workflow extends WorkflowPosition {
  encounterId: string;
  facilityId: string;
  createdAt: string;
  updatedAt: string;
  /** When the workflow entered its current state (for "stuck longer than" queries). */
  stateSince: string;
  version: number;
  patientId?: string;
  payerIds: string[];
  odooInvoices: Record<string, OdooInvoiceLink & { billTo?: 'payer' | 'patient'; totalCents?: number }>;
  claims: Record<string, ClaimRecord>;
  remittances: Record<string, RemittanceRecord>;
  /** Gateway/bank payments booked, by paymentId: a payment re-sent under a new key books once. */
  payments: Record<string, { paymentId: string; invoiceId: string; amountCents: number }>;
  exceptions: Record<string, OpenException>;
  money: MoneySummary;
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

export interface MasterRecordItem<T> {
  record: T;
  odooPartnerId?: number;
  version: number;
  updatedAt: string;
}

export interface WorkflowQuery {
  state?: WorkflowState;
  facilityId?: string;
  /** Only these facilities (the caller's binding, docs/security.md#reads); an empty list matches nothing. */
  facilityIds?: readonly string[];
  payerId?: string;
  /** ISO time: only workflows in their state since before it. */
  stateBefore?: string;
  limit: number;
  cursor?: string;
}

interface CursorPosition {
  stateIndex: number;
  key: Record<string, unknown> | undefined;
}

export { InvalidCursor };

export type StageEffect = Extract<WorkflowEffect, { kind: 'reach' | 'none' }>;

export interface AppliedEffect {
  applied: boolean;
  from: WorkflowState | null;
  to: WorkflowState;
  workflow: Workflow;
}

export type OwnedKind = 'encounter' | 'patient' | 'payer';
const ownerKey = (kind: OwnedKind, id: string) => ({ pk: `OWNER#${kind}#${id}`, sk: 'OWNER' });
const workflowKey = (encounterId: string) => ({ pk: `ENC#${encounterId}`, sk: 'WORKFLOW' });
const planItemKey = (encounterId: string, key: string) => ({ pk: `ENC#${encounterId}`, sk: `PLAN#${key}` });
const masterKey = (kind: 'patient' | 'payer', id: string) => ({
  pk: `${kind.toUpperCase()}#${id}`,
  sk: 'MASTER',
});

/** A fixed plan item's plan: `plan` (JSON text) is how plans fixed before the gzip were stored, still read. */
function planOf(item: Record<string, unknown>): unknown {
  const text =
    item.planGzip instanceof Uint8Array ? gunzipSync(item.planGzip).toString('utf8') : (item.plan as string);
  return JSON.parse(text);
}
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

  /** Workflows by encounter id, read consistently in BatchGetItem requests of 100 keys (absent: not listed). */
  protected async batchGetWorkflows(encounterIds: readonly string[]): Promise<Map<string, Workflow>> {
    const items = await batchGetItems(this.doc, this.tableName, [...new Set(encounterIds)].map(workflowKey));
    return new Map(
      items.map((item) => {
        const workflow = toWorkflow(item);
        return [workflow.encounterId, workflow];
      }),
    );
  }

  /**
   * Fixed plans (`encounterId`, plan key) and patients' master records, read together in BatchGetItem requests
   * of 100 keys (ReadOnceWorkflowStore's preload); absent ones are not listed.
   */
  protected async batchGetPlansAndPatients(
    plans: ReadonlyArray<{ encounterId: string; key: string }>,
    patientIds: readonly string[],
  ): Promise<{ plans: Map<string, unknown>; patients: Map<string, MasterRecordItem<unknown>> }> {
    const items = await batchGetItems(this.doc, this.tableName, [
      ...plans.map(({ encounterId, key }) => planItemKey(encounterId, key)),
      ...patientIds.map((id) => masterKey('patient', id)),
    ]);
    const found = {
      plans: new Map<string, unknown>(),
      patients: new Map<string, MasterRecordItem<unknown>>(),
    };
    for (const item of items) {
      const pk = item.pk as string;
      const sk = item.sk as string;
      if (sk.startsWith('PLAN#'))
        found.plans.set(`${pk.slice('ENC#'.length)}|${sk.slice('PLAN#'.length)}`, planOf(item));
      else found.patients.set(pk.slice('PATIENT#'.length), withoutKeys(item));
    }
    return found;
  }

  /** This store wrote the workflow item so (ReadOnceWorkflowStore keeps it as its copy). */
  protected wrote(_workflow: Workflow): void {}

  /** A conditional write found the workflow item moved on (ReadOnceWorkflowStore drops its copy). */
  protected overtaken(_encounterId: string): void {}

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
    effect: StageEffect,
    mutate?: (draft: Workflow) => void,
  ): Promise<AppliedEffect> {
    for (let attempt = 0; attempt < MAX_VERSION_RETRIES; attempt++) {
      const current = await this.getWorkflow(event.encounterId);
      if (current?.appliedEventIds.includes(event.eventId)) {
        await this.putTimelineEntry(event, current.state);
        return { applied: false, from: current.state, to: current.state, workflow: current };
      }
      const now = new Date().toISOString();
      const draft: Workflow = structuredClone(current ?? newWorkflow(event, now));
      draft.updatedAt = now;
      draft.version = (current?.version ?? 0) + 1;
      draft.appliedEventIds = [...draft.appliedEventIds, event.eventId].slice(-MAX_APPLIED_EVENT_IDS);
      mutate?.(draft);
      // Exceptions are keyed by cause in `exceptions` (opened and resolved through `mutate`), so a redelivery
      // cannot count one twice; the stage moves only forward (core/workflow.ts).
      const { stage } = nextPosition(
        current ? { state: current.state, stage: current.stage, openExceptions: 0 } : null,
        effect,
      );
      const openExceptions = Object.keys(draft.exceptions).length;
      const workflow: Workflow = { ...draft, stage, openExceptions, state: stateFor(stage, openExceptions) };
      if (workflow.state !== current?.state) workflow.stateSince = now;

      try {
        await this.doc.send(
          new PutCommand({
            TableName: this.tableName,
            Item: toItem(workflow),
            ConditionExpression: current ? 'version = :expected' : 'attribute_not_exists(pk)',
            ...(current ? { ExpressionAttributeValues: { ':expected': current.version } } : {}),
          }),
        );
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) {
          this.overtaken(event.encounterId);
          continue; // another writer moved first; re-read
        }
        throw error;
      }
      this.wrote(workflow);
      await this.putTimelineEntry(event, workflow.state);
      return { applied: true, from: current?.state ?? null, to: workflow.state, workflow };
    }
    throw new Error(
      `workflow ${event.encounterId} kept changing under us; giving up after ${MAX_VERSION_RETRIES} tries`,
    );
  }

  /**
   * Records an accepted business event in its encounter's timeline (the correlation record) without rewriting
   * the workflow item: accepting changes no state (the Odoo writer's follow-up does, in one write), so only the
   * encounter's first event creates the item. Rewriting it at intake too cost a second whole-item write per
   * event (docs/cost.md). Idempotent: the timeline entry is written once per event id.
   */
  async recordAccepted(event: RecordedEvent): Promise<{ created: boolean; state: WorkflowState }> {
    const current = await this.getWorkflow(event.encounterId);
    if (current) {
      await this.putTimelineEntry(event, current.state);
      return { created: false, state: current.state };
    }
    const recorded = await this.recordEvent(event, { kind: 'none' });
    return { created: recorded.applied && recorded.from === null, state: recorded.to };
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

  /**
   * Holds an event that arrived before what it depends on (a remittance before its invoice reached Odoo).
   * Held events are retried, in arrival order, after every event of the same encounter that succeeds.
   */
  async holdEvent(envelope: EventEnvelope & { encounterId: string }, waitingFor: string): Promise<void> {
    await this.doc
      .send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: `ENC#${envelope.encounterId}`,
            sk: `HELD#${envelope.id}`,
            heldAt: new Date().toISOString(),
            waitingFor,
            envelope: JSON.stringify(envelope),
          },
          ConditionExpression: 'attribute_not_exists(sk)',
        }),
      )
      .catch((error) => {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      });
  }

  async heldEvents(
    encounterId: string,
  ): Promise<Array<{ envelope: EventEnvelope; heldAt: string; waitingFor: string }>> {
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :held)',
        ExpressionAttributeValues: { ':pk': `ENC#${encounterId}`, ':held': 'HELD#' },
        ConsistentRead: true,
      }),
    );
    return (out.Items ?? [])
      .map((item) => ({
        envelope: JSON.parse(item.envelope) as EventEnvelope,
        heldAt: item.heldAt as string,
        waitingFor: item.waitingFor as string,
      }))
      .sort((a, b) => a.heldAt.localeCompare(b.heldAt));
  }

  async releaseHeld(encounterId: string, eventId: string): Promise<void> {
    await this.doc.send(
      new DeleteCommand({
        TableName: this.tableName,
        Key: { pk: `ENC#${encounterId}`, sk: `HELD#${eventId}` },
      }),
    );
  }

  /**
   * The posting plan of a document, fixed before its first step is booked. A retry after a partial
   * execution replays this plan instead of planning again against an Odoo it already changed (which would
   * see the invoice paid and call the payment an overpayment). First writer wins.
   */
  async fixPlan<T>(encounterId: string, key: string, plan: T): Promise<T> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...planItemKey(encounterId, key),
            // Gzipped: a remittance's plan is about 1.0 KB of JSON (two write units with its keys), 0.5 KB
            // gzipped (one). Written once, read only on a retry (docs/cost.md).
            planGzip: gzipSync(JSON.stringify(plan)),
            fixedAt: new Date().toISOString(),
          },
          ConditionExpression: 'attribute_not_exists(sk)',
        }),
      );
      return plan;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const existing = await this.fixedPlan<T>(encounterId, key);
      if (existing === undefined) throw error;
      return existing;
    }
  }

  async fixedPlan<T>(encounterId: string, key: string): Promise<T | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: planItemKey(encounterId, key), ConsistentRead: true }),
    );
    return out.Item ? (planOf(out.Item) as T) : undefined;
  }

  /** Notes that an encounter holds events until `subject` (e.g. `patient:P1`) exists. */
  async addWaiter(subject: string, encounterId: string): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: `WAIT#${subject}`,
          sk: `ENC#${encounterId}`,
          encounterId,
          since: new Date().toISOString(),
        },
      }),
    );
  }

  /** The encounters waiting for `subject`; each is forgotten once returned (the caller re-queues its events). */
  async takeWaiters(subject: string): Promise<string[]> {
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `WAIT#${subject}` },
        ConsistentRead: true,
      }),
    );
    const encounters = (out.Items ?? []).map((item) => item.encounterId as string);
    await Promise.all(
      encounters.map((encounterId) =>
        this.doc.send(
          new DeleteCommand({
            TableName: this.tableName,
            Key: { pk: `WAIT#${subject}`, sk: `ENC#${encounterId}` },
          }),
        ),
      ),
    );
    return encounters;
  }

  /**
   * Records who owns a business id at its first accepted write (docs/security.md#ownership): a conditional put
   * so two concurrent first writers agree on one owner. Answers the owner that stands (null: no facility).
   */
  async claimOwner(
    kind: OwnedKind,
    id: string,
    facilityId: string | null,
    clientId: string,
  ): Promise<string | null> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...ownerKey(kind, id), facilityId, clientId, at: new Date().toISOString() },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return facilityId;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return (await this.ownerOf(kind, id)) ?? null;
    }
  }

  /** The owner recorded for a business id; undefined when nobody wrote it yet. */
  async ownerOf(kind: OwnedKind, id: string): Promise<string | null | undefined> {
    const item = await getItem<{ facilityId: string | null }>(this.doc, this.tableName, ownerKey(kind, id));
    return item ? item.facilityId : undefined;
  }

  /** The surviving master record of a patient or payer (PHI for patients: encrypted at rest, never logged). */
  async getMasterRecord<T>(kind: 'patient' | 'payer', id: string): Promise<MasterRecordItem<T> | undefined> {
    return getItem(this.doc, this.tableName, masterKey(kind, id));
  }

  /** Writes the master record if nobody changed it since `expectedVersion` was read (0: must not exist). */
  async putMasterRecord<T>(
    kind: 'patient' | 'payer',
    id: string,
    item: MasterRecordItem<T>,
    expectedVersion: number,
  ): Promise<boolean> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: `${kind.toUpperCase()}#${id}`, sk: 'MASTER', ...item },
          ConditionExpression: expectedVersion === 0 ? 'attribute_not_exists(pk)' : 'version = :expected',
          ...(expectedVersion === 0 ? {} : { ExpressionAttributeValues: { ':expected': expectedVersion } }),
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /**
   * Workflows by state (sparse GSI `workflowsByState`: listState + stateSince), newest change first, optionally
   * only those in their state since before `olderThan`, filtered by facility and payer. `cursor` pages through
   * the states in WORKFLOW_STATES order. The index holds keys and the filter attributes only (wiring.ts): each
   * page's items are then read from the table in one BatchGetItem.
   */
  async listWorkflows(query: WorkflowQuery): Promise<{ items: Workflow[]; cursor?: string }> {
    const states = query.state ? [query.state] : [...ACTIONABLE_ORDER];
    let position = query.cursor
      ? decodeCursor<CursorPosition>(query.cursor, (p) => typeof p?.stateIndex === 'number')
      : { stateIndex: 0, key: undefined };
    const items: Workflow[] = [];
    while (position.stateIndex < states.length && items.length < query.limit) {
      const state = states[position.stateIndex] as WorkflowState;
      const filters: string[] = [];
      const values: Record<string, unknown> = { ':state': state };
      if (query.facilityId) {
        filters.push('facilityId = :facility');
        values[':facility'] = query.facilityId;
      }
      if (query.facilityIds) {
        const names = query.facilityIds.map((facility, i) => {
          values[`:visible${i}`] = facility;
          return `:visible${i}`;
        });
        filters.push(names.length ? `facilityId IN (${names.join(', ')})` : 'attribute_not_exists(pk)');
      }
      if (query.payerId) {
        filters.push('contains(payerIds, :payer)');
        values[':payer'] = query.payerId;
      }
      if (query.stateBefore) values[':before'] = query.stateBefore;
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: 'workflowsByState',
          KeyConditionExpression: query.stateBefore
            ? 'listState = :state AND stateSince < :before'
            : 'listState = :state',
          ...(filters.length ? { FilterExpression: filters.join(' AND ') } : {}),
          ExpressionAttributeValues: values,
          ScanIndexForward: false,
          Limit: query.limit - items.length,
          ExclusiveStartKey: position.key,
        }),
      );
      items.push(...(await this.workflowsAt(out.Items ?? [])));
      position = out.LastEvaluatedKey
        ? { stateIndex: position.stateIndex, key: out.LastEvaluatedKey }
        : { stateIndex: position.stateIndex + 1, key: undefined };
    }
    const more = position.stateIndex < states.length;
    return { items, ...(more ? { cursor: encodeCursor(position) } : {}) };
  }

  /** The workflow items an index page points at, in the page's order (BatchGetItem, at most 100 keys a call). */
  private async workflowsAt(keys: Record<string, unknown>[]): Promise<Workflow[]> {
    const found = new Map<string, Record<string, unknown>>();
    for (let i = 0; i < keys.length; i += 100) {
      let pending: Record<string, unknown>[] = keys.slice(i, i + 100).map((k) => ({ pk: k.pk, sk: k.sk }));
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 25 * 2 ** attempt)));
        const out = await this.doc.send(
          new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: pending } } }),
        );
        for (const item of out.Responses?.[this.tableName] ?? []) found.set(String(item.pk), item);
        pending = (out.UnprocessedKeys?.[this.tableName]?.Keys ?? []) as Record<string, unknown>[];
      }
    }
    // An item deleted between the index read and this one is left out.
    return keys.flatMap((k) => {
      const item = found.get(String(k.pk));
      return item ? [toWorkflow(item)] : [];
    });
  }

  /** Records the last Odoo error on the workflow without adding a timeline entry (retries are noise). */
  async noteOdooError(
    encounterId: string,
    lastOdooError: NonNullable<Workflow['lastOdooError']>,
  ): Promise<void> {
    this.overtaken(encounterId);
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

  /**
   * A redelivery went through: the workflow stops showing the Odoo error an earlier attempt noted. A no-op (one
   * conditional update) when there is none; no timeline entry, as for noting it.
   */
  async clearOdooError(encounterId: string): Promise<void> {
    this.overtaken(encounterId);
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: workflowKey(encounterId),
          UpdateExpression: 'REMOVE lastOdooError',
          ConditionExpression: 'attribute_exists(lastOdooError)',
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /**
   * Claim → encounter index (issue #4). Partners that answer a claim name only our claim id (FHIR
   * `ClaimResponse.request`, `PaymentReconciliation.detail.request`, an 835's CLP01), never the encounter;
   * every accepted ClaimSubmitted is indexed here as `CLAIM#<claimId>` / `ENC#<encounterId>`. A claim id
   * may repeat across encounters (CLP01 is not unique), so a lookup answers every match.
   */
  async indexClaim(entry: ClaimIndexEntry): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: `CLAIM#${entry.claimId}`, sk: `ENC#${entry.encounterId}`, ...entry },
      }),
    );
    if (entry.submittedDate) {
      await putPayerLedgerEntry(this.doc, this.tableName, entry.payerId, {
        sk: `CLAIM#${entry.submittedDate}#${entry.claimId}#${entry.encounterId}`,
        kind: 'claim',
        claimId: entry.claimId,
        encounterId: entry.encounterId,
        facilityId: entry.facilityId,
        submittedDate: entry.submittedDate,
        billedCents: entry.billedCents,
      });
    }
  }

  async findClaim(claimId: string): Promise<ClaimIndexEntry[]> {
    return queryPartition(this.doc, this.tableName, `CLAIM#${claimId}`, { consistent: true });
  }

  /**
   * Remittance → encounter index with the accepted canonical remittance (ids, amounts and CARCs, no PHI), so
   * `GET /fhir/r4/PaymentReconciliation/{remittanceId}` can answer from the id alone (issue #4).
   */
  async indexRemittance(entry: RemittanceIndexEntry): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: `REMITTANCE#${entry.remittanceId}`, sk: `ENC#${entry.encounterId}`, ...entry },
      }),
    );
    const remittance = entry.remittance as {
      payerId?: string;
      paidCents?: number;
      billedCents?: number;
      claimStatus?: string;
      adjustments?: Array<{ reason?: string }>;
      payment?: { traceNumber?: string; date?: string };
    };
    if (remittance.payerId && remittance.payment?.date) {
      await putPayerLedgerEntry(this.doc, this.tableName, remittance.payerId, {
        sk: `ERA#${remittance.payment.date}#${entry.remittanceId}#${entry.encounterId}`,
        kind: 'remittance',
        remittanceId: entry.remittanceId,
        claimId: entry.claimId,
        encounterId: entry.encounterId,
        facilityId: entry.facilityId,
        paymentDate: remittance.payment.date,
        traceNumber: remittance.payment.traceNumber ?? '',
        paidCents: remittance.paidCents ?? 0,
        claimStatus: remittance.claimStatus ?? '',
        // For payer insights (docs/triage.md#anomalies): billed amount and CARC codes, no patient data.
        ...(remittance.billedCents !== undefined ? { billedCents: remittance.billedCents } : {}),
        carcs: [...new Set((remittance.adjustments ?? []).flatMap((a) => (a.reason ? [a.reason] : [])))],
      });
    }
  }

  /**
   * A payment outside an ERA (gateway, check, wire) in the payer ledger reconciliation reads: under its payer,
   * or under the patients' bucket when a patient paid (docs/reconciliation.md#ledger).
   */
  async indexPayment(entry: {
    ledgerId: string;
    paymentId: string;
    encounterId: string;
    facilityId: string;
    invoiceId: string;
    receivedDate: string;
    traceNumber: string;
    amountCents: number;
  }): Promise<void> {
    const { ledgerId, ...rest } = entry;
    await putPayerLedgerEntry(this.doc, this.tableName, ledgerId, {
      sk: `PAY#${entry.receivedDate}#${entry.paymentId}#${entry.encounterId}`,
      kind: 'payment',
      ...rest,
    });
  }

  /**
   * An ERA's deposit (BPR02, claims, PLB; no PHI) in the payer ledger reconciliation reads: BPR02 is compared
   * with what Odoo holds for the trace (core/era-deposit.ts `compareDeposit`). Idempotent put.
   */
  async indexDeposit(deposit: {
    payerId: string;
    traceNumber: string;
    date: string;
    depositCents: number;
  }): Promise<void> {
    await putPayerLedgerEntry(this.doc, this.tableName, deposit.payerId, {
      sk: `DEP#${deposit.date}#${deposit.traceNumber}`,
      kind: 'deposit',
      traceNumber: deposit.traceNumber,
      paymentDate: deposit.date,
      depositCents: deposit.depositCents,
      deposit,
    });
  }

  async findRemittance(remittanceId: string): Promise<RemittanceIndexEntry[]> {
    return queryPartition(this.doc, this.tableName, `REMITTANCE#${remittanceId}`, { consistent: true });
  }

  /**
   * A part of an X12 document the hub accepted but could not place (an 835 claim payment whose CLP01/CLP07
   * match no claim, a 277 status of an unknown claim): kept whole, keyed by its content-derived id, in one
   * partition `UNMATCHED` that billing lists and works off (docs/x12.md#unmatched). Re-keeping is harmless.
   */
  async keepUnmatched(entry: UnmatchedEntry): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: 'UNMATCHED', sk: `${entry.kind}#${entry.id}`, ...entry },
      }),
    );
  }

  async listUnmatched(kind?: UnmatchedEntry['kind']): Promise<UnmatchedEntry[]> {
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: kind ? 'pk = :pk AND begins_with(sk, :kind)' : 'pk = :pk',
        ExpressionAttributeValues: { ':pk': 'UNMATCHED', ...(kind ? { ':kind': `${kind}#` } : {}) },
        ConsistentRead: true,
      }),
    );
    return (out.Items ?? []).map(({ pk: _pk, sk: _sk, ...rest }) => rest as UnmatchedEntry);
  }

  /**
   * Remittance uploads (docs/x12.md#large-files): `UPLOAD#<uploadId>` / `UPLOAD`. Created once per
   * (client, Idempotency-Key); a second create of the same id is a no-op.
   */
  async putUpload(record: UploadRecord): Promise<void> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: `UPLOAD#${record.uploadId}`, sk: 'UPLOAD', ...record },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async getUpload(uploadId: string): Promise<UploadRecord | undefined> {
    return getItem(this.doc, this.tableName, { pk: `UPLOAD#${uploadId}`, sk: 'UPLOAD' });
  }

  /** Moves an upload to `processing` unless it is finished; answers the record, or undefined if finished/unknown. */
  async startUpload(uploadId: string, now: string): Promise<UploadRecord | undefined> {
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: `UPLOAD#${uploadId}`, sk: 'UPLOAD' },
          UpdateExpression: 'SET #status = :processing, updatedAt = :now',
          ConditionExpression: 'attribute_exists(pk) AND #status IN (:awaiting, :processing)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':processing': 'processing',
            ':awaiting': 'awaiting_upload',
            ':now': now,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      const { pk: _pk, sk: _sk, ...rest } = out.Attributes ?? {};
      return rest as UploadRecord;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  async finishUpload(
    uploadId: string,
    outcome: Pick<UploadRecord, 'status' | 'bytes' | 'counts' | 'problem' | 'updatedAt'>,
  ): Promise<void> {
    const values = Object.entries(outcome).filter(([, v]) => v !== undefined);
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: `UPLOAD#${uploadId}`, sk: 'UPLOAD' },
        UpdateExpression: `SET ${values.map(([k]) => `#${k} = :${k}`).join(', ')}`,
        ExpressionAttributeNames: Object.fromEntries(values.map(([k]) => [`#${k}`, k])),
        ExpressionAttributeValues: Object.fromEntries(values.map(([k, v]) => [`:${k}`, v])),
      }),
    );
  }
}

/** An X12 upload: who asked, under which correlation id, where the object goes, and the outcome. */
export interface UploadRecord {
  uploadId: string;
  clientId: string;
  correlationId: string;
  idempotencyKey: string;
  bucket: string;
  key: string;
  status: 'awaiting_upload' | 'processing' | 'accepted' | 'rejected';
  createdAt: string;
  updatedAt: string;
  expiresAt: string;
  bytes?: number;
  counts?: { claims: number; events: number; unmatched: number; providerAdjustments: number };
  problem?: {
    type: string;
    title: string;
    status: number;
    detail: string;
    errors: Array<{ path: string; message: string }>;
  };
}

/** An unplaced part of a partner document (no PHI: ids, amounts, codes, the reason and where it came from). */
export interface UnmatchedEntry {
  kind: 'remittance' | 'claim-status';
  /** remittanceId or statusId, derived from the content. */
  id: string;
  claimId: string;
  payerClaimControlNumber?: string;
  amountCents: number;
  reason: string;
  /** `segment:57 CLP` in the document. */
  source: string;
  correlationId: string;
  clientId: string;
  keptAt: string;
  /** The canonical event data without its encounter, to post once the claim is known. */
  data: Record<string, unknown>;
}

/** What the claim index knows about a claim: enough to resolve its encounter and balance a payment. */
export interface ClaimIndexEntry {
  claimId: string;
  encounterId: string;
  facilityId: string;
  payerId: string;
  invoiceIds: string[];
  billedCents: number;
  /** For the payer ledger reconciliation reads (claims past the payer's expected lag). */
  submittedDate?: string;
}

export interface RemittanceIndexEntry {
  remittanceId: string;
  encounterId: string;
  facilityId: string;
  claimId: string;
  /** The RemittanceReceived event that carried it. */
  eventId: string;
  acceptedAt: string;
  /** The canonical RemittanceReceived data (core/remittance.ts). */
  remittance: Record<string, unknown>;
}

function newWorkflow(event: RecordedEvent, now: string): Workflow {
  return {
    encounterId: event.encounterId,
    facilityId: event.facilityId,
    createdAt: now,
    updatedAt: now,
    stateSince: now,
    version: 0,
    state: 'charge_ready',
    stage: 'charge_ready',
    openExceptions: 0,
    payerIds: [],
    odooInvoices: {},
    claims: {},
    remittances: {},
    payments: {},
    exceptions: {},
    money: { ...EMPTY_MONEY },
    appliedEventIds: [],
  };
}

/**
 * The workflow attributes stored as plain attributes: the state index's keys and projected filter attributes
 * (wiring.ts `workflowsByState`: listState, stateSince, facilityId, payerIds), the optimistic lock's `version`,
 * and `lastOdooError`, which noteOdooError/clearOdooError set and remove with an UpdateItem. Everything else
 * (Odoo links, claims, remittances, payments, exceptions, money, the applied event ids) is one gzipped JSON
 * attribute, `bodyGzip`: the item of an encounter past its remittance was 1.3–1.5 KB, two write units at every
 * write; gzipped it stays under 1 KB (docs/cost.md#third-pass).
 */
const PLAIN_WORKFLOW_ATTRIBUTES = new Set<string>([
  'encounterId',
  'facilityId',
  'payerIds',
  'state',
  'stateSince',
  'version',
  'lastOdooError',
]);

function toItem(workflow: Workflow): Record<string, unknown> {
  const plain: Record<string, unknown> = {};
  const body: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(workflow))
    (PLAIN_WORKFLOW_ATTRIBUTES.has(name) ? plain : body)[name] = value;
  return {
    ...workflowKey(workflow.encounterId),
    ...plain,
    listState: workflow.state,
    bodyGzip: gzipSync(JSON.stringify(body)),
  };
}

function toWorkflow(item: Record<string, unknown>): Workflow {
  const { pk: _pk, sk: _sk, listState: _listState, bodyGzip, ...rest } = item;
  // Items written before the body was gzipped hold every attribute plain: read as they are (rewritten at the
  // encounter's next event), so no migration is needed.
  const body =
    bodyGzip instanceof Uint8Array
      ? (JSON.parse(gunzipSync(bodyGzip).toString('utf8')) as Record<string, unknown>)
      : {};
  // Items written before a field existed read as its empty value.
  return {
    payerIds: [],
    claims: {},
    remittances: {},
    payments: {},
    exceptions: {},
    money: { ...EMPTY_MONEY },
    stateSince: ((rest.updatedAt ?? body.updatedAt) as string) ?? new Date(0).toISOString(),
    ...body,
    ...rest,
  } as unknown as Workflow;
}

/** Payers whose `PAYERS` registry entry this container has written (bounded by the payers a hub has). */
const payersRegistered = new Set<string>();

/**
 * The payer ledger reconciliation reads (docs/reconciliation.md#ledger): per payer, the claims and
 * remittances the hub accepted, sorted by date so a period is one key-range query, plus one registry
 * partition `PAYERS` listing every payer seen. Idempotent puts (same key, same content).
 */
async function putPayerLedgerEntry(
  doc: DynamoDBDocumentClient,
  tableName: string,
  payerId: string,
  entry: Record<string, unknown> & { sk: string },
): Promise<void> {
  await doc.send(
    new PutCommand({ TableName: tableName, Item: { pk: `PAYER#${payerId}`, payerId, ...entry } }),
  );
  // The registry entry never changes: written once per payer and container, not with every ledger entry
  // (a write unit each time, 2.3 per encounter; docs/cost.md). Remembered only after the put succeeded.
  const registered = `${tableName}|${payerId}`;
  if (payersRegistered.has(registered)) return;
  await doc.send(
    new PutCommand({ TableName: tableName, Item: { pk: 'PAYERS', sk: `PAYER#${payerId}`, payerId } }),
  );
  payersRegistered.add(registered);
}

/**
 * The workflow store for one unit of work that reads a workflow more than once: an ERA booking round, an intake
 * request (its ownership check, then its timeline entry). Each workflow is read once and the copy each write made
 * kept.
 *
 * A round (issue 16) reads its workflows once, together
 * (`preload`: BatchGetItem, 100 a request), and the copy each write made kept. Before, a claim payment's workflow
 * was read four times in its round — the batch's look-up, its decision in the batch, its decision again when
 * recorded, and the recording's read-modify-write — one GetItem and one gunzip each. Sound because the encounter
 * is quiet behind its gate while the round books it, and every workflow write is conditional on the version the
 * copy holds: a copy another writer overtook (a person, the reconciliation) fails its put, is dropped and read
 * again. Lives for one round or request only; a copy is handed out as a clone, so no caller changes another's.
 *
 * Plans and synced partners are kept too, as they only ever become known: a plan once fixed is never changed
 * (first writer wins), so the decision made again when a claim payment is recorded finds it without reading it
 * back twice and writing it again; a master record is kept once it names its Odoo partner.
 */
export class ReadOnceWorkflowStore extends WorkflowStore {
  private readonly copies = new Map<string, Workflow | null>();
  /** Fixed plans by `encounterId|key`; null: not fixed when the round read it (fixPlan's put decides). */
  private readonly plans = new Map<string, unknown | null>();
  private readonly synced = new Map<string, MasterRecordItem<unknown>>();

  override async fixedPlan<T>(encounterId: string, key: string): Promise<T | undefined> {
    const id = `${encounterId}|${key}`;
    if (this.plans.has(id)) {
      const known = this.plans.get(id);
      return known === null ? undefined : (structuredClone(known) as T);
    }
    const plan = await super.fixedPlan<T>(encounterId, key);
    if (plan !== undefined) this.plans.set(id, structuredClone(plan));
    return plan;
  }

  override async fixPlan<T>(encounterId: string, key: string, plan: T): Promise<T> {
    const id = `${encounterId}|${key}`;
    // A plan fixed once never changes; one another writer fixed after the round's read is what the put finds.
    const known = this.plans.get(id);
    if (known !== undefined && known !== null) return structuredClone(known) as T;
    // A refused put reads the plan fixed meanwhile, from the table: not this round's "not fixed".
    this.plans.delete(id);
    const fixed = await super.fixPlan(encounterId, key, plan);
    this.plans.set(id, structuredClone(fixed));
    return fixed;
  }

  override async getMasterRecord<T>(
    kind: 'patient' | 'payer',
    id: string,
  ): Promise<MasterRecordItem<T> | undefined> {
    const key = `${kind}|${id}`;
    const known = this.synced.get(key);
    if (known) return structuredClone(known) as MasterRecordItem<T>;
    const record = await super.getMasterRecord<T>(kind, id);
    if (record?.odooPartnerId !== undefined) this.synced.set(key, structuredClone(record));
    return record;
  }

  /**
   * Reads the round's workflows together; then, together again, the plans its decisions look for (`plans`) and
   * its patients' master records (a patient invoice needs the patient synced): one request per 100 keys instead
   * of one per key and claim payment.
   */
  async preload(
    encounterIds: readonly string[],
    plans: ReadonlyArray<{ encounterId: string; key: string }> = [],
  ): Promise<void> {
    const wanted = encounterIds.filter((id) => !this.copies.has(id));
    const found = await this.batchGetWorkflows(wanted);
    for (const id of wanted) this.copies.set(id, found.get(id) ?? null);
    const planIds = plans.filter(({ encounterId, key }) => !this.plans.has(`${encounterId}|${key}`));
    const patientIds = [
      ...new Set(encounterIds.flatMap((id) => this.copies.get(id)?.patientId ?? [])),
    ].filter((id) => !this.synced.has(`patient|${id}`));
    if (planIds.length === 0 && patientIds.length === 0) return;
    const read = await this.batchGetPlansAndPatients(planIds, patientIds);
    for (const { encounterId, key } of planIds) {
      const id = `${encounterId}|${key}`;
      this.plans.set(id, read.plans.has(id) ? read.plans.get(id) : null);
    }
    // Only a synced patient is kept: one not yet synced is asked again when a decision needs it.
    for (const [id, record] of read.patients)
      if (record.odooPartnerId !== undefined) this.synced.set(`patient|${id}`, record);
  }

  override async getWorkflow(encounterId: string): Promise<Workflow | undefined> {
    if (!this.copies.has(encounterId))
      this.copies.set(encounterId, (await super.getWorkflow(encounterId)) ?? null);
    const copy = this.copies.get(encounterId);
    return copy ? structuredClone(copy) : undefined;
  }

  protected override wrote(workflow: Workflow): void {
    this.copies.set(workflow.encounterId, structuredClone(workflow));
  }

  protected override overtaken(encounterId: string): void {
    this.copies.delete(encounterId);
  }
}
