import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { BreakerFigures } from '../core/odoo-breaker-probe.js';
import { METRICS } from '../metric-names.js';

/**
 * The breaker probe's figures as EMF (AWS Lambda and the local runtime's probe alike): the OdooDownBacklog
 * alarm reads OdooBreakerOpen; the backlog, drain rate and time to clear are on the dashboard.
 */
export function publishBreakerFigures(metrics: Metrics, figures: BreakerFigures): void {
  metrics.addMetric(METRICS.odooBreakerOpen, MetricUnit.Count, figures.breakerOpen ? 1 : 0);
  metrics.addMetric(METRICS.odooWriteBacklog, MetricUnit.Count, figures.backlog);
  metrics.addMetric(METRICS.odooWriteDrainPerSecond, MetricUnit.CountPerSecond, figures.drainPerSecond);
  if (figures.clearSeconds !== undefined)
    metrics.addMetric(METRICS.odooWriteBacklogClearSeconds, MetricUnit.Seconds, figures.clearSeconds);
  metrics.publishStoredMetrics();
}
