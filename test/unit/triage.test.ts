import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_WINDOWS,
  exposureCents,
  lossProbability,
  rankByTeam,
} from '../../lambdas/core/triage/exposure.js';
import { classify, train } from '../../lambdas/core/triage/model.js';
import { signalsOf, type TriageSubject } from '../../lambdas/core/triage/signals.js';
import { mostSimilar } from '../../lambdas/core/triage/similar.js';
import { phiFreeEvidence, summaryOf } from '../../lambdas/core/triage/summary.js';
import { CAUSES, type Cause } from '../../lambdas/core/triage/taxonomy.js';
import { feedbackOf, TriageView, triage } from '../../lambdas/core/triage/triage.js';

const OPENED = '2026-03-02T09:00:00Z';
const NOW = Date.parse('2026-03-02T10:00:00Z');

function subject(overrides: Partial<TriageSubject>): TriageSubject {
  return {
    id: 'f25ea16c-4a8c-5d9d-9916-3deba6fe8308',
    key: 'odoo-write:evt-1',
    team: 'integration',
    reason: 'InvoiceIssued refused by Odoo: gave up after 5 attempts: The Connection Pool Is Full',
    amountCents: 125_00,
    payerId: 'PAYER-1',
    openedAt: OPENED,
    attempt: 0,
    redriveKind: 'dead-letter',
    ...overrides,
  };
}

const context = (model = train([])) => ({ model, now: NOW, windows: DEFAULT_WINDOWS, resolved: [] });

describe('triage of one exception (issue 17)', () => {
  it('an Odoo write that gave up on a full connection pool is an Odoo outage, retried by the exact API call', () => {
    // Act
    const t = triage(subject({}), context());
    // Assess
    expect(t.cause).toBe('odoo_unavailable');
    expect(t.confidence).toBeGreaterThan(0.8);
    expect(t.nextAction).toMatchObject({
      action: 'retry',
      api: { method: 'POST', path: '/v1/exceptions/f25ea16c-4a8c-5d9d-9916-3deba6fe8308/retry' },
    });
    expect(t.modelVersion).toMatch(/^rules-/);
    expect(t.evidence[0]?.text).toMatch(/points to “Odoo outage or throttling”/);
    expect(TriageView.parse(t)).toBeTruthy();
  });

  it('a denial with CARC CO-197 is an authorization denial, routed to an appeal and resolved with a note', () => {
    const t = triage(
      subject({
        key: 'era:R1:denied',
        team: 'billing',
        reason: 'claim C-1 denied by payer PAYER-1 (claim status 4): CO-197, CO-45; the invoice stays open',
        redriveKind: 'none',
        amountCents: 480_00,
      }),
      context(),
    );
    expect(t.cause).toBe('denial_authorization');
    expect(t.nextAction.action).toBe('appeal_denial');
    expect(t.nextAction.api?.path).toMatch(/\/resolve$/);
    expect(t.evidence.some((e) => /reason code 197/i.test(e.text))).toBe(true);
    expect(t.exposureCents).toBeGreaterThan(0);
    expect(t.exposureCents).toBeLessThanOrEqual(480_00);
  });

  it('learns from people: after they resolve an ambiguous ValidationError as master data, it suggests master data', () => {
    const ambiguous = subject({
      reason:
        'InvoiceIssued refused by Odoo: odoo.exceptions.ValidationError: The operation cannot be completed',
    });
    const tokens = signalsOf(ambiguous, { now: NOW }).map((s) => s.token);
    const rules = train([]);
    const learned = train(
      Array.from({ length: 12 }, () => ({ tokens, cause: 'master_data_mismatch' as Cause })),
    );
    expect(learned.version).not.toBe(rules.version);
    expect(triage(ambiguous, context(learned)).cause).toBe('master_data_mismatch');
    expect(triage(ambiguous, context(learned)).modelVersion).toBe(learned.version);
  });

  it('training is deterministic: the same examples in any order give the same version', () => {
    const examples = [
      { tokens: ['kind:held', 'word:waiting'], cause: 'out_of_order_held' as Cause },
      { tokens: ['kind:odoo-write', 'fault:PoolError'], cause: 'odoo_unavailable' as Cause },
    ];
    expect(train(examples).version).toBe(train([...examples].reverse()).version);
    expect(train(examples).version).toMatch(/^nb-2-/);
  });

  it('the most similar resolved exception comes with how a person resolved it', () => {
    const tokens = signalsOf(subject({}), { now: NOW }).map((s) => s.token);
    const similar = mostSimilar(tokens, 'PAYER-1', [
      { id: 'a', tokens, cause: 'odoo_unavailable', note: 'Odoo was back; retried', resolvedAt: OPENED },
      {
        id: 'b',
        tokens: ['kind:held', 'word:waiting'],
        cause: 'out_of_order_held',
        note: 'sent the claim',
        resolvedAt: OPENED,
      },
    ]);
    expect(similar).toEqual([
      expect.objectContaining({
        exceptionId: 'a',
        cause: 'odoo_unavailable',
        note: 'Odoo was back; retried',
      }),
    ]);
  });

  it('a person choosing the suggested cause is an acceptance; another cause an override; none is unlabelled', () => {
    const t = { cause: 'odoo_unavailable' as Cause, modelVersion: 'rules-x' };
    expect(feedbackOf(t, 'odoo_unavailable').outcome).toBe('accepted');
    expect(feedbackOf(t, 'master_data_mismatch')).toMatchObject({
      outcome: 'overridden',
      modelVersion: 'rules-x',
    });
    expect(feedbackOf(t, undefined).outcome).toBe('unlabelled');
  });
});

