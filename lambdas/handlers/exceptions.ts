import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { AuditLog } from '../adapters/dynamodb/audit-log.js';
import { ExceptionConflict, ExceptionStore } from '../adapters/dynamodb/exception-store.js';
import { TriageStore } from '../adapters/dynamodb/triage-store.js';
import { InvalidCursor, WorkflowStore } from '../adapters/dynamodb/workflow-store.js';
import { requiredEnv } from '../adapters/environment.js';
import { EventPublisher } from '../adapters/eventbridge/event-publisher.js';
import {
  header,
  jsonResponse,
  parseJsonBody,
  parseQuery,
  RequestRejected,
  rejectionResponse,
} from '../adapters/http/api-request.js';
import { ProblemType, problem, problemResponse } from '../adapters/http/problem.js';
import { createLogger } from '../adapters/observability.js';
import { callerPrincipal, notEntitled } from '../adapters/partners/registry.js';
import { OdooWriteDlqRedrive } from '../adapters/sqs/dead-letter-redrive.js';
import { OdooWriteQueue } from '../adapters/sqs/odoo-write-queue.js';
import { type InboundMessage, WebhookQueue } from '../adapters/webhooks/queues.js';
import { WebhookStore } from '../adapters/webhooks/webhook-store.js';
import { verifiedTrailView } from '../core/audit.js';
import { type DenialWriteOffApproved, denialOf } from '../core/denial-write-off.js';
import { type EventEnvelope, EventSource } from '../core/envelope.js';
import { deterministicEventId } from '../core/event-id.js';
import type { ExceptionResolved } from '../core/events.js';
import {
  type ExceptionEntry,
  ExceptionId,
  ExceptionListQuery,
  exceptionView,
  RETRY_ATTRIBUTES,
  ResolveExceptionRequest,
  RetryExceptionRequest,
  resolvedEventIdFor,
  transition,
} from '../core/exceptions.js';
import { mayRead, type Principal, worksTeam } from '../core/partners.js';
import { env } from '../env.js';
import { recordExceptionResolved } from './booking/record.js';
import { countFeedback, resolutionFeedback } from './triage/feedback.js';
import { prioritizedPage } from './triage/priority.js';

const logger = createLogger('exceptions');
const dynamodb = new DynamoDBClient({});
const sqs = new SQSClient({});
const auditLog = new AuditLog(dynamodb, requiredEnv(env.auditTable));
const register = new ExceptionStore(dynamodb, requiredEnv(env.exceptionTable), auditLog);
const triage = new TriageStore(dynamodb, requiredEnv(env.exceptionTable), auditLog);
const workflows = new WorkflowStore(dynamodb, requiredEnv(env.workflowTable));
const publisher = new EventPublisher(new EventBridgeClient({}), requiredEnv(env.eventBus));
const odooWrites = new OdooWriteQueue(sqs, requiredEnv(env.odooWriteQueue));
const deadLetters = new OdooWriteDlqRedrive(sqs, requiredEnv(env.odooWriteDlqRedrive));
const webhooks = new WebhookStore(dynamodb, requiredEnv(env.webhookTable));
const inbound = new WebhookQueue<InboundMessage>(sqs, requiredEnv(env.inboundWebhookQueue));

/**
 * The exception register's API (docs/operations.md#exceptions). Reads list and search entries; `resolve`
 * closes one with a note, `retry` re-drives what it holds (a held or dead-lettered Odoo write, a quarantined
 * webhook). Both clear the exception on its encounter through an `ExceptionResolved` recorded in the
 * workflow (one id per exception), and every action is written to the audit trail with the caller's client id.
 */
