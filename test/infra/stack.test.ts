/**
 * The stack says what wiring.ts and cdk.json say: one function per handler with exactly its resources,
 * the Odoo write FIFO queue and its DLQ, the bus rules, the API routes, and the encrypted stores.
 */
import { type CfnElement, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { PHI_EVENT_TYPES } from '../../lambdas/core/events.js';
import {
  env,
  eventRoutes,
  type HandlerName,
  type HandlerSpec,
  handlers,
  opsScopes,
  queues,
  type Resource,
  resourceEnv,
  roleScopes,
  routes,
  type TableSpec,
  tables,
} from '../../lambdas/wiring.js';
import { splitScope } from '../../lib/api.js';
import { type StageConfig, StageConfig as StageConfigSchema } from '../../lib/config.js';
import { ITEM_CHANGING_ACTIONS, type TableName } from '../../lib/data.js';
import { reconciliationStateMachineName } from '../../lib/reconciliation.js';
import { matchesEventPattern } from '../../local/aws/event-pattern.js';
import { cdkContext, type Synthesized, synthStage } from './synth.js';

const stages = cdkContext.stages as Record<string, unknown>;

function logicalId(construct: IConstruct): string {
  return Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement);
}

const resourcesOf = (s: Synthesized, type: string) => s.template.findResources(type);
/** Queues OdooWrites builds; those with `builtBy` (webhooks, issue #5) are covered by webhooks.test.ts. */
const odooWriteQueues = Object.entries(queues).filter(([, spec]) => !('builtBy' in spec));