describe('triage rules that hold for all inputs', () => {
  const cause = fc.constantFrom(...CAUSES);

  it('exposure is never negative and never exceeds the money at stake', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e12, max: 1e12 }), fc.double({ noNaN: false }), (amount, p) => {
        const e = exposureCents(amount, p);
        expect(Number.isInteger(e)).toBe(true);
        expect(e).toBeGreaterThanOrEqual(0);
        expect(e).toBeLessThanOrEqual(Math.abs(amount));
      }),
    );
  });

  it('the probability of loss is a probability and never falls as an exception ages', () => {
    fc.assert(
      fc.property(
        cause,
        fc.double({ min: 0, max: 3650, noNaN: true }),
        fc.double({ min: 0, max: 3650, noNaN: true }),
        (c, a, b) => {
          const [younger, older] = a <= b ? [a, b] : [b, a];
          const p1 = lossProbability(c, younger, DEFAULT_WINDOWS.default);
          const p2 = lossProbability(c, older, DEFAULT_WINDOWS.default);
          expect(p1).toBeGreaterThanOrEqual(0);
          expect(p2).toBeLessThanOrEqual(1);
          expect(p2).toBeGreaterThanOrEqual(p1);
        },
      ),
    );
  });

  it('priority ranks are a permutation of 1..n within each team, highest exposure first', () => {
    const item = fc.record({
      id: fc.uuid(),
      team: fc.constantFrom('billing', 'finance', 'integration'),
      exposureCents: fc.integer({ min: 0, max: 1e9 }),
      openedAt: fc
        .date({ min: new Date('2026-01-01'), max: new Date('2026-12-31'), noInvalidDate: true })
        .map((d) => d.toISOString()),
    });
    fc.assert(
      fc.property(fc.uniqueArray(item, { selector: (i) => i.id, maxLength: 60 }), (items) => {
        const ranks = rankByTeam(items);
        expect(ranks.size).toBe(items.length);
        for (const team of ['billing', 'finance', 'integration']) {
          const mine = items.filter((i) => i.team === team);
          const got = mine.map((i) => ranks.get(i.id) as number).sort((a, b) => a - b);
          expect(got).toEqual(mine.map((_, k) => k + 1));
          for (const a of mine)
            for (const b of mine)
              if (a.exposureCents > b.exposureCents)
                expect(ranks.get(a.id)).toBeLessThan(ranks.get(b.id) as number);
        }
      }),
    );
  });

  it('the posterior is a distribution and the chosen cause is its most probable one', () => {
    const token = fc.constantFrom(
      'kind:odoo-write',
      'kind:held',
      'fault:PoolError',
      'carc:denial_coding',
      'word:duplicate',
      'team:billing',
      'age:30d+',
      'unknown:x',
    );
    fc.assert(
      fc.property(fc.array(token, { maxLength: 6 }), (tokens) => {
        const c = classify(train([]), tokens);
        const total = c.posterior.reduce((sum, p) => sum + p.probability, 0);
        expect(total).toBeCloseTo(1, 9);
        expect(c.posterior[0]?.cause).toBe(c.cause);
        expect(c.confidence).toBe(c.posterior[0]?.probability);
      }),
    );
  });

  it('triage never changes what it is given (it only suggests)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e9 }), fc.string({ maxLength: 80 }), (amount, reason) => {
        const s = subject({ amountCents: amount, reason });
        const before = JSON.stringify(s);
        const t = triage(s, context());
        expect(JSON.stringify(s)).toBe(before);
        expect(t.exposureCents).toBeLessThanOrEqual(amount);
      }),
      { numRuns: 50 },
    );
  });
});

describe('the optional summariser port (off by default)', () => {
  const suggestion = () => {
    const t = triage(
      subject({ reason: 'InvoiceIssued refused by Odoo: patient Jane Roe DOB 1970-01-01 partner missing' }),
      context(),
    );
    return {
      ...t,
      similar: [
        {
          exceptionId: 'e1',
          similarity: 0.9,
          cause: 'master_data_mismatch' as Cause,
          note: 'called Jane Roe at 555-0100',
          resolvedAt: OPENED,
        },
      ],
    };
  };

  it('is fed only PHI-free evidence: no reason text, ids, payer or notes', () => {
    const fed = JSON.stringify(phiFreeEvidence(suggestion()));
    for (const leak of ['Jane', 'Roe', '1970', '555-0100', 'PAYER-1', 'f25ea16c', 'evt-1'])
      expect(fed).not.toContain(leak);
    expect(fed).toContain('master_data_mismatch');
  });

  it('without a summariser, or when it fails, the triage keeps its own summary', async () => {
    const t = suggestion();
    expect(await summaryOf(t)).toBe(t.summary);
    expect(await summaryOf(t, { summarise: () => Promise.reject(new Error('throttled')) })).toBe(t.summary);
    expect(await summaryOf(t, { summarise: async (e) => `Likely ${e.causeLabel}.` })).toMatch(/^Likely /);
  });
});
