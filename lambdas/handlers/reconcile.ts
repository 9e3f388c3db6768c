import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import * as z from 'zod';
import {
  type LedgerClaim,
  type LedgerDeposit,
  type LedgerPayment,
  type LedgerRemittance,
  type PayerRunResult,
  ReconciliationStore,
} from '../adapters/dynamodb/reconciliation-store.js';
import { WorkflowStore } from '../adapters/dynamodb/workflow-store.js';
import { numberEnv, requiredEnv } from '../adapters/environment.js';
import { EventPublisher } from '../adapters/eventbridge/event-publisher.js';
import { createLogger, createMetrics } from '../adapters/observability.js';
import { OdooClient } from '../adapters/odoo/client.js';
import { OdooEraDepositLedger } from '../adapters/odoo/era-deposit-ledger.js';
import { isRetryable, OdooError } from '../adapters/odoo/errors.js';
import { OdooReconciliationReader } from '../adapters/odoo/reconciliation-reader.js';
import { OdooConnectionSecret } from '../adapters/secrets/odoo-connection.js';
import { type EventEnvelope, EventSource } from '../core/envelope.js';
import { compareDeposit } from '../core/era-deposit.js';
import { deterministicEventId } from '../core/event-id.js';
import { paymentExceptionKey, paymentStepRef } from '../core/payment-posting.js';
import type { PostingPlan } from '../core/posting-plan.js';
import {
  type AcceptedPayment,
  type AcceptedRemittance,
  comparePayerPayments,
  comparePaymentsReceived,
  compareRemittances,
  DIFFERENCE_TEAM,
  type Difference,
  type DocumentMatch,
  dateRange,
  dedupe,
  overdueClaims,
  payerTotals,
  previousUtcDay,
  ReconciliationPeriod,
  reconciledEncounters,
  type SubmittedClaim,
} from '../core/reconciliation.js';
import { remittanceStepRefs } from '../core/remittance-posting.js';
import { env } from '../env.js';

/**
 * The reconciliation state machine's task states (lib/reconciliation-definition.ts): `start` lists the
 * payers, `batch` reconciles one bounded batch of one payer and says where to continue, `finish` writes the
 * run report and the variance metrics. Each step is safe to retry: findings are keyed by batch, exceptions
 * by difference, so a resumed or retried run opens nothing twice.
 */
const logger = createLogger('reconcile');
const metrics = createMetrics('reconcile');
const dynamodb = new DynamoDBClient({});
const tableName = requiredEnv(env.workflowTable);
const workflows = new WorkflowStore(dynamodb, tableName);
const runs = new ReconciliationStore(dynamodb, tableName);
const publisher = new EventPublisher(new EventBridgeClient({}), requiredEnv(env.eventBus));
const odooSecret = new OdooConnectionSecret(requiredEnv(env.odooSecret));
const defaultLagDays = numberEnv(env.reconciliationLagDays, 30);
const payerLagDays = parseLagOverrides(process.env[env.reconciliationPayerLagDays]);

/** Remittances per batch: each costs a plan read and a share of three Odoo searches. */
const REMITTANCES_PER_BATCH = 25;
const PAYMENTS_PER_PAGE = 100;
const CLAIMS_PER_BATCH = 50;
/** ERA deposits per batch: each costs about four Odoo reads. */
const DEPOSITS_PER_BATCH = 25;
/**
 * One state machine task reads page after page (and phase after phase) until this many pages or this much time:
 * Standard workflows bill every state transition, and a page per task cost three transitions a page (batch,
 * choice, pass), so a payer-day of 50 remittances took 21 transitions; now it takes about six (docs/cost.md).
 * 20 pages are at most 500 remittances; the time budget stays well inside the function's 120 s timeout, and a
 * retried task redoes only its own pages (each page's findings are written under its own key, idempotently).
 */
const PAGES_PER_TASK = 20;
const TASK_BUDGET_MS = 45_000;
/** How far back overdue claims are looked for (older ones were reported by earlier runs). */
const CLAIM_LOOKBACK_DAYS = 180;
const RECONCILIATION_SOURCE = EventSource.reconciliation;

export const StartInput = z.object({
  step: z.literal('start'),
  runId: z.string().min(1).max(80),
  startedAt: z.string(),
  request: z
    .object({
      trigger: z.enum(['schedule', 'api']).default('schedule'),
      period: ReconciliationPeriod.optional(),
      payerId: z.string().optional(),
      facilityId: z.string().optional(),
      requestedBy: z.string().optional(),
    })
    .loose(),
});

