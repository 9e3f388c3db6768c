import {
  type BreakerState,
  breakerSummary,
  type CallOutcome,
  consumerAction,
  isConsuming,
  probeDue,
  recordProbe,
  secondsToClear,
} from './odoo-breaker.js';

/**
 * One cycle of the Odoo breaker's probe (issue 12), the same in AWS (lambdas/handlers/odoo-breaker-probe.ts)
 * and locally (local/odoo-breaker-probe.ts); only the ports differ. A cycle reads the breaker the writers
 * feed, probes Odoo with one cheap call when a probe is due (never with a message, so no receive is spent),
 * makes the consumers follow the breaker (paused while open, resumed when closed), and records the backlog
 * and drain rate /health and the alarms report. No clock is read here: every cycle is given `now`.
 */
export interface BreakerRecordPort {
  state: BreakerState;
  backlog?: { backlog: number; drainPerSecond: number; observedAt: number; drained?: number };
  version: number;
}

export interface OdooBreakerProbePorts {
  store: {
    read(options: { fresh?: boolean }): Promise<BreakerRecordPort>;
    update(
      change: (record: BreakerRecordPort) => Omit<BreakerRecordPort, 'version'>,
    ): Promise<BreakerRecordPort>;
  };
  /** One cheap Odoo call; resolves when Odoo answered (a refusal counts as an answer), rejects otherwise. */
  probeOdoo(): Promise<void>;
  /** The writer's event source: `enabled()` is undefined while it is changing state. */
  consumers: { enabled(): Promise<boolean | undefined>; setEnabled(enabled: boolean): Promise<void> };
  /** Messages waiting on the Odoo write queue (visible and in flight). */
  backlog(): Promise<number>;
  /**
   * Messages the writers took off the queue so far (a counter: locally the event source's deletes, in AWS the
   * writers' counter in the breaker table); the drain rate is its slope. Without it the drain rate is the
   * backlog's net decrease (arrivals during the window make it read low, never high).
   */
  drained?(): number | Promise<number>;
  /**
   * The cycle's figures as metrics (EMF; the OdooDownBacklog and backlog alarms, lambdas/monitoring-alarms.ts),
   * given once per backlog write.
   */
  metrics?(figures: BreakerFigures): void;
  /**
   * Tells operators, in words, when the breaker opens and when it closes (the integration topic): "Odoo down,
   * backlog N, draining at R/s" — what /health/details says, pushed instead of polled.
   */
  notify?(subject: string, message: string): Promise<void>;
  log?(message: string): void;
}

export interface BreakerFigures {
  breakerOpen: boolean;
  backlog: number;
  drainPerSecond: number;
  /** Seconds the backlog needs at that rate; absent when nothing drains or nothing waits. */
  clearSeconds?: number;
}

export interface OdooBreakerProbeOptions {
  /** Drain rate window (ms). */
  windowMs?: number;
  /** Backlog is written to the store at most this often (ms): /health reads it, it need not be live. */
  backlogWriteEveryMs?: number;
  /**
   * While the breaker stays open, operators are told again at most this often (ms), with the current backlog
   * and rate: an outage of hours is not one message at its start, nor one per probe cycle.
   */
  remindEveryMs?: number;
}

export interface ProbeCycleResult {
  state: BreakerState;
  /** What the consumers do after this cycle. */
  consuming: boolean;
  backlog: number;
}

/** A stored observation older than this says nothing about the current rate (the AWS probe runs each minute). */
const STORED_SAMPLE_MAX_AGE_MS = 5 * 60_000;

interface Sample {
  at: number;
  backlog: number;
  drained?: number;
}

export class OdooBreakerProbeCycle {
  private readonly samples: Sample[] = [];
  private lastBacklogWrite = Number.NEGATIVE_INFINITY;
  private readonly windowMs: number;
  private readonly writeEveryMs: number;
  /** The breaker status this instance last told operators about (undefined: nothing told yet). */
  private told: 'open' | 'closed' | undefined;
  /** When this instance last told operators (the reminder's clock). */
  private toldAt = Number.NEGATIVE_INFINITY;
  private readonly remindEveryMs: number;

  constructor(
    private readonly ports: OdooBreakerProbePorts,
    options: OdooBreakerProbeOptions = {},
  ) {
    this.windowMs = options.windowMs ?? 10_000;
    this.writeEveryMs = options.backlogWriteEveryMs ?? 2_000;
    this.remindEveryMs = options.remindEveryMs ?? 15 * 60_000;
  }

