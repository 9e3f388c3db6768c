import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import type { EventBridgeEvent } from 'aws-lambda';
import { AuditLog } from '../adapters/dynamodb/audit-log.js';
import { ExceptionStore } from '../adapters/dynamodb/exception-store.js';
import { TriageStore } from '../adapters/dynamodb/triage-store.js';
import { requiredEnv } from '../adapters/environment.js';
import { createLogger } from '../adapters/observability.js';
import { AlertPublisher, alertTopicsFrom } from '../adapters/sns/alert-publisher.js';
import type { EventEnvelope } from '../core/envelope.js';
import { type ExceptionOpened, ExceptionOpenedEnvelope } from '../core/exception-opened.js';
import { type ExceptionEntry, entryFromOpened } from '../core/exceptions.js';
import { exceptionAlert } from '../core/triage/alert.js';
import { env } from '../env.js';
import { openingFacts, suggest, withTriage } from './triage/suggest.js';

const logger = createLogger('projectExceptions');
const client = new DynamoDBClient({});
const auditLog = new AuditLog(client, requiredEnv(env.auditTable));
const store = new ExceptionStore(client, requiredEnv(env.exceptionTable), auditLog);
const triageStore = new TriageStore(client, requiredEnv(env.exceptionTable), auditLog);
const alerts = new AlertPublisher(new SNSClient({}), alertTopicsFrom(process.env[env.exceptionAlertTopics]));

/**
 * Bus rule target (wiring.ts `ExceptionRegister`): every `ExceptionOpened`, whoever published it (the Odoo
 * writer, the webhook processor and delivery, the X12 intake), becomes one register entry. The entry id is
 * derived from (scope, key) and written only if absent, so a redelivered or replayed event changes nothing.
 * An exception opened by a failed retry is linked both ways (retryOf / retriedAs).
 */
export const handler = async (event: EventBridgeEvent<string, EventEnvelope>): Promise<void> => {
  const parsed = ExceptionOpenedEnvelope.safeParse(event.detail);
  if (!parsed.success) {
    // Not retryable: the same event will never parse. It stays in the bus archive for a fixed deploy.
    logger.error('ExceptionOpened that does not match its schema; not projected', {
      eventId: event.detail?.id,
    });
    return;
  }
  const envelope = parsed.data as EventEnvelope<'ExceptionOpened', ExceptionOpened>;
  const entry = await triaged(entryFromOpened(envelope));
  // Audit lines: opened by the client whose request caused it; triaged by the model, when it suggested.
  const created = await store.open(entry, (stored) => openingFacts(stored, envelope.clientId));
  if (entry.retryOf) await store.linkRetry(entry.retryOf, entry.id, envelope.clientId, envelope.time);
  logger.info(created ? 'exception registered' : 'exception already registered', {
    exceptionId: entry.id,
    team: entry.team,
    correlationId: envelope.correlationId,
  });
  if (created) await alert(entry);
};

/**
 * One alert per registered exception, to its team's topic, with the triage's cause, exposure and next action
 * (docs/triage.md#alerts). Only the first registration alerts, so a redelivered event does not alert again.
 * A failed publish is logged, not retried: the entry is in the register either way, and the open-exceptions
 * alarm of its team still counts it (retrying the event would find it registered and alert nobody).
 */
async function alert(entry: ExceptionEntry): Promise<void> {
  try {
    await alerts.publish(exceptionAlert(entry, entry.triage));
  } catch (error) {
    logger.error('exception alert not published', {
      exceptionId: entry.id,
      team: entry.team,
      error: (error as Error).name,
    });
  }
}

/**
 * The entry with its triage (docs/triage.md), written with it. Triage only suggests: if it fails, the entry is
 * registered without one (the next retrain suggests for it) rather than held back.
 */
async function triaged(entry: ExceptionEntry): Promise<ExceptionEntry> {
  try {
    return withTriage(entry, await suggest(triageStore, entry, Date.now()));
  } catch (error) {
    logger.warn('triage failed; registered without a suggestion', {
      exceptionId: entry.id,
      error: error as Error,
    });
    return entry;
  }
}
