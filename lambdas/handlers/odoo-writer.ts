import { processPartialResponse, SqsFifoPartialProcessorAsync } from '@aws-lambda-powertools/batch';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { AuditLog } from '../adapters/dynamodb/audit-log.js';
import { EraBookingStore, type EraGate, type ReadyItem } from '../adapters/dynamodb/era-booking-store.js';
import { ExceptionStore } from '../adapters/dynamodb/exception-store.js';
import { OdooBreakerStore } from '../adapters/dynamodb/odoo-breaker-store.js';
import { ReadOnceWorkflowStore, WorkflowStore } from '../adapters/dynamodb/workflow-store.js';
import { numberEnv, requiredEnv } from '../adapters/environment.js';
import { EventPublisher } from '../adapters/eventbridge/event-publisher.js';
import { wakeProbe } from '../adapters/lambda/odoo-writer-switch.js';
import { createLogger, createMetrics } from '../adapters/observability.js';
import { type OdooCallSample, OdooClient } from '../adapters/odoo/client.js';
import { isRetryable, OdooError } from '../adapters/odoo/errors.js';
import { BATCH_OUTCOME_UNKNOWN } from '../adapters/odoo/receivables-batch.js';
import { OdooConnectionSecret } from '../adapters/secrets/odoo-connection.js';
import { OdooWriteDeadLetters, OdooWriteQueue } from '../adapters/sqs/odoo-write-queue.js';
import {
  type EncounterEnvelope,
  type EventEnvelope,
  EventSource,
  followUpEvent,
  isEncounterEvent,
} from '../core/envelope.js';
import {
  DEFAULT_ERA_BOOKING,
  decideRound,
  eraBookingSettings,
  isEraBookingRound,
  joinsEraRound,
  laneRoundKey,
  paceAfterRound,
  paymentRoundKey,
  ROUND_MARK_TTL_MS,
  type RoundCost,
  type RoundPace,
  roundDeadline,
  roundFits,
  roundGroupsApart,
  roundKeyBase,
  roundTake,
} from '../core/era-booking.js';
import { EventCatalog } from '../core/events.js';
import {
  exceptionIdFor,
  exceptionScope,
  RETRY_ATTRIBUTES,
  retryKey,
  subjectsOf,
} from '../core/exception-keys.js';
import {
  type CallOutcome,
  closedRetryDelaySeconds,
  openRetryDelaySeconds,
  recordOutcome,
} from '../core/odoo-breaker.js';
import type { PaymentReceived } from '../core/payment.js';
import type { RemittanceReceived } from '../core/remittance.js';
import { remittanceAtStake } from '../core/remittance-posting.js';
import { env } from '../env.js';
import { METRICS } from '../metric-names.js';
import { odooWriteQueueRedelivery, odooWriterTimeoutSeconds } from '../odoo-write-queue.js';
import { forgetPartners, nothingPrepared, type PreparedWrites, prepareBatch } from './booking/batch.js';
import type { BookingContext, BookingOutcome } from './booking/context.js';
import { bookDenialWriteOff } from './booking/denial-write-off.js';
import { bookCharges, bookClaim, bookClaimStatus, bookInvoice } from './booking/encounter.js';
import { bookEraDeposit } from './booking/era-deposit.js';
import { bookMasterData } from './booking/master-data.js';
import { bookPayment, bookRemittance, paymentPlanKey, remittancePlanKey } from './booking/receivables.js';
import { exceptionOpened, openException, recordFollowUp } from './booking/record.js';
import { bookOdooEntry, bookPaymentRefund } from './booking/webhook-events.js';

const logger = createLogger('odooWriter');
/** Odoo health (lambdas/monitoring-alarms.ts): calls, retryable failures, latency, retries, rejections. */
const metrics = createMetrics('odooWriter');
const dynamoDb = new DynamoDBClient({});
const store = new WorkflowStore(dynamoDb, requiredEnv(env.workflowTable));
// With the audit table: a remittance that settles an exception (a denial paid on appeal, an unmatched reversal
// whose original came late) clears its register entry, and every change of an entry is a line of its audit trail.
const exceptions = new ExceptionStore(
  new DynamoDBClient({}),
  requiredEnv(env.exceptionTable),
  new AuditLog(new DynamoDBClient({}), requiredEnv(env.auditTable)),
);
const publisher = new EventPublisher(new EventBridgeClient({}), requiredEnv(env.eventBus));
const breaker = new OdooBreakerStore(new DynamoDBClient({}), requiredEnv(env.workflowTable));
const deadLetters = new OdooWriteDeadLetters(new SQSClient({}), requiredEnv(env.odooWriteDlq));
const odooSecret = new OdooConnectionSecret(requiredEnv(env.odooSecret));
const maxReceiveCount = numberEnv(env.odooWriteMaxReceiveCount, odooWriteQueueRedelivery.maxReceiveCount);
/** How long an event may wait for what it depends on before a person is told (it keeps waiting). */
const heldEventMaxAgeMs = numberEnv(env.heldEventMaxAgeSeconds, 24 * 3600) * 1000;
/** Seconds until a failed write is tried again; 0 (unset): 5, 20, 80, 320 s by receive (retrySoon). */
const retryDelaySeconds = numberEnv(env.odooWriteRetryDelaySeconds, 0);
/** How long a batched write whose answer was lost may still commit in Odoo (env.ts `odooLateCommitSeconds`). */
const lateCommitMs = numberEnv(env.odooLateCommitSeconds, 150) * 1000;
/**
 * Failed messages that must not come back before a time (epoch ms), by message id: those waiting out a write
 * that may still commit. Read by retrySoon; per message, as invocations may overlap in one process (locally).
 */
const retryNotBefore = new Map<string, number>();
/** AWS only: the breaker probe function a writer wakes when it opens the breaker (lib/odoo-breaker.ts). */
const probeFunction = process.env[env.odooBreakerProbeFunction];
/** ERA booking (core/era-booking.ts): on unless switched off (`off`: claim payments book in their own turn). */
const eraBooking = eraBookingSettings(process.env[env.odooEraBooking]);
const eraStore = new EraBookingStore(new DynamoDBClient({}), requiredEnv(env.workflowTable));
/** Claim payments of a round recorded at once: each is its own encounter (its own gate). */
const ROUND_CONCURRENCY = 8;
/**
 * What a round cost a claim payment (core/era-booking.ts `RoundPace`), as this container last read or learned it:
 * the stage's pace lives in the ERA booking store; this copy serves when that read fails.
 */
