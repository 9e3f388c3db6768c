/**
 * docs/openapi.json (OpenAPI 3.1.0) from the route table in lambdas/wiring.ts, through zod-to-openapi's
 * registry and V31 generator. Request and response bodies are zod schemas (component names from their
 * `.meta({ id })`); parameters and headers are written here so they can `$ref` the same components.
 */
import { OpenAPIRegistry, OpenApiGeneratorV31, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { type ApiRoute, routes } from '../../lambdas/wiring.js';
import { type GeneratedFile, jsonFile, readRepoJson } from './files.js';
import {
  type ErrorCase,
  errorCases,
  exampleCorrelationId,
  inputJsonSchema,
  type OperationContract,
  operationContracts,
  pathParamNames,
  problemExample,
  type Samples,
} from './operations.js';
import { CorrelationIdSchema, IdempotencyKeySchema, Problem } from './responses.js';

export const OPENAPI_VERSION = '3.1.0';
export const LOCAL_SERVER = 'http://127.0.0.1:3000';
export const AWS_SERVER = 'https://{restApiId}.execute-api.{region}.amazonaws.com/{stage}';
export const TOKEN_PATH = '/oauth2/token';
export const SECURITY_SCHEME = 'oauth2';

type Json = Record<string, unknown>;

/** Route lookup that fails loudly when wiring.ts gains a route without a contract. */
export function contractOf(route: ApiRoute): OperationContract {
  const contract = operationContracts[route.operationId];
  if (!contract) {
    throw new Error(
      `no operation contract for ${route.operationId}: add it to scripts/contracts/operations.ts`,
    );
  }
  const declared = Object.keys(contract.pathParams ?? {});
  const inPath = pathParamNames(route.path);
  const stray = declared.filter((name) => !inPath.includes(name));
  if (stray.length)
    throw new Error(`${route.operationId}: path parameters ${stray.join(', ')} are not in ${route.path}`);
  return contract;
}

/** Scopes in first-use order, each with the operations that need it. */
export function scopeUsage(): Map<string, ApiRoute[]> {
  const usage = new Map<string, ApiRoute[]>();
  for (const route of routes) {
    if (route.scope !== null) usage.set(route.scope, [...(usage.get(route.scope) ?? []), route]);
  }
  return usage;
}

/** Stage names and the default region, from cdk.json (`context.stages`). */
export function deployStages(): {
  stages: string[];
  region: string;
  idempotencyTtlHours: Record<string, number>;
} {
  const cdk = readRepoJson('cdk.json') as {
    context: { stage: string; stages: Record<string, { region: string; idempotencyTtlHours: number }> };
  };
  const stages = Object.keys(cdk.context.stages);
  const defaultStage = cdk.context.stages[cdk.context.stage] ?? Object.values(cdk.context.stages)[0];
  return {
    stages,
    region: defaultStage?.region ?? 'us-east-1',
    idempotencyTtlHours: Object.fromEntries(
      stages.map((s) => [s, cdk.context.stages[s]?.idempotencyTtlHours ?? 24]),
    ),
  };
}

function packageVersion(): string {
  return (readRepoJson('package.json') as { version: string }).version;
}

/** `$ref` to the component of a zod schema registered with `.meta({ id })`; the schema is added to the document. */
function schemaRef(schema: z.ZodType, used: z.ZodType[]): Json {
  const id = z.globalRegistry.get(schema)?.id;
  if (!id) throw new Error('schemaRef needs a schema with .meta({ id })');
  if (!used.includes(schema)) used.push(schema);
  return { $ref: `#/components/schemas/${id}` };
}

function correlationHeader(required: boolean, used: z.ZodType[]): Json {
  return {
    description: required
      ? 'Correlation id of the accepted request (yours, or one the hub generated)'
      : 'Correlation id, when the handler answered (absent on gateway-produced errors)',
    required,
    schema: schemaRef(CorrelationIdSchema, used),
  };
}

const retryAfterHeader = (required: boolean): Json => ({
  description: 'Seconds to wait before retrying with the same request',
  required,
  schema: { type: 'integer', minimum: 0 },
});

const locationHeader = (target: string): Json => ({
  description: `Where to follow up: ${target}, a path relative to the API base URL`,
  required: true,
  schema: { type: 'string', format: 'uri-reference' },
});

/** One query parameter per member of the contract's query schema; registered enums are `$ref`s. */
function queryParameters(contract: OperationContract, used: z.ZodType[]): Json[] {
  const shape = contract.query?.schema.shape ?? {};
  return Object.entries(shape).map(([name, field]) => {
    const schema = field as z.ZodType;
    const inner = schema instanceof z.ZodOptional ? (schema.unwrap() as z.ZodType) : schema;
    const { description: _, ...json } = inputJsonSchema(schema);
    return {
      name,
      in: 'query',
      required: !schema.safeParse(undefined).success,
      description: z.globalRegistry.get(schema)?.description ?? name,
      schema: z.globalRegistry.get(inner)?.id ? schemaRef(inner, used) : json,
      // As the handler reads it (limit "25" → 25), so the example matches the parameter's schema.
      ...(contract.query?.example[name] === undefined
        ? {}
        : { example: schema.parse(contract.query.example[name]) }),
    };
  });
}

/** Example keys: the problem type, numbered when a type repeats. */
function exampleKeys(cases: ErrorCase[]): string[] {
  const seen = new Map<string, number>();
  return cases.map((c) => {
    const n = (seen.get(c.type) ?? 0) + 1;
    seen.set(c.type, n);
    return n === 1 ? c.type : `${c.type}-${n}`;
  });
}

function sentence(clauses: string[]): string {
  const text = clauses.join('; or ');
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;
}

function parameters(route: ApiRoute, contract: OperationContract, used: z.ZodType[]): Json[] {
  const params: Json[] = pathParamNames(route.path).map((name) => {
    const declared = contract.pathParams?.[name];
    return {
      name,
      in: 'path',
      required: true,
      description: declared?.description ?? name,
      schema: declared ? schemaRef(declared.schema, used) : { type: 'string' },
      ...(declared ? { example: declared.example } : {}),
    };
  });
  params.push(...queryParameters(contract, used));
  if (route.idempotent) {
    params.push({
      name: 'Idempotency-Key',
      in: 'header',
      required: true,
      description:
        'Unique per business document, client and route. Same key and body: the stored answer is replayed; different body: 409.',
      schema: schemaRef(IdempotencyKeySchema, used),
    });
  }
  if (contract.correlationHeader) {
    params.push({
      name: 'X-Correlation-Id',
      in: 'header',
      required: false,
      description:
        'Your id for this request; generated (a UUID) when absent. Carried on every event it causes.',
      schema: schemaRef(CorrelationIdSchema, used),
    });
  }
  return params;
}

function responses(route: ApiRoute, contract: OperationContract, samples: Samples, used: z.ZodType[]): Json {
  const out: Json = {};
  const successHeaders: Json = {};
  for (const name of contract.success.headers) {
    successHeaders[name] =
      name === 'Location'
        ? locationHeader(contract.success.location ?? 'the resource')
        : correlationHeader(true, used);
  }
  out[String(route.successStatus)] = {
    description: contract.success.description,
    ...(Object.keys(successHeaders).length ? { headers: successHeaders } : {}),
    content: {
      [contract.success.mediaType ?? 'application/json']: {
        schema: contract.success.schema,
        example: contract.success.example(samples),
      },
    },
  };
  for (const other of contract.otherResponses ?? []) {
    out[String(other.status)] = {
      description: other.description,
      content: {
        [other.mediaType ?? 'application/json']: { schema: other.schema, example: other.example(samples) },
      },
    };
  }
  const correlationId = exampleCorrelationId(route, samples);
  const byStatus = new Map<number, ErrorCase[]>();
  for (const c of errorCases(route, contract, samples))
    byStatus.set(c.status, [...(byStatus.get(c.status) ?? []), c]);
  for (const [status, cases] of byStatus) {
    if (out[String(status)])
      throw new Error(`${route.operationId}: ${status} is both a problem and a body response`);
    const headers: Json = {};
    if (cases.some((c) => c.retryAfter !== undefined))
      headers['Retry-After'] = retryAfterHeader(cases.every((c) => c.retryAfter !== undefined));
    if (contract.correlationHeader) headers['X-Correlation-Id'] = correlationHeader(false, used);
    const keys = exampleKeys(cases);
    out[String(status)] = {
      description: sentence(cases.map((c) => c.when)),
      ...(Object.keys(headers).length ? { headers } : {}),
      content: {
        'application/problem+json': {
          schema: Problem,
          examples: Object.fromEntries(
            cases.map((c, i) => [
              keys[i],
              {
                summary: c.when,
                value: problemExample(c, correlationId),
              },
            ]),
          ),
        },
      },
    };
  }
  return out;
}

/** The OpenAPI document as a value (what docs/openapi.json holds). */
export function buildOpenApiDocument(samples: Samples): Json {
  const used: z.ZodType[] = [];
  const registry = new OpenAPIRegistry();
  const usage = scopeUsage();
  registry.registerComponent('securitySchemes', SECURITY_SCHEME, {
    type: 'oauth2',
    description: `OAuth 2.0 client credentials. Locally the token endpoint is ${LOCAL_SERVER}${TOKEN_PATH}; in AWS it is on the Cognito domain (stack output TokenUrl).`,
    flows: {
      clientCredentials: {
        tokenUrl: TOKEN_PATH,
        scopes: Object.fromEntries(
          [...usage].map(([scope, rs]) => [
            scope,
            `Required by ${rs.map((r) => `${r.method} ${r.path}`).join(', ')}`,
          ]),
        ),
      },
    },
  });

  /** Write routes that also read an X12 body (docs/x12.md). */
  const X12_OPERATIONS: Record<string, string> = {
    submitRemittance:
      'An X12 835 interchange (005010X221A1; one or many transactions; delimiters as its ISA declares), up to 256 KB: one RemittanceReceived per CLP, one ProviderAdjustmentReceived per PLB adjustment. Refused whole (400, errors[].path `segment:<n> <ID>`) when the envelope or the balancing is wrong; 4010 is refused. Claims the hub cannot place are kept and listed under `unmatched`. See docs/x12.md.',
    submitClaimStatus:
      'An X12 277 (005010X212) or 277CA (005010X214), up to 256 KB: one ClaimStatusChanged per claim loop (STC category → status). See docs/x12.md.',
  };
  for (const route of routes) {
    const contract = contractOf(route);
    const params = parameters(route, contract, used);
    registry.registerPath({
      method: route.method.toLowerCase() as 'get' | 'post' | 'put' | 'delete',
      path: route.path,
      operationId: route.operationId,
      summary: route.summary,
      description: [
        contract.description,
        ...(contract.requestRules?.length
          ? ['Rules beyond the schema:', ...contract.requestRules.map((r) => `- ${r}`)]
          : []),
      ].join('\n'),
      security: route.scope === null ? [] : [{ [SECURITY_SCHEME]: [route.scope] }],
      ...(params.length ? { parameters: params as unknown as RouteConfig['parameters'] } : {}),
      ...(route.requestSchema
        ? {
            request: {
              body: {
                required: true,
                description: 'JSON body (application/json)',
                content: {
                  'application/json': {
                    schema: route.requestSchema,
                    example: samples.requests[route.operationId],
                  },
                  ...(X12_OPERATIONS[route.operationId]
                    ? {
                        'application/edi-x12': {
                          schema: { type: 'string', description: X12_OPERATIONS[route.operationId] },
                        },
                      }
                    : {}),
                },
              },
            },
          }
        : {}),
      responses: responses(route, contract, samples, used) as RouteConfig['responses'],
    });
  }

  const { stages, region } = deployStages();
  // Bare zod 4 schemas are skipped as definitions (they have a `type` property, which the generator takes
  // for a definition kind), so they go in wrapped.
  const schemas = used.map((schema) => ({ type: 'schema' as const, schema }));
  const generated = new OpenApiGeneratorV31([...registry.definitions, ...schemas], {
    sortComponents: 'alphabetically',
  }).generateDocument({
    openapi: OPENAPI_VERSION,
    info: {
      title: 'rcm-hub partner API',
      version: packageVersion(),
      description:
        'Revenue-cycle documents in (patients, payers, charges, invoices, claims, claim statuses, remittances, payments), workflow state and Odoo links out. Writes are accepted asynchronously and booked in Odoo exactly once, in encounter order; errors are RFC 9457 problem details. Generated from lambdas/wiring.ts by `npm run gen`; see docs/api.md.',
    },
    servers: [
      { url: LOCAL_SERVER, description: 'Local runtime (npm start)' },
      {
        url: AWS_SERVER,
        description: 'AWS API Gateway (stack output ApiUrl)',
        variables: {
          restApiId: { default: 'abc123defg', description: 'RestApi id' },
          region: { default: region },
          stage: { default: stages[0] ?? 'dev', enum: stages },
        },
      },
    ],
  }) as unknown as Json;

  const components = generated.components as Json;
  return {
    openapi: generated.openapi,
    info: generated.info,
    servers: generated.servers,
    paths: generated.paths,
    components: Object.fromEntries(
      Object.entries(components).filter(([, value]) => Object.keys(value as Json).length > 0),
    ),
  };
}

export function generateOpenApi(samples: Samples): GeneratedFile[] {
  return [jsonFile('docs/openapi.json', buildOpenApiDocument(samples))];
}
