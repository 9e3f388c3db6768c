import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CreateTableCommand, DynamoDBClient, ResourceInUseException } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import dynalite from 'dynalite';
import { OdooBreakerStore } from '../lambdas/adapters/dynamodb/odoo-breaker-store.js';
import { ALL, type PartnerClient } from '../lambdas/core/partners.js';
import { PayerWindows, type PayerWindowsInput } from '../lambdas/core/triage/exposure.js';
import {
  AUDIENCES,
  MonitoringThresholds,
  type MonitoringThresholdsInput,
  metricsNamespace,
} from '../lambdas/monitoring-alarms.js';
import {
  DEFAULT_CLIENT_THROTTLE,
  env,
  eventRoutes,
  type HandlerName,
  handlers,
  queues,
  resourceEnv,
  routes,
  type ScheduleName,
  schedules,
  type TableSpec,
  tables,
} from '../lambdas/wiring.js';
import {
  reconciliationStateMachineName,
  resolvedReconciliationDefinition,
} from '../lib/reconciliation-definition.js';
import { createLocalApiGateway } from './api-gateway.js';
import { type ClientRegistration, developmentClient, LocalTokenIssuer } from './auth.js';
import { type LocalAws, startLocalAws } from './aws/server.js';
import { makeLambdaContext, type SqsEventSource, startSqsEventSource } from './aws/sqs-event-source.js';
import { type AwsMeter, startDynamoDbMeter } from './aws-meter.js';
import {
  type AddedClient,
  addClient,
  putRegistryEntry,
  readRegistry,
  registeredClient,
  registryFile,
  revokeClient,
} from './clients.js';
import type { LocalCloudWatch } from './cloudwatch.js';
import { type LocalMonitoring, localAlertTopicArn, startLocalMonitoring } from './cloudwatch-monitoring.js';
import { startOdooBreakerProbe } from './odoo-breaker-probe.js';
import type { LocalSns } from './sns.js';
import { type ClientLimits, ClientThrottle } from './throttle.js';

/**
 * The whole hub on one machine: dynalite for DynamoDB (real wire protocol, data under the state dir),
 * the local SQS/EventBridge/Secrets Manager server, the Odoo sandbox as a separate program (or a real
 * Odoo), and the local API Gateway — all wired from lambdas/wiring.ts, exactly as lib/ wires AWS.
 * Handlers run in this process, unchanged; only endpoints differ.
 */
export interface OdooTarget {
  url: string;
  db: string;
  login: string;
  apiKey: string;
  protocol?: 'jsonrpc' | 'json2';
}

export interface HubOptions {
  port?: number;
  host?: string;
  stateDir?: string;
  fresh?: boolean;
  /** A real Odoo; without it the Odoo sandbox is started on `odooSandboxPort`. */
  odoo?: OdooTarget;
  odooSandboxPort?: number;
  /**
   * Per-client throttling on the scoped routes (docs/security.md#throttling): every client of the partner
   * registry but the developer gets `default` (wiring.ts DEFAULT_CLIENT_THROTTLE, as stage config's
   * `partnerThrottle`), or its own limits by name, as its usage plan would in AWS.
   */
  clientThrottle?: { default?: ClientLimits; byName?: Record<string, ClientLimits> };
  /** Extra fixed clients (explicit scopes); with `partner`, also entered in the partner registry. */
  clients?: (ClientRegistration & { partner?: Omit<PartnerClient, 'clientId'> })[];
  logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';
  /** Seconds an out-of-order event may wait before an exception opens (default 24 h). */
  heldEventMaxAgeSeconds?: number;
  /**
   * Overrides for the Odoo write queue. To see a failed write retried quickly, shorten `retryDelaySeconds`
   * (the writer makes the failed message visible again that soon), not the visibility timeout: a visibility
   * timeout shorter than a slow invocation redelivers a message while it is still being written.
   */
  odooWriteQueue?: {
    visibilityTimeoutSeconds?: number;
    maxReceiveCount?: number;
    retryDelaySeconds?: number;
    /** Seconds a write whose answer was lost may still commit (ODOO_LATE_COMMIT_SECONDS; default the writer's). */
    lateCommitSeconds?: number;
  };
  /**
   * ERA booking (issue 16, core/era-booking.ts): `off`, `on` or JSON `{"chunk","quietMs","maxWaitMs"}`; unset:
   * the writer's default (on).
   */
  eraBooking?: string;
  /**
   * Webhooks (docs/webhooks.md): per-source secrets seeded into the local Secrets Manager (default: the
   * development secrets below), the outbound retry policy (tests shorten it) and the signature tolerance.
   */
  webhooks?: {
    sources?: Record<string, string[]>;
    retryPolicy?: { baseSeconds?: number; capSeconds?: number; budgetSeconds?: number };
    toleranceSeconds?: number;
  };
  /**
   * Reconciliation (docs/reconciliation.md): the Step Functions stand-in's retry/wait interval scale (tests: 0)
   * and how often the scheduled run starts, in minutes (default 0 = on demand only; `npm start` passes 60).
   */
  stepFunctions?: { retryIntervalScale?: number };
  reconciliationEveryMinutes?: number;
  /** Days a payer normally takes to remit (default 30). */
  remittanceLagDays?: number;
  /**
   * Monitoring (docs/local-runtime.md#alarms): stage thresholds (default: the schema's), every alarm's period
   * (tests: 1 s) and the SLA sweep interval in seconds (default: the thresholds' rate; `false`: on demand only).
   */
  /** How often the Odoo breaker probe looks (default 500 ms; the probe itself waits per the breaker policy). */
  breakerProbeIntervalMs?: number;
  monitoring?: {
    thresholds?: MonitoringThresholdsInput;
    alarmPeriodSeconds?: number;
    sweepIntervalSeconds?: number | false;
  };
  /**
   * Triage retrain and payer insights (docs/triage.md): run them on their wiring.ts rate (`true`, as `npm start`
   * does) or only on demand (default: hub.runSchedule / POST /__local/schedules/{name}).
   */
  triageSchedules?: boolean;
  /** Timely-filing and appeal windows per payer (cdk.json `triage.payerWindows`); default 90 / 180 days. */
  triagePayerWindows?: PayerWindowsInput;
  /**
   * Counts every billable AWS request the handlers make (local/aws-meter.ts; `npm run bench`, docs/cost.md).
   * DynamoDB then goes through a metering proxy, so only the bench sets it.
   */
  meter?: AwsMeter;
  /**
   * dynalite in a process of its own (default: in this one). DynamoDB is a service apart in AWS; the month-end
   * bench runs it apart so its work does not share the handlers' one event loop (test/bench/month-end.ts).
   */
  dynamoDbProcess?: boolean;
}

