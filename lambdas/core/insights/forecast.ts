/**
 * Forecasts (docs/triage.md#forecasts).
 *
 * Cash per payer: each open claim of age a pays within the next h days with probability
 * (F(a+h) − F(a)) / (1 − F(a)), F being the payer's own days-to-adjudication distribution (empirical, from its
 * recent ERAs), and pays, when it does, the payer's dollar-weighted paid-to-billed ratio (denials count as 0).
 * A claim older than anything the payer has ever taken is overdue: it is listed, not counted as cash.
 *
 * Odoo write backlog: messages waiting ÷ the measured posting rate.
 */
import { type ClaimOutcome, daysBetween, type OpenClaim } from './outcomes.js';

export interface CashForecast {
  asOf: string;
  horizons: Array<{ days: number; expectedCents: number; claims: number }>;
  /** Open claims older than the payer has ever taken to adjudicate: chase them rather than wait. */
  overdueClaims: number;
  openClaims: number;
  openBilledCents: number;
  paidToBilled: number;
  daysToPay: { p50: number; p90: number; samples: number };
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

export function forecastCash(
  asOf: string,
  open: readonly OpenClaim[],
  history: readonly ClaimOutcome[],
  horizons: readonly number[] = [7, 30],
): CashForecast {
  const days = history
    .map((o) => Math.max(0, daysBetween(o.submittedDate, o.paidDate)))
    .sort((a, b) => a - b);
  const billed = history.reduce((sum, o) => sum + o.billedCents, 0);
  const paid = history.reduce((sum, o) => sum + o.paidCents, 0);
  const ratio = billed > 0 ? paid / billed : 0;
  // F(t): share of claims adjudicated within t days.
  const cdf = (t: number): number => {
    if (days.length === 0) return 0;
    let lo = 0;
    let hi = days.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((days[mid] as number) <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo / days.length;
  };
  let overdue = 0;
  const totals = horizons.map(() => 0);
  for (const claim of open) {
    const age = Math.max(0, daysBetween(claim.submittedDate, asOf));
    const survive = 1 - cdf(age);
    if (days.length === 0 || survive <= 0) {
      overdue += 1;
      continue;
    }
    horizons.forEach((h, i) => {
      const p = (cdf(age + h) - cdf(age)) / survive;
      totals[i] = (totals[i] as number) + claim.billedCents * ratio * p;
    });
  }
  return {
    asOf,
    horizons: horizons.map((h, i) => ({
      days: h,
      expectedCents: Math.round(totals[i] as number),
      claims: open.length - overdue,
    })),
    overdueClaims: overdue,
    openClaims: open.length,
    openBilledCents: open.reduce((sum, c) => sum + c.billedCents, 0),
    paidToBilled: Math.round(ratio * 1000) / 1000,
    daysToPay: { p50: quantile(days, 0.5), p90: quantile(days, 0.9), samples: days.length },
  };
}

/** "3 h 20 min", "45 min", "2 d 4 h" — minutes rounded up (a backlog is never done sooner than it says). */
export function formatDuration(seconds: number): string {
  const minutes = Math.max(1, Math.ceil(seconds / 60));
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  if (d > 0) return `${d} d${h ? ` ${h} h` : ''}`;
  if (h > 0) return `${h} h${m ? ` ${m} min` : ''}`;
  return `${m} min`;
}

export interface DrainForecast {
  depth: number;
  postedPerMinute: number;
  /** Undefined when nothing is posting (the backlog does not drain at this rate). */
  drainSeconds?: number;
  text: string;
}

/** Time for `depth` waiting writes to drain at the rate `posted` writes per `windowSeconds` were posted. */
export function drainForecast(depth: number, posted: number, windowSeconds: number): DrainForecast {
  const rate = windowSeconds > 0 ? Math.max(0, posted) / windowSeconds : 0;
  const postedPerMinute = Math.round(rate * 60 * 10) / 10;
  if (depth <= 0)
    return { depth: 0, postedPerMinute, drainSeconds: 0, text: 'the Odoo write backlog is empty' };
  if (rate <= 0)
    return {
      depth,
      postedPerMinute: 0,
      text: `${depth} writes wait and none were posted in the last ${formatDuration(windowSeconds)}: at this rate the backlog does not clear`,
    };
  const drainSeconds = Math.ceil(depth / rate);
  return {
    depth,
    postedPerMinute,
    drainSeconds,
    text: `${depth} writes wait; posting ${postedPerMinute}/min, at this rate the backlog clears in ${formatDuration(drainSeconds)}`,
  };
}
