import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  asksForRound,
  DEFAULT_ERA_BOOKING,
  decideRound,
  eraBookingSettings,
  eraGroup,
  FIRST_ROUND_CLAIMS,
  FRESH_INVOCATION_SLACK_MS,
  isEraBookingRound,
  joinsEraRound,
  laneRoundKey,
  PACE_FULL_WEIGHT_CLAIMS,
  paceAfterRound,
  paymentRoundKey,
  ROUND_TIME_SHARE,
  type RoundCost,
  type RoundPace,
  roundCostMs,
  roundDeadline,
  roundFits,
  roundGroupsApart,
  roundGroupsLast,
  roundKeyBase,
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

  it('book in one lane unless lanes says more, and refuse fewer than one', () => {
    expect(DEFAULT_ERA_BOOKING.lanes).toBe(1);
    expect(eraBookingSettings('{"lanes":2}')).toEqual({ ...DEFAULT_ERA_BOOKING, lanes: 2 });
    expect(() => eraBookingSettings('{"lanes":0}')).toThrow(/lanes/);
    expect(() => eraBookingSettings('{"lanes":1.5}')).toThrow(/lanes/);
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

describe("a round's size by the stage's pace", () => {
  const cost = (over: Partial<RoundCost>): RoundCost => ({
    claims: 500,
    written: 500,
    prepareMs: 0,
    booked: 500,
    recordMs: 0,
    lostAnswer: false,
    ...over,
  });

  it("takes a first round's worth while the pace is unknown (a stage's first round), never less than a wave", () => {
    expect(roundTake(500, 40_000, undefined, 8)).toBe(FIRST_ROUND_CLAIMS);
    expect(roundTake(500, 40_000, {}, 8)).toBe(FIRST_ROUND_CLAIMS);
    expect(roundTake(30, 40_000, undefined, 8)).toBe(30);
    expect(roundTake(500, 40_000, undefined, 80)).toBe(80);
  });

  it('takes what its batch can write and it can record in the time left, less the fixed cost', () => {
    // The real Odoo 17: 170 ms a payment written, 30 ms a claim recorded; 84 s left, of which a round plans
    // to spend half (42 s): 40 s for 200 claims
    expect(roundTake(500, 84_000, { batchMsPerWrite: 170, recordMsPerClaim: 30 }, 8)).toBe(200);
    expect(roundTake(150, 84_000, { batchMsPerWrite: 170, recordMsPerClaim: 30 }, 8)).toBe(150);
    expect(roundCostMs({ batchMsPerWrite: 170, recordMsPerClaim: 30 }, 200)).toBe(84_000 * ROUND_TIME_SHARE);
    // One figure known: the other counts nothing
    expect(roundTake(500, 84_000, { recordMsPerClaim: 100 }, 8)).toBe(400);
  });

  it('takes one wave at least, even with no time left, so the ERA advances', () => {
    const pace = { batchMsPerWrite: 170, recordMsPerClaim: 30 };
    expect(roundTake(500, -1_000, pace, 8)).toBe(8);
    expect(roundTake(3, -1_000, pace, 8)).toBe(3);
  });

  it('starts a round only with time for a wave; else a fresh invocation takes it', () => {
    const pace = { batchMsPerWrite: 170, recordMsPerClaim: 30 };
    // The fixed 2 s and 8 claim payments at 200 ms: 3,600 ms
    expect(roundFits(3_600, 500, pace, 8, 20_000)).toBe(true);
    expect(roundFits(3_599, 500, pace, 8, 20_000)).toBe(false);
    // An ERA's last 3 claim payments need 3 of them only
    expect(roundFits(2_600, 3, pace, 8, 20_000)).toBe(true);
    expect(roundFits(0, 3, pace, 8, 20_000)).toBe(false);
    // No pace yet: only with the time a fresh container waits for
    expect(roundFits(19_999, 500, undefined, 8, 20_000)).toBe(false);
    expect(roundFits(20_000, 500, undefined, 8, 20_000)).toBe(true);
  });

  it('starts a round that no fresh invocation could fit either, instead of handing it over for ever', () => {
    // An Odoo so slow a wave takes longer than an invocation has for rounds (45 s)
    const slow = { batchMsPerWrite: 5_000, recordMsPerClaim: 1_000 };
    expect(roundCostMs(slow, 8)).toBeGreaterThan(45_000);
    expect(roundFits(44_500, 500, slow, 8, 20_000, 44_500)).toBe(true);
    expect(roundFits(10_000, 500, slow, 8, 20_000, 45_000)).toBe(true);
    // A fresh invocation would fit it (with the slack for its own start): this one hands over.
    const pace = { batchMsPerWrite: 170, recordMsPerClaim: 30 };
    expect(roundFits(3_000, 500, pace, 8, 20_000, 45_000)).toBe(false);
    expect(roundFits(3_000, 500, pace, 8, 20_000, 3_600 + FRESH_INVOCATION_SLACK_MS)).toBe(false);
    expect(roundFits(3_000, 500, pace, 8, 20_000, 3_599 + FRESH_INVOCATION_SLACK_MS)).toBe(true);
    // No time at all: always handed over.
    expect(roundFits(0, 500, slow, 8, 20_000, 10_000)).toBe(false);
    // Whatever the pace, handing over never repeats: a fresh invocation either fits the round or starts it.
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 5_000 }),
        fc.integer({ min: 1, max: 500 }),
        fc.integer({ min: 0, max: FRESH_INVOCATION_SLACK_MS }),
        (batchMsPerWrite, recordMsPerClaim, decided, startLost) => {
          const p = { batchMsPerWrite, recordMsPerClaim };
          const fresh = 45_000;
          if (roundFits(1_000, decided, p, 8, 20_000, fresh)) return true;
          // Handed over: the fresh invocation, having lost up to the slack to its own start, starts it.
          return roundFits(fresh - startLost, decided, p, 8, 20_000, fresh);
        },
      ),
    );
  });

  it('learns each figure from a round of a wave or more: a slower one at once, a faster one halfway', () => {
    // 500 written in 87 s of batch, recorded in 15 s: 174 ms a payment, its fixed cost counted (170 without), 30 ms
    const first = paceAfterRound(undefined, cost({ prepareMs: 87_000, recordMs: 15_000 }), 8);
    expect(first).toEqual({ batchMsPerWrite: 174, recordMsPerClaim: 30 });
    // Faster: halfway down, towards the whole batch per payment (74 ms, its fixed cost counted); slower: taken whole
    expect(paceAfterRound(first, cost({ prepareMs: 37_000, recordMs: 5_000 }), 8)).toEqual({
      batchMsPerWrite: 124,
      recordMsPerClaim: 20,
    });
    expect(paceAfterRound(first, cost({ prepareMs: 102_000, recordMs: 115_000 }), 8)).toEqual({
      batchMsPerWrite: 200,
      recordMsPerClaim: 230,
    });
    // A round of fewer than a wave teaches nothing
    expect(paceAfterRound(first, cost({ claims: 3, written: 3, booked: 3, prepareMs: 9_000 }), 8)).toBe(
      first,
    );
    expect(paceAfterRound(undefined, cost({ claims: 3, written: 3, booked: 3 }), 8)).toBeUndefined();
  });

  it('raises a figure from a round of fewer than PACE_FULL_WEIGHT_CLAIMS in proportion, lowers none below its whole batch', () => {
    const pace = { batchMsPerWrite: 116, recordMsPerClaim: 8 };
    // The real Odoo 17: a day's lane round of 8 payments in 2,046 ms taught 5.75 ms a payment, taken halfway
    // (116 → 65, and the next such round 35 ms); the whole batch is 256 ms a payment, not lower than 116.
    const eight = cost({ claims: 8, written: 8, prepareMs: 2_046, booked: 8, recordMs: 66 });
    expect(paceAfterRound(pace, eight, 8)?.batchMsPerWrite).toBe(116);
    // A slow round of 8 (6,769 ms: 596 ms a payment) raises it by 8/50 of the difference, not to 596.
    const slow = cost({ claims: 8, written: 8, prepareMs: 6_769, booked: 8, recordMs: 106 });
    expect(paceAfterRound(pace, slow, 8)?.batchMsPerWrite).toBeCloseTo(116 + (596.125 - 116) * 0.16, 6);
    expect(PACE_FULL_WEIGHT_CLAIMS).toBe(50);
  });

  it('counts the batch by the payments it wrote, not those it found booked', () => {
    const pace = { batchMsPerWrite: 170, recordMsPerClaim: 30 };
    // The round after one that ran out of time: 492 found booked whole in half a second, 8 written
    const next = paceAfterRound(
      pace,
      cost({ claims: 500, written: 8, prepareMs: 3_360, booked: 500, recordMs: 5_500 }),
      8,
    );
    expect(next?.batchMsPerWrite).toBe(170);
    // All found: the batch's figure stands, only the recording's is learned
    const found = paceAfterRound(pace, cost({ written: 0, prepareMs: 600, recordMs: 5_500 }), 8);
    expect(found).toEqual({ batchMsPerWrite: 170, recordMsPerClaim: 20.5 });
    expect(roundTake(500, 84_000, found, 8)).toBe(209);
  });

  it('counts a batch that lost its answer double: it took longer than it was given', () => {
    // The month-end's round of 500: its batch given up on after 45 s, one wave recorded
    const lost = paceAfterRound(
      undefined,
      cost({ prepareMs: 45_000, booked: 8, recordMs: 4_000, lostAnswer: true }),
      8,
    );
    expect(lost).toEqual({ batchMsPerWrite: 172 });
    // Before: one wall-clock figure per recorded claim (6.1 s) and rounds of 8 for minutes; now 119
    expect(roundTake(500, 45_000, lost, 8)).toBe(119);
    const after = paceAfterRound(
      lost,
      cost({ claims: 119, written: 119, prepareMs: 22_230, booked: 119, recordMs: 3_570 }),
      8,
    );
    // 170 ms beyond the fixed cost, but 187 ms with it: not lower than 172 after all.
    expect(after?.batchMsPerWrite).toBe(172);
    expect(after?.recordMsPerClaim).toBe(30);
    expect(roundTake(500, 45_000, after, 8)).toBe(101);
  });

  it("sizes a month-end's rounds so that none outlasts its invocation, the stage's first included", () => {
    // A simulated Odoo: a batch costs `fixedMs` plus `batchMs` a payment, each round's cost off by a factor of
    // 0.75–1.3 (the real Odoo 17's rounds ran 103–288 ms a payment), recording `recordMs` a claim; 45 s for each
    // round; full rounds among small ones. The stage's first round knows no pace (FIRST_ROUND_CLAIMS); no round
    // loses its answer, and the full rounds stay at a useful size.
    fc.assert(
      fc.property(
        fc.integer({ min: 300, max: 3_000 }),
        fc.integer({ min: 2, max: 400 }),
        fc.integer({ min: 2, max: 250 }),
        // Each round's cost off by a factor; as many claim payments ready as a full chunk, or the few of a lane's
        // or a day's tail (their figures are mostly the fixed cost's).
        fc.array(
          fc.tuple(
            fc.double({ min: 0.75, max: 1.3, noNaN: true }),
            fc.oneof(fc.constant(500), fc.integer({ min: 1, max: 40 })),
          ),
          { minLength: 16, maxLength: 24 },
        ),
        (fixedMs, batchMs, recordMs, rounds) => {
          const budget = 45_000;
          let pace: RoundPace | undefined;
          let fullRounds = 0;
          const takes: number[] = [];
          for (const [factor, ready] of rounds) {
            const sizedByPace = pace !== undefined;
            const take = roundTake(ready, budget, pace, 8);
            const batch = fixedMs + take * batchMs * factor;
            const lostAnswer = batch > budget;
            if (lostAnswer) return false;
            const prepareMs = Math.min(batch, budget);
            const booked = lostAnswer
              ? 8
              : Math.min(take, Math.max(8, Math.floor((budget - prepareMs) / recordMs)));
            pace = paceAfterRound(
              pace,
              cost({
                claims: take,
                written: take,
                prepareMs,
                booked,
                recordMs: booked * recordMs,
                lostAnswer,
              }),
              8,
            );
            // Once four full rounds sized by the pace taught it (a small first round's figure is mostly its
            // fixed cost, and a lower one is followed halfway).
            if (sizedByPace && ready === 500 && fullRounds++ >= 4) takes.push(take);
          }
          // What fits the whole time at the dearest cost: a round plans half its time, and the pace stays within
          // the noise's range of it.
          const fits = Math.min(500, Math.floor((budget - fixedMs) / (batchMs * 1.3 + recordMs)));
          return takes.every((t) => t >= Math.min(fits, Math.floor(fits * 0.3)));
        },
      ),
      { numRuns: Number(process.env.FC_NUM_RUNS ?? 300) },
    );
  });
});

