/**
 * Per-operation facts that lambdas/wiring.ts does not hold: the success body and headers, which handler
 * errors a route can answer, query parameters, and rules JSON Schema cannot express. Everything that follows
 * from the route itself (scope → 401/403, idempotent → Idempotency-Key and 409s, request body → 400/413/415)
 * is derived in `errorCases`. The eight write routes share one definition driven by the intake table
 * (lambdas/core/intake.ts); a new intake only needs its prose in `writeNotes` (a type error until it has it),
 * and a route without a contract fails generation.
 */
import { z } from 'zod';
import { InvalidCursor } from '../../lambdas/adapters/dynamodb/workflow-store.js';
import { MAX_BODY_BYTES } from '../../lambdas/adapters/http/api-request.js';
import { fieldErrors, PROBLEM_BASE, ProblemType } from '../../lambdas/adapters/http/problem.js';
import type { EventOf, EventType } from '../../lambdas/core/events.js';
import { type IntakeName, intakes } from '../../lambdas/core/intake.js';
import { SOURCE_AUTHORITY } from '../../lambdas/core/master-data.js';
import type { ApiRoute } from '../../lambdas/wiring.js';
import {
  healthExample,
  masterRecordExample,
  workflowDetailExample,
  workflowListExample,
} from './examples.js';
import { exceptionContracts } from './exceptions.js';
import { fhirContracts } from './fhir.js';
import { invalidQueryCase } from './query-errors.js';
import { reconciliationContracts } from './reconciliations.js';
import {
  Accepted,
  EncounterIdSchema,
  Health,
  HealthStatus,
  PatientIdSchema,
  PatientRecord,
  PayerIdSchema,
  PayerRecord,
  WorkflowDetail,
  WorkflowList,
  WorkflowListQuery,
} from './responses.js';
import { triageContracts } from './triage.js';
import { uploadContracts } from './uploads.js';
import { webhookContracts } from './webhooks.js';

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
    /** Media type of the body (default application/json; the FHIR routes answer application/fhir+json). */
    mediaType?: string;
    /** Response headers of the success answer. */
    headers: readonly ('Location' | 'X-Correlation-Id')[];
    /** What the Location header points at, as a path template (write routes). */
    location?: string;
  };
  /** Other non-problem answers (health's 503 carries the health body). */
  otherResponses?: {
    status: number;
    description: string;
    schema: z.ZodType;
    example: (samples: Samples) => unknown;
    mediaType?: string;
  }[];
  /** Whether the handler reads `X-Correlation-Id` and echoes it (also in its problems); the others ignore it. */
  correlationHeader: boolean;
  /** Schemas of `{name}` path segments, as the handler validates them (default: string). */
  pathParams?: Record<string, { schema: z.ZodType; description: string; example: string }>;
  /** Query parameters, as the handler validates them (a mirror of its zod schema; the test compares). */
  query?: { schema: z.ZodObject; example: Record<string, string> };
  /** Route-specific errors (the derived ones are added by `errorCases`). */
  errors: readonly ErrorCase[];
  /** Request rules the JSON Schema cannot carry (zod refinements, business rules). */
  requestRules?: readonly string[];
  /** The business event a write route publishes. */
  eventType?: EventType;
  /** For a route with correlationHeader but no eventType: the correlation id its examples carry. */
  exampleCorrelationId?: string;
}

