/**
 * Per-operation facts that lambdas/wiring.ts does not hold: the success body and headers, which handler
 * errors a route can answer, and rules JSON Schema cannot express. Everything that follows from the route
 * itself (scope → 401/403, idempotent → Idempotency-Key and 409s, request body → 400/413/415) is derived
 * in `errorCases`, so a new route only needs an entry here; a route without one fails generation.
 */
import type { z } from 'zod';
import { MAX_BODY_BYTES } from '../../lambdas/adapters/http/api-request.js';
import { PROBLEM_BASE, ProblemType } from '../../lambdas/adapters/http/problem.js';
import type { ApiRoute } from '../../lambdas/wiring.js';
import { Accepted, EncounterIdSchema, Health, WorkflowView } from './responses.js';

/** Problem types only API Gateway produces (lib/api.ts gateway responses). */
export const GatewayProblemType = { throttled: 'throttled', requestError: 'request-error' } as const;
export type ProblemSlug =
  | (typeof ProblemType)[keyof typeof ProblemType]
  | (typeof GatewayProblemType)[keyof typeof GatewayProblemType];

export interface ErrorCase {
  status: number;
  type: ProblemSlug;
  title: string;
  /** When this answer happens, one short clause. */
  when: string;
  /** A representative `detail`, as the producer words it. */
  detail: string;
  /** Seconds in the `Retry-After` header, when one is sent. */
  retryAfter?: number;
  /** Who answers: the handler (also locally) or API Gateway (`aws` only: the local runtime does not). */
  by: 'handler' | 'gateway' | 'aws';
  errors?: { path: string; message: string }[];
}

export interface OperationContract {
  /** One or two sentences beyond the route's summary. */
  description: string;
  success: {
    description: string;
    schema: z.ZodType;
    example: (samples: Samples) => unknown;
    /** Response headers of the success answer. */
    headers: readonly ('Location' | 'X-Correlation-Id')[];
  };
  /** Other non-problem answers (health's 503 carries the health body). */
  otherResponses?: {
    status: number;
    description: string;
    schema: z.ZodType;
    example: (samples: Samples) => unknown;
  }[];
  /** Whether the handler reads `X-Correlation-Id` and echoes it; the others ignore the header. */
  correlationHeader: boolean;
  /** Schemas of `{name}` path segments, as the handler validates them (default: string). */
  pathParams?: Record<string, { schema: z.ZodType; description: string; example: string }>;
  /** Route-specific errors (the derived ones are added by `errorCases`). */
  errors: readonly ErrorCase[];
  /** Request rules the JSON Schema cannot carry (zod refinements). */
  requestRules?: readonly string[];
}

/** The sample documents under events/samples, loaded by the generator. */
export interface Samples {
  request: unknown;
  events: Record<
    string,
    { id: string; time: string; correlationId: string; encounterId: string; [k: string]: unknown }
  >;
}

const unavailable = (title: string, detail: string, when: string): ErrorCase => ({
  status: 503,
  type: ProblemType.unavailable,
  title,
  when,
  detail,
  retryAfter: 2,
  by: 'handler',
});

