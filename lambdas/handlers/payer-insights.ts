import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SNSClient } from '@aws-sdk/client-sns';
import { AuditLog } from '../adapters/dynamodb/audit-log.js';
import {
  type LedgerClaim,
  type LedgerRemittance,
  ReconciliationStore,
} from '../adapters/dynamodb/reconciliation-store.js';
import { type PayerInsights, TriageStore } from '../adapters/dynamodb/triage-store.js';
import { WorkflowStore } from '../adapters/dynamodb/workflow-store.js';
import { requiredEnv } from '../adapters/environment.js';
import { EventPublisher } from '../adapters/eventbridge/event-publisher.js';
import { createLogger, createMetrics } from '../adapters/observability.js';
import { AlertPublisher, alertTopicsFrom } from '../adapters/sns/alert-publisher.js';
import { type EventEnvelope, EventSource } from '../core/envelope.js';
import { deterministicEventId } from '../core/event-id.js';
import type { ExceptionOpened, ExceptionResolved } from '../core/events.js';
import { exceptionIdFor, resolvedEventIdFor } from '../core/exception-keys.js';
import {
  type AnomalyState,
  type AnomalyTransition,
  assessPayer,
  facilityScopes,
  frozenSince,
  transitions,
} from '../core/insights/anomaly.js';
import { forecastCash } from '../core/insights/forecast.js';
import { addDays, type ClaimOutcome, outcomesFromLedger } from '../core/insights/outcomes.js';
import { anomalyClearedAlert } from '../core/triage/alert.js';
import { env } from '../env.js';
import { METRICS } from '../metric-names.js';
import { recordExceptionResolved } from './booking/record.js';

const logger = createLogger('payerInsights');
const metrics = createMetrics('payerInsights');
const client = new DynamoDBClient({});
const ledger = new ReconciliationStore(client, requiredEnv(env.workflowTable));
const workflows = new WorkflowStore(client, requiredEnv(env.workflowTable));
const store = new TriageStore(
  client,
  requiredEnv(env.exceptionTable),
  new AuditLog(client, requiredEnv(env.auditTable)),
);
const publisher = new EventPublisher(new EventBridgeClient({}), requiredEnv(env.eventBus));
const alerts = new AlertPublisher(new SNSClient({}), alertTopicsFrom(process.env[env.exceptionAlertTopics]));

const CLIENT = 'rcm-hub:payer-insights';
/** Adjudications read per payer: the baseline (28 days), the window and a frozen baseline's reach back. */
const HISTORY_DAYS = 120;
/** Claims read per payer: old enough to have been adjudicated within the history, or still open. */
const CLAIM_DAYS = 240;
const PAGE = 500;

export interface InsightsResult {
  payers: number;
  opened: number;
  cleared: number;
  openAnomalies: number;
}

/**
 * Scheduled (wiring.ts `PayerInsights`; locally a timer or POST /__local/schedules/PayerInsights). For every
 * payer the hub has seen: the claims and ERAs of its ledger, its baselines and findings (denial rate,
 * paid-to-billed, CARC mix, days to pay, volume), and per facility with enough claims. An anomaly opens one
 * exception (ExceptionOpened on the bus, routed to billing or finance) when it starts and clears it when the
 * payer is back to normal — the same open/resolve machinery every exception uses, once each. The forecast of
 * cash for the next 7 and 30 days is kept with the insights (GET /v1/insights/payers/{payerId}).
 */
export const handler = async (event?: { time?: string }): Promise<InsightsResult> => {
  const now = event?.time && !Number.isNaN(Date.parse(event.time)) ? new Date(event.time) : new Date();
  const today = now.toISOString().slice(0, 10);
  const result: InsightsResult = { payers: 0, opened: 0, cleared: 0, openAnomalies: 0 };
  for (const payerId of await ledger.payers()) {
    result.payers += 1;
    const claims = await readAll<LedgerClaim>(payerId, 'CLAIM', addDays(today, -CLAIM_DAYS), today);
    const eras = await readAll<LedgerRemittance>(payerId, 'ERA', addDays(today, -HISTORY_DAYS), today);
    const { outcomes, open } = outcomesFromLedger(claims, eras);
    const previous = await store.insights(payerId);
    const payer = await assess(payerId, undefined, outcomes, previous, now, result);
    const forecast = forecastCash(
      today,
      open,
      outcomes.filter((o) => o.paidDate >= addDays(today, -90)),
    );
    const facilities: PayerInsights[] = [];
    for (const scope of facilityScopes(outcomes)) {
      const before = previous?.facilities?.find((f) => f.facilityId === scope.facilityId);
      facilities.push(await assess(payerId, scope.facilityId, scope.outcomes, before, now, result));
    }
    await store.putInsights({ ...payer, forecast, ...(facilities.length ? { facilities } : {}) });
    result.openAnomalies +=
      Object.keys(payer.anomalies).length +
      facilities.reduce((n, f) => n + Object.keys(f.anomalies).length, 0);
    metrics.addDimension('Payer', payerId);
    metrics.addMetric(
      METRICS.expectedCash7dCents,
      MetricUnit.NoUnit,
      forecast.horizons[0]?.expectedCents ?? 0,
    );
    metrics.addMetric(
      METRICS.expectedCash30dCents,
      MetricUnit.NoUnit,
      forecast.horizons[1]?.expectedCents ?? 0,
    );
    metrics.publishStoredMetrics();
  }
  metrics.addMetric(METRICS.openPayerAnomalies, MetricUnit.Count, result.openAnomalies);
  metrics.publishStoredMetrics();
  logger.info('payer insights done', { ...result });
  return result;
};

