import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import * as z from 'zod';
import { InvalidCursor, type Workflow, WorkflowStore } from '../adapters/dynamodb/workflow-store.js';
import { requiredEnv } from '../adapters/environment.js';
import { jsonResponse, parseQuery, rejectionResponse } from '../adapters/http/api-request.js';
import { ProblemType, problem, problemResponse } from '../adapters/http/problem.js';
import { createLogger } from '../adapters/observability.js';
import { callerPrincipal } from '../adapters/partners/registry.js';
import { PartnerId } from '../core/identifiers.js';
import { mayRead, visibleFacilities } from '../core/partners.js';
import { WorkflowState } from '../core/workflow.js';
import { env } from '../env.js';

const logger = createLogger('readWorkflows');
const store = new WorkflowStore(new DynamoDBClient({}), requiredEnv(env.workflowTable));

/** `olderThan` as an ISO 8601 duration of days/hours/minutes (P2D, PT36H, PT90M): in the state at least that long. */
const Duration = z
  .string()
  .regex(/^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$/, 'must be an ISO 8601 duration such as P2D or PT36H')
  .refine((d) => d !== 'P' && d !== 'PT', 'must name at least one unit');

export const WorkflowListQuery = z
  .object({
    state: WorkflowState.optional(),
    payerId: PartnerId.optional(),
    facilityId: PartnerId.optional(),
    olderThan: Duration.optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().max(2048).optional(),
  })
  .strict();

export const handler = async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
  try {
    if (event.resource === '/v1/workflows') return await list(event);
    return await get(event);
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
    logger.error('workflow read failed', { error: error as Error });
    return problemResponse(
      problem(ProblemType.unavailable, 503, 'Store unavailable', 'The workflow store did not answer; retry.'),
      { 'Retry-After': '2' },
    );
  }
};

async function get(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const encounterId = PartnerId.safeParse(event.pathParameters?.encounterId);
  if (!encounterId.success) {
    return problemResponse(
      problem(
        ProblemType.validation,
        400,
        'Invalid encounter id',
        'The encounter id in the path is not valid.',
        {
          errors: [{ path: 'path:encounterId', message: encounterId.error.issues[0]?.message ?? 'invalid' }],
        },
      ),
    );
  }
  const principal = callerPrincipal(event);
  const [workflow, timeline] = await Promise.all([
    store.getWorkflow(encounterId.data),
    store.getTimeline(encounterId.data),
  ]);
  // Another facility's encounter answers exactly as an unknown one (docs/security.md#reads).
  if (!workflow || !mayRead(principal, workflow.facilityId, workflow.payerIds))
    return problemResponse(
      problem(
        ProblemType.notFound,
        404,
        'Unknown encounter',
        `No workflow for encounter ${encounterId.data}.`,
      ),
    );
  const held = await store.heldEvents(encounterId.data);
  return jsonResponse(200, {
    ...view(workflow),
    claims: Object.values(workflow.claims),
    remittances: Object.values(workflow.remittances),
    payments: Object.values(workflow.payments),
    exceptions: Object.values(workflow.exceptions),
    held: held.map((h) => ({
      eventId: h.envelope.id,
      type: h.envelope.type,
      heldAt: h.heldAt,
      waitingFor: h.waitingFor,
    })),
    lastOdooError: workflow.lastOdooError ?? null,
    timeline,
  });
}

async function list(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const query = parseQuery(event, WorkflowListQuery);
  const principal = callerPrincipal(event);
  const { olderThan, ...rest } = query;
  const facilityIds = visibleFacilities(principal);
  const page = await store.listWorkflows({
    ...rest,
    ...(facilityIds ? { facilityIds } : {}),
    ...(olderThan ? { stateBefore: new Date(Date.now() - durationMs(olderThan)).toISOString() } : {}),
  });
  return jsonResponse(200, {
    items: page.items.filter((w) => mayRead(principal, w.facilityId, w.payerIds)).map(view),
    ...(page.cursor ? { nextCursor: page.cursor } : {}),
  });
}

/** The money summary a finance user reads: what was billed and where each dollar went, in cents and dollars. */
function view(workflow: Workflow) {
  const m = workflow.money;
  const patientBalanceCents = m.patientResponsibilityCents - m.patientPaidCents;
  return {
    encounterId: workflow.encounterId,
    facilityId: workflow.facilityId,
    state: workflow.state,
    stage: workflow.stage,
    stateSince: workflow.stateSince,
    openExceptions: workflow.openExceptions,
    payerIds: workflow.payerIds,
    createdAt: workflow.createdAt,
    updatedAt: workflow.updatedAt,
    odoo: { invoices: Object.values(workflow.odooInvoices) },
    money: {
      billedCents: m.billedCents,
      paidCents: m.paidCents,
      adjustedCents: m.adjustedCents,
      patientResponsibilityCents: m.patientResponsibilityCents,
      patientPaidCents: m.patientPaidCents,
      patientBalanceCents,
      // Patient responsibility moves from the payer's invoice to the patient's; it leaves the balance only when paid.
      openBalanceCents: m.billedCents - m.paidCents - m.adjustedCents - m.patientPaidCents,
    },
  };
}

function durationMs(duration: string): number {
  const [, days = '0', hours = '0', minutes = '0'] =
    /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$/.exec(duration) ?? [];
  return ((Number(days) * 24 + Number(hours)) * 60 + Number(minutes)) * 60_000;
}