/** Where a payer's reconciliation continues: its phases in order, and the key or offset inside one. */
const Cursor = z.object({
  phase: z.enum(['remittances', 'deposits', 'receipts', 'payments', 'claims']),
  after: z.string().optional(),
});
type Cursor = z.infer<typeof Cursor>;

export const BatchInput = z.object({
  step: z.literal('batch'),
  runId: z.string(),
  payerId: z.string(),
  period: ReconciliationPeriod,
  facilityId: z.string().nullish(),
  cursor: Cursor.nullish(),
});

export const FinishInput = z.object({
  step: z.literal('finish'),
  runId: z.string(),
  payers: z.array(
    z.object({ payerId: z.string(), status: z.enum(['completed', 'failed']), error: z.unknown().optional() }),
  ),
});

const StepInput = z.discriminatedUnion('step', [StartInput, BatchInput, FinishInput]);

/** Step Functions matches Retry/Catch on the error name: Odoo being down is retried, the rest caught. */
class OdooUnavailable extends Error {
  override readonly name = 'OdooUnavailable';
}

let cachedClient: { key: string; client: OdooClient } | undefined;
async function odoo(): Promise<OdooReconciliationReader> {
  const connection = await odooSecret.load();
  const key = JSON.stringify(connection);
  if (cachedClient?.key !== key) cachedClient = { key, client: new OdooClient(connection) };
  return new OdooReconciliationReader(cachedClient.client);
}

export const handler = async (event: unknown): Promise<unknown> => {
  const input = StepInput.parse(event);
  try {
    if (input.step === 'start') return await start(input);
    if (input.step === 'batch') return await batch(input);
    return await finish(input);
  } catch (error) {
    if (error instanceof OdooError && isRetryable(error)) {
      logger.warn('Odoo unavailable during reconciliation; the state machine retries', {
        kind: error.kind,
        step: input.step,
      });
      throw new OdooUnavailable(error.message);
    }
    throw error;
  }
};

async function start(input: z.infer<typeof StartInput>) {
  const period = input.request.period ?? previousUtcDay(input.startedAt);
  const run = await runs.startRun({
    runId: input.runId,
    status: 'running',
    trigger: input.request.trigger,
    period,
    ...(input.request.payerId ? { payerId: input.request.payerId } : {}),
    ...(input.request.facilityId ? { facilityId: input.request.facilityId } : {}),
    ...(input.request.requestedBy ? { requestedBy: input.request.requestedBy } : {}),
    startedAt: new Date().toISOString(),
  });
  const payers = run.payerId ? [run.payerId] : await runs.payers();
  logger.info('reconciliation run started', { runId: run.runId, payers: payers.length, ...run.period });
  return {
    runId: run.runId,
    period: run.period,
    // Always present (null when unset): the Map's ItemSelector reads it by path.
    facilityId: run.facilityId ?? null,
    payers,
  };
}

async function batch(input: z.infer<typeof BatchInput>) {
  const started = Date.now();
  let cursor: Cursor | undefined = input.cursor ?? { phase: 'remittances' };
  let differences = 0;
  for (let pages = 0; cursor && pages < PAGES_PER_TASK && Date.now() - started < TASK_BUDGET_MS; pages++) {
    const page = await batchPage({ ...input, cursor });
    differences += page.differences;
    cursor = page.next;
  }
  return { done: cursor === undefined, ...(cursor ? { cursor } : {}), differences };
}

