/**
 * Issue #4, large X12 files: the uploads bucket, its notification to the processor, and the least-privilege
 * grants of the two upload functions. cdk-nag cleanliness is covered by nag.test.ts.
 */
import { type CfnElement, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { env } from '../../lambdas/wiring.js';
import { type Synthesized, synthStage } from './synth.js';

function logicalId(construct: IConstruct): string {
  return Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement);
}

function statementsOf(s: Synthesized, fn: IConstruct & { role?: IConstruct }) {
  const role = logicalId(fn.role as IConstruct);
  return Object.values(s.template.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(role))
    .flatMap(
      (p) => p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>,
    );
}
const actionsOf = (s: Synthesized, fn: IConstruct & { role?: IConstruct }) =>
  statementsOf(s, fn).flatMap((st) => (Array.isArray(st.Action) ? st.Action : [st.Action]));

describe.each(['dev', 'prod'])('remittance uploads in the %s stack', (stage) => {
  let s: Synthesized;
  let bucketId: string;

  beforeAll(() => {
    s = synthStage(stage);
    bucketId = logicalId(s.stack.uploads.bucket);
  });

  it('keeps uploads in a private, KMS-encrypted, SSL-only bucket that expires them after 7 days', () => {
    s.template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          {
            BucketKeyEnabled: true,
            ServerSideEncryptionByDefault: {
              SSEAlgorithm: 'aws:kms',
              KMSMasterKeyID: { 'Fn::GetAtt': [logicalId(s.stack.security.key), 'Arn'] },
            },
          },
        ],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ ExpirationInDays: 7, Prefix: 'uploads/', Status: 'Enabled' }),
        ]),
      },
    });
    const bucket = s.template.findResources('AWS::S3::Bucket')[bucketId];
    expect(bucket?.Properties.VersioningConfiguration).toBeUndefined();
    s.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('invokes the processor on ObjectCreated under uploads/*.835, with retries and an on-failure queue', () => {
    const processor = s.stack.functions.byName.x12UploadProcessor;
    s.template.hasResourceProperties('Custom::S3BucketNotifications', {
      BucketName: { Ref: bucketId },
      NotificationConfiguration: {
        LambdaFunctionConfigurations: [
          Match.objectLike({
            Events: ['s3:ObjectCreated:*'],
            LambdaFunctionArn: { 'Fn::GetAtt': [logicalId(processor), 'Arn'] },
            Filter: {
              Key: {
                FilterRules: Match.arrayWith([{ Name: 'prefix', Value: 'uploads/' }]),
              },
            },
          }),
        ],
      },
    });
    s.template.hasResourceProperties('Custom::S3BucketNotifications', {
      NotificationConfiguration: {
        LambdaFunctionConfigurations: [
          Match.objectLike({
            Filter: { Key: { FilterRules: Match.arrayWith([{ Name: 'suffix', Value: '.835' }]) } },
          }),
        ],
      },
    });
    s.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: logicalId(processor) },
      MaximumRetryAttempts: 2,
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [logicalId(s.stack.uploads.processorDlq), 'Arn'] } },
      },
    });
    s.template.hasResourceProperties('AWS::Lambda::Function', {
      Timeout: 900,
      MemorySize: 1024,
      Environment: { Variables: Match.objectLike({ [env.remittanceUploadsBucket]: { Ref: bucketId } }) },
    });
  });

  it('grants PutObject to the API function and GetObject to the processor, on uploads/* only', () => {
    const api = s.stack.functions.byName.remittanceUploads;
    const processor = s.stack.functions.byName.x12UploadProcessor;
    const s3Of = (fn: typeof api) => actionsOf(s, fn).filter((a) => a.startsWith('s3:'));
    expect(s3Of(api)).toEqual(['s3:PutObject']);
    expect(s3Of(processor)).toEqual(['s3:GetObject']);
    expect(actionsOf(s, processor)).toContain('kms:Decrypt');
    expect(actionsOf(s, api)).toContain('kms:GenerateDataKey');
    for (const fn of [api, processor]) {
      const s3Statement = statementsOf(s, fn).find((st) => JSON.stringify(st.Action).includes('s3:'));
      expect(JSON.stringify(s3Statement?.Resource)).toContain('/uploads/*');
    }
    // No other function reaches the bucket.
    for (const [name, fn] of Object.entries(s.stack.functions.byName)) {
      if (fn === api || fn === processor) continue;
      expect(
        actionsOf(s, fn).filter((a) => a.startsWith('s3:')),
        name,
      ).toEqual([]);
    }
  });
});