/** Development webhook secrets for `npm start` (never used outside the local stage). */
export const LOCAL_WEBHOOK_SOURCES: Record<string, string[]> = {
  clearinghouse: ['whsec_local_clearinghouse_0001'],
  gateway: ['whsec_local_gateway_000000001'],
  odoo: ['local-odoo-webhook-token-0001'],
};
const WEBHOOK_SOURCES_SECRET_NAME = 'rcm-hub/local/webhook-sources';

export interface Hub {
  baseUrl: string;
  odooUrl: string;
  odooSandbox: boolean;
  developmentClient: ClientRegistration;
  stateDir: string;
  /** As `npm run clients -- add` does: a registered client with its secret and its role's scopes. */
  registerClient(entry: Omit<PartnerClient, 'clientId'>): AddedClient;
  /** As `npm run clients -- revoke NAME`: false when no such client. */
  revokeClient(name: string): boolean;
  aws: LocalAws;
  dynamodbEndpoint: string;
  queueUrls: Record<string, { queueUrl: string; dlqUrl: string }>;
  /** Dead-letter queue of each event rule's target, by rule name. */
  ruleDlqUrls: Record<string, string>;
  /** Alert topics (finance, billing, integration): what CloudWatch alarms published (also GET /__local/sns/messages). */
  sns: LocalSns;
  /** EMF datapoints the handlers printed and the alarm table's states (also GET /__local/alarms). */
  cloudwatch: LocalCloudWatch;
  /** Runs the SLA sweeper now, as its schedule would, and evaluates the alarms (also POST /__local/sla-sweeps). */
  runSlaSweep(): Promise<unknown>;
  /** Runs a scheduled function now, as its EventBridge schedule would (also POST /__local/schedules/{name}). */
  runSchedule(name: ScheduleName): Promise<unknown>;
  /** Resolves when the bus has no pending delivery and every queue is drained. */
  waitForIdle(): Promise<void>;
  close(): Promise<void>;
}

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
const ODOO_SECRET_NAME = 'rcm-hub/local/odoo';
const UPLOADS_BUCKET = 'rcm-hub-local-remittance-uploads';

let hubGeneration = 0;

/** A port the hub needs is taken (usually by another `npm start`): says which variable picks another one. */
export class PortInUseError extends Error {
  readonly code = 'EADDRINUSE';
  constructor(
    readonly port: number,
    readonly variable: 'PORT' | 'ODOO_SANDBOX_PORT',
  ) {
    super(
      `port ${port} (${variable}) is in use, probably by another npm start: stop it, or start this one on free ports (PORT=… ODOO_SANDBOX_PORT=… npm start)`,
    );
  }
}