/** One page of one phase: read it, compare it with Odoo, record its findings. */
async function batchPage(
  input: z.infer<typeof BatchInput> & { cursor: Cursor },
): Promise<{ next?: Cursor; differences: number }> {
  const cursor: Cursor = input.cursor;
  const range = dateRange(input.period);
  let differences: Difference[] = [];
  let documents: DocumentMatch[] = [];
  let next: Cursor | undefined;

  if (cursor.phase === 'remittances') {
    const page = await runs.ledgerPage<LedgerRemittance>(
      input.payerId,
      'ERA',
      range,
      REMITTANCES_PER_BATCH,
      cursor.after,
    );
    const accepted = await acceptedRemittances(
      page.items.filter((r) => !input.facilityId || r.facilityId === input.facilityId),
    );
    const reader = await odoo();
    const plannedSteps = accepted.flatMap((r) => r.plannedSteps ?? []);
    const paymentRefs = plannedSteps.flatMap((s) => (s.kind === 'payment' ? [s.ref] : []));
    const origins = plannedSteps.flatMap((s) =>
      s.kind === 'creditNote' || s.kind === 'patientInvoice' ? [s.ref] : [],
    );
    const invoiceRefs = [
      ...new Set(plannedSteps.flatMap((s) => (s.kind === 'payment' ? [s.invoiceId] : []))),
    ];
    const [payments, moves] = [
      await reader.paymentsByRef(paymentRefs),
      await reader.moves(origins, invoiceRefs),
    ];
    ({ differences, documents } = compareRemittances(input.payerId, accepted, payments, moves));
    next = page.cursor ? { phase: 'remittances', after: page.cursor } : { phase: 'deposits' };
  } else if (cursor.phase === 'deposits') {
    // Each ERA's BPR02 against what Odoo holds for its trace (issue 14): deposit line, payments − PLB.
    const page = await runs.ledgerPage<LedgerDeposit>(
      input.payerId,
      'DEP',
      range,
      DEPOSITS_PER_BATCH,
      cursor.after,
    );
    await odoo();
    const ledger = new OdooEraDepositLedger(cachedClient?.client as OdooClient);
    for (const { deposit } of page.items) {
      const booked = await ledger.booked(deposit.traceNumber);
      for (const d of compareDeposit(deposit, booked)) {
        differences.push({
          key: d.key,
          class: d.class,
          team: DIFFERENCE_TEAM[d.class],
          payerId: input.payerId,
          amountCents: d.amountCents,
          expectedCents: d.expectedCents,
          actualCents: d.actualCents,
          traceNumber: d.traceNumber,
          odooIds: booked.moveId === undefined ? [] : [booked.moveId],
          reason: d.reason,
        });
      }
    }
    next = page.cursor ? { phase: 'deposits', after: page.cursor } : { phase: 'receipts' };
  } else if (cursor.phase === 'receipts') {
    const page = await runs.ledgerPage<LedgerPayment>(
      input.payerId,
      'PAY',
      range,
      REMITTANCES_PER_BATCH,
      cursor.after,
    );
    const accepted = await acceptedPayments(
      page.items.filter((p) => !input.facilityId || p.facilityId === input.facilityId),
    );
    const reader = await odoo();
    const found = await reader.paymentsByRef(accepted.map((p) => paymentStepRef(p.paymentId)));
    ({ differences, documents } = comparePaymentsReceived(input.payerId, accepted, found));
    next = page.cursor ? { phase: 'receipts', after: page.cursor } : { phase: 'payments' };
  } else if (cursor.phase === 'payments') {
    const reader = await odoo();
    const partnerId = await reader.payerPartnerId(input.payerId);
    const offset = Number(cursor.after ?? 0);
    if (partnerId !== undefined) {
      const page = await reader.payerPayments(partnerId, range, offset, PAYMENTS_PER_PAGE);
      differences = comparePayerPayments(input.payerId, page, {
        hubPayments: await hubPaymentsFor(page, input.payerId, range),
      });
      next =
        page.length === PAYMENTS_PER_PAGE
          ? { phase: 'payments', after: String(offset + PAYMENTS_PER_PAGE) }
          : { phase: 'claims' };
    } else {
      next = { phase: 'claims' };
    }
  } else {
    const lag = payerLagDays[input.payerId] ?? defaultLagDays;
    const due = new Date(Date.parse(input.period.to) - lag * 86_400_000);
    const page = await runs.ledgerPage<LedgerClaim>(
      input.payerId,
      'CLAIM',
      {
        fromDate: new Date(due.getTime() - CLAIM_LOOKBACK_DAYS * 86_400_000).toISOString().slice(0, 10),
        toDate: due.toISOString().slice(0, 10),
      },
      CLAIMS_PER_BATCH,
      cursor.after,
    );
    const claims = await submittedClaims(
      page.items.filter((c) => !input.facilityId || c.facilityId === input.facilityId),
    );
    differences = overdueClaims(input.payerId, claims, input.period.to, lag);
    next = page.cursor ? { phase: 'claims', after: page.cursor } : undefined;
  }

  differences = dedupe(differences);
  await runs.putBatch(input.runId, {
    payerId: input.payerId,
    phase: cursor.phase,
    cursor: cursor.after ?? '-',
    differences,
    documents,
    recordedAt: new Date().toISOString(),
  });
  for (const d of differences) await openDifference(input.runId, d);
  logger.info('reconciliation batch done', {
    runId: input.runId,
    payerId: input.payerId,
    phase: cursor.phase,
    documents: documents.length,
    differences: differences.length,
  });
  return { ...(next ? { next } : {}), differences: differences.length };
}

