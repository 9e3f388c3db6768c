/**
 * The ERA as a unit of work for Odoo (issue 16). Each claim payment (`RemittanceReceived`) still takes its turn
 * in its encounter's FIFO group, where everything before it in the encounter has been booked; there, instead of
 * writing to Odoo, it closes a *gate* on the encounter (every later event of the encounter is held behind it) and
 * joins its ERA's *ready* set. A round in the ERA's own FIFO group (`era:<TRN02>`, the deposit's group) then
 * decides and books the ready claim payments together — one look-up, one receivables batch — and opens each gate,
 * releasing what waited behind it in arrival order. The encounter is quiet while its gate is closed, so the claim
 * payment is decided and written exactly as its own turn would have; the round only chooses when.
 *
 * This module holds the pure rules: the round's group and message, and when a round books.
 */

import type { PaymentReceived } from './payment.js';
import type { RemittanceReceived } from './remittance.js';

/** The FIFO group of an ERA: the one its deposit (`EraDepositReceived`, partition `era:<TRN02>`) is booked in. */
export const eraGroup = (traceNumber: string): string => `era:${traceNumber}`;

/**
 * A day's payments outside an ERA (`PaymentReceived`: patients, payers paying by card or check) are a unit of
 * Odoo work too: a gateway's month-end drains thousands of them, and an SQS batch of a busy queue holds only a
 * few, each batch costing Odoo its fixed 8 calls. They join a round like an ERA's claim payments, under this
 * key in place of a TRN02 (its ready set, its round mark, its FIFO group `era:payments:<date>`). A TRN02 is an
 * ERA's check or EFT number; one spelled `payments:` and a date would share the day's rounds, which costs
 * neither a booking nor its order (each claim payment and payment is decided and recorded as its own).
 */
export const paymentRoundKey = (payment: Pick<PaymentReceived, 'receivedDate'>): string =>
  `payments:${payment.receivedDate}`;

/**
 * An ERA's (or a day's) rounds in `lanes` lanes, each with its own ready set, round mark, lease and FIFO group, so
 * that rounds of one ERA book at once on an Odoo with several workers. Why: a round's batch is Odoo's own work
 * (about 150–250 ms per claim payment on a real Odoo 17), and one lane keeps one Odoo worker busy at a time. On a
 * real Odoo 17 with `workers = 2`, two batches of 150 payments in the same journal took 9.4 s side by side against
 * 18.3 s one after the other; with `workers = 0` (one process) 15.3 s against 15.4 s (test/bench/odoo-workers.ts,
 * docs/benchmarks.md). A claim payment's lane is its encounter's (a stable hash): redelivered, it joins the same
 * ready set, and an encounter's claim payments stay in one lane. Lane 0 keeps the plain key (the ERA's own group,
 * where its deposit is booked), so one lane is exactly the booking before lanes, and a change of lanes strands no
 * ready claim: rounds of every key keep coming until their ready set is empty.
 */
export function laneRoundKey(key: string, encounterId: string, lanes: number): string {
  if (lanes <= 1) return key;
  const lane = stableHash(encounterId) % lanes;
  return lane === 0 ? key : `${key}${LANE_MARK}${lane}`;
}

const LANE_MARK = '#lane';

/** The ERA (TRN02) or day key of a round key, without its lane: what a person reads in a held event's reason. */
export function roundKeyBase(roundKey: string): string {
  const at = roundKey.lastIndexOf(LANE_MARK);
  return at > 0 && /^\d+$/.test(roundKey.slice(at + LANE_MARK.length)) ? roundKey.slice(0, at) : roundKey;
}

