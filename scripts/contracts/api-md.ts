/**
 * docs/api.md: the human API reference, from the same route table, contracts and samples as openapi.json.
 * Prose stays short; every fact that can come from code does.
 */
import { z } from 'zod';
import { MAX_BODY_BYTES } from '../../lambdas/adapters/http/api-request.js';
import { PROBLEM_BASE, ProblemType } from '../../lambdas/adapters/http/problem.js';
import { CorrelationId, IdempotencyKey } from '../../lambdas/core/identifiers.js';
import { type IntakeName, intakes } from '../../lambdas/core/intake.js';
import { SOURCE_AUTHORITY } from '../../lambdas/core/master-data.js';
import { formatCents } from '../../lambdas/core/money.js';
import { AdjustmentGroup, RemittanceClaimStatus } from '../../lambdas/core/remittance.js';
import { type ApiRoute, routes } from '../../lambdas/wiring.js';
import { eventInfo, eventTypes, eventVersion } from './events.js';
import type { GeneratedFile } from './files.js';
import {
  AWS_SERVER,
  contractOf,
  deployStages,
  LOCAL_SERVER,
  OPENAPI_VERSION,
  scopeUsage,
  TOKEN_PATH,
} from './openapi.js';
import {
  errorCases,
  exampleCorrelationId,
  GatewayProblemType,
  isEncounterIntake,
  locationTemplate,
  pathParamNames,
  problemExample,
  type Samples,
} from './operations.js';
import { eventSamplePath, REQUEST_SAMPLES } from './samples.js';

const code = (text: string) => `\`${text}\``;
const json = (value: unknown) => ['```json', JSON.stringify(value, null, 2), '```'].join('\n');
const anchor = (route: ApiRoute) => route.operationId.toLowerCase();
const cell = (text: string) => text.replaceAll('|', '\\|');

/** Bounds of a zod string schema, read from its JSON Schema, for prose that must not drift. */
function stringBounds(schema: z.ZodType): string {
  const s = z.toJSONSchema(schema, { io: 'input' }) as { minLength?: number; maxLength?: number };
  return `${s.minLength ?? 0}–${s.maxLength ?? '∞'}`;
}

const problemMeanings: Record<string, string> = {
  [ProblemType.validation]: 'A header, path parameter or the body breaks the contract (see `errors`).',
  [ProblemType.malformedJson]: 'The body is not JSON.',
  [ProblemType.unsupportedMediaType]: 'The body is not sent as `application/json`.',
  [ProblemType.payloadTooLarge]: `The body exceeds ${MAX_BODY_BYTES / 1024} KB (API Gateway itself stops at 10 MB).`,
  [ProblemType.missingIdempotencyKey]: 'A write was sent without `Idempotency-Key`.',
  [ProblemType.idempotencyKeyReused]: 'The key was used before by this client with a different body.',
  [ProblemType.requestInProgress]:
    'The first request with this key is still running; retry after `Retry-After`.',
  [ProblemType.unauthorized]: 'No valid access token.',
  [ProblemType.forbidden]: 'The token lacks the scope the route needs.',
  [ProblemType.notEntitled]:
    'The client is not registered, or the document touches a facility, payer, encounter, claim or patient that is not its own (docs/security.md).',
  [ProblemType.notFound]:
    'No such route, or no such resource — or one the caller may not see (docs/security.md).',
  [ProblemType.methodNotAllowed]:
    'The route exists, the method does not (local runtime; API Gateway answers 404).',
  [ProblemType.conflict]: 'The request conflicts with the current state.',
  [ProblemType.internal]: 'Unexpected failure; nothing internal is disclosed.',
  [ProblemType.unavailable]: 'A dependency did not answer; retry (same `Idempotency-Key` for writes).',
  [GatewayProblemType.throttled]: 'API Gateway or WAF rate limit (AWS only).',
  [GatewayProblemType.requestError]: 'Another API Gateway 4xx (AWS only).',
};

