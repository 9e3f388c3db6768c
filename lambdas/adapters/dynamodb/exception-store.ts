import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { type AuditFact, type AuditLine, auditStreams, type ChainVerdict } from '../../core/audit.js';
import type { EventEnvelope } from '../../core/envelope.js';
import {
  EXCEPTION_STATUSES,
  EXCEPTION_TEAMS,
  type ExceptionStatus,
  type ExceptionSubjects,
  type ExceptionTeam,
} from '../../core/exception-keys.js';
import type { ExceptionEntry, ExceptionListQuery } from '../../core/exceptions.js';
import type { AuditLog } from './audit-log.js';
import { decodeCursor, encodeCursor } from './items.js';

/**
 * The exception register (wiring.ts `ExceptionTable`, encrypted with the stage CMK):
 *   EXC#<exceptionId> / ENTRY        the entry; top-level `statusTeam` and subject ids feed the indexes
 *   EXC#<exceptionId> / DEADLETTER   the envelope the Odoo writer dead-lettered, kept while the exception is
 *                                    open, so a retry works after SQS's retention (14 days) pruned the DLQ
 * Indexes (wiring.ts): byStatusTeam (`<status>#<team>`, openedAt) and one per subject (encounterId, claimId,
 * invoiceId, traceNumber, correlationId; openedAt). Only ENTRY items carry those attributes (sparse).
 * The entry is working state; its audit trail is not here but in the append-only audit table (AuditLog): every
 * change bumps `version` with a conditional write, then records the line numbered by that version.
 */
const entryKey = (id: string) => ({ pk: `EXC#${id}`, sk: 'ENTRY' });
const deadLetterKey = (id: string) => ({ pk: `EXC#${id}`, sk: 'DEADLETTER' });

/** Subject → index, most selective first: a query names one index and filters on the rest. */
export const SUBJECT_INDEXES: ReadonlyArray<[keyof ExceptionSubjects, string]> = [
  ['encounterId', 'byEncounter'],
  ['claimId', 'byClaim'],
  ['invoiceId', 'byInvoice'],
  ['traceNumber', 'byTraceNumber'],
  ['correlationId', 'byCorrelation'],
];

export interface DeadLetterCopy {
  envelope: EventEnvelope;
  reason: { kind: string; message: string; attempts: number };
  keptAt: string;
}

export class ExceptionConflict extends Error {}

interface Cursor {
  i: number;
  key?: Record<string, unknown>;
}

function toItem(entry: ExceptionEntry): Record<string, unknown> {
  return { ...entryKey(entry.id), ...entry, ...entry.subjects, statusTeam: `${entry.status}#${entry.team}` };
}

function toEntry(item: Record<string, unknown>): ExceptionEntry {
  const {
    pk: _pk,
    sk: _sk,
    statusTeam: _statusTeam,
    encounterId: _e,
    claimId: _c,
    invoiceId: _i,
    traceNumber: _t,
    correlationId: _k,
    // Entries written before the audit table carried their trail inline; it is not read any more.
    audit: _legacyTrail,
    ...entry
  } = item;
  return entry as unknown as ExceptionEntry;
}

export type ExceptionFact = AuditFact & { entryVersion: number };

export class ExceptionStore {
  private readonly doc: DynamoDBDocumentClient;

