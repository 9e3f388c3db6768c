import { createHash } from 'node:crypto';
import {
  IdempotencyAlreadyInProgressError,
  IdempotencyConfig,
  IdempotencyValidationError,
  makeIdempotent,
} from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { WorkflowStore } from '../adapters/dynamodb/workflow-store.js';
import { numberEnv, requiredEnv } from '../adapters/environment.js';
import { EventPublisher } from '../adapters/eventbridge/event-publisher.js';
import { correlationIdOf, header, MAX_BODY_BYTES, RequestRejected } from '../adapters/http/api-request.js';
import { createLogger } from '../adapters/observability.js';
import { callerPrincipal } from '../adapters/partners/registry.js';
import { deterministicEventId } from '../core/event-id.js';
import type { EventType } from '../core/events.js';
import { localIds, mapDocument, type ParsedDocument, parseDocument } from '../core/fhir/document.js';
import {
  claimIdsNamed,
  type KnownClaim,
  type MappedEvent,
  type Mapping,
  remittanceIdsNamed,
} from '../core/fhir/inbound.js';
import { toPaymentReconciliation } from '../core/fhir/outbound.js';
import {
  type FhirIssue,
  isError,
  issue,
  type OperationOutcome,
  operationOutcome,
  statusFor,
} from '../core/fhir/outcome.js';
import { ACCEPTED_TYPES, type AcceptedType } from '../core/fhir/resources.js';
import { PartnerId } from '../core/identifiers.js';
import { controlCharacterPaths, exceedsJsonDepth, MAX_JSON_DEPTH } from '../core/json-limits.js';
import { mayRead, type Principal } from '../core/partners.js';
import type { RemittanceReceived } from '../core/remittance.js';
import { env } from '../env.js';
import { scopes } from '../scopes.js';
import { acceptEvents } from './intake/accept-events.js';
import { entitleWrites } from './intake/entitlement.js';

/**
 * The FHIR R4 edge (docs/fhir.md): `POST /fhir/r4/{Claim|Invoice|ClaimResponse|PaymentReconciliation}` and
 * `POST /fhir/r4` (Bundle) map FHIR financial resources to canonical business events and accept them the way
 * every intake does (accept-events.ts, Powertools idempotency); `GET /fhir/r4/PaymentReconciliation/{id}`
 * reads a remittance back. Every error answers an OperationOutcome (application/fhir+json), never problem+json.
 */
const logger = createLogger('fhir');
const dynamodb = new DynamoDBClient({});
const store = new WorkflowStore(dynamodb, requiredEnv(env.workflowTable));
const publisher = new EventPublisher(new EventBridgeClient({}), requiredEnv(env.eventBus));

export const FHIR_JSON = 'application/fhir+json; charset=utf-8';

/**
 * The gateway checks one scope per route (rcm/fhir.write); a FHIR document may carry several business events,
 * so the handler also requires the write scope each of them has on the JSON API — FHIR is no side door.
 */
export const SCOPE_OF_EVENT: Partial<Record<EventType, string>> = {
  ClaimSubmitted: scopes.claimsWrite,
  ClaimStatusChanged: scopes.claimsWrite,
  InvoiceIssued: scopes.invoicesWrite,
  RemittanceReceived: scopes.remittancesWrite,
};

const idempotencyConfig = new IdempotencyConfig({
  eventKeyJmesPath: '[clientId, route, idempotencyKey]',
  payloadValidationJmesPath: 'document',
  throwOnNoIdempotencyKey: true,
  expiresAfterSeconds: numberEnv(env.idempotencyTtlSeconds, 24 * 3600),
});

interface AcceptCommand {
  clientId: string;
  route: string;
  idempotencyKey: string;
  correlationId: string;
  /** The body as posted: the same key with another document is a conflict. */
  document: unknown;
  events: MappedEvent[];
  /** The answer, built before accepting; returned again for a retry with the same key. */
  answer: { statusCode: number; body: unknown; location?: string };
}

