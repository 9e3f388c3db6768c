import type { RemittanceReceived } from './remittance.js';

/** What the hub remembers of a remittance it booked for a payer claim. */
export interface BookedRemittance {
  remittanceId: string;
  payerClaimControlNumber: string;
  claimStatus: string;
  stepRefs: string[];
  reversed?: boolean;
}

export type RemittanceSequence =
  | { kind: 'already-booked' }
  | { kind: 'wait'; waitingFor: string }
  | { kind: 'book'; original?: BookedRemittance };

/**
 * Whether a remittance can be booked now, given the remittances already booked for the encounter. Payers
 * retransmit ERAs (book once); a reversal (CLP02 22) undoes what its original booked, so it waits for the
 * original; another payment for the same payer claim (a correction) waits until the standing payment is
 * reversed — otherwise the claim would be paid twice. Payer claims match by CLP07, not CLP01.
 */
export function sequenceRemittance(
  remittance: RemittanceReceived,
  booked: readonly BookedRemittance[],
): RemittanceSequence {
  if (booked.some((r) => r.remittanceId === remittance.remittanceId)) return { kind: 'already-booked' };
  const standing = booked.find(
    (r) =>
      r.payerClaimControlNumber === remittance.payerClaimControlNumber &&
      r.claimStatus !== '22' &&
      !r.reversed,
  );
  if (remittance.claimStatus === '22') {
    return standing
      ? { kind: 'book', original: standing }
      : { kind: 'wait', waitingFor: `the remittance reversed by ${remittance.remittanceId}` };
  }
  return standing
    ? { kind: 'wait', waitingFor: `the reversal of remittance ${standing.remittanceId}` }
    : { kind: 'book' };
}
