import type { APIGatewayProxyResult } from 'aws-lambda';
import type * as z from 'zod';

/**
 * RFC 9457 problem details. Every error a caller sees has this shape, whether the gateway (cloud:
 * gateway responses; local: the local runtime) or a handler produced it.
 */
export interface FieldError {
  /** JSON Pointer (RFC 6901) to the offending member of the request body, e.g. `/lines/0/unitPrice`. */
  path: string;
  message: string;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  correlationId?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

export const PROBLEM_BASE = 'https://rcm-hub.dev/problems/';

export const ProblemType = {
  validation: 'validation-error',
  malformedJson: 'malformed-json',
  unsupportedMediaType: 'unsupported-media-type',
  payloadTooLarge: 'payload-too-large',
  missingIdempotencyKey: 'missing-idempotency-key',
  idempotencyKeyReused: 'idempotency-key-reused',
  requestInProgress: 'request-in-progress',
  unauthorized: 'unauthorized',
  forbidden: 'insufficient-scope',
  /** The caller's role or partner binding does not cover what the request touches (docs/security.md). */
  notEntitled: 'not-entitled',
  notFound: 'not-found',
  methodNotAllowed: 'method-not-allowed',
  conflict: 'conflict',
  internal: 'internal-error',
  unavailable: 'service-unavailable',
} as const;
export type ProblemType = (typeof ProblemType)[keyof typeof ProblemType];

export function problem(
  type: ProblemType,
  status: number,
  title: string,
  detail: string,
  extensions: Partial<Problem> = {},
): Problem {
  return { type: `${PROBLEM_BASE}${type}`, title, status, detail, ...extensions };
}

/** zod issues → field errors with JSON Pointer paths, so a caller can point at the exact member. */
export function fieldErrors(error: z.ZodError): FieldError[] {
  // RFC 6901: "" is the whole document, "/a/0" a member; "/" would name the member whose key is "".
  return error.issues.map((issue) => ({
    path: issue.path
      .map((segment) => `/${String(segment).replaceAll('~', '~0').replaceAll('/', '~1')}`)
      .join(''),
    message: issue.message,
  }));
}

export function problemResponse(p: Problem, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return {
    statusCode: p.status,
    headers: { 'Content-Type': 'application/problem+json', 'Cache-Control': 'no-store', ...headers },
    body: JSON.stringify(p),
  };
}