export const operationContracts: Record<string, OperationContract> = {
  submitInvoice: {
    description:
      'Validates the invoice, records it on the encounter and publishes InvoiceIssued; the Odoo invoice is created and posted asynchronously. Follow the Location header to see it.',
    success: {
      description:
        'Accepted: recorded and published (or the stored answer to a retry with the same key and body)',
      schema: Accepted,
      example: (s) => {
        const issued = s.events.InvoiceIssued;
        return {
          correlationId: issued?.correlationId,
          encounterId: issued?.encounterId,
          status: 'accepted',
          eventId: issued?.id,
        };
      },
      headers: ['Location', 'X-Correlation-Id'],
    },
    correlationHeader: true,
    errors: [
      unavailable(
        'Not accepted',
        'The invoice could not be recorded; nothing was accepted. Retry with the same Idempotency-Key.',
        'the store or the bus did not answer; nothing was accepted, retry with the same key',
      ),
    ],
    requestRules: [
      'issueDate must be a real calendar date (2026-02-30 is refused).',
      'A line with codeSystem REV has a 4-digit revenue code; CPT and HCPCS codes are 5 characters.',
      'quantity has at most three decimals.',
      'Amounts are decimal strings with at most two decimals ("125.00"); the hub converts them to integer cents.',
      `The body is at most ${MAX_BODY_BYTES / 1024} KB.`,
    ],
  },
  getWorkflow: {
    description:
      'The encounter as the hub sees it: current state, furthest stage, every business event, and the Odoo records linked to it.',
    success: {
      description: "The encounter's workflow",
      schema: WorkflowView,
      example: (s) => workflowExample(s),
      headers: [],
    },
    correlationHeader: false,
    pathParams: {
      encounterId: {
        schema: EncounterIdSchema,
        description: 'The encounter id from the invoice',
        example: 'ENC-2026-000123',
      },
    },
    errors: [
      {
        status: 400,
        type: ProblemType.validation,
        title: 'Invalid encounter id',
        when: 'the encounter id in the path is not a valid id',
        detail: 'The encounter id in the path is not valid.',
        by: 'handler',
        errors: [
          {
            path: 'path:encounterId',
            message: 'must start with a letter or digit and use only A-Z a-z 0-9 . _ : - /',
          },
        ],
      },
      {
        status: 404,
        type: ProblemType.notFound,
        title: 'Unknown encounter',
        when: 'no invoice was accepted for this encounter',
        detail: 'No workflow for encounter ENC-2026-999999.',
        by: 'handler',
      },
      unavailable(
        'Store unavailable',
        'The workflow store did not answer; retry.',
        'the workflow store did not answer; retry',
      ),
    ],
  },
  getHealth: {
    description: 'Unauthenticated liveness and dependency check. Returns no PHI and no secrets.',
    success: {
      description: 'Odoo and the store both answer',
      schema: Health,
      example: () => healthExample('up'),
      headers: [],
    },
    otherResponses: [
      {
        status: 503,
        description: 'Degraded: Odoo or the store does not answer (same body, status degraded)',
        schema: Health,
        example: () => healthExample('down'),
      },
    ],
    correlationHeader: false,
    errors: [],
  },
};

/** Every error a route can answer, in status order: derived from the route, then its contract. */
export function errorCases(route: ApiRoute, contract: OperationContract): ErrorCase[] {
  const cases: ErrorCase[] = [];
  if (contract.correlationHeader) {
    cases.push({
      status: 400,
      type: ProblemType.validation,
      title: 'Invalid header',
      when: 'X-Correlation-Id is not a valid correlation id',
      detail: 'X-Correlation-Id is not a valid correlation id.',
      by: 'handler',
      errors: [{ path: 'header:X-Correlation-Id', message: 'must use only A-Z a-z 0-9 . _ : -' }],
    });
  }
  if (route.idempotent) {
    cases.push(
      {
        status: 400,
        type: ProblemType.missingIdempotencyKey,
        title: 'Idempotency-Key required',
        when: 'the Idempotency-Key header is missing (in AWS the gateway answers first, with validation-error)',
        detail: 'Send an Idempotency-Key header (a unique value per business document) so retries are safe.',
        by: 'handler',
      },
      {
        status: 400,
        type: ProblemType.validation,
        title: 'Invalid header',
        when: 'Idempotency-Key is not 8-128 printable ASCII characters',
        detail: 'Idempotency-Key is not valid.',
        by: 'handler',
        errors: [{ path: 'header:Idempotency-Key', message: 'must be at least 8 characters' }],
      },
    );
  }
  if (route.requestSchema) {
    cases.push(
      {
        status: 400,
        type: ProblemType.malformedJson,
        title: 'Malformed JSON',
        when: 'the body is not JSON',
        detail: 'The body is not valid JSON: Unexpected end of JSON input',
        by: 'handler',
      },
      {
        status: 400,
        type: ProblemType.validation,
        title: 'Validation failed',
        when: "the body breaks the contract; errors[] points at each member (in AWS the gateway's model check answers first, without errors[])",
        detail: 'The request body does not match the contract.',
        by: 'handler',
        errors: [
          {
            path: '/lines/0/unitPrice',
            message: 'must be a non-negative decimal amount with at most two decimals, e.g. "125.00"',
          },
        ],
      },
      {
        status: 413,
        type: ProblemType.payloadTooLarge,
        title: 'Payload too large',
        when: `the body exceeds ${MAX_BODY_BYTES / 1024} KB`,
        detail: `The body is 300000 bytes; the limit is ${MAX_BODY_BYTES}.`,
        by: 'handler',
      },
      {
        status: 415,
        type: ProblemType.unsupportedMediaType,
        title: 'Unsupported media type',
        when: 'Content-Type is not application/json',
        detail: 'Send the body as application/json.',
        by: 'handler',
      },
    );
  }
  if (route.scope !== null) {
    cases.push(
      {
        status: 401,
        type: ProblemType.unauthorized,
        title: 'Unauthorized',
        when: 'no bearer token, or it is invalid or expired',
        detail: 'Send an access token as "Authorization: Bearer <token>".',
        by: 'gateway',
      },
      {
        status: 403,
        type: ProblemType.forbidden,
        title: 'Insufficient scope',
        when: `the token lacks the scope ${route.scope}`,
        detail: `The access token lacks the scope ${route.scope}.`,
        by: 'gateway',
      },
    );
  }
  if (route.idempotent) {
    cases.push(
      {
        status: 409,
        type: ProblemType.idempotencyKeyReused,
        title: 'Idempotency-Key reused',
        when: 'the key was already used by this client with a different body',
        detail: 'This Idempotency-Key was already used with a different body.',
        by: 'handler',
      },
      {
        status: 409,
        type: ProblemType.requestInProgress,
        title: 'Request in progress',
        when: 'a request with this key is still being processed',
        detail: 'A request with this Idempotency-Key is still being processed; retry shortly.',
        retryAfter: 1,
        by: 'handler',
      },
    );
  }
  cases.push(...contract.errors);
  cases.push({
    status: 429,
    type: GatewayProblemType.throttled,
    title: 'Too many requests',
    when: 'the stage throttle or the WAF rate limit is exceeded (AWS only)',
    detail: 'Too Many Requests',
    by: 'aws',
  });
  return cases
    .map((c, i) => ({ c, i }))
    .sort((a, b) => a.c.status - b.c.status || a.i - b.i)
    .map(({ c }) => c);
}

