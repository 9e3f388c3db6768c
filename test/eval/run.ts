/**
 * `npm run eval`: how well triage, anomaly detection and forecasts do on a seeded synthetic scenario
 * (test/eval/scenario.ts). Figures, never assertions; deterministic (seeded, no clock). `--write` replaces the
 * triage block in docs/benchmarks.md. Goals (issue 17): top-1 cause ≥ 90 %, the top decile of exposure holds
 * ≥ 80 % of the money at risk, anomalies found within 50 claims of onset, ≤ 1 false alarm per payer-month on
 * normal weeks, 30-day cash MAPE ≤ 15 %.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  type AnomalyState,
  assessPayer,
  FACILITY_MIN_CLAIMS,
  frozenSince,
  transitions,
} from '../../lambdas/core/insights/anomaly.js';
import { forecastCash } from '../../lambdas/core/insights/forecast.js';
import { addDays, byPaidDate, daysBetween } from '../../lambdas/core/insights/outcomes.js';
import { DEFAULT_WINDOWS } from '../../lambdas/core/triage/exposure.js';
import { train, usualCause } from '../../lambdas/core/triage/model.js';
import { signalsOf } from '../../lambdas/core/triage/signals.js';
import type { ResolvedCase } from '../../lambdas/core/triage/similar.js';
import type { Cause } from '../../lambdas/core/triage/taxonomy.js';
import { formatDollars, triage } from '../../lambdas/core/triage/triage.js';
import {
  CHARGE_MIX,
  type ClaimRecord,
  claimsOf,
  FACILITIES,
  type PlantedException,
  payerProfiles,
  plantExceptions,
  rng,
  START,
} from './scenario.js';

// The AWS SDK's notice about Node 20 (README, The two commands): silenced by its own switch.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const SEED = Number(process.env.EVAL_SEED ?? 17);
const WEEKS = 16;
const PAYERS = 8;
const lines: string[] = [];
const print = (line = '') => {
  lines.push(line);
  console.log(line);
};
const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

// ---- 1. triage ----
function evaluateTriage() {
  const r = rng(SEED);
  const payers = Array.from({ length: PAYERS }, (_, i) => `PAYER-${String(i + 1).padStart(2, '0')}`);
  const half = (WEEKS / 2) * 7;
  const history = plantExceptions(r, 1500, payers, 0, half, 0.05, 'T');
  const test = plantExceptions(r, 1500, payers, half, WEEKS * 7, 0, 'X');
  const at = (e: PlantedException) => Date.parse(e.openedAt);
  const subject = (e: PlantedException) => ({ ...e });

  // What people resolved in the first half: the signals triage saw when each opened, and the person's label.
  const byPayer = new Map<string, Cause[]>();
  for (const e of history) byPayer.set(e.payerId, [...(byPayer.get(e.payerId) ?? []), e.labelledCause]);
  const resolved: ResolvedCase[] = history.map((e) => ({
    id: e.id,
    payerId: e.payerId,
    tokens: signalsOf(subject(e), { now: at(e) }).map((s) => s.token),
    cause: e.labelledCause,
    note: `resolved as ${e.labelledCause}`,
    resolvedAt: e.openedAt,
  }));
  const rules = train([]);
  const trained = train(resolved.map((c) => ({ tokens: c.tokens, cause: c.cause as Cause })));

  const ageOf = (e: PlantedException) => (Number.parseInt(e.id.slice(1), 10) * 7919) % 120; // 0–119 days, spread
  const run = (model: typeof rules) =>
    test.map((e) => {
      const now = at(e) + ageOf(e) * 86_400_000;
      const payerHistory = usualCause(byPayer.get(e.payerId) ?? []);
      const t = triage(subject(e), {
        model,
        now,
        windows: DEFAULT_WINDOWS,
        resolved: resolved.slice(-300),
        ...(payerHistory ? { payerHistory } : {}),
      });
      return { e, t, age: ageOf(e) };
    });
  const results = { rules: run(rules), trained: run(trained) };
  const accuracy = (rs: ReturnType<typeof run>) =>
    rs.filter((x) => x.t.cause === x.e.trueCause).length / rs.length;

  // Money truly at risk: the generator's own loss rate, rising linearly (not the model's curve) to 95 % at
  // the generator's deadlines (95 days filing, 170 days appeal).
  const deadline: Partial<Record<Cause, number>> = {
    master_data_mismatch: 95,
    claim_not_found: 95,
    denial_eligibility: 95,
    denial_coding: 95,
    out_of_order_held: 95,
    partner_data_error: 95,
    workflow_stalled: 95,
    denial_authorization: 170,
    denial_timely_filing: 170,
    underpayment: 170,
  };
  const trueRisk = (x: { e: PlantedException; age: number }) => {
    const days = deadline[x.e.trueCause];
    const base = x.e.trueLossProbability;
    const p = days ? base + (0.95 - base) * Math.min(1, x.age / days) : base;
    return Math.abs(x.e.amountCents) * Math.min(1, p);
  };
  const decileShare = (rs: ReturnType<typeof run>, score: (x: ReturnType<typeof run>[number]) => number) => {
    const total = rs.reduce((sum, x) => sum + trueRisk(x), 0);
    const top = [...rs]
      .sort((a, b) => score(b) - score(a) || a.e.id.localeCompare(b.e.id))
      .slice(0, Math.ceil(rs.length / 10));
    return top.reduce((sum, x) => sum + trueRisk(x), 0) / total;
  };
  const oracle = decileShare(results.trained, trueRisk);
  const exposureShare = decileShare(results.trained, (x) => x.t.exposureCents);
  const amountShare = decileShare(results.trained, (x) => Math.abs(x.e.amountCents));
  const never = results.trained.filter((x) => x.t.exposureCents > Math.abs(x.e.amountCents)).length;
  const confusion = new Map<string, number>();
  for (const x of results.trained)
    if (x.t.cause !== x.e.trueCause)
      confusion.set(
        `${x.e.trueCause} → ${x.t.cause}`,
        (confusion.get(`${x.e.trueCause} → ${x.t.cause}`) ?? 0) + 1,
      );
  const accepted =
    results.trained.filter((x) => x.t.cause === x.e.labelledCause).length / results.trained.length;
  const amounts = test.map((e) => Math.abs(e.amountCents)).sort((a, b) => b - a);
  const amountTotal = amounts.reduce((a, b) => a + b, 0);
  const amountTopDecile =
    amounts.slice(0, Math.ceil(amounts.length / 10)).reduce((a, b) => a + b, 0) / amountTotal;
  const amountMedian = amounts[Math.floor(amounts.length / 2)] as number;
  return {
    amountTopDecile,
    amountMedian,
    rules,
    trained,
    test,
    accuracy,
    results,
    oracle,
    exposureShare,
    amountShare,
    never,
    confusion,
    accepted,
    history,
  };
}

// ---- 2. anomalies ----
interface ScopeChange {
  index: number;
  kind: 'open' | 'clear';
  metric: string;
  date: string;
}

/**
 * Replays one scope's adjudications in order (a payer, or one payer's facility), as the hourly sweep sees them:
 * after each claim, the findings over the history the handler reads and the open/clear transitions. A facility
 * scope exists only while the facility has FACILITY_MIN_CLAIMS adjudications in the handler's 120-day history.
 */
