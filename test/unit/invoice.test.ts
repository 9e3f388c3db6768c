import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvoiceIssued, InvoiceIssuedRequest, toCanonicalInvoice } from '../../lambdas/core/invoice.js';

/** An office visit billed to a payer, as a billing system posts it to `POST /v1/invoices`. */
const officeVisit = () => ({
  invoiceId: 'INV-2026-0001',
  encounterId: 'ENC-77/2026',
  facilityId: 'FAC:north.1',
  issueDate: '2026-11-02',
  currency: 'USD',
  billTo: { kind: 'payer', id: 'PAYER-BCBS', name: 'Blue Cross Blue Shield' },
  lines: [
    {
      code: '99213',
      codeSystem: 'CPT',
      description: 'Office visit, established patient',
      quantity: 1,
      unitPrice: '125.00',
    },
    { code: '0450', codeSystem: 'REV', description: 'Emergency room', quantity: 2.5, unitPrice: '10.01' },
  ],
});

type Request = ReturnType<typeof officeVisit>;
type Line = Request['lines'][number];

/** Mutates a fresh copy of the office visit; values are deliberately untyped (this is what partners send). */
const withRequest = (mutate: (request: Record<string, unknown> & Request) => void): unknown => {
  const request = structuredClone(officeVisit()) as Record<string, unknown> & Request;
  mutate(request);
  return request;
};
const withLine = (patch: Record<string, unknown>): unknown =>
  withRequest((request) => {
    request.lines[0] = { ...(request.lines[0] as Line), ...patch } as Line;
  });
const withBillTo = (patch: Record<string, unknown>): unknown =>
  withRequest((request) => {
    request.billTo = { ...request.billTo, ...patch } as Request['billTo'];
  });

const issuePaths = (value: unknown): PropertyKey[][] => {
  const result = InvoiceIssuedRequest.safeParse(value);
  return result.success ? [] : result.error.issues.map((issue) => issue.path);
};

