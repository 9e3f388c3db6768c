import * as z from 'zod';

/**
 * Money crosses our edges as decimal strings ("125.00") and lives inside as integer cents.
 * Binary floats never carry an amount: 0.1 + 0.2 is not a balance a payer will accept.
 */
export type Cents = number;

const DECIMAL_AMOUNT = /^(0|[1-9]\d{0,12})(\.\d{1,2})?$/;
const SIGNED_DECIMAL_AMOUNT = /^-?(0|[1-9]\d{0,12})(\.\d{1,2})?$/;

/** Non-negative decimal string with at most two decimals, e.g. "125.00", "0.5", "10". */
export const DecimalAmount = z
  .string()
  .regex(DECIMAL_AMOUNT, 'must be a non-negative decimal amount with at most two decimals, e.g. "125.00"')
  .meta({ description: 'Non-negative amount as a decimal string, at most two decimals', example: '125.00' });

/** Signed variant for adjustments and reversals, where a negative amount is meaningful. */
export const SignedDecimalAmount = z
  .string()
  .regex(SIGNED_DECIMAL_AMOUNT, 'must be a decimal amount with at most two decimals, e.g. "-12.50"')
  .meta({ description: 'Signed amount as a decimal string, at most two decimals', example: '-12.50' });

/** Largest magnitude the decimal-string contract can spell (13 integer digits), in cents. */
export const MAX_AMOUNT_CENTS: Cents = 999_999_999_999_999;

export function parseCents(amount: string): Cents {
  if (!SIGNED_DECIMAL_AMOUNT.test(amount)) throw new RangeError(`not a decimal amount: ${amount}`);
  const negative = amount.startsWith('-');
  const [whole = '0', fraction = ''] = (negative ? amount.slice(1) : amount).split('.');
  const cents = Number(whole) * 100 + Number(fraction.padEnd(2, '0'));
  // No negative zero: "-0.00" is zero.
  return negative && cents !== 0 ? -cents : cents;
}

/** Formats cents as the decimal string the contract speaks; refuses what parseCents could not read back. */
export function formatCents(cents: Cents): string {
  if (!Number.isSafeInteger(cents)) throw new RangeError(`not an integer number of cents: ${cents}`);
  if (Math.abs(cents) > MAX_AMOUNT_CENTS)
    throw new RangeError(`amount beyond ${MAX_AMOUNT_CENTS} cents: ${cents}`);
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}${Math.trunc(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/** Odoo's monetary fields are floats with two decimals; this is the one place that conversion happens. */
export function centsToOdooAmount(cents: Cents): number {
  return Number(formatCents(cents));
}

export function odooAmountToCents(amount: number): Cents {
  return Math.round(amount * 100);
}

/**
 * Quantity × unit price in cents, rounded half away from zero like Odoo's line subtotal.
 * Quantities carry at most three decimals (anesthesia units, fractional hours), so scale to thousandths
 * and stay in integers (BigInt) for the product.
 */
export function lineAmountCents(quantity: number, unitPriceCents: Cents): Cents {
  const quantityThousandths = BigInt(Math.round(quantity * 1000));
  const product = quantityThousandths * BigInt(unitPriceCents);
  const negative = product < 0n;
  const abs = negative ? -product : product;
  const rounded = (abs + 500n) / 1000n;
  return Number(negative ? -rounded : rounded);
}
