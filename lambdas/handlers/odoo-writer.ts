import { processPartialResponse, SqsFifoPartialProcessorAsync } from '@aws-lambda-powertools/batch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { WorkflowStore } from '../adapters/dynamodb/workflow-store.js';
import { numberEnv, requiredEnv } from '../adapters/environment.js';
import { EventPublisher } from '../adapters/eventbridge/event-publisher.js';
import { createLogger } from '../adapters/observability.js';
import { OdooClient } from '../adapters/odoo/client.js';
import { isRetryable, OdooError } from '../adapters/odoo/errors.js';
import { OdooInvoiceLedger } from '../adapters/odoo/invoice-ledger.js';
import { loadOdooConnection } from '../adapters/secrets/odoo-connection.js';
import { OdooWriteDeadLetters } from '../adapters/sqs/odoo-write-queue.js';
import { type EventEnvelope, EventSource, followUpEvent } from '../core/envelope.js';
import { EventCatalog } from '../core/events.js';
import type { InvoiceIssued } from '../core/invoice.js';
import type { WorkflowState } from '../core/workflow.js';
import { env, queues } from '../wiring.js';

const logger = createLogger('odooWriter');
const store = new WorkflowStore(new DynamoDBClient({}), requiredEnv(env.workflowTable));
const publisher = new EventPublisher(new EventBridgeClient({}), requiredEnv(env.eventBus));
const deadLetters = new OdooWriteDeadLetters(new SQSClient({}), requiredEnv(env.odooWriteDlq));
const odooSecretId = requiredEnv(env.odooSecret);
const maxReceiveCount = numberEnv(env.odooWriteMaxReceiveCount, queues.OdooWriteQueue.maxReceiveCount);
/** Short in-invocation retries ride out a blip; longer outages are SQS's job (visibility timeout). */
const IN_INVOCATION_BACKOFF_MS = [200, 800];

let cachedClient: { key: string; client: OdooClient } | undefined;

async function odooClient(forceFetch = false): Promise<OdooClient> {
  const connection = await loadOdooConnection(odooSecretId, { forceFetch });
  const key = JSON.stringify(connection);
  if (cachedClient?.key !== key) cachedClient = { key, client: new OdooClient(connection) };
  return cachedClient.client;
}

const processor = new SqsFifoPartialProcessorAsync();

export const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> =>
  processPartialResponse(event, writeRecord, processor, { context, skipGroupOnError: true });

async function writeRecord(record: SQSRecord): Promise<void> {
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
  logger.appendKeys({ correlationId: envelope.correlationId, eventId: envelope.id });
  try {
    await withQuickRetries(() => writeToOdoo(envelope));
  } catch (error) {
    const odooError = toOdooError(error);
    if (isRetryable(odooError) && attempts < maxReceiveCount) {
      logger.warn('Odoo write failed; SQS will redeliver', {
        kind: odooError.kind,
        fault: odooError.faultName,
        attempts,
      });
      await store.noteOdooError(envelope.encounterId, {
        at: new Date().toISOString(),
        kind: odooError.kind,
        message: odooError.message,
      });
      throw odooError;
    }
    await rejectForGood(envelope, odooError, attempts);
  } finally {
    logger.removeKeys(['correlationId', 'eventId']);
  }
}

function parseEnvelope(record: SQSRecord): EventEnvelope {
  const body = JSON.parse(record.body) as { type?: string };
  const schema = EventCatalog[body.type as keyof typeof EventCatalog];
  if (!schema) throw new Error(`no Odoo write is defined for events of type ${String(body.type)}`);
  return schema.parse(body) as EventEnvelope;
}

async function writeToOdoo(envelope: EventEnvelope): Promise<void> {
  switch (envelope.type) {
    case 'InvoiceIssued':
      return postInvoice(envelope as EventEnvelope<'InvoiceIssued', InvoiceIssued>);
    default:
      throw new OdooError(
        'permanent',
        'rcm.UnroutableEvent',
        `the Odoo writer does not handle ${envelope.type}`,
      );
  }
}

