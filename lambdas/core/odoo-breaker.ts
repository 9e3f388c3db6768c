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
  if (state.status === 'closed') return `Odoo up, backlog ${backlog}, draining at ${rate}/s`;
  const minutes = Math.floor((now - state.since) / 60_000);
  return `Odoo down for ${minutes} min (writers paused), backlog ${backlog}, draining at ${rate}/s`;
}