export async function startHub(options: HubOptions = {}): Promise<Hub> {
  const generation = ++hubGeneration;
  const host = options.host ?? '127.0.0.1';
  const stateDir = resolve(options.stateDir ?? join(REPO_ROOT, '.rcm-hub'));
  if (options.fresh) rmSync(stateDir, { recursive: true, force: true });
  // The state dir holds PHI (queues, tables, the sandbox's partners) and the development client's secret.
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  chmodSync(stateDir, 0o700);
  mkdirSync(join(stateDir, 'dynamodb'), { recursive: true });
  mkdirSync(join(stateDir, 'queues'), { recursive: true });
  const closers: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const closer of closers.reverse()) await closer().catch(() => undefined);
  };

  try {
    // DynamoDB: dynalite persists to LevelDB under the state dir.
    const dynamodbEndpoint = options.dynamoDbProcess
      ? await startDynaliteProcess(join(stateDir, 'dynamodb'), host, closers)
      : await startDynalite(join(stateDir, 'dynamodb'), host, closers);
    const meter = options.meter;
    const dynamoMeter = meter
      ? await startDynamoDbMeter({ target: dynamodbEndpoint, host, meter, tables })
      : undefined;
    if (dynamoMeter) closers.push(() => dynamoMeter.close());

    const aws = await startLocalAws({
      port: 0,
      host,
      stateDir: join(stateDir, 'queues'),
      s3Dir: join(stateDir, 's3'),
      // Accepted events are on disk before PutEvents answers (and so before intake's 202): issue 12.
      events: { journalDir: join(stateDir, 'bus') },
      region: REGION,
      accountId: ACCOUNT,
      stepFunctions: {
        ...(options.stepFunctions?.retryIntervalScale !== undefined
          ? { intervalScale: options.stepFunctions.retryIntervalScale }
          : {}),
        ...(meter ? { onStateTransition: () => meter.stepFunctionsTransition() } : {}),
      },
      ...(meter ? { observe: meterRequest(meter) } : {}),
    });
    closers.push(() => aws.close());

    const odoo =
      options.odoo ??
      (await startOdooSandbox(
        stateDir,
        options.odooSandboxPort ?? Number(process.env.ODOO_SANDBOX_PORT ?? 8069),
        closers,
      ));

    // The environment the handlers read, named by the wiring table (lib/ sets the same names in AWS).
    const names: Record<string, string> = {};
    Object.assign(process.env, aws.env, {
      AWS_ENDPOINT_URL_DYNAMODB: dynamoMeter?.endpoint ?? dynamodbEndpoint,
      AWS_REGION: REGION,
      AWS_EC2_METADATA_DISABLED: 'true',
      POWERTOOLS_SERVICE_NAME: 'rcm-hub',
      POWERTOOLS_LOG_LEVEL: options.logLevel ?? process.env.POWERTOOLS_LOG_LEVEL ?? 'INFO',
      POWERTOOLS_DEV: 'false',
      POWERTOOLS_METRICS_NAMESPACE: metricsNamespace('local'),
      [env.stage]: 'local',
    });
    // Locally a table's physical name is its logical name in the wiring table.
    for (const [tableName, spec] of Object.entries(tables) as [keyof typeof tables, TableSpec][]) {
      names[resourceEnv[spec.resource]] = tableName;
    }
    names[resourceEnv.eventBus] = 'rcm-hub-local';
    // The fan-out rule the subscriptions handler narrows (PutRule on the local bus, as in AWS).
    const narrowed = eventRoutes.find((route) => route.narrowedToSubscribedTypes);
    if (narrowed)
      names[resourceEnv.webhookSubscriptionsRule] =
        `arn:aws:events:${REGION}:${ACCOUNT}:rule/rcm-hub-local/${narrowed.name}`;
    await createTables(dynamodbEndpoint);

    aws.events.createEventBus('rcm-hub-local');
    names[resourceEnv.odooSecret] = ODOO_SECRET_NAME;
    aws.secrets.put(ODOO_SECRET_NAME, JSON.stringify({ ...odoo, protocol: odoo.protocol ?? 'jsonrpc' }));
    // Webhooks: the table (from wiring.ts tables), the per-source secrets, retry policy and tolerance.
    // Large X12 uploads (docs/x12.md#large-files): the bucket of the S3 stand-in.
    names[resourceEnv.remittanceUploadsBucket] = UPLOADS_BUCKET;
    aws.s3.createBucket(UPLOADS_BUCKET);
    names[resourceEnv.webhookSourcesSecret] = WEBHOOK_SOURCES_SECRET_NAME;
    const webhookSources = options.webhooks?.sources ?? LOCAL_WEBHOOK_SOURCES;
    aws.secrets.put(
      WEBHOOK_SOURCES_SECRET_NAME,
      JSON.stringify(Object.fromEntries(Object.entries(webhookSources).map(([k, v]) => [k, { secrets: v }]))),
    );
    if (options.webhooks?.retryPolicy)
      names[env.webhookRetryPolicy] = JSON.stringify(options.webhooks.retryPolicy);
    if (options.webhooks?.toleranceSeconds !== undefined)
      names[env.webhookToleranceSeconds] = String(options.webhooks.toleranceSeconds);

    const queueUrls: Hub['queueUrls'] = {};
    for (const [name, spec] of Object.entries(queues)) {
      const override = name === 'OdooWriteQueue' ? options.odooWriteQueue : undefined;
      const maxReceiveCount = override?.maxReceiveCount ?? spec.maxReceiveCount;
      const dlqUrl = aws.sqs.createQueue(`${name}-dlq${spec.fifo ? '.fifo' : ''}`, {
        fifo: spec.fifo,
        messageRetentionSeconds: 14 * 86400,
      });
      const queueUrl = aws.sqs.createQueue(`${name}${spec.fifo ? '.fifo' : ''}`, {
        fifo: spec.fifo,
        visibilityTimeoutSeconds: override?.visibilityTimeoutSeconds ?? spec.visibilityTimeoutSeconds,
        redrivePolicy: { deadLetterQueueName: `${name}-dlq${spec.fifo ? '.fifo' : ''}`, maxReceiveCount },
      });
      queueUrls[name] = { queueUrl, dlqUrl };
      names[resourceEnv[spec.queueResource]] = queueUrl;
      names[resourceEnv[spec.dlqResource]] = dlqUrl;
      if (name === 'OdooWriteQueue') names[env.odooWriteMaxReceiveCount] = String(maxReceiveCount);
      if (name === 'OdooWriteQueue' && override?.retryDelaySeconds !== undefined)
        names[env.odooWriteRetryDelaySeconds] = String(override.retryDelaySeconds);
      else if (name === 'OdooWriteQueue') delete process.env[env.odooWriteRetryDelaySeconds]; // an earlier hub's
      if (name === 'OdooWriteQueue' && override?.lateCommitSeconds !== undefined)
        names[env.odooLateCommitSeconds] = String(override.lateCommitSeconds);
      else if (name === 'OdooWriteQueue') delete process.env[env.odooLateCommitSeconds];
      // The same DLQ, for the exception register's retries (in AWS a separate receive/delete grant).
      if (name === 'OdooWriteQueue') names[resourceEnv.odooWriteDlqRedrive] = dlqUrl;
    }
    if (options.eraBooking !== undefined) names[env.odooEraBooking] = options.eraBooking;
    else delete process.env[env.odooEraBooking]; // an earlier hub's
    if (options.heldEventMaxAgeSeconds !== undefined)
      names[env.heldEventMaxAgeSeconds] = String(options.heldEventMaxAgeSeconds);
    // Reconciliation: the ASL lib/ deploys, its task bound below to the reconcile handler (same code as Lambda).
    const reconcileFunctionArn = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:rcm-hub-local-reconcile`;
    const reconciliationArn = aws.stepFunctions.createStateMachine(
      reconciliationStateMachineName('local'),
      resolvedReconciliationDefinition(reconcileFunctionArn),
    );
    names[resourceEnv.reconciliationStateMachine] = reconciliationArn;
    if (options.remittanceLagDays !== undefined)
      names[env.reconciliationLagDays] = String(options.remittanceLagDays);
    const thresholds = MonitoringThresholds.parse(options.monitoring?.thresholds ?? {});
    names[env.slaThresholds] = JSON.stringify(thresholds);
    // The partner registry the handlers read (docs/security.md#local-clients), kept by `npm run clients`.
    names[env.partnerRegistryFile] = registryFile(stateDir);
    // Webhook targets (issue #15): loopback receivers are the tests'; the hub's own services never are.
    names[env.webhookAllowLoopback] = 'true';
    names[env.webhookDeniedLoopbackPorts] = [odoo.url, dynamodbEndpoint, ...Object.values(aws.env)]
      .flatMap((value) => {
        if (typeof value !== 'string' || !/^https?:\/\//.test(value)) return [];
        const url = new URL(value);
        return [url.port || (url.protocol === 'https:' ? '443' : '80')];
      })
      .join(',');
    // Triage (docs/triage.md): the stage's payer windows, and each team's alert topic for exception alerts.
    if (options.triagePayerWindows)
      names[env.triagePayerWindows] = JSON.stringify(PayerWindows.parse(options.triagePayerWindows));
    else delete process.env[env.triagePayerWindows]; // an earlier hub's
    names[env.exceptionAlertTopics] = JSON.stringify(
      Object.fromEntries(AUDIENCES.map((team) => [team, localAlertTopicArn(REGION, ACCOUNT, team)])),
    );
    Object.assign(process.env, names);

    // Handlers are imported only now: like Lambda, they read their environment at init. Like Lambda, each
    // concurrent invocation runs in its own instance (container): module state such as a batch processor
    // is never shared between two invocations in flight. Idle instances are reused (warm starts).
    type LoadedHandler = (event: unknown, context: Context) => Promise<unknown>;
    const idle = new Map<HandlerName, LoadedHandler[]>();
    const instanceCount = new Map<HandlerName, number>();
    const acquire = async (name: HandlerName): Promise<LoadedHandler> => {
      const ready = idle.get(name)?.pop();
      if (ready) return ready;
      const instance = (instanceCount.get(name) ?? 0) + 1;
      instanceCount.set(name, instance);
      // The hub generation keeps a restarted hub (same process, new endpoints) from reusing old modules.
      const url = `${pathToFileURL(join(REPO_ROOT, handlers[name].entry)).href}?hub=${generation}&instance=${instance}`;
      const mod = (await import(url)) as { handler?: LoadedHandler };
      if (!mod.handler) throw new Error(`${handlers[name].entry} exports no handler`);
      return mod.handler;
    };
    const invoke = async (name: HandlerName, event: unknown) => {
      const fn = await acquire(name);
      const started = performance.now();
      try {
        return await fn(
          event,
          makeLambdaContext(
            name,
            REGION,
            ACCOUNT,
            handlers[name].timeoutSeconds * 1000,
            handlers[name].memoryMb,
          ),
        );
      } finally {
        idle.set(name, [...(idle.get(name) ?? []), fn]);
        if (meter) {
          const ms = performance.now() - started;
          meter.lambdaInvocation(name, ms, handlers[name].memoryMb);
          meter.platformLogBytes(ms, handlers[name].memoryMb);
        }
      }
    };

    // CloudWatch + SNS stand-ins (EMF from the handlers' stdout, the alarm table) and the SLA sweep schedule.
    const monitoring: LocalMonitoring = startLocalMonitoring({
      thresholds,
      region: REGION,
      account: ACCOUNT,
      invoke,
      ...(options.monitoring?.alarmPeriodSeconds !== undefined
        ? { alarmPeriodSeconds: options.monitoring.alarmPeriodSeconds }
        : {}),
      ...(options.monitoring?.sweepIntervalSeconds !== undefined
        ? { sweepIntervalSeconds: options.monitoring.sweepIntervalSeconds }
        : {}),
      echoEmf: process.env.POWERTOOLS_LOG_LEVEL === 'DEBUG',
      // Issue 12: the queue-age and DLQ-depth alarms are evaluated locally, from the local queues.
      queueStats: (queue, dlq) => {
        const urls = queueUrls[queue];
        if (!urls) return undefined;
        const url = dlq ? urls.dlqUrl : urls.queueUrl;
        return { visible: aws.sqs.messageCount(url), oldestAgeSeconds: aws.sqs.oldestMessageAgeSeconds(url) };
      },
      log: (message) => {
        if (process.env.POWERTOOLS_LOG_LEVEL !== 'SILENT') console.error(message);
      },
    });
    closers.push(async () => monitoring.close());
    // The handlers' SNS Publish (exception alerts) lands on the same topics the alarms notify.
    aws.bindSns(
      (topicArn, subject, message) => monitoring.sns.publishToArn(topicArn, subject, message).MessageId,
    );

    // Schedules with their own rate (wiring.ts: triage retrain, payer insights); the SLA sweep is monitoring's.
    const runSchedule = (name: ScheduleName): Promise<unknown> =>
      name === 'SlaSweep'
        ? monitoring.runSweep()
        : invoke(schedules[name].handler, {
            version: '0',
            id: crypto.randomUUID(),
            'detail-type': 'Scheduled Event',
            source: 'aws.events',
            account: ACCOUNT,
            time: new Date().toISOString(),
            region: REGION,
            resources: [`arn:aws:events:${REGION}:${ACCOUNT}:rule/${name}`],
            detail: {},
          });
    if (options.triageSchedules) {
      for (const [name, spec] of Object.entries(schedules)) {
        if (!('rateMinutes' in spec)) continue;
        const timer = setInterval(() => {
          runSchedule(name as ScheduleName).catch((error) => {
            if (process.env.POWERTOOLS_LOG_LEVEL !== 'SILENT')
              console.error(`[${name}] scheduled run failed: ${(error as Error).message}`);
          });
        }, spec.rateMinutes * 60_000);
        timer.unref();
        closers.push(async () => clearInterval(timer));
      }
    }

    aws.stepFunctions.bindFunction(reconcileFunctionArn, (payload) => invoke('reconcile', payload));
    // The EventBridge schedule of lib/reconciliation.ts: a run over the previous UTC day, every payer.
    if (options.reconciliationEveryMinutes) {
      const timer = setInterval(() => {
        try {
          aws.stepFunctions.startExecution(reconciliationArn, { trigger: 'schedule' });
        } catch (error) {
          if (process.env.POWERTOOLS_LOG_LEVEL !== 'SILENT')
            console.error(`[reconciliation] scheduled run not started: ${(error as Error).message}`);
        }
      }, options.reconciliationEveryMinutes * 60_000);
      timer.unref();
      closers.push(async () => clearInterval(timer));
    }

    // Each rule target gets what lib/ gives it in AWS: Lambda's async retries (2), then the rule's DLQ.
    const ruleDlqUrls: Record<string, string> = {};
    for (const route of eventRoutes) {
      const dlqUrl = aws.sqs.createQueue(`${route.name}Dlq`, { messageRetentionSeconds: 14 * 86400 });
      ruleDlqUrls[route.name] = dlqUrl;
      aws.events.addRule({
        name: route.name,
        eventBusName: 'rcm-hub-local',
        pattern: route.pattern,
        target: async (event) => {
          await invoke(route.target.handler, event);
        },
        retry: { maximumRetryAttempts: 2, maximumEventAgeSeconds: 6 * 3600 },
        onDeadLetter: (event, error) => {
          aws.sqs.sendMessage(dlqUrl, {
            MessageBody: JSON.stringify(event),
            MessageAttributes: {
              failureReason: {
                DataType: 'String',
                StringValue: String((error as Error)?.message ?? error).slice(0, 1024),
              },
            },
          });
        },
      });
    }

    // A rule's work is durable once the queues it wrote to are on disk; then the bus forgets the event.
    aws.events.settleWith(() => aws.sqs.flush());
    const recovered = aws.events.recover();
    if (recovered && process.env.POWERTOOLS_LOG_LEVEL !== 'SILENT')
      console.error(`[local-aws] re-delivering ${recovered} event(s) accepted before the last stop`);
    closers.push(() => aws.events.flushJournal());

    // The Odoo circuit breaker (issue 12): the writers feed it, this probe pauses the writer's event source
    // while it is open and resumes it when Odoo answers again.
    let writerSource: SqsEventSource | undefined;
    const breakerProbe = startOdooBreakerProbe({
      store: new OdooBreakerStore(
        new DynamoDBClient({ endpoint: dynamodbEndpoint, region: REGION }),
        process.env[env.workflowTable] as string,
      ),
      odoo,
      backlog: () => aws.sqs.messageCount(queueUrls.OdooWriteQueue?.queueUrl as string),
      drained: () => writerSource?.deleted ?? 0,
      notify: (subject, message) => monitoring.sns.publish('integration', subject, message),
      ...(options.breakerProbeIntervalMs !== undefined ? { intervalMs: options.breakerProbeIntervalMs } : {}),
      log: (message) => {
        if (process.env.POWERTOOLS_LOG_LEVEL !== 'SILENT') console.error(message);
      },
    });
    closers.push(() => breakerProbe.close());

    const sources: SqsEventSource[] = [];
    for (const [name, spec] of Object.entries(queues)) {
      sources.push(
        startSqsEventSource({
          ...(name === 'OdooWriteQueue' ? { paused: () => breakerProbe.paused() } : {}),
          sqs: aws.sqs,
          queueUrl: queueUrls[name]?.queueUrl as string,
          handler: (event) => invoke(spec.consumer, event) as never,
          batchSize: spec.batchSize,
          reportBatchItemFailures: true,
          functionName: spec.consumer,
          maxConcurrency: spec.maxConcurrency,
          timeoutMs: handlers[spec.consumer].timeoutSeconds * 1000,
          memoryLimitInMB: handlers[spec.consumer].memoryMb,
          pollWaitSeconds: 1,
          ...(meter
            ? {
                onRequest: (operation: string, bytes: number) =>
                  meter.sqsRequest(spec.fifo ? 'fifo' : 'standard', operation, bytes),
              }
            : {}),
          onError: (error) => {
            if (process.env.POWERTOOLS_LOG_LEVEL !== 'SILENT')
              console.error(`[${spec.consumer}] batch failed: ${(error as Error).message}`);
          },
        }),
      );
    }
    writerSource = sources[Object.keys(queues).indexOf('OdooWriteQueue')];
    closers.push(async () => {
      await Promise.all(sources.map((s) => s.stop()));
    });

    // S3 ObjectCreated → the upload processor, in-process (in AWS: S3 notification, async invoke). Like
    // Lambda's async invocation, a failure is retried twice; then it is logged (AWS: the on-failure queue).
    const uploadsInFlight = new Set<Promise<void>>();
    aws.s3.onObjectCreated(({ bucket, key, size }) => {
      const run = (async () => {
        const event = {
          Records: [
            {
              eventSource: 'aws:s3',
              eventName: 'ObjectCreated:Put',
              awsRegion: REGION,
              eventTime: new Date().toISOString(),
              s3: {
                bucket: { name: bucket },
                object: { key: encodeURIComponent(key).replace(/%2F/g, '/'), size },
              },
            },
          ],
        };
        for (let attempt = 0; attempt < 3; attempt++) {
          try {
            await invoke('x12UploadProcessor', event);
            return;
          } catch (error) {
            if (attempt === 2 && process.env.POWERTOOLS_LOG_LEVEL !== 'SILENT')
              console.error(`[x12UploadProcessor] ${key} failed: ${(error as Error).message}`);
          }
        }
      })();
      uploadsInFlight.add(run);
      void run.finally(() => uploadsInFlight.delete(run));
    });
    closers.push(async () => {
      await Promise.allSettled([...uploadsInFlight]);
    });

    const allScopes = [...new Set(routes.flatMap((r) => (r.scope ? [r.scope] : [])))];
    const devClient = developmentClient(stateDir, allScopes);
    // The README's all-scope client is a `developer`: every facility, payer and team. Local only: stage
    // config refuses the role (lib/config.ts), so no deployed stage has such a client.
    putRegistryEntry(stateDir, {
      clientId: devClient.clientId,
      name: 'developer',
      role: 'developer',
      facilities: ALL,
    });
    for (const client of options.clients ?? []) {
      if (client.partner) putRegistryEntry(stateDir, { clientId: client.clientId, ...client.partner });
    }
    const registry = await LocalTokenIssuer.create(
      stateDir,
      `http://${host}/rcm-hub-local`,
      [devClient, ...(options.clients ?? [])],
      {
        find: (clientId) => registeredClient(stateDir, clientId),
        claims: (clientId) => {
          const entry = readRegistry(stateDir).find((c) => c.clientId === clientId);
          if (!entry) return {};
          return {
            'rcm:role': entry.role,
            'rcm:facilities': entry.facilities === ALL ? ALL : entry.facilities.join(' '),
            ...(entry.payers ? { 'rcm:payers': entry.payers.join(' ') } : {}),
          };
        },
      },
    );
    const gateway: Server = createLocalApiGateway({
      routes,
      tokens: registry,
      // Registry clients are throttled as their usage plans are in AWS; the local all-scope developer is not.
      throttle: new ClientThrottle((clientId) => {
        const entry = readRegistry(stateDir).find((c) => c.clientId === clientId);
        if (!entry || entry.role === 'developer') return undefined;
        return (
          options.clientThrottle?.byName?.[entry.name] ??
          options.clientThrottle?.default ??
          DEFAULT_CLIENT_THROTTLE
        );
      }),
      invoke: (name, event) => {
        meter?.apiRequest();
        return invoke(name, event as APIGatewayProxyEvent) as Promise<APIGatewayProxyResult>;
      },
    });
    const port = options.port ?? Number(process.env.PORT ?? 3000);
    await new Promise<void>((ok, fail) => {
      gateway.once('error', (error: NodeJS.ErrnoException) =>
        fail(error.code === 'EADDRINUSE' ? new PortInUseError(port, 'PORT') : error),
      );
      gateway.listen(port, host, () => ok());
    });
    closers.push(() => new Promise<void>((ok) => gateway.close(() => ok())));
    process.env[env.webhookDeniedLoopbackPorts] =
      `${process.env[env.webhookDeniedLoopbackPorts]},${(gateway.address() as AddressInfo).port}`;
    // `/__local/…` (alert topics, alarms, on-demand sweeps) before the gateway's own routes.
    const gatewayListeners = gateway.listeners('request') as ((...args: unknown[]) => void)[];
    gateway.removeAllListeners('request');
    gateway.on('request', (req, res) => {
      const scheduled = /^\/__local\/schedules\/(\w+)$/.exec(req.url ?? '');
      if (req.method === 'POST' && scheduled) {
        const name = scheduled[1] as ScheduleName;
        const send = (status: number, body: unknown) => {
          res.writeHead(status, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify(body ?? null, null, 2));
        };
        if (!(name in schedules))
          send(404, { message: `no schedule ${name}; schedules: ${Object.keys(schedules).join(', ')}` });
        else
          runSchedule(name).then(
            (result) => send(200, result),
            (error) => send(500, { message: (error as Error).message }),
          );
        return;
      }
      if (monitoring.handleHttp(req, res)) return;
      for (const listener of gatewayListeners) listener(req, res);
    });

    return {
      baseUrl: `http://${host}:${(gateway.address() as AddressInfo).port}`,
      odooUrl: odoo.url,
      odooSandbox: !options.odoo,
      developmentClient: devClient,
      stateDir,
      registerClient: (entry) => addClient(stateDir, entry),
      revokeClient: (name) => revokeClient(stateDir, name) !== undefined,
      aws,
      dynamodbEndpoint,
      queueUrls,
      ruleDlqUrls,
      sns: monitoring.sns,
      cloudwatch: monitoring.cloudwatch,
      runSlaSweep: () => monitoring.runSweep(),
      runSchedule,
      async waitForIdle() {
        for (let settled = 0; settled < 2; ) {
          await aws.events.waitForIdle();
          await aws.stepFunctions.waitForIdle();
          await Promise.all(sources.map((s) => s.waitForIdle()));
          await Promise.allSettled([...uploadsInFlight]);
          const pending = Object.values(queueUrls).reduce((n, q) => n + aws.sqs.messageCount(q.queueUrl), 0);
          settled = pending === 0 ? settled + 1 : 0;
          if (settled < 2) await new Promise((r) => setTimeout(r, 50));
        }
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** What the SDK clients ask of SQS, EventBridge and Step Functions, in billed units (docs/cost.md). */
function meterRequest(meter: AwsMeter) {
  return (target: string, operation: string, input: Record<string, unknown>) => {
    if (target === 'AWSEvents' && operation === 'PutEvents')
      meter.putEvents((input.Entries ?? []) as { DetailType?: string; Detail?: string; Source?: string }[]);
    else if (target === 'AmazonSQS') {
      const queueUrl = String(input.QueueUrl ?? '');
      const bodies = [
        input.MessageBody,
        ...((input.Entries as { MessageBody?: string }[] | undefined) ?? []).map((e) => e.MessageBody),
      ];
      const bytes = bodies.reduce<number>(
        (n, body) => n + (typeof body === 'string' ? Buffer.byteLength(body) : 0),
        0,
      );
      meter.sqsRequest(queueUrl.endsWith('.fifo') ? 'fifo' : 'standard', operation, bytes);
    } else if (target === 'AWSStepFunctions' && operation === 'StartExecution')
      meter.stepFunctionsExecution();
  };
}

async function createTables(endpoint: string): Promise<void> {
  const client = new DynamoDBClient({ endpoint, region: REGION });
  for (const [name, spec] of Object.entries(tables) as [keyof typeof tables, TableSpec][]) {
    const attributes = new Set<string>([spec.partitionKey, ...(spec.sortKey ? [spec.sortKey] : [])]);
    for (const gsi of spec.globalSecondaryIndexes ?? []) {
      attributes.add(gsi.partitionKey);
      if (gsi.sortKey) attributes.add(gsi.sortKey);
    }
    try {
      await client.send(
        new CreateTableCommand({
          TableName: name,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [...attributes].map((attr) => ({ AttributeName: attr, AttributeType: 'S' })),
          KeySchema: [
            { AttributeName: spec.partitionKey, KeyType: 'HASH' },
            ...(spec.sortKey ? [{ AttributeName: spec.sortKey, KeyType: 'RANGE' as const }] : []),
          ],
          ...(spec.globalSecondaryIndexes?.length
            ? {
                GlobalSecondaryIndexes: spec.globalSecondaryIndexes.map((gsi) => ({
                  IndexName: gsi.indexName,
                  KeySchema: [
                    { AttributeName: gsi.partitionKey, KeyType: 'HASH' as const },
                    ...(gsi.sortKey ? [{ AttributeName: gsi.sortKey, KeyType: 'RANGE' as const }] : []),
                  ],
                  // The projection wiring.ts declares, as lib/data.ts deploys it.
                  Projection: {
                    ProjectionType: gsi.projection?.type ?? 'ALL',
                    ...(gsi.projection?.type === 'INCLUDE'
                      ? { NonKeyAttributes: [...gsi.projection.attributes] }
                      : {}),
                  },
                })),
              }
            : {}),
        }),
      );
    } catch (error) {
      // Tables survive restarts in the state dir. dynalite has no UpdateTimeToLive; Powertools checks expiry itself.
      if (!(error instanceof ResourceInUseException)) throw error;
    }
  }
  client.destroy();
}

/**
 * The sandbox is its own program: the hub reaches it only over HTTP, as it would a real Odoo. It is supervised
 * (issue 12): it exits with the hub even on `kill -9` (a pipe on its stdin closes), a sandbox left over by a
 * killed hub (pid file) is stopped first, and one that dies while the hub runs is restarted on the same port
 * with its data file (it persists every transaction, as Odoo commits).
 */
async function startOdooSandbox(
  stateDir: string,
  port: number,
  closers: Array<() => Promise<void>>,
): Promise<OdooTarget> {
  const main = join(REPO_ROOT, 'local', 'odoo-sandbox', 'main.ts');
  if (!existsSync(main)) throw new Error(`Odoo sandbox not found at ${main}`);
  const pidFile = join(stateDir, 'odoo-sandbox.pid');
  await reapOrphan(pidFile);
  let closing = false;
  let child: ChildProcess | undefined;
  let restarts = 0;
  const spawnOnce = (listenPort: number): Promise<{ url: string; process: ChildProcess }> => {
    const proc: ChildProcess = spawn(
      process.execPath,
      ['--import', 'tsx', main, '--port', String(listenPort), '--data', join(stateDir, 'odoo-sandbox.json')],
      {
        cwd: REPO_ROOT,
        stdio: ['pipe', 'pipe', 'pipe'],
        env: {
          ...process.env,
          ODOO_SANDBOX_DB: 'rcm',
          ODOO_SANDBOX_USER: 'admin',
          ODOO_SANDBOX_API_KEY: 'admin',
          ODOO_SANDBOX_EXIT_WITH_PARENT: '1',
        },
      },
    );
    if (proc.pid) writeFileSync(pidFile, String(proc.pid));
    // Its stderr is passed on, except the port-in-use line: the hub says that itself, once (PortInUseError).
    let portInUse = false;
    proc.stderr?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes(`port ${listenPort} is in use`)) portInUse = true;
      else process.stderr.write(chunk);
    });
    return new Promise((ok, fail) => {
      let seen = '';
      const timer = setTimeout(() => fail(new Error(`Odoo sandbox did not start: ${seen}`)), 30_000);
      const onData = (chunk: Buffer) => {
        seen += chunk.toString();
        const match = /listening on (http:\/\/\S+)/.exec(seen);
        if (match?.[1]) {
          clearTimeout(timer);
          proc.stdout?.off('data', onData);
          proc.stdout?.resume();
          ok({ url: match[1], process: proc });
        }
      };
      proc.stdout?.on('data', onData);
      // 'close', not 'exit': its stderr has been read by then.
      proc.once('close', (code, signal) => {
        clearTimeout(timer);
        fail(
          portInUse
            ? new PortInUseError(listenPort, 'ODOO_SANDBOX_PORT')
            : new Error(`Odoo sandbox exited with ${signal ?? `code ${code}`}: ${seen}`),
        );
      });
    });
  };
  const first = await spawnOnce(port);
  const url = first.url;
  const actualPort = Number(new URL(url).port);
  const supervise = (proc: ChildProcess) => {
    child = proc;
    proc.once('exit', (code, signal) => {
      if (closing) return;
      restarts += 1;
      if (process.env.POWERTOOLS_LOG_LEVEL !== 'SILENT')
        console.error(
          `[odoo-sandbox] exited (${signal ?? `code ${code}`}); restarting on port ${actualPort}`,
        );
      const again = () =>
        spawnOnce(actualPort).then(
          (next) => (closing ? void stopChild(next.process) : supervise(next.process)),
          () => {
            // The port may still be held for a moment: try again shortly, unless the hub is closing.
            if (!closing && restarts < 50) setTimeout(() => void again(), 500).unref();
          },
        );
      void again();
    });
  };
  supervise(first.process);
  closers.push(async () => {
    closing = true;
    if (child) await stopChild(child);
    rmSync(pidFile, { force: true });
  });
  return { url, db: 'rcm', login: 'admin', apiKey: 'admin', protocol: 'jsonrpc' };
}

