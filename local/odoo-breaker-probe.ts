import type { OdooBreakerStore } from '../lambdas/adapters/dynamodb/odoo-breaker-store.js';
import { createMetrics } from '../lambdas/adapters/observability.js';
import { OdooClient } from '../lambdas/adapters/odoo/client.js';
import { publishBreakerFigures } from '../lambdas/adapters/odoo-breaker-figures.js';
import { OdooBreakerProbeCycle } from '../lambdas/core/odoo-breaker-probe.js';

/**
 * The local side of the Odoo circuit breaker (issue 12): the probe cycle the AWS probe Lambda runs
 * (lambdas/core/odoo-breaker-probe.ts), with local ports — the writer's event source is paused instead of
 * its event source mapping disabled, the backlog is the local queue's, and the drain rate is the slope of
 * the messages the local event source deleted.
 */
export interface OdooBreakerProbe {
  /** True while the writers must not take messages. */
  paused(): boolean;
  close(): Promise<void>;
}

export function startOdooBreakerProbe(options: {
  store: OdooBreakerStore;
  odoo: { url: string; db: string; login: string; apiKey: string; protocol?: 'jsonrpc' | 'json2' };
  /** Messages waiting on the Odoo write queue. */
  backlog: () => number;
  /** Messages the writers have processed and deleted so far. */
  drained: () => number;
  intervalMs?: number;
  /** The integration alerts topic (the local SNS): the probe's "Odoo down, backlog N, draining at R/s". */
  notify?: (subject: string, message: string) => void;
  clock?: () => number;
  log?: (message: string) => void;
}): OdooBreakerProbe {
  const clock = options.clock ?? Date.now;
  const interval = options.intervalMs ?? 500;
  const client = new OdooClient(
    { ...options.odoo, protocol: options.odoo.protocol ?? 'jsonrpc' },
    { timeoutMs: 5_000 },
  );
  const metrics = createMetrics('odooBreakerProbe');
  let paused = false;
  let closed = false;
  let running: Promise<void> = Promise.resolve();
  const cycle = new OdooBreakerProbeCycle({
    store: options.store,
    probeOdoo: async () => {
      await client.call('res.partner', 'search_count', [[['id', '=', 0]]]);
    },
    consumers: {
      enabled: async () => !paused,
      setEnabled: async (enabled) => {
        paused = !enabled;
      },
    },
    backlog: async () => options.backlog(),
    drained: options.drained,
    // EMF on stdout, as the Lambda prints it: the local CloudWatch evaluates OdooDownBacklog from it.
    metrics: (figures) => publishBreakerFigures(metrics, figures),
    notify: async (subject, message) => options.notify?.(subject, message),
    ...(options.log ? { log: options.log } : {}),
  });

  let busy = false;
  const timer = setInterval(() => {
    if (closed || busy) return;
    busy = true;
    running = cycle
      .run(clock(), clock)
      .then(() => undefined)
      .catch((error: unknown) => options.log?.(`[odoo-breaker] ${(error as Error).message}`))
      .finally(() => {
        busy = false;
      });
  }, interval);
  timer.unref();

  return {
    paused: () => paused,
    async close() {
      closed = true;
      clearInterval(timer);
      await running;
    },
  };
}
