import { Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  type HandlerName,
  type QueueName,
  type QueueSpec,
  queues,
  type Resource,
} from '../lambdas/wiring.js';
import { acknowledge } from './nag.js';
import { queueWithDlq } from './queues.js';

export interface WebhooksProps {
  stage: string;
  key: kms.IKey;
  removalPolicy: RemovalPolicy;
}

export interface WebhookQueuePair {
  spec: QueueSpec;
  queue: sqs.Queue;
  dlq: sqs.Queue;
}

/** SQS keeps a message at most 14 days; the DLQ keeps it that long so an operator can still redrive it. */

/** The wiring.ts queues this construct builds (`builtBy: 'webhooks'`). */
export const webhookQueueNames = (Object.entries(queues) as [QueueName, QueueSpec][])
  .filter(([, spec]) => spec.builtBy === 'webhooks')
  .map(([name]) => name);

/**
 * Webhooks both ways (docs/webhooks.md): the per-source secrets senders sign with, the inbound queue (accepted
 * webhooks are mapped after the 2xx) and the outbound delivery queue, each a standard queue with its DLQ,
 * encrypted with the stage CMK. Standard, not FIFO: the delivery consumer sets each failed message's visibility
 * timeout to its backoff delay, and one slow subscriber must not hold back a message group.
 * The webhook table itself comes from wiring.ts `tables` (Data construct: CMK, PITR, backups).
 * HIPAA: receipts, quarantined payloads and delivery messages may hold PHI; all at rest under the CMK, TLS only.
 */
export class Webhooks extends Construct {
  readonly queues: Record<string, WebhookQueuePair> = {};
  readonly sourcesSecret: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: WebhooksProps) {
    super(scope, id);

    // Filled by an operator with {"<source>":{"secrets":["<current>","<previous>"]}} (docs/webhooks.md#secrets).
    // Until then the placeholder parses as no source at all: every webhook gets 401 (fails closed).
    this.sourcesSecret = new secretsmanager.Secret(this, 'SourcesSecret', {
      secretName: `rcm-hub/${props.stage}/webhook-sources`,
      description: `rcm-hub ${props.stage}: per-source inbound webhook secrets (HMAC keys; Odoo URL token)`,
      encryptionKey: props.key,
      removalPolicy: props.removalPolicy,
      generateSecretString: {
        secretStringTemplate: JSON.stringify({}),
        generateStringKey: 'unconfigured',
        excludePunctuation: true,
        passwordLength: 32,
      },
    });
    const rotationReason =
      'Webhook secrets are shared with outside senders (clearinghouse, gateway, Odoo automation rule), so a Lambda cannot rotate them alone; an operator rotates them with two active secrets per source so no delivery is dropped (docs/webhooks.md#rotation).';
    acknowledge(
      this.sourcesSecret,
      { id: 'AwsSolutions-SMG4', reason: rotationReason },
      { id: 'HIPAA.Security-SecretsManagerRotationEnabled', reason: rotationReason },
    );

    for (const name of webhookQueueNames) {
      const spec = queues[name] as QueueSpec;
      const { queue, dlq } = queueWithDlq(this, name, {
        baseName: `rcm-hub-${props.stage}-${name}`,
        fifo: false,
        key: props.key,
        removalPolicy: props.removalPolicy,
        visibilityTimeoutSeconds: spec.visibilityTimeoutSeconds,
        maxReceiveCount: spec.maxReceiveCount,
      });
      this.queues[name] = { spec, queue, dlq };
    }
  }

  /** The queues and DLQs by the wiring.ts `Resource` that names them. */
  byResource(): Partial<Record<Resource, sqs.IQueue>> {
    const out: Partial<Record<Resource, sqs.IQueue>> = {};
    for (const { spec, queue, dlq } of Object.values(this.queues)) {
      out[spec.queueResource] = queue;
      out[spec.dlqResource] = dlq;
    }
    return out;
  }

  /** Each queue's consumer: partial batch responses (the delivery consumer's backoff relies on them). */
  addConsumers(functions: Record<HandlerName, lambda.Function>): void {
    for (const { spec, queue } of Object.values(this.queues)) {
      functions[spec.consumer].addEventSource(
        new SqsEventSource(queue, {
          batchSize: spec.batchSize,
          reportBatchItemFailures: true,
          maxConcurrency: spec.maxConcurrency,
        }),
      );
    }
  }
}
