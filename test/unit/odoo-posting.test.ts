import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { InvoiceIssued, InvoiceLine } from '../../lambdas/core/invoice.js';
import {
  invoiceSearchDomain,
  invoiceValues,
  partnerRef,
  partnerSearchDomain,
  partnerValues,
} from '../../lambdas/core/odoo-posting.js';

const payer = { kind: 'payer' as const, id: 'PAYER-BCBS', name: 'Blue Cross Blue Shield' };
const patient = { kind: 'patient' as const, id: 'MRN-000123', name: 'Jane Doe' };

const invoice = (lines: InvoiceLine[]): InvoiceIssued => ({
  invoiceId: 'INV-2026-0001',
  encounterId: 'ENC-77',
  facilityId: 'FAC-1',
  issueDate: '2026-11-02',
  currency: 'USD',
  billTo: payer,
  lines,
  totalCents: lines.reduce((sum, line) => sum + line.amountCents, 0),
});

const officeVisit: InvoiceLine = {
  code: '99213',
  codeSystem: 'CPT',
  description: 'Office visit, established patient',
  quantity: 1,
  unitPriceCents: 12_500,
  amountCents: 12_500,
};
const erRoom: InvoiceLine = {
  code: '0450',
  codeSystem: 'REV',
  description: 'Emergency room',
  quantity: 2.5,
  unitPriceCents: 1_001,
  amountCents: 2_503,
};

type OdooLineCommand = [0, 0, { name: string; quantity: number; price_unit: number }];
const linesOf = (values: Record<string, unknown>) => values.invoice_line_ids as OdooLineCommand[];

describe('partners in Odoo', () => {
  it.each([
    [payer, 'rcm:payer:PAYER-BCBS'],
    [patient, 'rcm:patient:MRN-000123'],
  ])('a bill-to is found in Odoo by its reference %#', (billTo, expected) => {
    // Prepare — a payer or a self-pay patient

    // Act
    const ref = partnerRef(billTo);

    // Assess
    expect(ref).toBe(expected);
    expect(partnerSearchDomain(billTo)).toEqual([['ref', '=', expected]]);
  });

  it('a payer and a patient with the same id are different partners', () => {
    // Prepare
    const id = 'X-1';

    // Act
    const refs = [partnerRef({ kind: 'payer', id }), partnerRef({ kind: 'patient', id })];

    // Assess
    expect(refs[0]).not.toBe(refs[1]);
  });

  it('a payer is booked as a company customer', () => {
    // Prepare — see `payer`

    // Act
    const values = partnerValues(payer);

    // Assess
    expect(values).toEqual({
      name: 'Blue Cross Blue Shield',
      ref: 'rcm:payer:PAYER-BCBS',
      is_company: true,
      company_type: 'company',
      customer_rank: 1,
    });
  });

  it('a patient is booked as a person customer', () => {
    // Prepare — see `patient`

    // Act
    const values = partnerValues(patient);

    // Assess
    expect(values).toEqual({
      name: 'Jane Doe',
      ref: 'rcm:patient:MRN-000123',
      is_company: false,
      company_type: 'person',
      customer_rank: 1,
    });
  });
});

describe('invoices in Odoo', () => {
  it('an issued invoice becomes a customer invoice referenced by the partner invoice id', () => {
    // Prepare
    const issued = invoice([officeVisit, erRoom]);

    // Act
    const values = invoiceValues(issued, 7);

    // Assess
    expect(values).toMatchObject({
      move_type: 'out_invoice',
      partner_id: 7,
      invoice_date: '2026-11-02',
      ref: 'INV-2026-0001',
      payment_reference: 'INV-2026-0001',
    });
    expect(values.narration).toContain('ENC-77');
    expect(values.narration).toContain('FAC-1');
  });

  it('each line becomes an Odoo create command with the code system, code, quantity and unit price', () => {
    // Prepare
    const issued = invoice([officeVisit, erRoom]);

    // Act
    const lines = linesOf(invoiceValues(issued, 7));

    // Assess
    expect(lines).toEqual([
      [0, 0, { name: 'CPT 99213 Office visit, established patient', quantity: 1, price_unit: 125 }],
      [0, 0, { name: 'REV 0450 Emergency room', quantity: 2.5, price_unit: 10.01 }],
    ]);
  });

  it('a unit price reaches Odoo as exactly cents / 100 and reads back as the same cents', () => {
    const line = fc.record({
      code: fc.constantFrom('99213', '0450', 'J1234'),
      codeSystem: fc.constantFrom('CPT' as const, 'REV' as const, 'HCPCS' as const),
      description: fc.constantFrom('Office visit', 'Room and board'),
      quantity: fc.integer({ min: 1, max: 99_999_000 }).map((t) => t / 1000),
      unitPriceCents: fc.oneof(
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.bigInt({ min: 0n, max: 999_999_999_999_999n }).map(Number),
      ),
      amountCents: fc.constant(0),
    });
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 5 }), (lines) => {
        // Prepare
        const issued = invoice(lines);

        // Act
        const sent = linesOf(invoiceValues(issued, 7));

        // Assess
        sent.forEach(([create, update, vals], index) => {
          const source = lines[index] as InvoiceLine;
          expect([create, update]).toEqual([0, 0]);
          expect(vals.price_unit).toBe(source.unitPriceCents / 100);
          expect(Math.round(vals.price_unit * 100)).toBe(source.unitPriceCents);
          expect(vals.quantity).toBe(source.quantity);
          expect(vals.name.startsWith(`${source.codeSystem} ${source.code} `)).toBe(true);
          expect(vals.name).toContain(source.description);
        });
      }),
    );
  });

  it("an invoice is looked up by its ref among the partner's customer invoices that are not cancelled", () => {
    // Prepare
    const issued = invoice([officeVisit]);

    // Act
    const domain = invoiceSearchDomain(issued, 7);

    // Assess
    expect(domain).toHaveLength(4);
    expect(domain).toEqual(
      expect.arrayContaining([
        ['move_type', '=', 'out_invoice'],
        ['ref', '=', 'INV-2026-0001'],
        ['partner_id', '=', 7],
        ['state', '!=', 'cancel'],
      ]),
    );
    // Implicit AND only: an OR or NOT would widen the search beyond this partner.
    expect(domain.every((term) => Array.isArray(term))).toBe(true);
  });
});