/** The ledger's remittances with their fixed plans and whether a later reversal undid them. */
async function acceptedRemittances(items: LedgerRemittance[]): Promise<AcceptedRemittance[]> {
  const workflowsByEncounter = new Map<string, Awaited<ReturnType<WorkflowStore['getWorkflow']>>>();
  const accepted: AcceptedRemittance[] = [];
  for (const item of items) {
    if (!workflowsByEncounter.has(item.encounterId))
      workflowsByEncounter.set(item.encounterId, await workflows.getWorkflow(item.encounterId));
    const workflow = workflowsByEncounter.get(item.encounterId);
    const plan = await workflows.fixedPlan<PostingPlan>(item.encounterId, `remittance:${item.remittanceId}`);
    accepted.push({
      remittanceId: item.remittanceId,
      encounterId: item.encounterId,
      claimId: item.claimId,
      traceNumber: item.traceNumber,
      paymentDate: item.paymentDate,
      paidCents: item.paidCents,
      claimStatus: item.claimStatus,
      ...(plan ? { plannedSteps: plan.steps } : {}),
      reversed: workflow?.remittances[item.remittanceId]?.reversed === true,
    });
  }
  return accepted;
}

/** The ledger's payments with what the workflow says of them: booked, refused by the rules, refunded. */
async function acceptedPayments(items: LedgerPayment[]): Promise<AcceptedPayment[]> {
  const workflowsByEncounter = new Map<string, Awaited<ReturnType<WorkflowStore['getWorkflow']>>>();
  const accepted: AcceptedPayment[] = [];
  for (const item of items) {
    if (!workflowsByEncounter.has(item.encounterId))
      workflowsByEncounter.set(item.encounterId, await workflows.getWorkflow(item.encounterId));
    const workflow = workflowsByEncounter.get(item.encounterId);
    // A full refund is recorded as `refund:<refundId>` with the invoice and the amount it gave back.
    const refunded = Object.entries(workflow?.payments ?? {}).some(
      ([key, entry]) =>
        key.startsWith('refund:') &&
        entry.invoiceId === item.invoiceId &&
        entry.amountCents === item.amountCents,
    );
    accepted.push({
      paymentId: item.paymentId,
      encounterId: item.encounterId,
      invoiceId: item.invoiceId,
      traceNumber: item.traceNumber,
      receivedDate: item.receivedDate,
      amountCents: item.amountCents,
      booked: workflow?.payments[item.paymentId] !== undefined,
      refusedByRules:
        workflow?.exceptions[paymentExceptionKey(item.paymentId, 'payer-mismatch')] !== undefined,
      refunded,
    });
  }
  return accepted;
}

/**
 * The hub's payments an unmarked Odoo payment on this page might repeat. The ledger alone gives each
 * remittance's trace number and paid amount (the payment step pays exactly that); the plan, for the invoice,
 * is read only for remittances whose amount equals an unmarked payment's — a few reads, not one per remittance.
 */
async function hubPaymentsFor(
  page: Awaited<ReturnType<OdooReconciliationReader['payerPayments']>>,
  payerId: string,
  range: { fromDate: string; toDate: string },
) {
  const hubPayments = new Map<
    string,
    { invoiceId: string; amountCents: number; traceNumber: string; encounterId: string; claimId: string }
  >();
  const unmarkedAmounts = new Set(page.filter((p) => p.active && !p.hubRef).map((p) => p.amountCents));
  if (unmarkedAmounts.size === 0) return hubPayments;
  let cursor: string | undefined;
  do {
    const ledger = await runs.ledgerPage<LedgerRemittance>(payerId, 'ERA', range, 200, cursor);
    for (const item of ledger.items) {
      if (item.paidCents <= 0) continue;
      const ref = remittanceStepRefs(item.remittanceId).payment;
      let invoiceId = '';
      if (unmarkedAmounts.has(item.paidCents)) {
        const plan = await workflows.fixedPlan<PostingPlan>(
          item.encounterId,
          `remittance:${item.remittanceId}`,
        );
        const step = plan?.steps.find((s) => s.kind === 'payment' && s.ref === ref);
        if (step?.kind === 'payment') invoiceId = step.invoiceId;
      }
      hubPayments.set(ref, {
        invoiceId,
        amountCents: item.paidCents,
        traceNumber: item.traceNumber,
        encounterId: item.encounterId,
        claimId: item.claimId,
      });
    }
    cursor = ledger.cursor;
  } while (cursor);
  return hubPayments;
}

