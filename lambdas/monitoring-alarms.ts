/**
 * The one table of business and technical alarms. lib/monitoring.ts builds a CloudWatch alarm from each entry
 * (alarm and OK actions → the audience's SNS topic); the local runtime (local/cloudwatch.ts) evaluates the same
 * entries against the EMF lines the in-process handlers print. Thresholds come from the stage config
 * (`monitoring` in cdk.json, schema below), so an alarm, its threshold and its wording exist in one place.
 *
 * Dimensions never carry PHI: payer, team, state and queue names only — never patient, member or claim ids.
 */
import * as z from 'zod';
import { SLA_STATES, type SlaState } from './core/sla.js';
import { METRICS } from './metric-names.js';
import type { QueueName } from './wiring.js';

export { SLA_STATES, type SlaState };

/** Who is told: each audience has its own encrypted SNS topic and e-mail subscriptions per stage. */
export const AUDIENCES = ['finance', 'billing', 'integration'] as const;
export type Audience = (typeof AUDIENCES)[number];

/** Powertools' `service` dimension (POWERTOOLS_SERVICE_NAME, set by lib/ and local/). */
export const METRICS_SERVICE = 'rcm-hub';
/** EMF namespace of a stage; lib/functions.ts sets POWERTOOLS_METRICS_NAMESPACE to the same value. */
export const metricsNamespace = (stage: string): string => `rcm-hub-${stage}`;
export const alarmName = (stage: string, name: string): string => `rcm-hub-${stage}-${name}`;

/**
 * Which handler emits which metric: Powertools adds `service` and our `handler` default dimension
 * (lambdas/adapters/observability.ts createMetrics), and an alarm must name the exact dimension set EMF emits.
 */
export const METRIC_EMITTERS = {
  slaSweeper: 'slaSweeper',
  odooWriter: 'odooWriter',
  deliverWebhooks: 'deliverWebhooks',
  /** The reconciliation state machine's tasks (handlers/reconcile.ts) emit the variance metrics. */
  reconciliation: 'reconcile',
  /** The Odoo breaker probe (AWS Lambda and the local runtime's probe alike, issue 12). */
  odooBreakerProbe: 'odooBreakerProbe',
} as const;

export { METRICS } from './metric-names.js';

const hours = z
  .number()
  .min(0)
  .max(24 * 365);

/** Alarm and SLA thresholds of a stage (cdk.json `stages.<stage>.monitoring`); the SLA sweeper gets them as JSON. */
export const MonitoringThresholds = z
  .object({
    /** How often the SLA sweeper runs (EventBridge schedule; locally a timer). */
    sweeperRateMinutes: z.number().int().min(1).max(1440).default(15),
    /** An encounter in one of these states longer than this gets an `sla:<state>` exception. */
    stuckHours: z
      .object(Object.fromEntries(SLA_STATES.map((state) => [state, hours])) as Record<SlaState, typeof hours>)
      .strict()
      .default({ charge_ready: 48, invoice_issued: 120, claim_submitted: 720, payer_response_received: 168 }),
    /** An accepted remittance not posted in Odoo after this long alerts finance. */
    remittanceUnpostedHours: hours.default(24),
    /** An accepted gateway/bank payment not posted in Odoo after this long alerts finance. */
    paymentUnpostedHours: hours.default(24),
    /** A payer invoice posted in Odoo with no claim after this long alerts billing. */
    invoiceAwaitingClaimHours: hours.default(72),
    /** An accepted invoice not in Odoo after this long opens an integration exception (issue 12). */
    invoiceUnpostedHours: hours.default(2),
    /** Largest absolute variance of one payer in a reconciliation run (cents) before finance is alerted. */
    variancePerPayerCents: z.number().int().min(0).default(50_000),
    /** Share of Odoo calls that fail, over 5 minutes, before integration is alerted. */
    odooErrorRatePercent: z.number().min(0).max(100).default(5),
    /** Open exceptions per team before that team is alerted. */
    openExceptionsPerTeam: z
      .object({
        finance: z.number().int().min(0),
        billing: z.number().int().min(0),
        integration: z.number().int().min(0),
      })
      .strict()
      .default({ finance: 10, billing: 25, integration: 10 }),
    /** Failed webhook delivery attempts per hour (retries included) before integration is alerted. */
    webhookDeliveryFailuresPerHour: z.number().int().min(0).default(50),
    /** Age of the oldest message on the Odoo write queue before integration is alerted. */
    odooWriteQueueAgeMinutes: z.number().int().min(1).default(30),
    /** API Gateway 5xx answers per 5 minutes before integration is alerted. */
    api5xxPer5Minutes: z.number().int().min(0).default(5),
  })
  .strict();
