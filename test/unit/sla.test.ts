import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AcceptedDocument,
  assessEncounter,
  clearedSlaKeys,
  type EncounterSnapshot,
  invoicesAwaitingClaim,
  outstandingCents,
  SLA_STATES,
  type SlaThresholds,
  stuckInState,
  summarize,
  unpostedDocuments,
} from '../../lambdas/core/sla.js';
import { WORKFLOW_STATES } from '../../lambdas/core/workflow.js';

const HOUR = 3_600_000;
const NOW = Date.parse('2026-12-01T12:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

const thresholds: SlaThresholds = {
  stuckHours: { charge_ready: 48, invoice_issued: 120, claim_submitted: 720, payer_response_received: 168 },
  remittanceUnpostedHours: 24,
  paymentUnpostedHours: 24,
  invoiceUnpostedHours: 2,
  invoiceAwaitingClaimHours: 72,
};

function snapshot(overrides: Partial<EncounterSnapshot> = {}): EncounterSnapshot {
  return {
    encounterId: 'ENC-1',
    state: 'claim_submitted',
    stage: 'claim_submitted',
    stateSince: iso(NOW - HOUR),
    money: { billedCents: 150_000, paidCents: 0, adjustedCents: 0, patientPaidCents: 0 },
    odooInvoices: { 'INV-1': { invoiceId: 'INV-1', billTo: 'payer', totalCents: 150_000 } },
    claims: { 'C-1': { invoiceIds: ['INV-1'] } },
    remittances: {},
    payments: {},
    exceptions: {},
    ...overrides,
  };
}

const remittance = (
  id: string,
  paidCents: number,
  acceptedMsAgo: number,
  eventId = `evt-${id}`,
): AcceptedDocument => ({
  eventId,
  type: 'RemittanceReceived',
  time: iso(NOW - acceptedMsAgo),
  detail: { remittanceId: id, paidCents, payerId: 'PAYER-1' },
});

describe('stuck encounters', () => {
  it('an encounter is stuck once it has stayed in its state longer than that state’s threshold', () => {
    // Prepare
    const justUnder = snapshot({ stateSince: iso(NOW - 720 * HOUR) });
    const over = snapshot({ stateSince: iso(NOW - 720 * HOUR - 1) });

    // Act / Assess
    expect(stuckInState(justUnder, NOW, thresholds)).toBeUndefined();
    expect(stuckInState(over, NOW, thresholds)).toMatchObject({
      state: 'claim_submitted',
      team: 'billing',
      key: 'sla:claim_submitted',
      amountCents: 150_000,
      thresholdHours: 720,
    });
  });

  it('a payer that answered but whose money is not posted is finance’s', () => {
    const stuck = stuckInState(
      snapshot({ state: 'payer_response_received', stage: 'payer_response_received', stateSince: iso(0) }),
      NOW,
      thresholds,
    );
    expect(stuck?.team).toBe('finance');
  });

  it('never flags an encounter a person already works on, or one that is done', () => {
    for (const state of ['exception_pending', 'payment_posted', 'reconciled'] as const) {
      expect(stuckInState(snapshot({ state, stateSince: iso(0) }), NOW, thresholds)).toBeUndefined();
    }
  });

  it('stays stuck as time passes, and the age only grows (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...SLA_STATES),
        fc.integer({ min: 0, max: 2000 * HOUR }),
        fc.integer({ min: 0, max: 1000 * HOUR }),
        (state, age, later) => {
          const s = snapshot({ state, stage: state, stateSince: iso(NOW - age) });
          const first = stuckInState(s, NOW, thresholds);
          const second = stuckInState(s, NOW + later, thresholds);
          expect(first !== undefined).toBe(age > thresholds.stuckHours[state] * HOUR);
          if (first) expect(second?.ageMs).toBeGreaterThanOrEqual(first.ageMs);
        },
      ),
    );
  });

  it('the revenue at stake is what was invoiced and not yet paid or written off, never negative', () => {
    fc.assert(
      fc.property(
        fc.record({
          billedCents: fc.integer({ min: 0, max: 10_000_000 }),
          paidCents: fc.integer({ min: 0, max: 10_000_000 }),
          adjustedCents: fc.integer({ min: 0, max: 10_000_000 }),
          patientPaidCents: fc.integer({ min: 0, max: 10_000_000 }),
        }),
        (money) => {
          const open = outstandingCents(money);
          expect(open).toBeGreaterThanOrEqual(0);
          expect(open).toBe(
            Math.max(0, money.billedCents - money.paidCents - money.adjustedCents - money.patientPaidCents),
          );
        },
      ),
    );
  });
});

