import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type * as z from 'zod';
import { CorrelationId, IdempotencyKey } from '../../core/identifiers.js';
import { controlCharacterPaths, exceedsJsonDepth, MAX_JSON_DEPTH } from '../../core/json-limits.js';
import { fieldErrors, type Problem, ProblemType, problem, problemResponse } from './problem.js';

/** API Gateway allows 10 MB; our contract allows 256 KB per business document. */
export const MAX_BODY_BYTES = 256 * 1024;

/** A request that cannot be served: carries the problem to answer with. */
export class RequestRejected extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail);
  }
}

export function header(event: APIGatewayProxyEvent, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted && value !== undefined) return value;
  }
  return undefined;
}

/** The OAuth client behind the request, as the Cognito authorizer (or the local runtime) put it. */
export function callerClientId(event: APIGatewayProxyEvent): string {
  const claims = (event.requestContext.authorizer?.claims ?? {}) as Record<string, string>;
  const clientId = claims.client_id ?? claims.sub;
  if (!clientId) {
    throw new RequestRejected(
      problem(ProblemType.unauthorized, 401, 'Unauthorized', 'The request carries no authenticated client.'),
    );
  }
  return clientId;
}

export function correlationIdOf(event: APIGatewayProxyEvent): string {
  const supplied = header(event, 'X-Correlation-Id');
  if (supplied === undefined) return randomUUID();
  const parsed = CorrelationId.safeParse(supplied);
  if (!parsed.success) {
    throw new RequestRejected(
      problem(
        ProblemType.validation,
        400,
        'Invalid header',
        'X-Correlation-Id is not a valid correlation id.',
        {
          errors: [
            { path: 'header:X-Correlation-Id', message: parsed.error.issues[0]?.message ?? 'invalid' },
          ],
        },
      ),
    );
  }
  return parsed.data;
}

export function idempotencyKeyOf(event: APIGatewayProxyEvent): string {
  const supplied = header(event, 'Idempotency-Key');
  if (supplied === undefined) {
    throw new RequestRejected(
      problem(
        ProblemType.missingIdempotencyKey,
        400,
        'Idempotency-Key required',
        'Send an Idempotency-Key header (a unique value per business document) so retries are safe.',
      ),
    );
  }
  const parsed = IdempotencyKey.safeParse(supplied);
  if (!parsed.success) {
    throw new RequestRejected(
      problem(ProblemType.validation, 400, 'Invalid header', 'Idempotency-Key is not valid.', {
        errors: [{ path: 'header:Idempotency-Key', message: parsed.error.issues[0]?.message ?? 'invalid' }],
      }),
    );
  }
  return parsed.data;
}

/** Body size, media type, JSON syntax, then the schema — each failure its own clear 4xx. */
export function parseJsonBody<TSchema extends z.ZodType>(
  event: APIGatewayProxyEvent,
  schema: TSchema,
): z.infer<TSchema> {
  const raw =
    event.isBase64Encoded && event.body
      ? Buffer.from(event.body, 'base64')
      : Buffer.from(event.body ?? '', 'utf8');
  if (raw.byteLength > MAX_BODY_BYTES) {
    throw new RequestRejected(
      problem(
        ProblemType.payloadTooLarge,
        413,
        'Payload too large',
        `The body is ${raw.byteLength} bytes; the limit is ${MAX_BODY_BYTES}.`,
      ),
    );
  }
  const contentType = header(event, 'Content-Type') ?? '';
  if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(contentType)) {
    throw new RequestRejected(
      problem(
        ProblemType.unsupportedMediaType,
        415,
        'Unsupported media type',
        'Send the body as application/json.',
      ),
    );
  }
  const text = raw.toString('utf8');
  if (exceedsJsonDepth(text)) {
    throw new RequestRejected(
      problem(
        ProblemType.validation,
        400,
        'Too deeply nested',
        `The body nests objects and arrays deeper than ${MAX_JSON_DEPTH} levels.`,
      ),
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new RequestRejected(
      problem(
        ProblemType.malformedJson,
        400,
        'Malformed JSON',
        `The body is not valid JSON: ${(error as Error).message}`,
      ),
    );
  }
  const controls = controlCharacterPaths(json);
  if (controls.length > 0) {
    throw new RequestRejected(
      problem(ProblemType.validation, 400, 'Validation failed', 'Text must not carry control characters.', {
        errors: controls
          .slice(0, 50)
          .map((path) => ({ path, message: 'must not contain control characters' })),
      }),
    );
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new RequestRejected(
      problem(
        ProblemType.validation,
        400,
        'Validation failed',
        'The request body does not match the contract.',
        {
          errors: fieldErrors(parsed.error),
        },
      ),
    );
  }
  return parsed.data;
}

export { jsonResponse } from './json-response.js';

/** Turns a rejection into its problem response; anything else is a 500 with no internals leaked. */
export function rejectionResponse(error: unknown, correlationId?: string): APIGatewayProxyResult | undefined {
  if (error instanceof RequestRejected) {
    return problemResponse(
      { ...error.problem, ...(correlationId ? { correlationId } : {}) },
      correlationId ? { 'X-Correlation-Id': correlationId } : {},
    );
  }
  return undefined;
}

/**
 * Query parameters checked against a strict zod object: each issue at `query:<name>`, an unknown parameter
 * named as such. The same 400 for every list route.
 */
export function parseQuery<TSchema extends z.ZodType>(
  event: APIGatewayProxyEvent,
  schema: TSchema,
): z.infer<TSchema> {
  const query = schema.safeParse(event.queryStringParameters ?? {});
  if (query.success) return query.data;
  throw new RequestRejected(
    problem(ProblemType.validation, 400, 'Invalid query', 'The query parameters do not match the contract.', {
      errors: query.error.issues.flatMap((issue) =>
        issue.code === 'unrecognized_keys'
          ? issue.keys.map((key) => ({ path: `query:${key}`, message: 'is not a parameter of this route' }))
          : fieldErrors({ issues: [issue] } as z.ZodError).map((e) => ({
              ...e,
              path: `query:${e.path.slice(1)}`,
            })),
      ),
    }),
  );
}
