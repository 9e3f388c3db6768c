/**
 * Per-client throttling in the local gateway (issue #15), as API Gateway enforces a usage plan bound to each
 * client's API key: a token bucket per client holding at most `burstLimit` requests, refilled at `rateLimit`
 * per second. A client over its budget gets 429 while every other client keeps its own. The clock is
 * injected so the bucket is tested without waiting.
 */
export interface ClientLimits {
  /** Steady requests per second. */
  rateLimit: number;
  /** Requests a client may send at once (the bucket's size). */
  burstLimit: number;
}

interface Bucket {
  tokens: number;
  at: number;
  limits: ClientLimits;
}

export class ClientThrottle {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    /** The client's limits, or undefined for a client that is not throttled (the local developer client). */
    private readonly limitsOf: (clientId: string) => ClientLimits | undefined,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /**
   * Takes one request from the client's bucket: `{ ok: true }`, or how many seconds until one is available.
   */
  take(clientId: string): { ok: true } | { ok: false; retryAfterSeconds: number } {
    const limits = this.limitsOf(clientId);
    if (!limits) return { ok: true };
    const now = this.now();
    const previous = this.buckets.get(clientId);
    // A changed limit (registry edited) starts a full bucket at the new size.
    const bucket: Bucket =
      previous &&
      previous.limits.rateLimit === limits.rateLimit &&
      previous.limits.burstLimit === limits.burstLimit
        ? previous
        : { tokens: limits.burstLimit, at: now, limits };
    bucket.tokens = Math.min(
      limits.burstLimit,
      bucket.tokens + ((now - bucket.at) / 1000) * limits.rateLimit,
    );
    bucket.at = now;
    this.buckets.set(clientId, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / limits.rateLimit)) };
  }
}