const accept = makeIdempotent(
  async (command: AcceptCommand): Promise<AcceptCommand['answer'] & { eventIds: string[] }> => {
    const envelopes = await acceptEvents(
      { store, publisher },
      {
        clientId: command.clientId,
        idempotencyKey: command.idempotencyKey,
        correlationId: command.correlationId,
        events: command.events.map((e) => ({
          eventType: e.eventType,
          data: e.data,
          encounter: e.encounter,
          partitionKey: e.partitionKey,
          facts: { ...e.facts, format: 'fhir' },
          discriminator: e.discriminator,
        })),
      },
    );
    logger.info('fhir document accepted', { events: envelopes.length, route: command.route });
    return { ...command.answer, eventIds: envelopes.map((e) => e.id) };
  },
  {
    persistenceStore: new DynamoDBPersistenceLayer({
      tableName: requiredEnv(env.idempotencyTable),
      awsSdkV3Client: dynamodb,
    }),
    config: idempotencyConfig,
  },
);

/** A request the FHIR edge refuses: the OperationOutcome and status to answer with. */
class Refused extends Error {
  constructor(
    readonly status: number,
    readonly issues: FhirIssue[],
    readonly headers: Record<string, string> = {},
  ) {
    super(issues[0]?.diagnostics ?? 'refused');
  }
}

function fhirResponse(
  statusCode: number,
  body: unknown,
  headers: Record<string, string | undefined> = {},
): APIGatewayProxyResult {
  const defined = Object.fromEntries(Object.entries(headers).filter(([, v]) => v !== undefined)) as Record<
    string,
    string
  >;
  return {
    statusCode,
    headers: { 'Content-Type': FHIR_JSON, 'Cache-Control': 'no-store', ...defined },
    body: JSON.stringify(body),
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
    if (event.httpMethod === 'GET') return await readPaymentReconciliation(event, correlationId);
    return await post(event, correlationId);
  } catch (error) {
    return errorResponse(error, correlationId);
  } finally {
    logger.removeKeys(['correlationId']);
  }
};

function errorResponse(error: unknown, correlationId: string | undefined): APIGatewayProxyResult {
  const headers = { 'X-Correlation-Id': correlationId };
  if (error instanceof Refused)
    return fhirResponse(error.status, operationOutcome(error.issues), { ...headers, ...error.headers });
  if (error instanceof RequestRejected) {
    const p = error.problem;
    const code =
      p.status === 401
        ? 'security'
        : p.status === 403
          ? 'forbidden'
          : p.status === 413
            ? 'too-long'
            : p.status === 415
              ? 'not-supported'
              : 'invalid';
    const issues = (p.errors ?? []).map((e) => issue('error', code, `${e.path}: ${e.message}`));
    return fhirResponse(
      p.status,
      operationOutcome(issues.length ? issues : [issue('error', code, p.detail)]),
      headers,
    );
  }
  if (error instanceof IdempotencyValidationError)
    return fhirResponse(
      409,
      operationOutcome([
        issue(
          'error',
          'conflict',
          'this Idempotency-Key (or If-None-Exist identifier) was already used with a different document',
        ),
      ]),
      headers,
    );
  if (error instanceof IdempotencyAlreadyInProgressError)
    return fhirResponse(
      409,
      operationOutcome([
        issue('error', 'transient', 'a request with this key is still being processed; retry shortly'),
      ]),
      { ...headers, 'Retry-After': '1' },
    );
  logger.error('fhir request failed', { error: error as Error });
  return fhirResponse(
    503,
    operationOutcome([
      issue(
        'error',
        'transient',
        'the document could not be recorded; nothing was accepted. Retry with the same key.',
      ),
    ]),
    { ...headers, 'Retry-After': '2' },
  );
}

// ------------------------------------------------------------------------------------------- POST

