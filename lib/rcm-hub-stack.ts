import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { alarmName, QUEUE_DLQ_ALARMS } from '../lambdas/monitoring-alarms.js';
import type { HandlerName, QueueName, Resource } from '../lambdas/wiring.js';
import { env } from '../lambdas/wiring.js';
import { Api } from './api.js';
import type { Stage } from './config.js';
import { Data, tableFor } from './data.js';
import { Events } from './events.js';
import { Functions, type HubResources } from './functions.js';
import { Monitoring } from './monitoring.js';
import { OdooBreaker } from './odoo-breaker.js';
import { OdooWrites } from './odoo-writes.js';
import { Reconciliation, reconciliationStateMachineName } from './reconciliation.js';
import { Secrets } from './secrets.js';
import { Security } from './security.js';
import { backlogDrainAlarm, TriageSchedules } from './triage.js';
import { Uploads } from './uploads.js';
import { Webhooks } from './webhooks.js';

/** The functions that triage exceptions (lambdas/handlers/triage/suggest.ts) and so price their exposure. */
export const TRIAGE_FUNCTIONS = [
  'projectExceptions',
  'insights',
  'triageRetrain',
] as const satisfies readonly HandlerName[];

export interface RcmHubStackProps extends StackProps {
  stage: Stage;
}

/**
 * The whole hub for one stage. Each concern is one construct with a fixed id; this class only composes them
 * and passes resources along. Routes, handlers, queues and event routes all come from lambdas/wiring.ts.
 */
