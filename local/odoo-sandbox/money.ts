/** Money is integer cents inside the sandbox; floats with two decimals only at the RPC edge. */
export type Cents = number;

export function toCents(amount: unknown): Cents {
  const value = Number(amount ?? 0);
  if (!Number.isFinite(value)) return 0;
  // toFixed(6) first so 1.005 * 100 = 100.49999999999999 still rounds half away from zero like Odoo's
  // float_round(..., precision_rounding=0.01, rounding_method='HALF-UP').
  const scaled = Number((Math.abs(value) * 100).toFixed(6));
  return Math.sign(value) * Math.round(scaled);
}

export function fromCents(cents: Cents): number {
  return Number((cents / 100).toFixed(2)) + 0; // + 0 turns -0 into 0
}

/** quantity × price_unit × (1 − discount%), rounded once per line as Odoo does for price_subtotal. */
export function lineSubtotalCents(quantity: number, priceUnit: number, discountPercent = 0): Cents {
  const raw = quantity * priceUnit * (1 - discountPercent / 100);
  return toCents(Number(raw.toFixed(8)));
}

/** Odoo's format_date for the en_US language: MM/DD/YYYY. */
export function formatDateUs(isoDate: string): string {
  const [year, month, day] = isoDate.split('-');
  return `${month}/${day}/${year}`;
}
