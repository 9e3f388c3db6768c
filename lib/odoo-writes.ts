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
import { queueWithDlq } from './queues.js';

export interface OdooWritesProps {
  stage: string;
  key: kms.IKey;
  removalPolicy: RemovalPolicy;
  /** Stage override of the queue's maxReceiveCount (cdk.json `odooWriteMaxReceiveCount`). */
  maxReceiveCount: number;
  /** Stage override of the consumer's maxConcurrency (cdk.json `odooWriteConcurrency`). */
  maxConcurrency: number;
  /** How long a write whose answer was lost may still commit in the stage's Odoo (cdk.json `odooLateCommitSeconds`). */
  lateCommitSeconds: number;
  /** Rounds of one ERA that book at once (cdk.json `odooEraLanes`). */
  eraLanes: number;
}

export interface QueuePair {
  spec: QueueSpec;
  queue: sqs.Queue;
  dlq: sqs.Queue;
}

/** SQS keeps a message at most 14 days; the DLQ keeps it that long so an operator can still redrive it. */

/**
 * The queues that carry writes into Odoo, from `queues` in wiring.ts: a FIFO queue per entry (grouped by
 * encounter, deduplicated by our event id — content-based dedup is off because the sender always sets
 * MessageDeduplicationId), its FIFO dead-letter queue, and the consumer's event source (added once the
 * functions exist, `addConsumers`). High-throughput FIFO: dedup and throughput are per message group.
 */
export class OdooWrites extends Construct {
  readonly queues: Record<QueueName, QueuePair>;
  /** Each queue's event source (its mapping is what the Odoo breaker disables, lib/odoo-breaker.ts). */
  readonly eventSources: Partial<Record<QueueName, SqsEventSource>> = {};

  constructor(
    scope: Construct,
    id: string,
    private readonly props: OdooWritesProps,
  ) {
    super(scope, id);
    // Queues another construct builds (`builtBy`, e.g. lib/webhooks.ts) are not Odoo writes.
    const odooWriteQueues = (Object.entries(queues) as [QueueName, QueueSpec][]).filter(
      ([, spec]) => spec.builtBy === undefined,
    );
    this.queues = Object.fromEntries(
      odooWriteQueues.map(([name, spec]) => {
        if (!spec.fifo) throw new Error(`Queue ${name}: only FIFO queues are supported by OdooWrites`);
        const { queue, dlq } = queueWithDlq(this, name, {
          baseName: `rcm-hub-${props.stage}-${name}`,
          fifo: true,
          key: props.key,
          removalPolicy: props.removalPolicy,
          visibilityTimeoutSeconds: spec.visibilityTimeoutSeconds,
          maxReceiveCount: props.maxReceiveCount,
          // Explicit dedup ids (our event ids); high-throughput FIFO partitions by encounter.
          queueProps: {
            contentBasedDeduplication: false,
            deduplicationScope: sqs.DeduplicationScope.MESSAGE_GROUP,
            fifoThroughputLimit: sqs.FifoThroughputLimit.PER_MESSAGE_GROUP_ID,
          },
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
    for (const [name, { spec, queue }] of Object.entries(this.queues) as [QueueName, QueuePair][]) {
      const consumer = functions[spec.consumer];
      // The consumer gives a transiently failing message up to the DLQ itself, with its reason, on the last
      // receive SQS allows; so it must know the same count the redrive policy uses.
      consumer.addEnvironment(env.odooWriteMaxReceiveCount, String(this.props.maxReceiveCount));
      consumer.addEnvironment(env.odooLateCommitSeconds, String(this.props.lateCommitSeconds));
      // ERA booking's other settings keep their defaults (core/era-booking.ts DEFAULT_ERA_BOOKING).
      if (this.props.eraLanes > 1)
        consumer.addEnvironment(env.odooEraBooking, JSON.stringify({ lanes: this.props.eraLanes }));
      const source = new SqsEventSource(queue, {
        batchSize: spec.batchSize,
        reportBatchItemFailures: true,
        maxConcurrency: this.props.maxConcurrency,
      });
      consumer.addEventSource(source);
      this.eventSources[name] = source;
    }
  }
}
