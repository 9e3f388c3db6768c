import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CfnElement, Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import {
  NodejsFunction,
  type NodejsFunctionProps,
  OutputFormat,
  SourceMapMode,
} from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import {
  env,
  eventRoutes,
  type HandlerName,
  type HandlerSpec,
  handlers,
  type Resource,
  resourceEnv,
  type TableSpec,
  tables,
} from '../lambdas/wiring.js';
import { lambdaBundling } from './bundling.js';
import { type TableName, tableResource } from './data.js';
import { acknowledge } from './nag.js';
import { reconciliationStateMachineName } from './reconciliation.js';

/** Repository root: entries in wiring.ts are relative to it. */
export const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/**
 * Lambda runtime, and the esbuild target that matches it. cdk-nag AwsSolutions-L1 asks for the newest Node.js
 * runtime this aws-cdk-lib knows, which is 24.x; Powertools 2.x supports it.
 */
export const LAMBDA_RUNTIME = lambda.Runtime.NODEJS_24_X;
const ESBUILD_TARGET = lambdaBundling.target;

export interface RcmFunctionProps {
  stage: string;
  spec: HandlerSpec;
  key: kms.IKey;
  logRetention: logs.RetentionDays;
  removalPolicy: RemovalPolicy;
  environment?: Record<string, string>;
}

/**
 * Lambda defaults fixed once (as Powertools' sample app does): Node.js 24 on ARM64, X-Ray active, a KMS-encrypted
 * log group of our own, and an ESM bundle that carries the AWS SDK and Powertools (no layer: a layer or an
 * external SDK costs cold start, aws-cdk #25492 / powertools #1725).
 */
export class RcmFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: RcmFunctionProps) {
    const logGroup = new logs.LogGroup(scope, `${id}LogGroup`, {
      encryptionKey: props.key,
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    // Our own role instead of AWSLambdaBasicExecutionRole (logs:* on every log group): it may write to its
    // own log group only. Grants (X-Ray, resources from wiring.ts) are added to it below and by Functions.
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `rcm-hub ${props.stage}: ${props.spec.description}`.slice(0, 1000),
    });
    logGroup.grantWrite(role);
    const functionProps: NodejsFunctionProps = {
      entry: path.join(repoRoot, props.spec.entry),
      handler: 'handler',
      projectRoot: repoRoot,
      depsLockFilePath: path.join(repoRoot, 'package-lock.json'),
      description: props.spec.description,
      timeout: Duration.seconds(props.spec.timeoutSeconds),
      memorySize: props.spec.memoryMb,
      runtime: LAMBDA_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      tracing: lambda.Tracing.ACTIVE,
      logGroup,
      role,
      loggingFormat: lambda.LoggingFormat.JSON,
      bundling: {
        format: OutputFormat.ESM,
        minify: lambdaBundling.minify,
        sourceMap: lambdaBundling.sourceMap,
        // lib/bundling.ts decides the map kind (the bench measures the same); CDK's enum has the same spellings.
        sourceMapMode: lambdaBundling.sourceMapMode as SourceMapMode,
        keepNames: lambdaBundling.keepNames,
        target: ESBUILD_TARGET,
        externalModules: [...lambdaBundling.externalModules],
        mainFields: [...lambdaBundling.mainFields],
        banner: lambdaBundling.banner,
        // esbuild's `--alias:from=to`, resolved from the project root where NodejsFunction runs esbuild.
        esbuildArgs: {
          '--alias': Object.entries(lambdaBundling.aliases).map(
            ([from, to]) => `${from}=${path.join(repoRoot, to)}`,
          ),
        },
      },
      environment: {
        // No `--enable-source-maps`: the map ships unlinked (lib/bundling.ts sourceMapMode), so Node never reads it.
        POWERTOOLS_SERVICE_NAME: 'rcm-hub',
        POWERTOOLS_METRICS_NAMESPACE: `rcm-hub-${props.stage}`,
        // Responses and events carry PHI: never into traces or logs.
        POWERTOOLS_TRACER_CAPTURE_RESPONSE: 'false',
        POWERTOOLS_LOGGER_LOG_EVENT: 'false',
        [env.stage]: props.stage,
        ...props.environment,
      },
    };
    super(scope, id, functionProps);
  }
}

