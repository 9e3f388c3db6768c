import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { AuditLog } from '../adapters/dynamodb/audit-log.js';
import { EncounterDocuments } from '../adapters/dynamodb/encounter-documents.js';
import { ExceptionStore } from '../adapters/dynamodb/exception-store.js';
import { type Workflow, WorkflowStore } from '../adapters/dynamodb/workflow-store.js';
import { requiredEnv } from '../adapters/environment.js';
import { EventPublisher } from '../adapters/eventbridge/event-publisher.js';
import { createLogger, createMetrics } from '../adapters/observability.js';
import { type EncounterEnvelope, type EventEnvelope, EventSource, followUpEvent } from '../core/envelope.js';
import { deterministicEventId } from '../core/event-id.js';
import type { ExceptionResolved } from '../core/events.js';
import { exceptionIdFor, resolvedEventIdFor } from '../core/exception-keys.js';
import {
  assessEncounter,
  clearedSlaKeys,
  clearedUnpostedKeys,
  type EncounterAssessment,
  overdueUnposted,
  type StuckEncounter,
  type SweepSummary,
  stuckReason,
  summarize,
  type UnpostedBreach,
} from '../core/sla.js';
import { WORKFLOW_STATES } from '../core/workflow.js';
import { env } from '../env.js';
import { METRICS, MonitoringThresholds } from '../monitoring-alarms.js';
import { exceptionOpened, openException, recordExceptionResolved } from './booking/record.js';

const logger = createLogger('slaSweeper');
const metrics = createMetrics('slaSweeper');
const client = new DynamoDBClient({});
const store = new WorkflowStore(client, requiredEnv(env.workflowTable));
const documents = new EncounterDocuments(client, requiredEnv(env.workflowTable));
const register = new ExceptionStore(
  client,
  requiredEnv(env.exceptionTable),
  new AuditLog(client, requiredEnv(env.auditTable)),
);
const publisher = new EventPublisher(new EventBridgeClient({}), requiredEnv(env.eventBus));
/** Stage thresholds (lib/ sets them from cdk.json `monitoring`; locally from startHub options). */
const thresholds = MonitoringThresholds.parse(JSON.parse(process.env[env.slaThresholds] ?? '{}'));
const PAGE = 100;
/** Partition reads in flight at once: bounded so a sweep does not eat the table's burst capacity. */
const READ_CONCURRENCY = 8;

export interface SweepResult extends SweepSummary {
  encounters: number;
  exceptionsOpened: number;
  exceptionsCleared: number;
}

const SWEEPER_CLIENT = 'rcm-hub:sla-sweeper';

/**
 * Scheduled (EventBridge, stage rate; locally a timer). Lists every workflow by state (workflowsByState index), reads
 * what each encounter accepted and holds, and reports: the funnel (EncountersByState), stuck encounters, payer
 * invoices awaiting a claim, remittances and payments not posted in Odoo, open exceptions per team — as EMF
 * metrics that the alarm table (lambdas/monitoring-alarms.ts) watches. An encounter stuck in its state longer
 * than the stage threshold gets an `sla:<state>` exception (once per stay in that state) and an ExceptionOpened.
 */
export const handler = async (): Promise<SweepResult> => sweep(Date.now());

/** One sweep as of `now` (epoch ms): the clock is the caller's, so a test never depends on today. */
export async function sweep(now: number): Promise<SweepResult> {
  const workflows = await listAll();
  const assessments: EncounterAssessment[] = [];
  for (let i = 0; i < workflows.length; i += READ_CONCURRENCY) {
    const batch = workflows.slice(i, i + READ_CONCURRENCY);
    assessments.push(
      ...(await Promise.all(
        batch.map(async (workflow) => {
          // A reconciled encounter has nothing left to post or claim.
          const read =
            workflow.state === 'reconciled'
              ? { documents: [], held: [] }
              : await documents.read(workflow.encounterId);
          return assessEncounter(workflow, read.documents, read.held, now, thresholds);
        }),
      )),
    );
  }
  let exceptionsCleared = 0;
  for (const workflow of workflows) {
    for (const key of clearedSlaKeys(workflow.stage, Object.keys(workflow.exceptions))) {
      if (await clearSlaException(workflow, key, now, `the encounter moved on to ${workflow.stage}`))
        exceptionsCleared += 1;
    }
    for (const key of clearedUnpostedKeys(workflow, Object.keys(workflow.exceptions))) {
      if (await clearSlaException(workflow, key, now, 'the document is in Odoo now')) exceptionsCleared += 1;
    }
  }
  const summary = summarize(assessments, thresholds);
  let exceptionsOpened = 0;
  for (const assessment of assessments) {
    const workflow = workflows.find((w) => w.encounterId === assessment.encounterId) as Workflow;
    if (assessment.stuck && (await openSlaException(workflow, assessment.stuck, now))) exceptionsOpened += 1;
    for (const breach of overdueUnposted(assessment.unposted, thresholds)) {
      if (workflow.exceptions[breach.key]) continue;
      if (await openUnpostedException(workflow, breach, now)) exceptionsOpened += 1;
    }
  }
  publishMetrics(summary);
  logger.info('SLA sweep done', {
    encounters: workflows.length,
    exceptionsOpened,
    exceptionsCleared,
    remittancesUnposted: summary.remittancesUnposted.count,
    paymentsUnposted: summary.paymentsUnposted.count,
    invoicesAwaitingClaim: summary.invoicesAwaitingClaim.count,
    invoicesUnposted: summary.invoicesUnposted.count,
  });
  return { ...summary, encounters: workflows.length, exceptionsOpened, exceptionsCleared };
}

