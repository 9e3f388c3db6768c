import { gunzipSync, gzipSync } from 'node:zlib';
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { EncounterEnvelope } from '../../core/envelope.js';
import type { ReadyClaim, RoundPace } from '../../core/era-booking.js';
import { batchGetItems, getItem } from './items.js';

/**
 * The ERA booking's items in the workflow table (core/era-booking.ts), each in its own partition so no
 * encounter or ERA query of other stores ever reads them:
 *   ERAGATE#<encounterId> / GATE             the claim payment the encounter waits for, with its envelope
 *   ERAREADY#<TRN02> / <joinedAt>#<eventId>  the ERA's ready set, in arrival order (small: the round pages it)
 *   ERALEASE#<TRN02> / LEASE                 the round at work on the ERA, until it ends or its lease expires
 *   ERAROUND#<TRN02> / MARK                  a round is asked for and has not read the ready set yet (until `until`)
 *   ERAPACE / PACE                           what a round costs a claim payment on this Odoo (`RoundPace`)
 */
export interface EraGate {
  eventId: string;
  traceNumber: string;
  remittanceId: string;
  /** The ready item's sort key: the same on every redelivery of the claim payment's turn. */
  readyKey: string;
  envelope: EncounterEnvelope;
  /** Events held behind the gate so far: the round opens the gate only on the count it released. */
  behind: number;
}

export interface ReadyItem extends ReadyClaim {
  encounterId: string;
  readyKey: string;
  /** Rounds that tried to book it and failed in a way a retry may fix. */
  attempts: number;
}

/** The gate's envelope: gzipped JSON, or plain JSON as the first gates were written. */
function envelopeOf(item: Record<string, unknown>): EncounterEnvelope {
  const text =
    item.envelopeGzip instanceof Uint8Array
      ? gunzipSync(item.envelopeGzip).toString('utf8')
      : (item.envelope as string);
  return JSON.parse(text) as EncounterEnvelope;
}

const gateKey = (encounterId: string) => ({ pk: `ERAGATE#${encounterId}`, sk: 'GATE' });
const readyPartition = (traceNumber: string) => `ERAREADY#${traceNumber}`;

export class EraBookingStore {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  async gate(encounterId: string): Promise<EraGate | undefined> {
    const item = await getItem<Omit<EraGate, 'envelope'> & Record<string, unknown>>(
      this.doc,
      this.tableName,
      gateKey(encounterId),
    );
    if (!item) return undefined;
    const { envelopeGzip: _gzip, envelope: _plain, ...gate } = item;
    return { ...gate, envelope: envelopeOf(item) };
  }

  /** The closed gates of these encounters, by encounter (one BatchGet per 100). */
  async gates(encounterIds: readonly string[]): Promise<Map<string, EraGate>> {
    const gates = new Map<string, EraGate>();
    for (const item of await batchGetItems(
      this.doc,
      this.tableName,
      [...new Set(encounterIds)].map(gateKey),
    )) {
      const envelope = envelopeOf(item);
      gates.set(envelope.encounterId, {
        eventId: item.eventId as string,
        traceNumber: item.traceNumber as string,
        remittanceId: item.remittanceId as string,
        readyKey: item.readyKey as string,
        envelope,
        behind: Number(item.behind ?? 0),
      });
    }
    return gates;
  }

