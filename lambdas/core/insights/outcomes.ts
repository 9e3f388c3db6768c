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

/** A payer-ledger remittance (adapters/dynamodb/reconciliation-store.ts LedgerRemittance) as insights read it. */
export interface LedgerEra {
  claimId: string;
  facilityId?: string;
  paymentDate: string;
  paidCents: number;
  claimStatus: string;
  billedCents?: number;
  carcs?: readonly string[];
}

export interface LedgerSubmission {
  claimId: string;
  facilityId?: string;
  submittedDate: string;
  billedCents: number;
}

/**
 * Joins a payer's claims and remittances by claim id: the latest remittance of a claim adjudicates it
 * (a reversal, status 22, undoes it), claims without one are open. Denied: status 4, or nothing paid.
 */
export function outcomesFromLedger(
  claims: readonly LedgerSubmission[],
  eras: readonly LedgerEra[],
): { outcomes: ClaimOutcome[]; open: OpenClaim[] } {
  const latest = new Map<string, LedgerEra>();
  for (const era of [...eras].sort((a, b) => a.paymentDate.localeCompare(b.paymentDate))) {
    if (era.claimStatus === '22') latest.delete(era.claimId);
    else latest.set(era.claimId, era);
  }
  const outcomes: ClaimOutcome[] = [];
  const open: OpenClaim[] = [];
  const seen = new Set<string>();
  for (const claim of claims) {
    if (seen.has(claim.claimId)) continue;
    seen.add(claim.claimId);
    const era = latest.get(claim.claimId);
    if (!era) {
      open.push({ ...claim });
      continue;
    }
    outcomes.push({
      claimId: claim.claimId,
      ...(claim.facilityId ? { facilityId: claim.facilityId } : {}),
      submittedDate: claim.submittedDate,
      paidDate: era.paymentDate.slice(0, 10),
      billedCents: era.billedCents ?? claim.billedCents,
      paidCents: era.paidCents,
      denied: era.claimStatus === '4' || era.paidCents <= 0,
      carcs: era.carcs ?? [],
    });
  }
  return { outcomes, open };
}
