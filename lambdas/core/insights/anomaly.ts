/**
 * Payment anomalies per payer (and facility): denial rate, paid-to-billed ratio, CARC mix, days to pay and
 * volume against the payer's own robust baseline (docs/triage.md#anomalies).
 *
 * The window is the last `windowClaims` adjudicated claims. The baseline is the claims adjudicated in the
 * `baselineDays` before the window, cut into blocks of the window's size: the statistic of each block, then
 * the median of those (robust: one bad block does not move it) and 1.4826 × MAD as its spread — which is
 * directly the variability of a window-sized sample. The spread never goes below what sampling alone would
 * give (binomial for rates), so a very quiet payer does not alarm on noise. Volume compares the last 7 days
 * with the median of the same weekday over the previous weeks (weekday seasonality).
 *
 * An anomaly opens when |z| ≥ openZ and the change is large enough to matter, and clears only when |z| falls
 * below clearZ (hysteresis): once on start, once on clear, no flapping.
 */
import { addDays, byPaidDate, type ClaimOutcome, daysBetween, mad, median } from './outcomes.js';

export const ANOMALY_METRICS = [
  'denial-rate',
  'paid-to-billed',
  'carc-mix',
  'days-to-pay',
  'volume',
] as const;
export type AnomalyMetric = (typeof ANOMALY_METRICS)[number];

export interface AnomalyConfig {
  windowClaims: number;
  baselineDays: number;
  minBaselineBlocks: number;
  openZ: number;
  clearZ: number;
  /** Smallest change worth a person's time, per metric (absolute: rate points, ratio, days, volume ratio). */
  minEffect: Record<AnomalyMetric, number>;
}

export const DEFAULT_ANOMALY_CONFIG: AnomalyConfig = {
  windowClaims: 50,
  baselineDays: 28,
  minBaselineBlocks: 4,
  openZ: 4,
  clearZ: 2,
  minEffect: { 'denial-rate': 0.08, 'paid-to-billed': 0.08, 'carc-mix': 0.1, 'days-to-pay': 4, volume: 0.4 },
};

export interface Baseline {
  metric: AnomalyMetric;
  /** The code whose share moved (carc-mix only). */
  code?: string;
  median: number;
  spread: number;
  /** Blocks (or days for volume) the baseline was computed from. */
  samples: number;
}

export interface Finding {
  metric: AnomalyMetric;
  code?: string;
  current: number;
  baseline: Baseline;
  z: number;
  /** Breaches the opening level (|z| ≥ openZ and the effect is large enough). */
  breach: boolean;
  /** Back to normal (|z| < clearZ or the effect is under half the minimum). */
  normal: boolean;
  /** Team that acts: denials and codes are billing's; money and timing are finance's. */
  team: 'billing' | 'finance';
  explanation: string;
  /** The claims behind it (ids only), at most 25. */
  claimIds: string[];
  /** Money involved in the window (cents): denied billed, shortfall against the baseline ratio… */
  amountCents: number;
}

const pct = (x: number): string => `${Math.round(x * 100)} %`;
const blocksOf = <T>(items: readonly T[], size: number): T[][] => {
  const blocks: T[][] = [];
  for (let i = 0; i + size <= items.length; i += size) blocks.push(items.slice(i, i + size));
  return blocks;
};

function robust(values: readonly number[], floor: number): { median: number; spread: number } {
  return { median: median(values), spread: Math.max(1.4826 * mad(values), floor) };
}

const ratio = (o: ClaimOutcome): number => (o.billedCents > 0 ? o.paidCents / o.billedCents : 0);
const denialRate = (claims: readonly ClaimOutcome[]): number =>
  claims.filter((c) => c.denied).length / Math.max(1, claims.length);
const paidRatio = (claims: readonly ClaimOutcome[]): number =>
  median(claims.filter((c) => !c.denied).map(ratio));
const daysToPay = (claims: readonly ClaimOutcome[]): number =>
  median(claims.map((c) => daysBetween(c.submittedDate, c.paidDate)));
const codeShare = (claims: readonly ClaimOutcome[], code: string): number =>
  claims.filter((c) => c.carcs.includes(code)).length / Math.max(1, claims.length);

