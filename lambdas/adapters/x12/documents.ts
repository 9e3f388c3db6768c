import { type EraDeposit, type EraDepositReceived, eraDepositOf } from '../../core/era-deposit.js';
import { deterministicEventId } from '../../core/event-id.js';
import type { CanonicalEvent, EventType } from '../../core/events.js';
import { subjectsOf } from '../../core/exception-keys.js';
import { intakes } from '../../core/intake.js';
import type { PayerUpserted } from '../../core/master-data.js';
import { formatCents } from '../../core/money.js';
import { type Read277, toClaimStatusChanged } from '../../core/x12/claim-status-277.js';
import { issueAt, type X12Issue } from '../../core/x12/envelope.js';
import { claimInterestInPaid, type Read835, type Remittance835 } from '../../core/x12/remittance-835.js';
import {
  type DuplicateClaim,
  type EraReversals,
  plannedRemittances,
  providerAdjustments,
  toRemittanceReceived,
  type UnmatchedClaim,
  withoutRepeatedInterchanges,
} from '../../core/x12/remittance-events.js';
import { segmentPath } from '../../core/x12/tokenizer.js';
import type { UnmatchedEntry, WorkflowStore } from '../dynamodb/workflow-store.js';
import { ClaimDirectory } from './claim-directory.js';

/**
 * Accepting a read X12 document: each claim payment (835 CLP) or claim status (277 claim loop) is placed on
 * its encounter through the claim index, the rest is kept as unmatched — never dropped — and answered. All
 * events of the document go through `accept` under the request's Idempotency-Key, each with a discriminator
 * derived from the content (remittanceId, statusId, adjustmentId), so ids are stable across retries and the
 * booking layer recognises a retransmitted ERA by remittanceId whatever key it came under.
 */
export type X12Event = CanonicalEvent;

export type AcceptFn = (events: X12Event[]) => Promise<Array<{ id: string }>>;

export interface DocumentContext {
  store: WorkflowStore;
  accept: AcceptFn;
  clientId: string;
  idempotencyKey: string;
  correlationId: string;
  now: () => string;
  /** A check run (large uploads check a whole file before accepting any of it): nothing is stored. */
  dryRun?: boolean;
}

export interface RemittanceDocumentAnswer {
  transactions: number;
  claims: number;
  accepted: Array<{ remittanceId: string; claimId: string; encounterId: string; eventId: string }>;
  providerAdjustments: Array<{
    adjustmentId: string;
    providerId: string;
    amountCents: number;
    eventId: string;
  }>;
  unmatched: UnmatchedClaim[];
  warnings: X12Issue[];
  /** Per ERA (835 transaction) of this call: the payer of its placed claims and what could not be placed. */
  eras: EraPlacement[];
}

/** What accepting an ERA's claims learned for its deposit (the upload path adds these up across batches). */
export interface EraPlacement {
  /** `eraKey` of the transaction. */
  key: string;
  traceNumber: string;
  /** The hub payer of the first placed claim; absent when none was placed. */
  payerId?: string;
  unplaced: NonNullable<EraDeposit['unplaced']>;
}

/** One 835 transaction of one copy of an interchange: how batches of a file find their transaction again. */
export function eraKey(header: Remittance835['header']): string {
  return `${header.interchangeIndex ?? 0}/${header.interchangeControlNumber}/${header.controlNumber}`;
}