describe('accepted but not posted in Odoo', () => {
  it('a remittance the workflow has not booked is unposted, with its paid amount at stake', () => {
    // Act
    const [unposted] = unpostedDocuments(snapshot(), [remittance('ERA-1', 123_456, 30 * HOUR)], [], NOW);

    // Assess
    expect(unposted).toMatchObject({
      kind: 'remittance',
      id: 'ERA-1',
      amountCents: 123_456,
      ageMs: 30 * HOUR,
      why: 'pending',
    });
  });

  it('says why: held for what it depends on, or refused by Odoo', () => {
    const docs = [remittance('ERA-H', 100, HOUR, 'evt-h'), remittance('ERA-R', 200, HOUR, 'evt-r')];
    const s = snapshot({
      exceptions: {
        'odoo-write:evt-r': { key: 'odoo-write:evt-r', team: 'integration', amountCents: 200 },
      },
    });
    const found = unpostedDocuments(
      s,
      docs,
      [{ eventId: 'evt-h', heldAt: iso(NOW), waitingFor: 'claim C-9' }],
      NOW,
    );
    expect(Object.fromEntries(found.map((u) => [u.id, u.why]))).toEqual({
      'ERA-H': 'held',
      'ERA-R': 'refused',
    });
  });

  it('a refused zero-pay remittance with 300.00 of patient responsibility has 300.00 at stake (issue 14)', () => {
    const doc = remittance('ERA-Z', 0, 30 * HOUR, 'evt-z');
    const zeroPay = { ...doc, detail: { ...doc.detail, patientResponsibilityCents: 30_000 } };
    const s = snapshot({
      exceptions: {
        'odoo-write:evt-z': { key: 'odoo-write:evt-z', team: 'integration', amountCents: 30_000 },
      },
    });

    const [unposted] = unpostedDocuments(s, [zeroPay], [], NOW);

    expect(unposted).toMatchObject({ id: 'ERA-Z', amountCents: 30_000, why: 'refused' });
  });

  it('a remittance re-sent under a new key counts once, from its first acceptance', () => {
    const docs = [remittance('ERA-1', 500, 2 * HOUR, 'evt-b'), remittance('ERA-1', 500, 5 * HOUR, 'evt-a')];
    const found = unpostedDocuments(snapshot(), docs, [], NOW);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ eventId: 'evt-a', ageMs: 5 * HOUR });
  });

  it('a booked remittance or payment is never unposted, whatever is held or open (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            id: fc.constantFrom('A', 'B', 'C', 'D'),
            kind: fc.constantFrom('RemittanceReceived', 'PaymentReceived'),
            cents: fc.integer({ min: -100_000, max: 100_000 }),
            agoH: fc.integer({ min: 0, max: 100 }),
            held: fc.boolean(),
          }),
          { maxLength: 12 },
        ),
        fc.subarray(['A', 'B', 'C', 'D']),
        (events, booked) => {
          const docs: AcceptedDocument[] = events.map((e, i) => ({
            eventId: `evt-${i}`,
            type: e.kind,
            time: iso(NOW - e.agoH * HOUR),
            detail:
              e.kind === 'RemittanceReceived'
                ? { remittanceId: e.id, paidCents: e.cents }
                : { paymentId: e.id, amountCents: e.cents },
          }));
          const held = events.flatMap((e, i) =>
            e.held ? [{ eventId: `evt-${i}`, heldAt: iso(NOW), waitingFor: 'x' }] : [],
          );
          const bookedMap = Object.fromEntries(booked.map((id) => [id, {}]));
          const found = unpostedDocuments(
            snapshot({ remittances: bookedMap, payments: bookedMap }),
            docs,
            held,
            NOW,
          );
          for (const u of found) {
            expect(booked).not.toContain(u.id);
            expect(u.amountCents).toBeGreaterThanOrEqual(0);
          }
          // one per (kind, id) at most
          expect(new Set(found.map((u) => `${u.kind}:${u.id}`)).size).toBe(found.length);
        },
      ),
    );
  });
});