/** FNV-1a, 32 bits: the same lane for the same encounter in every writer and version. */
function stableHash(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/**
 * The order a writer walks its SQS batch in: the FIFO groups that hold a round message after those that do not,
 * each group's own order kept (FIFO orders a group, never one group against another). A round waits in its turn
 * for its claim payments or payments to join; had it waited ahead of some of them in its own batch, those could
 * join only once it returned, and the day or ERA took a second round (seen in CI on a loaded machine).
 */
export function roundGroupsLast<T>(
  records: readonly T[],
  groupOf: (record: T) => string | undefined,
  isRound: (record: T) => boolean,
): T[] {
  const roundGroups = new Set(records.filter(isRound).map(groupOf));
  const last = (record: T) => {
    const group = groupOf(record);
    return isRound(record) || (group !== undefined && roundGroups.has(group));
  };
  return [...records.filter((r) => !last(r)), ...records.filter(last)];
}

/**
 * A writer's batch split in two: what it walks in turn (`roundGroupsLast`'s order), and the FIFO groups that hold
 * nothing but round messages, each to be walked in its own order but beside the others, once the rest is done.
 * Why: SQS hands one invocation messages of several groups, so the round messages of an ERA's lanes
 * (`laneRoundKey`) and of a day's payments often came in one batch; walked one after the other, each round got
 * what the one before left of the invocation, and on a real Odoo 17 with two workers and two lanes two rounds were
 * at work at once for 55 s of a 789 s month-end. A group that also holds an event (the ERA's deposit, in its
 * lane 0) stays in turn: an event's booking is not run beside another's.
 */
export function roundGroupsApart<T>(
  records: readonly T[],
  groupOf: (record: T) => string | undefined,
  isRound: (record: T) => boolean,
): { inTurn: T[]; apart: T[][] } {
  // Records without a group are never set apart: no key of theirs is in the map.
  const groups = new Map<string | undefined, T[]>();
  for (const record of records) {
    const group = groupOf(record);
    if (group === undefined) continue;
    const members = groups.get(group);
    if (members) members.push(record);
    else groups.set(group, [record]);
  }
  for (const [group, members] of groups) if (!members.every(isRound)) groups.delete(group);
  const inTurn = records.filter((record) => !groups.has(groupOf(record)));
  return { inTurn: roundGroupsLast(inTurn, groupOf, isRound), apart: [...groups.values()] };
}

/** The Odoo write queue message that asks for a round of an ERA (not a business event: no envelope). */
export const ERA_BOOKING_ROUND = 'EraBookingRound';
export interface EraBookingRound {
  type: typeof ERA_BOOKING_ROUND;
  traceNumber: string;
}

export function isEraBookingRound(body: unknown): body is EraBookingRound {
  const value = body as Partial<EraBookingRound> | null;
  return (
    value?.type === ERA_BOOKING_ROUND && typeof value.traceNumber === 'string' && value.traceNumber !== ''
  );
}

/**
 * Whether a claim payment joins its ERA's round. A reversal (CLP02 22) and a correction listed with its reversal
 * (`afterReversal`) depend on another claim payment of their encounter (core/remittance-sequencing.ts): had the
 * correction joined, it would wait in the round for the reversal while the reversal waited behind the correction's
 * gate (seen on real Odoo 17). They book in their own turns, as with ERA booking off. (Measured since, on real
 * Odoo 17 with everything joining: the story failed only while a retryable failure could stop a release for good,
 * and passed once the writer retries the release — test/integration/era-correction-first.test.ts; kept all the
 * same, it costs nothing: such claim payments are few.)
 */
export function joinsEraRound(
  remittance: Pick<RemittanceReceived, 'claimStatus' | 'afterReversal'>,
): boolean {
  return remittance.claimStatus !== '22' && remittance.afterReversal === undefined;
}

/**
 * One round message per round, not per claim payment (a 20,000-claim ERA asked for 20,000 rounds, nearly all of
 * which found nothing to do). A joining claim payment sends a round message only if no round is asked for yet: it
 * sets the ERA's round mark (`ERAROUND#<TRN02>`), which every round clears *before* it reads the ready set. So a
 * claim payment that finds the mark set joined before that round's read and is booked by it (or by its next
 * delivery: a round that reads ready claims ends only once it booked them, else SQS brings it back); one joining
 * after the read finds the mark cleared and asks for its own round. Claim payments put their ready item before
 * they look at the mark, so neither order of the two can lose one.
 *
 * The mark names who set it (`by`, the ready key): the redelivery of a turn that crashed between mark and send
 * finds its own mark and sends (same deduplication id: a send that did happen is not doubled). And it expires
 * (`until`): a writer of an older version, during a deploy, sends a round per claim payment and clears no mark; a
 * mark one of its rounds consumed without clearing would stop every later joining from asking. Past its expiry a
 * joining asks anyway. An expired mark only costs an extra round message, never a claim payment.
 */
export const ROUND_MARK_TTL_MS = 5 * 60_000;

export interface RoundMark {
  /** The ready key of the claim payment that set it. */
  by: string;
  /** Epoch ms after which it no longer stops a joining from asking. */
  until: number;
}

/** Whether a claim payment joining its ERA (ready key `by`) sends a round message (and sets the mark). */
export function asksForRound(mark: RoundMark | undefined, by: string, nowMs: number): boolean {
  return mark === undefined || mark.until < nowMs || mark.by === by;
}

/** What a round waits for before it books (lambdas/env.ts `ODOO_ERA_BOOKING`). */
export interface EraBookingSettings {
  /** Claim payments booked together at most: one receivables batch, one Odoo payload (default 500). */
  chunk: number;
  /** A round books once no claim payment of the ERA joined for this long (default 2 s)… */
  quietMs: number;
  /**
   * …or once its oldest ready claim payment has waited this long (default 15 s), so a steady trickle cannot
   * starve it. A round waits inside the writer's invocation for at most a third of its timeout (20 s), then
   * gives its place back and comes again after the retry delay.
   */
  maxWaitMs: number;
  /**
   * How long a round books before it hands what is left to the next round (unset: as long as its invocation
   * allows, `roundDeadline`). 0 makes every round book one wave of claim payments (tests of the hand-over).
   */
  roundMs?: number;
  /** Whether a day's payments outside an ERA are booked in rounds too (`paymentRoundKey`; default true). */
  payments: boolean;
  /**
   * Rounds of one ERA (or day) that may book at once (`laneRoundKey`; default 1): at most the Odoo server's HTTP
   * workers (cdk.json `odooEraLanes`). More lanes than workers only queue the batches in Odoo.
   */
  lanes: number;
}

export const DEFAULT_ERA_BOOKING: EraBookingSettings = {
  chunk: 500,
  quietMs: 2_000,
  maxWaitMs: 15_000,
  payments: true,
  lanes: 1,
};

/**
 * The settings from their env value: unset, empty or `on` → the defaults (ERA booking is how the hub books
 * remittances); `off` → each claim payment books in its own turn, as before issue 16's ERA booking; a JSON object
 * → the defaults with its numbers.
 */
export function eraBookingSettings(value: string | undefined): EraBookingSettings | undefined {
  const text = value?.trim() ?? '';
  if (text === 'off') return undefined;
  if (text === '' || text === 'on') return DEFAULT_ERA_BOOKING;
  const parsed = JSON.parse(text) as Partial<Record<keyof EraBookingSettings, unknown>>;
  const integer = (key: Exclude<keyof EraBookingSettings, 'payments'>, min: number): number | undefined => {
    const n = parsed[key];
    if (n === undefined) return undefined;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < min)
      throw new Error(`ERA booking setting ${key} must be an integer ≥ ${min}, got ${JSON.stringify(n)}`);
    return n;
  };
  const roundMs = integer('roundMs', 0);
  if (parsed.payments !== undefined && typeof parsed.payments !== 'boolean')
    throw new Error(
      `ERA booking setting payments must be true or false, got ${JSON.stringify(parsed.payments)}`,
    );
  return {
    chunk: integer('chunk', 1) ?? DEFAULT_ERA_BOOKING.chunk,
    quietMs: integer('quietMs', 0) ?? DEFAULT_ERA_BOOKING.quietMs,
    maxWaitMs: integer('maxWaitMs', 0) ?? DEFAULT_ERA_BOOKING.maxWaitMs,
    payments: parsed.payments ?? DEFAULT_ERA_BOOKING.payments,
    lanes: integer('lanes', 1) ?? DEFAULT_ERA_BOOKING.lanes,
    ...(roundMs === undefined ? {} : { roundMs }),
  };
}

