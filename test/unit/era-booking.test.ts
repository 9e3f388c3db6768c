import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  asksForRound,
  DEFAULT_ERA_BOOKING,
  decideRound,
  eraBookingSettings,
  eraGroup,
  FRESH_INVOCATION_SLACK_MS,
  isEraBookingRound,
  joinsEraRound,
  nextRoundPace,
  paceAfterRound,
  paymentRoundKey,
  roundDeadline,
  roundFits,
  roundGroupsLast,
  roundTake,
} from '../../lambdas/core/era-booking.js';

// Issue 16: when an ERA's round books its ready claim payments (core/era-booking.ts).

const settings = { chunk: 500, quietMs: 2_000, maxWaitMs: 15_000 };
const at = (ms: number) => new Date(Date.UTC(2026, 10, 30, 12, 0, 0) + ms).toISOString();
const now = Date.parse(at(0));

describe('an ERA round', () => {
  it('books a full chunk at once, however recent its last claim payment', () => {
    expect(decideRound(500, at(0), at(0), now, settings)).toEqual({ kind: 'book', take: 500 });
    expect(decideRound(1_200, at(0), at(0), now, settings)).toEqual({ kind: 'book', take: 500 });
  });

  it('waits while claim payments of the ERA keep arriving, for the rest of the quiet time', () => {
    expect(decideRound(40, at(-3_000), at(-500), now, settings)).toEqual({ kind: 'wait', ms: 1_500 });
  });

  it('books what is ready once the ERA has been quiet', () => {
    expect(decideRound(40, at(-9_000), at(-2_000), now, settings)).toEqual({ kind: 'book', take: 40 });
  });

  it('books once its oldest claim payment has waited the longest wait, even if others still trickle in', () => {
    expect(decideRound(40, at(-15_000), at(0), now, settings)).toEqual({ kind: 'book', take: 40 });
    expect(decideRound(40, at(-14_500), at(-1_000), now, settings)).toEqual({ kind: 'wait', ms: 500 });
  });

  it('has nothing to do when nothing is ready', () => {
    expect(decideRound(0, undefined, undefined, now, settings)).toEqual({ kind: 'book', take: 0 });
  });

  it("runs in the ERA's FIFO group, the deposit's, and is told from business events by its type", () => {
    expect(eraGroup('EFT-1')).toBe('era:EFT-1');
    expect(isEraBookingRound({ type: 'EraBookingRound', traceNumber: 'EFT-1' })).toBe(true);
    expect(isEraBookingRound({ type: 'EraBookingRound', traceNumber: '' })).toBe(false);
    expect(isEraBookingRound({ type: 'RemittanceReceived', traceNumber: 'EFT-1' })).toBe(false);
  });
});

describe('asking for a round: one message per round, not per claim payment', () => {
  const mark = { by: 'claim-1', until: now + 60_000 };

  it('asks when no round is asked for yet (no mark, or a round cleared it before reading the ready set)', () => {
    expect(asksForRound(undefined, 'claim-2', now)).toBe(true);
  });

  it('does not ask while a round asked for by another claim payment has not read the ready set', () => {
    expect(asksForRound(mark, 'claim-2', now)).toBe(false);
    expect(asksForRound(mark, 'claim-2', mark.until)).toBe(false);
  });

  it('asks again on the redelivery of the turn that set the mark (it may have crashed before sending)', () => {
    expect(asksForRound(mark, 'claim-1', now)).toBe(true);
  });

  it('asks anyway once the mark has expired (a round of an older writer consumed it without clearing it)', () => {
    expect(asksForRound(mark, 'claim-2', mark.until + 1)).toBe(true);
  });
});

describe('ERA booking settings (ODOO_ERA_BOOKING)', () => {
  it('are on unless switched off', () => {
    expect(eraBookingSettings(undefined)).toEqual(DEFAULT_ERA_BOOKING);
    expect(eraBookingSettings('')).toEqual(DEFAULT_ERA_BOOKING);
    expect(eraBookingSettings('off')).toBeUndefined();
  });

  it('take the defaults for `on` and override them by JSON', () => {
    expect(eraBookingSettings('on')).toEqual(DEFAULT_ERA_BOOKING);
    expect(eraBookingSettings('{"quietMs":500}')).toEqual({ ...DEFAULT_ERA_BOOKING, quietMs: 500 });
  });

  it('refuse a chunk below one or a negative wait', () => {
    expect(() => eraBookingSettings('{"chunk":0}')).toThrow(/chunk/);
    expect(() => eraBookingSettings('{"quietMs":-1}')).toThrow(/quietMs/);
    expect(() => eraBookingSettings('{"roundMs":-1}')).toThrow(/roundMs/);
  });

  it("book a day's payments outside an ERA in rounds unless payments is false", () => {
    expect(DEFAULT_ERA_BOOKING.payments).toBe(true);
    expect(eraBookingSettings('{"payments":false}')).toEqual({ ...DEFAULT_ERA_BOOKING, payments: false });
    expect(() => eraBookingSettings('{"payments":"no"}')).toThrow(/payments/);
    expect(paymentRoundKey({ receivedDate: '2026-11-30' })).toBe('payments:2026-11-30');
  });

  it('leave a round as long as its invocation allows unless roundMs says shorter', () => {
    expect(eraBookingSettings('on')?.roundMs).toBeUndefined();
    expect(eraBookingSettings('{"roundMs":0}')).toEqual({ ...DEFAULT_ERA_BOOKING, roundMs: 0 });
  });
});