let roundPace: RoundPace | undefined;
/** A round's lease on its ERA outlives any invocation (the writer's timeout), so it lapses only after a crash. */
const ROUND_LEASE_MS = 1000 * odooWriterTimeoutSeconds;
/** A round waits inside its invocation: at most a third of the writer's timeout, the rest is for booking. */
const ROUND_MAX_WAIT_MS = Math.floor(ROUND_LEASE_MS / 3);
let lambdaClient: LambdaClient | undefined;
/** Short in-invocation retries ride out a blip; longer outages are SQS's job (visibility timeout). */
const IN_INVOCATION_BACKOFF_MS = [200, 800];

let cachedClient: { key: string; client: OdooClient } | undefined;

async function odooClient(forceFetch = false): Promise<OdooClient> {
  const connection = await odooSecret.load({ forceFetch });
  const key = JSON.stringify(connection);
  if (cachedClient?.key !== key)
    cachedClient = { key, client: new OdooClient(connection, { onCall: countOdooCall }) };
  return cachedClient.client;
}

const writeQueue = new OdooWriteQueue(new SQSClient({}), requiredEnv(env.odooWriteQueue));
const context: BookingContext = {
  store,
  publisher,
  odoo: () => odooClient(),
  queue: writeQueue,
  exceptions,
  now: () => new Date().toISOString(),
};

/**
 * A message re-driven from the exception register (POST /v1/exceptions/{id}/retry) says which exception and
 * which attempt it is: failing again opens a new exception (`<key>:retry:<n>`) linked to the retried one.
 */
interface Retry {
  of: string;
  attempt: number;
}