export const handler = async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
  try {
    const principal = callerPrincipal(event);
    const clientId = principal.clientId;
    const route = `${event.httpMethod} ${event.resource}`;
    switch (route) {
      case 'GET /v1/exceptions':
        return await list(event, principal);
      case 'GET /v1/exceptions/{exceptionId}':
        return jsonResponse(200, await view(await found(event, principal)));
      case 'GET /v1/exceptions/{exceptionId}/audit': {
        // The chain itself, walked from its first line (docs/security.md#audit): for auditors.
        const entry = await found(event, principal);
        return jsonResponse(
          200,
          verifiedTrailView(entry.id, await register.auditTrail(entry.id), entry.version),
        );
      }
      case 'POST /v1/exceptions/{exceptionId}/resolve':
        return await resolve(event, principal);
      case 'POST /v1/exceptions/{exceptionId}/retry':
        return await retry(event, principal);
      default:
        throw new RequestRejected(problem(ProblemType.notFound, 404, 'Not found', `No route ${route}.`));
    }
  } catch (error) {
    const rejected = rejectionResponse(error);
    if (rejected) return rejected;
    if (error instanceof InvalidCursor) {
      return problemResponse(
        problem(ProblemType.validation, 400, 'Invalid cursor', error.message, {
          errors: [{ path: 'query:cursor', message: error.message }],
        }),
      );
    }
    if (error instanceof ExceptionConflict) return problemResponse(conflict(error.message));
    logger.error('exception request failed', { error: error as Error });
    return problemResponse(
      problem(ProblemType.unavailable, 503, 'Service unavailable', 'Try again shortly.'),
      { 'Retry-After': '2' },
    );
  }
};

function conflict(detail: string) {
  return problem(ProblemType.conflict, 409, 'Conflict', detail);
}

async function list(event: APIGatewayProxyEvent, principal: Principal): Promise<APIGatewayProxyResult> {
  const query = parseQuery(event, ExceptionListQuery);
  // By priority or exposure: the open queue ranked by triage (docs/triage.md#priority).
  if (query.sort === 'priority' || query.sort === 'exposure') {
    if (query.status && query.status !== 'open')
      throw new RequestRejected(
        problem(
          ProblemType.validation,
          400,
          'Invalid query',
          'sort=priority|exposure ranks open exceptions only.',
          {
            errors: [
              { path: 'query:status', message: 'must be open (or omitted) with sort=priority|exposure' },
            ],
          },
        ),
      );
    return jsonResponse(
      200,
      await prioritizedPage(register, query, (entry) => mayRead(principal, entry.facilityId)),
    );
  }
  const page = await register.list(query);
  // Only the caller's facilities (docs/security.md#reads): a page may come back short, the cursor goes on.
  const visible = page.items.filter((entry) => mayRead(principal, entry.facilityId));
  return jsonResponse(200, {
    items: await Promise.all(visible.map(view)),
    ...(page.cursor ? { nextCursor: page.cursor } : {}),
  });
}

/** An entry as the API shows it, with its trail from the audit table. */
async function view(entry: ExceptionEntry) {
  return exceptionView(entry, await register.auditTrail(entry.id));
}

async function found(event: APIGatewayProxyEvent, principal: Principal): Promise<ExceptionEntry> {
  const id = ExceptionId.safeParse(event.pathParameters?.exceptionId);
  if (!id.success) {
    throw new RequestRejected(
      problem(
        ProblemType.validation,
        400,
        'Invalid exception id',
        'The exception id in the path is not valid.',
        {
          errors: [{ path: 'path:exceptionId', message: id.error.issues[0]?.message ?? 'invalid' }],
        },
      ),
    );
  }
  const entry = await register.get(id.data);
  // Another facility's exception answers exactly as an unknown one (docs/security.md#reads).
  if (!entry || !mayRead(principal, entry.facilityId)) {
    throw new RequestRejected(
      problem(ProblemType.notFound, 404, 'Unknown exception', `No exception ${id.data}.`),
    );
  }
  return entry;
}

/** Exception actions are a team's: a billing clerk does not resolve finance's exceptions (docs/security.md#roles). */
function actionable(entry: ExceptionEntry, principal: Principal): void {
  if (!worksTeam(principal, entry.team))
    throw notEntitled(`This client does not work the ${entry.team} team's exceptions.`);
}