/**
 * Findings for one payer (or one payer's facility) as of its latest adjudicated claim. `label` names the
 * payer in explanations. Nothing is reported until the baseline has `minBaselineBlocks` blocks.
 */
export function assessPayer(
  label: string,
  outcomes: readonly ClaimOutcome[],
  config: AnomalyConfig = DEFAULT_ANOMALY_CONFIG,
  /**
   * While an anomaly is open the baseline stays where it was before it (claims adjudicated from this date on
   * are left out of it): otherwise a lasting fault would become its own baseline and "clear" while it goes on.
   */
  frozenFrom?: string,
): Finding[] {
  const sorted = [...outcomes].sort(byPaidDate);
  const W = config.windowClaims;
  if (sorted.length < W) return [];
  const window = sorted.slice(-W);
  const windowStart = (window[0] as ClaimOutcome).paidDate;
  const baselineEnd = frozenFrom && frozenFrom < windowStart ? frozenFrom : windowStart;
  const baselineFrom = addDays(baselineEnd, -config.baselineDays);
  const history = sorted
    .slice(0, -W)
    .filter((o) => o.paidDate >= baselineFrom && (!frozenFrom || o.paidDate < frozenFrom));
  const blocks = blocksOf(history, W);
  if (blocks.length < config.minBaselineBlocks) return [];
  const days = `${config.baselineDays} days`;
  const findings: Finding[] = [];
  const judge = (
    metric: AnomalyMetric,
    current: number,
    base: { median: number; spread: number },
    extra: Omit<Finding, 'metric' | 'current' | 'baseline' | 'z' | 'breach' | 'normal'>,
    code?: string,
    /** Extra z demanded when the statistic is the worst of several (CARC codes): a Bonferroni-like margin. */
    margin = 0,
  ) => {
    const z = (current - base.median) / base.spread;
    const effect = Math.abs(current - base.median);
    findings.push({
      metric,
      ...(code ? { code } : {}),
      current,
      baseline: { metric, ...(code ? { code } : {}), ...base, samples: blocks.length },
      z: Math.round(z * 100) / 100,
      breach: Math.abs(z) >= config.openZ + margin && effect >= config.minEffect[metric],
      normal: Math.abs(z) < config.clearZ + margin || effect < config.minEffect[metric] / 2,
      ...extra,
    });
  };

  // Denial rate: rises matter (a payer denying less is good news).
  {
    const base = robust(blocks.map(denialRate), 0);
    const p0 = Math.max(base.median, 0.02);
    const spread = Math.max(base.spread, Math.sqrt((p0 * (1 - p0)) / W));
    const current = denialRate(window);
    const denied = window.filter((c) => c.denied);
    judge(
      'denial-rate',
      current,
      { median: base.median, spread },
      {
        team: 'billing',
        explanation: `${label}: denial rate ${pct(current)} over the last ${W} claims against ${pct(base.median)} ± ${pct(spread)} for ${days}`,
        claimIds: denied.map((c) => c.claimId).slice(0, 25),
        amountCents: denied.reduce((sum, c) => sum + c.billedCents, 0),
      },
    );
    const last = findings[findings.length - 1] as Finding;
    if (current < base.median) {
      last.breach = false;
      last.normal = true;
    }
  }
  // Paid-to-billed on paid claims: falls matter (short-pays); rises are reported but never open.
  {
    const values = blocks.map(paidRatio).filter((v) => Number.isFinite(v));
    const paid = window.filter((c) => !c.denied);
    if (values.length >= config.minBaselineBlocks && paid.length >= 10) {
      const base = robust(values, 0.01);
      const current = paidRatio(window);
      const short = paid
        .map((c) => ({ c, gap: Math.max(0, Math.round(base.median * c.billedCents) - c.paidCents) }))
        .filter((x) => x.gap > 0)
        .sort((a, b) => b.gap - a.gap);
      judge('paid-to-billed', current, base, {
        team: 'finance',
        explanation: `${label}: paid-to-billed ${pct(current)} (median of the last ${W} claims' paid claims) against ${pct(base.median)} ± ${pct(base.spread)} for ${days}`,
        claimIds: short.map((x) => x.c.claimId).slice(0, 25),
        amountCents: short.reduce((sum, x) => sum + x.gap, 0),
      });
      const last = findings[findings.length - 1] as Finding;
      if (current > base.median) {
        last.breach = false;
        last.normal = true;
      }
    }
  }
  // CARC mix: the code whose share rose most (in z) — "CARC 197 rose from 1 % to 19 %".
  {
    const codes = [...new Set(window.flatMap((c) => c.carcs))].sort();
    let worst:
      | { code: string; z: number; current: number; base: { median: number; spread: number } }
      | undefined;
    for (const code of codes) {
      const base = robust(
        blocks.map((b) => codeShare(b, code)),
        0,
      );
      const p0 = Math.max(base.median, 0.02);
      const spread = Math.max(base.spread, Math.sqrt((p0 * (1 - p0)) / W));
      const current = codeShare(window, code);
      const z = (current - base.median) / spread;
      if (!worst || z > worst.z) worst = { code, z, current, base: { median: base.median, spread } };
    }
    if (worst) {
      const { code, current, base } = worst;
      const claims = window.filter((c) => c.carcs.includes(code));
      judge(
        'carc-mix',
        current,
        base,
        {
          team: 'billing',
          explanation: `${label}: CARC ${code} rose from ${pct(base.median)} to ${pct(current)} of claims (last ${W} claims against ${days})`,
          claimIds: claims.map((c) => c.claimId).slice(0, 25),
          amountCents: claims.reduce((sum, c) => sum + Math.max(0, c.billedCents - c.paidCents), 0),
        },
        code,
        1,
      );
      const last = findings[findings.length - 1] as Finding;
      if (current < base.median) {
        last.breach = false;
        last.normal = true;
      }
    }
  }
  // Days to pay: slower matters (cash arrives later).
  {
    // Which weekdays' submissions a window of payments holds shifts its days-to-pay by a day or two: the
    // spread never goes below a tenth of the payer's usual days.
    const medians = blocks.map(daysToPay);
    const base = robust(medians, Math.max(0.5, 0.1 * median(medians)));
    const current = daysToPay(window);
    const slow = window
      .map((c) => ({ c, days: daysBetween(c.submittedDate, c.paidDate) }))
      .filter((x) => x.days > base.median)
      .sort((a, b) => b.days - a.days);
    judge('days-to-pay', current, base, {
      team: 'finance',
      explanation: `${label}: claims take ${Math.round(current)} days to pay (median of the last ${W}) against ${Math.round(base.median)} ± ${Math.round(base.spread * 10) / 10} days for ${days}`,
      claimIds: slow.map((x) => x.c.claimId).slice(0, 25),
      amountCents: slow.reduce((sum, x) => sum + x.c.paidCents, 0),
    });
    const last = findings[findings.length - 1] as Finding;
    if (current < base.median) {
      last.breach = false;
      last.normal = true;
    }
  }
  const volume = assessVolume(label, sorted, config);
  if (volume) findings.push(volume);
  return findings;
}