/** The exception-register attributes a message carries, to travel with a re-queued copy. */
function retryAttributesOf(record: SQSRecord): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.values(RETRY_ATTRIBUTES)) {
    const value = record.messageAttributes?.[name]?.stringValue;
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/**
 * Set on a copy the writer re-queues while a batched write of its event may still commit (epoch ms): the copy
 * is not looked at before then.
 */
const LATE_COMMIT_NOT_BEFORE = 'rcmLateCommitNotBefore';

function lateCommitNotBefore(record: SQSRecord): number | undefined {
  const at = Number(record.messageAttributes?.[LATE_COMMIT_NOT_BEFORE]?.stringValue);
  return Number.isFinite(at) && at > Date.now() ? at : undefined;
}

function retryOf(record: SQSRecord): Retry | undefined {
  const of = record.messageAttributes?.[RETRY_ATTRIBUTES.retryOf]?.stringValue;
  const attempt = Number(record.messageAttributes?.[RETRY_ATTRIBUTES.attempt]?.stringValue);
  return of && Number.isInteger(attempt) && attempt > 0 ? { of, attempt } : undefined;
}

type EncounterBooking = (envelope: EncounterEnvelope, context: BookingContext) => Promise<BookingOutcome>;
const encounterBookings: Record<string, EncounterBooking> = {
  ChargeFinalized: bookCharges,
  InvoiceIssued: bookInvoice,
  ClaimSubmitted: bookClaim,
  ClaimStatusChanged: bookClaimStatus,
  RemittanceReceived: bookRemittance,
  PaymentReceived: bookPayment,
  // Inbound webhooks (docs/webhooks.md): a gateway refund reverses the payment; an Odoo-side entry is recorded.
  PaymentRefunded: bookPaymentRefund,
  OdooEntryRecorded: bookOdooEntry,
  // Issue 14: a denial resolved as not recoverable is written off to the denial account.
  DenialWriteOffApproved: bookDenialWriteOff,
};

const processor = new SqsFifoPartialProcessorAsync();

export const handler = async (event: SQSEvent, lambdaContext: Context): Promise<SQSBatchResponse> => {
  try {
    const batchContext: BookingContext = { ...context, prepared: await prepare(event.Records) };
    const { inTurn, apart } = roundGroupsApart(
      event.Records,
      (record) => record.attributes.MessageGroupId,
      (record) => eraRoundOf(record) !== undefined,
    );
    const inTurnResponse: SQSBatchResponse =
      inTurn.length === 0
        ? { batchItemFailures: [] }
        : await processPartialResponse(
            { ...event, Records: inTurn },
            (record: SQSRecord) => writeRecord(record, batchContext, lambdaContext),
            processor,
            {
              context: lambdaContext,
              skipGroupOnError: true,
              // A batch that failed whole is answered as one failure per record (to Lambda the same: nothing is
              // deleted), so the retry delays below apply to it too — above all when the breaker has just opened.
              throwOnFullBatchFailure: false,
            },
          );
    // Rounds of different ERAs, lanes and days at once (core/era-booking.ts roundGroupsApart), each group in order.
    const apartFailures = await Promise.all(
      apart.map((group) => bookRoundGroup(group, batchContext, lambdaContext)),
    );
    // A new object: Powertools answers a batch without failures with its module-wide default response, which
    // a push would change for every later batch of this container (seen: "Invalid batchItemFailures").
    const response: SQSBatchResponse = {
      batchItemFailures: [...inTurnResponse.batchItemFailures, ...apartFailures.flat()],
    };
    await retrySoon(event, response);
    await countDrained(event.Records.length - response.batchItemFailures.length);
    return response;
  } finally {
    for (const record of event.Records) retryNotBefore.delete(record.messageId);
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  }
};

/**
 * One FIFO group of round messages, in order, as the FIFO batch processor walks a group: a record that fails
 * fails the rest of its group with it (`skipGroupOnError`), which SQS then brings back in order.
 */
async function bookRoundGroup(
  group: readonly SQSRecord[],
  batchContext: BookingContext,
  lambdaContext: Context,
): Promise<SQSBatchResponse['batchItemFailures']> {
  for (const [index, record] of group.entries()) {
    try {
      await writeRecord(record, batchContext, lambdaContext);
    } catch {
      // writeRecord logged why (a round that did not finish says so itself).
      return group.slice(index).map((r) => ({ itemIdentifier: r.messageId }));
    }
  }
  return [];
}

/**
 * Feeds the circuit breaker (core/odoo-breaker.ts): consecutive failed writes open it and the writers stop
 * taking messages until the probe finds Odoo back. Best effort: the breaker never fails a write.
 */
async function noteBreaker(outcome: CallOutcome): Promise<void> {
  try {
    const now = Date.now();
    let opened = false;
    await breaker.update((record) => {
      const state = recordOutcome(record.state, outcome, now);
      opened = record.state.status === 'closed' && state.status === 'open';
      return { ...record, state };
    });
    if (opened) {
      logger.warn('Odoo circuit breaker opened: writers pause until the probe finds Odoo back', {
        error: outcome.kind === 'failed' ? outcome.error : undefined,
      });
      // AWS: the probe disables this function's event source mapping now, not at its next minute.
      if (probeFunction) await wakeProbe((lambdaClient ??= new LambdaClient({})), probeFunction);
    }
  } catch (error) {
    logger.warn('circuit breaker state not updated', { error: (error as Error).message });
  }
}

/** Batches whose lost answer the breaker has counted (below). */
const lostAnswersNoted = new WeakSet<PreparedWrites>();

/**
 * What a booking's failure tells the breaker. A batch whose answer was lost fails each booking it held, but it was
 * one call that went unanswered: counted once, by the first of them. Counted per booking, one round of a slow
 * Odoo (eight claim payments failing at once) opened the breaker and paused every writer and lane.
 */
async function noteFailedBooking(error: unknown, prepared: PreparedWrites | undefined): Promise<void> {
  if (!(error instanceof OdooError)) return;
  if (error.kind === 'permanent') return noteBreaker({ kind: 'refused' });
  if (error.faultName === BATCH_OUTCOME_UNKNOWN && prepared) {
    if (lostAnswersNoted.has(prepared)) return;
    lostAnswersNoted.add(prepared);
  }
  return noteBreaker({ kind: 'failed', error: error.message });
}

/** The breaker as the writers last read it (cached a second); a store failure reads as closed. */
async function breakerOpen(): Promise<{ open: boolean; retryInSeconds: number }> {
  try {
    const { state } = await breaker.read();
    return { open: state.status === 'open', retryInSeconds: openRetryDelaySeconds(state, Date.now()) };
  } catch {
    return { open: false, retryInSeconds: 0 };
  }
}

/**
 * The records this batch takes off the queue (Lambda deletes all but the failures) feed the breaker probe's
 * drain rate ("draining at R/s", core/odoo-breaker-probe.ts). Best effort: a lost count only makes one
 * window's rate read low, it never fails a write.
 */
async function countDrained(messages: number): Promise<void> {
  await breaker.countDrained(messages).catch((error: unknown) => {
    logger.warn('drained count not updated', { error: (error as Error).message });
  });
}

/**
 * Failed records (and the ones skipped behind them in their FIFO group) come back after the retry delay instead
 * of the visibility timeout: the configured one (local tests), else 5, 20, 80, 320 s by receive
 * (core/odoo-breaker.ts). While the breaker is open that delay is the time to the next probe (issue 12),
 * in AWS too: the writers are paused then, so a visible message spends no receive, and once the probe finds
 * Odoo back the messages that failed as the breaker opened are taken within seconds instead of waiting out
 * the 360 s visibility timeout. Best effort: if this fails, the visibility timeout still brings them back.
 */
async function retrySoon(event: SQSEvent, response: SQSBatchResponse): Promise<void> {
  if (response.batchItemFailures.length === 0) return;
  const breakerState = await breakerOpen();
  const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
  for (const record of event.Records) {
    if (!failed.has(record.messageId)) continue;
    const notBefore = retryNotBefore.get(record.messageId);
    const retryDelay = breakerState.open
      ? breakerState.retryInSeconds
      : retryDelaySeconds > 0
        ? retryDelaySeconds
        : closedRetryDelaySeconds(
            Number(record.attributes.ApproximateReceiveCount ?? '1'),
            odooWriteQueueRedelivery.visibilityTimeoutSeconds,
          );
    // Never sooner than a late commit could land (the visibility timeout, if this fails, is longer still).
    const delay =
      notBefore === undefined ? retryDelay : Math.max(retryDelay, Math.ceil((notBefore - Date.now()) / 1000));
    await writeQueue.retryIn(record.receiptHandle, delay).catch((error: unknown) => {
      logger.warn('could not shorten the retry delay; the visibility timeout applies', {
        error: (error as Error).message,
      });
    });
  }
}

/**
 * Books the batch's simple events in Odoo together (booking/batch.ts), before the records are walked one by one.
 * Best effort: whatever this does not settle (Odoo down, a refused row) each record books on its own, with its
 * retries, its breaker outcome and its own failure.
 */
async function prepare(records: SQSRecord[]): Promise<PreparedWrites> {
  const envelopes: EventEnvelope[] = [];
  const firstDeliveries = new Set<string>();
  // A copy waiting for a late commit, and what follows it in its FIFO group, is not booked now (writeRecord).
  const waiting = new Set(
    records.flatMap((r) => (lateCommitNotBefore(r) === undefined ? [] : [r.attributes.MessageGroupId])),
  );
  for (const record of records) {
    if (waiting.has(record.attributes.MessageGroupId)) continue;
    try {
      const envelope = parseEnvelope(record);
      envelopes.push(envelope);
      if (record.attributes.ApproximateReceiveCount === '1' && !retryOf(record))
        firstDeliveries.add(envelope.id);
    } catch {
      // Unreadable: writeRecord dead-letters it in its turn.
    }
  }
  // An open breaker: Odoo is known to fail, the records fail without calling it (writeRecord).
  if ((await breakerOpen()).open) return nothingPrepared();
  try {
    // ERA booking: an encounter behind a gate books nothing before its claim payment's round (writeRecord holds
    // its events); claim payments join their ERA, payments their day's round, instead of this batch.
    const gated = await eraStore.gates(envelopes.flatMap((e) => (e.encounterId ? [e.encounterId] : [])));
    return await prepareBatch(
      envelopes.filter((e) => !e.encounterId || !gated.has(e.encounterId)),
      {
        odoo: await odooClient(),
        store,
        booking: context,
        deferRemittances: eraBooking !== undefined,
        deferPayments: eraBooking?.payments === true,
      },
      firstDeliveries,
    );
  } catch (error) {
    logger.warn('batch booking not completed; the records are booked one by one', {
      error: (error as Error).message,
    });
    if (cachedClient) forgetPartners(cachedClient.client);
    return nothingPrepared();
  }
}

/** A refusal (ValidationError…) is Odoo working as designed; only what a retry may fix counts as an error. */
function countOdooCall(sample: OdooCallSample): void {
  metrics.addMetric(METRICS.odooCalls, MetricUnit.Count, 1);
  metrics.addMetric(METRICS.odooCallLatency, MetricUnit.Milliseconds, Math.round(sample.durationMs));
  if (sample.error && isRetryable(sample.error))
    metrics.addMetric(METRICS.odooCallErrors, MetricUnit.Count, 1);
}

async function writeRecord(
  record: SQSRecord,
  batchContext: BookingContext = context,
  lambdaContext?: Pick<Context, 'getRemainingTimeInMillis'>,
): Promise<void> {
  const round = eraRoundOf(record);
  if (round) return bookEraRound(round, record, lambdaContext?.getRemainingTimeInMillis() ?? ROUND_LEASE_MS);
  let envelope: EventEnvelope;
  try {
    envelope = parseEnvelope(record);
  } catch (error) {
    // A poison message: no amount of retrying makes it readable. Park it with the reason.
    logger.error('unreadable message on the Odoo write queue; dead-lettered', {
      messageId: record.messageId,
    });
    await deadLetters.deadLetterUnreadable(
      record.body,
      record.attributes.MessageGroupId ?? 'unreadable',
      record.messageId,
      (error as Error).message,
    );
    return;
  }
  const attempts = Number(record.attributes.ApproximateReceiveCount ?? '1');
  const retry = retryOf(record);
  const notBefore = lateCommitNotBefore(record);
  if (notBefore !== undefined) {
    // Back when the write it waits for can no longer commit (retrySoon); its encounter's later records with it.
    retryNotBefore.set(record.messageId, notBefore);
    throw new OdooError('transient', 'rcm.LateCommitWait', 'a write of this event may still commit');
  }
  logger.appendKeys({ correlationId: envelope.correlationId, eventId: envelope.id });
  try {
    // An open breaker: Odoo is known to fail; no call is made (a batch in flight as the breaker opens ends
    // in milliseconds, not in timeouts), and the message comes back once the probe finds Odoo answering.
    if ((await breakerOpen()).open)
      throw new OdooError(
        'transient',
        'rcm.OdooBreakerOpen',
        'Odoo circuit breaker open: waiting for the probe',
      );
    // ERA booking: held behind its encounter's gate, or a claim payment that joined its ERA's round.
    if (isEncounterEvent(envelope) && (await passEraGate(envelope, retry))) return;
    const outcome = await withQuickRetries(() => book(envelope, batchContext)).catch(
      async (error: unknown) => {
        await noteFailedBooking(error, batchContext.prepared);
        throw error;
      },
    );
    await noteBreaker({ kind: 'success' });
    if (outcome.kind === 'held' && isEncounterEvent(envelope))
      await hold(envelope, outcome.waitingFor, retry);
    else if (isEncounterEvent(envelope)) await releaseHeldEvents(envelope.encounterId);
    // A redelivery (or a person's retry) that went through: the error an earlier attempt noted is history.
    if (envelope.encounterId && (attempts > 1 || retry)) await store.clearOdooError(envelope.encounterId);
  } catch (error) {
    const releaseStopped = error instanceof HeldReleaseStopped;
    const odooError = releaseStopped ? error.failure : toOdooError(error);
    if (releaseStopped && attempts >= maxReceiveCount) {
      // The event is booked, only its release is not done: nothing to reject. A fresh copy releases again.
      logger.warn('held events still not released; re-queued to release them', { attempts });
      await writeQueue.enqueue(envelope, `release-${record.messageId}`, retryAttributesOf(record));
      return;
    }
    if (isRetryable(odooError) && attempts >= maxReceiveCount && (await breakerOpen()).open) {
      // Its receives were spent on an outage the breaker now knows about, not on the document: a fresh copy
      // (receive count 0, same retry attributes) waits for Odoo instead of the DLQ, so an outage of any length
      // dead-letters nothing. Should the original come back too, booking is idempotent (external ids).
      logger.warn('receives spent during an Odoo outage; re-queued behind the breaker', { attempts });
      // A batched write of it that may still commit: the copy is not looked at before it no longer can (SQS FIFO
      // has no delay per message), or the probe may resume the writers in time for it to write it again.
      const lateCommit: Record<string, string> =
        odooError.faultName === BATCH_OUTCOME_UNKNOWN
          ? { [LATE_COMMIT_NOT_BEFORE]: String(Date.now() + lateCommitMs) }
          : {};
      await writeQueue.enqueue(envelope, `outage-${record.messageId}`, {
        ...retryAttributesOf(record),
        ...lateCommit,
      });
      return;
    }
    if (isRetryable(odooError) && attempts < maxReceiveCount) {
      logger.warn('Odoo write failed; SQS will redeliver', {
        kind: odooError.kind,
        fault: odooError.faultName,
        attempts,
        ...(odooError.debug ? { odooTraceback: odooError.debug } : {}),
      });
      // A batched write that may still commit: not looked at again (nor written again) until it no longer can.
      if (odooError.faultName === BATCH_OUTCOME_UNKNOWN)
        retryNotBefore.set(record.messageId, Date.now() + lateCommitMs);
      if (envelope.encounterId) {
        await store.noteOdooError(envelope.encounterId, {
          at: new Date().toISOString(),
          kind: odooError.kind,
          message: odooError.message,
        });
      }
      throw odooError;
    }
    await rejectForGood(envelope, odooError, attempts, retry);
  } finally {
    logger.removeKeys(['correlationId', 'eventId']);
  }
}

function eraRoundOf(record: SQSRecord): string | undefined {
  if (record.messageAttributes?.type?.stringValue !== 'EraBookingRound') return undefined;
  try {
    const body: unknown = JSON.parse(record.body);
    return isEraBookingRound(body) ? body.traceNumber : undefined;
  } catch {
    return undefined;
  }
}

/**
 * ERA booking, in the event's FIFO turn (core/era-booking.ts). An encounter whose gate a claim payment closed
 * holds every later event until the ERA's round has booked it; a claim payment closes its encounter's gate,
 * joins its ERA's ready set and asks for a round. True when the event is settled so (held or joined).
 */
async function passEraGate(envelope: EncounterEnvelope, retry?: Retry): Promise<boolean> {
  const gate = await eraStore.gate(envelope.encounterId);
  const holdBehind = async (ahead: EraGate | undefined) => {
    await hold(
      envelope,
      ahead?.envelope.type === 'PaymentReceived'
        ? `the booking round of payment ${ahead.remittanceId} (${roundKeyBase(ahead.traceNumber)})`
        : `ERA booking of remittance ${ahead?.remittanceId ?? '(another)'} (trace ${ahead ? roundKeyBase(ahead.traceNumber) : '?'})`,
      retry,
    );
    // Opened meanwhile: the round has released what it saw; this turn releases what it just held.
    if (!(await eraStore.holdBehind(envelope.encounterId))) await releaseHeldEvents(envelope.encounterId);
    return true;
  };
  if (gate && gate.eventId !== envelope.id) return holdBehind(gate);
  if (gate || retry || !eraBooking) {
    // Its own gate: a redelivery of the turn that closed it joins again (same ready item). A person's retry from
    // the register is booked on its own, as before; so is everything with ERA booking off (gates closed before
    // it was switched off are still kept).
    if (!gate) return false;
  } else if (envelope.type === 'RemittanceReceived') {
    const remittance = envelope.data as RemittanceReceived;
    if (!joinsEraRound(remittance)) return false; // a reversal or a correction: its own turn
    // Booked already (here and below): its own booking answers done.
    if ((await store.getWorkflow(envelope.encounterId))?.remittances[remittance.remittanceId]) return false;
  } else if (envelope.type === 'PaymentReceived' && eraBooking.payments) {
    const { paymentId } = envelope.data as PaymentReceived;
    if ((await store.getWorkflow(envelope.encounterId))?.payments[paymentId]) return false;
  } else return false;
  const { roundKey, documentId } = roundOf(envelope);
  const readyKey = await eraStore.join(envelope, roundKey, documentId, context.now());
  if (!readyKey) return holdBehind(await eraStore.gate(envelope.encounterId));
  // One round message per round, not per joining (core/era-booking.ts ROUND_MARK_TTL_MS): a mark that stands
  // means a round is asked for that has not read the ready set yet, and will book this claim payment. The
  // deduplication id is the joining (a claim payment held at its round and re-queued when its patient synced
  // joins again, within SQS's 5-minute deduplication window, under the same key).
  const nowMs = Date.now();
  if (await eraStore.markRound(roundKey, readyKey, nowMs, nowMs + ROUND_MARK_TTL_MS))
    await writeQueue.enqueueEraRound(roundKey, readyKey);
  return true;
}

/**
 * The round a claim payment (its ERA's TRN02) or a payment (its day's, `paymentRoundKey`) joins, in its encounter's
 * lane (`laneRoundKey`), and its id.
 */
function roundOf(envelope: EncounterEnvelope): { roundKey: string; documentId: string } {
  const lanes = eraBooking?.lanes ?? 1;
  if (envelope.type === 'PaymentReceived') {
    const payment = envelope.data as PaymentReceived;
    return {
      roundKey: laneRoundKey(paymentRoundKey(payment), envelope.encounterId, lanes),
      documentId: payment.paymentId,
    };
  }
  const remittance = envelope.data as RemittanceReceived;
  return {
    roundKey: laneRoundKey(remittance.payment.traceNumber, envelope.encounterId, lanes),
    documentId: remittance.remittanceId,
  };
}

/**
 * A round of an ERA's claim payments (core/era-booking.ts), in the ERA's FIFO group: waits until the ERA is
 * quiet or a chunk is ready, then books the oldest ready claim payments together. A failure a retry may fix
 * fails the round (SQS brings it back after the retry delay, when a late commit has landed); each claim payment
 * counts its own attempts, so a round never dead-letters a claim that did not fail itself.
 */
async function bookEraRound(traceNumber: string, record: SQSRecord, remainingMs: number): Promise<void> {
  const settings = eraBooking ?? { ...DEFAULT_ERA_BOOKING, quietMs: 0 };
  const started = Date.now();
  const invocationDeadline = roundDeadline(started, remainingMs, ROUND_LEASE_MS, {});
  const deadline = roundDeadline(started, remainingMs, ROUND_LEASE_MS, settings);
  const attempts = Number(record.attributes.ApproximateReceiveCount ?? '1');
  // Its own lease holder per delivery: a copy handed out again while this one runs must not book alongside it.
  const holder = `${record.messageId}:${attempts}`;
  let leased = false;
  /** Set once the round's batch lost an answer: the lease is kept until then, and the round comes back then. */
  let lateCommitUntil: number | undefined;
  const waitForLateCommit = async () => {
    const now = Date.now();
    lateCommitUntil = now + lateCommitMs;
    await eraStore
      .lease(traceNumber, holder, now, lateCommitUntil, { lateCommit: true })
      .catch((error: unknown) => {
        // The round's own lease still stands for a while, and its message comes back no sooner.
        logger.warn('ERA round lease not extended for a late commit', { error: (error as Error).message });
      });
  };
  try {
    // The mark is cleared before the ready set is read: a claim payment joining after this read asks again.
    await eraStore.clearRoundMark(traceNumber);
    // A round may find its ERA booked by an earlier one (older writers asked one per claim payment): one read.
    if ((await eraStore.ready(traceNumber, 1)).oldest.length === 0) return;
    if ((await breakerOpen()).open)
      throw new OdooError(
        'transient',
        'rcm.OdooBreakerOpen',
        'Odoo circuit breaker open: waiting for the probe',
      );
    const now = Date.now();
    leased = await eraStore.lease(traceNumber, holder, now, now + ROUND_LEASE_MS);
    if (!leased) {
      // Kept by a round waiting out a late commit: this one comes back when the wait is over.
      const lease = await eraStore.leaseOf(traceNumber);
      if (lease?.lateCommit) retryNotBefore.set(record.messageId, lease.until);
      throw new OdooError('transient', 'rcm.EraRoundBusy', 'another round of this ERA is at work');
    }
    for (let waited = 0; ; ) {
      const { oldest, newest } = await eraStore.ready(traceNumber, settings.chunk);
      const decision = decideRound(oldest.length, oldest[0]?.joinedAt, newest, Date.now(), settings);
      if (decision.kind === 'wait') {
        // The writer's slot is not held for long: past a third of its timeout the round comes back later.
        if (waited + decision.ms > ROUND_MAX_WAIT_MS)
          throw new OdooError(
            'transient',
            'rcm.EraStillArriving',
            'the ERA is still arriving; its round comes back',
          );
        await new Promise((resolve) => setTimeout(resolve, decision.ms));
        waited += decision.ms;
        continue;
      }
      const msLeft = invocationDeadline - Date.now();
      const pace = await stagePace();
      // A fresh invocation, after the same work before this check: a whole timeout instead of what was left.
      const freshMsLeft = msLeft + (ROUND_LEASE_MS - remainingMs);
      if (
        decision.take > 0 &&
        !roundFits(msLeft, decision.take, pace, ROUND_CONCURRENCY, ROUND_MAX_WAIT_MS, freshMsLeft)
      ) {
        // Its invocation's time went on the records before it in the batch (other rounds of the ERA among them),
        // too little is left for a wave, or nothing says how much a chunk needs: a fresh round, in an invocation
        // of its own.
        await writeQueue.enqueueEraRound(traceNumber, `${record.messageId}:${attempts}:later`);
        return;
      }
      // As many as the stage's pace says the batch can write and the round record in the time left
      // (`FIRST_ROUND_CLAIMS` at first).
      const take = roundTake(decision.take, deadline - Date.now(), pace, ROUND_CONCURRENCY);
      const round =
        take > 0
          ? await bookReady(traceNumber, oldest.slice(0, take), {
              deadline,
              answerBy: invocationDeadline,
              waitForLateCommit,
            })
          : undefined;
      if (round) {
        const learned = paceAfterRound(pace, round.cost, ROUND_CONCURRENCY);
        logger.info(
          round.stopped
            ? 'ERA round stopped by a failure; its retry books the rest'
            : round.finished
              ? 'ERA round booked'
              : 'ERA round out of time; the next round books the rest',
          {
            round: traceNumber,
            ...round.cost,
            taken: take,
            ...(round.stopped ? { stopped: round.stopped.faultName } : {}),
            ...(lateCommitUntil === undefined ? {} : { lateCommitWaitMs: lateCommitUntil - Date.now() }),
            pace: learned,
          },
        );
        if (learned && learned !== pace) await saveStagePace(learned);
        if (round.stopped) throw round.stopped;
      }
      const finished = round?.finished ?? true;
      // A full chunk booked, fewer taken than were ready, or the invocation's time spent, and more ready: nobody
      // else may ask for them (their mark was cleared by this round).
      if (
        (!finished || take < oldest.length || take === settings.chunk) &&
        (await eraStore.ready(traceNumber, 1)).oldest.length > 0
      )
        await writeQueue.enqueueEraRound(traceNumber, `${record.messageId}:${attempts}:next`);
      return;
    }
  } catch (error) {
    const odooError = toOdooError(error);
    if (attempts >= maxReceiveCount - 1) {
      // The round's own receives are not the claims': a fresh round replaces it instead of the DLQ (a second
      // later: a FIFO message has no delay of its own).
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      await writeQueue.enqueueEraRound(traceNumber, `${record.messageId}:${attempts}`);
      return;
    }
    if (lateCommitUntil !== undefined) retryNotBefore.set(record.messageId, lateCommitUntil);
    // Its own late-commit wait, or another round's that holds the ERA (rcm.EraRoundBusy): back no sooner.
    const notBefore = retryNotBefore.get(record.messageId);
    logger.warn('ERA round not finished; SQS brings it back', {
      kind: odooError.kind,
      fault: odooError.faultName,
      attempts,
      ...(notBefore === undefined ? {} : { lateCommitWaitMs: notBefore - Date.now() }),
    });
    throw odooError;
  } finally {
    // A lease kept for a late commit lapses by itself: no round looks for those payments before then.
    if (leased && lateCommitUntil === undefined) await eraStore.release(traceNumber, holder);
  }
}

/** The stage's round pace (`EraBookingStore.pace`); this container's own copy if the read fails. */
async function stagePace(): Promise<RoundPace | undefined> {
  try {
    roundPace = (await eraStore.pace()) ?? roundPace;
  } catch (error) {
    logger.warn("round pace not read; this container's own serves", { error: (error as Error).message });
  }
  return roundPace;
}

/** Best effort: a pace not saved only leaves the next round sized by the older figure. */
async function saveStagePace(pace: RoundPace): Promise<void> {
  roundPace = pace;
  await eraStore.savePace(pace, new Date().toISOString()).catch((error: unknown) => {
    logger.warn('round pace not saved', { error: (error as Error).message });
  });
}

/**
 * Books ready claim payments: one look-up and one receivables batch for all, then each recorded on its own, as
 * long as the round has time (`deadline`). Answers how many it took and whether it took them all: those it did not
 * take for time stay ready for the next round.
 */
async function bookReady(
  traceNumber: string,
  ready: readonly ReadyItem[],
  round: {
    /** When the round stops taking claim payments. */
    deadline: number;
    /** Until when its batch waits for Odoo: the invocation, less the time to record a wave of claims. */
    answerBy: number;
    /** Keeps the ERA from any look-up of the batch's payments while a write whose answer was lost may commit. */
    waitForLateCommit: () => Promise<void>;
  },
): Promise<{ finished: boolean; cost: RoundCost; stopped?: OdooError }> {
  const gates = await eraStore.gates(ready.map((item) => item.encounterId));
  const claims: Array<{ item: ReadyItem; gate: EraGate }> = [];
  for (const item of ready) {
    const gate = gates.get(item.encounterId);
    // Its gate opened already (a round that stopped after opening it): nothing of it is left to do.
    if (gate?.eventId !== item.eventId) await eraStore.leave(traceNumber, item.readyKey);
    else claims.push({ item, gate });
  }
  const cost: RoundCost = {
    claims: claims.length,
    written: 0,
    prepareMs: 0,
    booked: 0,
    recordMs: 0,
    lostAnswer: false,
  };
  if (claims.length === 0) return { finished: true, cost };
  let prepared = nothingPrepared();
  const began = Date.now();
  // The round's workflows, read together once; its look-ups, decisions and records use these copies.
  const roundStore = new ReadOnceWorkflowStore(dynamoDb, requiredEnv(env.workflowTable));
  try {
    await roundStore.preload(
      claims.map(({ gate }) => gate.envelope.encounterId),
      // The plans fixed by an earlier round that stopped (read together with the workflows).
      claims.map(({ gate }) => ({
        encounterId: gate.envelope.encounterId,
        key:
          gate.envelope.type === 'RemittanceReceived'
            ? remittancePlanKey((gate.envelope.data as RemittanceReceived).remittanceId)
            : paymentPlanKey((gate.envelope.data as PaymentReceived).paymentId),
      })),
    );
    prepared = await prepareBatch(
      claims.map(({ gate }) => gate.envelope),
      {
        odoo: await odooClient(),
        store: roundStore,
        booking: { ...context, store: roundStore },
        // A batch of hundreds waits for Odoo as long as the invocation allows: an answer given up on costs its ERA
        // a late-commit wait.
        answerBy: round.answerBy,
      },
    );
    // Before any claim of it fails for it: a write whose answer was lost may still commit, and the next round's
    // look-up must come after that, or it creates the same payments again.
    cost.lostAnswer = lostAnswers(prepared);
    if (cost.lostAnswer) await round.waitForLateCommit();
  } catch (error) {
    logger.warn('ERA round batch not completed; its claim payments are booked one by one', {
      error: (error as Error).message,
    });
    if (cachedClient) forgetPartners(cachedClient.client);
  }
  const prepareEnded = Date.now();
  const roundContext: BookingContext = { ...context, store: roundStore, prepared };
  let stopped: OdooError | undefined;
  let next = 0;
  let outOfTime = false;
  await Promise.all(
    Array.from({ length: Math.min(ROUND_CONCURRENCY, claims.length) }, async () => {
      while (next < claims.length) {
        // Each worker takes one claim payment at least, so a round whose batch took its time still advances.
        if (next >= ROUND_CONCURRENCY && Date.now() >= round.deadline) {
          outOfTime = true;
          return;
        }
        const claim = claims[next++] as (typeof claims)[number];
        // After a failure a retry may fix, the rest wait for the round's next try (Odoo is likely down).
        if (stopped) continue;
        const failure = await bookReadyClaim(traceNumber, claim.item, claim.gate, roundContext);
        if (failure) stopped ??= failure;
      }
    }),
  );
  // What a round cost, for sizing rounds (core/era-booking.ts `paceAfterRound`) and for the runbook.
  cost.written = prepared.receivablesWritten;
  cost.prepareMs = prepareEnded - began;
  cost.booked = next;
  cost.recordMs = Date.now() - prepareEnded;
  return { finished: !outOfTime, cost, ...(stopped ? { stopped } : {}) };
}

/** Whether the batch left writes it sent without an answer (receivables-batch.ts `unsettled`). */
function lostAnswers(prepared: PreparedWrites): boolean {
  for (const receivable of prepared.receivables.values())
    if (receivable.kind === 'failed' && receivable.error.faultName === BATCH_OUTCOME_UNKNOWN) return true;
  return false;
}

/**
 * One claim payment of a round, booked as its own turn would book it (its share of the round's batch, else on its
 * own), then its gate opened. Answers the failure that leaves it waiting for the next round.
 */
async function bookReadyClaim(
  traceNumber: string,
  item: ReadyItem,
  gate: EraGate,
  roundContext: BookingContext,
): Promise<OdooError | undefined> {
  const envelope = gate.envelope;
  try {
    const outcome = await withQuickRetries(() => book(envelope, roundContext));
    await noteBreaker({ kind: 'success' });
    if (outcome.kind === 'held') await hold(envelope, outcome.waitingFor);
    // A later round that went through: the error an earlier one noted is history.
    if (item.attempts > 0) await store.clearOdooError(envelope.encounterId);
  } catch (error) {
    const odooError = toOdooError(error);
    await noteFailedBooking(error, roundContext.prepared);
    if (isRetryable(odooError)) {
      const tries = await eraStore.noteAttempt(traceNumber, item.readyKey);
      // An outage dead-letters nothing: its tries wait for the breaker like any message's receives.
      if (tries < maxReceiveCount || (await breakerOpen()).open) {
        await store.noteOdooError(envelope.encounterId, {
          at: new Date().toISOString(),
          kind: odooError.kind,
          message: odooError.message,
        });
        return odooError;
      }
    }
    await rejectForGood(envelope, odooError, item.attempts + 1);
  }
  try {
    await openGate(envelope.encounterId, gate.eventId, gate);
  } catch (error) {
    // Booked, but what waited behind its gate is not all released: the gate stays shut and the claim ready, so
    // the round's next try finds it booked and releases again. Not an attempt of the claim's: it did not fail.
    if (error instanceof HeldReleaseStopped) return error.failure;
    throw error;
  }
  await eraStore.leave(traceNumber, item.readyKey);
  return undefined;
}

/**
 * Releases what waited behind the gate, in arrival order, then opens it — unless something was held behind it
 * meanwhile (its count moved), which is released in turn. The encounter's FIFO turns hold while the gate is shut.
 */
async function openGate(encounterId: string, eventId: string, known?: EraGate): Promise<void> {
  // The round's own read of the gate serves the first try: opening is conditional on its count (`behind`).
  for (let read = known; ; read = undefined) {
    const current = read ?? (await eraStore.gate(encounterId));
    if (current?.eventId !== eventId) return;
    await releaseHeldEvents(encounterId);
    if (await eraStore.open(encounterId, eventId, current.behind)) return;
  }
}

function parseEnvelope(record: SQSRecord): EventEnvelope {
  const body = JSON.parse(record.body) as { type?: string };
  const schema = EventCatalog[body.type as keyof typeof EventCatalog];
  if (!schema) throw new Error(`no Odoo write is defined for events of type ${String(body.type)}`);
  return schema.parse(body) as EventEnvelope;
}

async function book(envelope: EventEnvelope, bookingContext = context): Promise<BookingOutcome> {
  if (envelope.type === 'PatientUpserted' || envelope.type === 'PayerUpserted')
    return bookMasterData(envelope, bookingContext);
  if (envelope.type === 'EraDepositReceived') return bookEraDeposit(envelope, bookingContext);
  const booking = encounterBookings[envelope.type];
  if (!booking || !isEncounterEvent(envelope)) {
    throw new OdooError(
      'permanent',
      'rcm.UnroutableEvent',
      `the Odoo writer does not handle ${envelope.type}`,
    );
  }
  return booking(envelope, bookingContext);
}

/** Keeps an event that came before what it depends on; tells a person when it has waited too long. */
async function hold(envelope: EncounterEnvelope, waitingFor: string, retry?: Retry): Promise<void> {
  await store.holdEvent(envelope, waitingFor);
  const held = (await store.heldEvents(envelope.encounterId)).find((h) => h.envelope.id === envelope.id);
  const waitedMs = held ? Date.now() - Date.parse(held.heldAt) : 0;
  const data = { heldEventId: envelope.id, heldType: envelope.type, waitingFor };
  // Recorded once per held event (a stable follow-up id), however often it is retried.
  await recordFollowUp(context, envelope, 'EventHeld', data, { kind: 'none' });
  if (waitedMs > heldEventMaxAgeMs) {
    // Its own follow-up, so the limit breach is recorded (and the exception opened) exactly once.
    await recordFollowUp(
      context,
      envelope,
      'HoldLimitExceeded',
      { ...data, waitedMinutes: Math.round(waitedMs / 60000) },
      { kind: 'none' },
      (draft) =>
        openException(
          draft,
          {
            key: retryKey(`held:${envelope.id}`, retry?.attempt ?? 0),
            team: 'integration',
            reason: `${envelope.type} has waited ${Math.round(waitedMs / 60000)} min for ${waitingFor}`,
            amountCents: amountAtStake(envelope),
            sourceEventId: envelope.id,
          },
          context.now(),
        ),
      {
        publish: false,
        ...(retry ? { discriminator: `retry:${retry.attempt}`, retryOf: retry.of } : {}),
      },
    );
  }
  logger.info('event held until what it depends on exists', { type: envelope.type, waitingFor });
}

/**
 * After an event of an encounter succeeds, the events it held are tried again in arrival order, until a
 * pass makes no progress. All of this runs inside the encounter's FIFO group, so nothing else writes to the
 * encounter meanwhile. A held event that still waits stays held; one Odoo refuses for good is dead-lettered.
 */
/**
 * A release of held events stopped by a failure a retry may fix (Odoo down mid-release). The caller's own event is
 * booked; the rest of the encounter's held events must not wait for an event of the encounter that may never come,
 * so the caller fails its message and SQS brings it back after the retry delay, in the encounter's FIFO group —
 * ahead of any later event of the encounter, so the held events are still released in order. The redelivery finds
 * its event booked (every booking is idempotent by event id and Odoo ref) and releases again; so do a round's next
 * try (the claim payment's gate stays shut until its release ends) and a held event's turn.
 */
class HeldReleaseStopped extends Error {
  constructor(readonly failure: OdooError) {
    super(`releasing held events stopped: ${failure.message}`);
    this.name = 'HeldReleaseStopped';
  }
}

async function releaseHeldEvents(encounterId: string): Promise<void> {
  for (let progress = true; progress; ) {
    progress = false;
    for (const { envelope } of await store.heldEvents(encounterId)) {
      try {
        const outcome = await book(envelope);
        if (outcome.kind === 'held') {
          if (isEncounterEvent(envelope)) await hold(envelope, outcome.waitingFor);
          continue;
        }
        await store.releaseHeld(encounterId, envelope.id);
        progress = true;
      } catch (error) {
        const odooError = toOdooError(error);
        if (isRetryable(odooError)) {
          logger.warn('a held event could not be booked yet; the release is tried again', {
            heldEventId: envelope.id,
            kind: odooError.kind,
          });
          throw new HeldReleaseStopped(odooError);
        }
        await rejectForGood(envelope, odooError, 1);
        await store.releaseHeld(encounterId, envelope.id);
        progress = true;
      }
    }
  }
}

/**
 * Odoo refused for good (or kept failing): DLQ with the reason, a copy of the envelope kept with its exception
 * (the DLQ prunes after 14 days; the register keeps it while the exception is open), an exception on the
 * workflow, an event.
 */
async function rejectForGood(
  envelope: EventEnvelope,
  error: OdooError,
  attempts: number,
  retry?: Retry,
): Promise<void> {
  const reason =
    error.kind === 'permanent' ? error.message : `gave up after ${attempts} attempts: ${error.message}`;
  metrics.addMetric(METRICS.odooWritesRejected, MetricUnit.Count, 1);
  logger.error('Odoo write rejected; dead-lettered with an exception', {
    kind: error.kind,
    fault: error.faultName,
    attempts,
    ...(error.debug ? { odooTraceback: error.debug } : {}),
  });
  const failure = { kind: error.kind, message: reason, attempts };
  const retryMark = retry ? `retry:${retry.attempt}` : undefined;
  await deadLetters.deadLetter(envelope, failure, retryMark);
  const key = retryKey(`odoo-write:${envelope.id}`, retry?.attempt ?? 0);
  await exceptions.keepDeadLetter(exceptionIdFor(exceptionScope(envelope), key), {
    envelope,
    reason: failure,
    keptAt: context.now(),
  });
  const exception = {
    key,
    team: 'integration' as const,
    reason: `${envelope.type} refused by Odoo: ${reason}`,
    amountCents: amountAtStake(envelope),
    sourceEventId: envelope.id,
  };
  const data = {
    subjectType: envelope.type,
    subjectId: subjectIdOf(envelope),
    reason,
    odooError: error.faultName,
    sourceEventId: envelope.id,
  };
  if (!isEncounterEvent(envelope)) {
    // Master data has no workflow to hold the exception: it goes to the register (and subscribers) only.
    const now = new Date().toISOString();
    const rejected = followUpEvent(
      envelope,
      'OdooWriteRejected',
      EventSource.odooWriter,
      data,
      now,
      retryMark,
    );
    await publisher.publish(
      rejected,
      exceptionOpened(rejected, { ...exception, openedAt: now }, now, {
        ...subjectsOf(envelope.data),
        ...(retry ? { retryOf: retry.of } : {}),
      }),
    );
    return;
  }
  await recordFollowUp(
    context,
    envelope,
    'OdooWriteRejected',
    data,
    { kind: 'none' },
    (draft) => {
      const now = context.now();
      openException(draft, exception, now);
      draft.lastOdooError = { at: now, kind: error.kind, message: reason };
    },
    { publish: true, ...(retry ? { discriminator: retryMark, retryOf: retry.of } : {}) },
  );
}

function subjectIdOf(envelope: EventEnvelope): string {
  const data = envelope.data as Record<string, unknown>;
  for (const key of [
    'invoiceId',
    'remittanceId',
    'paymentId',
    'claimId',
    'chargeId',
    'patientId',
    'traceNumber',
    'payerId',
  ]) {
    if (typeof data[key] === 'string') return data[key] as string;
  }
  return envelope.id;
}

/** Revenue at stake for an exception: what the event would have booked. */
function amountAtStake(envelope: EventEnvelope): number {
  if (envelope.type === 'RemittanceReceived') return remittanceAtStake(envelope.data as RemittanceReceived);
  const data = envelope.data as Record<string, unknown>;
  for (const key of ['totalCents', 'paidCents', 'amountCents', 'billedCents', 'depositCents']) {
    if (typeof data[key] === 'number') return Math.abs(data[key] as number);
  }
  return 0;
}

function toOdooError(error: unknown): OdooError {
  if (error instanceof OdooError) return error;
  // Our own store or bus failing is not the document's fault: retry.
  return new OdooError(
    'transient',
    (error as Error)?.name ?? 'Error',
    (error as Error)?.message ?? String(error),
  );
}

async function withQuickRetries<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      const delay = IN_INVOCATION_BACKOFF_MS[attempt];
      if (delay === undefined || !isRetryable(error)) throw error;
      // A batched write that may still commit: looked at again on a later delivery only (receivables-batch.ts).
      if (error instanceof OdooError && error.faultName === BATCH_OUTCOME_UNKNOWN) throw error;
      metrics.addMetric(METRICS.odooRetries, MetricUnit.Count, 1);
      if (error instanceof OdooError && (error.kind === 'auth' || error.kind === 'misconfiguration'))
        await odooClient(true);
      await new Promise((resolve) => setTimeout(resolve, delay + Math.floor(Math.random() * delay)));
    }
  }
}
