import { describe, expect, it } from 'vitest';
import { ClientThrottle } from '../../local/throttle.js';

/** Issue #15: the local gateway throttles per client as API Gateway usage plans do (token bucket). */
describe('per-client token buckets', () => {
  const limits = { rateLimit: 2, burstLimit: 3 };

  it('lets a client send its burst at once, then refuses until the bucket refills at its rate', () => {
    // Prepare
    let now = 0;
    const throttle = new ClientThrottle(
      () => limits,
      () => now,
    );

    // Act
    const burst = Array.from({ length: 4 }, () => throttle.take('a').ok);
    now += 499;
    const tooSoon = throttle.take('a');
    now += 1;
    const refilled = throttle.take('a');

    // Assess
    expect(burst).toEqual([true, true, true, false]);
    expect(tooSoon).toEqual({ ok: false, retryAfterSeconds: 1 });
    expect(refilled).toEqual({ ok: true });
  });

  it('keeps one bucket per client: one client over its limit does not take another’s budget', () => {
    let now = 0;
    const throttle = new ClientThrottle(
      () => limits,
      () => now,
    );
    for (let i = 0; i < 10; i += 1) throttle.take('greedy');
    expect(throttle.take('greedy').ok).toBe(false);
    expect([1, 2, 3].map(() => throttle.take('polite').ok)).toEqual([true, true, true]);
    now += 10_000;
    expect(throttle.take('greedy').ok).toBe(true);
  });

  it('never throttles a client without limits, and never stores more than the burst', () => {
    let now = 0;
    const throttle = new ClientThrottle(
      (id) => (id === 'dev' ? undefined : limits),
      () => now,
    );
    expect(Array.from({ length: 100 }, () => throttle.take('dev').ok).every(Boolean)).toBe(true);
    throttle.take('a');
    now += 3_600_000;
    expect(Array.from({ length: 4 }, () => throttle.take('a').ok)).toEqual([true, true, true, false]);
  });
});