  /** `auditLog`: for the functions that change entries (the Odoo writer clears those a remittance settled). */
  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
    private readonly auditLog?: AuditLog,
  ) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  private get trail(): AuditLog {
    if (!this.auditLog) throw new Error('ExceptionStore: this function was given no audit table');
    return this.auditLog;
  }

  /**
   * Writes a new entry and its first audit lines (`facts` of the entry); false when it exists. A redelivered
   * ExceptionOpened changes nothing, but records the stored entry's opening lines if the first delivery stopped
   * before it did (same facts, so recording them again is a no-op).
   */
  async open(entry: ExceptionEntry, facts: (entry: ExceptionEntry) => ExceptionFact[]): Promise<boolean> {
    let created = true;
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: toItem(entry),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      created = false;
    }
    const stored = created ? entry : await this.get(entry.id);
    // Only while the entry is as it was opened: later lines belong to the actions that changed it.
    if (stored && (created || (stored.status === 'open' && stored.version <= 2)))
      for (const fact of facts(stored)) await this.record(stored.id, fact);
    return created;
  }

  /** Links a retried exception to the one its failed retry opened; once (a redelivery finds it linked). */
  async linkRetry(retriedId: string, newId: string, clientId: string, at: string): Promise<void> {
    const current = await this.get(retriedId);
    if (!current || current.retriedAs) return;
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: entryKey(retriedId),
          UpdateExpression: 'SET retriedAs = :new, updatedAt = :at, version = :next',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(retriedAs) AND version = :v',
          ExpressionAttributeValues: {
            ':new': newId,
            ':at': at,
            ':v': current.version,
            ':next': current.version + 1,
          },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return;
      throw error;
    }
    await this.record(retriedId, {
      at,
      action: 'retry-failed',
      actor: clientId,
      note: `failed again: exception ${newId}`,
      entryVersion: current.version + 1,
    });
  }

  /** Records the line of a change this store (or the triage store) made to entry `id`. */
  async record(id: string, fact: ExceptionFact): Promise<AuditLine> {
    return this.trail.record(auditStreams.exception(id), fact);
  }

  /** The entry's audit trail, first line first. */
  async auditTrail(id: string): Promise<AuditLine[]> {
    return this.trail.lines(auditStreams.exception(id));
  }

  /** Walks the entry's chain: every line linked, none missing, and the last one at the entry's version. */
  async verifyAudit(entry: ExceptionEntry): Promise<ChainVerdict> {
    return this.trail.verify(auditStreams.exception(entry.id), { entryVersion: entry.version });
  }

  async get(id: string): Promise<ExceptionEntry | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: entryKey(id), ConsistentRead: true }),
    );
    return out.Item ? toEntry(out.Item) : undefined;
  }

  /**
   * Closes an open entry: written only if nobody changed it since it was read (`version`), so two people
   * resolving or retrying at once cannot both succeed. Throws ExceptionConflict otherwise. Then records the
   * action as the audit line of the version it made.
   */
  async close(entry: ExceptionEntry, next: ExceptionEntry, fact: AuditFact): Promise<ExceptionEntry> {
    const closed = { ...next, version: entry.version + 1 };
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: toItem(closed),
          ConditionExpression: '#status = :open AND version = :v',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':open': 'open', ':v': entry.version },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException)
        throw new ExceptionConflict(`exception ${entry.id} changed meanwhile`);
      throw error;
    }
    await this.record(entry.id, { ...fact, entryVersion: closed.version });
    return closed;
  }

  /**
   * Closes an open entry as `cleared` by an automation (the SLA sweeper, the payer-insights sweep) once its cause
   * went away. A person who closed it meanwhile wins; an entry not open is left as it is. Returns whether it was
   * open when read (closed now, by this call or by that person).
   */
  async clear(id: string, clientId: string, at: string, note: string): Promise<boolean> {
    const entry = await this.get(id);
    if (entry?.status !== 'open') return false;
    try {
      await this.close(
        entry,
        {
          ...entry,
          status: 'resolved',
          updatedAt: at,
          resolution: { code: 'cleared', note, at, clientId },
        },
        { at, action: 'cleared', actor: clientId, note },
      );
      return true;
    } catch (error) {
      if (error instanceof ExceptionConflict) return true;
      throw error;
    }
  }

  /**
   * Keeps the dead-lettered envelope with its exception (first copy wins). It holds PHI (patient names travel
   * inside envelopes): the table is encrypted with the stage CMK and the copy is never returned by the API.
   */
  async keepDeadLetter(id: string, copy: DeadLetterCopy): Promise<void> {
    await this.doc
      .send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...deadLetterKey(id), ...copy, envelope: JSON.stringify(copy.envelope) },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      )
      .catch((error) => {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      });
  }

  async deadLetter(id: string): Promise<DeadLetterCopy | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: deadLetterKey(id), ConsistentRead: true }),
    );
    if (!out.Item) return undefined;
    return {
      envelope: JSON.parse(out.Item.envelope as string) as EventEnvelope,
      reason: out.Item.reason as DeadLetterCopy['reason'],
      keptAt: out.Item.keptAt as string,
    };
  }

  /** A resolved exception needs its copy no more (no PHI kept longer than needed). */
  async dropDeadLetter(id: string): Promise<void> {
    await this.doc.send(new DeleteCommand({ TableName: this.tableName, Key: deadLetterKey(id) }));
  }

  /**
   * Entries newest first. With a subject (encounterId, claimId…), its index is queried and the other filters
   * applied to what it finds; otherwise `byStatusTeam` is walked partition by partition (open before retried
   * before resolved, teams in order). `cursor` says where the previous page stopped.
   */
  async list(query: ExceptionListQuery): Promise<{ items: ExceptionEntry[]; cursor?: string }> {
    const subject = SUBJECT_INDEXES.find(([name]) => query[name] !== undefined);
    const partitions: Array<{ index: string; attribute: string; value: string }> = subject
      ? [{ index: subject[1], attribute: subject[0], value: query[subject[0]] as string }]
      : (query.status ? [query.status] : [...EXCEPTION_STATUSES]).flatMap((status: ExceptionStatus) =>
          (query.team ? [query.team] : [...EXCEPTION_TEAMS]).map((team: ExceptionTeam) => ({
            index: 'byStatusTeam',
            attribute: 'statusTeam',
            value: `${status}#${team}`,
          })),
        );
    const filters: string[] = [];
    const names: Record<string, string> = { '#p': '' };
    const values: Record<string, unknown> = {};
    const filterOn = (attribute: string, value: unknown) => {
      if (value === undefined) return;
      names[`#${attribute}`] = attribute;
      values[`:${attribute}`] = value;
      filters.push(`#${attribute} = :${attribute}`);
    };
    if (subject) {
      filterOn('status', query.status);
      filterOn('team', query.team);
      for (const [name] of SUBJECT_INDEXES) if (name !== subject[0]) filterOn(name, query[name]);
    }
    filterOn('payerId', query.payerId);

    let position = query.cursor
      ? decodeCursor<Cursor>(query.cursor, (c) => typeof c?.i === 'number')
      : { i: 0 };
    const items: ExceptionEntry[] = [];
    while (position.i < partitions.length && items.length < query.limit) {
      const partition = partitions[position.i] as (typeof partitions)[number];
      names['#p'] = partition.attribute;
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: partition.index,
          KeyConditionExpression: '#p = :p',
          ...(filters.length ? { FilterExpression: filters.join(' AND ') } : {}),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: { ...values, ':p': partition.value },
          ScanIndexForward: false,
          Limit: query.limit - items.length,
          ExclusiveStartKey: position.key,
        }),
      );
      items.push(...(out.Items ?? []).map(toEntry));
      position = out.LastEvaluatedKey ? { i: position.i, key: out.LastEvaluatedKey } : { i: position.i + 1 };
    }
    const more = position.i < partitions.length;
    return { items, ...(more ? { cursor: encodeCursor(position) } : {}) };
  }
}
