import type { RemittanceReceived } from './remittance.js';

/**
 * Claim-level balancing of one 835 claim payment (CLP loop), checked at the edge so a partner hears about an
 * unbalanced remittance as a 400 with field paths instead of finance finding it in the ledger.
 *
 * The rules are the 835 TR3's claim balancing and CLP05 rule (see test/fixtures/x12/SOURCES.md):
 *   - CLP03 billed − CLP04 paid = Σ CAS amounts of every group (CO, PR, OA, PI; amounts may be negative);
 *   - CLP05 patient responsibility = Σ PR adjustments (X12 RFI 2548);
 *   - a reversal (CLP02 22) repeats the original with every amount negated, so billed and paid are ≤ 0 and
 *     the same two equalities hold; any other status bills a non-negative amount.
 *
 * Sums are exact in BigInt: 99 adjustments of the largest contract amount exceed Number.MAX_SAFE_INTEGER.
 * Paths are JSON Pointers into the request body (`RemittanceRequest`), which is what the API answers with.
 */
export interface BalanceViolation {
  path: string;
  message: string;
}

export function remittanceBalanceViolations(r: RemittanceReceived): BalanceViolation[] {
  const violations: BalanceViolation[] = [];
  const billed = BigInt(r.billedCents);
  const paid = BigInt(r.paidCents);
  const adjustmentsTotal = r.adjustments.reduce((sum, a) => sum + BigInt(a.amountCents), 0n);
  const prTotal = r.adjustments
    .filter((a) => a.group === 'PR')
    .reduce((sum, a) => sum + BigInt(a.amountCents), 0n);

  if (r.claimStatus === '22') {
    if (billed > 0n) {
      violations.push({
        path: '/billedAmount',
        message: `a reversal (claim status 22) negates the original charge, so billed must be 0.00 or less, not ${dollars(billed)}`,
      });
    }
    if (paid > 0n) {
      violations.push({
        path: '/paidAmount',
        message: `a reversal (claim status 22) takes the original payment back, so paid must be 0.00 or less, not ${dollars(paid)}`,
      });
    }
  } else if (billed < 0n) {
    violations.push({
      path: '/billedAmount',
      message: `billed must be 0.00 or more for claim status ${r.claimStatus}, not ${dollars(billed)}; only a reversal (22) bills a negative amount`,
    });
  }

  if (billed - paid !== adjustmentsTotal) {
    violations.push({
      path: '/adjustments',
      message: `billed ${dollars(billed)} − paid ${dollars(paid)} = ${dollars(billed - paid)} but adjustments total ${dollars(adjustmentsTotal)}`,
    });
  }

  const patientResponsibility = BigInt(r.patientResponsibilityCents);
  if (patientResponsibility !== prTotal) {
    violations.push({
      path: '/patientResponsibility',
      message: `patient responsibility ${dollars(patientResponsibility)} but PR adjustments total ${dollars(prTotal)}`,
    });
  }

  return violations;
}

/** "1234.50", "-0.01": exact for any BigInt, unlike formatCents which stops at the contract's limit. */
function dollars(cents: bigint): string {
  const negative = cents < 0n;
  const abs = negative ? -cents : cents;
  return `${negative ? '-' : ''}${abs / 100n}.${(abs % 100n).toString().padStart(2, '0')}`;
}