describe.each(['dev', 'prod'])('the %s stack', (stage) => {
  let s: Synthesized;
  let config: StageConfig;
  let keyArn: unknown;

  beforeAll(() => {
    s = synthStage(stage);
    config = StageConfigSchema.parse(stages[stage]);
    keyArn = { 'Fn::GetAtt': [logicalId(s.stack.security.key), 'Arn'] };
  });

  describe('functions', () => {
    it('has one Lambda function per entry of handlers, on Node 24 / ARM64 with active tracing', () => {
      // Besides ours: CDK's BucketNotifications handler (uploads bucket → processor; test/infra/uploads.test.ts).
      const ours = Object.entries(resourcesOf(s, 'AWS::Lambda::Function')).filter(
        ([id]) => !id.startsWith('BucketNotificationsHandler'),
      );
      expect(ours).toHaveLength(Object.keys(handlers).length);
      for (const [, fn] of ours) {
        expect(fn.Properties).toMatchObject({
          Runtime: 'nodejs24.x',
          Architectures: ['arm64'],
          TracingConfig: { Mode: 'Active' },
          Handler: 'index.handler',
        });
      }
    });

    it.each(Object.keys(handlers) as HandlerName[])(
      '%s has its spec, the Powertools env and exactly its resources',
      (name) => {
        // Prepare
        const spec = handlers[name];
        const fn = s.stack.functions.byName[name];
        const props = s.template.toJSON().Resources[logicalId(fn)].Properties;
        const variables: Record<string, unknown> = props.Environment.Variables;

        // Assess
        expect(props).toMatchObject({
          Description: spec.description,
          Timeout: spec.timeoutSeconds,
          MemorySize: spec.memoryMb,
        });
        expect(props.LoggingConfig.LogGroup).toBeDefined();
        // Maps ship unlinked (lib/bundling.ts): no `--enable-source-maps` slowing every cold start.
        expect(variables.NODE_OPTIONS).toBeUndefined();
        expect(variables).toMatchObject({
          POWERTOOLS_SERVICE_NAME: 'rcm-hub',
          POWERTOOLS_METRICS_NAMESPACE: `rcm-hub-${stage}`,
          POWERTOOLS_TRACER_CAPTURE_RESPONSE: 'false',
          POWERTOOLS_LOGGER_LOG_EVENT: 'false',
          [env.stage]: stage,
        });
        expect(variables[env.idempotencyTtlSeconds]).toBe(
          (spec.uses as readonly Resource[]).includes('idempotencyTable')
            ? String(config.idempotencyTtlHours * 3600)
            : undefined,
        );
        const resourceVars = Object.entries(resourceEnv) as [Resource, string][];
        for (const [resource, variable] of resourceVars) {
          if ((spec.uses as readonly Resource[]).includes(resource))
            expect(variables[variable], variable).toBeDefined();
          else expect(variables[variable], variable).toBeUndefined();
        }
      },
    );

    it.each(Object.keys(handlers) as HandlerName[])(
      '%s: each resource variable points at that resource',
      (name) => {
        const variables =
          s.template.toJSON().Resources[logicalId(s.stack.functions.byName[name])].Properties.Environment
            .Variables;
        for (const resource of handlers[name].uses as readonly Resource[]) {
          if (resource === 'reconciliationStateMachine') {
            // Referenced by its fixed name (it is built after the functions its tasks call): the ARN is
            // formatted from it (test/infra/reconciliation.test.ts checks the name).
            expect(JSON.stringify(variables[resourceEnv[resource]])).toContain(
              `:stateMachine:${reconciliationStateMachineName(stage)}"`,
            );
            continue;
          }
          if (resource === 'webhookSubscriptionsRule') {
            // The rule's ARN, formatted from the bus name and the route's rule name (docs/cost.md).
            expect(JSON.stringify(variables[resourceEnv[resource]])).toContain(':rule/');
            expect(JSON.stringify(variables[resourceEnv[resource]])).toContain('/WebhookSubscriptions');
            continue;
          }
          // Ref of a table/bus is its name, of a queue its URL, of a secret its ARN: what the handlers expect.
          expect(variables[resourceEnv[resource]], resource).toEqual({
            Ref: logicalId(s.stack.resources[resource]),
          });
        }
      },
    );

    it.each(
      Object.entries(handlers)
        .filter(([, spec]) => (spec as HandlerSpec).readOnly?.includes('workflowTable'))
        .map(([name]) => [name]),
    )('grants %s read-only access to the workflow table', (name) => {
      // Prepare
      const role = s.stack.functions.byName[name as HandlerName].role as IConstruct;
      const statements: Array<{ Action: string | string[]; Resource: unknown }> = Object.values(
        resourcesOf(s, 'AWS::IAM::Policy'),
      )
        .filter((p) => JSON.stringify(p.Properties.Roles).includes(logicalId(role)))
        .flatMap((p) => p.Properties.PolicyDocument.Statement);
      // Only what the role may do on the workflow table (a handler may write another table: payerInsights).
      const table = logicalId(s.stack.resources.workflowTable as IConstruct);
      const actions = statements
        .filter((st) => JSON.stringify(st.Resource).includes(table))
        .flatMap((st) => st.Action);
      const spec = handlers[name as HandlerName] as HandlerSpec;
      const writesElsewhere = (['exceptionTable', 'webhookTable', 'idempotencyTable'] as const).some(
        (r) => spec.uses.includes(r) && !spec.readOnly?.includes(r),
      );

      // Assess
      expect(actions).toContain('dynamodb:GetItem');
      expect(actions).toContain('dynamodb:Query');
      expect(actions).not.toContain('dynamodb:PutItem');
      expect(actions).not.toContain('dynamodb:UpdateItem');
      expect(actions).not.toContain('dynamodb:DeleteItem');
      // The CMK is shared by every table: a handler writing another encrypted resource needs data keys.
      if (!writesElsewhere)
        expect(statements.flatMap((st) => st.Action)).not.toContain('kms:GenerateDataKey*');
    });

    it('lets a handler that only uses a queue send to it and touch nothing else', () => {
      const senders = (Object.keys(handlers) as HandlerName[]).filter((n) =>
        (handlers[n].uses as readonly Resource[]).every((r) => r === 'odooWriteQueue'),
      );
      for (const name of senders) {
        const role = s.stack.functions.byName[name].role as IConstruct;
        const actions: string[] = Object.values(resourcesOf(s, 'AWS::IAM::Policy'))
          .filter((p) => JSON.stringify(p.Properties.Roles).includes(logicalId(role)))
          .flatMap((p) =>
            p.Properties.PolicyDocument.Statement.flatMap((st: { Action: string | string[] }) => st.Action),
          );
        expect(actions).toContain('sqs:SendMessage');
        expect(actions.filter((a) => /^(dynamodb|events|secretsmanager):/.test(a))).toEqual([]);
      }
    });

    it('tells each queue consumer the receive count after which it gives a message up itself, and its lanes', () => {
      for (const [, spec] of odooWriteQueues) {
        const variables =
          s.template.toJSON().Resources[logicalId(s.stack.functions.byName[spec.consumer])].Properties
            .Environment.Variables;
        expect(variables[env.odooWriteMaxReceiveCount]).toBe(String(config.odooWriteMaxReceiveCount));
        // How long a write whose answer was lost may still commit: the stage's Odoo, not the code's default.
        expect(variables[env.odooLateCommitSeconds]).toBe(String(config.odooLateCommitSeconds));
        // An ERA's rounds in lanes only where the stage's Odoo has the workers (prod); else the defaults.
        expect(variables[env.odooEraBooking]).toBe(
          config.odooEraLanes > 1 ? JSON.stringify({ lanes: config.odooEraLanes }) : undefined,
        );
      }
    });
  });

  describe('Odoo write queues', () => {
    it('creates each FIFO queue with explicit dedup ids, high-throughput mode, CMK, and a redrive to its DLQ', () => {
      for (const [name, spec] of odooWriteQueues) {
        const { queue, dlq } = s.stack.odooWrites.queues[name as keyof typeof queues];
        const props = s.template.toJSON().Resources[logicalId(queue)].Properties;
        expect(props).toMatchObject({
          QueueName: `rcm-hub-${stage}-${name}.fifo`,
          FifoQueue: true,
          ContentBasedDeduplication: false,
          DeduplicationScope: 'messageGroup',
          FifoThroughputLimit: 'perMessageGroupId',
          VisibilityTimeout: spec.visibilityTimeoutSeconds,
          KmsMasterKeyId: keyArn,
          RedrivePolicy: {
            deadLetterTargetArn: { 'Fn::GetAtt': [logicalId(dlq), 'Arn'] },
            maxReceiveCount: config.odooWriteMaxReceiveCount,
          },
        });
        const dlqProps = s.template.toJSON().Resources[logicalId(dlq)].Properties;
        expect(dlqProps).toMatchObject({
          FifoQueue: true,
          MessageRetentionPeriod: 14 * 24 * 3600,
          KmsMasterKeyId: keyArn,
          RedriveAllowPolicy: { redrivePermission: 'byQueue', sourceQueueArns: [expect.anything()] },
        });
        expect(JSON.stringify(dlqProps.RedriveAllowPolicy)).toContain(`rcm-hub-${stage}-${name}.fifo`);
      }
    });

    it('denies non-TLS access to every queue', () => {
      const queueCount = Object.keys(resourcesOf(s, 'AWS::SQS::Queue')).length;
      const tlsPolicies = Object.values(resourcesOf(s, 'AWS::SQS::QueuePolicy')).filter((p) =>
        JSON.stringify(p.Properties.PolicyDocument).includes('"aws:SecureTransport":"false"'),
      );
      expect(tlsPolicies.length).toBe(queueCount);
    });

    it('feeds each consumer in batches with partial failures and bounded concurrency', () => {
      for (const [name, spec] of odooWriteQueues) {
        const { queue } = s.stack.odooWrites.queues[name as keyof typeof queues];
        s.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
          EventSourceArn: { 'Fn::GetAtt': [logicalId(queue), 'Arn'] },
          FunctionName: { Ref: logicalId(s.stack.functions.byName[spec.consumer]) },
          BatchSize: spec.batchSize,
          FunctionResponseTypes: ['ReportBatchItemFailures'],
          ScalingConfig: { MaximumConcurrency: config.odooWriteConcurrency },
        });
      }
    });
  });

  describe('events', () => {
    it('has a CMK-encrypted bus and an encrypted archive of every event', () => {
      s.template.hasResourceProperties('AWS::Events::EventBus', {
        Name: `rcm-hub-${stage}`,
        KmsKeyIdentifier: keyArn,
      });
      s.template.hasResourceProperties('AWS::Events::Archive', {
        SourceArn: Match.objectLike({
          'Fn::Join': Match.arrayWith([Match.arrayWith([`:event-bus/rcm-hub-${stage}`])]),
        }),
        RetentionDays: config.eventArchiveRetentionDays,
        KmsKeyIdentifier: keyArn,
        EventPattern: { account: [{ Ref: 'AWS::AccountId' }] },
      });
    });

    it.each(eventRoutes.map((r) => [r.name, r] as const))(
      'rule %s matches its pattern and targets its handler with retries and a DLQ',
      (_name, route) => {
        s.template.hasResourceProperties('AWS::Events::Rule', {
          Name: route.name,
          EventBusName: { Ref: logicalId(s.stack.events.bus) },
          EventPattern: route.pattern,
          Targets: [
            Match.objectLike({
              Arn: { 'Fn::GetAtt': [logicalId(s.stack.functions.byName[route.target.handler]), 'Arn'] },
              RetryPolicy: { MaximumEventAgeInSeconds: 86400, MaximumRetryAttempts: 185 },
              DeadLetterConfig: {
                Arn: { 'Fn::GetAtt': [logicalId(s.stack.events.ruleDlqs[route.name] as IConstruct), 'Arn'] },
              },
            }),
          ],
        });
      },
    );

    it('lets exactly the subscriptions and fan-out functions narrow the fan-out rule, and only that rule', () => {
      // docs/cost.md: the deployed pattern is the widest; at run time it follows the subscribed types.
      const narrowed = eventRoutes.filter((r) => r.narrowedToSubscribedTypes);
      expect(narrowed.map((r) => [r.name, r.target.handler])).toEqual([
        ['WebhookSubscriptions', 'webhookFanout'],
      ]);
      const putRule = Object.entries(resourcesOf(s, 'AWS::IAM::Policy')).filter(([, policy]) =>
        JSON.stringify(policy.Properties.PolicyDocument).includes('events:PutRule'),
      );
      const roles = putRule.flatMap(([, policy]) => policy.Properties.Roles as { Ref: string }[]);
      expect(roles.map((r) => r.Ref).sort()).toEqual(
        (['subscriptions', 'webhookFanout'] as const)
          .map((name) => logicalId(s.stack.functions.byName[name].role as unknown as IConstruct))
          .sort(),
      );
      for (const [, policy] of putRule) {
        const statements = policy.Properties.PolicyDocument.Statement as {
          Action: string[] | string;
          Resource: unknown;
        }[];
        const statement = statements.find((st) => JSON.stringify(st.Action).includes('events:PutRule'));
        expect([statement?.Action].flat().sort()).toEqual(['events:DescribeRule', 'events:PutRule']);
        expect(JSON.stringify(statement?.Resource)).toContain('/WebhookSubscriptions');
        expect(JSON.stringify(statement?.Resource)).not.toContain('*');
      }
    });

    it('has exactly one rule per event route', () => {
      // Schedule rules (the SLA sweep, reconciliation) have no event pattern.
      const patternRules = Object.values(resourcesOf(s, 'AWS::Events::Rule')).filter(
        (rule) => rule.Properties.EventPattern !== undefined,
      );
      expect(patternRules).toHaveLength(eventRoutes.length);
    });
  });

  describe('API', () => {
    it('has one method per route', () => {
      s.template.resourceCountIs('AWS::ApiGateway::Method', routes.length);
    });

    it.each(routes.map((r) => [`${r.method} ${r.path}`, r] as const))(
      '%s: auth scope, validator, headers, model, handler',
      (_label, route) => {
        // Prepare
        const methods = Object.values(resourcesOf(s, 'AWS::ApiGateway::Method')).filter(
          (m) => m.Properties.OperationName === route.operationId,
        );
        expect(methods).toHaveLength(1);
        const props = methods[0]?.Properties;

        // Assess
        expect(props.HttpMethod).toBe(route.method);
        expect(props.RequestValidatorId).toBeDefined();
        expect(JSON.stringify(props.Integration.Uri)).toContain(
          logicalId(s.stack.functions.byName[route.handler]),
        );
        expect(props.Integration.Type).toBe('AWS_PROXY');
        if (route.scope === null) {
          expect(props.AuthorizationType).toBe('NONE');
          expect(props.AuthorizationScopes).toBeUndefined();
        } else {
          expect(props.AuthorizationType).toBe('COGNITO_USER_POOLS');
          expect(props.AuthorizationScopes).toEqual([route.scope]);
        }
        expect(props.RequestParameters?.['method.request.header.Idempotency-Key']).toBe(
          route.idempotent ? true : undefined,
        );
        if (route.requestSchema) expect(props.RequestModels['application/json']).toBeDefined();
        else expect(props.RequestModels).toBeUndefined();
      },
    );

    it('builds each resource path of the routes', () => {
      const parts = new Set(
        Object.values(resourcesOf(s, 'AWS::ApiGateway::Resource')).map((r) => r.Properties.PathPart),
      );
      for (const route of routes)
        for (const part of route.path.split('/').filter(Boolean)) expect(parts).toContain(part);
    });

    it('validates bodies against a draft-4 model derived from the zod schema', () => {
      s.template.hasResourceProperties('AWS::ApiGateway::RequestValidator', {
        ValidateRequestBody: true,
        ValidateRequestParameters: true,
      });
      const models = Object.values(resourcesOf(s, 'AWS::ApiGateway::Model'));
      expect(models).toHaveLength(routes.filter((r) => r.requestSchema).length);
      for (const model of models) {
        const schema = model.Properties.Schema;
        expect(schema.$schema).toBe('http://json-schema.org/draft-04/schema#');
        expect(JSON.stringify(schema)).not.toMatch(/"\$ref"|"\$id"|"example"|"definitions"/);
        expect(schema).toMatchObject({ type: 'object', additionalProperties: false });
      }
    });

    it('has one Cognito scope per distinct route scope and one client per configured client, with its role’s scopes only', () => {
      const routeScopes = [...new Set(routes.flatMap((r) => (r.scope ? [r.scope] : [])))];
      const servers = Object.values(resourcesOf(s, 'AWS::Cognito::UserPoolResourceServer'));
      const declared = servers.flatMap((srv) =>
        srv.Properties.Scopes.map(
          (sc: { ScopeName: string }) => `${srv.Properties.Identifier}/${sc.ScopeName}`,
        ),
      );
      expect(declared.sort()).toEqual(routeScopes.sort());
      expect(new Set(routeScopes.map((sc) => splitScope(sc).identifier)).size).toBe(servers.length);
      // Issue #15: no all-scope client in any stage; each client holds its role's bundle.
      const clients = Object.values(resourcesOf(s, 'AWS::Cognito::UserPoolClient'));
      expect(clients).toHaveLength(config.partners.length);
      for (const configured of config.partners) {
        const client = clients.find((c) => c.Properties.ClientName === `rcm-hub-${stage}-${configured.name}`);
        expect(client?.Properties).toMatchObject({
          GenerateSecret: true,
          AllowedOAuthFlows: ['client_credentials'],
        });
        const granted = (client?.Properties.AllowedOAuthScopes as unknown[]).map((scope) =>
          JSON.stringify(scope),
        );
        expect(granted.length).toBeLessThan(routeScopes.length);
        const bundle = roleScopes[configured.role].filter((scope) => routeScopes.includes(scope));
        expect(granted).toHaveLength(bundle.length);
        if (configured.role === 'partner') {
          for (const ops of opsScopes) expect(granted.join(' ')).not.toContain(ops.split('/')[1]);
        }
      }
      s.template.resourceCountIs('AWS::Cognito::UserPoolDomain', 1);
      s.template.resourceCountIs('AWS::ApiGateway::Authorizer', 1);
    });

    it.each([
      'UNAUTHORIZED',
      'ACCESS_DENIED',
      'BAD_REQUEST_BODY',
      'BAD_REQUEST_PARAMETERS',
      'REQUEST_TOO_LARGE',
      'DEFAULT_4XX',
      'DEFAULT_5XX',
      'THROTTLED',
    ])('answers %s with application/problem+json carrying the correlation id', (type) => {
      const responses = Object.values(resourcesOf(s, 'AWS::ApiGateway::GatewayResponse')).filter(
        (r) => r.Properties.ResponseType === type,
      );
      expect(responses).toHaveLength(1);
      const props = responses[0]?.Properties;
      expect(props.ResponseParameters['gatewayresponse.header.Content-Type']).toBe(
        "'application/problem+json'",
      );
      const template: string = props.ResponseTemplates['application/json'];
      expect(template).toContain('"correlationId":"$context.requestId"');
      expect(template).toMatch(/"type":"https:\/\/rcm-hub\.dev\/problems\/[a-z-]+"/);
      // A gateway template is only $context substitution: with sample values it must be valid JSON.
      const sample = template
        .replaceAll('$context.error.messageString', '"Unauthorized"')
        .replaceAll('$context.requestId', 'req-1');
      expect(() => JSON.parse(sample)).not.toThrow();
    });

    it('logs access to an encrypted log group, traces, throttles, and sits behind a WAF', () => {
      s.template.hasResourceProperties('AWS::ApiGateway::Stage', {
        StageName: stage,
        TracingEnabled: true,
        AccessLogSetting: Match.objectLike({ DestinationArn: Match.anyValue() }),
        MethodSettings: [
          Match.objectLike({
            LoggingLevel: 'ERROR',
            DataTraceEnabled: false,
            ThrottlingRateLimit: config.apiThrottle.rateLimit,
            ThrottlingBurstLimit: config.apiThrottle.burstLimit,
          }),
        ],
      });
      s.template.hasResourceProperties('AWS::WAFv2::WebACL', {
        Scope: 'REGIONAL',
        Rules: Match.arrayWith([
          Match.objectLike({
            Statement: {
              ManagedRuleGroupStatement: Match.objectLike({ Name: 'AWSManagedRulesCommonRuleSet' }),
            },
          }),
          Match.objectLike({
            Statement: {
              RateBasedStatement: { Limit: config.wafRateLimitPer5Minutes, AggregateKeyType: 'IP' },
            },
          }),
        ]),
      });
      s.template.resourceCountIs('AWS::WAFv2::WebACLAssociation', 1);
      s.template.hasResourceProperties('AWS::WAFv2::LoggingConfiguration', {
        RedactedFields: [{ SingleHeader: { Name: 'authorization' } }, { QueryString: {} }],
      });
      // The API Gateway account role is left to the disableCloudWatchRole flag (one per account, set up once).
      s.template.resourceCountIs('AWS::ApiGateway::Account', 0);
    });
  });

  describe('data', () => {
    const retained = () => config.removalPolicy === 'retain';

    it.each(Object.entries(tables))(
      'builds %s from wiring.ts: keys, indexes, TTL, PITR, CMK',
      (name, spec) => {
        // Prepare
        const table = s.stack.data.tables[name as TableName];
        const resource = s.template.toJSON().Resources[logicalId(table)];
        const tableSpec: TableSpec = spec;

        // Assess
        expect(resource.DeletionPolicy).toBe(retained() ? 'Retain' : 'Delete');
        expect(resource.Properties).toMatchObject({
          KeySchema: [
            { AttributeName: tableSpec.partitionKey, KeyType: 'HASH' },
            ...(tableSpec.sortKey ? [{ AttributeName: tableSpec.sortKey, KeyType: 'RANGE' }] : []),
          ],
          BillingMode: 'PAY_PER_REQUEST',
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: keyArn },
          DeletionProtectionEnabled: retained(),
        });
        expect(resource.Properties.TimeToLiveSpecification).toEqual(
          tableSpec.ttlAttribute ? { AttributeName: tableSpec.ttlAttribute, Enabled: true } : undefined,
        );
        const indexes = (resource.Properties.GlobalSecondaryIndexes ?? []).map(
          (gsi: { IndexName: string; KeySchema: { AttributeName: string }[] }) => ({
            indexName: gsi.IndexName,
            keys: gsi.KeySchema.map((k) => k.AttributeName),
          }),
        );
        expect(indexes).toEqual(
          (tableSpec.globalSecondaryIndexes ?? []).map((gsi) => ({
            indexName: gsi.indexName,
            keys: [gsi.partitionKey, ...(gsi.sortKey ? [gsi.sortKey] : [])],
          })),
        );
        // Each index copies what wiring.ts declares, no more (docs/cost.md): an INCLUDE lists its attributes.
        const projections = (resource.Properties.GlobalSecondaryIndexes ?? []).map(
          (gsi: { Projection: { ProjectionType: string; NonKeyAttributes?: string[] } }) => gsi.Projection,
        );
        expect(projections).toEqual(
          (tableSpec.globalSecondaryIndexes ?? []).map((gsi) => ({
            ProjectionType: gsi.projection?.type ?? 'ALL',
            ...(gsi.projection?.type === 'INCLUDE'
              ? { NonKeyAttributes: [...gsi.projection.attributes] }
              : {}),
          })),
        );
      },
    );

    it('copies only keys and the two list filters of a workflow item into the state index (docs/cost.md)', () => {
      // The workflow item is rewritten by every event: with projection ALL each rewrite was copied again.
      const workflowTable = s.template.findResources('AWS::DynamoDB::Table', {
        Properties: { KeySchema: [{ AttributeName: 'pk' }, { AttributeName: 'sk' }] },
      });
      const indexes = Object.values(workflowTable).flatMap(
        (t) =>
          (t as { Properties: { GlobalSecondaryIndexes?: { IndexName: string; Projection: unknown }[] } })
            .Properties.GlobalSecondaryIndexes ?? [],
      );
      expect(indexes).toContainEqual({
        IndexName: 'workflowsByState',
        KeySchema: [
          { AttributeName: 'listState', KeyType: 'HASH' },
          { AttributeName: 'stateSince', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['facilityId', 'payerIds'] },
      });
      expect(indexes.map((i) => i.IndexName)).not.toContain('byState');
      // No query reads timeline entries by correlation id: the workflow table has no such index any more.
      expect(
        tables.WorkflowTable.globalSecondaryIndexes.map((i: { indexName: string }) => i.indexName),
      ).toEqual(['workflowsByState']);
    });

    it("keeps idempotency records in Powertools' schema (id, TTL expiration)", () => {
      s.template.hasResourceProperties('AWS::DynamoDB::Table', {
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
      });
      s.template.hasResourceProperties('AWS::DynamoDB::Table', {
        GlobalSecondaryIndexes: Match.arrayWith([Match.objectLike({ IndexName: 'byCorrelation' })]),
      });
    });

    it('backs the workflow table up with AWS Backup only in a retained stage', () => {
      s.template.resourceCountIs('AWS::Backup::BackupPlan', retained() ? 1 : 0);
      if (retained()) {
        s.template.hasResourceProperties('AWS::Backup::BackupSelection', {
          BackupSelection: Match.objectLike({
            Resources: Match.arrayWith([
              { 'Fn::GetAtt': [logicalId(s.stack.data.tables.WorkflowTable), 'Arn'] },
            ]),
          }),
        });
      }
    });

    it('creates the Odoo secret as an encrypted placeholder with a generated apiKey', () => {
      s.template.hasResourceProperties('AWS::SecretsManager::Secret', {
        Name: `rcm-hub/${stage}/odoo`,
        KmsKeyId: keyArn,
        GenerateSecretString: Match.objectLike({ GenerateStringKey: 'apiKey' }),
      });
      const template = JSON.parse(
        Object.values(resourcesOf(s, 'AWS::SecretsManager::Secret'))[0]?.Properties.GenerateSecretString
          .SecretStringTemplate,
      );
      expect(Object.keys(template).sort()).toEqual(['db', 'login', 'protocol', 'url']);
    });

    it('rotates the one customer-managed key', () => {
      s.template.resourceCountIs('AWS::KMS::Key', 1);
      s.template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    });

    it('encrypts every log group with the key and the configured retention', () => {
      for (const group of Object.values(resourcesOf(s, 'AWS::Logs::LogGroup'))) {
        expect(group.Properties).toMatchObject({
          KmsKeyId: keyArn,
          RetentionInDays: config.logRetentionDays,
        });
      }
    });
  });

  describe('monitoring', () => {
    it('has an encrypted, TLS-only alerts topic per audience', () => {
      for (const audience of ['finance', 'billing', 'integration']) {
        s.template.hasResourceProperties('AWS::SNS::Topic', {
          TopicName: `rcm-hub-${stage}-${audience}-alerts`,
          KmsMasterKeyId: keyArn,
        });
      }
      s.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
      s.template.resourceCountIs(
        'AWS::SNS::Subscription',
        Object.values(config.monitoring.alertEmails).flat().length,
      );
    });

    it('alarms on every dead-letter queue, notifying integration on alarm and on OK', () => {
      const dlqs = [
        ...Object.values(s.stack.odooWrites.queues).map((q) => q.dlq),
        ...Object.values(s.stack.webhooks.queues).map((q) => q.dlq),
        ...Object.values(s.stack.events.ruleDlqs),
        s.stack.uploads.processorDlq,
      ];
      const topic = { Ref: logicalId(s.stack.monitoring.topic) };
      for (const dlq of dlqs) {
        s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          Namespace: 'AWS/SQS',
          MetricName: 'ApproximateNumberOfMessagesVisible',
          Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(dlq), 'QueueName'] } }],
          Threshold: 0,
          ComparisonOperator: 'GreaterThanThreshold',
          TreatMissingData: 'notBreaching',
          AlarmActions: [topic],
          OKActions: [topic],
          AlarmDescription: Match.anyValue(),
        });
      }
      // Besides these, the alarm table's (test/infra/monitoring.test.ts); none other watches a queue's depth.
      const depthAlarms = Object.values(resourcesOf(s, 'AWS::CloudWatch::Alarm')).filter(
        (alarm) => alarm.Properties.MetricName === 'ApproximateNumberOfMessagesVisible',
      );
      expect(depthAlarms).toHaveLength(dlqs.length);
    });
  });
});

