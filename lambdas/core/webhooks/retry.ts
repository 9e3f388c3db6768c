/**
 * When to try an outbound delivery again: exponential backoff with full jitter (AWS Architecture Blog,
 * "Exponential Backoff And Jitter"), capped per attempt, for at most a budget of 24 h after the first attempt —
 * the same horizon EventBridge API destinations use — then the delivery is dead-lettered with an exception.
 */
export interface RetryPolicy {
  /** Delay scale of the first retry, in seconds. */
  baseSeconds: number;
  /** No single wait is longer than this (SQS visibility timeout allows at most 12 h). */
  capSeconds: number;
  /** Give up once the first attempt is this old. */
  budgetSeconds: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  baseSeconds: 30,
  capSeconds: 2 * 3600,
  budgetSeconds: 24 * 3600,
};

const SQS_MAX_VISIBILITY_SECONDS = 12 * 3600;

/**
 * Seconds to wait before attempt `attempt + 1` after `attempt` failed attempts (attempt ≥ 1):
 * uniform in [ceil(d/2), d] with d = min(cap, base · 2^(attempt-1)) — "equal jitter", so a retry never comes
 * immediately yet receivers that failed together are spread out. `random` is injectable for tests.
 */
export function retryDelaySeconds(
  attempt: number,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
  random: () => number = Math.random,
): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 30);
  const ceiling = Math.min(policy.capSeconds, policy.baseSeconds * 2 ** exponent, SQS_MAX_VISIBILITY_SECONDS);
  const floor = Math.ceil(ceiling / 2);
  return Math.max(1, Math.min(ceiling, floor + Math.floor(random() * (ceiling - floor + 1))));
}

export type RetryDecision = { retry: true; delaySeconds: number } | { retry: false; reason: string };

/** After a failed attempt: wait and retry, or give up because the budget is spent (or a retry would overrun it). */
export function nextRetry(
  attempt: number,
  firstAttemptAtMs: number,
  nowMs: number,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
  random: () => number = Math.random,
): RetryDecision {
  const delaySeconds = retryDelaySeconds(attempt, policy, random);
  const elapsedSeconds = (nowMs - firstAttemptAtMs) / 1000;
  if (elapsedSeconds + delaySeconds > policy.budgetSeconds) {
    return {
      retry: false,
      reason: `gave up after ${attempt} attempts over ${Math.round(elapsedSeconds)} s (budget ${policy.budgetSeconds} s)`,
    };
  }
  return { retry: true, delaySeconds };
}

/** `{"baseSeconds":1,"capSeconds":2,"budgetSeconds":60}` from the environment; defaults for what is missing. */
export function parseRetryPolicy(json: string | undefined): RetryPolicy {
  if (!json) return DEFAULT_RETRY_POLICY;
  try {
    const value = JSON.parse(json) as Partial<RetryPolicy>;
    const pick = (n: unknown, fallback: number) =>
      typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : fallback;
    return {
      baseSeconds: pick(value.baseSeconds, DEFAULT_RETRY_POLICY.baseSeconds),
      capSeconds: pick(value.capSeconds, DEFAULT_RETRY_POLICY.capSeconds),
      budgetSeconds: pick(value.budgetSeconds, DEFAULT_RETRY_POLICY.budgetSeconds),
    };
  } catch {
    return DEFAULT_RETRY_POLICY;
  }
}
