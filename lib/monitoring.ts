import { Duration } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { WORKFLOW_STATES } from '../lambdas/core/workflow.js';
import {
  type AlarmDefinition,
  type AlarmMetric,
  AUDIENCES,
  type Audience,
  alarmDefinitions,
  alarmName,
  dlqAlarmDescription,
  type EmfMetricRef,
  emfDimensions,
  METRIC_EMITTERS,
  METRICS,
  METRICS_SERVICE,
  type MissingData,
  type MonitoringThresholds,
  metricsNamespace,
  RUNBOOK,
  WALL_CLOCK_PERIODS,
} from '../lambdas/monitoring-alarms.js';
import { env, type HandlerName, schedules } from '../lambdas/wiring.js';

export { RUNBOOK };

export interface MonitoringProps {
  stage: string;
  key: kms.IKey;
  /** Stage `monitoring` config: thresholds, sweeper rate, e-mails per audience. */
  config: MonitoringThresholds & { alertEmails: Record<Audience, readonly string[]> };
}

/** What the alarm table's AWS-service metrics and the dashboard need from the rest of the stack. */
export interface MonitoredResources {
  functions: Record<HandlerName, lambda.IFunction>;
  queues: Record<string, { queue: sqs.IQueue; dlq: sqs.IQueue }>;
  restApi: apigw.RestApi;
}

export interface AlarmSpec {
  metric: cloudwatch.IMetric;
  /** What happened and where to look; shown in the notification. Never PHI (no identifiers, no payloads). */
  description: string;
  threshold: number;
  comparisonOperator: cloudwatch.ComparisonOperator;
  evaluationPeriods?: number;
  treatMissingData?: cloudwatch.TreatMissingData;
  alarmName?: string;
}

const missingData: Record<MissingData, cloudwatch.TreatMissingData> = {
  notBreaching: cloudwatch.TreatMissingData.NOT_BREACHING,
  breaching: cloudwatch.TreatMissingData.BREACHING,
  ignore: cloudwatch.TreatMissingData.IGNORE,
  missing: cloudwatch.TreatMissingData.MISSING,
};

/**
 * Alerts and the dashboard. One encrypted SNS topic per audience (finance, billing, integration) with the
 * stage's e-mail subscriptions; one helper (metric → alarm → the audience's topic, alarm and OK actions) so
 * every alarm notifies the same way; the alarm table of lambdas/monitoring-alarms.ts (the local runtime
 * evaluates the same table); the SLA sweeper's schedule; and a dashboard per stage.
 */
export class Monitoring extends Construct {
  readonly topics: Record<Audience, sns.Topic>;
  /** Every alarm, in creation order (the dashboard's alarm status widget lists them all). */
  readonly alarms: cloudwatch.Alarm[] = [];
  /** The alarm table's alarms by logical name. */
  readonly tableAlarms: Record<string, cloudwatch.Alarm> = {};
  readonly sweepSchedule: events.Rule;
  readonly dashboard: cloudwatch.Dashboard;
  readonly namespace: string;

  constructor(
    scope: Construct,
    id: string,
    private readonly props: MonitoringProps & MonitoredResources,
  ) {
    super(scope, id);
    this.namespace = metricsNamespace(props.stage);
    this.topics = Object.fromEntries(
      AUDIENCES.map((audience) => {
        const topic = new sns.Topic(this, `${pascal(audience)}Alerts`, {
          topicName: `rcm-hub-${props.stage}-${audience}-alerts`,
          displayName: `rcm-hub ${props.stage} ${audience} alerts`,
          masterKey: props.key,
          enforceSSL: true,
        });
        for (const email of props.config.alertEmails[audience]) {
          topic.addSubscription(new subscriptions.EmailSubscription(email));
        }
        return [audience, topic];
      }),
    ) as Record<Audience, sns.Topic>;

    for (const definition of alarmDefinitions(props.config)) {
      this.tableAlarms[definition.name] = this.addAlarm(
        `${definition.name.replace(/[^A-Za-z0-9]/g, '')}Alarm`,
        {
          alarmName: alarmName(props.stage, definition.name),
          metric: this.metricOf(definition),
          description: definition.description,
          threshold: definition.threshold,
          comparisonOperator: definition.comparison as cloudwatch.ComparisonOperator,
          evaluationPeriods: definition.evaluationPeriods,
          treatMissingData: missingData[definition.treatMissingData],
        },
        definition.audience,
      );
    }

    // The SLA sweeper: its thresholds in its environment, its rate from the stage config.
    const sweeper = props.functions[schedules.SlaSweep.handler];
    (sweeper as lambda.Function).addEnvironment(
      env.slaThresholds,
      JSON.stringify(withoutEmails(props.config)),
    );
    this.sweepSchedule = new events.Rule(this, 'SlaSweepSchedule', {
      description: schedules.SlaSweep.description,
      schedule: events.Schedule.rate(Duration.minutes(props.config.sweeperRateMinutes)),
      // A missed sweep is repaired by the next one; retrying longer than a period would only overlap them.
      targets: [
        new targets.LambdaFunction(sweeper, {
          retryAttempts: 2,
          maxEventAge: Duration.minutes(Math.max(1, props.config.sweeperRateMinutes)),
        }),
      ],
    });

    this.dashboard = this.buildDashboard();
  }

