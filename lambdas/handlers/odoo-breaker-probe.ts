import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { OdooBreakerStore } from '../adapters/dynamodb/odoo-breaker-store.js';
import { requiredEnv } from '../adapters/environment.js';
import { EventSourceMappingSwitch, queueBacklog } from '../adapters/lambda/odoo-writer-switch.js';
import { createLogger, createMetrics } from '../adapters/observability.js';
import { OdooClient } from '../adapters/odoo/client.js';
import { publishBreakerFigures } from '../adapters/odoo-breaker-figures.js';
import { OdooConnectionSecret } from '../adapters/secrets/odoo-connection.js';
import { OdooBreakerProbeCycle } from '../core/odoo-breaker-probe.js';
import { env } from '../env.js';

const logger = createLogger('odooBreakerProbe');
const sqs = new SQSClient({});
const queueUrl = requiredEnv(env.odooBreakerBacklogQueue);
const odooSecret = new OdooConnectionSecret(requiredEnv(env.odooSecret));
const metrics = createMetrics('odooBreakerProbe');
const sns = new SNSClient({});
const alertTopic = process.env[env.odooBreakerAlertTopic];
const writers = new EventSourceMappingSwitch(
  new LambdaClient({}),
  requiredEnv(env.odooWriterEventSourceMapping),
);

/** Between two cycles while the breaker is open: the breaker policy decides when a probe is actually due. */
const CYCLE_MS = 2_000;
/** Never run into the function timeout (the next scheduled run takes over). */
const SAFETY_MS = 5_000;

// One cycle object per warm instance: its samples give the drain rate across scheduled runs.
const store = new OdooBreakerStore(new DynamoDBClient({}), requiredEnv(env.workflowTable));
const cycle = new OdooBreakerProbeCycle({
  store,
  probeOdoo: async () => {
    const client = new OdooClient(await odooSecret.load(), { timeoutMs: 5_000 });
    await client.call('res.partner', 'search_count', [[['id', '=', 0]]]);
  },
  consumers: writers,
  backlog: () => queueBacklog(sqs, queueUrl),
  // The writers' counter (one item of the table the probe already reads): what was drained, not the net
  // backlog change, live, with no CloudWatch read (SQS's NumberOfMessagesDeleted lags minutes behind).
  drained: () => store.drained(),
  metrics: (figures) => publishBreakerFigures(metrics, figures),
  notify: async (subject, message) => {
    if (alertTopic)
      await sns.send(new PublishCommand({ TopicArn: alertTopic, Subject: subject, Message: message }));
  },
  log: (message) => logger.info(message),
});

/**
 * Scheduled every minute, and woken by a writer when the breaker opens (lambdas/adapters/lambda). While the
 * breaker is closed one cycle is enough (it records the backlog and makes sure the writers consume); while it
 * is open the probe stays and cycles until Odoo answers or its time is up, so the writers resume within
 * seconds of Odoo's return rather than at the next minute. Two probes at once (a wake-up during a scheduled
 * run) do no harm: each makes the mapping follow the breaker's state, and a loser's stale flip is undone by
 * its own next cycle two seconds later.
 */
export const handler = async (
  _event: unknown,
  context?: Context,
): Promise<{ breaker: string; backlog: number }> => {
  const started = Date.now();
  const budget = Math.min(context?.getRemainingTimeInMillis?.() ?? 60_000, 60_000) - SAFETY_MS;
  for (;;) {
    const result = await cycle.run(Date.now(), Date.now);
    if (result.consuming || Date.now() - started + CYCLE_MS > budget)
      return { breaker: result.state.status, backlog: result.backlog };
    await new Promise((resolve) => setTimeout(resolve, CYCLE_MS));
  }
};
