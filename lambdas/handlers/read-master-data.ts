import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { WorkflowStore } from '../adapters/dynamodb/workflow-store.js';
import { requiredEnv } from '../adapters/environment.js';
import { jsonResponse, rejectionResponse } from '../adapters/http/api-request.js';
import { ProblemType, problem, problemResponse } from '../adapters/http/problem.js';
import { createLogger } from '../adapters/observability.js';
import { callerPrincipal } from '../adapters/partners/registry.js';
import { PartnerId } from '../core/identifiers.js';
import { ALL, mayRead } from '../core/partners.js';
import { env } from '../env.js';

const logger = createLogger('readMasterData');
const store = new WorkflowStore(new DynamoDBClient({}), requiredEnv(env.workflowTable));

/** The crosswalk (canonical id → Odoo partner) and provenance of the surviving record; never the PHI itself. */
export const handler = async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
  const kind = event.resource.startsWith('/v1/patients') ? 'patient' : 'payer';
  const id = PartnerId.safeParse(event.pathParameters?.[`${kind}Id`]);
  if (!id.success) {
    return problemResponse(
      problem(ProblemType.validation, 400, `Invalid ${kind} id`, `The ${kind} id in the path is not valid.`, {
        errors: [{ path: `path:${kind}Id`, message: id.error.issues[0]?.message ?? 'invalid' }],
      }),
    );
  }
  try {
    const item = await store.getMasterRecord<{
      sourceSystem: string;
      sourceUpdatedAt: string;
      payerType?: string;
    }>(kind, id.data);
    const principal = callerPrincipal(event);
    const owner = item ? await store.ownerOf(kind, id.data) : undefined;
    const visible =
      (kind === 'payer' && principal.payers !== ALL && principal.payers.includes(id.data)) ||
      mayRead(principal, owner ?? null);
    // Another facility's record answers exactly as an unknown one (docs/security.md#reads).
    if (!item || !visible)
      return problemResponse(
        problem(ProblemType.notFound, 404, `Unknown ${kind}`, `No ${kind} ${id.data} has been synced.`),
      );
    return jsonResponse(200, {
      [`${kind}Id`]: id.data,
      odooPartnerId: item.odooPartnerId ?? null,
      odooRef: `rcm:${kind}:${id.data}`,
      sourceSystem: item.record.sourceSystem,
      sourceUpdatedAt: item.record.sourceUpdatedAt,
      ...(kind === 'payer' ? { payerType: item.record.payerType } : {}),
      syncedAt: item.updatedAt,
      version: item.version,
    });
  } catch (error) {
    const rejected = rejectionResponse(error);
    if (rejected) return rejected;
    logger.error('master data read failed', { error: error as Error });
    return problemResponse(
      problem(ProblemType.unavailable, 503, 'Store unavailable', 'The store did not answer; retry.'),
      { 'Retry-After': '2' },
    );
  }
};
