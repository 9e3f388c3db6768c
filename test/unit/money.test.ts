import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  centsToOdooAmount,
  DecimalAmount,
  formatCents,
  lineAmountCents,
  MAX_AMOUNT_CENTS,
  odooAmountToCents,
  parseCents,
  SignedDecimalAmount,
} from '../../lambdas/core/money.js';

/**
 * Money is the one place a rounding slip turns into a balance a payer disputes, so these are properties
 * checked against BigInt oracles written independently of money.ts (no shared regex, no floats).
 */
const RUNS = { numRuns: 300 };

/** The edge contract: at most 13 integer digits and 2 decimals, so the largest amount is this many cents. */
const MAX_CONTRACT_CENTS = 999_999_999_999_999n;

// ---------------------------------------------------------------------------------------------------------
// Oracles
// ---------------------------------------------------------------------------------------------------------

const isAsciiDigits = (text: string): boolean =>
  text.length > 0 && [...text].every((char) => char >= '0' && char <= '9');

/** DecimalAmount, spelled out: digits, optional "." and one or two digits; no sign, exponent, space or leading zero. */
function isDecimalAmountOracle(text: string): boolean {
  const parts = text.split('.');
  if (parts.length > 2) return false;
  const [whole = '', fraction] = parts;
  if (!isAsciiDigits(whole) || whole.length > 13) return false;
  if (whole.length > 1 && whole.startsWith('0')) return false;
  if (fraction !== undefined && (!isAsciiDigits(fraction) || fraction.length > 2)) return false;
  return true;
}

/** Exact cents of a (signed) decimal amount string, in BigInt. */
function centsOracle(amount: string): bigint {
  const negative = amount.startsWith('-');
  const [whole = '0', fraction = ''] = (negative ? amount.slice(1) : amount).split('.');
  const cents = BigInt(whole) * 100n + BigInt(fraction.padEnd(2, '0'));
  return negative ? -cents : cents;
}

/** Canonical "W.FF" spelling of an exact number of cents. */
function formatOracle(cents: bigint): string {
  const negative = cents < 0n;
  const abs = negative ? -cents : cents;
  return `${negative ? '-' : ''}${abs / 100n}.${(abs % 100n).toString().padStart(2, '0')}`;
}

/** quantity (in thousandths) × unit price, rounded half away from zero to whole cents. */
function lineAmountOracle(quantityThousandths: bigint, unitPriceCents: bigint): bigint {
  const exact = quantityThousandths * unitPriceCents; // in thousandths of a cent
  const abs = exact < 0n ? -exact : exact;
  const whole = abs / 1000n;
  const remainder = abs % 1000n;
  const rounded = remainder >= 500n ? whole + 1n : whole;
  return exact < 0n ? -rounded : rounded;
}

// ---------------------------------------------------------------------------------------------------------
// Arbitraries
// ---------------------------------------------------------------------------------------------------------

/** Whole part: mostly everyday amounts, sometimes up to the 13-digit limit. */
const wholePart = fc.oneof(
  fc.bigInt({ min: 0n, max: 10_000n }),
  fc.bigInt({ min: 0n, max: 9_999_999_999_999n }),
);

/** A well-formed DecimalAmount ("0", "10", "0.5", "125.00", "9999999999999.99"). */
const decimalAmount = fc
  .tuple(wholePart, fc.constantFrom(0, 1, 2), fc.integer({ min: 0, max: 99 }))
  .map(([whole, decimals, fraction]) => {
    if (decimals === 0) return `${whole}`;
    const digits = String(fraction).padStart(2, '0');
    return `${whole}.${decimals === 1 ? digits.slice(0, 1) : digits}`;
  });

/** Everyday amounts (≤ 1,000,000,000.99) whose sums stay far inside the 13-digit limit. */
const everydayAmount = fc
  .tuple(fc.bigInt({ min: 0n, max: 1_000_000_000n }), fc.integer({ min: 0, max: 99 }))
  .map(([whole, fraction]) => `${whole}.${String(fraction).padStart(2, '0')}`);

/** Strings close to amounts: signs, exponents, spaces, non-ASCII digits, stray dots. */
const nearAmount = fc.oneof(
  fc.string({
    unit: fc.constantFrom(...'0123456789', '.', '-', '+', 'e', 'E', ' ', '\n', '\t', '\u00a0', '\u0663', ','),
    maxLength: 18,
  }),
  fc
    .tuple(
      decimalAmount,
      fc.constantFrom('', '-', '+', ' ', '0', '00'),
      fc.constantFrom('', ' ', '\n', '0', '.', 'e3', '.0'),
    )
    .map(([amount, prefix, suffix]) => `${prefix}${amount}${suffix}`),
);

