import type { OdooBreakerStore } from '../lambdas/adapters/dynamodb/odoo-breaker-store.js';
import { OdooClient } from '../lambdas/adapters/odoo/client.js';
import { type CallOutcome, isConsuming, probeDue, recordProbe } from '../lambdas/core/odoo-breaker.js';

/**
 * The local side of the Odoo circuit breaker (issue 12), doing what the probe does in AWS: it reads the
 * breaker the writers feed, pauses the writer's event source while the breaker is open (in AWS: the event
 * source mapping disabled), probes Odoo with one cheap call when a probe is due — never with a message, so no
 * receive is spent — and records the backlog and drain rate that /health and the alarm report.
 */
export interface OdooBreakerProbe {
  /** True while the writers must not take messages. */
  paused(): boolean;
  close(): Promise<void>;
}

export function startOdooBreakerProbe(options: {
  store: OdooBreakerStore;
  odoo: { url: string; db: string; login: string; apiKey: string; protocol?: 'jsonrpc' | 'json2' };
  /** Visible messages waiting on the Odoo write queue. */
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
  const samples: { at: number; drained: number }[] = [];
  let paused = false;
  let lastBacklogWrite = 0;
  let closed = false;
  let running: Promise<void> = Promise.resolve();

  const tick = async () => {
    const now = clock();
    let record = await options.store.read({ fresh: true });
    if (probeDue(record.state, now)) {
      let outcome: CallOutcome;
      try {
        await client.call('res.partner', 'search_count', [[['id', '=', 0]]]);
        outcome = { kind: 'success' };
      } catch (error) {
        outcome = { kind: 'failed', error: (error as Error).message };
      }
      const at = clock();
      record = await options.store.update((current) => ({
        ...current,
        state: recordProbe(current.state, outcome, at),
      }));
      if (isConsuming(record.state)) options.log?.('[odoo-breaker] Odoo answers again: writers resume');
    }
    const wasPaused = paused;
    paused = !isConsuming(record.state);
    if (paused && !wasPaused) options.log?.('[odoo-breaker] Odoo failing: writers paused, probing');
    samples.push({ at: now, drained: options.drained() });
    while (samples.length > 2 && (samples[0] as { at: number }).at < now - 10_000) samples.shift();
    // A hub that never had a backlog or an outage writes nothing (its tables stay as its data left them).
    const quiet = record.version === 0 && isConsuming(record.state) && options.backlog() === 0;
    if (!quiet && now - lastBacklogWrite >= 2_000) {
      lastBacklogWrite = now;
      const first = samples[0] as { at: number; drained: number };
      const seconds = (now - first.at) / 1000;
      const drainPerSecond = seconds > 0 ? (options.drained() - first.drained) / seconds : 0;
      await options.store.update((current) => ({
        ...current,
        backlog: {
          backlog: options.backlog(),
          drainPerSecond: Math.round(drainPerSecond * 10) / 10,
          observedAt: now,
        },
      }));
    }
  };

  let busy = false;
  const timer = setInterval(() => {
    if (closed || busy) return;
    busy = true;
    running = tick()
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