/**
 * When a round stops taking claim payments: `remainingMs` before its invocation ends (Lambda's timeout), less a
 * quarter of the timeout (at least 5 s) for the claim payments in flight to finish — a round Lambda stops
 * mid-chunk would come back whole after the queue's visibility timeout (6 minutes) — or sooner by `roundMs`.
 */
export function roundDeadline(
  startedMs: number,
  remainingMs: number,
  timeoutMs: number,
  settings: Pick<EraBookingSettings, 'roundMs'>,
): number {
  const invocationEnd = startedMs + remainingMs - Math.max(5_000, Math.floor(timeoutMs / 4));
  return settings.roundMs === undefined
    ? invocationEnd
    : Math.min(invocationEnd, startedMs + settings.roundMs);
}

/**
 * What a round costs a claim payment on this hub's Odoo, learned round by round (`paceAfterRound`) and kept
 * for every writer (the ERA booking store): a round's Odoo batch grows with the claim payments it writes — about
 * 170 ms each on a real Odoo 17, under 5 ms on the sandbox — and its recording with those it records (8 at once:
 * 11 ms each when the batch booked them, about 230 ms when each must post a late draft of its own).
 */
export interface RoundPace {
  /** Look-ups and Odoo batch, per claim payment the batch wrote (`ROUND_FIXED_MS` aside). */
  batchMsPerWrite?: number;
  /** Recording, per claim payment recorded. */
  recordMsPerClaim?: number;
}