describe('per-client limits and roles (issue #15)', () => {
  let s: Synthesized;
  let config: StageConfig;

  beforeAll(() => {
    s = synthStage('prod');
    config = StageConfigSchema.parse(stages.prod);
  });

  it('gives every configured client its own API key and usage plan throttle, and every scoped route needs the key', () => {
    const plans = Object.values(resourcesOf(s, 'AWS::ApiGateway::UsagePlan'));
    expect(plans).toHaveLength(config.partners.length);
    for (const client of config.partners) {
      const limits = client.throttle ?? config.partnerThrottle;
      s.template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
        UsagePlanName: `rcm-hub-prod-${client.name}`,
        Throttle: { RateLimit: limits.rateLimit, BurstLimit: limits.burstLimit },
      });
    }
    s.template.resourceCountIs('AWS::ApiGateway::ApiKey', config.partners.length);
    s.template.resourceCountIs('AWS::ApiGateway::UsagePlanKey', config.partners.length);
    const methods = Object.values(resourcesOf(s, 'AWS::ApiGateway::Method')).filter(
      (m) => m.Properties.AuthorizationType === 'COGNITO_USER_POOLS',
    );
    expect(methods.length).toBe(routes.filter((r) => r.scope).length);
    for (const method of methods) expect(method.Properties.ApiKeyRequired).toBe(true);
  });

  it('reserves the configured concurrency per function', () => {
    const functions = resourcesOf(s, 'AWS::Lambda::Function');
    const reserved = Object.values(functions)
      .filter((f) => f.Properties.ReservedConcurrentExecutions !== undefined)
      .map((f) => f.Properties.ReservedConcurrentExecutions)
      .sort();
    expect(reserved).toEqual(Object.values(config.reservedConcurrency).sort());
  });

  it('hands every function the partner registry with each client’s Cognito id and binding', () => {
    const functions = Object.values(resourcesOf(s, 'AWS::Lambda::Function')).filter(
      (f) => f.Properties.Environment?.Variables?.[env.stage] === 'prod',
    );
    for (const fn of functions)
      expect(fn.Properties.Environment.Variables[env.partnerRegistry]).toBeDefined();
    const registry = JSON.stringify(functions[0]?.Properties.Environment.Variables[env.partnerRegistry]);
    for (const client of config.partners) expect(registry).toContain(`\\"name\\":\\"${client.name}\\"`);
  });

  it('refuses at synth a partner client with an ops scope, and a developer (all-scope) client', () => {
    const withOps = {
      ...(stages.prod as Record<string, unknown>),
      partners: [
        {
          name: 'sneaky',
          role: 'partner',
          facilities: ['FAC-1'],
          scopes: ['rcm/invoices.write', 'rcm/exceptions.write'],
        },
      ],
    };
    expect(() => synthStage('prod', { context: { stages: { ...stages, prod: withOps } } })).toThrow(
      /beyond its role: rcm\/exceptions.write/,
    );
    const developer = {
      ...(stages.prod as Record<string, unknown>),
      partners: [{ name: 'all', role: 'developer', facilities: '*' }],
    };
    expect(() => synthStage('prod', { context: { stages: { ...stages, prod: developer } } })).toThrow(
      /developer \(all-scope\) role is local only/,
    );
  });
});

