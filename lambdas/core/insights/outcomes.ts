/**
 * What the payer insights read: one adjudicated claim (its ERA) per row, with only ids, dates, amounts and
 * reason codes — no patient data. The adapters build these from the payer ledger (claims and remittances
 * accepted per payer); the core computes baselines, anomalies and forecasts from them.
 */
export interface ClaimOutcome {
  claimId: string;
  facilityId?: string;
  /** YYYY-MM-DD the claim was submitted. */
  submittedDate: string;
  /** YYYY-MM-DD of the payment (ERA) that adjudicated it. */
  paidDate: string;
  billedCents: number;
  paidCents: number;
  denied: boolean;
  /** CARC codes on the claim (e.g. "45", "197"). */
  carcs: readonly string[];
}

/** A claim submitted and not adjudicated yet. */
export interface OpenClaim {
  claimId: string;
  facilityId?: string;
  submittedDate: string;
  billedCents: number;
}

const DAY_MS = 86_400_000;

export function daysBetween(from: string, to: string): number {
  return Math.round(
    (Date.parse(`${to.slice(0, 10)}T00:00:00Z`) - Date.parse(`${from.slice(0, 10)}T00:00:00Z`)) / DAY_MS,
  );
}

export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date.slice(0, 10)}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Median absolute deviation (unscaled). */
export function mad(values: readonly number[]): number {
  const m = median(values);
  return median(values.map((v) => Math.abs(v - m)));
}

/** Outcomes in adjudication order: by payment date, then claim id (a total, stable order). */
export function byPaidDate(a: ClaimOutcome, b: ClaimOutcome): number {
  return a.paidDate.localeCompare(b.paidDate) || a.claimId.localeCompare(b.claimId);
}