describe("a round's deadline", () => {
  it('keeps a quarter of the writer timeout for the claim payments in flight', () => {
    // A 60 s writer that has 58 s left: it stops taking claim payments 15 s before its end.
    expect(roundDeadline(now, 58_000, 60_000, {})).toBe(now + 43_000);
  });

  it('keeps at least 5 s, so a short timeout still lets the claims in flight finish', () => {
    expect(roundDeadline(now, 10_000, 10_000, {})).toBe(now + 5_000);
  });

  it('is already past when less than the reserve is left: the round books one wave and hands over', () => {
    expect(roundDeadline(now, 9_000, 60_000, {})).toBeLessThan(now);
  });

  it('comes sooner by roundMs, never later', () => {
    expect(roundDeadline(now, 58_000, 60_000, { roundMs: 2_000 })).toBe(now + 2_000);
    expect(roundDeadline(now, 58_000, 60_000, { roundMs: 3_600_000 })).toBe(now + 43_000);
  });
});

describe('which claim payments join a round', () => {
  it('leaves reversals and corrections listed with their reversal to their own turns', () => {
    expect(joinsEraRound({ claimStatus: '1' })).toBe(true);
    expect(joinsEraRound({ claimStatus: '2' })).toBe(true);
    expect(joinsEraRound({ claimStatus: '4' })).toBe(true);
    expect(joinsEraRound({ claimStatus: '22' })).toBe(false);
    expect(joinsEraRound({ claimStatus: '1', afterReversal: 'REM-REV-1' })).toBe(false);
  });
});

