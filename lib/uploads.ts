import { Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { UPLOAD_KEY_PREFIX } from '../lambdas/core/x12/uploads.js';
import { acknowledge } from './nag.js';

export interface UploadsProps {
  key: kms.IKey;
  removalPolicy: RemovalPolicy;
  /** Days an uploaded file is kept (default 7): the outcome lives on in the workflow table. */
  expireAfterDays?: number;
}

/**
 * Large X12 835s (docs/x12.md#large-files): partners PUT the file through a presigned URL into this bucket;
 * its ObjectCreated notification invokes the processor directly (S3 → Lambda, asynchronous invocation).
 * Why not S3 → SQS → Lambda: one notification is one file of up to ~15 MB processed for minutes, never a
 * burst to smooth or batch; Lambda's async invocation already retries twice and then sends the event to
 * the on-failure queue below (alarmed), and the processor is safe to re-run (stable ids, upload status).
 */
export class Uploads extends Construct {
  readonly bucket: s3.Bucket;
  /** Notifications the processor failed on after Lambda's retries. */
  readonly processorDlq: sqs.Queue;

  constructor(scope: Construct, id: string, props: UploadsProps) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, 'RemittanceUploads', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.key,
      bucketKeyEnabled: true,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // Off: an upload is a transient input (the outcome is on the upload record); versions would keep
      // overwritten ERAs (PHI) past the expiry below.
      versioned: false,
      lifecycleRules: [
        { expiration: Duration.days(props.expireAfterDays ?? 7), prefix: UPLOAD_KEY_PREFIX },
        { abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      removalPolicy: props.removalPolicy,
      autoDeleteObjects: false,
    });
    const noLogs =
      'Every upload is attributable without access logs: the presigned URL is issued per upload to one authenticated client and recorded (client, correlation id, Idempotency-Key) in the workflow table, the object key names client and upload, and only the processor role reads it; objects expire after 7 days.';
    acknowledge(
      this.bucket,
      { id: 'AwsSolutions-S1', reason: noLogs },
      { id: 'HIPAA.Security-S3BucketLoggingEnabled', reason: noLogs },
      {
        id: 'HIPAA.Security-S3BucketReplicationEnabled',
        reason:
          'Transient inputs kept 7 days; the durable result (events, workflow, Odoo entries) is in the backed-up table and Odoo, and the sender keeps the original ERA and can upload it again.',
      },
      {
        id: 'HIPAA.Security-S3BucketVersioningEnabled',
        reason:
          'Versioning off on purpose: an upload is written once per upload id and expires after 7 days; versions would retain overwritten PHI.',
      },
    );
    this.processorDlq = new sqs.Queue(this, 'ProcessorDlq', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: props.removalPolicy,
    });
    acknowledge(this.processorDlq, {
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the on-failure destination of the upload processor; it has no DLQ of its own.',
    });
  }

  /** ObjectCreated under uploads/*.835 → the processor (async invoke: 2 retries, then the on-failure queue). */
  addProcessor(fn: lambda.IFunction): void {
    new lambda.EventInvokeConfig(this, 'ProcessorInvokeConfig', {
      function: fn,
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
      onFailure: new destinations.SqsDestination(this.processorDlq),
    });
    this.bucket.addEventNotification(s3.EventType.OBJECT_CREATED, new s3n.LambdaDestination(fn), {
      prefix: UPLOAD_KEY_PREFIX,
      suffix: '.835',
    });
    // CDK's BucketNotifications custom resource (one per stack) sets the notification configuration once
    // per deployment; it never touches objects.
    const handler = Stack.of(this).node.tryFindChild(
      'BucketNotificationsHandler050a0587b7544547bf325f094a3db834',
    );
    if (handler) {
      acknowledge(handler, {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason:
          "CDK's own BucketNotifications deployment-time handler (logs only); its rights to the bucket are in a separate policy limited to PutBucketNotification on the uploads bucket.",
      });
    }
    acknowledge(this.bucket, {
      id: 'HIPAA.Security-IAMNoInlinePolicy',
      reason:
        "The policy of CDK's BucketNotifications handler: s3:PutBucketNotification on this bucket only, generated by CDK with the notification and versioned with the stack.",
    });
  }
}