const safeCents = fc.oneof(
  fc.integer({ min: -100_000, max: 100_000 }),
  fc.bigInt({ min: -MAX_CONTRACT_CENTS, max: MAX_CONTRACT_CENTS }).map(Number),
);

// ---------------------------------------------------------------------------------------------------------

describe('decimal amounts at the edge', () => {
  it.each(['0', '0.5', '10', '125.00', '0.01', '9999999999999.99'])(
    'an amount of "%s" is accepted',
    (amount) => {
      // Prepare — a plain decimal string as a billing system sends it

      // Act
      const result = DecimalAmount.safeParse(amount);

      // Assess
      expect(result.success).toBe(true);
    },
  );

  it.each([
    ['-1.00', 'a sign'],
    ['+1.00', 'a plus sign'],
    ['1.005', 'a third decimal'],
    ['1e3', 'an exponent'],
    [' 1.00', 'leading whitespace'],
    ['1.00 ', 'trailing whitespace'],
    ['1.00\n', 'a trailing newline'],
    ['01.00', 'a leading zero'],
    ['', 'nothing'],
    ['NaN', 'NaN'],
    ['Infinity', 'Infinity'],
    ['1.', 'a bare decimal point'],
    ['.50', 'no whole part'],
    ['1,000.00', 'a thousands separator'],
    ['\u0661.00', 'a non-ASCII digit'],
    ['10000000000000.00', 'fourteen integer digits'],
  ])('an amount of "%s" is refused (%s)', (amount) => {
    // Prepare — an amount no payer statement would print

    // Act
    const result = DecimalAmount.safeParse(amount);

    // Assess
    expect(result.success).toBe(false);
  });

  it('accepts exactly the strings the decimal-amount definition describes', () => {
    fc.assert(
      fc.property(fc.oneof(decimalAmount, nearAmount), (candidate) => {
        // Prepare — a candidate that may or may not be a valid amount

        // Act
        const accepted = DecimalAmount.safeParse(candidate).success;

        // Assess
        expect(accepted).toBe(isDecimalAmountOracle(candidate));
      }),
      RUNS,
    );
  });

  it('a signed amount accepts an adjustment written with a minus sign and nothing else extra', () => {
    fc.assert(
      fc.property(fc.oneof(decimalAmount, nearAmount), (candidate) => {
        // Prepare
        const expected = isDecimalAmountOracle(candidate.startsWith('-') ? candidate.slice(1) : candidate);

        // Act
        const accepted = SignedDecimalAmount.safeParse(candidate).success;

        // Assess
        expect(accepted).toBe(expected);
      }),
      RUNS,
    );
  });
});

describe('parsing and formatting cents', () => {
  it('formatting then parsing any contract-sized number of cents gives it back, negatives included', () => {
    fc.assert(
      fc.property(safeCents, (cents) => {
        // Prepare — an integer number of cents, e.g. a balance or a CO-45 write-off

        // Act
        const roundTripped = parseCents(formatCents(cents));

        // Assess
        expect(roundTripped).toBe(cents);
      }),
      RUNS,
    );
  });

  // Regression (formerly money.ts:33 vs :10): formatCents must not produce what parseCents cannot read back.
  it('formatting refuses amounts beyond what the decimal contract can spell', () => {
    // Prepare
    const cents = Number.MAX_SAFE_INTEGER;

    // Act
    const format = () => formatCents(cents);

    // Assess
    expect(format).toThrow(RangeError);
    expect(parseCents(formatCents(MAX_AMOUNT_CENTS))).toBe(MAX_AMOUNT_CENTS);
  });

  it.each([
    ['10', '10.00'],
    ['0.5', '0.50'],
    ['0', '0.00'],
    ['125.1', '125.10'],
    ['-12.5', '-12.50'],
    ['-0.01', '-0.01'],
  ])('"%s" is normalised to "%s"', (amount, normalised) => {
    // Prepare — an amount as the partner spelled it

    // Act
    const formatted = formatCents(parseCents(amount));

    // Assess
    expect(formatted).toBe(normalised);
  });

  it('parsing then formatting any amount spells it with exactly two decimals and the same value', () => {
    fc.assert(
      fc.property(fc.tuple(decimalAmount, fc.boolean()), ([amount, negative]) => {
        // Prepare
        const signed = negative ? `-${amount}` : amount;
        const exact = centsOracle(signed);

        // Act
        const cents = parseCents(signed);
        const formatted = formatCents(cents);

        // Assess
        expect(BigInt(cents)).toBe(exact);
        expect(formatted).toBe(formatOracle(exact));
      }),
      RUNS,
    );
  });

  it('refuses to parse anything that is not a decimal amount', () => {
    // Prepare
    const notAmounts = ['1e3', '1.005', ' 1', 'NaN', '', '--1', '1.2.3'];

    // Act
    const attempts = notAmounts.map((amount) => () => parseCents(amount));

    // Assess
    for (const attempt of attempts) expect(attempt).toThrow(RangeError);
  });

  it('refuses to format a fraction of a cent or an unsafe integer', () => {
    // Prepare
    const notCents = [0.5, Number.NaN, Number.POSITIVE_INFINITY, Number.MAX_SAFE_INTEGER + 1];

    // Act
    const attempts = notCents.map((cents) => () => formatCents(cents));

    // Assess
    for (const attempt of attempts) expect(attempt).toThrow(RangeError);
  });
});

