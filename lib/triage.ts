import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { RUNBOOK } from '../lambdas/monitoring-alarms.js';
import { type HandlerName, type ScheduleName, schedules } from '../lambdas/wiring.js';
import type { AlarmSpec } from './monitoring.js';

export interface TriageSchedulesProps {
  functions: Record<HandlerName, lambda.IFunction>;
}

/**
 * The schedules of triage and payer insights (docs/triage.md): one EventBridge rule per wiring.ts schedule that
 * carries its own rate (the SLA sweep's rate is stage config and lib/monitoring.ts builds it). The functions
 * and their least-privilege grants come from wiring.ts like every other (lib/functions.ts).
 */
export class TriageSchedules extends Construct {
  readonly rules: Partial<Record<ScheduleName, events.Rule>> = {};

  constructor(scope: Construct, id: string, props: TriageSchedulesProps) {
    super(scope, id);
    for (const [name, spec] of Object.entries(schedules) as Array<
      [ScheduleName, (typeof schedules)[ScheduleName]]
    >) {
      if (!('rateMinutes' in spec)) continue;
      this.rules[name] = new events.Rule(this, `${name}Schedule`, {
        description: spec.description,
        schedule: events.Schedule.rate(Duration.minutes(spec.rateMinutes)),
        // A missed run is repaired by the next one (both are idempotent); retrying past a period only overlaps.
        targets: [
          new targets.LambdaFunction(props.functions[spec.handler], {
            retryAttempts: 2,
            maxEventAge: Duration.minutes(Math.min(spec.rateMinutes, 24 * 60)),
          }),
        ],
      });
    }
  }
}

/** Alert when the Odoo write backlog needs longer than this to clear at the rate Odoo is taking writes. */
export const BACKLOG_DRAIN_ALARM_SECONDS = 2 * 3600;
const DRAIN_PERIOD = Duration.minutes(15);

/**
 * The Odoo write backlog's time to drain, as the alarm's own value (lambdas/core/insights/forecast.ts
 * drainForecast is the same rule): messages waiting ÷ messages the writer deleted (= posted or given up) per
 * second over the last 15 minutes. Nothing posted while messages wait reads as 10^7 s (does not drain).
 */
export function backlogDrainAlarm(queue: sqs.IQueue): AlarmSpec {
  const visible = queue.metricApproximateNumberOfMessagesVisible({
    statistic: 'Maximum',
    period: DRAIN_PERIOD,
  });
  const deleted = queue.metricNumberOfMessagesDeleted({ statistic: 'Sum', period: DRAIN_PERIOD });
  return {
    metric: new cloudwatch.MathExpression({
      expression:
        'IF(FILL(deleted, 0) > 0, FILL(visible, 0) / (FILL(deleted, 0) / PERIOD(deleted)), IF(FILL(visible, 0) > 0, 10000000, 0))',
      usingMetrics: { visible, deleted },
      label: 'Seconds for the Odoo write backlog to clear at the measured posting rate',
      period: DRAIN_PERIOD,
    }),
    description: `At the rate Odoo has taken writes over the last 15 minutes, the Odoo write backlog needs more than ${BACKLOG_DRAIN_ALARM_SECONDS / 3600} h to clear. The value is that time in seconds (12000 = at this rate the backlog clears in 3 h 20 min; 10000000 = nothing is being posted). No money is lost: every write waits in the FIFO queue. Runbook: ${RUNBOOK}#odoo-down. Look: GET /health, the OdooWriteQueueAge alarm and the Odoo writer's error rate.`,
    threshold: BACKLOG_DRAIN_ALARM_SECONDS,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    evaluationPeriods: 1,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  };
}