/** What a round costs whatever its size: its reads, the batch's first calls (0.5–2.6 s on the real Odoo 17). */
export const ROUND_FIXED_MS = 2_000;

/**
 * The share of its time left a round plans to spend: the pace is a blend of earlier rounds, and on the real Odoo 17
 * a batch's cost per payment written ran from 103 to 288 ms from round to round (the claims' mix, the books'
 * growth, a day's round batching on the same Odoo process at once; docs/benchmarks.md). A lost answer costs its ERA 150 s of
 * late-commit wait; a smaller round costs about 2 s. Planned on all of their time, rounds lost three answers in a
 * 2,000-claim month-end; on three quarters, one (a round of 247 planned for 32 s took over 45 s).
 */
export const ROUND_TIME_SHARE = 0.5;

/** A round of `claims` claim payments at the pace, all written by its batch (the case to fit). */
export function roundCostMs(pace: RoundPace, claims: number): number {
  return ROUND_FIXED_MS + claims * ((pace.batchMsPerWrite ?? 0) + (pace.recordMsPerClaim ?? 0));
}

/**
 * What a round takes while the stage knows no pace (its first round ever, or after `ERAPACE` was deleted): what the
 * dearest batch measured on a real Odoo 17 (288 ms per payment written, 30 ms to record) books in 18 s, well
 * within an invocation. Before, such a round took a whole chunk (500): on a real Odoo 17 a batch of over 100 s that
 * lost its answer and cost its ERA a late-commit wait, once per stage. The round teaches the pace; the next ones
 * are sized by it.
 */
export const FIRST_ROUND_CLAIMS = 50;

const paceKnown = (pace: RoundPace | undefined): pace is RoundPace =>
  pace?.batchMsPerWrite !== undefined || pace?.recordMsPerClaim !== undefined;

