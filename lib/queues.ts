import { Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

export interface QueueWithDlqProps {
  /** Physical name without the `.fifo` suffix, e.g. `rcm-hub-dev-OdooWriteQueue`. */
  baseName: string;
  fifo: boolean;
  key: kms.IKey;
  removalPolicy: RemovalPolicy;
  visibilityTimeoutSeconds: number;
  maxReceiveCount: number;
  /** Extra properties of the source queue (FIFO deduplication and throughput settings). */
  queueProps?: Partial<sqs.QueueProps>;
}

const RETENTION = Duration.days(14);

/**
 * A queue and its dead-letter queue, both KMS-encrypted and TLS-only, kept 14 days. Only the source queue
 * may use the DLQ (named by ARN: a reference back would be a circular dependency). Construct ids are
 * `<id>` and `<id>Dlq`, so templates stay stable.
 */
export function queueWithDlq(
  scope: Construct,
  id: string,
  props: QueueWithDlqProps,
): { queue: sqs.Queue; dlq: sqs.Queue } {
  const suffix = props.fifo ? '.fifo' : '';
  const queueName = `${props.baseName}${suffix}`;
  const common = {
    encryption: sqs.QueueEncryption.KMS,
    encryptionMasterKey: props.key,
    enforceSSL: true,
    removalPolicy: props.removalPolicy,
    retentionPeriod: RETENTION,
    ...(props.fifo ? { fifo: true } : {}),
  } as const;
  const dlq = new sqs.Queue(scope, `${id}Dlq`, {
    ...common,
    queueName: `${props.baseName}-dlq${suffix}`,
    redriveAllowPolicy: {
      redrivePermission: sqs.RedrivePermission.BY_QUEUE,
      sourceQueues: [
        sqs.Queue.fromQueueArn(
          scope,
          `${id}Source`,
          Stack.of(scope).formatArn({ service: 'sqs', resource: queueName }),
        ),
      ],
    },
  });
  // cdk-nag recognises it as a DLQ through the source queue's redrive policy (no SQS3 finding).
  const queue = new sqs.Queue(scope, id, {
    ...common,
    queueName,
    visibilityTimeout: Duration.seconds(props.visibilityTimeoutSeconds),
    deadLetterQueue: { queue: dlq, maxReceiveCount: props.maxReceiveCount },
    ...props.queueProps,
  });
  return { queue, dlq };
}