function scanScope(all: readonly ClaimRecord[], payerId: string, facilityId?: string): ScopeChange[] {
  let state: AnomalyState = {};
  const changes: ScopeChange[] = [];
  let start = 0;
  let historyStart = 0;
  for (let i = 0; i < all.length; i += 1) {
    const now = all[i] as ClaimRecord;
    if (facilityId) {
      const since = addDays(now.paidDate, -120);
      while ((all[historyStart] as ClaimRecord).paidDate < since) historyStart += 1;
      if (i + 1 - historyStart < FACILITY_MIN_CLAIMS) continue;
    }
    const frozen = frozenSince(state);
    const from = addDays(frozen && frozen < now.paidDate ? frozen : now.paidDate, -(28 + 21));
    while ((all[start] as ClaimRecord).paidDate < from) start += 1;
    while (start > 0 && (all[start - 1] as ClaimRecord).paidDate >= from) start -= 1;
    const label = `Payer ${facilityId ? `${payerId}@${facilityId}` : payerId}`;
    const findings = assessPayer(label, all.slice(start, i + 1), undefined, frozen);
    const step = transitions(state, findings, payerId, now.paidDate, facilityId);
    state = step.next;
    for (const change of step.changes)
      changes.push({ index: i, kind: change.kind, metric: change.metric, date: now.paidDate });
  }
  return changes;
}

/**
 * Scores a scope's transitions against its planted fault (`affected` claims): the first opening after onset
 * is the detection (its delay in this scope's claims), an opening outside the fault and the 28 days its claims
 * stay in the baseline afterwards is a false alarm, and the time outside that is the normal time.
 */