async function submittedClaims(items: LedgerClaim[]): Promise<SubmittedClaim[]> {
  const claims: SubmittedClaim[] = [];
  for (const item of items) {
    const workflow = await workflows.getWorkflow(item.encounterId);
    const status = workflow?.claims[item.claimId]?.status;
    claims.push({
      claimId: item.claimId,
      encounterId: item.encounterId,
      submittedDate: item.submittedDate,
      billedCents: item.billedCents,
      ...(status ? { status } : {}),
      remitted: Object.values(workflow?.remittances ?? {}).some((r) => r.claimId === item.claimId),
    });
  }
  return claims;
}

/**
 * One exception per difference, keyed by it: on the encounter's workflow when there is one (so the
 * encounter shows `exception_pending`), else straight to the exception register through the bus. The event
 * ids depend on the difference, not on the run, so a second run that finds it again changes nothing.
 */
async function openDifference(runId: string, d: Difference): Promise<void> {
  const now = new Date().toISOString();
  const causeId = deterministicEventId('ReconciliationDifferenceFound', d.key, String(d.amountCents));
  const exception: EventEnvelope = {
    id: deterministicEventId('ExceptionOpened', d.key, String(d.amountCents)),
    type: 'ExceptionOpened',
    version: 1,
    source: RECONCILIATION_SOURCE,
    time: now,
    correlationId: `reconciliation:${runId}`,
    idempotencyKey: d.key,
    clientId: 'reconciliation',
    ...(d.encounterId ? { encounterId: d.encounterId } : {}),
    partitionKey: d.encounterId ?? d.key,
    data: {
      key: d.key,
      team: d.team,
      reason: d.reason,
      amountCents: d.amountCents,
      sourceEventId: causeId,
      payerId: d.payerId,
      ...(d.claimId ? { claimId: d.claimId } : {}),
      ...(d.traceNumber ? { traceNumber: d.traceNumber } : {}),
      ...(d.invoiceId ? { invoiceId: d.invoiceId } : {}),
    },
  };
  if (!d.encounterId) {
    await publisher.publish(exception);
    return;
  }
  const current = await workflows.getWorkflow(d.encounterId);
  if (!current) {
    await publisher.publish(exception);
    return;
  }
  const recorded = await workflows.recordEvent(
    {
      eventId: causeId,
      type: 'ReconciliationDifferenceFound',
      time: now,
      correlationId: `reconciliation:${runId}`,
      clientId: 'reconciliation',
      encounterId: d.encounterId,
      facilityId: current.facilityId,
      detail: {
        runId,
        class: d.class,
        key: d.key,
        amountCents: d.amountCents,
        ...(d.expectedCents !== undefined ? { expectedCents: d.expectedCents } : {}),
        ...(d.actualCents !== undefined ? { actualCents: d.actualCents } : {}),
        odooIds: d.odooIds,
      },
    },
    { kind: 'none' },
    (draft) => {
      if (draft.exceptions[d.key]) return;
      draft.exceptions[d.key] = {
        key: d.key,
        team: d.team,
        reason: d.reason,
        amountCents: d.amountCents,
        openedAt: now,
        sourceEventId: causeId,
      };
    },
  );
  if (!recorded.applied) return;
  const events: EventEnvelope[] = [{ ...exception, facilityId: current.facilityId } as EventEnvelope];
  if (recorded.from !== recorded.to) events.push(stateChanged(exception, recorded.from, recorded.to, now));
  await publisher.publish(...events);
}

/**
 * An encounter whose remittances in this batch all matched Odoo, with nothing open and its payment posted,
 * is reconciled: the last stage of the revenue workflow.
 */