  async run(now: number, clock: () => number = () => now): Promise<ProbeCycleResult> {
    const { ports } = this;
    let record = await ports.store.read({ fresh: true });
    if (probeDue(record.state, now)) {
      let outcome: CallOutcome;
      try {
        await ports.probeOdoo();
        outcome = { kind: 'success' };
      } catch (error) {
        outcome = { kind: 'failed', error: (error as Error).message };
      }
      const at = clock();
      record = await ports.store.update((current) => ({
        ...current,
        state: recordProbe(current.state, outcome, at),
      }));
      if (isConsuming(record.state)) ports.log?.('[odoo-breaker] Odoo answers again: writers resume');
    }
    const action = consumerAction(record.state, await ports.consumers.enabled());
    if (action === 'pause') {
      await ports.consumers.setEnabled(false);
      ports.log?.('[odoo-breaker] Odoo failing: writers paused, probing');
    } else if (action === 'resume') {
      await ports.consumers.setEnabled(true);
      ports.log?.('[odoo-breaker] writers resumed');
    }

    const backlog = await ports.backlog();
    const drained = ports.drained ? await ports.drained() : undefined;
    this.samples.push({ at: now, backlog, ...(drained !== undefined ? { drained } : {}) });
    while (this.samples.length > 2 && (this.samples[0] as Sample).at < now - this.windowMs)
      this.samples.shift();
    // A hub that never had a backlog or an outage writes nothing (its tables stay as its data left them).
    const quiet = record.version === 0 && isConsuming(record.state) && backlog === 0;
    const due = !quiet && now - this.lastBacklogWrite >= this.writeEveryMs;
    const drainPerSecond = Math.round(this.drainRate(record, backlog, now) * 10) / 10;
    if (due) {
      this.lastBacklogWrite = now;
      await ports.store.update((current) => ({
        ...current,
        backlog: { backlog, drainPerSecond, observedAt: now, ...(drained !== undefined ? { drained } : {}) },
      }));
      const clearSeconds = backlog > 0 ? secondsToClear(backlog, drainPerSecond) : undefined;
      ports.metrics?.({
        breakerOpen: !isConsuming(record.state),
        backlog,
        drainPerSecond,
        ...(clearSeconds !== undefined ? { clearSeconds: Math.round(clearSeconds) } : {}),
      });
    }
    await this.tell(record.state, backlog, drainPerSecond, now);
    return { state: record.state, consuming: isConsuming(record.state), backlog };
  }

  /**
   * One message per transition, from the instance that saw it: opened ("Odoo down, backlog N, draining at
   * R/s") and closed ("Odoo back … at this rate the backlog clears in …"); while the breaker stays open, a
   * reminder with the current figures every `remindEveryMs`. A closed breaker first seen by a fresh instance
   * is no news; an open one is (a cold probe during an outage reports it once more).
   */
  private async tell(state: BreakerState, backlog: number, drainPerSecond: number, now: number) {
    const status = state.status;
    const reminder = status === 'open' && this.told === 'open' && now - this.toldAt >= this.remindEveryMs;
    if (!reminder && (status === this.told || (this.told === undefined && status === 'closed'))) {
      this.told = status;
      return;
    }
    this.told = status;
    this.toldAt = now;
    const summary = breakerSummary(state, backlog, drainPerSecond, now);
    const subject =
      status === 'closed'
        ? 'Odoo back: Odoo writes resumed'
        : reminder
          ? 'Odoo still down: Odoo writes paused'
          : 'Odoo down: Odoo writes paused';
    try {
      await this.ports.notify?.(subject, summary);
    } catch (error) {
      this.ports.log?.(`[odoo-breaker] could not notify: ${(error as Error).message}`);
    }
  }

  /**
   * Messages drained per second over the window (`drainPerSecond`, unit-tested in test/unit/odoo-breaker-probe):
   * the drained counter's slope when there is one, else the backlog's net decrease. A fresh instance (a cold
   * AWS probe) has one sample only and measures from the stored observation, if it is recent.
   */
  private drainRate(record: BreakerRecordPort, backlog: number, now: number): number {
    const first = this.samples[0] as Sample;
    const last = this.samples[this.samples.length - 1] as Sample;
    const stored =
      record.backlog &&
      record.backlog.observedAt < now &&
      now - record.backlog.observedAt <= STORED_SAMPLE_MAX_AGE_MS
        ? { at: record.backlog.observedAt, backlog: record.backlog.backlog, drained: record.backlog.drained }
        : undefined;
    const from: Sample | undefined = first.at < now ? first : stored;
    if (!from) return record.backlog?.drainPerSecond ?? 0;
    return drainPerSecond(from, {
      at: now,
      backlog,
      ...(last.drained !== undefined ? { drained: last.drained } : {}),
    });
  }
}

/**
 * Messages drained per second between two observations: the drained counter's increase when both carry it
 * (arrivals do not hide it), else the backlog's net decrease (never negative: arrivals outpacing the writers
 * read 0). A counter that went backwards (reset) reads 0 rather than a negative rate.
 */
export function drainPerSecond(
  from: { at: number; backlog: number; drained?: number | undefined },
  to: { at: number; backlog: number; drained?: number | undefined },
): number {
  const seconds = (to.at - from.at) / 1000;
  if (!(seconds > 0)) return 0;
  const removed =
    from.drained !== undefined && to.drained !== undefined
      ? to.drained - from.drained
      : from.backlog - to.backlog;
  return Math.max(0, removed) / seconds;
}
