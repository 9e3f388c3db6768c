/**
 * The circuit breaker around Odoo, as pure rules (issue 12). When Odoo fails — transport errors, HTML 500s,
 * pool exhaustion, refused credentials — the writers stop taking messages off the queue, so an outage of any
 * length burns no receives and dead-letters nothing; a probe (one cheap call, no message) checks Odoo and the
 * writers resume within one probe interval of Odoo's return. A permanent refusal (ValidationError…) means Odoo
 * is up and answering: it resets the count like a success. No clock is read here: `now` is epoch ms.
 */
export interface BreakerPolicy {
  /** Consecutive failed Odoo calls (transient or auth) that open the breaker. */
  failureThreshold: number;
  /** First wait after opening before a probe, then doubled per failed probe up to `maxProbeIntervalMs`. */
  probeIntervalMs: number;
  maxProbeIntervalMs: number;
}

export const DEFAULT_BREAKER_POLICY: BreakerPolicy = {
  failureThreshold: 5,
  probeIntervalMs: 2_000,
  maxProbeIntervalMs: 30_000,
};

export type BreakerState =
  | { status: 'closed'; consecutiveFailures: number; since: number }
  | {
      status: 'open';
      /** When it opened (epoch ms): how long the outage has lasted. */
      since: number;
      nextProbeAt: number;
      failedProbes: number;
      lastError: string;
    };

export type CallOutcome = { kind: 'success' } | { kind: 'refused' } | { kind: 'failed'; error: string };

export const closedBreaker = (now: number): BreakerState => ({
  status: 'closed',
  consecutiveFailures: 0,
  since: now,
});

/** A writer's Odoo call ended: count failures while closed; an open breaker only changes by its probe. */
export function recordOutcome(
  state: BreakerState,
  outcome: CallOutcome,
  now: number,
  policy: BreakerPolicy = DEFAULT_BREAKER_POLICY,
): BreakerState {
  if (state.status === 'open') return state;
  if (outcome.kind !== 'failed')
    return state.consecutiveFailures === 0 ? state : { ...state, consecutiveFailures: 0 };
  const consecutiveFailures = state.consecutiveFailures + 1;
  if (consecutiveFailures < policy.failureThreshold) return { ...state, consecutiveFailures };
  return {
    status: 'open',
    since: now,
    nextProbeAt: now + policy.probeIntervalMs,
    failedProbes: 0,
    lastError: outcome.error,
  };
}

/** Writers take messages only while the breaker is closed. */
export function isConsuming(state: BreakerState): boolean {
  return state.status === 'closed';
}

export function probeDue(state: BreakerState, now: number): boolean {
  return state.status === 'open' && now >= state.nextProbeAt;
}

/** The probe's answer: Odoo answered → closed (writers resume at once); failed → wait longer, up to the cap. */
export function recordProbe(
  state: BreakerState,
  outcome: CallOutcome,
  now: number,
  policy: BreakerPolicy = DEFAULT_BREAKER_POLICY,
): BreakerState {
  if (state.status !== 'open') return state;
  if (outcome.kind !== 'failed') return closedBreaker(now);
  const failedProbes = state.failedProbes + 1;
  const wait = Math.min(policy.maxProbeIntervalMs, policy.probeIntervalMs * 2 ** failedProbes);
  return { ...state, failedProbes, nextProbeAt: now + wait, lastError: outcome.error };
}

/**
 * Seconds until a message that failed (or was skipped) while the breaker is open should be visible again
 * (issue 12): not the queue's visibility timeout (360 s) but the next probe, since nothing can succeed
 * before it. While the consumers are paused a visible message is not received, so no receive is spent on it;
 * as soon as the probe closes the breaker it is taken at once. Bounded so a clock skew never parks it long.
 */
export function openRetryDelaySeconds(state: BreakerState, now: number, maxSeconds = 30): number {
  if (state.status !== 'open') return 0;
  return Math.min(maxSeconds, Math.max(1, Math.ceil((state.nextProbeAt - now) / 1000)));
}

/**
 * Seconds until a write that failed while the breaker is closed is tried again: 5, 20, 80, 320 s for the 1st
 * to 4th receive, never beyond the queue's visibility timeout. Not the visibility timeout each time (360 s):
 * the messages that failed just before the breaker opened would otherwise sit out 6 minutes after Odoo is
 * back. A real outage opens the breaker within a few calls, and then `openRetryDelaySeconds` applies; only
 * a failure that keeps hitting one document while the rest succeed spends the receives on this schedule.
 */
export function closedRetryDelaySeconds(receiveCount: number, visibilityTimeoutSeconds: number): number {
  const attempt = Math.max(1, Math.floor(receiveCount));
  return Math.min(visibilityTimeoutSeconds, 5 * 4 ** (attempt - 1));
}

/**
 * What the consumers of the Odoo write queue must do so they follow the breaker: `pause` while it is open
 * (AWS: the writer's event source mapping disabled; locally the poller stops), `resume` once it closes.
 * `enabled` undefined means the switch is changing state right now (AWS `Enabling`, `Disabling`, `Updating`):
 * nothing to do until it settles.
 */
export function consumerAction(
  state: BreakerState,
  enabled: boolean | undefined,
): 'pause' | 'resume' | 'none' {
  if (enabled === undefined) return 'none';
  if (isConsuming(state)) return enabled ? 'none' : 'resume';
  return enabled ? 'pause' : 'none';
}

/**
 * "3 h 20 min" for 12 000 s: how long a backlog needs at the measured rate. Minutes are rounded up (a backlog
 * that needs 10 s still reads "1 min"): an operator plans with it, never waits less than it says.
 */
export function durationText(seconds: number): string {
  const minutes = Math.max(1, Math.ceil(seconds / 60));
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  if (h === 0) return `${m} min`;
  return m === 0 ? `${h} h` : `${h} h ${m} min`;
}

/** Seconds the backlog needs at `drainPerSecond`; undefined when nothing drains (it would never clear). */
export function secondsToClear(backlog: number, drainPerSecond: number): number | undefined {
  if (backlog <= 0) return 0;
  if (!(drainPerSecond > 0)) return undefined;
  return backlog / drainPerSecond;
}

/** "at this rate the backlog clears in 3 h 20 min", or why it does not (issue 17: the time on the alarm). */
export function clearanceText(backlog: number, drainPerSecond: number): string {
  if (backlog <= 0) return 'no backlog';
  const seconds = secondsToClear(backlog, drainPerSecond);
  return seconds === undefined
    ? 'nothing is draining'
    : `at this rate the backlog clears in ${durationText(seconds)}`;
}

/**
 * What operators read (GET /health, the alarm): "Odoo down for 12 min, backlog 5230, draining at 0/s". The
 * drain rate is messages removed from the queue per second over the last window, given by the caller.
 */
export function breakerSummary(
  state: BreakerState,
  backlog: number,
  drainPerSecond: number,
  now: number,
): string {
  const rate = Math.round(drainPerSecond * 10) / 10;
  const clearance = backlog > 0 ? `; ${clearanceText(backlog, drainPerSecond)}` : '';
  if (state.status === 'closed') return `Odoo up, backlog ${backlog}, draining at ${rate}/s${clearance}`;
  const minutes = Math.floor((now - state.since) / 60_000);
  return `Odoo down for ${minutes} min (writers paused), backlog ${backlog}, draining at ${rate}/s${clearance}`;
}
