import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { EraDepositReceived } from '../../core/era-deposit.js';
import type {
  Difference,
  DocumentMatch,
  PayerTotals,
  ReconciliationPeriod,
} from '../../core/reconciliation.js';
import { getItem, queryPartition } from './items.js';

/**
 * Reconciliation's items in the workflow table:
 *   PAYERS / PAYER#<payerId>                                the payers the hub has seen (written at intake)
 *   PAYER#<payerId> / ERA#<paymentDate>#<remittanceId>#…    remittances accepted, by payment date
 *   PAYER#<payerId> / CLAIM#<submittedDate>#<claimId>#…     claims accepted, by submission date
 *   PAYER#<payerId> / PAY#<receivedDate>#<paymentId>#…      payments outside an ERA (patients: PAYER#(patients))
 *   PAYER#<payerId> / DEP#<paymentDate>#<traceNumber>        ERA deposits booked (BPR02, claims, PLB)
 *   RECON#<runId> / RUN                                     the run report
 *   RECONCILIATION_RUNS / <startedAt>#<runId>               the runs, newest last (for GET /v1/reconciliations)
 *   RECON#<runId> / BATCH#<payerId>#<cursor>                one batch's findings (rewritten on retry)
 */
export interface LedgerRemittance {
  remittanceId: string;
  claimId: string;
  encounterId: string;
  facilityId: string;
  paymentDate: string;
  traceNumber: string;
  paidCents: number;
  claimStatus: string;
}

export interface LedgerPayment {
  paymentId: string;
  encounterId: string;
  facilityId: string;
  invoiceId: string;
  receivedDate: string;
  traceNumber: string;
  amountCents: number;
}

export interface LedgerDeposit {
  traceNumber: string;
  paymentDate: string;
  depositCents: number;
  deposit: EraDepositReceived;
}

export interface LedgerClaim {
  claimId: string;
  encounterId: string;
  facilityId: string;
  submittedDate: string;
  billedCents: number;
}

export type RunStatus = 'running' | 'completed' | 'partial' | 'failed';

export interface PayerRunResult {
  payerId: string;
  status: 'completed' | 'failed';
  error?: string;
  totals?: PayerTotals;
}

export interface ReconciliationRun {
  runId: string;
  status: RunStatus;
  trigger: 'schedule' | 'api';
  period: ReconciliationPeriod;
  payerId?: string;
  facilityId?: string;
  requestedBy?: string;
  startedAt: string;
  finishedAt?: string;
  payers?: PayerRunResult[];
  totals?: PayerTotals;
}

export interface BatchFindings {
  payerId: string;
  phase: string;
  cursor: string;
  differences: Difference[];
  documents: DocumentMatch[];
  recordedAt: string;
}

const RUNS_PARTITION = 'RECONCILIATION_RUNS';

export class ReconciliationStore {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  /** Every payer the hub has accepted a claim or remittance for. */
  async payers(): Promise<string[]> {
    const entries = await queryPartition<{ payerId: string }>(this.doc, this.tableName, 'PAYERS');
    return entries.map((entry) => entry.payerId);
  }

  /** One page of a payer's ledger of `kind` between two dates (inclusive), after `cursor`. */
  async ledgerPage<T extends LedgerRemittance | LedgerClaim | LedgerPayment | LedgerDeposit>(
    payerId: string,
    kind: 'ERA' | 'CLAIM' | 'PAY' | 'DEP',
    range: { fromDate: string; toDate: string },
    limit: number,
    cursor?: string,
  ): Promise<{ items: T[]; cursor?: string }> {
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: {
          ':pk': `PAYER#${payerId}`,
          ':from': `${kind}#${range.fromDate}`,
          // '~' sorts after every character ids use: the whole last day is inside.
          ':to': `${kind}#${range.toDate}~`,
        },
        Limit: limit,
        ...(cursor ? { ExclusiveStartKey: { pk: `PAYER#${payerId}`, sk: cursor } } : {}),
      }),
    );
    const items = (out.Items ?? []).map(
      ({ pk: _pk, sk: _sk, kind: _kind, payerId: _p, ...rest }) => rest as T,
    );
    const next = out.LastEvaluatedKey?.sk as string | undefined;
    return { items, ...(next ? { cursor: next } : {}) };
  }

  /** Creates the run record once; a second start (retry, resumed execution) keeps the first. */
  async startRun(run: ReconciliationRun): Promise<ReconciliationRun> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: `RECON#${run.runId}`, sk: 'RUN', ...run },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: RUNS_PARTITION,
            sk: `${run.startedAt}#${run.runId}`,
            runId: run.runId,
            trigger: run.trigger,
            period: run.period,
            startedAt: run.startedAt,
            ...(run.payerId ? { payerId: run.payerId } : {}),
            ...(run.facilityId ? { facilityId: run.facilityId } : {}),
          },
        }),
      );
      return run;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return (await this.getRun(run.runId)) as ReconciliationRun;
    }
  }

  /** Runs, newest first, a page at a time (the cursor is the last run's sort key). */
  async listRuns(limit: number, cursor?: string): Promise<{ items: ReconciliationRun[]; cursor?: string }> {
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': RUNS_PARTITION },
        ScanIndexForward: false,
        Limit: limit,
        ...(cursor ? { ExclusiveStartKey: { pk: RUNS_PARTITION, sk: cursor } } : {}),
      }),
    );
    const items: ReconciliationRun[] = [];
    for (const entry of out.Items ?? []) {
      const run = await this.getRun(entry.runId as string);
      if (run) items.push(run);
    }
    const next = out.LastEvaluatedKey?.sk as string | undefined;
    return { items, ...(next ? { cursor: next } : {}) };
  }

  async getRun(runId: string): Promise<ReconciliationRun | undefined> {
    return getItem(this.doc, this.tableName, { pk: `RECON#${runId}`, sk: 'RUN' });
  }

  async finishRun(
    runId: string,
    result: Pick<ReconciliationRun, 'status' | 'payers' | 'totals' | 'finishedAt'>,
  ): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: `RECON#${runId}`, sk: 'RUN' },
        UpdateExpression: 'SET #status = :status, payers = :payers, totals = :totals, finishedAt = :at',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':status': result.status,
          ':payers': result.payers ?? [],
          ':totals': result.totals ?? {},
          ':at': result.finishedAt,
        },
        ConditionExpression: 'attribute_exists(pk)',
      }),
    );
  }

  /** A batch's findings, keyed by where it started: a retried batch overwrites its own item. */
  async putBatch(runId: string, findings: BatchFindings): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: `RECON#${runId}`,
          sk: `BATCH#${findings.payerId}#${findings.phase}#${findings.cursor}`,
          ...findings,
        },
      }),
    );
  }

  async batches(runId: string, payerId?: string): Promise<BatchFindings[]> {
    return queryPartition(this.doc, this.tableName, `RECON#${runId}`, {
      skPrefix: payerId ? `BATCH#${payerId}#` : 'BATCH#',
    });
  }
}
