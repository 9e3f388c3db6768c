import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { ReconciliationStore } from '../adapters/dynamodb/reconciliation-store.js';
import { requiredEnv } from '../adapters/environment.js';
import {
  correlationIdOf,
  idempotencyKeyOf,
  jsonResponse,
  parseJsonBody,
  parseQuery,
  RequestRejected,
  rejectionResponse,
} from '../adapters/http/api-request.js';
import { ProblemType, problem, problemResponse } from '../adapters/http/problem.js';
import { createLogger } from '../adapters/observability.js';
import { callerPrincipal, notEntitled } from '../adapters/partners/registry.js';
import { deterministicEventId } from '../core/event-id.js';
import { decideWrite, mayRead, type Principal, visibleFacilities } from '../core/partners.js';
import {
  DifferenceClass,
  dedupe,
  ReconciliationRequest,
  ReconciliationRunListQuery,
} from '../core/reconciliation.js';
import { env } from '../env.js';

const logger = createLogger('reconciliations');
const runs = new ReconciliationStore(new DynamoDBClient({}), requiredEnv(env.workflowTable));
const sfn = new SFNClient({});
const stateMachineArn = requiredEnv(env.reconciliationStateMachine);

/** `arn:…:stateMachine:<name>` → `arn:…:execution:<name>:<executionName>` (how Step Functions names them). */
function executionArn(runId: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${runId}`;
}

/**
 * A run id per (client, Idempotency-Key): the execution name. StartExecution of a Standard state machine is
 * itself idempotent for the same name and input, so a retried POST starts nothing new; the same key with a
 * different body is a 409.
 */
function runIdFor(clientId: string, idempotencyKey: string): string {
  return `rcn-${deterministicEventId('ReconciliationRequested', clientId, idempotencyKey)}`;
}

export const handler = async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
  let correlationId: string | undefined;
  try {
    // Inside the try: a malformed X-Correlation-Id is the caller's 400, never a 500 (issue #15).
    correlationId = correlationIdOf(event);
    const principal = callerPrincipal(event);
    const route = `${event.httpMethod} ${event.resource}`;
    if (route === 'POST /v1/reconciliations') return await startRun(event, principal, correlationId);
    if (route === 'GET /v1/reconciliations') return await listRuns(event, principal, correlationId);
    if (route === 'GET /v1/reconciliations/{runId}')
      return await report(event.pathParameters?.runId ?? '', event, principal, correlationId);
    throw new RequestRejected(problem(ProblemType.notFound, 404, 'Not found', `No route ${route}.`));
  } catch (error) {
    const rejected = rejectionResponse(error, correlationId);
    if (rejected) return rejected;
    logger.error('reconciliation request failed', { error: error as Error });
    return problemResponse(
      problem(ProblemType.unavailable, 503, 'Service unavailable', 'Try again shortly.', { correlationId }),
      { 'Retry-After': '2', ...(correlationId ? { 'X-Correlation-Id': correlationId } : {}) },
    );
  }
};

/** A run over every facility is visible only to a caller that sees every facility (docs/security.md#reads). */
function seesRun(principal: Principal, run: { facilityId?: string | null; payerId?: string }): boolean {
  return mayRead(principal, run.facilityId ?? null, run.payerId ? [run.payerId] : []);
}

async function startRun(
  event: APIGatewayProxyEvent,
  principal: Principal,
  correlationId: string,
): Promise<APIGatewayProxyResult> {
  const clientId = principal.clientId;
  const idempotencyKey = idempotencyKeyOf(event);
  const parsed = parseJsonBody(event, ReconciliationRequest);
  // A facility-bound caller reconciles its own facility only (its only one when it names none).
  const only = visibleFacilities(principal);
  const request =
    parsed.facilityId === undefined && only?.length === 1 ? { ...parsed, facilityId: only[0] } : parsed;
  const verdict = decideWrite(principal, {
    ...(request.facilityId ? { facilityId: request.facilityId } : {}),
    ...(request.payerId ? { payerIds: [request.payerId] } : {}),
  });
  if (!verdict.allowed) throw notEntitled(verdict.reason);
  if (!seesRun(principal, request))
    throw notEntitled('Name a facility (and payer) this client acts for: a run over all would cross them.');
  const runId = runIdFor(clientId, idempotencyKey);
  const input = { trigger: 'api', requestedBy: clientId, correlationId, ...request };
  try {
    await sfn.send(new StartExecutionCommand({ stateMachineArn, name: runId, input: JSON.stringify(input) }));
  } catch (error) {
    // StartExecution returns the running execution for the same name and input, but refuses once it has
    // finished: a retried POST with the same body gets the same answer either way.
    if (error instanceof ExecutionAlreadyExists && !(await sameRequest(runId, input))) {
      throw new RequestRejected(
        problem(
          ProblemType.idempotencyKeyReused,
          409,
          'Idempotency key reused',
          'This Idempotency-Key already started a reconciliation with a different request.',
        ),
      );
    }
    if (!(error instanceof ExecutionAlreadyExists)) throw error;
  }
  logger.info('reconciliation run requested', { runId, payerId: request.payerId, ...request.period });
  return jsonResponse(
    202,
    { runId, status: 'running', period: request.period, report: `/v1/reconciliations/${runId}` },
    { Location: `/v1/reconciliations/${runId}`, 'X-Correlation-Id': correlationId },
  );
}

/** The runs, newest first, without their differences (GET /v1/reconciliations/{runId} has those). */
async function listRuns(
  event: APIGatewayProxyEvent,
  principal: Principal,
  correlationId: string,
): Promise<APIGatewayProxyResult> {
  const query = parseQuery(event, ReconciliationRunListQuery);
  const page = await runs.listRuns(query.limit, query.cursor);
  return jsonResponse(
    200,
    {
      items: page.items.filter((run) => seesRun(principal, run)),
      ...(page.cursor ? { nextCursor: page.cursor } : {}),
    },
    { 'X-Correlation-Id': correlationId },
  );
}

async function sameRequest(runId: string, input: Record<string, unknown>): Promise<boolean> {
  const out = await sfn.send(new DescribeExecutionCommand({ executionArn: executionArn(runId) }));
  const { correlationId: _a, ...wanted } = input;
  const { correlationId: _b, ...existing } = JSON.parse(out.input ?? '{}') as Record<string, unknown>;
  return JSON.stringify(existing) === JSON.stringify(wanted);
}

async function report(
  runId: string,
  event: APIGatewayProxyEvent,
  principal: Principal,
  correlationId: string,
): Promise<APIGatewayProxyResult> {
  const query = event.queryStringParameters ?? {};
  const classFilter = query.class ? DifferenceClass.safeParse(query.class) : undefined;
  if (classFilter && !classFilter.success) {
    throw new RequestRejected(
      problem(ProblemType.validation, 400, 'Validation failed', 'Unknown difference class.', {
        errors: [{ path: '/class', message: `must be one of ${DifferenceClass.options.join(', ')}` }],
      }),
    );
  }
  const found = /^[\w.-]{1,80}$/.test(runId) ? await runs.getRun(runId) : undefined;
  if (found && !seesRun(principal, found))
    throw new RequestRejected(
      problem(ProblemType.notFound, 404, 'Not found', `No reconciliation run ${runId}.`),
    );
  const run = found;
  let execution: { status?: string; error?: string } = {};
  try {
    const out = await sfn.send(new DescribeExecutionCommand({ executionArn: executionArn(runId) }));
    execution = { status: out.status, ...(out.error ? { error: out.error } : {}) };
  } catch (error) {
    if (!(error instanceof ExecutionDoesNotExist)) throw error;
  }
  if (!run) {
    if (!execution.status) {
      throw new RequestRejected(
        problem(ProblemType.notFound, 404, 'Not found', `No reconciliation run ${runId}.`),
      );
    }
    return jsonResponse(200, { runId, status: 'starting', execution }, { 'X-Correlation-Id': correlationId });
  }
  const differences = dedupe((await runs.batches(runId)).flatMap((b) => b.differences)).filter(
    (d) =>
      (!classFilter?.success || d.class === classFilter.data) &&
      (!query.payerId || d.payerId === query.payerId),
  );
  // An execution that failed outright never reached FinishRun: say so instead of "running" forever.
  const status =
    run.status === 'running' && execution.status && execution.status !== 'RUNNING' ? 'failed' : run.status;
  return jsonResponse(
    200,
    {
      ...run,
      status,
      execution,
      differences: differences.map(({ key, ...rest }) => ({ key, ...rest })),
    },
    { 'X-Correlation-Id': correlationId },
  );
}