export type MonitoringThresholds = z.infer<typeof MonitoringThresholds>;
export type MonitoringThresholdsInput = z.input<typeof MonitoringThresholds>;

export type Statistic = 'Sum' | 'Maximum' | 'Minimum' | 'Average' | 'SampleCount';
export type Comparison =
  | 'GreaterThanThreshold'
  | 'GreaterThanOrEqualToThreshold'
  | 'LessThanThreshold'
  | 'LessThanOrEqualToThreshold';
/** CloudWatch's TreatMissingData: gauges from the sweeper keep their state between sweeps (`ignore`). */
export type MissingData = 'notBreaching' | 'breaching' | 'ignore' | 'missing';

/** A metric one of our handlers emits as EMF. */
export interface EmfMetricRef {
  metricName: string;
  emittedBy: string;
  /** Beyond Powertools' `service` and our `handler`. */
  dimensions?: Record<string, string>;
  statistic: Statistic;
}

export type AlarmMetric =
  | ({ source: 'emf' } & EmfMetricRef)
  /** 100 × numerator / denominator (a CloudWatch metric math expression); no denominator → no data. */
  | { source: 'emfPercent'; label: string; numerator: EmfMetricRef; denominator: EmfMetricRef }
  /** An SQS metric of one of our queues (or, `dlq`, its dead-letter queue); locally sampled from the local queues. */
  | {
      source: 'sqs';
      queue: QueueName;
      dlq?: boolean;
      metricName: 'ApproximateAgeOfOldestMessage' | 'ApproximateNumberOfMessagesVisible';
      statistic: Statistic;
    }
  /** An API Gateway metric; only CloudWatch has these (not evaluated locally). */
  | { source: 'apiGateway'; metricName: '5XXError' | '4XXError' | 'Latency'; statistic: Statistic };

export interface AlarmDefinition {
  /** Stable logical name; CloudWatch alarm name `rcm-hub-<stage>-<name>`. */
  name: string;
  audience: Audience;
  metric: AlarmMetric;
  periodSeconds: number;
  evaluationPeriods: number;
  comparison: Comparison;
  threshold: number;
  treatMissingData: MissingData;
  /** What happened, what the value means (units), where to look. Shown in the notification; never PHI. */
  description: string;
}

/** Where alarm descriptions send the reader. */
export const RUNBOOK = 'docs/operations.md';

/**
 * CloudWatch's wall clock evaluation window (complete, clock-aligned periods only) accepts these periods only;
 * lib/monitoring.ts sets it on every alarm whose period is one of them, and the local stand-in evaluates
 * complete periods for every alarm (issue 12: no flapping on partial periods).
 */
export const WALL_CLOCK_PERIODS: readonly number[] = [60, 300, 3600, 86_400, 604_800];

/** What a message in each wiring.ts queue's DLQ means, and the runbook section (lib/ and local/ alike). */
export const QUEUE_DLQ_ALARMS: Record<QueueName, { what: string; runbookSection: string }> = {
  OdooWriteQueue: {
    what: 'Odoo rejected a write permanently or it failed on every retry.',
    runbookSection: 'odoo-write-dlq',
  },
  InboundWebhookQueue: {
    what: 'An inbound webhook could not be processed on any retry.',
    runbookSection: 'webhooks',
  },
  WebhookDeliveryQueue: {
    what: 'A webhook delivery failed for 24 hours (an ExceptionOpened was published).',
    runbookSection: 'webhooks',
  },
};

