import { Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { PHI_EVENT_TYPES } from '../lambdas/core/events.js';
import { type EventPattern, eventRoutes, type HandlerName } from '../lambdas/wiring.js';
import { acknowledge } from './nag.js';

export interface EventsProps {
  stage: string;
  key: kms.IKey;
  removalPolicy: RemovalPolicy;
  archiveRetentionDays: number;
}

/** EventBridge delivers to a target for at most 24 h / 185 attempts; we keep both maxima, then the rule DLQ. */
const TARGET_MAX_EVENT_AGE = Duration.hours(24);
const TARGET_RETRY_ATTEMPTS = 185;

/**
 * The hub's business-event bus (encrypted with the stage CMK), an archive of every event for replay, and one
 * rule per entry of `eventRoutes` in wiring.ts. Rules are added once the functions exist (`addRoutes`).
 */
export class Events extends Construct {
  readonly bus: events.EventBus;
  readonly archive: events.Archive;
  /** Dead-letter queue of each rule target, by route name (alarmed in monitoring). */
  readonly ruleDlqs: Record<string, sqs.Queue> = {};
  readonly rules: Record<string, events.Rule> = {};

  constructor(
    scope: Construct,
    id: string,
    private readonly props: EventsProps,
  ) {
    super(scope, id);
    const busName = `rcm-hub-${props.stage}`;
    this.bus = new events.EventBus(this, 'Bus', {
      eventBusName: busName,
      description: `rcm-hub ${props.stage}: business events (InvoiceIssued, ...)`,
      kmsKey: props.key,
    });
    this.bus.applyRemovalPolicy(props.removalPolicy);

    // Everything this account puts on the bus: replay after an incident, evidence of what was sent.
    // `new Archive` rather than `bus.archive()`: the latter drops `kmsKey` in aws-cdk-lib 2.276 (the archive
    // would fall back to an AWS owned key); stack.test.ts guards this. The bus is named by its ARN, not by
    // reference: the archive adds a key-policy statement conditioned on the bus ARN, and a reference would make
    // key → bus → key a dependency cycle.
    const busByArn = events.EventBus.fromEventBusArn(
      this,
      'BusByArn',
      Stack.of(this).formatArn({ service: 'events', resource: 'event-bus', resourceName: busName }),
    );
    this.archive = new events.Archive(this, 'Archive', {
      sourceEventBus: busByArn,
      archiveName: `rcm-hub-${props.stage}-all`,
      description: 'Every event on the bus but PHI-bearing ones, for replay',
      // PatientUpserted carries name, birth date and address (PHI): kept out of the long archive (issue #15);
      // a lost patient update is re-sent by the EHR, and the master record holds the survivor meanwhile.
      eventPattern: {
        account: [Stack.of(this).account],
        detailType: [{ 'anything-but': [...PHI_EVENT_TYPES] }] as unknown as string[],
      },
      retention: Duration.days(props.archiveRetentionDays),
      kmsKey: props.key,
    });
    this.archive.node.addDependency(this.bus);
  }

  /** One rule per `eventRoutes` entry, targeting that route's handler function. */
  addRoutes(functions: Record<HandlerName, lambda.IFunction>): void {
    for (const route of eventRoutes) {
      const dlq = new sqs.Queue(this, `${route.name}Dlq`, {
        encryptionMasterKey: this.props.key,
        encryption: sqs.QueueEncryption.KMS,
        enforceSSL: true,
        retentionPeriod: Duration.days(14),
        removalPolicy: this.props.removalPolicy,
      });
      acknowledge(dlq, {
        id: 'AwsSolutions-SQS3',
        reason: `This queue is itself the dead-letter queue of the ${route.name} rule target; it is alarmed (Monitoring) and redriven by an operator.`,
      });
      const rule = new events.Rule(this, route.name, {
        eventBus: this.bus,
        ruleName: route.name,
        description: route.description,
        eventPattern: toCdkEventPattern(route.pattern),
      });
      rule.addTarget(
        new targets.LambdaFunction(functions[route.target.handler], {
          deadLetterQueue: dlq,
          maxEventAge: TARGET_MAX_EVENT_AGE,
          retryAttempts: TARGET_RETRY_ATTEMPTS,
        }),
      );
      this.ruleDlqs[route.name] = dlq;
      this.rules[route.name] = rule;
    }
  }
}

/** Top-level pattern fields as the AWS API spells them → the CDK `EventPattern` property names. */
const patternKeys: Record<string, keyof events.EventPattern> = {
  version: 'version',
  id: 'id',
  'detail-type': 'detailType',
  source: 'source',
  account: 'account',
  time: 'time',
  region: 'region',
  resources: 'resources',
  detail: 'detail',
};

/** wiring.ts keeps patterns in the AWS API form (shared with the local bus); CDK renders them back identically. */
export function toCdkEventPattern(pattern: EventPattern): events.EventPattern {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(pattern)) {
    const cdkKey = patternKeys[key];
    if (!cdkKey) throw new Error(`Unsupported top-level event pattern field "${key}"`);
    out[cdkKey] = value;
  }
  return out as events.EventPattern;
}
