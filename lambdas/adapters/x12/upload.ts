import { type EraDeposit, eraDepositOf } from '../../core/era-deposit.js';
import type { X12Issue } from '../../core/x12/envelope.js';
import {
  type ClaimPayment835,
  claimInterestInPaid,
  type Remittance835,
  read835,
} from '../../core/x12/remittance-835.js';
import {
  EraReversals,
  type UnmatchedClaim,
  withoutRepeatedInterchanges,
} from '../../core/x12/remittance-events.js';
import {
  type AcceptFn,
  acceptRemittanceDocument,
  type DocumentContext,
  depositPayerUnknown,
  type EraPlacement,
  eraDepositEvent,
  eraKey,
  PayingPayers,
  type RemittanceDocumentAnswer,
  type X12Event,
} from './documents.js';

/**
 * The large-file path (docs/x12.md#large-files): an 835 too big for a request body (over 256 KB; API
 * Gateway's hard limit is 10 MB, a 20,000-claim ERA is ~15 MB) is read from object storage as a stream,
 * twice, and never held whole:
 *   1. validate: every envelope, syntax and balancing rule, keeping only sums (constant memory). Any issue
 *      refuses the whole file — nothing is posted, as on the inline path. With `check` (the uploader's
 *      entitlement, docs/security.md#ownership), every batch's events are also checked here, storing nothing:
 *      a file with one claim the uploader may not act for is refused whole, before any batch is accepted.
 *   2. accept: read again and accept the claim payments in batches of `batchSize`, each batch through the
 *      same document acceptance as the inline path (claim index, unmatched kept, content-derived ids), all
 *      under the upload's own idempotency key. A crash mid-way is mended by running again: ids are stable,
 *      the timeline recognises what it recorded and the booking layer what it booked.
 * `open` returns a fresh stream of the stored object each time (S3 GetObject Body in AWS, a file locally).
 */
export interface UploadOutcome {
  status: 'refused' | 'accepted';
  bytes: number;
  claims: number;
  issues: X12Issue[];
  accepted: number;
  unmatched: UnmatchedClaim[];
  providerAdjustments: number;
}

type Placed = {
  claim: ClaimPayment835;
  transaction: Pick<Remittance835, 'header' | 'payment' | 'trace' | 'payer'>;
};

/** One batch of claim payments through the document acceptance, grouped back into their transactions. */
async function acceptBatch(
  claims: Placed[],
  context: DocumentContext,
  seen: Map<string, number>,
  reversals: EraReversals,
): Promise<RemittanceDocumentAnswer> {
  const transactions = new Map<string, Remittance835>();
  for (const { claim, transaction } of claims) {
    // A second copy of an interchange stays apart from the first (and is dropped as a duplicate).
    const key = `${transaction.header.interchangeIndex ?? 0}/${transaction.header.interchangeControlNumber}/${transaction.header.controlNumber}`;
    let t = transactions.get(key);
    if (!t) {
      t = { ...(transaction as Remittance835), claims: [], providerAdjustments: [] };
      transactions.set(key, t);
    }
    t.claims.push(claim);
  }
  return acceptRemittanceDocument(
    {
      transactions: [...transactions.values()],
      issues: [],
      warnings: [],
      bytes: 0,
      segments: 0,
      claims: claims.length,
    },
    context,
    seen,
    { reversals },
  );
}