function routesTable(): string[] {
  return [
    '| Method | Path | Scope | Idempotency-Key | Success | Summary |',
    '| --- | --- | --- | --- | --- | --- |',
    ...routes.map(
      (r) =>
        `| ${r.method} | [${code(r.path)}](#${anchor(r)}) | ${r.scope ? code(r.scope) : 'none'} | ${r.idempotent ? 'required' : '–'} | ${r.successStatus} | ${cell(r.summary)} |`,
    ),
  ];
}

function curlFor(route: ApiRoute, samples: Samples): string[] {
  const base = '$API';
  const path = route.path.replace(
    /\{(\w+)\}/g,
    (_, name: string) => contractOf(route).pathParams?.[name]?.example ?? `<${name}>`,
  );
  const query = new URLSearchParams(contractOf(route).query?.example ?? {}).toString();
  const lines = [`curl -si -X ${route.method} "${base}${path}${query ? `?${query}` : ''}"`];
  if (route.scope) lines.push('  -H "Authorization: Bearer $TOKEN"');
  // A fresh key per request, with what every reader has (Node); uuidgen is not on a stock Debian.
  if (route.idempotent) lines.push('  -H "Idempotency-Key: $(node -p \'crypto.randomUUID()\')"');
  const correlationId = exampleCorrelationId(route, samples);
  if (correlationId) lines.push(`  -H "X-Correlation-Id: ${correlationId}"`);
  if (route.requestSchema) {
    lines.push('  -H "Content-Type: application/json"');
    lines.push(`  --data @${REQUEST_SAMPLES[route.operationId] ?? 'body.json'}`);
  }
  return ['```sh', lines.join(' \\\n'), '```'];
}

function routeSection(route: ApiRoute, samples: Samples): string[] {
  const contract = contractOf(route);
  const out: string[] = [`### <a id="${anchor(route)}"></a>${route.method} ${route.path}`, ''];
  out.push(`${route.summary} ${contract.description}`, '');
  out.push(
    `- Operation: ${code(route.operationId)}`,
    `- Scope: ${route.scope ? code(route.scope) : 'none (public)'}`,
    `- Success: ${route.successStatus}${contract.success.headers.length ? ` with ${contract.success.headers.map(code).join(', ')}` : ''}`,
  );
  const headers = [
    ...(route.idempotent ? [`${code('Idempotency-Key')} (required)`] : []),
    ...(contract.correlationHeader ? [`${code('X-Correlation-Id')} (optional)`] : []),
  ];
  if (headers.length) out.push(`- Request headers: ${headers.join(', ')}`);
  for (const name of pathParamNames(route.path)) {
    out.push(`- Path parameter ${code(name)}: ${contract.pathParams?.[name]?.description ?? 'string'}`);
  }
  if (contract.success.location) out.push(`- Location: ${code(contract.success.location)}`);
  if (contract.query) out.push('', ...queryTable(contract.query.schema));
  out.push('', 'Request:', '', ...curlFor(route, samples), '');
  if (route.requestSchema) {
    const sample = REQUEST_SAMPLES[route.operationId];
    out.push(
      `Body (${sample ? code(sample) : 'example'}):`,
      '',
      json(samples.requests[route.operationId]),
      '',
    );
  }
  if (contract.requestRules?.length) {
    out.push('Rules beyond the JSON Schema:', '', ...contract.requestRules.map((r) => `- ${r}`), '');
  }
  out.push(`Response ${route.successStatus}:`, '', json(contract.success.example(samples)), '');
  for (const other of contract.otherResponses ?? []) {
    out.push(`Response ${other.status} (${other.description}):`, '', json(other.example(samples)), '');
  }
  out.push(
    'Errors (`application/problem+json`):',
    '',
    '| Status | Type | When | Answered by |',
    '| --- | --- | --- | --- |',
  );
  for (const c of errorCases(route, contract, samples)) {
    const by = c.by === 'handler' ? 'handler' : c.by === 'gateway' ? 'gateway' : 'gateway (AWS only)';
    const retry = c.retryAfter !== undefined ? ` (Retry-After: ${c.retryAfter})` : '';
    out.push(`| ${c.status} | ${code(c.type)} | ${cell(c.when)}${retry} | ${by} |`);
  }
  out.push('');
  return out;
}

