import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AnomalyState,
  assessPayer,
  facilityScopes,
  frozenSince,
  transitions,
} from '../../lambdas/core/insights/anomaly.js';
import { drainForecast, forecastCash, formatDuration } from '../../lambdas/core/insights/forecast.js';
import { addDays, type ClaimOutcome, outcomesFromLedger } from '../../lambdas/core/insights/outcomes.js';

/** A steady payer: 40 claims a day, 8 % denied (CARC 16), paid 70 % of billed, 14 days to pay. */
function steady(
  days: number,
  from = '2026-01-05',
  spike?: { fromDay: number; rate: number; code: string },
): ClaimOutcome[] {
  const out: ClaimOutcome[] = [];
  for (let d = 0; d < days; d += 1) {
    for (let k = 0; k < 40; k += 1) {
      const n = d * 40 + k;
      const deniedShare = spike && d >= spike.fromDay ? spike.rate : 0.08;
      const denied = (n * 37) % 100 < deniedShare * 100;
      out.push({
        claimId: `C-${n}`,
        submittedDate: addDays(from, d - 14),
        paidDate: addDays(from, d),
        billedCents: 100_00 + (n % 7) * 10_00,
        paidCents: denied ? 0 : Math.round((100_00 + (n % 7) * 10_00) * (0.68 + ((n * 13) % 5) / 100)),
        denied,
        carcs: denied ? [spike && d >= spike.fromDay ? spike.code : '16'] : ['45'],
      });
    }
  }
  return out;
}

describe('payer anomalies (issue 17)', () => {
  it('a steady payer raises nothing', () => {
    const findings = assessPayer('Payer P', steady(40));
    expect(findings.length).toBeGreaterThan(0);
    expect(findings.filter((f) => f.breach)).toEqual([]);
  });

  it('a denial spike with CARC 197 opens once, with a plain explanation and the claims behind it', () => {
    const data = steady(40, '2026-01-05', { fromDay: 39, rate: 0.4, code: '197' });
    const findings = assessPayer('Payer P', data);
    const denial = findings.find((f) => f.metric === 'denial-rate');
    const carc = findings.find((f) => f.metric === 'carc-mix');
    expect(denial?.breach).toBe(true);
    expect(denial?.team).toBe('billing');
    expect(denial?.explanation).toMatch(
      /^Payer P: denial rate \d+ % over the last 50 claims against \d+ % ± \d+ % for 28 days$/,
    );
    expect(denial?.claimIds.length).toBeGreaterThan(10);
    expect(carc?.explanation).toMatch(/CARC 197 rose from 0 % to \d+ %/);
    const first = transitions({}, findings, 'P', '2026-02-13T10:00:00Z');
    expect(
      first.changes
        .filter((c) => c.kind === 'open')
        .map((c) => c.metric)
        .sort(),
    ).toEqual(['carc-mix', 'denial-rate']);
    expect(first.changes[0]?.key).toMatch(/^anomaly:(denial-rate|carc-mix):P:2026-02-13$/);
    // The next sweep sees the same: nothing new (no flood).
    expect(transitions(first.next, findings, 'P', '2026-02-13T11:00:00Z').changes).toEqual([]);
  });

  it('an open anomaly clears once when the payer is back to normal, and only then', () => {
    const state: AnomalyState = {
      'denial-rate': { openedAt: '2026-02-10T00:00:00Z', key: 'anomaly:denial-rate:P:2026-02-10' },
    };
    const normal = assessPayer('Payer P', steady(40), undefined, frozenSince(state));
    const cleared = transitions(state, normal, 'P', '2026-02-20T00:00:00Z');
    expect(cleared.changes).toEqual([
      expect.objectContaining({ kind: 'clear', key: 'anomaly:denial-rate:P:2026-02-10' }),
    ]);
    expect(transitions(cleared.next, normal, 'P', '2026-02-20T01:00:00Z').changes).toEqual([]);
  });

  it('joins claims and remittances: the latest ERA adjudicates, a reversal re-opens, no ERA is open', () => {
    const { outcomes, open } = outcomesFromLedger(
      [
        { claimId: 'A', submittedDate: '2026-01-01', billedCents: 100 },
        { claimId: 'B', submittedDate: '2026-01-02', billedCents: 200 },
        { claimId: 'C', submittedDate: '2026-01-03', billedCents: 300 },
      ],
      [
        { claimId: 'A', paymentDate: '2026-01-10', paidCents: 70, claimStatus: '1', carcs: ['45'] },
        { claimId: 'B', paymentDate: '2026-01-11', paidCents: 0, claimStatus: '4', carcs: ['197'] },
        { claimId: 'B', paymentDate: '2026-01-12', paidCents: 0, claimStatus: '22' },
      ],
    );
    expect(outcomes).toEqual([expect.objectContaining({ claimId: 'A', denied: false, paidCents: 70 })]);
    expect(open.map((c) => c.claimId)).toEqual(['B', 'C']);
  });
});

