import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { env } from '../lambdas/wiring.js';

export interface OdooBreakerProps {
  stage: string;
  /** The Odoo writer (the consumer the breaker pauses). */
  writer: lambda.Function;
  /** Its event source on the Odoo write queue: the one mapping the probe may disable and enable. */
  writerEventSource: SqsEventSource;
  writeQueue: sqs.IQueue;
  /** The probe function (wiring.ts `odooBreakerProbe`). */
  probe: lambda.Function;
}

/** The probe's physical name: the writer's grant names it by ARN (a token reference would be a cycle). */
export const odooBreakerProbeName = (stage: string): string => `rcm-hub-${stage}-odooBreakerProbe`;

/**
 * The AWS side of the Odoo circuit breaker (issue 12; the rules are lambdas/core/odoo-breaker.ts, the probe
 * cycle lambdas/core/odoo-breaker-probe.ts, the local side local/odoo-breaker-probe.ts).
 *
 * - The switch is the writer's SQS event source mapping (UpdateEventSourceMapping Enabled=false), not reserved
 *   concurrency 0: with concurrency 0 the mapping keeps polling, each received batch is throttled and comes
 *   back after the visibility timeout with a receive spent, so a long outage still dead-letters the backlog.
 *   A disabled mapping receives nothing; the messages wait, visible, with their receive counts untouched.
 * - The probe runs every minute and when a writer opens the breaker (asynchronous invoke), cycles every 2 s
 *   while the breaker is open, and re-enables the mapping as soon as Odoo answers. Its invocations are
 *   never retried (a missed one is the next minute's job); two at once are harmless (each makes the mapping
 *   follow the breaker's state, lambdas/handlers/odoo-breaker-probe.ts).
 * - Least privilege: the probe may read and update that one mapping (by its ARN) and read the write queue's
 *   attributes; the writer may invoke that one function. Nothing else is added.
 */
export class OdooBreaker extends Construct {
  readonly schedule: events.Rule;
  private readonly probe: lambda.Function;

  constructor(scope: Construct, id: string, props: OdooBreakerProps) {
    super(scope, id);
    const { probe, writer, writerEventSource, writeQueue, stage } = props;
    this.probe = probe;
    const probeName = odooBreakerProbeName(stage);
    const cfnProbe = probe.node.defaultChild as lambda.CfnFunction;
    cfnProbe.functionName = probeName;

    probe.addEnvironment(env.odooWriterEventSourceMapping, writerEventSource.eventSourceMappingId);
    probe.addEnvironment(env.odooBreakerBacklogQueue, writeQueue.queueUrl);
    probe.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'PauseAndResumeTheOdooWriter',
        actions: ['lambda:GetEventSourceMapping', 'lambda:UpdateEventSourceMapping'],
        resources: [writerEventSource.eventSourceMappingArn],
      }),
    );
    probe.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ReadTheOdooWriteBacklog',
        actions: ['sqs:GetQueueAttributes'],
        resources: [writeQueue.queueArn],
      }),
    );
    new lambda.EventInvokeConfig(this, 'ProbeInvokeConfig', {
      function: probe,
      retryAttempts: 0,
      maxEventAge: Duration.minutes(1),
    });

    writer.addEnvironment(env.odooBreakerProbeFunction, probeName);
    writer.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'WakeTheOdooBreakerProbe',
        actions: ['lambda:InvokeFunction'],
        resources: [
          Stack.of(this).formatArn({
            service: 'lambda',
            resource: 'function',
            resourceName: probeName,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
    );

    this.schedule = new events.Rule(this, 'ProbeSchedule', {
      description: 'Odoo breaker probe: resume the Odoo writer when Odoo answers, record the write backlog',
      schedule: events.Schedule.rate(Duration.minutes(1)),
      // A missed minute is repaired by the next one; retrying later would only overlap them.
      targets: [new targets.LambdaFunction(probe, { retryAttempts: 0, maxEventAge: Duration.minutes(1) })],
    });
  }

  /** The topic the probe tells when the breaker opens and closes (publish on that one topic only). */
  tellTopic(topic: sns.ITopic): void {
    this.probe.addEnvironment(env.odooBreakerAlertTopic, topic.topicArn);
    topic.grantPublish(this.probe);
  }
}
