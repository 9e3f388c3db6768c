import { expect } from 'vitest';
import type { ClaimSpec } from '../../../lambdas/core/x12/write-835.js';

type Call = (
  method: string,
  path: string,
  body?: unknown,
) => Promise<{ status: number; body: Record<string, unknown> }>;

const dollars = (cents: number) => (cents / 100).toFixed(2);

/**
 * The billing system's side of a claim, through the JSON API: patient, payer, charges, invoice and the
 * claim itself — everything a remittance (JSON, X12 or FHIR) needs to find its encounter.
 */
export async function seedClaimThroughApi(
  call: Call,
  options: {
    claimId: string;
    billedCents: number;
    prefix: string;
    payerId: string;
    payerName: string;
    variant?: string;
    /** ISO date the claim went to the payer (default 2026-11-03). */
    submittedDate?: string;
  },
): Promise<string> {
  const { claimId, billedCents, prefix, payerId, payerName } = options;
  const tag = `${claimId.replace(/[^A-Za-z0-9]/g, '')}${options.variant ?? ''}`;
  const encounterId = `ENC-${prefix}-${tag}`;
  const base = { encounterId, facilityId: `FAC-${prefix}` };
  const patientId = `PAT-${prefix}-${tag}`;
  const line = { code: '99214', codeSystem: 'CPT' as const };
  const requests: Array<[string, string, unknown]> = [
    [
      'PUT',
      `/v1/patients/${patientId}`,
      {
        name: `Patient ${tag}`,
        birthDate: '1970-05-01',
        sourceSystem: 'ehr',
        sourceUpdatedAt: '2026-11-30T08:00:00Z',
      },
    ],
    [
      'PUT',
      `/v1/payers/${payerId}`,
      {
        name: payerName,
        payerType: 'commercial',
        sourceSystem: 'billing',
        sourceUpdatedAt: '2026-11-01T00:00:00Z',
      },
    ],
    [
      'POST',
      '/v1/charges',
      {
        chargeId: `CHG-${tag}`,
        ...base,
        patientId,
        lines: [
          {
            ...line,
            units: 1,
            amount: dollars(billedCents),
            serviceDate: '2026-11-02',
            renderingProviderNpi: '1234567893',
          },
        ],
      },
    ],
    [
      'POST',
      '/v1/invoices',
      {
        invoiceId: `INV-${tag}`,
        ...base,
        issueDate: '2026-11-02',
        currency: 'USD',
        billTo: { kind: 'payer', id: payerId, name: payerName },
        lines: [{ ...line, description: 'Visit', quantity: 1, unitPrice: dollars(billedCents) }],
      },
    ],
    [
      'POST',
      '/v1/claims',
      {
        claimId,
        ...base,
        payerId,
        invoiceIds: [`INV-${tag}`],
        billedAmount: dollars(billedCents),
        submittedDate: options.submittedDate ?? '2026-11-03',
      },
    ],
  ];
  for (const [method, path, body] of requests) {
    const answer = await call(method, path, body);
    expect(answer.status, `${method} ${path}: ${JSON.stringify(answer.body)}`).toBe(202);
  }
  return encounterId;
}

/** One claim of an 835 written by write835: a professional claim of one service date, no service lines. */
export const remittanceClaim = (
  claimId: string,
  pccn: string,
  status: string,
  billed: number,
  paid: number,
  adjustments: ClaimSpec['adjustments'],
): ClaimSpec => ({
  claimId,
  status,
  billedCents: billed,
  paidCents: paid,
  filingIndicator: '12',
  payerClaimControlNumber: pccn,
  adjustments,
  services: [],
  serviceDate: '2026-11-02',
});