describe('payer anomalies per facility (issue 17)', () => {
  /** Three facilities of one payer (50 / 30 / 20 % of its claims); FAC-C alone denies 45 % (CARC 16) from day 34. */
  function threeFacilities(spikeAtC: boolean): ClaimOutcome[] {
    return steady(40).map((c, n) => {
      const slot = n % 10;
      const facilityId = slot < 5 ? 'FAC-A' : slot < 8 ? 'FAC-B' : 'FAC-C';
      const spiked = spikeAtC && facilityId === 'FAC-C' && c.paidDate >= addDays('2026-01-05', 34);
      const denied = spiked ? (n * 7) % 100 < 45 : c.denied;
      return {
        ...c,
        facilityId,
        denied,
        paidCents: denied ? 0 : c.paidCents || 70_00,
        carcs: denied ? ['16'] : ['45'],
      };
    });
  }

  it('one clinic denied far more than usual: seen at that facility, averaged away at the payer level', () => {
    // Prepare
    const outcomes = threeFacilities(true);

    // Act
    const scopes = facilityScopes(outcomes);
    const payerLevel = assessPayer('Payer P', outcomes).find((f) => f.metric === 'denial-rate');
    const byScope = scopes.map((scope) => ({
      facilityId: scope.facilityId,
      claims: scope.outcomes.length,
      denial: assessPayer(`Payer P@${scope.facilityId}`, scope.outcomes).find(
        (f) => f.metric === 'denial-rate',
      ),
    }));

    // Assess
    expect(byScope.map((s) => [s.facilityId, s.claims])).toEqual([
      ['FAC-A', 800],
      ['FAC-B', 480],
      ['FAC-C', 320],
    ]);
    expect(payerLevel?.breach).toBe(false);
    expect(byScope.filter((s) => s.denial?.breach).map((s) => s.facilityId)).toEqual(['FAC-C']);
    const atC = byScope.find((s) => s.facilityId === 'FAC-C')?.denial;
    expect(atC?.explanation).toMatch(
      /^Payer P@FAC-C: denial rate 40 % over the last 50 claims against \d+ % ± \d+ % for 28 days$/,
    );
    const opened = transitions({}, atC ? [atC] : [], 'P', '2026-02-14T10:00:00Z', 'FAC-C');
    expect(opened.changes.map((c) => c.key)).toEqual(['anomaly:denial-rate:P@FAC-C:2026-02-14']);
  });

  it('no facility scopes for a payer with one facility, and none for a facility with too few claims', () => {
    const outcomes = threeFacilities(false);
    expect(facilityScopes(outcomes.map((o) => ({ ...o, facilityId: 'FAC-A' })))).toEqual([]);
    expect(facilityScopes(outcomes, 400).map((s) => s.facilityId)).toEqual(['FAC-A', 'FAC-B']);
    const quiet = facilityScopes(outcomes).flatMap((scope) =>
      assessPayer(scope.facilityId, scope.outcomes).filter((f) => f.breach),
    );
    expect(quiet).toEqual([]);
  });
});

describe('forecasts (issue 17)', () => {
  it('expects the cash of open claims from the payer’s own days to pay and paid-to-billed', () => {
    const history = steady(60);
    const asOf = addDays('2026-01-05', 59);
    const open = [{ claimId: 'N1', submittedDate: asOf, billedCents: 1000_00 }];
    const f = forecastCash(asOf, open, history);
    const [week, month] = f.horizons;
    // Every claim takes 14 days: nothing in 7 days, all of it (at the paid-to-billed ratio) within 30.
    expect(week?.expectedCents).toBe(0);
    expect(Math.abs((month?.expectedCents ?? 0) - 1000_00 * f.paidToBilled)).toBeLessThanOrEqual(100);
  });

  it('cash expected never exceeds what the open claims billed', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ age: fc.integer({ min: 0, max: 200 }), billed: fc.integer({ min: 0, max: 1e8 }) }),
          { maxLength: 20 },
        ),
        (claims) => {
          const asOf = '2026-03-01';
          const open = claims.map((c, i) => ({
            claimId: `O${i}`,
            submittedDate: addDays(asOf, -c.age),
            billedCents: c.billed,
          }));
          const f = forecastCash(asOf, open, steady(30));
          const billed = open.reduce((s, c) => s + c.billedCents, 0);
          for (const h of f.horizons) {
            expect(h.expectedCents).toBeGreaterThanOrEqual(0);
            expect(h.expectedCents).toBeLessThanOrEqual(billed);
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('the Odoo write backlog: 2,000 writes at 10 a minute clear in 3 h 20 min', () => {
    expect(drainForecast(2000, 50, 300).text).toBe(
      '2000 writes wait; posting 10/min, at this rate the backlog clears in 3 h 20 min',
    );
    expect(drainForecast(40, 0, 300).drainSeconds).toBeUndefined();
    expect(drainForecast(0, 3, 300).text).toBe('the Odoo write backlog is empty');
    expect(formatDuration(45 * 60)).toBe('45 min');
    expect(formatDuration(2 * 86400 + 4 * 3600)).toBe('2 d 4 h');
  });
});
