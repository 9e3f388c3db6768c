import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { type UploadRecord, WorkflowStore } from '../adapters/dynamodb/workflow-store.js';
import { numberEnv, requiredEnv } from '../adapters/environment.js';
import { acceptanceErrorResponse } from '../adapters/http/acceptance-errors.js';
import {
  callerClientId,
  correlationIdOf,
  idempotencyKeyOf,
  jsonResponse,
  RequestRejected,
} from '../adapters/http/api-request.js';
import { ProblemType, problem } from '../adapters/http/problem.js';
import { createLogger } from '../adapters/observability.js';
import { UploadUrls } from '../adapters/s3/upload-urls.js';
import { uploadsS3Client } from '../adapters/s3/uploads-bucket.js';
import {
  type RemittanceUploadCreated,
  type RemittanceUploadView,
  UPLOAD_MEDIA_TYPE,
  UPLOAD_URL_TTL_SECONDS,
  UploadId,
  uploadIdFor,
  uploadObjectKey,
} from '../core/x12/uploads.js';
import { env } from '../env.js';

/**
 * POST /v1/remittance-uploads → a presigned S3 PUT for one large X12 835 (docs/x12.md#large-files);
 * GET /v1/remittance-uploads/{uploadId} → its status. The processing is x12-upload-processor.ts.
 */
const logger = createLogger('remittance-uploads');
const dynamodb = new DynamoDBClient({});
const store = new WorkflowStore(dynamodb, requiredEnv(env.workflowTable));
const bucket = new UploadUrls(uploadsS3Client(), requiredEnv(env.remittanceUploadsBucket));

const idempotencyConfig = new IdempotencyConfig({
  eventKeyJmesPath: '[clientId, operation, idempotencyKey]',
  throwOnNoIdempotencyKey: true,
  expiresAfterSeconds: numberEnv(env.idempotencyTtlSeconds, 24 * 3600),
});

interface CreateCommand {
  clientId: string;
  operation: 'createRemittanceUpload';
  idempotencyKey: string;
  correlationId: string;
}

const statusUrl = (uploadId: string) => `/v1/remittance-uploads/${uploadId}`;

/** The record first (attributable: client, correlation id, key), then the URL; a retry answers the first answer. */
const create = makeIdempotent(
  async ({ clientId, idempotencyKey, correlationId }: CreateCommand): Promise<RemittanceUploadCreated> => {
    const uploadId = uploadIdFor(clientId, idempotencyKey);
    const key = uploadObjectKey(clientId, uploadId);
    const now = new Date();
    const expiresAt = new Date(now.getTime() + UPLOAD_URL_TTL_SECONDS * 1000).toISOString();
    const record: UploadRecord = {
      uploadId,
      clientId,
      correlationId,
      idempotencyKey,
      bucket: bucket.bucketName,
      key,
      status: 'awaiting_upload',
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      expiresAt,
    };
    await store.putUpload(record);
    const uploadUrl = await bucket.presignPut(key, UPLOAD_URL_TTL_SECONDS);
    logger.info('upload created', { uploadId });
    return {
      uploadId,
      uploadUrl,
      method: 'PUT',
      headers: { 'Content-Type': UPLOAD_MEDIA_TYPE },
      expiresAt,
      statusUrl: statusUrl(uploadId),
      correlationId,
    };
  },
  {
    persistenceStore: new DynamoDBPersistenceLayer({
      tableName: requiredEnv(env.idempotencyTable),
      awsSdkV3Client: dynamodb,
    }),
    config: idempotencyConfig,
  },
);

export function uploadView(record: UploadRecord): RemittanceUploadView {
  return {
    uploadId: record.uploadId,
    status: record.status,
    correlationId: record.correlationId,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    ...(record.bytes !== undefined ? { bytes: record.bytes } : {}),
    ...(record.counts ? { counts: record.counts } : {}),
    ...(record.problem ? { problem: record.problem } : {}),
  };
}

export const handler = async (
  event: APIGatewayProxyEvent,
  context: Context,
): Promise<APIGatewayProxyResult> => {
  idempotencyConfig.registerLambdaContext(context);
  let correlationId: string | undefined;
  try {
    correlationId = correlationIdOf(event);
    logger.appendKeys({ correlationId });
    const clientId = callerClientId(event);
    if (event.httpMethod === 'POST' && event.resource === '/v1/remittance-uploads') {
      const created = await create({
        clientId,
        operation: 'createRemittanceUpload',
        idempotencyKey: idempotencyKeyOf(event),
        correlationId,
      });
      return jsonResponse(201, created, { 'X-Correlation-Id': created.correlationId });
    }
    if (event.httpMethod === 'GET' && event.resource === '/v1/remittance-uploads/{uploadId}') {
      const parsed = UploadId.safeParse(event.pathParameters?.uploadId);
      const record = parsed.success ? await store.getUpload(parsed.data) : undefined;
      // Another client's upload is answered like an unknown one.
      if (!record || record.clientId !== clientId) {
        throw new RequestRejected(
          problem(
            ProblemType.notFound,
            404,
            'Unknown upload',
            'No remittance upload with this id for this client.',
          ),
        );
      }
      return jsonResponse(200, uploadView(record), { 'X-Correlation-Id': correlationId });
    }
    throw new RequestRejected(
      problem(
        ProblemType.notFound,
        404,
        'Not found',
        `No operation for ${event.httpMethod} ${event.resource}.`,
      ),
    );
  } catch (error) {
    return acceptanceErrorResponse(error, correlationId, logger);
  } finally {
    logger.removeKeys(['correlationId']);
  }
};