function readBody(event: APIGatewayProxyEvent): unknown {
  const raw =
    event.isBase64Encoded && event.body
      ? Buffer.from(event.body, 'base64')
      : Buffer.from(event.body ?? '', 'utf8');
  if (raw.byteLength > MAX_BODY_BYTES)
    throw new Refused(413, [
      issue('error', 'too-long', `the body is ${raw.byteLength} bytes; the limit is ${MAX_BODY_BYTES}`),
    ]);
  const contentType = header(event, 'Content-Type') ?? '';
  // R4 http.html#mime-type: application/fhir+json; plain application/json is accepted as FHIR servers do.
  if (!/^application\/(fhir\+)?json\b/i.test(contentType))
    throw new Refused(415, [issue('error', 'not-supported', 'send the body as application/fhir+json')]);
  const text = raw.toString('utf8');
  // Before any parsing (issue #15): a 20,000-deep element or a NUL in a string is refused, never a 5xx.
  if (exceedsJsonDepth(text))
    throw new Refused(400, [
      issue('error', 'too-long', `elements nest deeper than ${MAX_JSON_DEPTH} levels`),
    ]);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Refused(400, [
      issue('error', 'structure', `the body is not valid JSON: ${(error as Error).message}`),
    ]);
  }
  const controls = controlCharacterPaths(json);
  if (controls.length > 0)
    throw new Refused(
      400,
      controls
        .slice(0, 50)
        .map((path) => issue('error', 'value', `${path}: must not contain control characters`)),
    );
  return json;
}

/**
 * Idempotency-Key, as on every write route; FHIR clients that send conditional creates instead
 * (`If-None-Exist: identifier=system|value`, or `ifNoneExist` on every Bundle entry) get a key derived from it,
 * so resending the same identifier answers the first acceptance instead of booking again.
 */
function keyOf(event: APIGatewayProxyEvent, document: ParsedDocument, body: unknown): string {
  const explicit = header(event, 'Idempotency-Key');
  if (explicit !== undefined) {
    if (!/^[\x21-\x7e]{8,128}$/.test(explicit))
      throw new Refused(400, [
        issue('error', 'invalid', 'Idempotency-Key must be 8–128 printable ASCII characters without spaces'),
      ]);
    return explicit;
  }
  const conditional = header(event, 'If-None-Exist');
  const entryConditions = (
    (body as { entry?: Array<{ request?: { ifNoneExist?: string } }> }).entry ?? []
  ).map((e) => e.request?.ifNoneExist);
  const conditions =
    conditional !== undefined
      ? [`${event.resource}?${conditional}`]
      : document.bundleType && entryConditions.length > 0 && entryConditions.every((c) => c !== undefined)
        ? (entryConditions as string[])
        : undefined;
  if (!conditions)
    throw new Refused(400, [
      issue(
        'error',
        'required',
        'send an Idempotency-Key header, or If-None-Exist (identifier=system|value), so retries are safe',
      ),
    ]);
  if (conditional !== undefined) checkCondition(conditional, document);
  return `fhir-ine:${createHash('sha256').update(conditions.join('\n')).digest('hex')}`;
}

/** If-None-Exist must name an identifier the posted resource carries (the hub searches no other parameter). */
function checkCondition(condition: string, document: ParsedDocument): void {
  const match = /^(?:[A-Za-z]+\?)?identifier=([^&]*)$/.exec(condition);
  if (!match)
    throw new Refused(400, [
      issue('error', 'not-supported', 'If-None-Exist supports identifier=system|value only'),
    ]);
  const [system, value] = decodeURIComponent(match[1] ?? '').includes('|')
    ? (decodeURIComponent(match[1] ?? '').split('|', 2) as [string, string])
    : [undefined, decodeURIComponent(match[1] ?? '')];
  const resource = document.entries[0]?.resource as
    | { identifier?: Array<{ system?: string; value?: string }> }
    | undefined;
  if (!document.bundleType && resource) {
    const carried = (resource.identifier ?? []).some(
      (i) => i.value === value && (system === undefined || system === '' || i.system === system),
    );
    if (!carried)
      throw new Refused(400, [
        issue(
          'error',
          'invalid',
          `If-None-Exist names identifier ${condition.replace(/^.*identifier=/, '')}, which the resource does not carry`,
        ),
      ]);
  }
}

