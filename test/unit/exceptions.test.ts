import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { auditStreams, chainLine } from '../../lambdas/core/audit.js';
import { type EventEnvelope, EventSource, followUpEvent } from '../../lambdas/core/envelope.js';
import { EventCatalog, type ExceptionOpened } from '../../lambdas/core/events.js';
import {
  auditTrailView,
  EXCEPTION_STATUSES,
  ExceptionListQuery,
  type ExceptionStatus,
  ExceptionView,
  entryFromOpened,
  exceptionIdFor,
  exceptionScope,
  exceptionView,
  openingFact,
  type Redrive,
  redriveFor,
  resolvedEventIdFor,
  retryAttemptOf,
  retryKey,
  subjectsOf,
  transition,
} from '../../lambdas/core/exceptions.js';

/** Issue #6: exceptions are first-class — one register entry per cause, resolved or retried once, audited. */
const sample = (type: string) =>
  JSON.parse(readFileSync(new URL(`../../events/samples/${type}.json`, import.meta.url), 'utf8'));
const opened = EventCatalog.ExceptionOpened.parse(sample('ExceptionOpened')) as EventEnvelope<
  'ExceptionOpened',
  ExceptionOpened
>;
const invoiceIssued = EventCatalog.InvoiceIssued.parse(sample('InvoiceIssued')) as EventEnvelope;

function refusal(cause: EventEnvelope, extra: Partial<ExceptionOpened> = {}) {
  const key = extra.key ?? `odoo-write:${cause.id}`;
  return followUpEvent(
    cause,
    'ExceptionOpened',
    EventSource.workflow,
    {
      key,
      team: 'integration' as const,
      reason: 'InvoiceIssued refused by Odoo: needs a prior authorization number',
      amountCents: 14550,
      sourceEventId: cause.id,
      ...extra,
    },
    '2026-11-02T15:04:08.000Z',
    key,
  ) as EventEnvelope<'ExceptionOpened', ExceptionOpened>;
}

describe('exception ids', () => {
  it('the same cause in the same encounter is always the same exception, whoever publishes it', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), (scope, key) => {
        // Prepare / Act
        const first = exceptionIdFor(scope, key);
        const again = exceptionIdFor(scope, key);

        // Assess
        expect(again).toBe(first);
        expect(ExceptionView.shape.id.safeParse(first).success).toBe(true);
      }),
    );
  });

  it('the same key in two encounters is two exceptions', () => {
    // Prepare
    const key = 'claim-status:ST-1';

    // Act
    const a = exceptionIdFor('ENC-1', key);
    const b = exceptionIdFor('ENC-2', key);

    // Assess
    expect(a).not.toBe(b);
  });

  it('an exception without an encounter is scoped by its ordering key (webhook, unmatched ERA claim)', () => {
    // Prepare
    const quarantine = { partitionKey: 'webhook:gateway:evt_1' };

    // Act / Assess
    expect(exceptionScope(quarantine)).toBe('webhook:gateway:evt_1');
    expect(exceptionScope({ encounterId: 'ENC-1', partitionKey: 'ENC-1' })).toBe('ENC-1');
  });

  it('resolving has one event id per exception, so a repeated resolve records once', () => {
    // Prepare
    const id = exceptionIdFor('ENC-1', 'held:E1');

    // Act / Assess
    expect(resolvedEventIdFor(id)).toBe(resolvedEventIdFor(id));
    expect(resolvedEventIdFor(id)).not.toBe(resolvedEventIdFor(exceptionIdFor('ENC-1', 'held:E2')));
  });

  it('the ExceptionResolved sample closes the ExceptionOpened sample', () => {
    // Prepare
    const resolved = EventCatalog.ExceptionResolved.parse(sample('ExceptionResolved'));
    const id = exceptionIdFor(exceptionScope(opened), opened.data.key);

    // Assess
    expect(resolved.data).toMatchObject({ exceptionId: id, key: opened.data.key });
    expect(resolved.id).toBe(resolvedEventIdFor(id));
    expect(resolved).toMatchObject({
      correlationId: opened.correlationId,
      encounterId: opened.encounterId,
      partitionKey: opened.partitionKey,
    });
  });
});

