import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { AuditLog } from '../adapters/dynamodb/audit-log.js';
import { TriageStore } from '../adapters/dynamodb/triage-store.js';
import { requiredEnv } from '../adapters/environment.js';
import { createLogger, createMetrics } from '../adapters/observability.js';
import { env } from '../env.js';
import { METRICS } from '../metric-names.js';
import { type RetrainResult, retrain } from './triage/suggest.js';

const logger = createLogger('triageRetrain');
const metrics = createMetrics('triageRetrain');
const dynamodb = new DynamoDBClient({});
const store = new TriageStore(
  dynamodb,
  requiredEnv(env.exceptionTable),
  new AuditLog(dynamodb, requiredEnv(env.auditTable)),
);

/**
 * Scheduled (wiring.ts `TriageRetrain`; also POST /v1/triage/model/retrain): retrains the triage model from
 * the causes people chose when they resolved, keeps the new version and re-suggests for open exceptions.
 */
export const handler = async (): Promise<RetrainResult> => {
  const result = await retrain(store, Date.now());
  metrics.addMetric(METRICS.triageModelExamples, MetricUnit.Count, result.examples);
  metrics.publishStoredMetrics();
  logger.info('triage model retrained', { ...result });
  return result;
};
