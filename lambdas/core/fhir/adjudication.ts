import type { AdjustmentGroup } from '../remittance.js';
import { type CodeableConcept, codingOf } from './datatypes.js';
import { type FhirIssue, issue } from './outcome.js';
import { isIssue, moneyCents } from './references.js';
import type { Adjudication, ClaimResponse } from './resources.js';
import { ADJUDICATION_SYSTEM, C4BB_ADJUDICATION_SYSTEM, CARC_SYSTEM } from './systems.js';

/**
 * ClaimResponse adjudication → the money of an 835 claim payment (billed, paid, CAS adjustments). The table
 * below is the whole mapping; docs/fhir.md#adjudication gives the source of each row. Categories are read from
 * http://terminology.hl7.org/CodeSystem/adjudication (a coding without a system is read as that system, as the
 * HL7 examples write it) and the CARIN Blue Button C4BBAdjudication system.
 */
export type CategoryRole =
  /** Total submitted: the billed amount (835 CLP03). */
  | { role: 'billed' }
  /** Eligible (allowed): submitted − eligible is the contractual reduction, CO-45 unless a CARC is given. */
  | { role: 'allowed' }
  /** Amount payable under the coverage: the claim payment (CLP04). */
  | { role: 'paid' }
  /** A patient-responsibility amount: one CAS adjustment of this group and CARC. */
  | { role: 'adjustment'; group: AdjustmentGroup; carc: string }
  /** Carries no money the provider books (a percentage, a tax or deductible already counted elsewhere). */
  | { role: 'ignored'; why: string };

export const ADJUDICATION_CATEGORIES: Record<string, CategoryRole> = {
  submitted: { role: 'billed' },
  eligible: { role: 'allowed' },
  benefit: { role: 'paid' },
  // CARC 1 "Deductible Amount", 2 "Coinsurance Amount", 3 "Co-payment Amount": always patient responsibility.
  deductible: { role: 'adjustment', group: 'PR', carc: '1' },
  copay: { role: 'adjustment', group: 'PR', carc: '3' },
  coinsurance: { role: 'adjustment', group: 'PR', carc: '2' },
  // C4BB: "paid to provider" is the claim payment when a payer sends it instead of `benefit`.
  paidtoprovider: { role: 'paid' },
  eligpercent: { role: 'ignored', why: 'a percentage, not an amount' },
  unallocdeduct: {
    role: 'ignored',
    why: 'deductible not allocated to a line; the allocated deductible is booked',
  },
  tax: { role: 'ignored', why: 'tax is part of the submitted and payable amounts' },
  memberliability: {
    role: 'ignored',
    why: 'the sum of the patient-responsibility amounts booked one by one',
  },
  submittedamount: { role: 'billed' },
};

const CATEGORY_SYSTEMS = [ADJUDICATION_SYSTEM, C4BB_ADJUDICATION_SYSTEM];

function categoryCode(category: CodeableConcept): string | undefined {
  const known = codingOf(category, CATEGORY_SYSTEMS)?.coding.code;
  if (known !== undefined) return known;
  return category.coding?.find((c) => c.system === undefined && c.code !== undefined)?.code;
}

/** A CARC the payer gave for an adjudication (reason coded in https://x12.org/codes/claim-adjustment-reason-codes). */
function carcOf(adjudication: Adjudication): string | undefined {
  return codingOf(adjudication.reason, [CARC_SYSTEM])?.coding.code;
}

export interface AdjudicatedMoney {
  /** Σ per category in cents, claim level. */
  billedCents?: number;
  allowedCents?: number;
  paidCents?: number;
  adjustments: Array<{ group: AdjustmentGroup; reason: string; amountCents: number }>;
  /** True when the ClaimResponse carries any adjudication amount at all. */
  adjudicated: boolean;
  issues: FhirIssue[];
  /** Where the allowed amount's CARC came from, if the payer gave one. */
  allowedCarc?: string;
}

interface Sums {
  byCategory: Map<string, number>;
  carcs: Map<string, string>;
  adjustments: Map<string, { group: AdjustmentGroup; reason: string; amountCents: number }>;
}