function scoreScope(
  all: readonly ClaimRecord[],
  changes: readonly ScopeChange[],
  end: string,
  affected: (c: ClaimRecord) => boolean,
  /**
   * A slow-pay fault shows first as claims that do not arrive, before the first slowed one is paid: from its
   * onset (the first slowed submission) an alarm is not false, and one before the first slowed payment is a
   * detection 0 claims after it (reported as early).
   */
  faultOnset?: string,
) {
  const onsetIndex = all.findIndex(affected);
  const lastAffected = all.map(affected).lastIndexOf(true);
  const firstPaid = onsetIndex >= 0 ? (all[onsetIndex] as ClaimRecord).paidDate : undefined;
  const faultFrom = firstPaid && faultOnset && faultOnset < firstPaid ? faultOnset : firstPaid;
  const faultTo = lastAffected >= 0 ? addDays((all[lastAffected] as ClaimRecord).paidDate, 28) : undefined;
  const inFault = (date: string) =>
    faultFrom !== undefined && faultTo !== undefined && date >= faultFrom && date <= faultTo;
  let first: { index: number; metric: string } | undefined;
  let cleared: number | undefined;
  const falseAlarms: string[] = [];
  for (const change of changes) {
    if (change.kind === 'open') {
      if (inFault(change.date)) {
        if (!first && (change.index >= onsetIndex || faultOnset))
          first = { index: change.index, metric: change.metric };
      } else falseAlarms.push(`${change.metric} on ${change.date}`);
    } else if (first && cleared === undefined && change.index > lastAffected) {
      cleared = change.index - lastAffected;
    }
  }
  const days = daysBetween((all[0] as ClaimRecord).paidDate, end) + 1;
  const faultDays = faultFrom && faultTo ? Math.min(daysBetween(faultFrom, faultTo) + 1, days) : 0;
  // How many adjudications the scope had in the 28 days before onset: a baseline needs 4 blocks of 50.
  const baselineClaims = faultFrom
    ? all.filter((c) => c.paidDate < faultFrom && c.paidDate >= addDays(faultFrom, -28)).length
    : 0;
  return {
    baselineClaims,
    ...(first
      ? {
          delay: Math.max(0, first.index - onsetIndex),
          metric: first.metric,
          ...(first.index < onsetIndex ? { early: true } : {}),
        }
      : {}),
    ...(cleared !== undefined ? { cleared } : {}),
    falseAlarms,
    normalDays: days - faultDays,
  };
}

interface Detection {
  scope: string;
  kind: string;
  baselineClaims: number;
  delay?: number;
  /** Seen before the first slowed claim was paid (slow-pay: from the claims that did not arrive). */
  early?: boolean;
  metric?: string;
  cleared?: number;
}

function evaluateAnomalies() {
  const r = rng(SEED + 1);
  const profiles = payerProfiles(r, PAYERS, WEEKS);
  const end = addDays(START, WEEKS * 7 - 1);
  const delays: Detection[] = [];
  const facilityDelays: Detection[] = [];
  /** Whether the payer-level scope saw a facility's own fault at all (usually it is averaged away). */
  const payerSawFacilityFault: string[] = [];
  let falseAlarms = 0;
  let normalDays = 0;
  const falseDetail: string[] = [];
  let facilityFalseAlarms = 0;
  let facilityNormalDays = 0;
  const facilityFalseDetail: string[] = [];
  for (const profile of profiles) {
    const all = claimsOf(r, profile, WEEKS)
      .filter((c) => c.paidDate <= end)
      .sort(byPaidDate);
    const slowOnset =
      profile.anomaly?.kind === 'slow-pay' ? addDays(START, profile.anomaly.onsetDay) : undefined;
    const payerChanges = scanScope(all, profile.payerId);
    const payer = scoreScope(all, payerChanges, end, (c) => c.affected, slowOnset);
    falseAlarms += payer.falseAlarms.length;
    falseDetail.push(...payer.falseAlarms.map((f) => `${profile.payerId} ${f}`));
    normalDays += payer.normalDays;
    const { falseAlarms: _f, normalDays: _n, ...found } = payer;
    if (profile.anomaly) delays.push({ scope: profile.payerId, kind: profile.anomaly.kind, ...found });
    else if (profile.facilityFault && found.delay !== undefined)
      payerSawFacilityFault.push(`${profile.payerId} (${found.metric} after ${found.delay} claims)`);

    for (const { facilityId } of FACILITIES) {
      const own = all.filter((c) => c.facilityId === facilityId);
      const scope = `${profile.payerId}@${facilityId}`;
      const score = scoreScope(
        own,
        scanScope(own, profile.payerId, facilityId),
        end,
        (c) => c.affected,
        slowOnset,
      );
      facilityFalseAlarms += score.falseAlarms.length;
      facilityFalseDetail.push(...score.falseAlarms.map((f) => `${scope} ${f}`));
      facilityNormalDays += score.normalDays;
      const { falseAlarms: _ff, normalDays: _nn, ...seen } = score;
      if (profile.facilityFault?.facilityId === facilityId)
        facilityDelays.push({ scope, kind: 'facility denial-spike', ...seen });
    }
  }
  return {
    delays,
    falseAlarms,
    payerMonths: normalDays / 30,
    falseDetail,
    facilityDelays,
    facilityFalseAlarms,
    facilityMonths: facilityNormalDays / 30,
    facilityFalseDetail,
    payerSawFacilityFault,
  };
}

