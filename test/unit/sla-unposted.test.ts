import { describe, expect, it } from 'vitest';
import {
  type AcceptedDocument,
  clearedUnpostedKeys,
  overdueUnposted,
  unpostedDocuments,
} from '../../lambdas/core/sla.js';

// Issue 12: every accepted document must reach Odoo within its SLA, invoices included. The clock is a value.
const HOUR = 3_600_000;
const NOW = Date.parse('2026-03-01T12:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const thresholds = { invoiceUnpostedHours: 2, remittanceUnpostedHours: 24, paymentUnpostedHours: 24 };

const invoice = (
  eventId: string,
  invoiceId: string,
  hoursAgo: number,
  totalCents = 14_550,
): AcceptedDocument => ({
  eventId,
  type: 'InvoiceIssued',
  time: iso(NOW - hoursAgo * HOUR),
  detail: { invoiceId, totalCents },
});

const empty = { remittances: {}, payments: {}, exceptions: {}, odooInvoices: {} };

describe('accepted invoices that have not reached Odoo', () => {
  it('an invoice accepted 3 h ago and never booked opens unposted:invoice for integration', () => {
    const unposted = unpostedDocuments(empty, [invoice('e1', 'INV-1', 3)], [], NOW);
    expect(unposted).toEqual([
      expect.objectContaining({ kind: 'invoice', id: 'INV-1', amountCents: 14_550, why: 'pending' }),
    ]);
    const [breach] = overdueUnposted(unposted, thresholds);
    expect(breach).toMatchObject({ key: 'unposted:invoice:INV-1', team: 'integration', thresholdHours: 2 });
    expect(breach?.reason).toBe(
      'accepted invoice INV-1 not in Odoo after 3 h (threshold 2 h); 145.50 at stake',
    );
  });

  it('is not overdue within its threshold, nor when booked, held or already refused', () => {
    expect(
      overdueUnposted(unpostedDocuments(empty, [invoice('e1', 'INV-1', 1)], [], NOW), thresholds),
    ).toEqual([]);
    const booked = { ...empty, odooInvoices: { 'INV-1': { invoiceId: 'INV-1' } } };
    expect(unpostedDocuments(booked, [invoice('e1', 'INV-1', 30)], [], NOW)).toEqual([]);
    const held = [{ eventId: 'e1', heldAt: iso(NOW - HOUR), waitingFor: 'payer:P' }];
    expect(
      overdueUnposted(unpostedDocuments(empty, [invoice('e1', 'INV-1', 30)], held, NOW), thresholds),
    ).toEqual([]);
    const refused = {
      ...empty,
      exceptions: { 'odoo-write:e1': { key: 'odoo-write:e1', team: 'integration' as const, amountCents: 1 } },
    };
    expect(
      overdueUnposted(unpostedDocuments(refused, [invoice('e1', 'INV-1', 30)], [], NOW), thresholds),
    ).toEqual([]);
  });

  it('counts an invoice re-sent under a new key once, from its first acceptance', () => {
    const docs = [invoice('e2', 'INV-1', 1), invoice('e1', 'INV-1', 5)];
    const unposted = unpostedDocuments(empty, docs, [], NOW);
    expect(unposted).toHaveLength(1);
    expect(unposted[0]).toMatchObject({ eventId: 'e1', ageMs: 5 * HOUR });
  });

  it('clears an unposted key once its document is booked, and leaves other keys alone', () => {
    const snapshot = {
      remittances: { 'ERA-1': {} },
      payments: {},
      odooInvoices: { 'INV-1': { invoiceId: 'INV-1' } },
    };
    expect(
      clearedUnpostedKeys(snapshot, [
        'unposted:invoice:INV-1',
        'unposted:invoice:INV-2',
        'unposted:remittance:ERA-1',
        'sla:invoice_issued',
        'odoo-write:e1',
      ]),
    ).toEqual(['unposted:invoice:INV-1', 'unposted:remittance:ERA-1']);
  });
});