  /** The integration topic: technical alerts (DLQs, Odoo, API) go here. */
  get topic(): sns.Topic {
    return this.topics.integration;
  }

  /** metric → alarm → the audience's SNS topic (alarm and OK actions, so they also learn when it is over). */
  addAlarm(id: string, spec: AlarmSpec, audience: Audience = 'integration'): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, id, {
      ...(spec.alarmName ? { alarmName: spec.alarmName } : {}),
      metric: spec.metric,
      alarmDescription: spec.description,
      threshold: spec.threshold,
      comparisonOperator: spec.comparisonOperator,
      evaluationPeriods: spec.evaluationPeriods ?? 1,
      treatMissingData: spec.treatMissingData ?? cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    // Complete periods only (issue 12: OdooErrorRate flapped on partial ones): a wall clock evaluation window
    // where the period allows one (docs: CloudWatch "Alarm evaluation windows"); the other periods are the
    // sweep's (one datapoint per period, nothing partial to evaluate).
    const period = periodSecondsOf(spec.metric);
    if (period !== undefined && WALL_CLOCK_PERIODS.includes(period))
      (alarm.node.defaultChild as cloudwatch.CfnAlarm).evaluationWindow = { wallClockWindow: {} };
    const action = new actions.SnsAction(this.topics[audience]);
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
    this.alarms.push(alarm);
    return alarm;
  }