export async function acceptRemittanceDocument(
  read: Read835,
  context: DocumentContext,
  /** Remittance-id repeat counts of earlier batches of the same file (upload path). */
  seen?: Map<string, number>,
  {
    deposits = seen === undefined,
    reversals,
  }: {
    /**
     * One `EraDepositReceived` per transaction whose payer a placed claim names (issue 14). Only when the
     * transactions are whole: the upload path sees a transaction's claims in batches.
     */
    deposits?: boolean;
    /** The file's reversals, read before its batches (upload path); else read from `read`. */
    reversals?: EraReversals;
  } = {},
): Promise<RemittanceDocumentAnswer> {
  const directory = new ClaimDirectory(context.store);
  const seenCounts = seen ?? new Map<string, number>();
  const payers = new PayingPayers(context.store);
  const events: X12Event[] = [];
  const placed: Array<{ remittanceId: string; claimId: string; encounterId: string }> = [];
  const unmatched: UnmatchedClaim[] = [];
  const warnings: X12Issue[] = [...read.warnings];
  const intake = intakes.submitRemittance;
  /** Per transaction: the payer of the first claim of it the hub placed, and the claims it could not place. */
  const eras = new Map<Remittance835, EraPlacement>();
  const eraOf = (t: Remittance835): EraPlacement => {
    let era = eras.get(t);
    if (!era) {
      era = {
        key: eraKey(t.header),
        traceNumber: t.trace.traceNumber,
        unplaced: { claims: 0, paidCents: 0 },
      };
      eras.set(t, era);
    }
    return era;
  };
  const { kept, repeated } = withoutRepeatedInterchanges(read.transactions, seenCounts);
  for (const t of repeated) {
    warnings.push(
      issueAt(
        t.header.position,
        `interchange ${t.header.interchangeControlNumber} from sender ${t.header.interchangeSender ?? ''} appears again in this file: transaction ${t.header.controlNumber} (ERA ${t.trace.traceNumber}, ${t.claims.length} claims) is a duplicate and was not booked again`,
      ),
    );
  }
  const duplicates: DuplicateClaim[] = [];
  const plan = plannedRemittances(kept, seenCounts, { duplicates, ...(reversals ? { reversals } : {}) });
  for (const d of duplicates) warnings.push(issueAt(d.claim.position, d.reason));
  for (const planned of plan) {
    const { claim } = planned;
    const resolution = await directory.resolve(claim.claimId, claim.payerClaimControlNumber);
    if (!resolution.matched) {
      const era = eraOf(planned.transaction);
      era.unplaced.claims += 1;
      era.unplaced.paidCents += claim.paidCents - claimInterestInPaid(claim);
      unmatched.push({
        remittanceId: planned.remittanceId,
        claimId: claim.claimId,
        ...(claim.payerClaimControlNumber ? { payerClaimControlNumber: claim.payerClaimControlNumber } : {}),
        paidCents: claim.paidCents,
        reason: resolution.reason,
        path: segmentPath(claim.position),
      });
      const data = toRemittanceReceived(planned, { encounterId: '', facilityId: '', payerId: '' });
      await keep(context, events, {
        kind: 'remittance',
        id: planned.remittanceId,
        claimId: claim.claimId,
        ...(claim.payerClaimControlNumber ? { payerClaimControlNumber: claim.payerClaimControlNumber } : {}),
        amountCents: claim.paidCents,
        reason: resolution.reason,
        source: segmentPath(claim.position),
        data: data as unknown as Record<string, unknown>,
        wouldBe: 'RemittanceReceived',
      });
      continue;
    }
    const payerId = await payers.of(planned.transaction, resolution, warnings);
    const data = toRemittanceReceived(planned, { ...resolution, payerId });
    const era = eraOf(planned.transaction);
    if (era.payerId === undefined) era.payerId = payerId;
    const encounter = { encounterId: resolution.encounterId, facilityId: resolution.facilityId };
    events.push({
      eventType: intake.eventType,
      data,
      encounter,
      partitionKey: intake.partitionKey(data),
      facts: { ...intake.facts(data), source: `x12:835 ${segmentPath(claim.position)}` },
      discriminator: planned.remittanceId,
    });
    placed.push({
      remittanceId: planned.remittanceId,
      claimId: claim.claimId,
      encounterId: resolution.encounterId,
    });
  }
  const plbs = providerAdjustments(kept);
  for (const { data } of plbs) {
    events.push({
      eventType: 'ProviderAdjustmentReceived' as EventType,
      data,
      partitionKey: `provider:${data.providerId}`,
      facts: { adjustmentId: data.adjustmentId, reason: data.reason, amountCents: data.amountCents },
      discriminator: data.adjustmentId,
    });
  }
  if (deposits) {
    for (const transaction of kept) {
      if (transaction.claims.length === 0 && transaction.providerAdjustments.length === 0) continue;
      const era = eraOf(transaction);
      const payerId = era.payerId ?? (await payers.named(transaction));
      if (payerId !== undefined)
        events.push(eraDepositEvent(eraDepositOf(transaction, payerId, era.unplaced)));
      else events.push(depositPayerUnknown(context, transaction, era.unplaced));
    }
  }
  const envelopes = await context.accept(events);
  const idOf = eventIds(events, envelopes);
  return {
    transactions: read.transactions.length,
    claims: read.transactions.reduce((n, t) => n + t.claims.length, 0),
    accepted: placed.map((p) => ({ ...p, eventId: idOf(p.remittanceId) })),
    providerAdjustments: plbs.map(({ data }) => ({
      adjustmentId: data.adjustmentId,
      providerId: data.providerId,
      amountCents: data.amountCents,
      eventId: idOf(data.adjustmentId),
    })),
    unmatched,
    warnings,
    eras: [...eras.values()],
  };
}

/**
 * An ERA none of whose claims the hub placed and whose payer (N1*PR, TRN03) is no hub payer id: no Odoo partner
 * to book its deposit against. Finance gets the whole BPR02 as an exception (payer as named, trace), so the bank
 * line is explained; once the payer is synced under that id, a retransmission books the deposit.
 */
