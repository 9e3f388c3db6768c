import type { Cents } from '../money.js';

/**
 * X12 `R` (decimal) amounts: optional minus, digits with an optional decimal point ("945", "127.8", "-1.27",
 * ".5"); never an exponent or a thousands separator. Money carries at most two decimals. Parsed exactly into
 * integer cents from the digits — never through a float.
 */
export const X12_AMOUNT = /^-?(?:\d{1,13}(?:\.\d{0,2})?|\.\d{1,2})$/;

export function x12Cents(value: string): Cents | undefined {
  // Hand-rolled (a 20,000-claim 835 has ~150,000 amounts); same language as X12_AMOUNT.
  const length = value.length;
  let i = value.charCodeAt(0) === 45 ? 1 : 0; // '-'
  let whole = 0;
  let wholeDigits = 0;
  for (; i < length; i++) {
    const c = value.charCodeAt(i) - 48;
    if (c < 0 || c > 9) break;
    whole = whole * 10 + c;
    wholeDigits++;
  }
  let fraction = 0;
  let fractionDigits = 0;
  if (i < length && value.charCodeAt(i) === 46) {
    for (i++; i < length; i++) {
      const c = value.charCodeAt(i) - 48;
      if (c < 0 || c > 9) return undefined;
      fraction = fraction * 10 + c;
      fractionDigits++;
    }
  }
  if (i !== length || wholeDigits > 13 || fractionDigits > 2 || wholeDigits + fractionDigits === 0)
    return undefined;
  if (wholeDigits === 0 && fractionDigits === 0) return undefined;
  const cents = whole * 100 + (fractionDigits === 1 ? fraction * 10 : fraction);
  return value.charCodeAt(0) === 45 && cents !== 0 ? -cents : cents;
}

/** Cents → the shortest X12 spelling with two decimals ("945.00", "-1.27"). */
export function centsToX12(cents: Cents): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}${Math.trunc(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/** CCYYMMDD → YYYY-MM-DD, or undefined when it is not a real date. */
const dates = new Map<string, string | undefined>();

export function x12Date(value: string | undefined): string | undefined {
  if (!value || value.length !== 8) return undefined;
  // An ERA repeats a handful of dates thousands of times: remember what was checked.
  if (dates.has(value)) return dates.get(value);
  let iso: string | undefined;
  if (/^\d{8}$/.test(value)) {
    iso = `${value.slice(0, 4)}-${value.slice(4, 6)}-${value.slice(6, 8)}`;
    const parsed = new Date(`${iso}T00:00:00Z`);
    if (Number.isNaN(parsed.getTime()) || !parsed.toISOString().startsWith(iso)) iso = undefined;
  }
  if (dates.size > 10_000) dates.clear();
  dates.set(value, iso);
  return iso;
}

/** Exact decimal string of a BigInt number of cents, for messages. */
export function dollars(cents: bigint | number): string {
  const value = BigInt(cents);
  const negative = value < 0n;
  const abs = negative ? -value : value;
  return `${negative ? '-' : ''}${abs / 100n}.${(abs % 100n).toString().padStart(2, '0')}`;
}
