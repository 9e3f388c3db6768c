import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canonicalRecord,
  externalIdName,
  invoiceExternalId,
  invoiceLineExternalId,
  loadCell,
  partnerExternalId,
} from '../../lambdas/core/odoo-external-ids.js';
import { INVOICE_LINE_COLUMNS, invoiceLineRows } from '../../lambdas/core/odoo-posting.js';

describe('external ids of the records the hub creates in Odoo', () => {
  it('two different keys never share an external id (the unique index must not merge them)', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        fc.pre(a !== b);
        expect(externalIdName('invoice', a)).not.toBe(externalIdName('invoice', b));
      }),
    );
    // the separator between parts cannot be forged by a key
    expect(externalIdName('invoice', 'A__1', 2)).not.toBe(externalIdName('invoice', 'A', '1__2'));
  });

  it('spells ids Odoo accepts: module rcm_hub, a name of letters, digits, - and _', () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 1 }), (invoiceId, partnerId) => {
        expect(invoiceExternalId(invoiceId, partnerId)).toMatch(/^rcm_hub\.[A-Za-z0-9_-]+$/);
      }),
    );
    expect(partnerExternalId({ kind: 'payer', id: 'BCBS.TX' })).toBe('rcm_hub.partner__payer__BCBS_2e_TX');
  });

  it('gives every line of every invoice its own external id, distinct from the invoice header', () => {
    fc.assert(
      fc.property(
        fc.tuple(fc.string(), fc.integer({ min: 1 }), fc.nat(50)),
        fc.tuple(fc.string(), fc.integer({ min: 1 }), fc.nat(50)),
        (a, b) => {
          fc.pre(a.join('\u0000') !== b.join('\u0000'));
          expect(invoiceLineExternalId(...a)).not.toBe(invoiceLineExternalId(...b));
          expect(invoiceLineExternalId(...a)).not.toBe(invoiceExternalId(a[0], a[1]));
        },
      ),
    );
  });

  it('loads invoice lines as import text: one row per line, decimal amounts, on the draft move', () => {
    const invoice = {
      invoiceId: 'INV-1',
      encounterId: 'E',
      facilityId: 'F',
      issueDate: '2026-11-02',
      currency: 'USD' as const,
      billTo: { kind: 'payer' as const, id: 'P', name: 'Payer' },
      lines: [
        {
          code: '99213',
          codeSystem: 'CPT' as const,
          description: 'Visit',
          quantity: 1,
          unitPriceCents: 12_550,
          amountCents: 12_550,
        },
        {
          code: '36415',
          codeSystem: 'CPT' as const,
          description: 'Draw',
          quantity: 1.5,
          unitPriceCents: 1_005,
          amountCents: 1_508,
        },
      ],
      totalCents: 14_058,
    };
    expect(INVOICE_LINE_COLUMNS).toEqual([
      'id',
      'move_id/.id',
      'display_type',
      'name',
      'quantity',
      'price_unit',
    ]);
    expect(invoiceLineRows(invoice, 7, 42)).toEqual([
      [invoiceLineExternalId('INV-1', 7, 0), '42', 'product', 'CPT 99213 Visit', '1', '125.50'],
      [invoiceLineExternalId('INV-1', 7, 1), '42', 'product', 'CPT 36415 Draw', '1.5', '10.05'],
    ]);
  });

  it('writes load() cells as import text and refuses float amounts', () => {
    expect([true, false, 1, 'x', null].map(loadCell)).toEqual(['1', '', '1', 'x', '']);
    expect(() => loadCell(12.5)).toThrow(/decimal strings/);
  });

  it('keeps the record with our external id, else a preferred one, else the oldest', () => {
    const rows = [
      { id: 9, state: 'draft' },
      { id: 4, state: 'draft' },
      { id: 7, state: 'posted' },
    ];
    expect(canonicalRecord(rows, { 9: 'rcm_hub.x' }, 'rcm_hub.x')?.id).toBe(9);
    expect(canonicalRecord(rows, {}, 'rcm_hub.x', (r) => r.state === 'posted')?.id).toBe(7);
    expect(canonicalRecord(rows, { 4: '__import__.y' }, 'rcm_hub.x')?.id).toBe(4);
    // order of the search answer does not matter: every writer keeps the same record
    fc.assert(
      fc.property(fc.shuffledSubarray(rows, { minLength: 1 }), (subset) => {
        const reversed = [...subset].reverse();
        expect(canonicalRecord(subset, {}, 'rcm_hub.x')).toEqual(canonicalRecord(reversed, {}, 'rcm_hub.x'));
      }),
    );
  });
});