describe('retention of PHI (issue #15)', () => {
  let s: Synthesized;

  beforeAll(() => {
    s = synthStage('prod');
  });

  it('keeps PHI-bearing events (PatientUpserted) out of the long event archive', () => {
    const [archive] = Object.values(resourcesOf(s, 'AWS::Events::Archive'));
    expect(archive?.Properties.EventPattern['detail-type']).toEqual([
      { 'anything-but': ['PatientUpserted'] },
    ]);
    expect(archive?.Properties.RetentionDays).toBe(
      (stages.prod as { eventArchiveRetentionDays: number }).eventArchiveRetentionDays,
    );
  });

  it('the archive pattern, evaluated as EventBridge does, drops every PHI event type and keeps the rest', () => {
    const [archive] = Object.values(resourcesOf(s, 'AWS::Events::Archive'));
    const { account: _account, ...pattern } = archive?.Properties.EventPattern as Record<string, unknown>;
    const event = (type: string) => ({ 'detail-type': type, source: 'rcm-hub.api', detail: {} });
    for (const type of PHI_EVENT_TYPES) expect(matchesEventPattern(pattern, event(type)), type).toBe(false);
    for (const type of ['InvoiceIssued', 'PayerUpserted', 'RemittanceReceived', 'ExceptionOpened'])
      expect(matchesEventPattern(pattern, event(type)), type).toBe(true);
  });

  it('expires raw inbound webhook bodies (TTL on the webhook table), which stays backed up', () => {
    s.template.hasResourceProperties('AWS::DynamoDB::Table', {
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
    });
  });
});