/** Which Location each write route answers, grouped by target (from the intake table). */
function locationLines(): string[] {
  const byTarget = new Map<string, ApiRoute[]>();
  for (const route of routes.filter((r) => r.operationId in intakes)) {
    const target = locationTemplate(route.operationId as IntakeName);
    byTarget.set(target, [...(byTarget.get(target) ?? []), route]);
  }
  return [...byTarget].map(
    ([target, rs]) => `- ${code(target)} for ${rs.map((r) => `${r.method} ${code(r.path)}`).join(', ')}`,
  );
}

/** "type, integer 1–200, default 50" and the like, from a query member's JSON Schema. */
function ruleOf(field: z.ZodType): string {
  // Without the registry's ids, a registered enum (WorkflowState) is inlined instead of referenced.
  const s = z.toJSONSchema(field, { io: 'input', metadata: z.registry() }) as {
    type?: string;
    enum?: string[];
    pattern?: string;
    minimum?: number;
    maximum?: number;
    minLength?: number;
    maxLength?: number;
    default?: unknown;
  };
  const parts: string[] = [];
  if (s.enum) parts.push(`one of ${s.enum.map(code).join(', ')}`);
  else if (s.type === 'integer' || s.type === 'number')
    parts.push(`${s.type} ${s.minimum ?? '−∞'}–${s.maximum ?? '∞'}`);
  else if (s.pattern) parts.push(`string matching ${code(s.pattern)}`);
  else parts.push(s.type ?? 'string');
  if (s.maxLength !== undefined && !s.enum) parts.push(`${s.minLength ?? 0}–${s.maxLength} characters`);
  if (s.default !== undefined) parts.push(`default ${code(String(s.default))}`);
  return parts.join(', ');
}

function queryTable(schema: z.ZodObject): string[] {
  return [
    'Query parameters (all optional; any other parameter answers 400):',
    '',
    '| Name | Rule | Meaning |',
    '| --- | --- | --- |',
    ...Object.entries(schema.shape).map(([name, field]) => {
      const f = field as z.ZodType;
      return `| ${code(name)} | ${cell(ruleOf(f))} | ${cell(z.globalRegistry.get(f)?.description ?? '')} |`;
    }),
  ];
}

const listOf = (items: readonly string[]) =>
  items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;