/** The checked-in samples: one request body per write route, one envelope per event type. */
export interface Samples {
  requests: Record<string, unknown>;
  events: { [T in EventType]: EventOf<T> };
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

// ---- write routes: one definition over the intake table ----

interface WriteNote {
  /** What happens after acceptance, beyond "validated, recorded, published". */
  description: string;
  rules?: readonly string[];
  /** A well-formed body that breaks the intake's business rules (required when the intake has `violations`). */
  violating?: (samples: Samples) => unknown;
}

const AMOUNT_RULE =
  'Amounts are decimal strings with at most two decimals ("125.00"); the hub converts them to integer cents.';
const SURVIVORSHIP = `Survivorship: the record with the later sourceUpdatedAt wins field by field, a field the winner leaves out keeps its stored value, and on the same instant the more authoritative source wins (${SOURCE_AUTHORITY.join(' > ')}).`;

const writeNotes: Record<IntakeName, WriteNote> = {
  upsertPatient: {
    description: `The Odoo partner (a person) is created or updated asynchronously. ${SURVIVORSHIP} The body is PHI: it is never logged or put on the timeline.`,
    rules: ['sourceUpdatedAt carries a zone (Z or ±hh:mm).', 'birthDate must be a real calendar date.'],
  },
  upsertPayer: {
    description: `The Odoo partner (a company) is created or updated asynchronously. ${SURVIVORSHIP}`,
    rules: ['sourceUpdatedAt carries a zone (Z or ±hh:mm).'],
  },
  submitCharges: {
    description:
      'Opens the encounter workflow (charge_ready) if it is new and fixes its patient. Nothing is booked in Odoo until the invoice.',
    rules: [
      'units has at most three decimals.',
      'serviceDate must be a real calendar date.',
      'The hub computes totalCents as the sum of the line amounts.',
      AMOUNT_RULE,
    ],
  },
  submitInvoice: {
    description:
      'The Odoo invoice is created (partner found or created by its ref) and posted asynchronously; the workflow reaches invoice_issued.',
    rules: [
      'issueDate must be a real calendar date (2026-02-30 is refused).',
      'A line with codeSystem REV has a 4-digit revenue code; CPT and HCPCS codes are 5 characters.',
      'quantity has at most three decimals; the hub computes each line and the total (at most 10,000,000,000.00).',
      AMOUNT_RULE,
    ],
  },
  submitClaim: {
    description:
      'Tracked on the workflow (claim_submitted), not booked: Odoo has no claims. Held until every invoice it bills is in Odoo.',
    rules: ['claimFrequency defaults to "1" (original).', AMOUNT_RULE],
  },
  submitClaimStatus: {
    description:
      'Moves the workflow to payer_response_received; rejected and denied open an exception for the billing team. Held until the claim is known.',
    rules: ['payerCodes defaults to [].'],
  },
  submitRemittance: {
    description:
      'Booked in Odoo by the posting rules (docs/posting-rules.md): PR moves to a patient invoice, CO is written off, the payment is registered. Held until the claim and its invoice are known, the patient is synced (when PR moves to them), and, for a reversal or correction, the remittance it follows; a retransmission books once.',
    rules: [
      'billed − paid = Σ adjustments (every group: CO, PR, OA, PI; adjustment amounts may be negative).',
      'patientResponsibility = Σ PR adjustments (when patientResponsibility is omitted the hub uses that sum).',
      'A reversal (claimStatus 22) negates the original: billed and paid are 0.00 or less; any other status bills 0.00 or more.',
      'A body that breaks these is answered 400 "Business rule violated" with errors[] pointing at the members.',
      AMOUNT_RULE,
    ],
    violating: (s) => ({ ...(s.requests.submitRemittance as object), paidAmount: '85.00' }),
  },
  submitEraDeposit: {
    description:
      'The ERA’s deposit, booked in Odoo as one journal entry per trace exactly as for an 835 (docs/posting-rules.md, "ERA deposit and provider-level adjustments"): BPR02 on Outstanding Receipts for the bank line, the claim payments of the trace matched with it, claim interest to interest income, each PLB to its account. The claims themselves come through POST /v1/remittances with the same payment.traceNumber (interestAmount, reversalRemittanceId); a retransmission books once.',
    rules: [
      'depositAmount = Σ claimPayments paidAmount − Σ providerAdjustments amount (the 835’s BPR02 = Σ CLP04 − Σ PLB).',
      'A body that breaks it is answered 400 "Business rule violated" with errors[] pointing at /depositAmount.',
      AMOUNT_RULE,
    ],
    violating: (s) => ({ ...(s.requests.submitEraDeposit as object), depositAmount: '1.00' }),
  },
  submitPayment: {
    description:
      'Registered in Odoo against the invoice it names; more than the invoice owes opens a finance exception (kept as the payer’s credit). Held until the invoice is in Odoo; a payment re-sent with the same paymentId books once.',
    rules: ['amount must be greater than zero.', 'receivedDate must be a real calendar date.', AMOUNT_RULE],
  },
};

/** The path a write route's Location points at, read off the intake itself (`{name}` placeholders). */
export function locationTemplate(name: IntakeName): string {
  const probe = {
    encounterId: '{encounterId}',
    facilityId: '{facilityId}',
    patientId: '{patientId}',
    payerId: '{payerId}',
    traceNumber: '{traceNumber}',
  };
  return decodeURIComponent(intakes[name].location(probe as never));
}

/** Whether a write route's event belongs to an encounter workflow (false: master data). */
export function isEncounterIntake(name: IntakeName): boolean {
  return intakes[name].encounter({ encounterId: 'e', facilityId: 'f' } as never) !== undefined;
}

/** The 400 a body that breaks the intake's business rules gets (ingest.ts), from the route's `violating` body. */
export function businessRuleCase(name: IntakeName, samples: Samples): ErrorCase | undefined {
  const intake = intakes[name];
  if (!intake.violations) return undefined;
  const violating = writeNotes[name].violating;
  if (!violating) throw new Error(`${name} has business rules: give it a violating example in writeNotes`);
  const body = intake.schema.parse(violating(samples));
  const errors = intake.violations(intake.toCanonical(body as never, {}));
  if (errors.length === 0) throw new Error(`${name}: the violating example breaks no rule`);
  return {
    status: 400,
    type: ProblemType.validation,
    title: 'Business rule violated',
    when: 'the body is well-formed but does not add up (errors[] names each broken rule)',
    detail: 'The document is well-formed but does not add up.',
    by: 'handler',
    errors,
  };
}

/** The first field error `{}` gets from the intake's schema: a real message for the route's 400 example. */
function emptyBodyError(name: IntakeName): { path: string; message: string } {
  const parsed = intakes[name].schema.safeParse({});
  const first = parsed.success ? undefined : fieldErrors(parsed.error)[0];
  return first ?? { path: '', message: 'invalid' };
}

function writeContract(name: IntakeName): OperationContract {
  const intake = intakes[name];
  const note = writeNotes[name];
  const encounter = isEncounterIntake(name);
  const location = locationTemplate(name);
  return {
    description: `Validates the body, ${encounter ? "records it on the encounter's timeline " : ''}and publishes ${intake.eventType}. ${note.description} Follow the Location header (${location}).`,
    success: {
      description:
        'Accepted: validated and published (or the stored answer to a retry with the same key and body)',
      schema: Accepted,
      example: (s) => {
        const event = s.events[intake.eventType];
        return {
          correlationId: event.correlationId,
          eventId: event.id,
          ...(event.encounterId === undefined ? {} : { encounterId: event.encounterId }),
          status: 'accepted',
        };
      },
      headers: ['Location', 'X-Correlation-Id'],
      location,
    },
    correlationHeader: true,
    ...(name === 'upsertPatient'
      ? {
          pathParams: {
            patientId: {
              schema: PatientIdSchema,
              description: 'The patient id (as the source system knows it)',
              example: 'PAT-000481',
            },
          },
        }
      : name === 'upsertPayer'
        ? {
            pathParams: {
              payerId: { schema: PayerIdSchema, description: 'The payer id', example: 'PAYER-BCBS-IL' },
            },
          }
        : {}),
    errors: [
      unavailable(
        'Not accepted',
        'The document could not be recorded; nothing was accepted. Retry with the same Idempotency-Key.',
        'the store or the bus did not answer; nothing was accepted, retry with the same key',
      ),
    ],
    requestRules: [...(note.rules ?? []), `The body is at most ${MAX_BODY_BYTES / 1024} KB.`],
    eventType: intake.eventType,
  };
}

// ---- read routes ----

function masterReadContract(kind: 'patient' | 'payer'): OperationContract {
  const param = `${kind}Id`;
  return {
    description:
      `The ${kind}'s Odoo partner id (the crosswalk), its Odoo ref, and where the surviving record came from. ${kind === 'patient' ? 'Never the demographics themselves (PHI).' : ''}`.trim(),
    success: {
      description: `The ${kind} as synced to Odoo`,
      schema: kind === 'patient' ? PatientRecord : PayerRecord,
      example: (s) => masterRecordExample(kind, s),
      headers: [],
    },
    correlationHeader: false,
    pathParams: {
      [param]: {
        schema: kind === 'patient' ? PatientIdSchema : PayerIdSchema,
        description: `The ${kind} id used in PUT /v1/${kind}s/{${param}}`,
        example: kind === 'patient' ? 'PAT-000481' : 'PAYER-BCBS-IL',
      },
    },
    errors: [
      {
        status: 400,
        type: ProblemType.validation,
        title: `Invalid ${kind} id`,
        when: `the ${kind} id in the path is not a valid id`,
        detail: `The ${kind} id in the path is not valid.`,
        by: 'handler',
        errors: [
          {
            path: `path:${param}`,
            message: 'must start with a letter or digit and use only A-Z a-z 0-9 . _ : - /',
          },
        ],
      },
      {
        status: 404,
        type: ProblemType.notFound,
        title: `Unknown ${kind}`,
        when: `no ${kind} with this id has been synced to Odoo yet`,
        detail: `No ${kind} ${kind === 'patient' ? 'PAT-999999' : 'PAYER-UNKNOWN'} has been synced.`,
        by: 'handler',
      },
      unavailable('Store unavailable', 'The store did not answer; retry.', 'the store did not answer; retry'),
    ],
  };
}

const storeUnavailable = unavailable(
  'Store unavailable',
  'The workflow store did not answer; retry.',
  'the workflow store did not answer; retry',
);

export const operationContracts: Record<string, OperationContract> = {
  ...(Object.fromEntries(
    (Object.keys(intakes) as IntakeName[]).map((name) => [name, writeContract(name)]),
  ) as Record<IntakeName, OperationContract>),
  listWorkflows: {
    description:
      'Encounters in a state (all states when omitted: exception_pending first, then the workflow order), newest state change first, optionally only those stuck in their state longer than olderThan, for one facility or payer. Pages with cursor.',
    success: {
      description: 'One page of encounters',
      schema: WorkflowList,
      example: (s) => workflowListExample(s),
      headers: [],
    },
    correlationHeader: false,
    query: {
      schema: WorkflowListQuery,
      example: { state: 'exception_pending', payerId: 'PAYER-BCBS-IL', olderThan: 'P2D', limit: '25' },
    },
    errors: [
      invalidQueryCase(WorkflowListQuery),
      {
        status: 400,
        type: ProblemType.validation,
        title: 'Invalid cursor',
        when: 'cursor is not a nextCursor this API issued',
        detail: new InvalidCursor().message,
        by: 'handler',
        errors: [{ path: 'query:cursor', message: new InvalidCursor().message }],
      },
      storeUnavailable,
    ],
  },
  getWorkflow: {
    description:
      'The encounter as the hub sees it: state and furthest stage, money summary, Odoo invoices, claims, remittances, open exceptions, events held for a dependency, and every business event.',
    success: {
      description: "The encounter's workflow",
      schema: WorkflowDetail,
      example: (s) => workflowDetailExample(s),
      headers: [],
    },
    correlationHeader: false,
    pathParams: {
      encounterId: {
        schema: EncounterIdSchema,
        description: 'The encounter id from the charges, invoice or any other encounter document',
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
        when: 'no document of this encounter was accepted',
        detail: 'No workflow for encounter ENC-2026-999999.',
        by: 'handler',
      },
      storeUnavailable,
    ],
  },
  // FHIR R4 routes (scripts/contracts/fhir.ts): fhir+json answers, OperationOutcome errors.
  ...fhirContracts,
  // Webhooks both ways (scripts/contracts/webhooks.ts, docs/webhooks.md).
  ...webhookContracts,
  // Large X12 835 uploads (scripts/contracts/uploads.ts, docs/x12.md#large-files).
  ...uploadContracts,
  // The exception register (scripts/contracts/exceptions.ts, docs/operations.md#exceptions).
  ...exceptionContracts,
  // Reconciliation runs (scripts/contracts/reconciliations.ts, docs/reconciliation.md).
  ...reconciliationContracts,
  ...triageContracts,
  getPatient: masterReadContract('patient'),
  getPayer: masterReadContract('payer'),
  getHealth: {
    description:
      'Unauthenticated liveness check: up or down, nothing else (the details need rcm/operations.read on /health/details).',
    success: {
      description: 'Odoo and the store both answer',
      schema: HealthStatus,
      example: () => ({ status: 'up' }),
      headers: [],
    },
    otherResponses: [
      {
        status: 503,
        description: 'Odoo or the store does not answer',
        schema: HealthStatus,
        example: () => ({ status: 'down' }),
      },
    ],
    correlationHeader: false,
    errors: [],
  },
  getHealthDetails: {
    description:
      'Dependency report for operations: which Odoo and store, versions, errors. No PHI, no secrets.',
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
export function errorCases(route: ApiRoute, contract: OperationContract, samples?: Samples): ErrorCase[] {
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
    const name = route.operationId as IntakeName;
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
        errors: [name in intakes ? emptyBodyError(name) : { path: '', message: 'invalid' }],
      },
    );
    const rule = samples && name in intakes ? businessRuleCase(name, samples) : undefined;
    if (rule) cases.push(rule);
    cases.push(
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
  if (route.scope !== null && (route.handler === 'ingest' || route.operationId === 'startReconciliation')) {
    // Issue #15 (docs/security.md#ownership): the caller's registry binding does not cover the document.
    cases.push({
      status: 403,
      type: ProblemType.notEntitled,
      title: 'Not entitled',
      when: 'the document is for a facility or payer the client does not act for, or touches an encounter, claim, patient or payer another facility owns',
      detail: 'The record belongs to another facility.',
      by: 'handler',
    });
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
        when: 'the key was already used by this client on this route with a different body or path',
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

/**
 * A problem body as the producer of `c` would send it. Handlers that take X-Correlation-Id put it in their
 * problems; the read handlers send none; the gateway sends its request id.
 */
export function problemExample(
  c: ErrorCase,
  correlationId: string | undefined,
  gatewayRequestId = 'c0ffee12-3456-4789-abcd-ef0123456789',
): Record<string, unknown> {
  const id = c.by === 'handler' ? correlationId : gatewayRequestId;
  return {
    type: `${PROBLEM_BASE}${c.type}`,
    title: c.title,
    status: c.status,
    detail: c.detail,
    ...(id === undefined ? {} : { correlationId: id }),
    ...(c.errors ? { errors: c.errors } : {}),
  };
}

/** The correlation id a route's handler problems carry in examples (write routes: their event sample's). */
export function exampleCorrelationId(route: ApiRoute, samples: Samples): string | undefined {
  const contract = operationContracts[route.operationId];
  if (!contract?.correlationHeader) return undefined;
  if (!contract.eventType) return contract.exampleCorrelationId;
  return samples.events[contract.eventType].correlationId;
}

/** Path parameter names of an API Gateway path (`{name}` segments), in order. */
export function pathParamNames(path: string): string[] {
  return [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string);
}

/** JSON Schema (2020-12, input side) of one zod schema, without `$schema`. */
export function inputJsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io: 'input', target: 'draft-2020-12' }) as Record<
    string,
    unknown
  >;
  return rest;
}