// ---- 3. forecasts ----
function evaluateForecasts() {
  const r = rng(SEED + 2);
  const profiles = payerProfiles(r, PAYERS, WEEKS);
  const errors: Array<{
    payerId: string;
    cutoff: string;
    forecast: number;
    actual: number;
    normal: boolean;
  }> = [];
  for (const profile of profiles) {
    const claims = claimsOf(r, profile, WEEKS);
    for (let day = 56; day <= 98; day += 7) {
      const cutoff = addDays(START, day);
      const history = claims.filter((c) => c.paidDate <= cutoff && c.paidDate > addDays(cutoff, -90));
      const open = claims.filter((c) => c.submittedDate <= cutoff && c.paidDate > cutoff);
      const f = forecastCash(cutoff, open, history, [30]);
      const actual = open
        .filter((c) => c.paidDate <= addDays(cutoff, 30))
        .reduce((sum, c) => sum + c.paidCents, 0);
      const a = profile.anomaly;
      const normal = !a || day + 30 < a.onsetDay || day > a.endDay + 60;
      errors.push({
        payerId: profile.payerId,
        cutoff,
        forecast: f.horizons[0]?.expectedCents ?? 0,
        actual,
        normal,
      });
    }
  }
  const mape = (xs: typeof errors) =>
    xs.reduce((s, x) => s + Math.abs(x.forecast - x.actual) / x.actual, 0) / xs.length;
  return {
    errors,
    all: mape(errors),
    normal: mape(errors.filter((x) => x.normal)),
    normalCount: errors.filter((x) => x.normal).length,
  };
}

const t = evaluateTriage();
const an = evaluateAnomalies();
const fc = evaluateForecasts();

print(`### Triage, anomalies and forecasts (\`npm run eval\`, seed ${SEED})`);
print();
print(
  `Synthetic scenario (test/eval/scenario.ts): ${PAYERS} payers over ${WEEKS} simulated weeks; ${t.history.length} exceptions resolved by people in the first half (5 % labelled with a plausible wrong cause) train the model, ${t.test.length} planted in the second half are triaged.`,
);
print();
const found = an.delays.filter((d) => d.delay !== undefined);
const delays = found.map((d) => d.delay as number).sort((x, y) => x - y);
const facilityFound = an.facilityDelays.filter((d) => d.delay !== undefined);
const facilityDelays = facilityFound.map((d) => d.delay as number).sort((x, y) => x - y);
const medianMax = (xs: readonly number[]) =>
  xs.length ? `${xs[Math.floor(xs.length / 2)]} / ${xs[xs.length - 1]}` : 'n/a';