/** A message of a writer's batch: its FIFO group, and whether it asks for a round. */
type Queued = { id: number; group: string; round: boolean };
const groupOf = (r: Queued) => r.group;
const isRound = (r: Queued) => r.round;

describe('roundGroupsLast: the order a writer walks its batch in', () => {
  const walk = (records: Queued[]) => roundGroupsLast(records, groupOf, isRound);

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

describe('roundGroupsApart: the round groups a writer books beside each other', () => {
  const split = (records: Queued[]) => roundGroupsApart(records, groupOf, isRound);

  it("sets apart the groups of an ERA's lanes and a day's rounds; a group with its deposit stays in turn", () => {
    const batch: Queued[] = [
      { id: 1, group: 'era:EFT-1#lane1', round: true },
      { id: 2, group: 'enc-2', round: false },
      { id: 3, group: 'era:EFT-2', round: false }, // an ERA's deposit, then its lane 0's round
      { id: 4, group: 'era:EFT-2', round: true },
      { id: 5, group: 'era:EFT-1', round: true },
      { id: 6, group: 'era:EFT-1#lane1', round: true }, // a second round message of the same lane
      { id: 7, group: 'era:payments:2026-11-30', round: true },
    ];
    const { inTurn, apart } = split(batch);
    expect(inTurn.map((r) => r.id)).toEqual([2, 3, 4]);
    expect(apart.map((group) => group.map((r) => r.id))).toEqual([[1, 6], [5], [7]]);
  });

  it('leaves out no record, keeps each group whole and in order, and sets apart only groups of rounds', () => {
    const record = fc.record({ group: fc.constantFrom('a', 'b', 'c', 'd', 'e'), round: fc.boolean() });
    fc.assert(
      fc.property(fc.array(record, { maxLength: 10 }), (drawn) => {
        const batch: Queued[] = drawn.map((r, id) => ({ ...r, id }));
        const { inTurn, apart } = split(batch);
        expect([...inTurn, ...apart.flat()].sort((x, y) => x.id - y.id)).toEqual(batch);
        for (const group of apart) {
          expect(group.every((r) => r.round)).toBe(true);
          expect(group).toEqual(batch.filter((r) => r.group === group[0]?.group));
        }
        expect(inTurn).toEqual(
          roundGroupsLast(
            batch.filter((r) => !apart.some((group) => group[0]?.group === r.group)),
            groupOf,
            isRound,
          ),
        );
      }),
    );
  });
});

describe("an ERA's lanes (laneRoundKey)", () => {
  const encounters = Array.from({ length: 2_000 }, (_, i) => `ENC-${i}`);

  it('one lane is the ERA itself: its key, its group', () => {
    for (const id of encounters.slice(0, 50)) expect(laneRoundKey('EFT1', id, 1)).toBe('EFT1');
  });

  it("puts an encounter in the same lane every time, and every lane's key reads back as its ERA", () => {
    fc.assert(
      fc.property(
        // A TRN02 is the payer's check or EFT number: none ends in a lane's mark.
        fc.string({ minLength: 1 }).filter((trace) => !/#lane\d+$/.test(trace)),
        fc.string({ minLength: 1 }),
        fc.integer({ min: 1, max: 8 }),
        (trace, encounter, lanes) => {
          const key = laneRoundKey(trace, encounter, lanes);
          expect(laneRoundKey(trace, encounter, lanes)).toBe(key);
          expect(roundKeyBase(key)).toBe(trace);
        },
      ),
    );
    expect(roundKeyBase('payments:2026-11-30#lane1')).toBe('payments:2026-11-30');
    // A TRN02 that merely contains the mark stays whole.
    expect(roundKeyBase('EFT#laneX')).toBe('EFT#laneX');
  });

  it("spreads an ERA's encounters over its lanes about evenly, lane 0 keeping the ERA's own key", () => {
    for (const lanes of [2, 3, 4]) {
      const counts = new Map<string, number>();
      for (const id of encounters) {
        const key = laneRoundKey('EFT1', id, lanes);
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      expect([...counts.keys()].sort()).toEqual(
        ['EFT1', ...Array.from({ length: lanes - 1 }, (_, i) => `EFT1#lane${i + 1}`)].sort(),
      );
      for (const n of counts.values())
        expect(Math.abs(n - encounters.length / lanes)).toBeLessThan(encounters.length / lanes / 5);
      expect(eraGroup(laneRoundKey('EFT1', 'ENC-0', lanes)).length).toBeLessThanOrEqual(128);
    }
  });
});