/** The resources a handler may use (wiring.ts `Resource`), built by the other constructs. */
export interface HubResources {
  workflowTable: dynamodb.ITable;
  idempotencyTable: dynamodb.ITable;
  eventBus: events.IEventBus;
  odooWriteQueue: sqs.IQueue;
  odooWriteDlq: sqs.IQueue;
  odooSecret: secretsmanager.ISecret;
  webhookTable: dynamodb.ITable;
  webhookSourcesSecret: secretsmanager.ISecret;
  inboundWebhookQueue: sqs.IQueue;
  inboundWebhookDlq: sqs.IQueue;
  webhookDeliveryQueue: sqs.IQueue;
  webhookDeliveryDlq: sqs.IQueue;
  remittanceUploadsBucket: s3.IBucket;
  exceptionTable: dynamodb.ITable;
  /** The Odoo write DLQ again (odooWriteDlq), bound with a receive/delete grant for retries. */
  odooWriteDlqRedrive: sqs.IQueue;
  /** Referenced by name (lib/reconciliation.ts creates it after the functions its tasks call). */
  reconciliationStateMachine: sfn.IStateMachine;
  auditTable: dynamodb.ITable;
  /** The bus whose WebhookSubscriptions rule (wiring.ts eventRoutes, built by lib/events.ts) is narrowed. */
  webhookSubscriptionsRule: events.IEventBus;
}

type Access = 'read' | 'write';

/**
 * Handlers that only read a resource their `uses` lists. wiring.ts says *which* resources a handler touches,
 * not how; everything not listed here gets the write grant its resource offers. (Candidate to move into
 * wiring.ts as an access mode per resource, so local/ could enforce it too.)
 */

/**
 * For each resource: the value its environment variable carries and the least-privilege grant.
 * Grants on CMK-encrypted resources add exactly the KMS actions the data plane needs (decrypt for reads;
 * encrypt/generate data key for writes); the event bus needs none (EventBridge uses the key itself).
 */
const bindings: {
  [R in Resource]: (resource: HubResources[R], fn: lambda.IFunction, access: Access) => string;
} = {
  workflowTable: (table, fn, access) => {
    if (access === 'read') table.grantReadData(fn);
    else table.grantReadWriteData(fn);
    return table.tableName;
  },
  idempotencyTable: (table, fn) => {
    // Powertools reads, conditionally writes, updates and deletes idempotency records.
    table.grantReadWriteData(fn);
    return table.tableName;
  },
  eventBus: (bus, fn) => {
    bus.grantPutEventsTo(fn);
    return bus.eventBusName;
  },
  odooWriteQueue: (queue, fn) => {
    queue.grantSendMessages(fn);
    return queue.queueUrl;
  },
  odooWriteDlq: (queue, fn) => {
    queue.grantSendMessages(fn);
    return queue.queueUrl;
  },
  odooSecret: (secret, fn) => {
    secret.grantRead(fn);
    return secret.secretArn;
  },
  webhookTable: (table, fn, access) => {
    if (access === 'read') table.grantReadData(fn);
    else table.grantReadWriteData(fn);
    return table.tableName;
  },
  webhookSourcesSecret: (secret, fn) => {
    secret.grantRead(fn);
    return secret.secretArn;
  },
  inboundWebhookQueue: (queue, fn) => {
    queue.grantSendMessages(fn);
    return queue.queueUrl;
  },
  inboundWebhookDlq: (queue, fn) => {
    queue.grantSendMessages(fn);
    return queue.queueUrl;
  },
  // The delivery consumer sends (fan-out) and changes a message's visibility to its backoff delay.
  webhookDeliveryQueue: (queue, fn) => {
    queue.grantSendMessages(fn);
    queue.grant(fn, 'sqs:ChangeMessageVisibility');
    return queue.queueUrl;
  },
  webhookDeliveryDlq: (queue, fn) => {
    queue.grantSendMessages(fn);
    return queue.queueUrl;
  },
  exceptionTable: (table, fn, access) => {
    if (access === 'read') table.grantReadData(fn);
    else table.grantReadWriteData(fn);
    return table.tableName;
  },
  // A retry takes the refused message out of the DLQ: receive (briefly hidden), delete it, make others visible.
  odooWriteDlqRedrive: (queue, fn) => {
    queue.grantConsumeMessages(fn);
    // FIFO hides what follows a group's head: the scan moves heads to the back of their group (issue 12).
    queue.grantSendMessages(fn);
    return queue.queueUrl;
  },
  // Exact actions on uploads/* only (no bucket-level or wildcard actions): the API signs presigned PUTs
  // (PutObject + the CMK's GenerateDataKey for SSE-KMS), the processor streams objects (GetObject + Decrypt).
  remittanceUploadsBucket: (bucket, fn, access) => {
    const objects = bucket.arnForObjects('uploads/*');
    const actions = access === 'read' ? ['s3:GetObject'] : ['s3:PutObject'];
    fn.addToRolePolicy(new iam.PolicyStatement({ actions, resources: [objects] }));
    if (bucket.encryptionKey) {
      if (access === 'read') bucket.encryptionKey.grant(fn, 'kms:Decrypt');
      else bucket.encryptionKey.grant(fn, 'kms:GenerateDataKey', 'kms:Encrypt');
    }
    return bucket.bucketName;
  },
  // Append-only (docs/security.md#audit): add a line, read lines; never UpdateItem, DeleteItem or BatchWriteItem.
  // Exact KMS actions (no GenerateDataKey*/ReEncrypt* wildcards): DynamoDB asks for a data key and decrypts it.
  auditTable: (table, fn, access) => {
    const reads = ['dynamodb:GetItem', 'dynamodb:Query'];
    table.grant(fn, ...(access === 'read' ? reads : ['dynamodb:PutItem', ...reads]));
    table.encryptionKey?.grant(
      fn,
      ...(access === 'read' ? ['kms:Decrypt'] : ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey']),
    );
    return table.tableName;
  },
  // Start executions and read the ones it started (status for the run report); nothing else.
  reconciliationStateMachine: (stateMachine, fn) => {
    stateMachine.grantStartExecution(fn);
    stateMachine.grantExecution(fn, 'states:DescribeExecution');
    return stateMachine.stateMachineArn;
  },
  // PutRule on that one rule (its pattern and state; never its targets): docs/cost.md.
  webhookSubscriptionsRule: (bus, fn) => {
    const route = eventRoutes.find((r) => r.narrowedToSubscribedTypes);
    if (!route) throw new Error('No wiring.ts event route is narrowed to the subscribed types');
    const ruleArn = Stack.of(fn).formatArn({
      service: 'events',
      resource: 'rule',
      resourceName: `${bus.eventBusName}/${route.name}`,
    });
    fn.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['events:PutRule', 'events:DescribeRule'], resources: [ruleArn] }),
    );
    return ruleArn;
  },
};