/**
 * Volume: claims adjudicated in the last 7 days against the median of the same weekdays over the previous
 * `baselineDays` (weekday seasonality: Mondays are compared with Mondays). Both a drop and a surge count.
 */
function assessVolume(
  label: string,
  sorted: readonly ClaimOutcome[],
  config: AnomalyConfig,
): Finding | undefined {
  const last = sorted[sorted.length - 1];
  if (!last) return undefined;
  const end = last.paidDate;
  const perDay = new Map<string, number>();
  for (const o of sorted) perDay.set(o.paidDate, (perDay.get(o.paidDate) ?? 0) + 1);
  const weeks = Math.floor(config.baselineDays / 7);
  if (daysBetween((sorted[0] as ClaimOutcome).paidDate, end) < config.baselineDays + 7) return undefined;
  let expected = 0;
  let actual = 0;
  let spreadSquared = 0;
  for (let d = 0; d < 7; d += 1) {
    const day = addDays(end, -d);
    actual += perDay.get(day) ?? 0;
    const same = Array.from({ length: weeks }, (_, w) => perDay.get(addDays(day, -7 * (w + 1))) ?? 0);
    expected += median(same);
    spreadSquared += (1.4826 * mad(same)) ** 2;
  }
  if (expected <= 0) return undefined;
  // Poisson noise at least: a count of n varies by about √n.
  const spread = Math.sqrt(Math.max(spreadSquared, expected));
  const z = (actual - expected) / spread;
  const change = actual / expected - 1;
  return {
    metric: 'volume',
    current: actual,
    baseline: { metric: 'volume', median: expected, spread, samples: weeks },
    z: Math.round(z * 100) / 100,
    breach: Math.abs(z) >= config.openZ && Math.abs(change) >= config.minEffect.volume,
    normal: Math.abs(z) < config.clearZ || Math.abs(change) < config.minEffect.volume / 2,
    team: 'finance',
    explanation: `${label}: ${actual} claims adjudicated in the last 7 days against ${Math.round(expected)} expected for those weekdays (${change >= 0 ? '+' : ''}${Math.round(change * 100)} %)`,
    claimIds: [],
    amountCents: 0,
  };
}