async function resolve(event: APIGatewayProxyEvent, principal: Principal): Promise<APIGatewayProxyResult> {
  const clientId = principal.clientId;
  const request = parseJsonBody(event, ResolveExceptionRequest);
  const entry = await found(event, principal);
  actionable(entry, principal);
  const verdict = transition(entry.status, 'resolve', entry.redrive);
  if (!verdict.ok) throw new RequestRejected(conflict(verdict.reason));
  const now = new Date().toISOString();
  // Issue 14: only a person writes a denial off; the booking goes through the Odoo write queue, before the
  // exception closes, so a failure here leaves it open to try again (the queue dedupes the second send).
  if (request.outcome === 'not-recoverable') await approveDenialWriteOff(entry, clientId, request.note, now);
  await clearOnWorkflow(entry, clientId, 'resolved', now, request.resolutionCode);
  const next: ExceptionEntry = {
    ...entry,
    status: verdict.status,
    updatedAt: now,
    resolution: {
      ...(request.resolutionCode ? { code: request.resolutionCode } : {}),
      ...(request.outcome ? { outcome: request.outcome } : {}),
      note: request.note,
      at: now,
      clientId,
      // The person's cause and action, against the triage suggestion (what retraining learns from).
      ...resolutionFeedback(entry, request),
    },
  };
  const closed = await register.close(entry, next, {
    at: now,
    action: 'resolved',
    actor: clientId,
    note: request.note,
  });
  await countFeedback(triage, closed);
  if (entry.redrive.kind === 'dead-letter') {
    // Handled by a person: the DLQ message goes (no manual redrive books it later), and so does the copy.
    await (await deadLetters.find(entry.redrive.eventId)).remove();
    await register.dropDeadLetter(entry.id);
  }
  logger.info('exception resolved', { exceptionId: entry.id, team: entry.team });
  return jsonResponse(200, await view(closed));
}

async function retry(event: APIGatewayProxyEvent, principal: Principal): Promise<APIGatewayProxyResult> {
  const clientId = principal.clientId;
  const request =
    event.body && header(event, 'Content-Type') ? parseJsonBody(event, RetryExceptionRequest) : {};
  const entry = await found(event, principal);
  actionable(entry, principal);
  const verdict = transition(entry.status, 'retry', entry.redrive);
  if (!verdict.ok) throw new RequestRejected(conflict(verdict.reason));
  const now = new Date().toISOString();
  const redriven = await redrive(entry, clientId);
  await clearOnWorkflow(entry, clientId, 'retried', now);
  const next: ExceptionEntry = {
    ...entry,
    status: verdict.status,
    updatedAt: now,
    redriven: { kind: entry.redrive.kind, ...redriven, at: now },
  };
  const closed = await register.close(entry, next, {
    at: now,
    action: 'retried',
    actor: clientId,
    ...(request.note ? { note: request.note } : {}),
  });
  logger.info('exception retried', { exceptionId: entry.id, kind: entry.redrive.kind, from: redriven.from });
  return jsonResponse(202, await view(closed));
}

/**
 * Puts back what the exception holds. A re-driven Odoo write carries the exception and the attempt number:
 * its deduplication id differs from the first delivery's (`<eventId>:retry:<n>`), and a new refusal opens
 * `<key>:retry:<n>`, linked to this one. Two concurrent retries of one exception compute the same n, so SQS
 * drops the second copy (FIFO deduplication); the register lets only one of them close the entry.
 */
async function redrive(
  entry: ExceptionEntry,
  clientId: string,
): Promise<{ from: string; reference: string }> {
  const attempt = entry.attempt + 1;
  const retryAttributes = {
    [RETRY_ATTRIBUTES.retryOf]: entry.id,
    [RETRY_ATTRIBUTES.attempt]: String(attempt),
  };
  const target = entry.redrive;
  switch (target.kind) {
    case 'dead-letter': {
      const inDlq = await deadLetters.find(target.eventId);
      const copy = inDlq.body ? undefined : await register.deadLetter(entry.id);
      const envelope = inDlq.body ? (JSON.parse(inDlq.body) as EventEnvelope) : copy?.envelope;
      if (!envelope)
        throw new RequestRejected(
          conflict('The dead-lettered message is gone and no copy was kept; resolve it.'),
        );
      await odooWrites.enqueue(envelope, `retry:${attempt}`, retryAttributes);
      await inDlq.remove();
      return {
        from: inDlq.body ? 'dead-letter-queue' : 'stored-copy',
        reference: `${target.eventId}:retry:${attempt}`,
      };
    }
    case 'held': {
      const held = (await workflows.heldEvents(target.encounterId)).find(
        (h) => h.envelope.id === target.eventId,
      );
      if (!held)
        throw new RequestRejected(
          conflict('The event is no longer held (it was booked or rejected since); resolve the exception.'),
        );
      await odooWrites.enqueue(held.envelope, `retry:${attempt}`, retryAttributes);
      return { from: 'held', reference: `${target.eventId}:retry:${attempt}` };
    }
    case 'quarantined-webhook': {
      // As POST /v1/webhooks/quarantine/{source}/{deliveryId}/replay does (webhook-quarantine.ts).
      const reopened = await webhooks.reopenReceipt(target.source, target.deliveryId);
      if (!reopened)
        throw new RequestRejected(conflict('The webhook is no longer quarantined (replayed already?).'));
      await inbound.send(
        { source: target.source, deliveryId: target.deliveryId },
        { source: target.source, replayedBy: clientId },
      );
      return { from: 'quarantine', reference: `${target.source}/${target.deliveryId}` };
    }
    case 'none':
      throw new RequestRejected(conflict('Nothing can be re-driven for this exception; resolve it.'));
  }
}