describe('adding amounts', () => {
  it('0.10 plus 0.20 is exactly 0.30, unlike binary floats', () => {
    // Prepare
    const floatSum = 0.1 + 0.2;

    // Act
    const centsSum = parseCents('0.1') + parseCents('0.2');

    // Assess
    expect(floatSum).not.toBe(0.3);
    expect(centsSum).toBe(parseCents('0.3'));
    expect(formatCents(centsSum)).toBe('0.30');
  });

  it('the sum of parsed amounts equals the parse of their exact decimal sum', () => {
    fc.assert(
      fc.property(fc.array(everydayAmount, { maxLength: 50 }), (amounts) => {
        // Prepare — the exact decimal sum, computed in BigInt
        const exactSum = amounts.reduce((sum, amount) => sum + centsOracle(amount), 0n);

        // Act
        const centsSum = amounts.reduce((sum, amount) => sum + parseCents(amount), 0);

        // Assess
        expect(centsSum).toBe(parseCents(formatOracle(exactSum)));
        expect(BigInt(centsSum)).toBe(exactSum);
      }),
      RUNS,
    );
  });
});

describe('line amounts', () => {
  it.each([
    [1, 12_500, 12_500],
    [2.5, 1_001, 2_503],
    [0.5, 1, 1],
    [0.5, -1, -1],
    [1.5, -1, -2],
    [0.001, 499, 0],
    [0.001, 500, 1],
    [0.125, 1_999, 250],
    [99_999, 100, 9_999_900],
  ])('%s units at %s cents come to %s cents (half away from zero)', (quantity, unitPriceCents, expected) => {
    // Prepare — a line as the canonical invoice carries it

    // Act
    const amount = lineAmountCents(quantity, unitPriceCents);

    // Assess
    expect(amount).toBe(expected);
  });

  it('a line amount equals quantity × unit price rounded half away from zero, for quantities with ≤ 3 decimals', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 99_999_000 }),
        fc.integer({ min: -1_000_000_000, max: 1_000_000_000 }),
        (thousandths, unitPriceCents) => {
          // Prepare — the quantity as JSON would carry it, e.g. 2.345 anesthesia units
          const quantity = Number(
            `${Math.trunc(thousandths / 1000)}.${String(thousandths % 1000).padStart(3, '0')}`,
          );

          // Act
          const amount = lineAmountCents(quantity, unitPriceCents);

          // Assess
          expect(Number.isSafeInteger(amount)).toBe(true);
          expect(BigInt(amount)).toBe(lineAmountOracle(BigInt(thousandths), BigInt(unitPriceCents)));
        },
      ),
      RUNS,
    );
  });
});

describe('amounts exchanged with Odoo', () => {
  it('cents sent to Odoo as a float come back as the same cents', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer({ min: -100_000, max: 100_000 }),
          fc.bigInt({ min: -(10n ** 13n) + 1n, max: 10n ** 13n - 1n }).map(Number),
        ),
        (cents) => {
          // Prepare — an amount Odoo stores in a float monetary field

          // Act
          const odooAmount = centsToOdooAmount(cents);
          const back = odooAmountToCents(odooAmount);

          // Assess
          expect(odooAmount).toBe(cents / 100);
          expect(BigInt(back)).toBe(BigInt(cents));
        },
      ),
      RUNS,
    );
  });

  it('an Odoo total with float noise is read as whole cents', () => {
    // Prepare — what Odoo's float arithmetic typically hands back
    const noisyTotal = 0.1 + 0.2;

    // Act
    const cents = odooAmountToCents(noisyTotal);

    // Assess
    expect(cents).toBe(30);
  });
});
