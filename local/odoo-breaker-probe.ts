import type { OdooBreakerStore } from '../lambdas/adapters/dynamodb/odoo-breaker-store.js';
import { OdooClient } from '../lambdas/adapters/odoo/client.js';
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
  clock?: () => number;
  log?: (message: string) => void;
}): OdooBreakerProbe {
  const clock = options.clock ?? Date.now;
  const interval = options.intervalMs ?? 500;
  const client = new OdooClient(
    { ...options.odoo, protocol: options.odoo.protocol ?? 'jsonrpc' },
    { timeoutMs: 5_000 },
  );
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
