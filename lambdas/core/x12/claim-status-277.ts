import type { ClaimStatus, ClaimStatusChanged } from '../claim.js';
import { x12Cents, x12Date } from './amounts.js';
import { EnvelopeReader, issueAt, positionOf, type TransactionHeader, type X12Issue } from './envelope.js';
import { components, type Segment, type SegmentPosition, segmentBatches } from './tokenizer.js';

/**
 * 277 claim status (005010X212, the answer to a 276) and 277CA claim acknowledgment (005010X214), read into
 * one status per claim (loop 2200D/2200E, opened by its TRN). Which of our claims: in a 277CA, TRN02 of the
 * claim loop is exactly the 837 CLM01 (X12 RFI 1926); in a 277 it is the 276 trace and the claim id is
 * REF*EJ (patient control number) — so REF*EJ wins when present. REF*1K is the payer claim control number,
 * the same value as the 835 CLP07 (X12 RFI 1808).
 */
export const CLAIM_STATUS_277 = {
  transactionSet: '277',
  implementations: ['005010X212', '005010X214'],
  description: 'the 277 claim status (005010X212) and 277CA claim acknowledgment (005010X214)',
} as const;

export interface StatusCode277 {
  /** STC01-1 category: A1–A8, F0–F4, P0–P5, R…, E…, D0. */
  category: string;
  code?: string;
  entity?: string;
}

export interface ClaimStatus277 {
  claimId: string;
  /** TRN02 of the claim loop. */
  trace: string;
  payerClaimControlNumber?: string;
  /** The claim-level STC segments, first one first (it decides the status). */
  statuses: Array<{
    codes: StatusCode277[];
    effectiveDate?: string;
    chargeCents?: number;
    paidCents?: number;
    position: SegmentPosition;
  }>;
  header: TransactionHeader;
  /** BHT04: when the payer made the 277, the effective date when an STC02 is missing. */
  documentDate?: string;
  position: SegmentPosition;
}

export interface Read277 {
  claims: ClaimStatus277[];
  issues: X12Issue[];
  segments: number;
}

export async function read277(
  chunks: AsyncIterable<Buffer | string> | Iterable<Buffer | string>,
): Promise<Read277> {
  const envelope = new EnvelopeReader(CLAIM_STATUS_277);
  const issues: X12Issue[] = [];
  const claims: ClaimStatus277[] = [];
  let segments = 0;
  let header: TransactionHeader | undefined;
  /** HL03 of the current hierarchical level. */
  let level = '';
  let claim: ClaimStatus277 | undefined;
  let inService = false;
  let ej: string | undefined;
  let documentDate: string | undefined;
  const close = () => {
    if (claim) {
      if (ej) claim.claimId = ej;
      if (claim.statuses.length === 0)
        issues.push(issueAt(claim.position, `claim ${claim.claimId} has no STC status`));
      claims.push(claim);
    }
    claim = undefined;
    inService = false;
    ej = undefined;
  };
  for await (const batch of segmentBatches(chunks)) {
    for (const segment of batch) {
      segments += 1;
      const step = envelope.step(segment);
      if (step.kind === 'open') header = step.header;
      if (step.kind === 'close') close();
      if (step.kind !== 'body' || !header) continue;
      const e = segment.elements;
      switch (segment.id) {
        case 'BHT':
          documentDate = x12Date(e[3]);
          break;
        case 'HL':
          close();
          level = e[2] ?? '';
          break;
        case 'TRN':
          if (!['22', '23', 'PT'].includes(level)) break; // payer, receiver or provider trace
          close();
          if (!e[1]) issues.push(issueAt(segment, 'TRN02 claim status tracking number is missing'));
          claim = {
            claimId: e[1] ?? '',
            trace: e[1] ?? '',
            statuses: [],
            header,
            ...(documentDate ? { documentDate } : {}),
            position: positionOf(segment),
          };
          break;
        case 'STC':
          if (claim && !inService) claim.statuses.push(stc(segment, issues));
          break;
        case 'REF':
          if (!claim || inService) break;
          if (e[0] === '1K' && e[1]) claim.payerClaimControlNumber = e[1];
          if (e[0] === 'EJ' && e[1]) ej = e[1];
          break;
        case 'SVC':
          inService = true;
          break;
        default:
          break;
      }
    }
  }
  close();
  envelope.finish();
  return { claims, issues: [...envelope.issues, ...issues], segments };
}

