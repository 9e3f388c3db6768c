import { Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  env,
  type HandlerName,
  type QueueName,
  type QueueSpec,
  queues,
  type Resource,
} from '../lambdas/wiring.js';

export interface OdooWritesProps {
  stage: string;
  key: kms.IKey;
  removalPolicy: RemovalPolicy;
  /** Stage override of the queue's maxReceiveCount (cdk.json `odooWriteMaxReceiveCount`). */
  maxReceiveCount: number;
  /** Stage override of the consumer's maxConcurrency (cdk.json `odooWriteConcurrency`). */
  maxConcurrency: number;
}

export interface QueuePair {
  spec: QueueSpec;
  queue: sqs.Queue;
  dlq: sqs.Queue;
}

/** SQS keeps a message at most 14 days; the DLQ keeps it that long so an operator can still redrive it. */
const RETENTION = Duration.days(14);

/**
 * The queues that carry writes into Odoo, from `queues` in wiring.ts: a FIFO queue per entry (grouped by
 * encounter, deduplicated by our event id — content-based dedup is off because the sender always sets
 * MessageDeduplicationId), its FIFO dead-letter queue, and the consumer's event source (added once the
 * functions exist, `addConsumers`). High-throughput FIFO: dedup and throughput are per message group.
 */
export class OdooWrites extends Construct {
  readonly queues: Record<QueueName, QueuePair>;

  constructor(
    scope: Construct,
    id: string,
    private readonly props: OdooWritesProps,
  ) {
    super(scope, id);
    const stack = Stack.of(this);
    // Queues another construct builds (`builtBy`, e.g. lib/webhooks.ts) are not Odoo writes.
    const odooWriteQueues = (Object.entries(queues) as [QueueName, QueueSpec][]).filter(
      ([, spec]) => spec.builtBy === undefined,
    );
    this.queues = Object.fromEntries(
      odooWriteQueues.map(([name, spec]) => {
        if (!spec.fifo) throw new Error(`Queue ${name}: only FIFO queues are supported by OdooWrites`);
        const queueName = `rcm-hub-${props.stage}-${name}.fifo`;
        const encryption = {
          encryption: sqs.QueueEncryption.KMS,
          encryptionMasterKey: props.key,
          enforceSSL: true,
          removalPolicy: props.removalPolicy,
        } as const;

        const dlq = new sqs.Queue(this, `${name}Dlq`, {
          ...encryption,
          queueName: `rcm-hub-${props.stage}-${name}-dlq.fifo`,
          fifo: true,
          retentionPeriod: RETENTION,
          // Only this queue may use it as a DLQ. The source is named by ARN, not by reference: the source's
          // redrive policy already points here, and a reference back would be a circular dependency.
          redriveAllowPolicy: {
            redrivePermission: sqs.RedrivePermission.BY_QUEUE,
            sourceQueues: [
              sqs.Queue.fromQueueArn(
                this,
                `${name}Source`,
                stack.formatArn({ service: 'sqs', resource: queueName }),
              ),
            ],
          },
        });
        // cdk-nag recognises it as a DLQ through the source queue's redrive policy (no SQS3 finding).

        const queue = new sqs.Queue(this, name, {
          ...encryption,
          queueName,
          fifo: true,
          contentBasedDeduplication: false,
          deduplicationScope: sqs.DeduplicationScope.MESSAGE_GROUP,
          fifoThroughputLimit: sqs.FifoThroughputLimit.PER_MESSAGE_GROUP_ID,
          visibilityTimeout: Duration.seconds(spec.visibilityTimeoutSeconds),
          retentionPeriod: RETENTION,
          deadLetterQueue: { queue: dlq, maxReceiveCount: props.maxReceiveCount },
        });
        return [name, { spec, queue, dlq }];
      }),
    ) as Record<QueueName, QueuePair>;
  }

  /** The queues and DLQs by the wiring.ts `Resource` that names them (`queueResource`, `dlqResource`). */
  byResource(): Partial<Record<Resource, sqs.IQueue>> {
    const out: Partial<Record<Resource, sqs.IQueue>> = {};
    for (const { spec, queue, dlq } of Object.values(this.queues)) {
      out[spec.queueResource] = queue;
      out[spec.dlqResource] = dlq;
    }
    return out;
  }

  /** Attach each queue's consumer (partial batch responses on, concurrency bounded to protect Odoo). */
  addConsumers(functions: Record<HandlerName, lambda.Function>): void {
    for (const { spec, queue } of Object.values(this.queues)) {
      const consumer = functions[spec.consumer];
      // The consumer gives a transiently failing message up to the DLQ itself, with its reason, on the last
      // receive SQS allows; so it must know the same count the redrive policy uses.
      consumer.addEnvironment(env.odooWriteMaxReceiveCount, String(this.props.maxReceiveCount));
      consumer.addEventSource(
        new SqsEventSource(queue, {
          batchSize: spec.batchSize,
          reportBatchItemFailures: true,
          maxConcurrency: this.props.maxConcurrency,
        }),
      );
    }
  }
}
