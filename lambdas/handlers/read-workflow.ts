import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { WorkflowStore } from '../adapters/dynamodb/workflow-store.js';
import { requiredEnv } from '../adapters/environment.js';
import { jsonResponse } from '../adapters/http/api-request.js';
import { ProblemType, problem, problemResponse } from '../adapters/http/problem.js';
import { createLogger } from '../adapters/observability.js';
import { PartnerId } from '../core/identifiers.js';
import { env } from '../wiring.js';

const logger = createLogger('readWorkflow');
const store = new WorkflowStore(new DynamoDBClient({}), requiredEnv(env.workflowTable));

export const handler = async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
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
  try {
    const [workflow, timeline] = await Promise.all([
      store.getWorkflow(encounterId.data),
      store.getTimeline(encounterId.data),
    ]);
    if (!workflow) {
      return problemResponse(
        problem(
          ProblemType.notFound,
          404,
          'Unknown encounter',
          `No workflow for encounter ${encounterId.data}.`,
        ),
      );
    }
    return jsonResponse(200, {
      encounterId: workflow.encounterId,
      facilityId: workflow.facilityId,
      state: workflow.state,
      stage: workflow.stage,
      openExceptions: workflow.openExceptions,
      createdAt: workflow.createdAt,
      updatedAt: workflow.updatedAt,
      odoo: { invoices: Object.values(workflow.odooInvoices ?? {}) },
      lastOdooError: workflow.lastOdooError ?? null,
      timeline,
    });
  } catch (error) {
    logger.error('workflow read failed', { error: error as Error });
    return problemResponse(
      problem(ProblemType.unavailable, 503, 'Store unavailable', 'The workflow store did not answer; retry.'),
      { 'Retry-After': '2' },
    );
  }
};
