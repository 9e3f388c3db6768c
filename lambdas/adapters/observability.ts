import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

/**
 * Logs carry ids, states, amounts and error kinds — never names, member ids or bodies (PHI stays out of
 * logs). Service name comes from POWERTOOLS_SERVICE_NAME in AWS; a default keeps local output tidy.
 */
export function createLogger(handler: string): Logger {
  return new Logger({
    serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'rcm-hub',
    persistentKeys: { handler },
  });
}

/**
 * Metrics in Embedded Metric Format, namespace per stage (POWERTOOLS_METRICS_NAMESPACE, set by lib/ and
 * local/). Dimensions are never patient, member or claim ids: payer, team, state and queue names only.
 * Handlers publish with `metrics.publishStoredMetrics()` (or Powertools' logMetrics middleware).
 */
export function createMetrics(handler: string): Metrics {
  return new Metrics({
    namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'rcm-hub-local',
    serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'rcm-hub',
    defaultDimensions: { handler },
  });
}