async function listAll(): Promise<Workflow[]> {
  const all: Workflow[] = [];
  for (const state of WORKFLOW_STATES) {
    let cursor: string | undefined;
    do {
      const page = await store.listWorkflows({ state, limit: PAGE, ...(cursor ? { cursor } : {}) });
      all.push(...page.items);
      cursor = page.cursor;
    } while (cursor);
  }
  return all;
}

/**
 * Opens `sla:<state>` on the encounter, recorded as a timeline-only `SlaBreached` whose id derives from the
 * encounter, the key and when the encounter entered the state: a sweep that runs again (or twice at once)
 * records it once, and an encounter stuck again after a resolution gets a fresh one.
 */
async function openSlaException(workflow: Workflow, stuck: StuckEncounter, now: number): Promise<boolean> {
  return openSweepException(workflow, now, {
    key: stuck.key,
    team: stuck.team,
    reason: stuckReason(stuck),
    amountCents: stuck.amountCents,
    basis: workflow.stateSince,
    detail: {
      state: stuck.state,
      team: stuck.team,
      hoursInState: Math.floor(stuck.ageMs / 3_600_000),
      thresholdHours: stuck.thresholdHours,
      amountCents: stuck.amountCents,
    },
    // Moved on since the listing (a claim arrived): nothing is stuck any more.
    stillApplies: (draft) => draft.state === stuck.state && draft.stateSince === workflow.stateSince,
  });
}

/**
 * Opens `unposted:<kind>:<id>` for an accepted document that has not reached Odoo within its SLA (issue 12):
 * once per document (the id derives from the document's accepting event), unless it was booked meanwhile.
 */
async function openUnpostedException(
  workflow: Workflow,
  breach: UnpostedBreach,
  now: number,
): Promise<boolean> {
  const { document } = breach;
  return openSweepException(workflow, now, {
    key: breach.key,
    team: breach.team,
    reason: breach.reason,
    amountCents: document.amountCents,
    basis: document.eventId,
    detail: {
      document: document.kind,
      hoursUnposted: Math.floor(document.ageMs / 3_600_000),
      thresholdHours: breach.thresholdHours,
      amountCents: document.amountCents,
    },
    stillApplies: (draft) => clearedUnpostedKeys(draft, [breach.key]).length === 0,
  });
}

interface SweepFinding {
  key: string;
  team: StuckEncounter['team'];
  reason: string;
  amountCents: number;
  /** What makes this finding new (the stay in a state, the accepting event): part of the event id. */
  basis: string;
  detail: Record<string, unknown>;
  stillApplies: (draft: Workflow) => boolean;
}

async function openSweepException(workflow: Workflow, now: number, finding: SweepFinding): Promise<boolean> {
  const nowIso = new Date(now).toISOString();
  const stuck = finding;
  const eventId = deterministicEventId('SlaBreached', workflow.encounterId, stuck.key, finding.basis);
  const cause: EncounterEnvelope = {
    id: eventId,
    type: 'SlaBreached',
    version: 1,
    source: EventSource.workflow,
    time: nowIso,
    correlationId: `sla:${eventId}`,
    idempotencyKey: stuck.key,
    clientId: SWEEPER_CLIENT,
    encounterId: workflow.encounterId,
    facilityId: workflow.facilityId,
    partitionKey: workflow.encounterId,
    data: {},
  };
  const detail = finding.detail;
  const recorded = await store.recordEvent(
    {
      eventId,
      type: 'SlaBreached',
      time: nowIso,
      correlationId: cause.correlationId,
      clientId: cause.clientId,
      encounterId: workflow.encounterId,
      facilityId: workflow.facilityId,
      detail,
    },
    { kind: 'none' },
    (draft) => {
      if (!finding.stillApplies(draft)) return;
      openException(
        draft,
        {
          key: stuck.key,
          team: stuck.team,
          reason: finding.reason,
          amountCents: stuck.amountCents,
          sourceEventId: eventId,
        },
        nowIso,
      );
    },
  );
  const exception = recorded.workflow.exceptions[stuck.key];
  if (!recorded.applied || exception?.sourceEventId !== eventId) return false;
  const events: EventEnvelope[] = [exceptionOpened(cause, exception, nowIso)];
  if (recorded.from !== recorded.to) {
    events.push(
      followUpEvent(
        cause,
        'WorkflowStateChanged',
        EventSource.workflow,
        { from: recorded.from, to: recorded.to, cause: 'SlaBreached' },
        nowIso,
      ),
    );
  }
  await publisher.publish(...events);
  logger.info('sweep finding: exception opened', {
    encounterId: workflow.encounterId,
    key: stuck.key,
    team: stuck.team,
    amountCents: stuck.amountCents,
  });
  return true;
}

