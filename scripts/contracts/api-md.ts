/**
 * docs/api.md: the human API reference, from the same route table, contracts and samples as openapi.json.
 * Prose stays short; every fact that can come from code does.
 */
import { z } from 'zod';
import { MAX_BODY_BYTES } from '../../lambdas/adapters/http/api-request.js';
import { PROBLEM_BASE, ProblemType } from '../../lambdas/adapters/http/problem.js';
import { CorrelationId, IdempotencyKey } from '../../lambdas/core/identifiers.js';
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
import { errorCases, GatewayProblemType, pathParamNames, type Samples } from './operations.js';
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
  [ProblemType.notFound]: 'No such route, or no such resource.',
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
  const lines = [`curl -si -X ${route.method} "${base}${path}"`];
  if (route.scope) lines.push('  -H "Authorization: Bearer $TOKEN"');
  if (route.idempotent) lines.push('  -H "Idempotency-Key: $(uuidgen)"');
  if (contractOf(route).correlationHeader)
    lines.push(`  -H "X-Correlation-Id: ${String(samples.events.InvoiceIssued?.correlationId)}"`);
  if (route.requestSchema) {
    lines.push('  -H "Content-Type: application/json"');
    const sample = Object.entries(REQUEST_SAMPLES).find(([id]) => id === route.operationId)?.[1];
    lines.push(`  --data @${sample ?? 'body.json'}`);
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
  out.push('', 'Request:', '', ...curlFor(route, samples), '');
  if (route.requestSchema) {
    const sample = REQUEST_SAMPLES[route.operationId as keyof typeof REQUEST_SAMPLES];
    out.push(`Body (${sample ? code(sample) : 'example'}):`, '', json(samples.request), '');
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
  for (const c of errorCases(route, contract)) {
    const by = c.by === 'handler' ? 'handler' : c.by === 'gateway' ? 'gateway' : 'gateway (AWS only)';
    const retry = c.retryAfter !== undefined ? ` (Retry-After: ${c.retryAfter})` : '';
    out.push(`| ${c.status} | ${code(c.type)} | ${cell(c.when)}${retry} | ${by} |`);
  }
  out.push('');
  return out;
}

export function apiMarkdown(samples: Samples): string {
  const { stages, idempotencyTtlHours } = deployStages();
  const usage = scopeUsage();
  const writeScope = [...usage.keys()][0] ?? 'rcm/invoices.write';
  const idempotent = routes.filter((r) => r.idempotent);
  const correlated = routes.filter((r) => contractOf(r).correlationHeader);
  const problemTypes = [...Object.values(ProblemType), ...Object.values(GatewayProblemType)];
  const exampleProblem = errorCases(routes[0] as ApiRoute, contractOf(routes[0] as ApiRoute)).find((c) =>
    c.errors?.[0]?.path.startsWith('/'),
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
    `omit ${code('scope')} to get all of the client's scopes. Locally, ${code('npm start')} prints a development client`,
    'id and secret that holds every scope.',
    '',
    '```sh',
    `TOKEN=$(curl -s -u "$CLIENT_ID:$CLIENT_SECRET" \\`,
    `  -d grant_type=client_credentials -d scope=${writeScope} \\`,
    `  "$TOKEN_URL" | jq -r .access_token)`,
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
    "request's correlation id, or API Gateway's request id when the gateway answered. `errors[].path` is a JSON",
    'Pointer into the body, or `header:<Name>` / `path:<name>`.',
    '',
    ...(exampleProblem
      ? [
          json({
            type: `${PROBLEM_BASE}${exampleProblem.type}`,
            title: exampleProblem.title,
            status: exampleProblem.status,
            detail: exampleProblem.detail,
            correlationId: String(samples.events.InvoiceIssued?.correlationId),
            errors: exampleProblem.errors,
          }),
          '',
        ]
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
    '- Keys are per client: two partners may use the same key without colliding.',
    '- Same key, same body: the stored answer is returned again (same status, same `eventId`, the first',
    "  request's `correlationId`); nothing is recorded or published twice. Bodies are compared as parsed, not byte",
    '  for byte.',
    '- Same key, different body: 409 `idempotency-key-reused`.',
    '- Same key while the first request is still running: 409 `request-in-progress` with `Retry-After`; retry then.',
    '- A 503 means nothing was accepted: retry with the same key.',
    `- Keys are remembered for ${stages.map((s) => `${idempotencyTtlHours[s]} h (${s})`).join(', ')}, 24 h locally; after that a`,
    '  reused key is a new request.',
    '',
    '## Correlation',
    '',
    `${correlated.map((r) => `${r.method} ${code(r.path)}`).join(', ')} ${correlated.length === 1 ? 'accepts' : 'accept'} an optional ${code('X-Correlation-Id')} (${stringBounds(CorrelationId)} characters of`,
    '`A-Z a-z 0-9 . _ : -`); without one the hub generates a UUID. The id is echoed in the `X-Correlation-Id`',
    "response header and the body (a replay echoes the first request's), stamped on every event the request",
    'causes (`correlationId` in the envelope) and on the encounter timeline, so one id follows the invoice into',
    'Odoo and back. Other routes ignore the',
    'header.',
    '',
    '## Location',
    '',
    'A 202 carries `Location: /v1/workflows/{encounterId}`, the workflow to poll for the Odoo outcome. It is a',
    'path: resolve it against the base URL (on the default execute-api host that includes `/{stage}`).',
    '',
    '## Operations',
    '',
    'Examples use `$API` (base URL) and `$TOKEN` (access token) from above.',
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