export function depositPayerUnknown(
  context: Pick<DocumentContext, 'clientId' | 'idempotencyKey'>,
  transaction: Pick<Remittance835, 'trace' | 'payment' | 'payer'>,
  unplaced: NonNullable<EraDeposit['unplaced']>,
): X12Event {
  const trace = transaction.trace.traceNumber;
  const named = [transaction.payer?.id, transaction.trace.originator].filter(Boolean).join(' / ') || 'none';
  const key = `era-deposit:${trace}:payer-unknown`;
  return {
    eventType: 'ExceptionOpened',
    data: {
      key,
      team: 'finance',
      reason: `ERA ${trace}: the payer sent ${formatCents(transaction.payment.amountCents)} (BPR02) but names payer ${named}${transaction.payer?.name ? ` (${transaction.payer.name})` : ''}, which is no payer the hub knows, and none of its ${unplaced.claims} claims (${formatCents(unplaced.paidCents)}) could be placed: no deposit is booked; sync the payer under that id and send the ERA again, or book the deposit by hand`,
      amountCents: Math.abs(transaction.payment.amountCents),
      sourceEventId: deterministicEventId(
        'EraDepositReceived',
        context.clientId,
        context.idempotencyKey,
        trace,
      ),
      traceNumber: trace,
    },
    partitionKey: key,
    facts: { traceNumber: trace, depositCents: transaction.payment.amountCents },
    discriminator: key,
  };
}

/** An ERA's deposit as an event: its own FIFO group (`era:<TRN02>`), stable per trace across resends. */
export function eraDepositEvent(data: EraDepositReceived): X12Event {
  return {
    eventType: 'EraDepositReceived',
    data,
    partitionKey: `era:${data.traceNumber}`,
    facts: {
      traceNumber: data.traceNumber,
      payerId: data.payerId,
      depositCents: data.depositCents,
      claims: data.claimPayments.length,
      providerAdjustments: data.providerAdjustments.length,
    },
    discriminator: `${data.traceNumber}:deposit`,
  };
}

/**
 * The payer that pays is the one the ERA names — N1*PR's identifier (or REF*2U) and TRN03 — not always the
 * claim's payer: a secondary's ERA pays the same claim. The named identifier is a hub payer id, or the
 * `payerIdentifier` of the claim's payer or of a payer the encounter already knows. An ERA that names a payer
 * the hub cannot place is booked against the claim's payer, with a warning when that payer's own identifier
 * says otherwise.
 */
export class PayingPayers {
  private readonly records = new Map<string, Promise<PayerUpserted | undefined>>();
  private readonly warned = new Set<string>();

  constructor(private readonly store: WorkflowStore) {}

  /**
   * The payer an ERA names (N1*PR identifier, then TRN03) when it is a hub payer id: the deposit's payer when
   * none of the ERA's claims could be placed.
   */
  async named(transaction: Pick<Remittance835, 'payer' | 'trace'>): Promise<string | undefined> {
    for (const id of [transaction.payer?.id, transaction.trace.originator])
      if (id && (await this.payer(id))) return id;
    return undefined;
  }

  async of(
    transaction: Remittance835,
    claim: { payerId: string; encounterId: string },
    warnings: X12Issue[],
  ): Promise<string> {
    const named = [transaction.payer?.id, transaction.trace.originator].filter(
      (id): id is string => typeof id === 'string' && id.length > 0,
    );
    if (named.length === 0 || named.includes(claim.payerId)) return claim.payerId;
    const claimPayer = await this.payer(claim.payerId);
    if (claimPayer?.payerIdentifier && named.includes(claimPayer.payerIdentifier)) return claim.payerId;
    for (const id of named) if (await this.payer(id)) return id;
    const known = (await this.store.getWorkflow(claim.encounterId))?.payerIds ?? [];
    for (const id of known) {
      const identifier = (await this.payer(id))?.payerIdentifier;
      if (identifier && named.includes(identifier)) return id;
    }
    if (claimPayer?.payerIdentifier && !this.warned.has(transaction.trace.traceNumber)) {
      this.warned.add(transaction.trace.traceNumber);
      warnings.push(
        issueAt(
          transaction.header.position,
          `ERA ${transaction.trace.traceNumber} names payer ${named.join(' / ')}, which is not a payer the hub knows; its claims are booked against the claim's payer ${claim.payerId} (payer identifier ${claimPayer.payerIdentifier})`,
        ),
      );
    }
    return claim.payerId;
  }

  private payer(id: string): Promise<PayerUpserted | undefined> {
    let found = this.records.get(id);
    if (!found) {
      found = this.store.getMasterRecord<PayerUpserted>('payer', id).then((item) => item?.record);
      this.records.set(id, found);
    }
    return found;
  }
}