  /** Any message in a dead-letter queue means a write or delivery gave up: a person must look. */
  addDlqAlarm(id: string, dlq: sqs.IQueue, what: string, runbookSection: string): cloudwatch.Alarm {
    return this.addAlarm(id, {
      metric: dlq.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
        statistic: 'Maximum',
      }),
      description: dlqAlarmDescription(what, dlq.queueName, runbookSection),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    });
  }

  /** An EMF metric of ours, with the exact dimension set Powertools emits (service + handler + extra). */
  emfMetric(ref: EmfMetricRef, period: Duration, label?: string): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: this.namespace,
      metricName: ref.metricName,
      dimensionsMap: emfDimensions(ref),
      statistic: ref.statistic,
      period,
      ...(label ? { label } : {}),
    });
  }

  private metricOf(definition: AlarmDefinition): cloudwatch.IMetric {
    const period = Duration.seconds(definition.periodSeconds);
    const metric: AlarmMetric = definition.metric;
    switch (metric.source) {
      case 'emf':
        return this.emfMetric(metric, period);
      case 'emfPercent':
        // No error datapoint in a period means no error (FILL); no call at all means no data (→ missing).
        return new cloudwatch.MathExpression({
          expression: '100 * FILL(errors, 0) / calls',
          usingMetrics: {
            errors: this.emfMetric(metric.numerator, period),
            calls: this.emfMetric(metric.denominator, period),
          },
          label: metric.label,
          period,
        });
      case 'sqs': {
        const pair = this.props.queues[metric.queue];
        if (!pair) throw new Error(`alarm ${definition.name}: no queue ${metric.queue}`);
        const queue = metric.dlq ? pair.dlq : pair.queue;
        const options = { statistic: metric.statistic, period };
        return metric.metricName === 'ApproximateAgeOfOldestMessage'
          ? queue.metricApproximateAgeOfOldestMessage(options)
          : queue.metricApproximateNumberOfMessagesVisible(options);
      }
      case 'apiGateway': {
        const api = this.props.restApi;
        const options = { statistic: metric.statistic, period };
        if (metric.metricName === '5XXError') return api.metricServerError(options);
        if (metric.metricName === '4XXError') return api.metricClientError(options);
        return api.metricLatency(options);
      }
    }
  }

  private buildDashboard(): cloudwatch.Dashboard {
    const { stage, config } = this.props;
    const sweep = Duration.minutes(config.sweeperRateMinutes);
    const sweeper = (metricName: string, dimensions?: Record<string, string>, label?: string) =>
      this.emfMetric(
        {
          metricName,
          emittedBy: METRIC_EMITTERS.slaSweeper,
          statistic: 'Maximum',
          ...(dimensions ? { dimensions } : {}),
        },
        sweep,
        label,
      );
    const writer = (metricName: string, statistic: string, label?: string) =>
      this.emfMetric(
        { metricName, emittedBy: METRIC_EMITTERS.odooWriter, statistic: statistic as 'Sum' },
        Duration.minutes(5),
        label,
      );
    const reconciliation = (metricName: string) =>
      this.emfMetric(
        { metricName, emittedBy: METRIC_EMITTERS.reconciliation, statistic: 'Maximum' },
        Duration.hours(1),
      );
    // Per-payer series: payer ids are only known at run time, so a SEARCH finds every PayerId the run emitted.
    const byPayer = (metricName: string) =>
      new cloudwatch.MathExpression({
        expression: `SEARCH('{${this.namespace},PayerId,handler,service} MetricName="${metricName}" service="${METRICS_SERVICE}"', 'Maximum', 3600)`,
        usingMetrics: {},
        label: '',
        period: Duration.hours(1),
      });
    const api = this.props.restApi;
    const queues = Object.entries(this.props.queues);

    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `rcm-hub-${stage}`,
      defaultInterval: Duration.days(7),
    });
    dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown: `# rcm-hub ${stage}\nMoney is in **US cents** (12345 = $123.45); ages in seconds. Runbook: ${RUNBOOK}. Metrics: namespace \`${this.namespace}\`, sweep every ${config.sweeperRateMinutes} min.`,
        width: 24,
        height: 2,
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({
        title: 'Alarms',
        // The same array the helper fills: alarms added later (DLQs, other constructs) are listed too.
        alarms: this.alarms,
        width: 24,
        height: 6,
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Workflow funnel: encounters by state',
        left: WORKFLOW_STATES.map((state) => sweeper(METRICS.encountersByState, { State: state }, state)),
        stacked: true,
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Stuck encounters by state (past the stage threshold)',
        left: WORKFLOW_STATES.filter((s) => s in config.stuckHours).map((state) =>
          sweeper(METRICS.stuckEncounters, { State: state }, state),
        ),
        width: 12,
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Revenue at stake (cents)',
        left: [
          sweeper(METRICS.remittancesUnpostedCents, undefined, 'remittances not posted (overdue)'),
          sweeper(METRICS.paymentsUnpostedCents, undefined, 'payments not posted (overdue)'),
          sweeper(METRICS.invoicesAwaitingClaimOverdueCents, undefined, 'invoices awaiting claim (overdue)'),
        ],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Backlogs: counts (left) and oldest age in seconds (right)',
        left: [
          sweeper(METRICS.remittancesUnposted, undefined, 'remittances not posted'),
          sweeper(METRICS.paymentsUnposted, undefined, 'payments not posted'),
          sweeper(METRICS.invoicesAwaitingClaim, undefined, 'invoices awaiting claim'),
        ],
        right: [
          sweeper(METRICS.oldestUnpostedRemittanceAgeSeconds, undefined, 'oldest unposted remittance'),
          sweeper(METRICS.oldestUnpostedPaymentAgeSeconds, undefined, 'oldest unposted payment'),
          sweeper(METRICS.invoicesAwaitingClaimOldestAgeSeconds, undefined, 'oldest invoice awaiting claim'),
        ],
        width: 12,
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Open exceptions by team',
        left: AUDIENCES.map((team) => sweeper(METRICS.openExceptions, { Team: team }, team)),
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Open exceptions: revenue at stake by team (cents)',
        left: AUDIENCES.map((team) => sweeper(METRICS.openExceptionsCents, { Team: team }, team)),
        width: 12,
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Reconciliation: variance by payer (cents)',
        left: [byPayer(METRICS.reconciliationVarianceCents)],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Reconciliation: variances by payer (count)',
        left: [byPayer(METRICS.reconciliationVarianceCount)],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Reconciliation: largest payer variance (cents), failed payers',
        left: [reconciliation(METRICS.reconciliationLargestPayerVarianceCents)],
        right: [reconciliation(METRICS.reconciliationFailedPayers)],
        width: 8,
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Odoo calls and errors (5 min)',
        left: [
          writer(METRICS.odooCalls, 'Sum', 'calls'),
          writer(METRICS.odooCallErrors, 'Sum', 'retryable errors'),
          writer(METRICS.odooRetries, 'Sum', 'in-invocation retries'),
          writer(METRICS.odooWritesRejected, 'Sum', 'writes rejected (DLQ)'),
        ],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Odoo call latency (ms)',
        left: [
          writer(METRICS.odooCallLatency, 'p50', 'p50'),
          writer(METRICS.odooCallLatency, 'p90', 'p90'),
          writer(METRICS.odooCallLatency, 'Maximum', 'max'),
        ],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Webhook deliveries: failed attempts and dead',
        left: [
          this.emfMetric(
            {
              metricName: METRICS.webhookDeliveryFailures,
              emittedBy: METRIC_EMITTERS.deliverWebhooks,
              statistic: 'Sum',
            },
            Duration.minutes(5),
            'failed attempts',
          ),
          this.emfMetric(
            {
              metricName: METRICS.webhookDeliveriesDead,
              emittedBy: METRIC_EMITTERS.deliverWebhooks,
              statistic: 'Sum',
            },
            Duration.minutes(5),
            'dead (DLQ)',
          ),
        ],
        width: 8,
      }),
    );
    // Issue 12: the breaker probe's figures (one datapoint per probe cycle that observed the backlog).
    const probe = (metricName: string, label: string) =>
      this.emfMetric(
        { metricName, emittedBy: METRIC_EMITTERS.odooBreakerProbe, statistic: 'Maximum' },
        Duration.minutes(1),
        label,
      );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Odoo writes: backlog and breaker (1 = open, writers paused)',
        left: [probe(METRICS.odooWriteBacklog, 'backlog')],
        right: [probe(METRICS.odooBreakerOpen, 'breaker open')],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Odoo writes: drain rate (/s) and time to clear the backlog (s)',
        left: [probe(METRICS.odooWriteDrainPerSecond, 'drained per second')],
        right: [probe(METRICS.odooWriteBacklogClearSeconds, 'seconds to clear')],
        width: 12,
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'API: requests, 4xx, 5xx (5 min)',
        left: [api.metricCount({ period: Duration.minutes(5) })],
        right: [
          api.metricClientError({ period: Duration.minutes(5) }),
          api.metricServerError({ period: Duration.minutes(5) }),
        ],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'API latency (ms)',
        left: [
          api.metricLatency({ statistic: 'p50', period: Duration.minutes(5) }),
          api.metricLatency({ statistic: 'p90', period: Duration.minutes(5) }),
        ],
        width: 12,
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Queues: age of oldest message (s)',
        left: queues.map(([name, { queue }]) =>
          queue.metricApproximateAgeOfOldestMessage({
            period: Duration.minutes(5),
            statistic: 'Maximum',
            label: name,
          }),
        ),
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Queues: depth',
        left: queues.map(([name, { queue }]) =>
          queue.metricApproximateNumberOfMessagesVisible({
            period: Duration.minutes(5),
            statistic: 'Maximum',
            label: name,
          }),
        ),
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Dead-letter queues: depth',
        left: queues.map(([name, { dlq }]) =>
          dlq.metricApproximateNumberOfMessagesVisible({
            period: Duration.minutes(1),
            statistic: 'Maximum',
            label: `${name} DLQ`,
          }),
        ),
        width: 8,
      }),
    );
    return dashboard;
  }
}

/** The period of an alarm's metric or metric math expression, in seconds. */
function periodSecondsOf(metric: cloudwatch.IMetric): number | undefined {
  const config = metric.toMetricConfig();
  return config.metricStat?.period.toSeconds() ?? config.mathExpression?.period;
}

function withoutEmails(config: MonitoringProps['config']): MonitoringThresholds {
  const { alertEmails: _emails, ...thresholds } = config;
  return thresholds;
}

function pascal(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}