async function lookupContext(document: ParsedDocument, principal: Principal, idempotencyKey: string) {
  const clientId = principal.clientId;
  // Only what the caller may see resolves: another facility's claim with the same id stays unknown to it.
  const visible = <T extends { facilityId: string }>(found: T[]) =>
    found.filter((f) => mayRead(principal, f.facilityId));
  const local = localIds(document);
  const resources = document.entries.flatMap((e) => (e.resource ? [e.resource] : []));
  const claimIds = [...new Set(resources.flatMap((r) => claimIdsNamed(r, local)))];
  const remittanceIds = [...new Set(resources.flatMap((r) => remittanceIdsNamed(r, local)))];
  const [claims, remittances] = await Promise.all([
    Promise.all(claimIds.map(async (id) => [id, visible(await store.findClaim(id))] as const)),
    Promise.all(remittanceIds.map(async (id) => [id, visible(await store.findRemittance(id))] as const)),
  ]);
  return {
    local,
    claims: new Map<string, readonly KnownClaim[]>(claims),
    remittances: new Map(
      remittances.flatMap(([id, found]) =>
        found[0]
          ? [
              [
                id,
                {
                  paidCents: (found[0].remittance as unknown as RemittanceReceived).paidCents,
                  eventId: found[0].eventId,
                },
              ] as const,
            ]
          : [],
      ),
    ),
    eventIdFor: (eventType: EventType, discriminator: string) =>
      deterministicEventId(eventType, clientId, idempotencyKey, discriminator),
  };
}

function requireScopes(event: APIGatewayProxyEvent, events: MappedEvent[]): void {
  const claims = (event.requestContext.authorizer?.claims ?? {}) as Record<string, string>;
  const granted = new Set((claims.scope ?? '').split(' ').filter(Boolean));
  const missing = [...new Set(events.flatMap((e) => SCOPE_OF_EVENT[e.eventType] ?? []))].filter(
    (s) => !granted.has(s),
  );
  if (missing.length > 0)
    throw new Refused(403, [
      issue(
        'error',
        'forbidden',
        `the document books ${[...new Set(events.map((e) => e.eventType))].join(', ')}; the access token lacks ${missing.join(', ')}`,
      ),
    ]);
}

function acceptedIssues(mapping: Mapping): FhirIssue[] {
  return [
    ...mapping.events.map((e) =>
      issue(
        'information',
        'informational',
        `accepted ${e.eventType} (${describe(e)}); follow it at ${e.location}`,
      ),
    ),
    ...mapping.issues,
  ];
}

function describe(e: MappedEvent): string {
  const facts = e.facts as Record<string, unknown>;
  return ['invoiceId', 'claimId', 'statusId', 'remittanceId', 'status']
    .flatMap((k) => (facts[k] === undefined ? [] : [`${k} ${String(facts[k])}`]))
    .join(', ');
}

async function post(event: APIGatewayProxyEvent, correlationId: string): Promise<APIGatewayProxyResult> {
  const principal = callerPrincipal(event);
  const clientId = principal.clientId;
  const body = readBody(event);
  const routeType = event.pathParameters?.resourceType ?? /\/fhir\/r4\/(\w+)$/.exec(event.resource)?.[1];
  if (routeType !== undefined && !(ACCEPTED_TYPES as readonly string[]).includes(routeType))
    throw new Refused(404, [issue('error', 'not-supported', `the hub does not accept ${routeType}`)]);
  const document = parseDocument(body, routeType as AcceptedType | undefined);
  if (document.issues.length > 0) throw new Refused(statusFor(document.issues), document.issues);
  const idempotencyKey = keyOf(event, document, body);
  const results = mapDocument(document, await lookupContext(document, principal, idempotencyKey));
  const mappings = document.entries.map((e) => results.get(e.index) ?? { events: [], issues: e.issues });
  const headers = { 'X-Correlation-Id': correlationId };

  let events: MappedEvent[];
  let answer: AcceptCommand['answer'];
  if (document.bundleType === 'batch') {
    // Per entry: the good ones are accepted (under the Bundle's key, told apart by discriminator).
    events = mappings.flatMap((m) => (m.issues.some(isError) ? [] : m.events));
    answer = {
      statusCode: 200,
      body: {
        resourceType: 'Bundle',
        type: 'batch-response',
        entry: mappings.map((m) => entryResponse(m)),
      },
    };
  } else {
    const errors = mappings.flatMap((m) => m.issues.filter(isError));
    if (errors.length > 0) {
      // A single resource, a transaction or a collection: all or nothing, every problem reported at once.
      const warnings = mappings.flatMap((m) => m.issues.filter((i) => !isError(i)));
      throw new Refused(statusFor(errors), [...errors, ...warnings]);
    }
    const idle = document.entries.filter((_, i) => mappings[i]?.events.length === 0);
    if (document.bundleType && idle.length > 0 && idle.length < document.entries.length)
      throw new Refused(
        422,
        idle.flatMap((e) => [
          issue('error', 'business-rule', 'nothing in this entry is booked; all or nothing', e.root),
          ...(results.get(e.index)?.issues ?? []),
        ]),
      );
    events = mappings.flatMap((m) => m.events);
    answer =
      document.bundleType === 'transaction'
        ? {
            statusCode: 202,
            body: {
              resourceType: 'Bundle',
              type: 'transaction-response',
              entry: mappings.map((m) => entryResponse(m)),
            },
          }
        : { statusCode: 202, body: operationOutcome(mappings.flatMap(acceptedIssues)) };
    if (events[0]) answer.location = events[0].location;
  }
  if (events.length === 0) {
    // Nothing to book (a batch whose every entry failed, or only provider-level amounts): nothing to remember.
    const status = document.bundleType === 'batch' ? 200 : 422;
    const outcome: unknown =
      document.bundleType === 'batch'
        ? answer.body
        : operationOutcome([
            issue('error', 'business-rule', 'the document carries nothing the hub books'),
            ...mappings.flatMap((m) => m.issues),
          ]);
    return fhirResponse(status, outcome, headers);
  }
  requireScopes(event, events);
  try {
    await entitleWrites(store, principal, events);
  } catch (error) {
    if (error instanceof RequestRejected)
      throw new Refused(error.problem.status, [issue('error', 'forbidden', error.problem.detail)]);
    throw error;
  }
  const accepted = await accept({
    clientId,
    route: `${event.httpMethod} ${event.resource}`,
    idempotencyKey,
    correlationId,
    document: body,
    events,
    answer,
  });
  return fhirResponse(accepted.statusCode, accepted.body, { ...headers, Location: accepted.location });
}

