/**
 * Issue #5: the Webhooks construct — per-source secrets, the inbound and delivery queues with their DLQs and
 * consumers — and the grants each webhook function gets. cdk-nag cleanliness is covered by nag.test.ts.
 */
import { type CfnElement, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { env, handlers, queues, routes, scopes } from '../../lambdas/wiring.js';
import { webhookQueueNames } from '../../lib/webhooks.js';
import { type Synthesized, synthStage } from './synth.js';

function logicalId(construct: IConstruct): string {
  return Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement);
}

function policyActions(s: Synthesized, fn: IConstruct & { role?: IConstruct }): string[] {
  const role = logicalId(fn.role as IConstruct);
  return Object.values(s.template.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(role))
    .flatMap((p) =>
      p.Properties.PolicyDocument.Statement.flatMap((st: { Action: string | string[] }) =>
        Array.isArray(st.Action) ? st.Action : [st.Action],
      ),
    );
}

describe.each(['dev', 'prod'])('webhooks in the %s stack', (stage) => {
  let s: Synthesized;
  let keyArn: unknown;

  beforeAll(() => {
    s = synthStage(stage);
    keyArn = { 'Fn::GetAtt': [logicalId(s.stack.security.key), 'Arn'] };
  });

  it('builds the inbound and delivery queues as standard queues under the CMK, each with its own DLQ', () => {
    // Prepare
    expect(webhookQueueNames.sort()).toEqual(['InboundWebhookQueue', 'WebhookDeliveryQueue']);

    for (const name of webhookQueueNames) {
      // Act
      const { queue, dlq } = s.stack.webhooks.queues[name] as { queue: IConstruct; dlq: IConstruct };
      const props = s.template.toJSON().Resources[logicalId(queue)].Properties;
      const dlqProps = s.template.toJSON().Resources[logicalId(dlq)].Properties;

      // Assess
      expect(props).toMatchObject({
        QueueName: `rcm-hub-${stage}-${name}`,
        VisibilityTimeout: queues[name].visibilityTimeoutSeconds,
        KmsMasterKeyId: keyArn,
        RedrivePolicy: {
          deadLetterTargetArn: { 'Fn::GetAtt': [logicalId(dlq), 'Arn'] },
          maxReceiveCount: queues[name].maxReceiveCount,
        },
      });
      expect(props.FifoQueue).toBeUndefined();
      expect(dlqProps).toMatchObject({
        QueueName: `rcm-hub-${stage}-${name}-dlq`,
        MessageRetentionPeriod: 14 * 24 * 3600,
        KmsMasterKeyId: keyArn,
        RedriveAllowPolicy: { redrivePermission: 'byQueue' },
      });
    }
  });

  it('feeds each webhook consumer in batches with partial failures (the delivery backoff relies on them)', () => {
    for (const name of webhookQueueNames) {
      // Prepare
      const spec = queues[name];
      const { queue } = s.stack.webhooks.queues[name] as { queue: IConstruct };

      // Act / Assess
      s.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: { 'Fn::GetAtt': [logicalId(queue), 'Arn'] },
        FunctionName: { Ref: logicalId(s.stack.functions.byName[spec.consumer]) },
        BatchSize: spec.batchSize,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: spec.maxConcurrency },
      });
    }
  });

  it('keeps the per-source secrets in one CMK-encrypted secret that fails closed until configured', () => {
    s.template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: `rcm-hub/${stage}/webhook-sources`,
      KmsKeyId: keyArn,
      GenerateSecretString: Match.objectLike({
        SecretStringTemplate: '{}',
        GenerateStringKey: 'unconfigured',
      }),
    });
  });

  it('alarms on both webhook dead-letter queues', () => {
    for (const name of webhookQueueNames) {
      const { dlq } = s.stack.webhooks.queues[name] as { dlq: IConstruct };
      s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(dlq), 'QueueName'] } }],
      });
    }
  });

  it('lets the receiver read the source secrets and queue, but never reach Odoo, the bus or the workflow', () => {
    // Prepare
    const fn = s.stack.functions.byName.webhookReceiver;
    const variables = s.template.toJSON().Resources[logicalId(fn)].Properties.Environment.Variables;

    // Act
    const actions = policyActions(s, fn);

    // Assess
    expect(Object.keys(variables)).toEqual(
      expect.arrayContaining([env.webhookSourcesSecret, env.webhookTable, env.inboundWebhookQueue]),
    );
    expect(variables[env.odooSecret]).toBeUndefined();
    expect(variables[env.workflowTable]).toBeUndefined();
    expect(actions).toContain('secretsmanager:GetSecretValue');
    expect(actions).toContain('sqs:SendMessage');
    expect(actions.filter((a) => a.startsWith('events:'))).toEqual([]);
    expect(handlers.webhookReceiver.uses).not.toContain('odooSecret');
  });

  it('lets the delivery consumer move a message’s visibility (its backoff) and dead-letter it', () => {
    // Prepare
    const fn = s.stack.functions.byName.deliverWebhooks;

    // Act
    const actions = policyActions(s, fn);

    // Assess
    expect(actions).toContain('sqs:ChangeMessageVisibility');
    expect(actions).toContain('sqs:SendMessage');
    expect(actions).toContain('events:PutEvents');
  });

  it('opens POST /webhooks/{source} at the gateway (signature checked by the handler), guards subscriptions by scope', () => {
    // Prepare
    const webhook = routes.find((r) => r.operationId === 'receiveWebhook');
    const subscriptionRoutes = routes.filter((r) => r.handler === 'subscriptions');

    // Act / Assess
    expect(webhook?.openBecause).toMatch(/HMAC/);
    s.template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'POST',
      OperationName: 'receiveWebhook',
      AuthorizationType: 'NONE',
    });
    expect(subscriptionRoutes.length).toBe(5);
    for (const route of subscriptionRoutes) {
      expect(route.scope).toBe(scopes.subscriptionsManage);
      s.template.hasResourceProperties('AWS::ApiGateway::Method', {
        OperationName: route.operationId,
        AuthorizationType: 'COGNITO_USER_POOLS',
        AuthorizationScopes: [scopes.subscriptionsManage],
      });
    }
  });

  it('guards the quarantine list and replay with their own operator scope', () => {
    for (const route of routes.filter((r) => r.handler === 'webhookQuarantine')) {
      expect(route.scope).toBe(scopes.webhooksOperate);
      s.template.hasResourceProperties('AWS::ApiGateway::Method', {
        OperationName: route.operationId,
        AuthorizationType: 'COGNITO_USER_POOLS',
        AuthorizationScopes: [scopes.webhooksOperate],
      });
    }
  });

  it('encrypts the webhook table (receipts, quarantine, subscription secrets) with the CMK, PITR on', () => {
    const table = s.stack.data.tables.WebhookTable;
    expect(s.template.toJSON().Resources[logicalId(table)].Properties).toMatchObject({
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: keyArn },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });
});