describe("a round's size by its container's pace", () => {
  it('takes all it decided while the pace is unknown (a fresh container)', () => {
    expect(roundTake(500, 40_000, undefined, 8)).toBe(500);
  });

  it('takes what the time left can look up and record', () => {
    // 40 s left at 200 ms a claim payment: 200 of the 500
    expect(roundTake(500, 40_000, 200, 8)).toBe(200);
    expect(roundTake(150, 40_000, 200, 8)).toBe(150);
  });

  it('takes one wave at least, even with no time left, so the ERA advances', () => {
    expect(roundTake(500, -1_000, 200, 8)).toBe(8);
    expect(roundTake(3, -1_000, 200, 8)).toBe(3);
  });

  it('starts a round only with time for its batch and a wave; else a fresh invocation takes it', () => {
    const pace = { msPerClaim: 20, prepareMs: 4_000 };
    // 4 s of batch (the last round's) and 8 claim payments at 20 ms: 4,160 ms
    expect(roundFits(4_160, 500, pace, 8, 20_000)).toBe(true);
    expect(roundFits(4_159, 500, pace, 8, 20_000)).toBe(false);
    // An ERA's last 3 claim payments need their batch and 3 of them only
    expect(roundFits(4_060, 3, pace, 8, 20_000)).toBe(true);
    expect(roundFits(0, 3, pace, 8, 20_000)).toBe(false);
    // No pace yet: only with the time a fresh container waits for
    expect(roundFits(19_999, 500, { msPerClaim: undefined, prepareMs: undefined }, 8, 20_000)).toBe(false);
    expect(roundFits(20_000, 500, { msPerClaim: undefined, prepareMs: undefined }, 8, 20_000)).toBe(true);
    // A pace but no batch measured (its round failed before recording): a wave at the pace
    expect(roundFits(160, 500, { msPerClaim: 20, prepareMs: undefined }, 8, 20_000)).toBe(true);
  });

  it('starts a round that no fresh invocation could fit either, instead of handing it over for ever', () => {
    // The real Odoo 17's month-end: a round's batch took 44.8 s and booked 24 before its time was up (a pace of
    // 1.87 s a claim payment), and an invocation has 45 s for rounds. Handed over, it would be handed over again.
    const slow = { msPerClaim: 1_870, prepareMs: 44_787 };
    const needs = 44_787 + 8 * 1_870;
    expect(roundFits(44_500, 500, slow, 8, 20_000, 44_500)).toBe(true);
    expect(roundFits(10_000, 500, slow, 8, 20_000, 45_000)).toBe(true);
    // A fresh invocation would fit it (with the slack for its own start): this one hands over.
    const pace = { msPerClaim: 20, prepareMs: 4_000 };
    expect(roundFits(3_000, 500, pace, 8, 20_000, 45_000)).toBe(false);
    expect(roundFits(3_000, 500, pace, 8, 20_000, 4_160 + FRESH_INVOCATION_SLACK_MS)).toBe(false);
    expect(roundFits(3_000, 500, pace, 8, 20_000, 4_159 + FRESH_INVOCATION_SLACK_MS)).toBe(true);
    // No time at all: always handed over.
    expect(roundFits(0, 500, slow, 8, 20_000, 10_000)).toBe(false);
    // Whatever the pace, handing over never repeats: a fresh invocation either fits the round or starts it.
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 60_000 }),
        fc.integer({ min: 1, max: 5_000 }),
        fc.integer({ min: 1, max: 500 }),
        fc.integer({ min: 0, max: FRESH_INVOCATION_SLACK_MS }),
        (prepareMs, msPerClaim, decided, startLost) => {
          const p = { msPerClaim, prepareMs };
          const fresh = 45_000;
          if (roundFits(1_000, decided, p, 8, 20_000, fresh)) return true;
          // Handed over: the fresh invocation, having lost up to the slack to its own start, starts it.
          return roundFits(fresh - startLost, decided, p, 8, 20_000, fresh);
        },
      ),
    );
    expect(needs).toBeGreaterThan(45_000);
  });

  it('blends each round into the pace evenly, and a round that booked nothing leaves it', () => {
    expect(nextRoundPace(undefined, 45_000, 8)).toBe(5_625);
    expect(nextRoundPace(5_625, 2_400, 8)).toBe(2_962.5);
    expect(nextRoundPace(300, 10_000, 0)).toBe(300);
  });

  it('learns the pace from full rounds and rounds out of time; a small round may only lower it', () => {
    const round = (elapsedMs: number, booked: number, finished = true) => ({ elapsedMs, booked, finished });
    expect(paceAfterRound(undefined, round(30_000, 500), 100)).toBe(60);
    expect(paceAfterRound(60, round(45_000, 50, false), 100)).toBe(480); // out of time: it counts, up or down
    // A small round's figure holds its fixed costs: higher than the pace teaches nothing, lower may bring it down.
    expect(paceAfterRound(480, round(12_000, 20), 100)).toBe(480);
    expect(paceAfterRound(480, round(2_000, 40), 100)).toBe(265);
    expect(paceAfterRound(undefined, round(2_000, 40), 100)).toBeUndefined();
    // So a container slowed once comes back: small rounds that finish fast let the rounds grow again.
    let pace: number | undefined = 480;
    for (let i = 0; i < 6; i += 1) {
      const take = roundTake(500, 40_000, pace, 8);
      pace = paceAfterRound(pace, round(3_000 + take * 40, take, true), 100);
    }
    expect(roundTake(500, 40_000, pace, 8)).toBeGreaterThanOrEqual(400);
  });
});

describe('roundGroupsLast: the order a writer walks its batch in', () => {
  type Queued = { id: number; group: string; round: boolean };
  const walk = (records: Queued[]) =>
    roundGroupsLast(
      records,
      (r) => r.group,
      (r) => r.round,
    );

  it("puts a round after other groups' records, its own group's order kept", () => {
    const batch: Queued[] = [
      { id: 1, group: 'era:payments:2026-11-26', round: true },
      { id: 2, group: 'enc-2', round: false },
      { id: 3, group: 'era:EFT-1', round: false }, // a deposit ahead of its ERA's round: stays ahead of it
      { id: 4, group: 'enc-3', round: false },
      { id: 5, group: 'era:EFT-1', round: true },
    ];
    expect(walk(batch).map((r) => r.id)).toEqual([2, 4, 1, 3, 5]);
  });

  it('is a permutation that keeps each group in order and leaves no plain group behind a round group', () => {
    const record = fc.record({
      group: fc.constantFrom('a', 'b', 'c', 'd', 'e'),
      round: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(record, { maxLength: 10 }), (drawn) => {
        const batch: Queued[] = drawn.map((r, id) => ({ ...r, id }));
        const walked = walk(batch);
        expect([...walked].sort((x, y) => x.id - y.id)).toEqual(batch);
        for (const group of new Set(batch.map((r) => r.group)))
          expect(walked.filter((r) => r.group === group)).toEqual(batch.filter((r) => r.group === group));
        const roundGroups = new Set(batch.filter((r) => r.round).map((r) => r.group));
        const firstRoundGroup = walked.findIndex((r) => roundGroups.has(r.group));
        if (firstRoundGroup >= 0)
          expect(walked.slice(firstRoundGroup).every((r) => roundGroups.has(r.group))).toBe(true);
      }),
    );
  });
});
