import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface MonitoringProps {
  stage: string;
  key: kms.IKey;
  alarmEmails: readonly string[];
}

/** Where alarm descriptions send the on-call engineer. */
export const RUNBOOK = 'docs/operations.md';

export interface AlarmSpec {
  metric: cloudwatch.IMetric;
  /** What happened and where to look; shown in the notification. Never PHI (no identifiers, no payloads). */
  description: string;
  threshold: number;
  comparisonOperator: cloudwatch.ComparisonOperator;
  evaluationPeriods?: number;
  treatMissingData?: cloudwatch.TreatMissingData;
}

/**
 * Alerts for the on-call: one encrypted SNS topic and one helper (metric → alarm → SNS alarm and OK actions)
 * so every alarm, now and later, notifies the same way.
 */
export class Monitoring extends Construct {
  readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'Alerts', {
      topicName: `rcm-hub-${props.stage}-alerts`,
      displayName: `rcm-hub ${props.stage} alerts`,
      masterKey: props.key,
      enforceSSL: true,
    });
    for (const email of props.alarmEmails) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(email));
    }
  }

  /** metric → alarm → SNS (alarm and OK actions, so the on-call also learns when it is over). */
  addAlarm(id: string, spec: AlarmSpec): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, id, {
      metric: spec.metric,
      alarmDescription: spec.description,
      threshold: spec.threshold,
      comparisonOperator: spec.comparisonOperator,
      evaluationPeriods: spec.evaluationPeriods ?? 1,
      treatMissingData: spec.treatMissingData ?? cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const action = new actions.SnsAction(this.topic);
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
    return alarm;
  }

  /** Any message in a dead-letter queue means a write or delivery gave up: a person must look. */
  addDlqAlarm(id: string, dlq: sqs.IQueue, what: string, runbookSection: string): cloudwatch.Alarm {
    return this.addAlarm(id, {
      metric: dlq.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
        statistic: 'Maximum',
      }),
      description: `${what} Messages are waiting in dead-letter queue ${dlq.queueName}. See ${RUNBOOK}#${runbookSection} to read the failure reason and redrive.`,
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    });
  }
}