describe('retries', () => {
  it('a retry that fails again opens the cause’s key marked with the attempt, never the same key', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), (attempt) => {
        // Prepare
        const key = 'odoo-write:55933d9b-9f4d-57d7-b9ac-d2659d286089';

        // Act
        const next = retryKey(key, attempt);

        // Assess
        expect(next).not.toBe(key);
        expect(retryAttemptOf(next)).toBe(attempt);
        expect(retryKey(next, attempt + 1)).toBe(`${key}:retry:${attempt + 1}`);
        expect(redriveFor(next, 'E1')).toEqual(redriveFor(key, 'E1'));
      }),
    );
  });

  it('what a retry re-drives is read off the cause: dead letter, held event, quarantined webhook, or nothing', () => {
    // Prepare
    const cases: [string, string | undefined, Redrive][] = [
      ['odoo-write:E1', 'ENC-1', { kind: 'dead-letter', eventId: 'E1' }],
      ['odoo-write:E1', undefined, { kind: 'dead-letter', eventId: 'E1' }],
      ['held:E1', 'ENC-1', { kind: 'held', eventId: 'E1', encounterId: 'ENC-1' }],
      [
        'webhook:gateway:evt:with:colons',
        undefined,
        { kind: 'quarantined-webhook', source: 'gateway', deliveryId: 'evt:with:colons' },
      ],
      ['webhook-delivery:SUB-1:E1', undefined, { kind: 'none' }],
      ['unmatched:remittance:R1', undefined, { kind: 'none' }],
      ['claim-status:ST-1', 'ENC-1', { kind: 'none' }],
      ['era:R1:denied', 'ENC-1', { kind: 'none' }],
    ];

    // Act / Assess
    for (const [key, encounterId, expected] of cases)
      expect(redriveFor(key, 'E1', encounterId), key).toEqual(expected);
  });
});

describe('status transitions', () => {
  const redrives: Redrive[] = [
    { kind: 'dead-letter', eventId: 'E1' },
    { kind: 'held', eventId: 'E1', encounterId: 'ENC-1' },
    { kind: 'quarantined-webhook', source: 'gateway', deliveryId: 'd1' },
    { kind: 'none' },
  ];

  it('only an open exception can be closed, and a closed one stays closed', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<ExceptionStatus>(...EXCEPTION_STATUSES),
        fc.constantFrom('resolve' as const, 'retry' as const),
        fc.constantFrom(...redrives),
        (status, action, redrive) => {
          // Act
          const verdict = transition(status, action, redrive);

          // Assess
          if (status !== 'open') expect(verdict.ok).toBe(false);
          if (verdict.ok) expect(verdict.status).toBe(action === 'resolve' ? 'resolved' : 'retried');
        },
      ),
    );
  });

  it('every open exception can be resolved; only one with something to re-drive can be retried', () => {
    for (const redrive of redrives) {
      // Act
      const resolved = transition('open', 'resolve', redrive);
      const retried = transition('open', 'retry', redrive);

      // Assess
      expect(resolved).toEqual({ ok: true, status: 'resolved' });
      expect(retried.ok).toBe(redrive.kind !== 'none');
    }
  });

  it('the trail the API shows is the chained lines in order, each action with who and when', () => {
    // Prepare
    const stream = auditStreams.exception('e1');
    const opening = chainLine(stream, undefined, {
      at: '2026-11-02T15:04:08.000Z',
      action: 'opened',
      actor: 'partner-billing',
      entryVersion: 1,
    });
    const closing = chainLine(stream, opening, {
      at: '2026-11-03T09:00:00.000Z',
      action: 'resolved',
      actor: 'finance-ops',
      note: 'written off',
      entryVersion: 2,
    });

    // Act
    const trail = auditTrailView([closing, opening]);

    // Assess
    expect(trail).toEqual([
      { at: '2026-11-02T15:04:08.000Z', action: 'opened', clientId: 'partner-billing' },
      { at: '2026-11-03T09:00:00.000Z', action: 'resolved', clientId: 'finance-ops', note: 'written off' },
    ]);
  });
});