/**
 * Clears an `sla:<state>` exception whose encounter moved past that state: an `ExceptionResolved` (outcome
 * `cleared`, one id per exception) removes the key from the workflow — the encounter leaves exception_pending
 * when nothing else is open — and the register entry is closed with the sweeper as its author. A person who
 * resolved it meanwhile wins; a repeated sweep finds nothing to clear.
 */
async function clearSlaException(
  workflow: Workflow,
  key: string,
  nowMs: number,
  why: string,
): Promise<boolean> {
  const now = new Date(nowMs).toISOString();
  const exceptionId = exceptionIdFor(workflow.encounterId, key);
  const data: ExceptionResolved = { exceptionId, key, outcome: 'cleared', resolutionCode: 'cleared' };
  const resolved: EventEnvelope<'ExceptionResolved', ExceptionResolved> = {
    id: resolvedEventIdFor(exceptionId),
    type: 'ExceptionResolved',
    version: 1,
    source: EventSource.workflow,
    time: now,
    correlationId: `sla:${exceptionId}`,
    idempotencyKey: `exception:${exceptionId}`,
    clientId: SWEEPER_CLIENT,
    encounterId: workflow.encounterId,
    facilityId: workflow.facilityId,
    partitionKey: workflow.encounterId,
    data,
  };
  if (!(await recordExceptionResolved({ store, publisher }, resolved))) return false;
  await register.clear(exceptionId, SWEEPER_CLIENT, now, `cleared by the SLA sweeper: ${why}`);
  logger.info('SLA breach cleared', {
    encounterId: workflow.encounterId,
    key,
    stage: workflow.stage,
  });
  return true;
}

/**
 * One EMF document per dimension value (EMF cannot carry two values of one dimension). Every gauge is emitted
 * on every sweep, zeros included, so an alarm sees the problem go away.
 */
function publishMetrics(summary: SweepSummary): void {
  const count = MetricUnit.Count;
  const cents = MetricUnit.NoUnit;
  const seconds = MetricUnit.Seconds;
  for (const [state, n] of Object.entries(summary.encountersByState)) {
    metrics.addDimension('State', state);
    metrics.addMetric(METRICS.encountersByState, count, n);
    const stuck = (summary.stuckByState as Record<string, number>)[state];
    if (stuck !== undefined) metrics.addMetric(METRICS.stuckEncounters, count, stuck);
    metrics.publishStoredMetrics();
  }
  for (const [team, { count: n, amountCents }] of Object.entries(summary.openExceptions)) {
    metrics.addDimension('Team', team);
    metrics.addMetric(METRICS.openExceptions, count, n);
    metrics.addMetric(METRICS.openExceptionsCents, cents, amountCents);
    metrics.publishStoredMetrics();
  }
  const {
    invoicesAwaitingClaim: invoices,
    remittancesUnposted: remittances,
    paymentsUnposted: payments,
  } = summary;
  metrics.addMetric(METRICS.invoicesAwaitingClaim, count, invoices.count);
  metrics.addMetric(METRICS.invoicesAwaitingClaimOldestAgeSeconds, seconds, invoices.oldestAgeSeconds);
  metrics.addMetric(METRICS.invoicesAwaitingClaimOverdue, count, invoices.overdueCount);
  metrics.addMetric(METRICS.invoicesAwaitingClaimOverdueCents, cents, invoices.overdueCents);
  metrics.addMetric(METRICS.remittancesUnposted, count, remittances.overdueCount);
  metrics.addMetric(METRICS.remittancesUnpostedCents, cents, remittances.overdueCents);
  metrics.addMetric(METRICS.oldestUnpostedRemittanceAgeSeconds, seconds, remittances.oldestAgeSeconds);
  metrics.addMetric(METRICS.paymentsUnposted, count, payments.overdueCount);
  metrics.addMetric(METRICS.paymentsUnpostedCents, cents, payments.overdueCents);
  metrics.addMetric(METRICS.oldestUnpostedPaymentAgeSeconds, seconds, payments.oldestAgeSeconds);
  metrics.addMetric(METRICS.invoicesUnposted, count, summary.invoicesUnposted.overdueCount);
  metrics.addMetric(METRICS.invoicesUnpostedCents, cents, summary.invoicesUnposted.overdueCents);
  metrics.addMetric(
    METRICS.oldestUnpostedInvoiceAgeSeconds,
    seconds,
    summary.invoicesUnposted.oldestAgeSeconds,
  );
  metrics.publishStoredMetrics();
}