function entryResponse(mapping: Mapping): Record<string, unknown> {
  const errors = mapping.issues.filter(isError);
  if (errors.length > 0)
    return { response: { status: `${statusFor(errors)}`, outcome: operationOutcome(mapping.issues) } };
  if (mapping.events.length === 0)
    return {
      response: {
        status: '422',
        outcome: operationOutcome([
          issue('error', 'business-rule', 'nothing in this entry is booked'),
          ...mapping.issues,
        ]),
      },
    };
  return {
    response: {
      status: '202 Accepted',
      location: mapping.events[0]?.location,
      outcome: operationOutcome(acceptedIssues(mapping)),
    },
  };
}

// -------------------------------------------------------------------------------------------- GET

async function readPaymentReconciliation(
  event: APIGatewayProxyEvent,
  correlationId: string,
): Promise<APIGatewayProxyResult> {
  const headers = { 'X-Correlation-Id': correlationId };
  const id = PartnerId.safeParse(event.pathParameters?.remittanceId);
  if (!id.success)
    return fhirResponse(
      400,
      operationOutcome([issue('error', 'value', 'the remittance id in the path is not valid')]),
      headers,
    );
  const remittanceId = id.data;
  // Another facility's remittance answers 404, as if it did not exist (docs/security.md#reads).
  const principal = callerPrincipal(event);
  const found = (await store.findRemittance(remittanceId)).filter((f) => mayRead(principal, f.facilityId));
  if (found.length === 0)
    return fhirResponse(
      404,
      operationOutcome([
        issue('error', 'not-found', `no remittance ${remittanceId}`, 'PaymentReconciliation.id'),
      ]),
      headers,
    );
  if (found.length > 1)
    return fhirResponse(
      409,
      operationOutcome([
        issue(
          'error',
          'multiple-matches',
          `remittance id ${remittanceId} was accepted for ${found.length} encounters (${found.map((f) => f.encounterId).join(', ')})`,
        ),
      ]),
      headers,
    );
  const entry = found[0] as (typeof found)[number];
  const workflow = await store.getWorkflow(entry.encounterId);
  const record = workflow?.remittances[remittanceId];
  const resource = toPaymentReconciliation({
    remittance: entry.remittance as unknown as RemittanceReceived,
    acceptedAt: entry.acceptedAt,
    booked: record !== undefined,
    reversed: record?.reversed === true,
  });
  return fhirResponse(200, resource, headers);
}

export type { OperationOutcome };