const DYNALITE_OPTIONS = { createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 };

/** dynalite in this process, persisting to LevelDB under `path`; answers its endpoint. */
async function startDynalite(
  path: string,
  host: string,
  closers: Array<() => Promise<void>>,
): Promise<string> {
  const dynamo = dynalite({ path, ...DYNALITE_OPTIONS });
  await new Promise<void>((ok) => dynamo.listen(0, host, () => ok()));
  closers.push(() => new Promise<void>((ok) => dynamo.close(() => ok())));
  return `http://${host}:${(dynamo.address() as AddressInfo).port}`;
}

/**
 * dynalite in a child process (its CLI cannot listen on port 0 and say which port it got, hence the inline
 * script). The child follows a pipe on its stdin: when the hub dies, even by `kill -9`, it exits and frees the
 * LevelDB lock.
 */
async function startDynaliteProcess(
  path: string,
  host: string,
  closers: Array<() => Promise<void>>,
): Promise<string> {
  const script = `
    const server = require('dynalite')(${JSON.stringify({ path, ...DYNALITE_OPTIONS })});
    server.listen(0, ${JSON.stringify(host)}, () => console.log('dynalite port ' + server.address().port));
    const stop = () => server.close(() => process.exit(0));
    process.on('SIGTERM', stop);
    process.stdin.on('end', stop);
    process.stdin.on('error', stop);
    process.stdin.resume();`;
  const proc = spawn(process.execPath, ['-e', script], {
    cwd: REPO_ROOT,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((ok, fail) => {
    let seen = '';
    const timer = setTimeout(() => fail(new Error(`dynalite did not start: ${seen}`)), 30_000);
    proc.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const match = /dynalite port (\d+)/.exec(seen);
      if (match?.[1]) {
        clearTimeout(timer);
        ok(Number(match[1]));
      }
    });
    proc.once('exit', (code, signal) => {
      clearTimeout(timer);
      fail(new Error(`dynalite exited with ${signal ?? `code ${code}`}: ${seen}`));
    });
  });
  proc.stdout?.resume();
  closers.push(() => stopChild(proc));
  return `http://${host}:${port}`;
}

/** Waits for a child to end; a child that already died by a signal has `signalCode` set, not `exitCode`. */
function stopChild(proc: ChildProcess): Promise<void> {
  return new Promise<void>((ok) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return ok();
    proc.once('exit', () => ok());
    proc.kill('SIGTERM');
  });
}

/** A sandbox left by a hub that was killed before the pipe trick existed (or raced it): stop it, if it is one. */
async function reapOrphan(pidFile: string): Promise<void> {
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  rmSync(pidFile, { force: true });
  if (!Number.isInteger(pid) || pid <= 1) return;
  try {
    // Only a process whose command line is the sandbox's: a recycled pid must not be killed.
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (!cmdline.includes('odoo-sandbox')) return;
    process.kill(pid, 'SIGTERM');
  } catch {
    return; // gone already, or no /proc (macOS): the pipe on stdin stops orphans there
  }
  // It frees the port when it is gone.
  for (let waited = 0; waited < 5_000; waited += 100) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