describe('an invoice issued request', () => {
  it('an office visit billed to a payer is accepted as sent', () => {
    // Prepare
    const request = officeVisit();

    // Act
    const result = InvoiceIssuedRequest.safeParse(request);

    // Assess
    expect(result.success).toBe(true);
    expect(result.data).toEqual(request);
  });

  it.each([
    ['a HCPCS drug code', withLine({ code: 'J1234', codeSystem: 'HCPCS' })],
    ['a revenue code with leading zero', withLine({ code: '0001', codeSystem: 'REV' })],
    ['a fractional anesthesia quantity', withLine({ quantity: 0.125 })],
    ['a free line', withLine({ unitPrice: '0' })],
    ['a price with one decimal', withLine({ unitPrice: '0.5' })],
    ['a leap day', withRequest((r) => Object.assign(r, { issueDate: '2024-02-29' }))],
    ['a self-pay patient', withBillTo({ kind: 'patient', id: 'MRN-000123', name: 'Jane Doe' })],
    [
      '500 lines',
      withRequest((r) => Object.assign(r, { lines: Array.from({ length: 500 }, () => r.lines[0]) })),
    ],
    ['an id of 64 characters', withRequest((r) => Object.assign(r, { invoiceId: 'I'.repeat(64) }))],
  ])('%s is accepted', (_name, request) => {
    // Prepare — see the table

    // Act
    const result = InvoiceIssuedRequest.safeParse(request);

    // Assess
    expect(result.success).toBe(true);
  });

  it.each<[string, unknown, PropertyKey[]]>([
    [
      'an invoice id that is a number',
      withRequest((r) => Object.assign(r, { invoiceId: 42 })),
      ['invoiceId'],
    ],
    [
      'an invoice id with a space',
      withRequest((r) => Object.assign(r, { invoiceId: 'INV 1' })),
      ['invoiceId'],
    ],
    [
      'an encounter id with a leading space',
      withRequest((r) => Object.assign(r, { encounterId: ' ENC-1' })),
      ['encounterId'],
    ],
    ['an empty facility id', withRequest((r) => Object.assign(r, { facilityId: '' })), ['facilityId']],
    [
      'an id longer than 64 characters',
      withRequest((r) => Object.assign(r, { invoiceId: 'I'.repeat(65) })),
      ['invoiceId'],
    ],
    ['an unknown currency', withRequest((r) => Object.assign(r, { currency: 'EUR' })), ['currency']],
    ['a 30th of February', withRequest((r) => Object.assign(r, { issueDate: '2026-02-30' })), ['issueDate']],
    ['a 13th month', withRequest((r) => Object.assign(r, { issueDate: '2026-13-01' })), ['issueDate']],
    ['a US-style date', withRequest((r) => Object.assign(r, { issueDate: '11/02/2026' })), ['issueDate']],
    [
      'a date-time instead of a date',
      withRequest((r) => Object.assign(r, { issueDate: '2026-11-02T00:00:00Z' })),
      ['issueDate'],
    ],
    ['no lines', withRequest((r) => Object.assign(r, { lines: [] })), ['lines']],
    ['lines that are not a list', withRequest((r) => Object.assign(r, { lines: {} })), ['lines']],
    [
      '501 lines',
      withRequest((r) => Object.assign(r, { lines: Array.from({ length: 501 }, () => r.lines[0]) })),
      ['lines'],
    ],
    ['an unknown field on the invoice', withRequest((r) => Object.assign(r, { discount: '5.00' })), []],
    ['an unknown field on a line', withLine({ modifier: '25' }), ['lines', 0]],
    ['an unknown field on bill-to', withBillTo({ npi: '1234567893' }), ['billTo']],
    ['a negative unit price', withLine({ unitPrice: '-1.00' }), ['lines', 0, 'unitPrice']],
    ['a unit price with three decimals', withLine({ unitPrice: '1.005' }), ['lines', 0, 'unitPrice']],
    ['a unit price sent as a number', withLine({ unitPrice: 125 }), ['lines', 0, 'unitPrice']],
    ['a revenue code with a letter', withLine({ code: '0A50', codeSystem: 'REV' }), ['lines', 0, 'code']],
    ['a revenue code of five digits', withLine({ code: '04500', codeSystem: 'REV' }), ['lines', 0, 'code']],
    ['a CPT code of four characters', withLine({ code: '9921', codeSystem: 'CPT' }), ['lines', 0, 'code']],
    [
      'a HCPCS code of four characters',
      withLine({ code: 'J123', codeSystem: 'HCPCS' }),
      ['lines', 0, 'code'],
    ],
    ['a lower-case CPT code', withLine({ code: '9921a', codeSystem: 'CPT' }), ['lines', 0, 'code']],
    ['an unknown code system', withLine({ codeSystem: 'ICD10' }), ['lines', 0, 'codeSystem']],
    ['a blank description', withLine({ description: '   ' }), ['lines', 0, 'description']],
    ['a quantity of zero', withLine({ quantity: 0 }), ['lines', 0, 'quantity']],
    ['a negative quantity', withLine({ quantity: -1 }), ['lines', 0, 'quantity']],
    ['a quantity with four decimals', withLine({ quantity: 1.0001 }), ['lines', 0, 'quantity']],
    ['a quantity above 99,999', withLine({ quantity: 100_000 }), ['lines', 0, 'quantity']],
    ['a quantity sent as a string', withLine({ quantity: '1' }), ['lines', 0, 'quantity']],
    ['an empty bill-to name', withBillTo({ name: '' }), ['billTo', 'name']],
    ['a blank bill-to name', withBillTo({ name: '   ' }), ['billTo', 'name']],
    ['a bill-to that is neither payer nor patient', withBillTo({ kind: 'provider' }), ['billTo', 'kind']],
    ['a bill-to id with a space', withBillTo({ id: 'PAYER 1' }), ['billTo', 'id']],
    ['a missing bill-to', withRequest((r) => Object.assign(r, { billTo: undefined })), ['billTo']],
  ])('%s is refused at that field', (_name, request, expectedPath) => {
    // Prepare — see the table

    // Act
    const paths = issuePaths(request);

    // Assess
    expect(paths).toContainEqual(expectedPath);
  });

  it('an unknown field is named in the issue, so the partner knows what to remove', () => {
    // Prepare
    const request = withRequest((r) => Object.assign(r, { discount: '5.00' }));

    // Act
    const result = InvoiceIssuedRequest.safeParse(request);

    // Assess
    expect(result.success).toBe(false);
    expect(result.error?.issues).toEqual([
      expect.objectContaining({ code: 'unrecognized_keys', keys: ['discount'] }),
    ]);
  });

  // BUG (invoice.ts:22): the "at most three decimals" check tolerates any excess below 1e-6 thousandths,
  // so 1.0000000001 (ten decimals) is accepted; lineAmountCents then silently books it as 1.000 while the
  // canonical invoice (and Odoo's line) carries 1.0000000001. Harmless at everyday prices, but the
  // contract says "at most three decimals".
  it('a quantity with ten decimals is refused even when the excess is tiny', () => {
    // Prepare
    const request = withLine({ quantity: 1.0000000001 });

    // Act
    const paths = issuePaths(request);

    // Assess
    expect(paths).toContainEqual(['lines', 0, 'quantity']);
  });
});

