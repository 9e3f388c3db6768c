/** Contracts of the large-X12 upload routes (docs/x12.md#large-files; lambdas/handlers/remittance-uploads.ts). */
import { ProblemType } from '../../lambdas/adapters/http/problem.js';
import { RemittanceUploadCreated, RemittanceUploadView, UploadId } from '../../lambdas/core/x12/uploads.js';
import type { ErrorCase, OperationContract } from './operations.js';

const UPLOAD_ID = 'upl_3f1c0e9a7b2d4c6e8f0a1b2c3d';
const CORRELATION_ID = '6f1c2b1e-4b7a-4c59-9d1e-2a7c3f0b9e11';

const unavailable: ErrorCase = {
  status: 503,
  type: ProblemType.unavailable,
  title: 'Service unavailable',
  when: 'the workflow or idempotency table did not answer; retry with the same Idempotency-Key',
  detail: 'Try again shortly.',
  retryAfter: 2,
  by: 'handler',
};

export const uploadContracts: Record<string, OperationContract> = {
  createRemittanceUpload: {
    description:
      'For an X12 835 over the 256 KB body limit (up to ~15 MB / 20,000 claims and beyond): PUT the file to uploadUrl within 15 minutes with Content-Type application/edi-x12, then poll statusUrl. The file is validated whole before anything is posted.',
    success: {
      description: 'The upload, with its presigned PUT URL',
      schema: RemittanceUploadCreated,
      example: () => ({
        uploadId: UPLOAD_ID,
        uploadUrl: `https://rcm-hub-prod-uploads.s3.us-east-1.amazonaws.com/uploads/partner-client/${UPLOAD_ID}.835?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=900&X-Amz-Signature=EXAMPLE`,
        method: 'PUT',
        headers: { 'Content-Type': 'application/edi-x12' },
        expiresAt: '2026-11-30T12:15:00.000Z',
        statusUrl: `/v1/remittance-uploads/${UPLOAD_ID}`,
        correlationId: CORRELATION_ID,
      }),
      headers: ['X-Correlation-Id'],
    },
    correlationHeader: false,
    errors: [unavailable],
  },
  getRemittanceUpload: {
    description:
      'awaiting_upload until the file arrives, processing while it is read (twice: validate, then accept in batches), then accepted with counts or rejected with the errors and their segment positions (nothing posted).',
    success: {
      description: 'The upload status',
      schema: RemittanceUploadView,
      example: () => ({
        uploadId: UPLOAD_ID,
        status: 'accepted',
        correlationId: CORRELATION_ID,
        createdAt: '2026-11-30T12:00:00.000Z',
        updatedAt: '2026-11-30T12:01:10.000Z',
        bytes: 15_012_345,
        counts: { claims: 20_000, events: 19_990, unmatched: 10, providerAdjustments: 1 },
      }),
      headers: ['X-Correlation-Id'],
    },
    correlationHeader: false,
    pathParams: {
      uploadId: {
        schema: UploadId,
        description: 'The uploadId answered by POST /v1/remittance-uploads',
        example: UPLOAD_ID,
      },
    },
    errors: [
      {
        status: 404,
        type: ProblemType.notFound,
        title: 'Unknown upload',
        when: 'no upload with this id was created by the calling client',
        detail: 'No remittance upload with this id for this client.',
        by: 'handler',
      },
      unavailable,
    ],
  },
};