/** Resources whose write grant includes the CMK's `GenerateDataKey*` / `ReEncrypt*` (wildcard actions). */
const encryptedDataResources: readonly Resource[] = [
  'workflowTable',
  'idempotencyTable',
  'odooWriteQueue',
  'odooWriteDlq',
  'webhookTable',
  'inboundWebhookQueue',
  'inboundWebhookDlq',
  'webhookDeliveryQueue',
  'webhookDeliveryDlq',
  'exceptionTable',
];

function bind<R extends Resource>(
  resource: R,
  resources: HubResources,
  fn: lambda.IFunction,
  access: Access,
): string {
  return bindings[resource](resources[resource], fn, access);
}

export interface FunctionsProps {
  stage: string;
  key: kms.IKey;
  logRetention: logs.RetentionDays;
  removalPolicy: RemovalPolicy;
  idempotencyTtlHours: number;
  resources: HubResources;
  reservedConcurrency?: Partial<Record<HandlerName, number>>;
}

/** One function per entry of `handlers` in wiring.ts, with exactly the resources its `uses` lists. */
export class Functions extends Construct {
  readonly byName: Record<HandlerName, RcmFunction>;

  constructor(scope: Construct, id: string, props: FunctionsProps) {
    super(scope, id);
    const entries = Object.entries(handlers) as [HandlerName, HandlerSpec][];
    this.byName = Object.fromEntries(
      entries.map(([name, spec]) => {
        const fn = new RcmFunction(this, pascal(name), {
          stage: props.stage,
          spec,
          key: props.key,
          logRetention: props.logRetention,
          removalPolicy: props.removalPolicy,
          // How long Powertools keeps an idempotency record, for the handlers that keep them.
          environment: (spec.uses as readonly Resource[]).includes('idempotencyTable')
            ? { [env.idempotencyTtlSeconds]: String(props.idempotencyTtlHours * 3600) }
            : {},
        });
        let writesWithKey = false;
        for (const resource of spec.uses) {
          const access: Access = (spec as HandlerSpec).readOnly?.includes(resource) ? 'read' : 'write';
          fn.addEnvironment(resourceEnv[resource], bind(resource, props.resources, fn, access));
          writesWithKey ||= access === 'write' && encryptedDataResources.includes(resource);
        }
        // Stage config `reservedConcurrency` (issue #15): API bursts cannot take the account's whole pool.
        const reserved = props.reservedConcurrency?.[name];
        if (reserved !== undefined)
          (fn.node.defaultChild as lambda.CfnFunction).reservedConcurrentExecutions = reserved;
        acknowledgeFunctionFindings(
          fn,
          spec,
          props.resources,
          writesWithKey,
          props.stage,
          reserved !== undefined,
        );
        return [name, fn];
      }),
    ) as Record<HandlerName, RcmFunction>;
  }
}