describe('register entries', () => {
  it('an Odoo refusal of an invoice is an open integration entry, searchable by its ids, re-drivable from the DLQ', () => {
    // Prepare
    const event = refusal(invoiceIssued, { payerId: 'PAYER-BCBS-IL', invoiceId: 'INV-2026-000123' });

    // Act
    const entry = entryFromOpened(event);

    // Assess
    expect(entry).toMatchObject({
      id: exceptionIdFor(invoiceIssued.encounterId as string, `odoo-write:${invoiceIssued.id}`),
      status: 'open',
      team: 'integration',
      payerId: 'PAYER-BCBS-IL',
      attempt: 0,
      subjects: {
        encounterId: invoiceIssued.encounterId,
        invoiceId: 'INV-2026-000123',
        correlationId: invoiceIssued.correlationId,
      },
      redrive: { kind: 'dead-letter', eventId: invoiceIssued.id },
      openedByEventId: event.id,
      version: 1,
    });
    expect(openingFact(entry, invoiceIssued.clientId)).toEqual({
      action: 'opened',
      actor: invoiceIssued.clientId,
      at: event.time,
      entryVersion: 1,
    });
    const trail = [
      chainLine(auditStreams.exception(entry.id), undefined, openingFact(entry, invoiceIssued.clientId)),
    ];
    expect(exceptionView(entry, trail).audit).toEqual([
      { action: 'opened', clientId: invoiceIssued.clientId, at: event.time },
    ]);
    expect(ExceptionView.parse(exceptionView(entry, trail))).toEqual(exceptionView(entry, trail));
  });

  it('a redelivered ExceptionOpened makes exactly the same entry', () => {
    // Act
    const first = entryFromOpened(opened);
    const redelivered = entryFromOpened(structuredClone(opened));

    // Assess
    expect(redelivered).toEqual(first);
  });

  it('the exception a failed retry opens is its own entry, linked to the one retried', () => {
    // Prepare
    const original = entryFromOpened(refusal(invoiceIssued));
    const key = retryKey(original.key, 1);

    // Act
    const again = entryFromOpened(refusal(invoiceIssued, { key, retryOf: original.id }));

    // Assess
    expect(again.id).not.toBe(original.id);
    expect(again).toMatchObject({ retryOf: original.id, attempt: 1, redrive: original.redrive });
  });

  it('the view hides the register’s internals', () => {
    // Act
    const view = exceptionView(entryFromOpened(opened), []) as Record<string, unknown>;

    // Assess
    for (const internal of ['scope', 'version', 'openedByEventId', 'facilityId'])
      expect(view).not.toHaveProperty(internal);
  });
});

describe('subjects of a business event', () => {
  it('reads invoice, claim, payer and trace number wherever the canonical model keeps them, never a patient', () => {
    // Prepare
    const cases: [unknown, ReturnType<typeof subjectsOf>][] = [
      [
        { invoiceId: 'INV-1', billTo: { kind: 'payer', id: 'PAYER-1', name: 'Acme' } },
        { invoiceId: 'INV-1', payerId: 'PAYER-1' },
      ],
      [
        { invoiceId: 'INV-2', billTo: { kind: 'patient', id: 'PAT-1', name: 'Jane Roe' } },
        { invoiceId: 'INV-2' },
      ],
      [
        {
          paymentId: 'P1',
          payer: { kind: 'patient', id: 'PAT-1' },
          appliesTo: { invoiceId: 'INV-3' },
          traceNumber: 'T1',
        },
        { invoiceId: 'INV-3', traceNumber: 'T1' },
      ],
      [
        { remittanceId: 'R1', claimId: 'CLM-1', payerId: 'PAYER-2', payment: { traceNumber: 'EFT-9' } },
        { claimId: 'CLM-1', payerId: 'PAYER-2', traceNumber: 'EFT-9' },
      ],
      [
        { claimId: 'CLM-2', payerId: 'PAYER-3', invoiceIds: ['INV-4'] },
        { claimId: 'CLM-2', payerId: 'PAYER-3', invoiceId: 'INV-4' },
      ],
      [{ claimId: 'CLM-3', payerId: '', invoiceIds: ['INV-5', 'INV-6'] }, { claimId: 'CLM-3' }],
      [undefined, {}],
    ];

    // Act / Assess
    for (const [data, expected] of cases) expect(subjectsOf(data)).toEqual(expected);
  });
});

describe('the list query', () => {
  it('takes team, status, payer and one or more subjects, and refuses anything else', () => {
    // Act
    const ok = ExceptionListQuery.safeParse({ team: 'integration', status: 'open', encounterId: 'ENC-1' });
    const unknown = ExceptionListQuery.safeParse({ patientName: 'Jane' });
    const badTeam = ExceptionListQuery.safeParse({ team: 'legal' });

    // Assess
    expect(ok.data).toEqual({ team: 'integration', status: 'open', encounterId: 'ENC-1', limit: 50 });
    expect(unknown.success).toBe(false);
    expect(badTeam.success).toBe(false);
  });
});