// ---------------------------------------------------------------------------------------------------------

const digits = (length: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: length, maxLength: length });

const lineArbitrary = fc
  .oneof(
    fc.record({ code: digits(5), codeSystem: fc.constant('CPT' as const) }),
    fc.record({ code: digits(4), codeSystem: fc.constant('REV' as const) }),
    fc.record({ code: digits(4).map((d) => `J${d}`), codeSystem: fc.constant('HCPCS' as const) }),
  )
  .chain((coded) =>
    fc.record({
      code: fc.constant(coded.code),
      codeSystem: fc.constant(coded.codeSystem),
      description: fc.constantFrom('Office visit', 'Anesthesia', 'Room and board', 'Lab panel'),
      // Up to 9,999 units at up to 99,999.99 keeps 8 lines under the invoice limit (MAX_INVOICE_TOTAL_CENTS).
      quantity: fc.integer({ min: 1, max: 9_999_000 }).map((t) => t / 1000),
      unitPrice: fc
        .tuple(fc.integer({ min: 0, max: 99_999 }), fc.integer({ min: 0, max: 99 }))
        .map(([whole, cents]) => `${whole}.${String(cents).padStart(2, '0')}`),
    }),
  );

const requestArbitrary = fc
  .array(lineArbitrary, { minLength: 1, maxLength: 8 })
  .map((lines) => ({ ...officeVisit(), lines }));

describe('the canonical invoice', () => {
  it('an office visit and an ER room line total 150.03, with 2.5 × 10.01 rounded half away from zero', () => {
    // Prepare
    const request = InvoiceIssuedRequest.parse(officeVisit());

    // Act
    const invoice = toCanonicalInvoice(request);

    // Assess
    expect(invoice.lines.map((line) => [line.unitPriceCents, line.amountCents])).toEqual([
      [12_500, 12_500],
      [1_001, 2_503],
    ]);
    expect(invoice.totalCents).toBe(15_003);
    expect(invoice).toMatchObject({
      invoiceId: request.invoiceId,
      encounterId: request.encounterId,
      facilityId: request.facilityId,
      issueDate: request.issueDate,
      currency: 'USD',
      billTo: request.billTo,
    });
  });

  it('the total is the sum of the line amounts, and every amount is a whole number of cents', () => {
    fc.assert(
      fc.property(requestArbitrary, (raw) => {
        // Prepare
        const request = InvoiceIssuedRequest.parse(raw);

        // Act
        const invoice = toCanonicalInvoice(request);

        // Assess
        const sum = invoice.lines.reduce((total, line) => total + BigInt(line.amountCents), 0n);
        expect(BigInt(invoice.totalCents)).toBe(sum);
        for (const line of invoice.lines) {
          expect(Number.isSafeInteger(line.unitPriceCents)).toBe(true);
          expect(Number.isSafeInteger(line.amountCents)).toBe(true);
        }
        expect(Number.isSafeInteger(invoice.totalCents)).toBe(true);
        expect(InvoiceIssued.safeParse(invoice).success).toBe(true);
      }),
    );
  });

  it('a line amount is the unit price times the quantity, to the nearest cent', () => {
    fc.assert(
      fc.property(requestArbitrary, (raw) => {
        // Prepare
        const request = InvoiceIssuedRequest.parse(raw);

        // Act
        const invoice = toCanonicalInvoice(request);

        // Assess
        invoice.lines.forEach((line, index) => {
          const source = request.lines[index];
          expect(line.unitPriceCents).toBe(Math.round(Number(source?.unitPrice) * 100));
          const exactThousandthsOfCent =
            BigInt(Math.round(line.quantity * 1000)) * BigInt(line.unitPriceCents);
          const error = BigInt(line.amountCents) * 1000n - exactThousandthsOfCent;
          expect(error >= -500n && error <= 500n).toBe(true);
        });
      }),
    );
  });

  // Regression (formerly invoice.ts:43): a total beyond a safe integer was accepted at the edge and then
  // failed its own event schema. Such an invoice is now refused with a field error.
  it('an invoice whose total would exceed the limit is refused at the edge', () => {
    // Prepare
    const body = withLine({ quantity: 99_999, unitPrice: '9999999999999.99' });

    // Act
    const result = InvoiceIssuedRequest.safeParse(body);

    // Assess
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path.join('/'))).toContain('lines');
  });
});