export const dlqAlarmDescription = (what: string, dlqName: string, runbookSection: string): string =>
  `${what} Messages are waiting in dead-letter queue ${dlqName}. See ${RUNBOOK}#${runbookSection} to read the failure reason and redrive.`;

/**
 * The DLQ depth alarms of the wiring.ts queues as alarm-table entries, for the local runtime (lib/ builds the
 * same alarms, and those of its rule and upload DLQs, with Monitoring.addDlqAlarm): any message → ALARM.
 */
export function queueDlqAlarmDefinitions(dlqName: (queue: QueueName) => string): AlarmDefinition[] {
  return (Object.entries(QUEUE_DLQ_ALARMS) as [QueueName, { what: string; runbookSection: string }][]).map(
    ([queue, { what, runbookSection }]) => ({
      name: `${queue}Dlq`,
      audience: 'integration',
      metric: {
        source: 'sqs',
        queue,
        dlq: true,
        metricName: 'ApproximateNumberOfMessagesVisible',
        statistic: 'Maximum',
      },
      periodSeconds: 60,
      evaluationPeriods: 1,
      treatMissingData: 'notBreaching',
      comparison: 'GreaterThanThreshold',
      threshold: 0,
      description: dlqAlarmDescription(what, dlqName(queue), runbookSection),
    }),
  );
}

/** Full EMF dimension set of a metric, as Powertools emits it. */
export function emfDimensions(ref: EmfMetricRef): Record<string, string> {
  return { service: METRICS_SERVICE, handler: ref.emittedBy, ...ref.dimensions };
}

const sweeper = (metricName: string, dimensions?: Record<string, string>): AlarmMetric => ({
  source: 'emf',
  metricName,
  emittedBy: METRIC_EMITTERS.slaSweeper,
  statistic: 'Maximum',
  ...(dimensions ? { dimensions } : {}),
});

const CENTS = 'in US cents (12345 = $123.45)';