export class RcmHubStack extends Stack {
  readonly security: Security;
  readonly data: Data;
  readonly secrets: Secrets;
  readonly events: Events;
  readonly odooWrites: OdooWrites;
  readonly odooBreaker: OdooBreaker;
  readonly webhooks: Webhooks;
  readonly uploads: Uploads;
  readonly functions: Functions;
  readonly triageSchedules: TriageSchedules;
  readonly reconciliation: Reconciliation;
  /** Every wiring.ts `Resource`, as built here (what functions get in their environment and grants). */
  readonly resources: HubResources;
  readonly api: Api;
  readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, props: RcmHubStackProps) {
    super(scope, id, props);
    const { name: stage, config } = props.stage;
    const removalPolicy = config.removalPolicy === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.security = new Security(this, 'Security', { stage, removalPolicy });
    const key = this.security.key;
    this.data = new Data(this, 'Data', { key, removalPolicy });
    this.secrets = new Secrets(this, 'Secrets', { stage, key, removalPolicy });
    this.events = new Events(this, 'Events', {
      stage,
      key,
      removalPolicy,
      archiveRetentionDays: config.eventArchiveRetentionDays,
    });
    this.odooWrites = new OdooWrites(this, 'OdooWrites', {
      stage,
      key,
      removalPolicy,
      maxReceiveCount: config.odooWriteMaxReceiveCount,
      maxConcurrency: config.odooWriteConcurrency,
      lateCommitSeconds: config.odooLateCommitSeconds,
      eraLanes: config.odooEraLanes,
    });
    this.webhooks = new Webhooks(this, 'Webhooks', { stage, key, removalPolicy });
    this.uploads = new Uploads(this, 'Uploads', { key, removalPolicy });
    const queuesByResource = { ...this.odooWrites.byResource(), ...this.webhooks.byResource() };
    const queueFor = (resource: Resource): sqs.IQueue => {
      const queue = queuesByResource[resource];
      if (!queue) throw new Error(`No queue in wiring.ts queues provides resource ${resource}`);
      return queue;
    };
    this.resources = {
      workflowTable: this.data.tables[tableFor('workflowTable')],
      idempotencyTable: this.data.tables[tableFor('idempotencyTable')],
      eventBus: this.events.bus,
      webhookSubscriptionsRule: this.events.bus,
      odooWriteQueue: queueFor('odooWriteQueue'),
      odooWriteDlq: queueFor('odooWriteDlq'),
      odooSecret: this.secrets.odooSecret,
      webhookTable: this.data.tables[tableFor('webhookTable')],
      webhookSourcesSecret: this.webhooks.sourcesSecret,
      inboundWebhookQueue: queueFor('inboundWebhookQueue'),
      inboundWebhookDlq: queueFor('inboundWebhookDlq'),
      webhookDeliveryQueue: queueFor('webhookDeliveryQueue'),
      webhookDeliveryDlq: queueFor('webhookDeliveryDlq'),
      remittanceUploadsBucket: this.uploads.bucket,
      reconciliationStateMachine: sfn.StateMachine.fromStateMachineName(
        this,
        'ReconciliationStateMachineRef',
        reconciliationStateMachineName(stage),
      ),
      exceptionTable: this.data.tables[tableFor('exceptionTable')],
      odooWriteDlqRedrive: queueFor('odooWriteDlq'),
      auditTable: this.data.tables[tableFor('auditTable')],
    };

    this.functions = new Functions(this, 'Functions', {
      stage,
      key,
      logRetention: config.logRetentionDays,
      removalPolicy,
      idempotencyTtlHours: config.idempotencyTtlHours,
      resources: this.resources,
      reservedConcurrency: config.reservedConcurrency,
    });
    this.events.addRoutes(this.functions.byName);
    this.odooWrites.addConsumers(this.functions.byName);
    // Issue 12: the writer's event source mapping is the breaker's switch; the probe flips it.
    const writerEventSource = this.odooWrites.eventSources.OdooWriteQueue;
    if (!writerEventSource) throw new Error('OdooWriteQueue has no event source');
    this.odooBreaker = new OdooBreaker(this, 'OdooBreaker', {
      stage,
      writer: this.functions.byName.odooWriter,
      writerEventSource,
      writeQueue: this.odooWrites.queues.OdooWriteQueue.queue,
      probe: this.functions.byName.odooBreakerProbe,
    });
    this.webhooks.addConsumers(this.functions.byName);
    this.uploads.addProcessor(this.functions.byName.x12UploadProcessor);
    // The codes the writer books to and the health check verifies (lambdas/adapters/odoo/accounts.ts).
    for (const fn of [this.functions.byName.odooWriter, this.functions.byName.health])
      fn.addEnvironment(env.odooLedgerSetup, JSON.stringify(config.odooLedger));
    // Timely-filing and appeal windows per payer (stage data) for every function that triages an exception.
    for (const fn of TRIAGE_FUNCTIONS)
      this.functions.byName[fn].addEnvironment(
        env.triagePayerWindows,
        JSON.stringify(config.triage.payerWindows),
      );
    // The optional Bedrock summariser: only the insights function, only the one model, only when configured.
    if (config.triage.summaryModelId) {
      const insights = this.functions.byName.insights;
      insights.addEnvironment(env.triageSummaryModelId, config.triage.summaryModelId);
      insights.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['bedrock:InvokeModel'],
          resources: [
            Stack.of(this).formatArn({
              service: 'bedrock',
              account: '',
              resource: 'foundation-model',
              resourceName: config.triage.summaryModelId,
            }),
          ],
        }),
      );
    }
    const reconcile = this.functions.byName.reconcile;
    reconcile.addEnvironment(env.reconciliationLagDays, String(config.reconciliation.remittanceLagDays));
    reconcile.addEnvironment(
      env.reconciliationPayerLagDays,
      JSON.stringify(config.reconciliation.payerRemittanceLagDays),
    );
    this.reconciliation = new Reconciliation(this, 'Reconciliation', {
      stage,
      key,
      removalPolicy,
      logRetention: config.logRetentionDays,
      reconcileFunction: reconcile,
      scheduleExpression: config.reconciliation.schedule,
      maxConcurrency: config.reconciliation.maxConcurrency,
    });

    this.api = new Api(this, 'Api', {
      stage,
      key,
      removalPolicy,
      logRetention: config.logRetentionDays,
      throttle: config.apiThrottle,
      wafRateLimitPer5Minutes: config.wafRateLimitPer5Minutes,
      functions: this.functions.byName,
      partners: config.partners,
      partnerThrottle: config.partnerThrottle,
    });

    // Triage retrain and payer insights run on schedules of their own (docs/triage.md).
    this.triageSchedules = new TriageSchedules(this, 'TriageSchedules', { functions: this.functions.byName });

    this.monitoring = new Monitoring(this, 'Monitoring', {
      stage,
      key,
      config: config.monitoring,
      functions: this.functions.byName,
      queues: { ...this.odooWrites.queues, ...this.webhooks.queues },
      restApi: this.api.restApi,
    });
    // Each newly registered exception alerts its team's topic with its triage, and a payer anomaly alerts once
    // more when it clears (docs/triage.md#alerts).
    for (const fn of [this.functions.byName.projectExceptions, this.functions.byName.payerInsights]) {
      fn.addEnvironment(
        env.exceptionAlertTopics,
        JSON.stringify(
          Object.fromEntries(Object.entries(this.monitoring.topics).map(([team, t]) => [team, t.topicArn])),
        ),
      );
      for (const topic of Object.values(this.monitoring.topics)) topic.grantPublish(fn);
    }
    // Issue 12: the breaker probe tells the integration topic "Odoo down, backlog N, draining at R/s".
    this.odooBreaker.tellTopic(this.monitoring.topics.integration);
    // The backlog's time to drain at the measured posting rate, on the alarm itself (docs/triage.md#forecasts).
    this.monitoring.addAlarm(
      'OdooWriteBacklogDrainAlarm',
      {
        ...backlogDrainAlarm(this.odooWrites.queues.OdooWriteQueue.queue),
        alarmName: alarmName(stage, 'OdooWriteBacklogDrain'),
      },
      'integration',
    );
    // The wiring.ts queues' DLQs: the same texts the local runtime's DLQ alarms carry (QUEUE_DLQ_ALARMS).
    const queueDlqs = { ...this.odooWrites.queues, ...this.webhooks.queues } as Record<
      QueueName,
      { dlq: sqs.IQueue }
    >;
    for (const [name, { what, runbookSection }] of Object.entries(QUEUE_DLQ_ALARMS) as [
      QueueName,
      { what: string; runbookSection: string },
    ][]) {
      this.monitoring.addDlqAlarm(`${name}DlqAlarm`, queueDlqs[name].dlq, what, runbookSection);
    }
    this.monitoring.addDlqAlarm(
      'RemittanceUploadProcessorDlqAlarm',
      this.uploads.processorDlq,
      'A remittance upload could not be processed after Lambda retries (its status stays processing).',
      'x12-uploads',
    );
    for (const [routeName, dlq] of Object.entries(this.events.ruleDlqs)) {
      this.monitoring.addDlqAlarm(
        `${routeName}DlqAlarm`,
        dlq,
        `EventBridge could not deliver events of rule ${routeName} to its target for 24 hours.`,
        'rule-dlq',
      );
    }

    new CfnOutput(this, 'ApiUrl', {
      value: this.api.restApi.url,
      description: 'Base URL of the partner API',
    });
    new CfnOutput(this, 'TokenUrl', {
      value: `${this.api.userPoolDomain.baseUrl()}/oauth2/token`,
      description: 'OAuth 2.0 token endpoint (client credentials)',
    });
    new CfnOutput(this, 'UserPoolId', { value: this.api.userPool.userPoolId });
    for (const [name, client] of Object.entries(this.api.clients)) {
      new CfnOutput(this, `Client${name.replace(/(^|-)(\w)/g, (_m, _d, c: string) => c.toUpperCase())}Id`, {
        value: client.userPoolClientId,
        description: `Cognito app client of ${name} (secret: describe-user-pool-client)`,
      });
    }
    new CfnOutput(this, 'OdooSecretArn', { value: this.secrets.odooSecret.secretArn });
    new CfnOutput(this, 'EventBusName', { value: this.events.bus.eventBusName });
    for (const [audience, topic] of Object.entries(this.monitoring.topics)) {
      new CfnOutput(this, `${audience.charAt(0).toUpperCase()}${audience.slice(1)}AlertsTopicArn`, {
        value: topic.topicArn,
        description: `SNS topic of the ${audience} alerts`,
      });
    }
    new CfnOutput(this, 'DashboardName', { value: this.monitoring.dashboard.dashboardName });
  }
}
