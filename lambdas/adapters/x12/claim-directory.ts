import type { WorkflowStore } from '../dynamodb/workflow-store.js';

/**
 * Finds the encounter of a claim an X12 document names. An 835 carries CLP01 (our claim id, the 837 CLM01)
 * and CLP07 (the payer's claim control number); a 277 carries the claim id and REF*1K. CLP01 is not unique
 * (a patient account number reused across claims, see tastypackets-1.835), so when the claim index answers
 * more than one encounter the payer claim control number decides: the one whose claim already carries it
 * (from a 277, REF*1K) or that already booked a payment with it (an earlier 835, or the original of a
 * reversal). Lookups are cached for the document.
 */
export type ClaimResolution =
  | { matched: true; encounterId: string; facilityId: string; payerId: string }
  | { matched: false; reason: string };

export class ClaimDirectory {
  private readonly cache = new Map<string, Promise<ClaimResolution>>();

  constructor(private readonly store: WorkflowStore) {}

  resolve(claimId: string, payerClaimControlNumber: string | undefined): Promise<ClaimResolution> {
    const key = JSON.stringify([claimId, payerClaimControlNumber ?? null]);
    let found = this.cache.get(key);
    if (!found) {
      found = this.lookUp(claimId, payerClaimControlNumber);
      this.cache.set(key, found);
    }
    return found;
  }

  private async lookUp(claimId: string, pccn: string | undefined): Promise<ClaimResolution> {
    if (!claimId) return { matched: false, reason: 'the claim id is empty' };
    const candidates = await this.store.findClaim(claimId);
    if (candidates.length === 0) {
      return {
        matched: false,
        reason: `claim ${claimId} is unknown to the hub (no ClaimSubmitted with this claim id was accepted)`,
      };
    }
    const only = candidates.length === 1 ? candidates[0] : undefined;
    if (only)
      return {
        matched: true,
        encounterId: only.encounterId,
        facilityId: only.facilityId,
        payerId: only.payerId,
      };
    if (!pccn) {
      return {
        matched: false,
        reason: `claim id ${claimId} names ${candidates.length} claims and no payer claim control number tells them apart`,
      };
    }
    const hits = [];
    for (const candidate of candidates) {
      const workflow = await this.store.getWorkflow(candidate.encounterId);
      const known =
        workflow?.claims[claimId]?.payerClaimControlNumber === pccn ||
        Object.values(workflow?.remittances ?? {}).some(
          (r) => r.claimId === claimId && r.payerClaimControlNumber === pccn,
        );
      if (known) hits.push(candidate);
    }
    const hit = hits.length === 1 ? hits[0] : undefined;
    if (hit)
      return {
        matched: true,
        encounterId: hit.encounterId,
        facilityId: hit.facilityId,
        payerId: hit.payerId,
      };
    return {
      matched: false,
      reason: `claim id ${claimId} names ${candidates.length} claims and payer claim control number ${pccn} matches ${hits.length === 0 ? 'none' : hits.length} of them`,
    };
  }
}
