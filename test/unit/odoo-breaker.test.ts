import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type BreakerState,
  breakerSummary,
  clearanceText,
  closedBreaker,
  closedRetryDelaySeconds,
  consumerAction,
  durationText,
  isConsuming,
  openRetryDelaySeconds,
  probeDue,
  recordOutcome,
  recordProbe,
} from '../../lambdas/core/odoo-breaker.js';

// Issue 12: when Odoo fails the writers stop consuming; a probe resumes them. Time is a value here.
const policy = { failureThreshold: 3, probeIntervalMs: 1_000, maxProbeIntervalMs: 8_000 };
const T0 = 1_800_000_000_000;
const failed = { kind: 'failed' as const, error: 'HTTP 502' };

describe('the Odoo circuit breaker', () => {
  it('opens after the threshold of consecutive failures, and a success or refusal resets the count', () => {
    let state: BreakerState = closedBreaker(T0);
    state = recordOutcome(state, failed, T0, policy);
    state = recordOutcome(state, { kind: 'refused' }, T0, policy); // Odoo answered: it is up
    state = recordOutcome(state, failed, T0, policy);
    state = recordOutcome(state, failed, T0, policy);
    expect(isConsuming(state)).toBe(true);
    state = recordOutcome(state, failed, T0 + 5, policy);
    expect(state).toMatchObject({ status: 'open', since: T0 + 5, nextProbeAt: T0 + 1_005 });
    expect(isConsuming(state)).toBe(false);
  });

  it('probes with growing waits up to the cap while Odoo stays down, and closes on the first answer', () => {
    let state: BreakerState = {
      status: 'open',
      since: T0,
      nextProbeAt: T0 + 1_000,
      failedProbes: 0,
      lastError: 'x',
    };
    expect(probeDue(state, T0 + 999)).toBe(false);
    const waits: number[] = [];
    let now = T0 + 1_000;
    for (let i = 0; i < 6; i++) {
      expect(probeDue(state, now)).toBe(true);
      const next = recordProbe(state, failed, now, policy) as Extract<BreakerState, { status: 'open' }>;
      waits.push(next.nextProbeAt - now);
      now = next.nextProbeAt;
      state = next;
    }
    expect(waits).toEqual([2_000, 4_000, 8_000, 8_000, 8_000, 8_000]);
    state = recordProbe(state, { kind: 'success' }, now, policy);
    expect(state).toEqual(closedBreaker(now));
  });

  it('an open breaker ignores writers’ outcomes (only the probe closes it): nothing flaps', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom<'success' | 'refused' | 'failed'>('success', 'refused', 'failed')),
        (kinds) => {
          const open: BreakerState = {
            status: 'open',
            since: T0,
            nextProbeAt: T0 + 1,
            failedProbes: 2,
            lastError: 'x',
          };
          const after = kinds.reduce<BreakerState>(
            (s, kind) => recordOutcome(s, kind === 'failed' ? failed : { kind }, T0, policy),
            open,
          );
          expect(after).toEqual(open);
        },
      ),
    );
  });

  it('says what operators need: down for how long, backlog, drain rate', () => {
    const open: BreakerState = {
      status: 'open',
      since: T0,
      nextProbeAt: T0,
      failedProbes: 0,
      lastError: 'x',
    };
    expect(breakerSummary(open, 5230, 0, T0 + 12 * 60_000)).toBe(
      'Odoo down for 12 min (writers paused), backlog 5230, draining at 0/s; nothing is draining',
    );
    expect(breakerSummary(closedBreaker(T0), 40, 9.87, T0)).toBe(
      'Odoo up, backlog 40, draining at 9.9/s; at this rate the backlog clears in 1 min',
    );
    expect(breakerSummary(closedBreaker(T0), 0, 0, T0)).toBe('Odoo up, backlog 0, draining at 0/s');
  });

  it('says how long the backlog needs at the measured rate (issue 17: on the alarm itself)', () => {
    expect(clearanceText(12_000, 1)).toBe('at this rate the backlog clears in 3 h 20 min');
    expect(clearanceText(7_200, 2)).toBe('at this rate the backlog clears in 1 h');
    expect(clearanceText(10, 100)).toBe('at this rate the backlog clears in 1 min');
    expect(clearanceText(10, 0)).toBe('nothing is draining');
    expect(clearanceText(0, 0)).toBe('no backlog');
    expect(durationText(3_601)).toBe('1 h 1 min');
  });

  it('brings failed messages back at the next probe, never later than the cap, and not while closed', () => {
    const open: BreakerState = {
      status: 'open',
      since: T0,
      nextProbeAt: T0 + 4_500,
      failedProbes: 1,
      lastError: 'x',
    };
    expect(openRetryDelaySeconds(open, T0)).toBe(5);
    expect(openRetryDelaySeconds(open, T0 + 10_000)).toBe(1); // probe overdue: at once (SQS minimum 1 s here)
    expect(openRetryDelaySeconds({ ...open, nextProbeAt: T0 + 600_000 }, T0)).toBe(30);
    expect(openRetryDelaySeconds(closedBreaker(T0), T0)).toBe(0);
  });

  it('retries a write that failed while closed after 5, 20, 80, 320 s, never beyond the visibility timeout', () => {
    expect([1, 2, 3, 4, 5].map((n) => closedRetryDelaySeconds(n, 360))).toEqual([5, 20, 80, 320, 360]);
    expect(closedRetryDelaySeconds(3, 12)).toBe(12);
  });

  it('tells the consumers to pause while open and resume when closed, and waits while the switch moves', () => {
    const open: BreakerState = {
      status: 'open',
      since: T0,
      nextProbeAt: T0,
      failedProbes: 0,
      lastError: 'x',
    };
    expect(consumerAction(open, true)).toBe('pause');
    expect(consumerAction(open, false)).toBe('none');
    expect(consumerAction(closedBreaker(T0), false)).toBe('resume');
    expect(consumerAction(closedBreaker(T0), true)).toBe('none');
    expect(consumerAction(open, undefined)).toBe('none');
    expect(consumerAction(closedBreaker(T0), undefined)).toBe('none');
  });
});