/** A problem body as the producer of `c` would send it. */
export function problemExample(c: ErrorCase, correlationId: string): Record<string, unknown> {
  return {
    type: `${PROBLEM_BASE}${c.type}`,
    title: c.title,
    status: c.status,
    detail: c.detail,
    correlationId,
    ...(c.errors ? { errors: c.errors } : {}),
  };
}

/** Path parameter names of an API Gateway path (`{name}` segments), in order. */
export function pathParamNames(path: string): string[] {
  return [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string);
}

function workflowExample(s: Samples) {
  const issued = s.events.InvoiceIssued as unknown as {
    id: string;
    time: string;
    correlationId: string;
    clientId: string;
    encounterId: string;
    facilityId: string;
    data: { invoiceId: string; totalCents: number; lines: unknown[] };
  };
  const posted = s.events.InvoicePosted as unknown as {
    id: string;
    time: string;
    data: { invoiceId: string; odooPartnerId: number; odooMoveId: number; odooMoveName: string };
  };
  return {
    encounterId: issued.encounterId,
    facilityId: issued.facilityId,
    state: 'invoice_issued',
    stage: 'invoice_issued',
    openExceptions: 0,
    createdAt: '2026-11-02T15:04:05.161Z',
    updatedAt: '2026-11-02T15:04:07.533Z',
    odoo: {
      invoices: [
        {
          invoiceId: posted.data.invoiceId,
          moveId: posted.data.odooMoveId,
          moveName: posted.data.odooMoveName,
          partnerId: posted.data.odooPartnerId,
        },
      ],
    },
    lastOdooError: null,
    timeline: [
      {
        eventId: issued.id,
        type: 'InvoiceIssued',
        time: issued.time,
        correlationId: issued.correlationId,
        clientId: issued.clientId,
        state: 'charge_ready',
        detail: {
          invoiceId: issued.data.invoiceId,
          totalCents: issued.data.totalCents,
          lineCount: issued.data.lines.length,
        },
      },
      {
        eventId: posted.id,
        type: 'InvoicePosted',
        time: posted.time,
        correlationId: issued.correlationId,
        clientId: issued.clientId,
        state: 'invoice_issued',
        detail: posted.data,
      },
    ],
  };
}

function healthExample(odoo: 'up' | 'down') {
  return {
    status: odoo === 'up' ? 'ok' : 'degraded',
    stage: 'local',
    odoo:
      odoo === 'up'
        ? {
            status: 'up',
            url: 'http://127.0.0.1:8069',
            database: 'rcm',
            protocol: 'jsonrpc',
            serverVersion: '18.0',
          }
        : {
            status: 'down',
            url: 'http://127.0.0.1:8069',
            database: 'rcm',
            protocol: 'jsonrpc',
            error: 'fetch failed',
          },
    store: { status: 'up', kind: 'dynamodb', endpoint: 'http://127.0.0.1:4567', table: 'WorkflowTable' },
  };
}