/**
 * How many of the claim payments a round decided to book (`decided`) it takes with `msLeft` before its deadline:
 * as many as the pace says its batch can write and it can record in `ROUND_TIME_SHARE` of that time, never
 * fewer than one wave of `minimum`; `FIRST_ROUND_CLAIMS` while the pace is unknown (a stage's first round). A round
 * whose batch outlasts its invocation
 * loses the batch's answer and its ERA waits out a late commit (`ODOO_LATE_COMMIT_SECONDS`, 150 s); one that
 * prepares more than it records pays for the look-ups of the rest again next round.
 */
export function roundTake(
  decided: number,
  msLeft: number,
  pace: RoundPace | undefined,
  minimum: number,
): number {
  if (!paceKnown(pace)) return Math.min(decided, Math.max(minimum, FIRST_ROUND_CLAIMS));
  const perClaim = (pace.batchMsPerWrite ?? 0) + (pace.recordMsPerClaim ?? 0);
  const fit = perClaim > 0 ? Math.floor((msLeft * ROUND_TIME_SHARE - ROUND_FIXED_MS) / perClaim) : decided;
  return Math.min(decided, Math.max(minimum, fit));
}

/**
 * Whether a round is worth starting with `msLeft` of its invocation left, or is better handed to a fresh
 * invocation: it needs the time for one wave (`wave` claim payments, or fewer if fewer are decided) at the pace.
 * Unknown pace: it starts only with `unknownPaceMs` left.
 *
 * `freshMsLeft`: what a fresh invocation would have left at the same point. When even that is too little (less
 * `FRESH_INVOCATION_SLACK_MS` for the runtime's own start), handing over would hand over again forever: the round
 * starts now and books what it can.
 */
export function roundFits(
  msLeft: number,
  decided: number,
  pace: RoundPace | undefined,
  wave: number,
  unknownPaceMs: number,
  freshMsLeft?: number,
): boolean {
  if (msLeft <= 0) return false;
  const needs = paceKnown(pace) ? roundCostMs(pace, Math.min(decided, wave)) : unknownPaceMs;
  if (msLeft >= needs) return true;
  return freshMsLeft !== undefined && freshMsLeft - FRESH_INVOCATION_SLACK_MS < needs;
}

/** What a fresh invocation may lose before a round's check (the runtime's start, the first reads). */
export const FRESH_INVOCATION_SLACK_MS = 2_000;

/** What a round cost, as its writer measured it (odoo-writer.ts `bookReady`). */
export interface RoundCost {
  /** Claim payments it took, and of those the ones its batch wrote (the rest were found booked whole). */
  claims: number;
  written: number;
  /** Its look-ups and batch, wall clock. */
  prepareMs: number;
  /** Claim payments it recorded, and how long that took. */
  booked: number;
  recordMs: number;
  /** Whether its batch gave up on an answer (its invocation's time ran out first). */
  lostAnswer: boolean;
}

/**
 * Claim payments from which a higher figure counts in full. A smaller round's figure is mostly the error in
 * `ROUND_FIXED_MS`, divided by few claims: on the real Odoo 17 rounds of 8 payments measured 6–596 ms a payment
 * written against 150–250 ms for rounds of a hundred. Low, such figures are kept off by the floor (`paceAfterRound`:
 * two rounds of 8 had brought the figure from 116 to 35 ms, and the next round took 473 claim payments, outlasted
 * its invocation and lost its answer; docs/benchmarks.md, ERA lanes); high, by this weight.
 */
export const PACE_FULL_WEIGHT_CLAIMS = 50;

/**
 * A figure after a round of `claims` that measured `measured`: a higher one is taken at once (a round sized on a
 * kinder, older figure outlasts its invocation and costs its ERA a late-commit wait), though only in proportion
 * to `claims` below `PACE_FULL_WEIGHT_CLAIMS` (one slow small round would keep every round small); a lower one
 * halfway (one quick round says little of the next), never below `floor` (nor is a first figure).
 */