/** The alarm table of a stage. */
export function alarmDefinitions(t: MonitoringThresholds): AlarmDefinition[] {
  // A sweep is one datapoint per period: a gauge alarm looks at exactly one sweep and keeps its state between.
  const sweepPeriod = t.sweeperRateMinutes * 60;
  const gauge = { periodSeconds: sweepPeriod, evaluationPeriods: 1, treatMissingData: 'ignore' as const };
  const teamAlarm = (team: Audience): AlarmDefinition => ({
    name: `OpenExceptions-${team}`,
    audience: team,
    metric: sweeper(METRICS.openExceptions, { Team: team }),
    ...gauge,
    comparison: 'GreaterThanThreshold',
    threshold: t.openExceptionsPerTeam[team],
    description: `More than ${t.openExceptionsPerTeam[team]} exceptions are open for the ${team} team. The value is the number of open exceptions (a count; their revenue at stake is OpenExceptionsCents, ${CENTS}, on the dashboard). Runbook: ${RUNBOOK}#alarm-open-exceptions. Look: GET /v1/workflows?state=exception_pending (each workflow lists its exceptions with team and amount).`,
  });
  return [
    // finance
    {
      name: 'RemittancesUnposted',
      audience: 'finance',
      metric: sweeper(METRICS.remittancesUnpostedCents),
      ...gauge,
      comparison: 'GreaterThanThreshold',
      threshold: 0,
      description: `Accepted remittances have not been posted in Odoo within ${t.remittanceUnpostedHours} h. The value is the payer money at stake, ${CENTS}, summed over those remittances. Runbook: ${RUNBOOK}#alarm-remittances-unposted. Look: GET /v1/workflows?state=claim_submitted&olderThan=PT${Math.ceil(t.remittanceUnpostedHours)}H and GET /v1/workflows?state=exception_pending, then GET /v1/workflows/{encounterId} (held events, lastOdooError).`,
    },
    {
      name: 'PaymentsUnposted',
      audience: 'finance',
      metric: sweeper(METRICS.paymentsUnpostedCents),
      ...gauge,
      comparison: 'GreaterThanThreshold',
      threshold: 0,
      description: `Accepted gateway or bank payments are not reflected in Odoo after ${t.paymentUnpostedHours} h. The value is the money received but not posted, ${CENTS}. Runbook: ${RUNBOOK}#alarm-payments-unposted. Look: GET /v1/workflows?state=exception_pending, then GET /v1/workflows/{encounterId} (held events, lastOdooError).`,
    },
    {
      name: 'ReconciliationPayerVariance',
      audience: 'finance',
      metric: {
        source: 'emf',
        metricName: METRICS.reconciliationLargestPayerVarianceCents,
        emittedBy: METRIC_EMITTERS.reconciliation,
        statistic: 'Maximum',
      },
      periodSeconds: 3600,
      evaluationPeriods: 1,
      treatMissingData: 'ignore',
      comparison: 'GreaterThanThreshold',
      threshold: t.variancePerPayerCents,
      description: `A reconciliation run found a payer whose hub and Odoo totals differ by more than ${t.variancePerPayerCents} cents. The value is the largest variance of one payer, ${CENTS}. Runbook: ${RUNBOOK}#alarm-reconciliation-variance. Look: GET /v1/reconciliations (the latest run lists the variance per payer) and the dashboard's variance-by-payer widget.`,
    },
    teamAlarm('finance'),
    // billing
    {
      name: 'InvoicesAwaitingClaim',
      audience: 'billing',
      metric: sweeper(METRICS.invoicesAwaitingClaimOverdueCents),
      ...gauge,
      comparison: 'GreaterThanThreshold',
      threshold: 0,
      description: `Payer invoices posted in Odoo have had no claim submitted for more than ${t.invoiceAwaitingClaimHours} h. The value is the billed amount waiting for a claim, ${CENTS}. Runbook: ${RUNBOOK}#alarm-invoices-awaiting-claim. Look: GET /v1/workflows?state=invoice_issued&olderThan=PT${Math.ceil(t.invoiceAwaitingClaimHours)}H.`,
    },
    teamAlarm('billing'),
    // integration
    {
      name: 'OdooErrorRate',
      audience: 'integration',
      metric: {
        source: 'emfPercent',
        label: 'Odoo call error rate (%)',
        numerator: {
          metricName: METRICS.odooCallErrors,
          emittedBy: METRIC_EMITTERS.odooWriter,
          statistic: 'Sum',
        },
        denominator: {
          metricName: METRICS.odooCalls,
          emittedBy: METRIC_EMITTERS.odooWriter,
          statistic: 'Sum',
        },
      },
      periodSeconds: 300,
      evaluationPeriods: 1,
      // No calls (the breaker paused the writers, or nothing to write) is no news: the state is kept, so the
      // alarm neither clears while Odoo is down nor re-fires when the writers resume.
      treatMissingData: 'ignore',
      comparison: 'GreaterThanThreshold',
      threshold: t.odooErrorRatePercent,
      description: `More than ${t.odooErrorRatePercent}% of the Odoo writer's calls to Odoo failed over 5 minutes. The value is the error rate in percent of calls (no money: writes are retried and nothing is lost yet). Runbook: ${RUNBOOK}#odoo-down. Look: GET /health, and GET /v1/workflows?state=exception_pending (lastOdooError).`,
    },
    teamAlarm('integration'),
    {
      name: 'WebhookDeliveryFailures',
      audience: 'integration',
      metric: {
        source: 'emf',
        metricName: METRICS.webhookDeliveryFailures,
        emittedBy: METRIC_EMITTERS.deliverWebhooks,
        statistic: 'Sum',
      },
      periodSeconds: 3600,
      evaluationPeriods: 1,
      treatMissingData: 'notBreaching',
      comparison: 'GreaterThanThreshold',
      threshold: t.webhookDeliveryFailuresPerHour,
      description: `More than ${t.webhookDeliveryFailuresPerHour} outbound webhook deliveries failed in an hour (they are retried for 24 h). The value is the number of failed attempts (a count). Runbook: ${RUNBOOK}#webhooks. Look: GET /v1/subscriptions/{subscriptionId}/deliveries.`,
    },
    {
      name: 'OdooWriteQueueAge',
      audience: 'integration',
      metric: {
        source: 'sqs',
        queue: 'OdooWriteQueue',
        metricName: 'ApproximateAgeOfOldestMessage',
        statistic: 'Maximum',
      },
      periodSeconds: 300,
      evaluationPeriods: 1,
      treatMissingData: 'notBreaching',
      comparison: 'GreaterThanThreshold',
      threshold: t.odooWriteQueueAgeMinutes * 60,
      description: `A business event has waited more than ${t.odooWriteQueueAgeMinutes} min on the Odoo write queue. The value is the age of the oldest message in seconds. Runbook: ${RUNBOOK}#odoo-down. Look: GET /health and GET /v1/workflows?state=exception_pending (lastOdooError).`,
    },
    {
      name: 'Api5xx',
      audience: 'integration',
      metric: { source: 'apiGateway', metricName: '5XXError', statistic: 'Sum' },
      periodSeconds: 300,
      evaluationPeriods: 1,
      treatMissingData: 'notBreaching',
      comparison: 'GreaterThanThreshold',
      threshold: t.api5xxPer5Minutes,
      description: `The partner API answered more than ${t.api5xxPer5Minutes} server errors (5xx) in 5 minutes. The value is the number of 5xx answers (a count). Runbook: ${RUNBOOK}#alarm-api-5xx. Look: the API access log (correlation ids) and GET /health.`,
    },
    // issue 12: Odoo down, the writers paused, a backlog waiting (the probe tells the figures in words too)
    {
      name: 'OdooDownBacklog',
      audience: 'integration',
      metric: {
        source: 'emf',
        metricName: METRICS.odooBreakerOpen,
        emittedBy: METRIC_EMITTERS.odooBreakerProbe,
        statistic: 'Maximum',
      },
      periodSeconds: 60,
      evaluationPeriods: 1,
      treatMissingData: 'notBreaching',
      comparison: 'GreaterThanThreshold',
      threshold: 0,
      description: `Odoo down: the Odoo circuit breaker is open and the Odoo writers are paused, so writes wait on the queue (nothing is lost or dead-lettered; intake keeps answering 202). The value is 1 while the breaker is open. This alarm's text is fixed; the live figures are in the probe's own message on this topic, sent when the breaker opens, every 15 min while it stays open (subject "Odoo still down") and when it closes with the time to drain ("Odoo down for 12 min (writers paused), backlog 5230, draining at 0/s", then "Odoo up, backlog 4100, draining at 9.5/s; at this rate the backlog clears in 8 min"); OdooWriteBacklog, OdooWriteDrainPerSecond and OdooWriteBacklogClearSeconds are on the dashboard. Runbook: ${RUNBOOK}#odoo-outage-breaker-and-duplicates. Look: GET /health/details (odooWrites.summary).`,
    },
    // issue 12: an accepted invoice that never reached Odoo is found by the sweeper, not by a customer
    {
      name: 'InvoicesUnposted',
      audience: 'integration',
      metric: sweeper(METRICS.invoicesUnposted),
      ...gauge,
      comparison: 'GreaterThanThreshold',
      threshold: 0,
      description: `Accepted invoices are not in Odoo after ${t.invoiceUnpostedHours} h (each has an unposted:invoice exception). The value is the number of those invoices (a count; the amount is InvoicesUnpostedCents, ${CENTS}). Runbook: ${RUNBOOK}#odoo-outage-breaker-and-duplicates. Look: GET /health (Odoo, backlog) and GET /v1/exceptions?status=open.`,
    },
  ];
}