function sumAdjudications(
  list: ReadonlyArray<{ adjudication: readonly Adjudication[]; path: string }>,
  issues: FhirIssue[],
): Sums {
  const sums: Sums = { byCategory: new Map(), carcs: new Map(), adjustments: new Map() };
  for (const { adjudication, path } of list) {
    adjudication.forEach((a, i) => {
      const where = `${path}[${i}]`;
      const code = categoryCode(a.category);
      const role = code === undefined ? undefined : ADJUDICATION_CATEGORIES[code];
      if (a.amount === undefined) return; // eligpercent and friends carry `value`, not money
      if (code === undefined || role === undefined) {
        issues.push(
          issue(
            'error',
            'not-supported',
            `adjudication category ${code ?? '(none)'} has no documented X12 adjustment group; the hub does not guess CO, PR or OA (docs/fhir.md#adjudication)`,
            `${where}.category`,
          ),
        );
        return;
      }
      if (role.role === 'ignored') return;
      const cents = moneyCents(a.amount, `${where}.amount`);
      if (isIssue(cents)) {
        issues.push(cents);
        return;
      }
      const carc = carcOf(a);
      if (role.role === 'adjustment') {
        const reason = carc ?? role.carc;
        const key = `${role.group}-${reason}`;
        const current = sums.adjustments.get(key) ?? { group: role.group, reason, amountCents: 0 };
        current.amountCents += cents;
        sums.adjustments.set(key, current);
      }
      sums.byCategory.set(role.role, (sums.byCategory.get(role.role) ?? 0) + cents);
      if (carc !== undefined && role.role === 'allowed') sums.carcs.set('allowed', carc);
    });
  }
  return sums;
}

/**
 * Claim-level money of a ClaimResponse. Line (`item`, `addItem`) and header (`adjudication`) amounts are summed
 * per category; `total[]` is the claim-level statement of the same figures and wins where present, after
 * checking that it agrees with the lines.
 */
export function adjudicatedMoney(response: ClaimResponse, root: string): AdjudicatedMoney {
  const issues: FhirIssue[] = [];
  const lines = sumAdjudications(
    [
      ...(response.item ?? []).map((item, i) => ({
        adjudication: item.adjudication,
        path: `${root}.item[${i}].adjudication`,
      })),
      ...(response.addItem ?? []).map((item, i) => ({
        adjudication: item.adjudication,
        path: `${root}.addItem[${i}].adjudication`,
      })),
      { adjudication: response.adjudication ?? [], path: `${root}.adjudication` },
    ],
    issues,
  );
  const totals = sumAdjudications(
    (response.total ?? []).map((t, i) => ({
      adjudication: [{ category: t.category, amount: t.amount }],
      path: `${root}.total[${i}]`,
    })),
    issues,
  );
  const byRole = (role: string): number | undefined => {
    const total = totals.byCategory.get(role);
    const line = lines.byCategory.get(role);
    if (total !== undefined && line !== undefined && total !== line) {
      issues.push(
        issue(
          'error',
          'business-rule',
          `total[${role}] ${dollars(total)} differs from the ${dollars(line)} the lines adjudicate`,
          `${root}.total`,
        ),
      );
    }
    return total ?? line;
  };
  const adjustments = new Map(lines.adjustments);
  // total[] restates the lines' patient amounts; where the lines carry none, the totals are the adjustments.
  for (const [key, adjustment] of totals.adjustments) {
    const line = adjustments.get(key);
    if (line === undefined) adjustments.set(key, adjustment);
    else if (line.amountCents !== adjustment.amountCents)
      issues.push(
        issue(
          'error',
          'business-rule',
          `total ${adjustment.group}-${adjustment.reason} ${dollars(adjustment.amountCents)} differs from the ${dollars(line.amountCents)} the lines adjudicate`,
          `${root}.total`,
        ),
      );
  }
  const billedCents = byRole('billed');
  const allowedCents = byRole('allowed');
  const paidCents = byRole('paid');
  const allowedCarc = lines.carcs.get('allowed') ?? totals.carcs.get('allowed');
  return {
    ...(billedCents === undefined ? {} : { billedCents }),
    ...(allowedCents === undefined ? {} : { allowedCents }),
    ...(paidCents === undefined ? {} : { paidCents }),
    ...(allowedCarc === undefined ? {} : { allowedCarc }),
    adjustments: [...adjustments.values()],
    adjudicated: lines.byCategory.size + totals.byCategory.size > 0,
    issues,
  };
}

export function dollars(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}${Math.trunc(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}