function follow(previous: number | undefined, measured: number, claims: number, floor = measured): number {
  if (previous === undefined) return Math.max(measured, floor);
  if (measured >= previous)
    return previous + (measured - previous) * Math.min(1, claims / PACE_FULL_WEIGHT_CLAIMS);
  const lower = Math.max(measured, floor);
  return lower >= previous ? previous : (previous + lower) / 2;
}

/**
 * The pace after a round. Only a round whose batch wrote at least a `wave` of claim payments teaches the batch's
 * figure, and only one that recorded more than a wave the recording's: a smaller one's is mostly noise (and up to
 * `PACE_FULL_WEIGHT_CLAIMS`, a round raises a figure in proportion to its size). The
 * batch's figure counts the claim payments it wrote, not those found booked whole: a round after an outage or a
 * lost answer finds hundreds booked in under a second, and taught by that the next round would take a chunk its
 * batch cannot write in time. A batch that lost its answer took longer than it was given: its figure
 * counts double. Why: on the real Odoo 17 a round of 500 spent its invocation in Odoo, recorded one wave, and the
 * single wall-clock figure per recorded claim (6 s) kept the next rounds at a few dozen claims for minutes.
 */
export function paceAfterRound(
  previous: RoundPace | undefined,
  round: RoundCost,
  wave: number,
): RoundPace | undefined {
  const batchTeaches = round.written >= wave;
  // One wave recorded shows how long a claim payment takes, not how many a round records in its time.
  const recordTeaches = round.booked > wave;
  if (!batchTeaches && !recordTeaches) return previous;
  const next: RoundPace = { ...previous };
  if (batchTeaches) {
    const measured = Math.max(0, round.prepareMs - ROUND_FIXED_MS) / round.written;
    next.batchMsPerWrite = follow(
      previous?.batchMsPerWrite,
      round.lostAnswer ? 2 * measured : measured,
      round.written,
      // Lower only as far as the whole batch per payment, its fixed cost counted too: a small round that spent
      // less than `ROUND_FIXED_MS` on its reads and first calls would otherwise teach next to nothing a payment.
      round.prepareMs / round.written,
    );
  }
  if (recordTeaches)
    next.recordMsPerClaim = follow(previous?.recordMsPerClaim, round.recordMs / round.booked, round.booked);
  return next;
}

/** A claim payment waiting in its ERA's ready set. */
export interface ReadyClaim {
  /** When it joined (ISO 8601) and its event id: the ready set's order, arrival order. */
  joinedAt: string;
  eventId: string;
}

export type RoundDecision = { kind: 'book'; take: number } | { kind: 'wait'; ms: number };

/**
 * Whether a round books now, and how many: a full chunk at once; otherwise what is ready once the ERA has been
 * quiet for `quietMs` (its claim payments have stopped arriving: `newestJoinedAt` is the last arrival) or its
 * oldest ready claim payment has waited `maxWaitMs` (a steady trickle cannot starve it).
 */
export function decideRound(
  ready: number,
  oldestJoinedAt: string | undefined,
  newestJoinedAt: string | undefined,
  nowMs: number,
  settings: Pick<EraBookingSettings, 'chunk' | 'quietMs' | 'maxWaitMs'>,
): RoundDecision {
  if (ready === 0) return { kind: 'book', take: 0 };
  if (ready >= settings.chunk) return { kind: 'book', take: settings.chunk };
  const since = (at: string | undefined) =>
    at === undefined ? Number.POSITIVE_INFINITY : nowMs - Date.parse(at);
  const quietFor = since(newestJoinedAt);
  const waitedFor = since(oldestJoinedAt);
  if (quietFor >= settings.quietMs || waitedFor >= settings.maxWaitMs) return { kind: 'book', take: ready };
  return {
    kind: 'wait',
    ms: Math.max(1, Math.min(settings.quietMs - quietFor, settings.maxWaitMs - waitedFor)),
  };
}