export async function acceptRemittanceUpload(
  open: () => AsyncIterable<Buffer>,
  context: DocumentContext,
  options: {
    batchSize?: number;
    /** Refuses (throws) events the uploader may not write; run over the whole file before accepting any. */
    check?: (events: Parameters<AcceptFn>[0]) => Promise<void>;
  } = {},
): Promise<UploadOutcome> {
  const batchSize = options.batchSize ?? 200;
  const check = options.check;
  const dryRun: DocumentContext = {
    ...context,
    dryRun: true,
    accept: async (events) => {
      await check?.(events);
      return events.map(() => ({ id: '' }));
    },
  };
  let checking: Placed[] = [];
  const checkSeen = new Map<string, number>();
  const checkPlacements = new Map<string, EraPlacement>();
  const checkBatch = async () => {
    const claims = checking;
    checking = [];
    addPlacements(checkPlacements, (await acceptBatch(claims, dryRun, checkSeen, reversals)).eras);
  };
  // The validation pass also notes the file's reversals: a correction is booked after its reversal even when
  // the two fall in different batches (issue 14).
  const reversals = new EraReversals();
  // Each ERA's claims counted in the validation pass (constant memory): its deposit's claim payments.
  const totals = new Map<string, NonNullable<EraDeposit['claimTotals']>>();
  const validation = await read835(open(), {
    keepClaims: false,
    onClaim: (claim: ClaimPayment835, transaction: Placed['transaction']) => {
      reversals.note(transaction.trace.traceNumber, claim);
      countClaim(totals, eraKey(transaction.header), claim);
      if (!check) return undefined;
      checking.push({ claim, transaction });
      return checking.length >= batchSize ? checkBatch() : undefined;
    },
  });
  if (check && validation.issues.length === 0) {
    if (checking.length > 0) await checkBatch();
    await acceptEraDeposits(validation.transactions, totals, checkPlacements, dryRun);
    const plbs = validation.transactions.filter((t) => t.providerAdjustments.length > 0);
    if (plbs.length > 0)
      await acceptRemittanceDocument(
        { transactions: plbs, issues: [], warnings: [], bytes: 0, segments: 0, claims: 0 },
        dryRun,
        undefined,
        { deposits: false },
      );
  }
  if (validation.issues.length > 0) {
    return {
      status: 'refused',
      bytes: validation.bytes,
      claims: validation.claims,
      issues: validation.issues.slice(0, 100),
      accepted: 0,
      unmatched: [],
      providerAdjustments: 0,
    };
  }

  let batch: Placed[] = [];
  let accepted = 0;
  const unmatched: UnmatchedClaim[] = [];
  // Remittance ids number repeats (`#n`) across the whole file, not per batch.
  const seen = new Map<string, number>();
  const placements = new Map<string, EraPlacement>();
  const flush = async () => {
    const claims = batch;
    batch = [];
    const answer = await acceptBatch(claims, context, seen, reversals);
    accepted += answer.accepted.length;
    unmatched.push(...answer.unmatched);
    addPlacements(placements, answer.eras);
  };
  const read = await read835(open(), {
    keepClaims: false,
    onClaim: (claim, transaction) => {
      batch.push({ claim, transaction });
      return batch.length >= batchSize ? flush() : undefined;
    },
  });
  if (batch.length > 0) await flush();
  // Provider-level adjustments (PLB) come last in each transaction: accepted once the claims are.
  const plbOnly = read.transactions.filter((t) => t.providerAdjustments.length > 0);
  let providerAdjustments = 0;
  if (plbOnly.length > 0) {
    const answer = await acceptRemittanceDocument(
      { transactions: plbOnly, issues: [], warnings: [], bytes: 0, segments: 0, claims: 0 },
      context,
      undefined,
      { deposits: false },
    );
    providerAdjustments = answer.providerAdjustments.length;
  }
  // Each ERA's deposit (BPR02 by TRN02), once its claims are all accepted: as POST /v1/remittances books it.
  await acceptEraDeposits(read.transactions, totals, placements, context);
  return {
    status: 'accepted',
    bytes: read.bytes,
    claims: read.claims,
    issues: [],
    accepted,
    unmatched,
    providerAdjustments,
  };
}

function countClaim(
  totals: Map<string, NonNullable<EraDeposit['claimTotals']>>,
  key: string,
  claim: ClaimPayment835,
): void {
  const t = totals.get(key) ?? { claims: 0, paidCents: 0, interestCents: 0 };
  const interestCents = claimInterestInPaid(claim);
  t.claims += 1;
  t.paidCents += claim.paidCents - interestCents;
  t.interestCents += interestCents;
  totals.set(key, t);
}

/** Batches of one ERA add up: the first placed claim's payer, and every unplaced claim. */
function addPlacements(into: Map<string, EraPlacement>, eras: EraPlacement[]): void {
  for (const era of eras) {
    const known = into.get(era.key);
    if (!known) {
      into.set(era.key, { ...era, unplaced: { ...era.unplaced } });
      continue;
    }
    if (known.payerId === undefined && era.payerId !== undefined) known.payerId = era.payerId;
    known.unplaced.claims += era.unplaced.claims;
    known.unplaced.paidCents += era.unplaced.paidCents;
  }
}

/**
 * One `EraDepositReceived` per ERA of the file (a repeated interchange once), its claims counted rather than
 * listed (`claimTotals`); the payer of its placed claims, else the one it names; an ERA with no payer the hub
 * knows opens a finance exception instead (documents.ts `depositPayerUnknown`).
 */
async function acceptEraDeposits(
  transactions: readonly Remittance835[],
  totals: Map<string, NonNullable<EraDeposit['claimTotals']>>,
  placements: Map<string, EraPlacement>,
  context: DocumentContext,
): Promise<void> {
  const payers = new PayingPayers(context.store);
  const events: X12Event[] = [];
  for (const transaction of withoutRepeatedInterchanges(transactions).kept) {
    const key = eraKey(transaction.header);
    const claimTotals = totals.get(key);
    if (!claimTotals && transaction.providerAdjustments.length === 0) continue;
    const placement = placements.get(key);
    const unplaced = placement?.unplaced ?? { claims: 0, paidCents: 0 };
    const payerId = placement?.payerId ?? (await payers.named(transaction));
    if (payerId === undefined) {
      events.push(depositPayerUnknown(context, transaction, unplaced));
      continue;
    }
    const deposit = eraDepositOf({ ...transaction, claims: [] }, payerId, unplaced);
    events.push(eraDepositEvent(claimTotals ? { ...deposit, claimTotals } : deposit));
  }
  if (events.length > 0) await context.accept(events);
}