/** A short section per route family: what the routes mean together, beyond each operation. */
function familySections(samples: Samples): string[] {
  const routeRef = (operationId: string) => {
    const r = routes.find((x) => x.operationId === operationId) as ApiRoute;
    return `[${r.method} ${code(r.path)}](#${anchor(r)})`;
  };
  const encounterWrites = routes.filter(
    (r) => r.operationId in intakes && isEncounterIntake(r.operationId as IntakeName),
  );
  const masterWrites = routes.filter(
    (r) => r.operationId in intakes && !isEncounterIntake(r.operationId as IntakeName),
  );
  const remittance = samples.events.RemittanceReceived.data;
  const adjustmentsText = remittance.adjustments
    .map((a) => `${a.group}-${a.reason} ${formatCents(a.amountCents)}`)
    .join(' + ');
  const prTotal = remittance.adjustments
    .filter((a) => a.group === 'PR')
    .reduce((sum, a) => sum + a.amountCents, 0);
  return [
    '## Route families',
    '',
    '### Master data: patients and payers',
    '',
    `${listOf(masterWrites.map((r) => routeRef(r.operationId)))} upsert a record by its id in the path; the Odoo`,
    'partner (a person, or a company for a payer) is written asynchronously and PartnerSynced says how it went. The',
    'events carry no encounter: they are ordered per record (`partitionKey` `patient:<id>` / `payer:<id>`).',
    'Several sources may send the same record; the surviving record is decided field by field:',
    '',
    '- the record with the later `sourceUpdatedAt` wins (compared as instants, so zones do not matter);',
    '- a field the winner leaves out keeps its stored value (absent fields never erase);',
    `- on the same instant the more authoritative source wins: ${SOURCE_AUTHORITY.map(code).join(' > ')};`,
    '- a record that loses changes nothing in Odoo; PartnerSynced then says `applied: false`.',
    '',
    `${routeRef('getPatient')} and ${routeRef('getPayer')} answer the crosswalk (Odoo partner id and ref), the source`,
    'of the surviving record and its version: never the demographics (PHI).',
    '',
    '### Encounter documents',
    '',
    `${listOf(encounterWrites.map((r) => routeRef(r.operationId)))} each carry an ${code('encounterId')}`,
    'and move one workflow: charges → invoice → claim → claim status → remittance → payment. Each is validated,',
    "recorded on the encounter's timeline and published at once (202); the Odoo writer then books them one at a",
    'time per encounter, in the order they were accepted.',
    '',
    'Out-of-order documents are held, not refused: a document whose prerequisite does not exist yet waits until',
    'it does, and is retried, in arrival order, after each later document of the encounter succeeds. EventHeld',
    "says what it waits for, and the workflow's `held` list shows it until it is booked (a document waiting for",
    'a patient is re-queued when that patient syncs):',
    '',
    '- a claim waits until every invoice it bills is posted in Odoo;',
    '- a claim status waits for its claim;',
    "- a remittance waits for its claim and the claim's payer invoice in Odoo and, when there is patient",
    "  responsibility, for the encounter's patient to be synced to Odoo (PUT /v1/patients/{patientId});",
    '- a reversal (claim status 22) waits for the remittance it reverses, and a corrected payment for the same',
    '  payer claim waits for the reversal of the standing one;',
    '- a payment waits for the invoice it names to be in Odoo.',
    '',
    'A retransmitted remittance or payment (same remittanceId or paymentId, new Idempotency-Key) is booked once.',
    '',
    'A claim status of rejected or denied, a remittance or payment the posting rules cannot book as sent (denied,',
    'not adjudicated, overpaid, billed amount differs, …) or an Odoo refusal opens an exception (state',
    '`exception_pending`, ExceptionOpened on the bus) for a person to resolve.',
    '',
    '### Remittances: balancing',
    '',
    `${routeRef('submitRemittance')} takes one claim payment of an ERA (835 CLP loop) and checks it balances before`,
    'accepting it; a body that does not gets 400 "Business rule violated" with one `errors[]` entry per broken rule:',
    '',
    `- billed − paid = the sum of all adjustments, every group (${AdjustmentGroup.options.map(code).join(', ')}); adjustment amounts may be negative;`,
    '- patient responsibility = the sum of the PR adjustments (omit `patientResponsibility` and the hub uses that sum);',
    `- a reversal (${code('claimStatus')} ${code('22')}) repeats the original with every amount negated: billed and paid are`,
    '  0.00 or less; any other status bills 0.00 or more.',
    '',
    `The sample balances: billed ${formatCents(remittance.billedCents)} − paid ${formatCents(remittance.paidCents)} = ${formatCents(remittance.billedCents - remittance.paidCents)} = ${adjustmentsText}; patient`,
    `responsibility ${formatCents(remittance.patientResponsibilityCents)} = PR ${formatCents(prTotal)}. Claim statuses accepted: ${RemittanceClaimStatus.options.map(code).join(', ')}.`,
    'How a balanced remittance is booked in Odoo is in [posting-rules.md](posting-rules.md).',
    '',
    '### Reading workflows',
    '',
    `${routeRef('getWorkflow')} shows one encounter: state and furthest stage, a money summary, its Odoo invoices,`,
    'claims, remittances, open exceptions, held documents, the last Odoo error and the timeline. The money summary',
    'is in integer cents: `openBalanceCents` = billed − paid − adjusted − patient paid (patient responsibility moves',
    "from the payer's invoice to the patient's and leaves the balance only when paid); negative means a credit.",
    '',
    `${routeRef('listWorkflows')} lists encounters by state, payer, facility and age (for example, claims stuck in`,
    '`claim_submitted` for more than two days: `state=claim_submitted&olderThan=P2D`), newest state change first.',
    'Follow `nextCursor` until it is absent.',
    '',
  ];
}