/**
 * Queues the write-off of a denial resolved as not recoverable (core/denial-write-off.ts): one
 * `DenialWriteOffApproved` per exception (its id is derived from the exception's), in the encounter's FIFO group.
 */
async function approveDenialWriteOff(
  entry: ExceptionEntry,
  clientId: string,
  note: string,
  now: string,
): Promise<void> {
  const denial = denialOf(entry.key);
  const encounterId = entry.subjects.encounterId;
  const workflow = encounterId ? await workflows.getWorkflow(encounterId) : undefined;
  if (!denial || !workflow || entry.amountCents <= 0) {
    throw new RequestRejected(
      problem(
        ProblemType.validation,
        400,
        'Not a denial',
        'outcome not-recoverable writes off a denied amount: only denial exceptions (era:<id>:denied, era:<id>:denied-lines) of an encounter take it.',
        { errors: [{ path: '/outcome', message: `exception ${entry.key} is not a denial of an encounter` }] },
      ),
    );
  }
  const data: DenialWriteOffApproved = {
    exceptionId: entry.id,
    exceptionKey: entry.key,
    remittanceId: denial.remittanceId,
    amountCents: entry.amountCents,
    note,
    resolvedOn: now.slice(0, 10),
  };
  const approval: EventEnvelope<'DenialWriteOffApproved', DenialWriteOffApproved> = {
    id: deterministicEventId('DenialWriteOffApproved', entry.id),
    type: 'DenialWriteOffApproved',
    version: 1,
    source: EventSource.workflow,
    time: now,
    correlationId: entry.subjects.correlationId ?? entry.id,
    idempotencyKey: `exception:${entry.id}:write-off`,
    clientId,
    encounterId: workflow.encounterId,
    facilityId: workflow.facilityId,
    partitionKey: workflow.encounterId,
    data,
  };
  await odooWrites.enqueue(approval);
}

/**
 * Records `ExceptionResolved` (one id per exception) on the encounter's workflow, removing the exception's key,
 * so the encounter returns to its stage when nothing else is open; then publishes it and any state change.
 * Publishing repeats on a repeated call (ids are stable; subscribers dedupe by id). Exceptions without an
 * encounter only publish.
 */
async function clearOnWorkflow(
  entry: ExceptionEntry,
  clientId: string,
  outcome: ExceptionResolved['outcome'],
  now: string,
  resolutionCode?: string,
): Promise<void> {
  const data: ExceptionResolved = {
    exceptionId: entry.id,
    key: entry.key,
    outcome,
    ...(resolutionCode ? { resolutionCode } : {}),
  };
  const encounterId = entry.subjects.encounterId;
  const workflow = encounterId ? await workflows.getWorkflow(encounterId) : undefined;
  const resolved: EventEnvelope<'ExceptionResolved', ExceptionResolved> = {
    id: resolvedEventIdFor(entry.id),
    type: 'ExceptionResolved',
    version: 1,
    source: EventSource.workflow,
    time: now,
    correlationId: entry.subjects.correlationId ?? entry.id,
    idempotencyKey: `exception:${entry.id}`,
    clientId,
    ...(workflow ? { encounterId: workflow.encounterId, facilityId: workflow.facilityId } : {}),
    partitionKey: workflow?.encounterId ?? entry.scope,
    data,
  };
  await recordExceptionResolved({ store: workflows, publisher }, resolved);
}
