import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { AuditFact } from '../../core/audit.js';
import { EXCEPTION_TEAMS } from '../../core/exception-keys.js';
import type { ExceptionEntry } from '../../core/exceptions.js';
import type { AnomalyState, Finding } from '../../core/insights/anomaly.js';
import type { CashForecast } from '../../core/insights/forecast.js';
import type { TriageModel } from '../../core/triage/model.js';
import type { Triage } from '../../core/triage/triage.js';
import type { AuditLog } from './audit-log.js';
import { ExceptionStore } from './exception-store.js';
import { getItem, queryPartition } from './items.js';

/**
 * Triage and payer insights, in the exception register's table (wiring.ts `ExceptionTable`):
 *   TRIAGE_MODEL / CURRENT               the model suggestions are made with (counts, version)
 *   TRIAGE_MODEL / VERSION#<version>     every model ever used, so any suggestion can be traced to its counts
 *   TRIAGE_FEEDBACK / <modelVersion>     people's choices against that version's suggestions (accepted/overridden)
 *   INSIGHTS#<scope> / CURRENT           a payer's (or payer@facility's) baselines, findings, anomaly state, forecast
 *   INSIGHTS / <scope>                   the scopes with insights (for listing)
 * Register entries carry their triage on the entry itself (ExceptionStore).
 */
export interface StoredModel {
  model: TriageModel;
  trainedAt: string;
  /** Labelled examples per cause it was trained on. */
  labelled: Record<string, number>;
}

export interface PayerInsights {
  scope: string;
  payerId: string;
  facilityId?: string;
  updatedAt: string;
  claimsAssessed: number;
  findings: Finding[];
  anomalies: AnomalyState;
  forecast?: CashForecast;
  /** Facilities of the payer with baselines of their own. */
  facilities?: PayerInsights[];
}

export interface FeedbackCounts {
  modelVersion: string;
  accepted: number;
  overridden: number;
  unlabelled: number;
}

export class TriageStore {
  private readonly doc: DynamoDBDocumentClient;
  readonly register: ExceptionStore;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
    auditLog?: AuditLog,
  ) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
    this.register = new ExceptionStore(client, tableName, auditLog);
  }

  async currentModel(): Promise<StoredModel | undefined> {
    return getItem<StoredModel>(this.doc, this.tableName, { pk: 'TRIAGE_MODEL', sk: 'CURRENT' });
  }

  /** Keeps the version for good and makes it current; false when it already was (nothing changed). */
  async saveModel(stored: StoredModel): Promise<boolean> {
    const current = await this.currentModel();
    if (current?.model.version === stored.model.version) return false;
    await this.doc
      .send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: 'TRIAGE_MODEL', sk: `VERSION#${stored.model.version}`, ...stored },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      )
      .catch((error) => {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      });
    await this.doc.send(
      new PutCommand({ TableName: this.tableName, Item: { pk: 'TRIAGE_MODEL', sk: 'CURRENT', ...stored } }),
    );
    return true;
  }

  async modelVersions(): Promise<Array<{ version: string; trainedAt: string; examples: number }>> {
    const items = await queryPartition<StoredModel & { sk?: string }>(
      this.doc,
      this.tableName,
      'TRIAGE_MODEL',
      {
        skPrefix: 'VERSION#',
      },
    );
    return items
      .map((s) => ({ version: s.model.version, trainedAt: s.trainedAt, examples: s.model.examples }))
      .sort((a, b) => a.trainedAt.localeCompare(b.trainedAt));
  }

  /** Counts one person's choice against the suggestion of `modelVersion` (atomic). */
  async countFeedback(
    modelVersion: string,
    outcome: 'accepted' | 'overridden' | 'unlabelled',
  ): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: 'TRIAGE_FEEDBACK', sk: modelVersion },
        UpdateExpression: 'SET modelVersion = :v ADD #o :one',
        ExpressionAttributeNames: { '#o': outcome },
        ExpressionAttributeValues: { ':v': modelVersion, ':one': 1 },
      }),
    );
  }

  async feedback(): Promise<FeedbackCounts[]> {
    const items = await queryPartition<Partial<FeedbackCounts>>(this.doc, this.tableName, 'TRIAGE_FEEDBACK');
    return items.map((i) => ({
      modelVersion: i.modelVersion ?? '',
      accepted: i.accepted ?? 0,
      overridden: i.overridden ?? 0,
      unlabelled: i.unlabelled ?? 0,
    }));
  }

  /**
   * Replaces an open entry's triage (a newer model's suggestion), with a `triaged` audit line. Only while
   * the entry is open and unchanged since read (`version`): a person's resolve always wins.
   */
  async retriage(entry: ExceptionEntry, triage: Triage, fact: AuditFact): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: `EXC#${entry.id}`, sk: 'ENTRY' },
          UpdateExpression: 'SET triage = :t, version = :next, updatedAt = :at',
          ConditionExpression: '#status = :open AND version = :v',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':t': triage,
            ':next': entry.version + 1,
            ':v': entry.version,
            ':open': 'open',
            ':at': fact.at,
          },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
    await this.register.record(entry.id, { ...fact, entryVersion: entry.version + 1 });
    return true;
  }

  /** Every entry with `status` (all teams), newest first per team, up to `max`. */
  async entries(
    status: 'open' | 'resolved',
    max: number,
    filter?: { payerId?: string; team?: string },
  ): Promise<ExceptionEntry[]> {
    const out: ExceptionEntry[] = [];
    for (const team of EXCEPTION_TEAMS) {
      if (filter?.team && filter.team !== team) continue;
      let cursor: string | undefined;
      do {
        const page = await this.register.list({
          status,
          team,
          limit: 200,
          ...(filter?.payerId ? { payerId: filter.payerId } : {}),
          ...(cursor ? { cursor } : {}),
        });
        out.push(...page.items);
        cursor = page.cursor;
      } while (cursor && out.length < max);
    }
    return out.slice(0, max);
  }

  async insights(scope: string): Promise<PayerInsights | undefined> {
    return getItem<PayerInsights>(this.doc, this.tableName, { pk: `INSIGHTS#${scope}`, sk: 'CURRENT' });
  }

  async putInsights(insights: PayerInsights): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: `INSIGHTS#${insights.scope}`, sk: 'CURRENT', ...insights },
      }),
    );
  }
}