export function apiMarkdown(samples: Samples): string {
  const { stages, idempotencyTtlHours } = deployStages();
  const usage = scopeUsage();
  const writeScope = [...usage.keys()][0] ?? 'rcm/invoices.write';
  const idempotent = routes.filter((r) => r.idempotent);
  const correlated = routes.filter((r) => contractOf(r).correlationHeader);
  const problemTypes = [...Object.values(ProblemType), ...Object.values(GatewayProblemType)];
  const remittanceRoute = routes.find((r) => r.operationId === 'submitRemittance') as ApiRoute;
  const exampleProblem = errorCases(remittanceRoute, contractOf(remittanceRoute), samples).find(
    (c) => c.title === 'Business rule violated',
  );

  const lines: string[] = [
    '# rcm-hub API reference',
    '',
    '<!-- Generated by `npm run gen` (scripts/generate-contracts.ts) from lambdas/wiring.ts, scripts/contracts/ and events/samples/. Do not edit; CI fails on drift. -->',
    '',
    `Machine-readable: [openapi.json](openapi.json) (OpenAPI ${OPENAPI_VERSION}). Events: [events/catalog](../events/catalog/index.json).`,
    '',
    '| Environment | Base URL (`$API`) |',
    '| --- | --- |',
    `| local (${code('npm start')}) | ${code(LOCAL_SERVER)} |`,
    `| AWS (stack output ${code('ApiUrl')}) | ${code(AWS_SERVER)}, stage one of ${stages.map(code).join(', ')} |`,
    '',
    '## Routes',
    '',
    ...routesTable(),
    '',
    '## Authentication',
    '',
    'OAuth 2.0 client credentials (RFC 6749 §4.4). Each partner has its own client with only the scopes it needs; a',
    'scoped route answers 401 without a valid token and 403 when the token lacks the scope.',
    '',
    '| Scope | Routes |',
    '| --- | --- |',
    ...[...usage].map(
      ([scope, rs]) => `| ${code(scope)} | ${rs.map((r) => `${r.method} ${code(r.path)}`).join(', ')} |`,
    ),
    '',
    `Token endpoint: locally ${code(`${LOCAL_SERVER}${TOKEN_PATH}`)}; in AWS the Cognito domain (stack output ${code('TokenUrl')},`,
    `${code(`https://<prefix>.auth.<region>.amazoncognito.com${TOKEN_PATH}`)}). The client authenticates with HTTP Basic;`,
    `omit ${code('scope')} to get all of the client's scopes (add e.g. ${code(`-d scope=${writeScope}`)} to narrow the token).`,
    `Locally, ${code('npm start')} writes a development client that holds every scope, with the URLs, to`,
    `${code('.rcm-hub/dev-client.env')}; the examples below use these four variables:`,
    '',
    '```sh',
    'source .rcm-hub/dev-client.env   # locally; in AWS set them yourself:',
    `# export API=<ApiUrl> TOKEN_URL=<TokenUrl> CLIENT_ID=<app client id> CLIENT_SECRET=<app client secret>`,
    `TOKEN=$(curl -s -u "$CLIENT_ID:$CLIENT_SECRET" -d grant_type=client_credentials "$TOKEN_URL" \\`,
    `  | node -pe 'JSON.parse(require("fs").readFileSync(0, "utf8")).access_token')`,
    '```',
    '',
    'The answer is `{"access_token": "…", "token_type": "Bearer", "expires_in": 3600}`; reuse the token until it',
    'expires. Token endpoint errors follow RFC 6749 §5.2 (`{"error": "invalid_client"}`), not problem+json. Send it',
    'as `Authorization: Bearer $TOKEN`.',
    '',
    '## Errors: problem+json',
    '',
    'Every error answer of the routes, from a handler or from the gateway, is an RFC 9457 problem with content',
    'type `application/problem+json` (not so: the token endpoint, and the 503 of `GET /health`, which carries the',
    'health body). Branch on `type` (titles may differ between producers). `correlationId` is the',
    "request's correlation id on the write routes' problems, API Gateway's request id when the gateway answered,",
    "and absent on the read routes' problems. `errors[].path` is a JSON Pointer into the body, or",
    '`header:<Name>` / `path:<name>` / `query:<name>`. A remittance that does not balance, for example:',
    '',
    ...(exampleProblem
      ? [json(problemExample(exampleProblem, exampleCorrelationId(remittanceRoute, samples))), '']
      : []),
    `| Type (${code(`${PROBLEM_BASE}<type>`)}) | Meaning |`,
    '| --- | --- |',
    ...problemTypes.map((t) => `| ${code(t)} | ${problemMeanings[t] ?? ''} |`),
    '',
    '## Idempotency',
    '',
    `Writes (${idempotent.map((r) => `${r.method} ${code(r.path)}`).join(', ')}) require an ${code('Idempotency-Key')} header:`,
    `${stringBounds(IdempotencyKey)} printable ASCII characters, one unique value per business document (a UUID works).`,
    '',
    '- Keys are per client and route: two partners (or two routes) may use the same key without colliding.',
    '- Same key, same body: the stored answer is returned again (same status, same `eventId`, the first',
    "  request's `correlationId`); nothing is recorded or booked twice. Bodies are compared as parsed, not byte",
    '  for byte. The event id is derived from (event type, client, key), so it is the same on every retry. A JSON',
    '  body is accepted again on a retry (its event re-published under the same id, which the Odoo write queue',
    '  and the webhook fan-out drop as a duplicate): a retry after a failure half-way loses nothing.',
    '- Same key, different body (or path): 409 `idempotency-key-reused`.',
    '- Same key while the first request is still running: a JSON body gets the first answer (202); an X12 body gets',
    '  409 `request-in-progress` with `Retry-After`; retry then.',
    '- A 503 means nothing was accepted: retry with the same key.',
    `- Keys are remembered for ${stages.map((s) => `${idempotencyTtlHours[s]} h (${s})`).join(', ')}, 24 h locally; after that a`,
    '  reused key is a new request.',
    '',
    '## Correlation',
    '',
    `${correlated.map((r) => `${r.method} ${code(r.path)}`).join(', ')} ${correlated.length === 1 ? 'accepts' : 'accept'} an optional ${code('X-Correlation-Id')} (${stringBounds(CorrelationId)} characters of`,
    '`A-Z a-z 0-9 . _ : -`); without one the hub generates a UUID. The id is echoed in the `X-Correlation-Id`',
    "response header and the body (a replay echoes the first request's), stamped on every event the request",
    "causes (`correlationId` in the envelope, also on the Odoo writer's follow-ups) and on the encounter",
    'timeline, so one id follows a document into Odoo and back. The read routes ignore the header.',
    '',
    '## Location',
    '',
    'A 202 carries a `Location` to poll for the Odoo outcome:',
    '',
    ...locationLines(),
    '',
    'It is a path: resolve it against the base URL (on the default execute-api host that includes `/{stage}`).',
    '',
    ...familySections(samples),
    '## Operations',
    '',
    'Examples use `$API` (base URL) and `$TOKEN` (access token) from above, and run from the repository root (bodies',
    'are read from `events/samples/requests/`). Ids in paths are examples: a run id, upload id, subscription id or',
    'exception id comes from an earlier answer (its `Location` header or body), so those calls answer 404 until you',
    'put in your own.',
    '',
    ...routes.flatMap((r) => routeSection(r, samples)),
    '## Events',
    '',
    'Business events on the EventBridge bus (detail-type = type, detail = envelope). Amounts are integer cents.',
    '',
    '| Type | Version | Source | Schema | Sample | Description |',
    '| --- | --- | --- | --- | --- | --- |',
    ...eventTypes.map(
      (t) =>
        `| ${code(t)} | ${eventVersion(t)} | ${eventInfo[t].sources.map(code).join(', ')} | [schema](../events/catalog/${t}.schema.json) | [sample](../${eventSamplePath(t)}) | ${cell(eventInfo[t].description)} |`,
    ),
    '',
  ];
  return lines.join('\n');
}

export function generateApiMarkdown(samples: Samples): GeneratedFile[] {
  return [{ path: 'docs/api.md', content: apiMarkdown(samples) }];
}
