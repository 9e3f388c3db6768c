import { Aws, Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

export interface SecurityProps {
  stage: string;
  removalPolicy: RemovalPolicy;
}

/**
 * One customer-managed key for everything that can hold PHI at rest: tables, queues, topic, log groups,
 * secret, event bus and archive. HIPAA: encryption at rest with a key we control and can audit in CloudTrail;
 * yearly rotation on. Service principals that encrypt on our behalf get key-policy statements scoped to
 * this account (and, for logs, to this account's log groups through the encryption context).
 */
export class Security extends Construct {
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: SecurityProps) {
    super(scope, id);

    this.key = new kms.Key(this, 'Key', {
      alias: `alias/rcm-hub/${props.stage}`,
      description: `rcm-hub ${props.stage}: encrypts PHI at rest (tables, queues, topic, logs, secret, bus)`,
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy,
      // A scheduled deletion can still be cancelled for 30 days (only reached when removalPolicy is destroy).
      pendingWindow: Duration.days(30),
    });

    // CloudWatch Logs encrypts each log group with the key; scope it to this account's log groups.
    // https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchLogs',
        principals: [new iam.ServicePrincipal(`logs.${Aws.REGION}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': `arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:log-group:*`,
          },
        },
      }),
    );

    // EventBridge sends failed rule deliveries to the encrypted SQS dead-letter queues.
    // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowEventBridgeRuleDlqs',
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    );

    // CloudWatch alarms publish to the encrypted Alerts topic. No source condition: CloudWatch does not document
    // one for SNS publishing, and the topic policy already limits who can publish.
    // https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarms',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
  }
}