/** Anomaly state kept between sweeps: which metric is open, since when, and its exception key. */
export type AnomalyState = Partial<Record<AnomalyMetric, { openedAt: string; key: string; code?: string }>>;

/** The date the baseline is frozen from: the earliest open anomaly's opening (undefined when none is open). */
export function frozenSince(state: AnomalyState): string | undefined {
  const dates = Object.values(state)
    .map((s) => s?.openedAt)
    .filter((d): d is string => typeof d === 'string')
    .sort();
  return dates[0];
}

export interface AnomalyTransition {
  kind: 'open' | 'clear';
  metric: AnomalyMetric;
  key: string;
  finding?: Finding;
}

/** A facility gets its own baselines once it has this many adjudicated claims of the payer. */
export const FACILITY_MIN_CLAIMS = 300;

/**
 * The facility scopes of one payer's claims: each facility with at least `minClaims` adjudicated claims, sorted
 * by facility, assessed on its own so that one clinic's problem is not averaged away in the payer's numbers.
 * A payer whose claims all come from one facility has none (that facility is the payer scope already).
 */
export function facilityScopes(
  outcomes: readonly ClaimOutcome[],
  minClaims = FACILITY_MIN_CLAIMS,
): Array<{ facilityId: string; outcomes: ClaimOutcome[] }> {
  const byFacility = new Map<string, ClaimOutcome[]>();
  for (const o of outcomes)
    if (o.facilityId) byFacility.set(o.facilityId, [...(byFacility.get(o.facilityId) ?? []), o]);
  if (byFacility.size < 2) return [];
  return [...byFacility]
    .filter(([, list]) => list.length >= minClaims)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([facilityId, list]) => ({ facilityId, outcomes: list }));
}

/**
 * `anomaly:<metric>:<payerId>[@<facilityId>]:<since>` — one exception per metric, scope and episode (the date
 * it opened), so an anomaly that returns after clearing opens a new exception rather than finding the old one.
 */
export function anomalyKey(
  metric: AnomalyMetric,
  payerId: string,
  facilityId: string | undefined,
  since: string,
): string {
  return `anomaly:${metric}:${payerId}${facilityId ? `@${facilityId}` : ''}:${since.slice(0, 10)}`;
}

/**
 * What changes between the previous state and these findings: open on a breach of a metric not open yet,
 * clear an open metric once it is normal again. A metric neither breaching nor normal keeps its state.
 */
export function transitions(
  state: AnomalyState,
  findings: readonly Finding[],
  payerId: string,
  at: string,
  facilityId?: string,
): { next: AnomalyState; changes: AnomalyTransition[] } {
  const next: AnomalyState = { ...state };
  const changes: AnomalyTransition[] = [];
  for (const finding of findings) {
    const open = next[finding.metric];
    if (!open && finding.breach) {
      const key = anomalyKey(finding.metric, payerId, facilityId, at);
      next[finding.metric] = { openedAt: at, key, ...(finding.code ? { code: finding.code } : {}) };
      changes.push({ kind: 'open', metric: finding.metric, key, finding });
    } else if (open && finding.normal) {
      delete next[finding.metric];
      changes.push({ kind: 'clear', metric: finding.metric, key: open.key, finding });
    }
  }
  return { next, changes };
}