const rows: string[][] = [
  ['Measure', 'Goal', 'Result'],
  [`Top-1 cause accuracy, rules only (\`${t.rules.version}\`)`, '—', pct(t.accuracy(t.results.rules))],
  [`Top-1 cause accuracy, trained (\`${t.trained.version}\`)`, '≥ 90 %', pct(t.accuracy(t.results.trained))],
  ["Suggestion = the person's label (acceptance, trained)", '—', pct(t.accepted)],
  [
    'Money at risk in the top decile by exposure',
    '≥ 80 %',
    `${pct(t.exposureShare)} (by amount alone: ${pct(t.amountShare)}; perfect ranking: ${pct(t.oracle)})`,
  ],
  ['Top-decile share achieved ÷ perfect ranking (ceiling)', '—', pct(t.exposureShare / t.oracle)],
  [
    'Gain over ranking by amount alone, of the possible gain',
    '—',
    pct((t.exposureShare - t.amountShare) / (t.oracle - t.amountShare)),
  ],
  ['Exposure above money at stake', '0', String(t.never)],
  ['Planted payer anomalies detected', 'all', `${found.length} of ${an.delays.length}`],
  ['Detection delay after onset (claims; median / max)', '≤ 50', medianMax(delays)],
  [
    'False alarms per payer-month on normal weeks',
    '≤ 1',
    `${(an.falseAlarms / an.payerMonths).toFixed(2)} (${an.falseAlarms} in ${an.payerMonths.toFixed(1)} payer-months)`,
  ],
  [
    'Planted facility anomalies detected (per facility)',
    'all',
    `${facilityFound.length} of ${an.facilityDelays.length}`,
  ],
  ["Facility detection delay (facility's claims; median / max)", '≤ 50', medianMax(facilityDelays)],
  [
    'False alarms per facility-month on normal weeks',
    '≤ 1',
    `${(an.facilityFalseAlarms / an.facilityMonths).toFixed(2)} (${an.facilityFalseAlarms} in ${an.facilityMonths.toFixed(1)} facility-months)`,
  ],
  [
    '30-day cash forecast MAPE, all cut-offs',
    '≤ 15 %',
    `${pct(fc.all)} (${fc.errors.length} payer cut-offs)`,
  ],
  [
    '30-day cash forecast MAPE, normal periods only',
    '≤ 15 %',
    `${pct(fc.normal)} (${fc.normalCount} payer cut-offs)`,
  ],
];
// Aligned as Biome formats Markdown tables, so `--write` leaves docs/benchmarks.md formatted.
const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => (r[i] as string).length)));
const line = (cells: readonly string[]) =>
  `| ${cells.map((c, i) => c.padEnd(widths[i] as number)).join(' | ')} |`;
print(line(rows[0] as string[]));
print(line(widths.map((w) => '-'.repeat(w))));
for (const r of rows.slice(1)) print(line(r));
print();
const detection = (d: Detection) =>
  `${d.scope} ${d.kind} (${d.baselineClaims} claims in the 28 days before) → ${d.delay !== undefined ? (d.early ? `${d.metric} before the first slowed claim was paid` : `${d.metric} after ${d.delay} claims`) : 'not detected'}${d.cleared !== undefined ? `, cleared ${d.cleared} claims after the fault ended` : ', not cleared by the end'}`;
print(`Anomalies: ${an.delays.map(detection).join('; ')}.`);
print(
  `Facility anomalies: ${an.facilityDelays.map(detection).join('; ')}. At the payer level the same faults were ${an.payerSawFacilityFault.length ? `seen for ${an.payerSawFacilityFault.join(', ')}` : 'not seen (averaged away over the payer’s other facilities)'}.`,
);
if (an.falseDetail.length) print(`False alarms: ${an.falseDetail.join('; ')}.`);
if (an.facilityFalseDetail.length) print(`Facility false alarms: ${an.facilityFalseDetail.join('; ')}.`);
print(
  `Charges (CHARGE_MIX): ${CHARGE_MIX.map((c) => `${c.type} ${Math.round(c.share * 100)} % of claims, median ${formatDollars(c.medianCents)}`).join('; ')}; the triaged exceptions' money at stake: median ${formatDollars(t.amountMedian)}, the largest tenth of them hold ${pct(t.amountTopDecile)} of it.`,
);
const worst = [...t.confusion.entries()].sort((a, b) => b[1] - a[1]).slice(0, 5);
if (worst.length)
  print(`Most frequent confusions (trained): ${worst.map(([k, n]) => `${k} (${n})`).join(', ')}.`);

if (process.argv.includes('--write')) {
  const file = resolve(import.meta.dirname, '../../docs/benchmarks.md');
  const text = readFileSync(file, 'utf8');
  const start = '<!-- triage-eval:start -->';
  const stop = '<!-- triage-eval:end -->';
  const block = `${start}\n${lines.join('\n')}\n${stop}`;
  const next = text.includes(start)
    ? text.replace(new RegExp(`${start}[\\s\\S]*?${stop}`), block)
    : `${text.trimEnd()}\n\n## Triage evaluation (issue 17)\n\n${block}\n`;
  writeFileSync(file, next);
}