describe('invoices awaiting a claim', () => {
  it('a payer invoice no claim names waits, aged from its acceptance; patient invoices never do', () => {
    // Prepare
    const s = snapshot({
      odooInvoices: {
        'INV-1': { invoiceId: 'INV-1', billTo: 'payer', totalCents: 150_000 },
        'INV-2': { invoiceId: 'INV-2', billTo: 'payer', totalCents: 9_900 },
        'PINV-1': { invoiceId: 'PINV-1', billTo: 'patient', totalCents: 2_000 },
      },
    });
    const docs: AcceptedDocument[] = [
      { eventId: 'e2', type: 'InvoiceIssued', time: iso(NOW - 80 * HOUR), detail: { invoiceId: 'INV-2' } },
    ];

    // Act
    const waiting = invoicesAwaitingClaim(s, docs, NOW);

    // Assess
    expect(waiting).toEqual([{ invoiceId: 'INV-2', ageMs: 80 * HOUR, amountCents: 9_900 }]);
  });
});

describe('a sweep summary', () => {
  it('counts every encounter once in the funnel, and overdue amounts only past the threshold (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            state: fc.constantFrom(...WORKFLOW_STATES),
            remittances: fc.array(
              fc.record({
                cents: fc.integer({ min: 0, max: 1_000_000 }),
                agoH: fc.integer({ min: 0, max: 60 }),
              }),
              { maxLength: 3 },
            ),
            exceptionTeam: fc.option(fc.constantFrom('finance', 'billing', 'integration' as const)),
          }),
          { maxLength: 20 },
        ),
        (encounters) => {
          const assessments = encounters.map((e, i) =>
            assessEncounter(
              snapshot({
                encounterId: `ENC-${i}`,
                state: e.state,
                exceptions: e.exceptionTeam
                  ? { k: { key: 'k', team: e.exceptionTeam, amountCents: 10 } }
                  : {},
              }),
              e.remittances.map((r, j) => remittance(`ERA-${i}-${j}`, r.cents, r.agoH * HOUR)),
              [],
              NOW,
              thresholds,
            ),
          );
          const summary = summarize(assessments, thresholds);
          const total = Object.values(summary.encountersByState).reduce((a, b) => a + b, 0);
          expect(total).toBe(encounters.length);
          const all = encounters.flatMap((e) => e.remittances);
          const overdue = all.filter((r) => r.agoH > 24);
          expect(summary.remittancesUnposted).toEqual({
            count: all.length,
            overdueCount: overdue.length,
            overdueCents: overdue.reduce((sum, r) => sum + r.cents, 0),
            oldestAgeSeconds: Math.max(0, ...all.map((r) => r.agoH * 3600)),
          });
          const exceptions = Object.values(summary.openExceptions).reduce((a, b) => a + b.count, 0);
          expect(exceptions).toBe(encounters.filter((e) => e.exceptionTeam).length);
        },
      ),
    );
  });

  it('reports zeros for an empty hub, so alarms see the all-clear', () => {
    const summary = summarize([], thresholds);
    expect(summary.remittancesUnposted).toEqual({
      count: 0,
      oldestAgeSeconds: 0,
      overdueCount: 0,
      overdueCents: 0,
    });
    expect(summary.openExceptions.finance).toEqual({ count: 0, amountCents: 0 });
    expect(Object.keys(summary.encountersByState)).toEqual([...WORKFLOW_STATES]);
  });
});

describe('clearedSlaKeys', () => {
  it('clears an sla exception once the encounter has moved past its state, and nothing else', () => {
    const keys = ['sla:invoice_issued', 'sla:claim_submitted', 'odoo-write:E1', 'sla:not-a-state'];
    expect(clearedSlaKeys('claim_submitted', keys)).toEqual(['sla:invoice_issued']);
    expect(clearedSlaKeys('payment_posted', keys)).toEqual(['sla:invoice_issued', 'sla:claim_submitted']);
    expect(clearedSlaKeys('invoice_issued', keys)).toEqual([]);
  });

  it('never clears a breach of the state the encounter still stands in (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...SLA_STATES), (state) => {
        expect(clearedSlaKeys(state, [`sla:${state}`])).toEqual([]);
      }),
    );
  });
});