function pascal(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

/** Findings every RcmFunction shares, each with the reason it is accepted; they sit on the function itself. */
function acknowledgeFunctionFindings(
  fn: RcmFunction,
  spec: HandlerSpec,
  resources: HubResources,
  writesWithKey: boolean,
  stage: string,
  reserved: boolean,
): void {
  const role = fn.role as iam.Role;
  const stack = Stack.of(fn);
  acknowledge(
    fn,
    {
      id: 'HIPAA.Security-LambdaInsideVPC',
      reason:
        'No VPC: the function reaches only AWS APIs and Odoo over TLS on its public HTTPS endpoint, so a VPC adds NAT cost and cold start without a private path; a `vpc` stage option is future work (docs/deploy.md#network).',
    },
    ...(reserved
      ? []
      : [
          {
            id: 'HIPAA.Security-LambdaConcurrency',
            reason:
              'Concurrency is bounded where it matters instead of per function: the Odoo writer by the SQS event source maxConcurrency (stage config), API handlers by per-client usage plans, stage throttling and WAF rate limiting; stage config `reservedConcurrency` reserves it per function where the account allows.',
          },
        ]),
    {
      id: 'HIPAA.Security-LambdaDLQ',
      reason:
        'No asynchronous invocation without a dead-letter queue: API handlers are synchronous, the queue consumer redrives to the Odoo write DLQ, and the EventBridge rule target has its own SQS DLQ on the rule.',
    },
  );
  acknowledge(role, {
    id: 'HIPAA.Security-IAMNoInlinePolicy',
    reason:
      'One policy per function role, generated by CDK grants for exactly the resources wiring.ts lists for it; it is versioned and reviewed with the stack (rollback = redeploy), which is what a managed policy would add.',
  });
  // Wildcards CDK's grant methods produce; each finding is acknowledged by name (no blanket IAM5).
  const wildcard: { finding: string; reason: string }[] = [
    {
      finding: 'Resource::*',
      reason:
        'X-Ray PutTraceSegments/PutTelemetryRecords do not support resource-level permissions (active tracing).',
    },
  ];
  if (writesWithKey) {
    wildcard.push(
      {
        finding: 'Action::kms:GenerateDataKey*',
        reason:
          'CDK grant on the stage CMK for writing to an encrypted table or queue; limited to that one key ARN.',
      },
      {
        finding: 'Action::kms:ReEncrypt*',
        reason:
          'CDK grant on the stage CMK for writing to an encrypted table or queue; limited to that one key ARN.',
      },
    );
  }
  // Table grants include the table's indexes (`<table ARN>/index/*`).
  for (const [resource, tableName] of Object.entries(tableResource) as [Resource, TableName][]) {
    if (
      !(spec.uses as readonly Resource[]).includes(resource) ||
      !(tables[tableName] as TableSpec).globalSecondaryIndexes
    )
      continue;
    const table = (resources[resource] as dynamodb.ITable).node.defaultChild as CfnElement;
    wildcard.push({
      finding: `Resource::<${stack.getLogicalId(table)}.Arn>/index/*`,
      reason: `The ${tableName} grant covers that table's own indexes (wiring.ts tables); no other table is reachable.`,
    });
  }
  if ((spec.uses as readonly Resource[]).includes('reconciliationStateMachine')) {
    wildcard.push({
      finding: `Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:${reconciliationStateMachineName(stage)}:*`,
      reason:
        'DescribeExecution on the executions of the reconciliation state machine only (execution ARNs carry the run id, unknown until a run starts).',
    });
  }
  if ((spec.uses as readonly Resource[]).includes('remittanceUploadsBucket')) {
    const bucket = resources.remittanceUploadsBucket.node.defaultChild as CfnElement;
    wildcard.push({
      finding: `Resource::<${stack.getLogicalId(bucket)}.Arn>/uploads/*`,
      reason:
        'One object per upload under uploads/<clientId>/<uploadId>.835; the grant is one exact action (PutObject or GetObject) on that prefix of the uploads bucket only.',
    });
  }
  for (const { finding, reason } of wildcard) {
    acknowledge(role, { id: `AwsSolutions-IAM5[${finding}]`, reason });
  }
}