function stc(segment: Segment, issues: X12Issue[]): ClaimStatus277['statuses'][number] {
  const e = segment.elements;
  const codes: StatusCode277[] = [];
  for (const value of [e[0], e[9], e[10]]) {
    if (!value) continue;
    const [category = '', code, entity] = components(value, segment.delimiters);
    if (!/^[A-Z][0-9A-Z]{1,2}$/.test(category)) {
      issues.push(issueAt(segment, `"${value}" is not a claim status composite (category:code:entity)`));
      continue;
    }
    codes.push({ category, ...(code ? { code } : {}), ...(entity ? { entity } : {}) });
  }
  if (codes.length === 0) issues.push(issueAt(segment, 'STC01 claim status is missing'));
  const effectiveDate = x12Date(e[1]);
  if (e[1] && !effectiveDate) issues.push(issueAt(segment, `STC02 "${e[1]}" is not a CCYYMMDD date`));
  const charge = e[3] ? x12Cents(e[3]) : undefined;
  const paid = e[4] ? x12Cents(e[4]) : undefined;
  if (e[3] && charge === undefined) issues.push(issueAt(segment, `STC04 "${e[3]}" is not an amount`));
  if (e[4] && paid === undefined) issues.push(issueAt(segment, `STC05 "${e[4]}" is not an amount`));
  return {
    codes,
    ...(effectiveDate ? { effectiveDate } : {}),
    ...(charge !== undefined ? { chargeCents: charge } : {}),
    ...(paid !== undefined ? { paidCents: paid } : {}),
    position: positionOf(segment),
  };
}

/**
 * Claim status category (STC01-1, X12 code list 507) → the hub's claim status:
 *   A0 forwarded, A1 receipt, A2 accepted into adjudication, A5 split → accepted;
 *   A3 returned as unprocessable, A4 not found, A6 missing information, A7 invalid information,
 *   A8 relational field in error → rejected;
 *   P0–P5 pending, R0–R16 request for additional information → pended;
 *   F1 paid → paid; F2 denial → denied; F4 adjudication complete, no payment forthcoming → denied;
 *   F0 finalized, F3 revised → paid when STC05 pays something, else accepted (the ERA will tell).
 * E (response not possible) and D0 (data search unsuccessful) describe the 276 inquiry, not the claim.
 */
export function hubClaimStatus(category: string, paidCents: number | undefined): ClaimStatus | undefined {
  if (['A0', 'A1', 'A2', 'A5'].includes(category)) return 'accepted';
  if (['A3', 'A4', 'A6', 'A7', 'A8'].includes(category)) return 'rejected';
  if (/^P[0-5]$/.test(category) || /^R\d{1,2}$/.test(category)) return 'pended';
  if (category === 'F1') return 'paid';
  if (category === 'F2' || category === 'F4') return 'denied';
  if (category === 'F0' || category.startsWith('F3')) return (paidCents ?? 0) > 0 ? 'paid' : 'accepted';
  return undefined;
}

/** The claim status event for a read 277 claim, or why there is none. */
export function toClaimStatusChanged(
  claim: ClaimStatus277,
  match: { encounterId: string; facilityId: string },
): { data: ClaimStatusChanged } | { skipped: string } {
  const first = claim.statuses[0];
  const category = first?.codes[0]?.category;
  if (!first || !category) return { skipped: 'no claim-level STC' };
  const status = hubClaimStatus(category, first.paidCents);
  if (!status) return { skipped: `category ${category} describes the inquiry, not the claim` };
  const effectiveDate = first.effectiveDate ?? claim.documentDate;
  if (!effectiveDate) return { skipped: 'no effective date (STC02 or BHT04)' };
  const payerCodes = claim.statuses.flatMap((s) => s.codes).slice(0, 10);
  return {
    data: {
      statusId: statusIdOf(claim),
      claimId: claim.claimId,
      encounterId: match.encounterId,
      facilityId: match.facilityId,
      status,
      payerCodes,
      effectiveDate,
      ...(claim.payerClaimControlNumber ? { payerClaimControlNumber: claim.payerClaimControlNumber } : {}),
    },
  };
}

/** From the content, so a retransmitted 277 is recognised: `277:<trace>:<category>[:<code>]:<date>`. */
export function statusIdOf(claim: ClaimStatus277): string {
  const first = claim.statuses[0];
  const code = first?.codes[0];
  return `277:${claim.trace}:${code?.category ?? ''}${code?.code ? `:${code.code}` : ''}:${first?.effectiveDate ?? ''}`;
}