  /**
   * Closes the encounter's gate for this claim payment and puts it in its ERA's ready set. A redelivery of the
   * same turn finds its gate and puts the same ready item again. Answers the ready item's key, or undefined when
   * another claim payment holds the gate (this one then waits behind it).
   */
  async join(
    envelope: EncounterEnvelope,
    traceNumber: string,
    remittanceId: string,
    now: string,
  ): Promise<string | undefined> {
    const readyKey = `${now}#${envelope.id}`;
    let gate: EraGate | undefined;
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...gateKey(envelope.encounterId),
            eventId: envelope.id,
            traceNumber,
            remittanceId,
            readyKey,
            // Gzipped: the plain JSON put the gate just over 1 KB, two write units a write (docs/cost.md).
            envelopeGzip: gzipSync(JSON.stringify(envelope)),
            behind: 0,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      gate = { eventId: envelope.id, traceNumber, remittanceId, readyKey, envelope, behind: 0 };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      gate = await this.gate(envelope.encounterId);
      if (gate?.eventId !== envelope.id) return undefined;
    }
    await this.doc
      .send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: readyPartition(traceNumber),
            sk: gate.readyKey,
            encounterId: envelope.encounterId,
            eventId: envelope.id,
            joinedAt: gate.readyKey.slice(0, gate.readyKey.length - envelope.id.length - 1),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      )
      .catch((error) => {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      });
    return gate.readyKey;
  }

  /**
   * Notes one more event held behind the encounter's gate (after its HELD item is written). False when the gate
   * is open by now: the caller releases what it held itself.
   */
  async holdBehind(encounterId: string): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: gateKey(encounterId),
          UpdateExpression: 'ADD behind :one',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':one': 1 },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /**
   * Opens the gate if it is still this claim payment's and nothing was held behind it since the round released
   * (`behind` as the round read it before releasing). False: look at what was held, release, try again.
   */
  async open(encounterId: string, eventId: string, behind: number): Promise<boolean> {
    try {
      await this.doc.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: gateKey(encounterId),
          ConditionExpression: 'attribute_not_exists(pk) OR (eventId = :id AND behind = :behind)',
          ExpressionAttributeValues: { ':id': eventId, ':behind': behind },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /** The oldest `limit` claim payments of the ERA's ready set, in arrival order, and the newest one's arrival. */
  async ready(traceNumber: string, limit: number): Promise<{ oldest: ReadyItem[]; newest?: string }> {
    const page = async (forward: boolean, max: number) =>
      (
        await this.doc.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': readyPartition(traceNumber) },
            ScanIndexForward: forward,
            Limit: max,
            ConsistentRead: true,
          }),
        )
      ).Items ?? [];
    const oldest = (await page(true, limit)).map((item) => ({
      encounterId: item.encounterId as string,
      eventId: item.eventId as string,
      joinedAt: item.joinedAt as string,
      readyKey: item.sk as string,
      attempts: (item.attempts as number | undefined) ?? 0,
    }));
    if (oldest.length === 0) return { oldest };
    const [last] = await page(false, 1);
    return { oldest, newest: (last?.joinedAt as string | undefined) ?? oldest[oldest.length - 1]?.joinedAt };
  }

  /**
   * Takes the ERA's round lease for `holder` until `untilMs`: one round at a time per ERA, even when SQS hands a
   * round's message out again while it still runs (a visibility timeout shorter than the round). False: another
   * round holds it. `lateCommit`: the holder keeps it past its round, until a write whose answer it lost can no
   * longer commit (no round of the ERA may look for, and create, the same payments before then).
   */
  async lease(
    traceNumber: string,
    holder: string,
    nowMs: number,
    untilMs: number,
    options: { lateCommit?: boolean } = {},
  ): Promise<boolean> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: `ERALEASE#${traceNumber}`,
            sk: 'LEASE',
            holder,
            until: untilMs,
            ...(options.lateCommit ? { lateCommit: true } : {}),
          },
          ConditionExpression: 'attribute_not_exists(pk) OR #until < :now OR holder = :holder',
          ExpressionAttributeNames: { '#until': 'until' },
          ExpressionAttributeValues: { ':now': nowMs, ':holder': holder },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /**
   * The ERA's round lease as it stands: until when, and whether its holder keeps it past its round to wait out a
   * write that may still commit (`lease` with `lateCommit`). Undefined: nobody holds it.
   */
  async leaseOf(traceNumber: string): Promise<{ until: number; lateCommit: boolean } | undefined> {
    const item = await getItem<{ until: number; lateCommit?: boolean }>(this.doc, this.tableName, {
      pk: `ERALEASE#${traceNumber}`,
      sk: 'LEASE',
    });
    if (!item) return undefined;
    return { until: Number(item.until), lateCommit: item.lateCommit === true };
  }

  /**
   * The pace the stage's rounds learned (core/era-booking.ts `paceAfterRound`): one item for every writer and ERA,
   * since they share the Odoo whose speed it measures, so a fresh container's first round is sized like the rest.
   */
  async pace(): Promise<RoundPace | undefined> {
    const item = await getItem<RoundPace>(this.doc, this.tableName, { pk: 'ERAPACE', sk: 'PACE' });
    if (!item) return undefined;
    const figure = (n: unknown) => (typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : undefined);
    const batchMsPerWrite = figure(item.batchMsPerWrite);
    const recordMsPerClaim = figure(item.recordMsPerClaim);
    return {
      ...(batchMsPerWrite === undefined ? {} : { batchMsPerWrite }),
      ...(recordMsPerClaim === undefined ? {} : { recordMsPerClaim }),
    };
  }

  /** Last round wins: rounds of different ERAs measure the same Odoo, and the newest figure is the one to use. */
  async savePace(pace: RoundPace, at: string): Promise<void> {
    await this.doc.send(
      new PutCommand({ TableName: this.tableName, Item: { pk: 'ERAPACE', sk: 'PACE', ...pace, at } }),
    );
  }

  async release(traceNumber: string, holder: string): Promise<void> {
    await this.doc
      .send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { pk: `ERALEASE#${traceNumber}`, sk: 'LEASE' },
          ConditionExpression: 'holder = :holder',
          ExpressionAttributeValues: { ':holder': holder },
        }),
      )
      .catch((error) => {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      });
  }

  /**
   * Marks a round of the ERA as asked for by `by` (the joining claim payment's ready key), unless another joining's
   * mark stands (core/era-booking.ts `asksForRound`, the condition below). True: the caller sends the round message. The same
   * joining's redelivery (a crash between mark and send) finds its own mark and sends again: the message's
   * deduplication id is the same, so a send that did happen is not doubled.
   */
  async markRound(traceNumber: string, by: string, nowMs: number, untilMs: number): Promise<boolean> {
    // While an ERA arrives the answer is mostly "a mark stands": a consistent read says so for a read unit, where a
    // refused conditional put costs a write unit and an error. A mark cleared after this read was cleared by a
    // round that reads the ready set afterwards, so it books this claim payment, which joined before the read.
    const standing = await getItem<{ by?: string; until?: number }>(this.doc, this.tableName, {
      pk: `ERAROUND#${traceNumber}`,
      sk: 'MARK',
    });
    if (standing && (standing.until ?? 0) >= nowMs && standing.by !== by) return false;
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: `ERAROUND#${traceNumber}`, sk: 'MARK', by, until: untilMs },
          ConditionExpression: 'attribute_not_exists(pk) OR #until < :now OR #by = :by',
          ExpressionAttributeNames: { '#until': 'until', '#by': 'by' },
          ExpressionAttributeValues: { ':now': nowMs, ':by': by },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /**
   * Clears the ERA's round mark: a round does so before it reads the ready set, so a claim payment that joins after
   * that read finds no mark and asks for a round of its own.
   */
  async clearRoundMark(traceNumber: string): Promise<void> {
    await this.doc.send(
      new DeleteCommand({ TableName: this.tableName, Key: { pk: `ERAROUND#${traceNumber}`, sk: 'MARK' } }),
    );
  }

  /** One more failed try of a ready claim payment; answers the count. */
  async noteAttempt(traceNumber: string, readyKey: string): Promise<number> {
    const out = await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: readyPartition(traceNumber), sk: readyKey },
        UpdateExpression: 'ADD attempts :one',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':one': 1 },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return Number(out.Attributes?.attempts ?? 1);
  }

  async leave(traceNumber: string, readyKey: string): Promise<void> {
    await this.doc.send(
      new DeleteCommand({
        TableName: this.tableName,
        Key: { pk: readyPartition(traceNumber), sk: readyKey },
      }),
    );
  }
}
