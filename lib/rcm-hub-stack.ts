import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { alarmName } from '../lambdas/monitoring-alarms.js';
import type { QueueName, Resource } from '../lambdas/wiring.js';
import { env } from '../lambdas/wiring.js';
import { Api } from './api.js';
import type { Stage } from './config.js';
import { Data, tableFor } from './data.js';
import { Events } from './events.js';
import { Functions, type HubResources } from './functions.js';
import { Monitoring } from './monitoring.js';
import { OdooWrites } from './odoo-writes.js';
import { Reconciliation, reconciliationStateMachineName } from './reconciliation.js';
import { Secrets } from './secrets.js';
import { Security } from './security.js';
import { backlogDrainAlarm, TriageSchedules } from './triage.js';
import { Uploads } from './uploads.js';
import { Webhooks } from './webhooks.js';

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
    this.webhooks.addConsumers(this.functions.byName);
    this.uploads.addProcessor(this.functions.byName.x12UploadProcessor);
    // The codes the writer books to and the health check verifies (lambdas/adapters/odoo/accounts.ts).
    for (const fn of [this.functions.byName.odooWriter, this.functions.byName.health])
      fn.addEnvironment(env.odooLedgerSetup, JSON.stringify(config.odooLedger));
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
    // The backlog's time to drain at the measured posting rate, on the alarm itself (docs/triage.md#forecasts).
    this.monitoring.addAlarm(
      'OdooWriteBacklogDrainAlarm',
      {
        ...backlogDrainAlarm(this.odooWrites.queues.OdooWriteQueue.queue),
        alarmName: alarmName(stage, 'OdooWriteBacklogDrain'),
      },
      'integration',
    );
    for (const name of Object.keys(this.odooWrites.queues) as QueueName[]) {
      this.monitoring.addDlqAlarm(
        `${name}DlqAlarm`,
        this.odooWrites.queues[name].dlq,
        'Odoo rejected a write permanently or it failed on every retry.',
        'odoo-write-dlq',
      );
    }
    for (const [name, { dlq }] of Object.entries(this.webhooks.queues)) {
      this.monitoring.addDlqAlarm(
        `${name}DlqAlarm`,
        dlq,
        name === 'WebhookDeliveryQueue'
          ? 'A webhook delivery failed for 24 hours (an ExceptionOpened was published).'
          : 'An inbound webhook could not be processed on any retry.',
        'webhooks',
      );
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