async function postInvoice(issued: EventEnvelope<'InvoiceIssued', InvoiceIssued>): Promise<void> {
  const ledger = new OdooInvoiceLedger(await odooClient());
  const partnerId = await ledger.ensurePartner(issued.data.billTo);
  const posted = await ledger.ensurePostedInvoice(issued.data, partnerId);
  const now = new Date().toISOString();
  const invoicePosted = followUpEvent(
    issued,
    'InvoicePosted',
    EventSource.odooWriter,
    {
      invoiceId: issued.data.invoiceId,
      odooPartnerId: partnerId,
      odooMoveId: posted.moveId,
      odooMoveName: posted.moveName,
      amountTotalCents: posted.amountTotalCents,
      amountResidualCents: posted.amountResidualCents,
      alreadyPresent: posted.alreadyPresent,
    },
    now,
  );
  const recorded = await store.recordEvent(
    {
      eventId: invoicePosted.id,
      type: invoicePosted.type,
      time: now,
      correlationId: issued.correlationId,
      clientId: issued.clientId,
      encounterId: issued.encounterId,
      facilityId: issued.facilityId,
      detail: { ...invoicePosted.data },
    },
    { kind: 'reach', state: 'invoice_issued' },
    {
      odooInvoice: {
        invoiceId: issued.data.invoiceId,
        moveId: posted.moveId,
        moveName: posted.moveName,
        partnerId,
      },
      lastOdooError: null,
    },
  );
  // Published on every delivery (ids are stable): a crash after the record must not lose the event.
  await publisher.publish(
    invoicePosted,
    ...stateChange(invoicePosted, recorded.from, recorded.to, recorded.applied),
  );
  logger.info('invoice posted in Odoo', {
    odooMoveId: posted.moveId,
    alreadyPresent: posted.alreadyPresent,
    state: recorded.to,
  });
}

/** Odoo refused for good (or kept failing): DLQ with the reason, an exception on the workflow, an event. */
async function rejectForGood(envelope: EventEnvelope, error: OdooError, attempts: number): Promise<void> {
  const reason =
    error.kind === 'permanent' ? error.message : `gave up after ${attempts} attempts: ${error.message}`;
  logger.error('Odoo write rejected; dead-lettered with an exception', {
    kind: error.kind,
    fault: error.faultName,
    attempts,
  });
  await deadLetters.deadLetter(envelope, { kind: error.kind, message: reason, attempts });
  const now = new Date().toISOString();
  const rejected = followUpEvent(
    envelope,
    'OdooWriteRejected',
    EventSource.odooWriter,
    {
      subjectType: envelope.type,
      subjectId: subjectIdOf(envelope),
      reason,
      odooError: error.faultName,
      sourceEventId: envelope.id,
    },
    now,
  );
  const recorded = await store.recordEvent(
    {
      eventId: rejected.id,
      type: rejected.type,
      time: now,
      correlationId: envelope.correlationId,
      clientId: envelope.clientId,
      encounterId: envelope.encounterId,
      facilityId: envelope.facilityId,
      detail: { ...rejected.data },
    },
    { kind: 'raise', reason },
    { lastOdooError: { at: now, kind: error.kind, message: reason } },
  );
  await publisher.publish(rejected, ...stateChange(rejected, recorded.from, recorded.to, recorded.applied));
}

function stateChange(
  cause: EventEnvelope,
  from: WorkflowState | null,
  to: WorkflowState,
  applied: boolean,
): EventEnvelope[] {
  if (!applied || from === to) return [];
  return [
    followUpEvent(
      cause,
      'WorkflowStateChanged',
      EventSource.workflow,
      { from, to, cause: cause.type },
      cause.time,
    ),
  ];
}

function subjectIdOf(envelope: EventEnvelope): string {
  const data = envelope.data as { invoiceId?: string };
  return data.invoiceId ?? envelope.id;
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
      if (error instanceof OdooError && error.kind === 'auth') await odooClient(true);
      await new Promise((resolve) => setTimeout(resolve, delay + Math.floor(Math.random() * delay)));
    }
  }
}