export interface ClaimStatusDocumentAnswer {
  claims: number;
  accepted: Array<{
    statusId: string;
    claimId: string;
    encounterId: string;
    status: string;
    eventId: string;
  }>;
  unmatched: Array<{ statusId: string; claimId: string; reason: string; path: string }>;
  skipped: Array<{ claimId: string; reason: string; path: string }>;
}

export async function acceptClaimStatusDocument(
  read: Read277,
  context: DocumentContext,
): Promise<ClaimStatusDocumentAnswer> {
  const directory = new ClaimDirectory(context.store);
  const intake = intakes.submitClaimStatus;
  const events: X12Event[] = [];
  const answer: ClaimStatusDocumentAnswer = {
    claims: read.claims.length,
    accepted: [],
    unmatched: [],
    skipped: [],
  };
  const placed: Array<Omit<ClaimStatusDocumentAnswer['accepted'][number], 'eventId'>> = [];
  const seen = new Set<string>();
  for (const claim of read.claims) {
    const path = segmentPath(claim.position);
    const probe = toClaimStatusChanged(claim, { encounterId: '', facilityId: '' });
    if ('skipped' in probe) {
      answer.skipped.push({ claimId: claim.claimId, reason: probe.skipped, path });
      continue;
    }
    if (seen.has(probe.data.statusId)) continue; // the same status twice in one document
    seen.add(probe.data.statusId);
    const resolution = await directory.resolve(claim.claimId, claim.payerClaimControlNumber);
    if (!resolution.matched) {
      answer.unmatched.push({
        statusId: probe.data.statusId,
        claimId: claim.claimId,
        reason: resolution.reason,
        path,
      });
      await keep(context, events, {
        kind: 'claim-status',
        id: probe.data.statusId,
        claimId: claim.claimId,
        ...(claim.payerClaimControlNumber ? { payerClaimControlNumber: claim.payerClaimControlNumber } : {}),
        amountCents: claim.statuses[0]?.chargeCents ?? 0,
        reason: resolution.reason,
        source: path,
        data: probe.data as unknown as Record<string, unknown>,
        wouldBe: 'ClaimStatusChanged',
      });
      continue;
    }
    const placedStatus = toClaimStatusChanged(claim, resolution);
    if ('skipped' in placedStatus) continue;
    const data = placedStatus.data;
    events.push({
      eventType: intake.eventType,
      data,
      encounter: { encounterId: resolution.encounterId, facilityId: resolution.facilityId },
      partitionKey: intake.partitionKey(data),
      facts: { ...intake.facts(data), source: `x12:277 ${path}` },
      discriminator: data.statusId,
    });
    placed.push({
      statusId: data.statusId,
      claimId: data.claimId,
      encounterId: data.encounterId,
      status: data.status,
    });
  }
  const envelopes = await context.accept(events);
  const idOf = eventIds(events, envelopes);
  answer.accepted = placed.map((p) => ({ ...p, eventId: idOf(p.statusId) }));
  return answer;
}

function eventIds(events: X12Event[], envelopes: Array<{ id: string }>): (discriminator: string) => string {
  const byDiscriminator = new Map<string, string>();
  events.forEach((event, i) => {
    if (event.discriminator !== undefined) byDiscriminator.set(event.discriminator, envelopes[i]?.id ?? '');
  });
  return (discriminator) => byDiscriminator.get(discriminator) ?? '';
}

/**
 * An unplaced part is kept in the store (the quarantine billing works off) and announced as an
 * `ExceptionOpened` on the bus (no encounter: it goes to subscribers, not to Odoo).
 */
async function keep(
  context: DocumentContext,
  events: X12Event[],
  entry: Omit<UnmatchedEntry, 'correlationId' | 'clientId' | 'keptAt'> & { wouldBe: EventType },
): Promise<void> {
  const { wouldBe, ...rest } = entry;
  if (!context.dryRun)
    await context.store.keepUnmatched({
      ...rest,
      correlationId: context.correlationId,
      clientId: context.clientId,
      keptAt: context.now(),
    });
  events.push({
    eventType: 'ExceptionOpened',
    data: {
      key: `unmatched:${entry.kind}:${entry.id}`,
      team: 'billing',
      reason: `${wouldBe} ${entry.id} not placed (${entry.source}): ${entry.reason}`,
      amountCents: Math.abs(entry.amountCents),
      sourceEventId: deterministicEventId(wouldBe, context.clientId, context.idempotencyKey, entry.id),
      // Searchable in the exception register: the claim, and the payer and trace number the document names.
      ...subjectsOf(entry.data),
      claimId: entry.claimId,
    },
    partitionKey: `unmatched:${entry.kind}:${entry.id}`,
    facts: { id: entry.id, reason: entry.reason },
    discriminator: `unmatched:${entry.id}`,
  });
}
