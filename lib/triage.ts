import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { type HandlerName, type ScheduleName, schedules } from '../lambdas/wiring.js';

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