describe('append-only audit (issue #15)', () => {
  let s: Synthesized;

  beforeAll(() => {
    s = synthStage('prod');
  });

  const auditTableId = () => logicalId(s.stack.data.tables.AuditTable);
  /** Every IAM statement in the stack that names the audit table. */
  const statementsOnAudit = () =>
    Object.values(resourcesOf(s, 'AWS::IAM::Policy'))
      .flatMap(
        (p) =>
          p.Properties.PolicyDocument.Statement as Array<{
            Effect: string;
            Action: string | string[];
            Resource: unknown;
          }>,
      )
      .filter((st) => JSON.stringify(st.Resource).includes(auditTableId()));
  const actionsOf = (st: { Action: string | string[] }) => [st.Action].flat();

  it('grants no Update, Delete or batch write on the audit table in any policy', () => {
    const statements = statementsOnAudit();
    expect(statements.length).toBeGreaterThan(0);
    for (const st of statements) {
      expect(st.Effect).toBe('Allow');
      for (const action of actionsOf(st)) {
        expect(['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:Query']).toContain(action);
      }
    }
  });

  it('grants it exactly to the functions wiring.ts says use it, and to no other', () => {
    const users = (Object.keys(handlers) as HandlerName[]).filter((name) =>
      (handlers[name].uses as readonly Resource[]).includes('auditTable'),
    );
    expect(users).toEqual(
      expect.arrayContaining([
        'exceptions',
        'odooWriter',
        'projectExceptions',
        'slaSweeper',
        'webhookQuarantine',
      ]),
    );
    const policies = Object.values(resourcesOf(s, 'AWS::IAM::Policy')).filter((p) =>
      JSON.stringify(p.Properties.PolicyDocument).includes(auditTableId()),
    );
    const roles = policies.flatMap((p) => JSON.stringify(p.Properties.Roles));
    for (const name of Object.keys(handlers) as HandlerName[]) {
      const role = logicalId(s.stack.functions.byName[name].role as IConstruct);
      expect(
        roles.some((r) => r.includes(role)),
        name,
      ).toBe(users.includes(name));
    }
  });

  it('denies item changes to every principal in the table’s resource policy; CMK, PITR and backup as the others', () => {
    const table = s.template.toJSON().Resources[auditTableId()];
    expect(table.Properties).toMatchObject({
      KeySchema: [
        { AttributeName: 'stream', KeyType: 'HASH' },
        { AttributeName: 'seq', KeyType: 'RANGE' },
      ],
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
      DeletionProtectionEnabled: true,
    });
    expect(table.Properties.TimeToLiveSpecification).toBeUndefined();
    const [deny] = table.Properties.ResourcePolicy.PolicyDocument.Statement;
    expect(deny).toMatchObject({ Effect: 'Deny', Principal: { AWS: '*' } });
    expect([deny.Action].flat().sort()).toEqual([...ITEM_CHANGING_ACTIONS].sort());
    s.template.hasResourceProperties('AWS::Backup::BackupSelection', {
      BackupSelection: Match.objectLike({
        Resources: Match.arrayWith([{ 'Fn::GetAtt': [auditTableId(), 'Arn'] }]),
      }),
    });
  });
});