async function readAll<T extends LedgerClaim | LedgerRemittance>(
  payerId: string,
  kind: 'CLAIM' | 'ERA',
  fromDate: string,
  toDate: string,
): Promise<T[]> {
  const all: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await ledger.ledgerPage<T>(payerId, kind, { fromDate, toDate }, PAGE, cursor);
    all.push(...page.items);
    cursor = page.cursor;
  } while (cursor);
  return all;
}

async function assess(
  payerId: string,
  facilityId: string | undefined,
  outcomes: readonly ClaimOutcome[],
  previous: PayerInsights | undefined,
  now: Date,
  result: InsightsResult,
): Promise<PayerInsights> {
  const scope = facilityId ? `${payerId}@${facilityId}` : payerId;
  let state: AnomalyState = previous?.anomalies ?? {};
  const findings = assessPayer(`Payer ${scope}`, outcomes, undefined, frozenSince(state));
  const step = transitions(state, findings, payerId, now.toISOString(), facilityId);
  state = step.next;
  for (const change of step.changes) {
    if (change.kind === 'open') {
      await openAnomaly(payerId, change, now);
      result.opened += 1;
    } else if (await clearAnomaly(change, now)) result.cleared += 1;
  }
  return {
    scope,
    payerId,
    ...(facilityId ? { facilityId } : {}),
    updatedAt: now.toISOString(),
    claimsAssessed: outcomes.length,
    findings,
    anomalies: state,
  };
}

/** ExceptionOpened for an anomaly: no encounter (the key scopes it); the register and triage take it from the bus. */
async function openAnomaly(payerId: string, change: AnomalyTransition, now: Date): Promise<void> {
  const finding = change.finding;
  if (!finding) return;
  const claims = finding.claimIds.length
    ? ` Claims: ${finding.claimIds.slice(0, 10).join(', ')}${finding.claimIds.length > 10 ? ` (+${finding.claimIds.length - 10} more: GET /v1/insights/payers/${payerId})` : ''}.`
    : '';
  const data: ExceptionOpened = {
    key: change.key,
    team: finding.team,
    reason: `${finding.explanation}.${claims}`.slice(0, 1000),
    amountCents: finding.amountCents,
    sourceEventId: deterministicEventId('PayerAnomalyDetected', change.key),
    payerId,
  };
  const opened: EventEnvelope<'ExceptionOpened', ExceptionOpened> = {
    id: deterministicEventId('ExceptionOpened', change.key),
    type: 'ExceptionOpened',
    version: 1,
    source: EventSource.insights,
    time: now.toISOString(),
    correlationId: `insights:${change.key}`.slice(0, 128),
    idempotencyKey: change.key,
    clientId: CLIENT,
    partitionKey: change.key,
    data,
  };
  await publisher.publish(opened);
  logger.info('payer anomaly opened', { payerId, metric: change.metric, team: finding.team });
}

/** The anomaly's exception, closed as `cleared` (as the SLA sweeper clears its own); a person's resolve wins. */
async function clearAnomaly(change: AnomalyTransition, now: Date): Promise<boolean> {
  const at = now.toISOString();
  const exceptionId = exceptionIdFor(change.key, change.key);
  const data: ExceptionResolved = {
    exceptionId,
    key: change.key,
    outcome: 'cleared',
    resolutionCode: 'cleared',
  };
  await recordExceptionResolved(
    { store: workflows, publisher },
    {
      id: resolvedEventIdFor(exceptionId),
      type: 'ExceptionResolved',
      version: 1,
      source: EventSource.insights,
      time: at,
      correlationId: `insights:${change.key}`.slice(0, 128),
      idempotencyKey: `exception:${exceptionId}`,
      clientId: CLIENT,
      partitionKey: change.key,
      data,
    },
  );
  const note = `cleared: the payer is back to normal (${change.finding?.explanation ?? change.metric})`;
  if (!(await store.register.clear(exceptionId, CLIENT, at, note))) return false;
  logger.info('payer anomaly cleared', { metric: change.metric });
  // Its second and last alert (the register sent the first when it opened): only when this sweep closed it.
  const finding = change.finding;
  await alerts
    .publish(
      anomalyClearedAlert({
        exceptionId,
        team: finding?.team ?? 'finance',
        metric: change.metric,
        ...(finding ? { explanation: finding.explanation } : {}),
      }),
    )
    .catch((error: Error) =>
      logger.error('anomaly cleared alert not published', { exceptionId, error: error.name }),
    );
  return true;
}
