import {
  IdempotencyAlreadyInProgressError,
  IdempotencyValidationError,
} from '@aws-lambda-powertools/idempotency';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { rejectionResponse } from './api-request.js';
import { ProblemType, problem, problemResponse } from './problem.js';

/**
 * The answer for anything that went wrong while accepting a document, the same for every intake route:
 * a rejection's own problem, 409 for a reused or in-flight Idempotency-Key (Powertools #3425), else 503
 * with "nothing was accepted" (the caller retries with the same key).
 */
export function acceptanceErrorResponse(
  error: unknown,
  correlationId: string | undefined,
  logger: Logger,
): APIGatewayProxyResult {
  const rejected = rejectionResponse(error, correlationId);
  if (rejected) return rejected;
  const headers: Record<string, string> = correlationId ? { 'X-Correlation-Id': correlationId } : {};
  if (error instanceof IdempotencyValidationError) {
    return problemResponse(
      problem(
        ProblemType.idempotencyKeyReused,
        409,
        'Idempotency-Key reused',
        'This Idempotency-Key was already used with a different body.',
        { correlationId },
      ),
      headers,
    );
  }
  if (error instanceof IdempotencyAlreadyInProgressError) {
    return problemResponse(
      problem(
        ProblemType.requestInProgress,
        409,
        'Request in progress',
        'A request with this Idempotency-Key is still being processed; retry shortly.',
        { correlationId },
      ),
      { ...headers, 'Retry-After': '1' },
    );
  }
  logger.error('document not accepted', { error: error as Error });
  return problemResponse(
    problem(
      ProblemType.unavailable,
      503,
      'Not accepted',
      'The document could not be recorded; nothing was accepted. Retry with the same Idempotency-Key.',
      {
        correlationId,
      },
    ),
    { ...headers, 'Retry-After': '2' },
  );
}