async function markReconciled(
  runId: string,
  documents: DocumentMatch[],
  differences: Difference[],
): Promise<number> {
  let marked = 0;
  for (const encounterId of reconciledEncounters(documents, differences)) {
    const documentIds = documents
      .filter((d) => d.encounterId === encounterId)
      .map((d) => `${d.kind}:${d.id}`);
    const workflow = await workflows.getWorkflow(encounterId);
    if (!workflow || workflow.state !== 'payment_posted') continue;
    const eventId = deterministicEventId('EncounterReconciled', encounterId, ...documentIds.sort());
    const now = new Date().toISOString();
    const recorded = await workflows.recordEvent(
      {
        eventId,
        type: 'EncounterReconciled',
        time: now,
        correlationId: `reconciliation:${runId}`,
        clientId: 'reconciliation',
        encounterId,
        facilityId: workflow.facilityId,
        detail: { runId, documents: documentIds },
      },
      { kind: 'reach', state: 'reconciled' },
    );
    if (recorded.applied && recorded.from !== recorded.to) {
      const cause: EventEnvelope = {
        id: eventId,
        type: 'EncounterReconciled',
        version: 1,
        source: RECONCILIATION_SOURCE,
        time: now,
        correlationId: `reconciliation:${runId}`,
        idempotencyKey: eventId,
        clientId: 'reconciliation',
        encounterId,
        facilityId: workflow.facilityId,
        partitionKey: encounterId,
        data: {},
      };
      await publisher.publish(stateChanged(cause, recorded.from, recorded.to, now));
      marked += 1;
    }
  }
  return marked;
}

function stateChanged(cause: EventEnvelope, from: string | null, to: string, time: string): EventEnvelope {
  return {
    ...cause,
    id: deterministicEventId('WorkflowStateChanged', cause.id),
    type: 'WorkflowStateChanged',
    source: EventSource.workflow,
    time,
    data: {
      from,
      to,
      cause: cause.type === 'ExceptionOpened' ? 'ReconciliationDifferenceFound' : cause.type,
    },
  };
}

async function finish(input: z.infer<typeof FinishInput>) {
  const results: PayerRunResult[] = [];
  const all: Difference[] = [];
  const allMatches: DocumentMatch[] = [];
  for (const payer of input.payers) {
    const batches = await runs.batches(input.runId, payer.payerId);
    const differences = batches.flatMap((b) => b.differences);
    const matches = batches.flatMap((b) => b.documents);
    all.push(...differences);
    allMatches.push(...matches);
    // Only a payer reconciled to the end can vouch for its encounters.
    if (payer.status === 'completed') await markReconciled(input.runId, matches, differences);
    results.push({
      payerId: payer.payerId,
      status: payer.status,
      ...(payer.error !== undefined ? { error: describeError(payer.error) } : {}),
      totals: payerTotals(matches, differences),
    });
  }
  const failed = results.filter((r) => r.status === 'failed').length;
  const status =
    failed === 0 ? 'completed' : failed === results.length && results.length > 0 ? 'failed' : 'partial';
  const totals = payerTotals(allMatches, all);
  await runs.finishRun(input.runId, {
    status,
    payers: results,
    totals,
    finishedAt: new Date().toISOString(),
  });

  // Variance by payer (dimension PayerId: a payer is an organisation, not PHI) and the largest one, which the
  // finance alarm watches (one metric, whatever the number of payers).
  let largest = 0;
  for (const result of results) {
    const variance = result.totals?.varianceCents ?? 0;
    largest = Math.max(largest, variance);
    for (const [name, value] of [
      ['ReconciliationVarianceCents', variance],
      ['ReconciliationVarianceCount', result.totals?.differences ?? 0],
    ] as const) {
      // A single metric is flushed at its addMetric: one per value, each with the payer's dimension.
      const perPayer = metrics.singleMetric();
      perPayer.addDimension('PayerId', result.payerId);
      perPayer.addMetric(name, MetricUnit.Count, value);
    }
  }
  metrics.addMetric('ReconciliationLargestPayerVarianceCents', MetricUnit.Count, largest);
  metrics.addMetric('ReconciliationFailedPayers', MetricUnit.Count, failed);
  metrics.publishStoredMetrics();
  logger.info('reconciliation run finished', {
    runId: input.runId,
    status,
    differences: totals.differences,
    varianceCents: totals.varianceCents,
  });
  return { runId: input.runId, status, totals };
}

function describeError(error: unknown): string {
  if (error && typeof error === 'object') {
    const { Error: name, Cause: cause } = error as { Error?: string; Cause?: string };
    if (name) return `${name}${cause ? `: ${cause}` : ''}`.slice(0, 500);
  }
  return String(error).slice(0, 500);
}

function parseLagOverrides(raw: string | undefined): Record<string, number> {
  if (!raw) return {};
  const parsed = z.record(z.string(), z.number().int().positive()).safeParse(JSON.parse(raw));
  return parsed.success ? parsed.data : {};
}
