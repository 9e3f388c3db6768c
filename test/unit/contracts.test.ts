/**
 * The generated contracts (docs/openapi.json, docs/api.md, events/catalog) match the code, the samples
 * match the schemas, and the OpenAPI document is internally sound. Generation runs in-process.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import type {
  OdooInvoiceLink as StoreOdooInvoiceLink,
  TimelineEntry as StoreTimelineEntry,
  Workflow,
} from '../../lambdas/adapters/dynamodb/workflow-store.js';
import { deterministicEventId } from '../../lambdas/core/event-id.js';
import { EventCatalog, type EventType } from '../../lambdas/core/events.js';
import { InvoiceIssuedRequest, toCanonicalInvoice } from '../../lambdas/core/invoice.js';
import type { Accepted as HandlerAccepted } from '../../lambdas/handlers/ingest-invoice.js';
import { routes } from '../../lambdas/wiring.js';
import { eventInfo, eventSchemaId, eventTypes } from '../../scripts/contracts/events.js';
import { REPO_ROOT } from '../../scripts/contracts/files.js';
import { buildOpenApiDocument, SECURITY_SCHEME, TOKEN_PATH } from '../../scripts/contracts/openapi.js';
import {
  errorCases,
  operationContracts,
  pathParamNames,
  problemExample,
} from '../../scripts/contracts/operations.js';
import {
  type Accepted,
  Health,
  type OdooErrorNote,
  type OdooInvoiceLink,
  Problem,
  type TimelineEntry,
  WorkflowView,
} from '../../scripts/contracts/responses.js';
import { REQUEST_SAMPLES } from '../../scripts/contracts/samples.js';
import {
  describeDrift,
  findDrift,
  type GeneratedFile,
  generateContracts,
  listGeneratedDir,
  loadSamples,
} from '../../scripts/generate-contracts.js';

type Json = Record<string, unknown>;

const samples = loadSamples();
const files = generateContracts(samples);
const doc = buildOpenApiDocument(samples) as {
  openapi: string;
  servers: { url: string; variables?: Record<string, { default: string; enum?: string[] }> }[];
  paths: Record<string, Record<string, Json>>;
  components: { schemas: Record<string, Json>; securitySchemes: Record<string, Json> };
};
const readRepo = (path: string) => readFileSync(join(REPO_ROOT, path), 'utf8');
const readJson = (path: string) => JSON.parse(readRepo(path)) as Json;

describe('generated contracts are checked in (drift)', () => {
  it.each(files.map((f) => [f.path, f] as const))('%s is up to date', (path, file: GeneratedFile) => {
    const drift = findDrift([file], () => []);
    expect(
      drift,
      `${path} differs from a fresh generation: run npm run gen\n${describeDrift(drift)}`,
    ).toEqual([]);
  });

  it('no stale files in generated directories', () => {
    const stale = findDrift(files, listGeneratedDir).filter((d) => d.status === 'stale');
    expect(stale, `stale generated files: run npm run gen\n${describeDrift(stale)}`).toEqual([]);
  });

  it('generation is deterministic and files end with one newline', () => {
    expect(generateContracts(loadSamples())).toEqual(files);
    for (const file of files)
      expect(file.content.endsWith('\n') && !file.content.endsWith('\n\n'), file.path).toBe(true);
  });

  it('the drift check reports changed, missing and stale files', () => {
    const path = 'docs/openapi.json';
    const lines = readRepo(path).split('\n');
    lines[3] = `${lines[3]} `;
    const drift = findDrift(
      [
        { path, content: lines.join('\n') },
        { path: 'docs/not-there.json', content: '{}\n' },
      ],
      (dir) => (dir === 'events/catalog' ? ['events/catalog/Old.schema.json'] : []),
    );
    expect(drift).toEqual([
      expect.objectContaining({ path, status: 'changed', line: 4 }),
      { path: 'docs/not-there.json', status: 'missing' },
      { path: 'events/catalog/Old.schema.json', status: 'stale' },
    ]);
    expect(describeDrift(drift)).toContain('run npm run gen');
  });
});

describe('samples validate against the schemas', () => {
  const sampleFiles = readdirSync(join(REPO_ROOT, 'events/samples')).filter((name) => name.endsWith('.json'));

  it('there is exactly one sample per event type', () => {
    expect(sampleFiles.map((name) => name.replace(/\.json$/, '')).sort()).toEqual([...eventTypes].sort());
  });

  it.each(eventTypes)('events/samples/%s.json is a valid %s envelope', (type) => {
    const parsed = EventCatalog[type].safeParse(readJson(`events/samples/${type}.json`));
    expect(parsed.success, parsed.error?.message).toBe(true);
    expect(eventInfo[type].sources).toContain(parsed.data?.source);
  });

  it('the request sample is a valid POST /v1/invoices body', () => {
    const parsed = InvoiceIssuedRequest.safeParse(readJson(REQUEST_SAMPLES.submitInvoice));
    expect(parsed.success, parsed.error?.message).toBe(true);
  });

  it('the samples tell one consistent story (canonical data, derived ids, shared correlation)', () => {
    const ev = Object.fromEntries(
      eventTypes.map((t) => [t, EventCatalog[t].parse(readJson(`events/samples/${t}.json`))]),
    ) as {
      [T in EventType]: z.infer<(typeof EventCatalog)[T]>;
    };
    const issued = ev.InvoiceIssued;
    expect(issued.data).toEqual(
      toCanonicalInvoice(InvoiceIssuedRequest.parse(readJson(REQUEST_SAMPLES.submitInvoice))),
    );
    // Ids as the hub derives them (ingest-invoice.ts, followUpEvent); if event-id.ts changes, update the
    // sample ids (and sourceEventId), then run npm run gen.
    const ids =
      'sample ids must be what deterministicEventId derives: update events/samples, then npm run gen';
    expect(issued.id, ids).toBe(
      deterministicEventId('InvoiceIssued', issued.clientId, issued.idempotencyKey),
    );
    expect(ev.InvoicePosted.id, ids).toBe(deterministicEventId('InvoicePosted', issued.id));
    expect(ev.InvoicePosted.data.amountTotalCents).toBe(issued.data.totalCents);
    expect(ev.OdooWriteRejected.id, ids).toBe(deterministicEventId('OdooWriteRejected', issued.id));
    expect(ev.OdooWriteRejected.data.sourceEventId, ids).toBe(issued.id);
    expect(ev.WorkflowStateChanged.id, ids).toBe(
      deterministicEventId('WorkflowStateChanged', ev.InvoicePosted.id),
    );
    for (const e of Object.values(ev)) {
      expect({ c: e.correlationId, k: e.idempotencyKey, e: e.encounterId }).toEqual({
        c: issued.correlationId,
        k: issued.idempotencyKey,
        e: issued.encounterId,
      });
    }
  });

  it('response examples validate against the response schemas', () => {
    for (const [operationId, contract] of Object.entries(operationContracts)) {
      const checks = [contract.success, ...(contract.otherResponses ?? [])];
      for (const r of checks) {
        const parsed = r.schema.safeParse(r.example(samples));
        expect(parsed.success, `${operationId}: ${parsed.error?.message}`).toBe(true);
      }
    }
    expect(
      WorkflowView.parse(operationContracts.getWorkflow?.success.example(samples)).timeline,
    ).toHaveLength(2);
    expect(Health.parse(operationContracts.getHealth?.otherResponses?.[0]?.example(samples)).status).toBe(
      'degraded',
    );
  });

  it('problem examples validate against Problem', () => {
    for (const route of routes) {
      const contract = operationContracts[route.operationId];
      for (const c of contract ? errorCases(route, contract) : []) {
        const parsed = Problem.safeParse(problemExample(c, 'req-1'));
        expect(parsed.success, `${route.operationId} ${c.type}: ${parsed.error?.message}`).toBe(true);
        expect(parsed.data?.status).toBe(c.status);
      }
    }
  });

  it('response schemas mirror the handler types (enforced by npm run typecheck)', () => {
    expectTypeOf<z.infer<typeof Accepted>>().toEqualTypeOf<HandlerAccepted>();
    expectTypeOf<z.infer<typeof TimelineEntry>>().toEqualTypeOf<StoreTimelineEntry>();
    expectTypeOf<z.infer<typeof OdooInvoiceLink>>().toEqualTypeOf<StoreOdooInvoiceLink>();
    expectTypeOf<z.infer<typeof OdooErrorNote>>().toExtend<NonNullable<Workflow['lastOdooError']>>();
    expectTypeOf<z.infer<typeof WorkflowView>['state']>().toEqualTypeOf<Workflow['state']>();
    expectTypeOf<z.infer<typeof WorkflowView>['stage']>().toExtend<string>();
  });
});

describe('OpenAPI document covers every route', () => {
  const operations = Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]) => ({ path, method, op })),
  );

  it('is OpenAPI 3.1.0 with one operation per route and nothing else', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(operations.map((o) => `${o.method.toUpperCase()} ${o.path}`).sort()).toEqual(
      routes.map((r) => `${r.method} ${r.path}`).sort(),
    );
  });

  it('declares OAuth2 client credentials with every route scope', () => {
    const scheme = doc.components.securitySchemes[SECURITY_SCHEME] as {
      type: string;
      flows: { clientCredentials: { tokenUrl: string; scopes: Record<string, string> } };
    };
    expect(scheme.type).toBe('oauth2');
    expect(scheme.flows.clientCredentials.tokenUrl).toBe(TOKEN_PATH);
    const scopes = [...new Set(routes.flatMap((r) => (r.scope ? [r.scope] : [])))];
    expect(Object.keys(scheme.flows.clientCredentials.scopes).sort()).toEqual(scopes.sort());
  });

  it.each(routes.map((r) => [r.operationId, r] as const))(
    '%s: operation, security, headers, body, responses',
    (_, route) => {
      const op = doc.paths[route.path]?.[route.method.toLowerCase()] as Json & {
        parameters?: { name: string; in: string; required?: boolean }[];
        security?: Record<string, string[]>[];
        requestBody?: { required?: boolean; content: Record<string, { schema: { $ref?: string } }> };
        responses: Record<string, Json>;
      };
      expect(op, `${route.method} ${route.path}`).toBeDefined();
      expect(op.operationId).toBe(route.operationId);
      expect(op.summary).toBe(route.summary);
      expect(op.security).toEqual(route.scope === null ? [] : [{ [SECURITY_SCHEME]: [route.scope] }]);

      const idempotencyKey = op.parameters?.find((p) => p.in === 'header' && p.name === 'Idempotency-Key');
      if (route.idempotent) expect(idempotencyKey?.required).toBe(true);
      else expect(idempotencyKey).toBeUndefined();

      if (route.requestSchema) {
        const id = (route.requestSchema.meta() as { id?: string } | undefined)?.id;
        expect(op.requestBody?.required).toBe(true);
        expect(op.requestBody?.content['application/json']?.schema.$ref).toBe(`#/components/schemas/${id}`);
      } else {
        expect(op.requestBody).toBeUndefined();
      }

      const statuses = Object.keys(op.responses);
      expect(statuses).toContain(String(route.successStatus));
      expect(statuses.includes('409')).toBe(route.idempotent);
      expect(statuses.includes('401') && statuses.includes('403')).toBe(route.scope !== null);
      expect(statuses.includes('415') && statuses.includes('413')).toBe(route.requestSchema !== undefined);
      for (const status of statuses.filter((s) => /^[45]/.test(s))) {
        const content = op.responses[status]?.content as Record<string, unknown>;
        const problemOrBody = Object.keys(content);
        expect(problemOrBody.length, `${route.operationId} ${status}`).toBe(1);
      }
    },
  );

  it('has a contract for every route and no contract without a route', () => {
    expect(Object.keys(operationContracts).sort()).toEqual(routes.map((r) => r.operationId).sort());
  });
});

/** Every `$ref` string in a JSON value, with where it was found. */
function refsIn(value: unknown, at = '#'): { ref: string; at: string }[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => refsIn(v, `${at}/${i}`));
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) =>
      k === '$ref' && typeof v === 'string'
        ? [{ ref: v, at }]
        : refsIn(v, `${at}/${k.replaceAll('~', '~0').replaceAll('/', '~1')}`),
    );
  }
  return [];
}

function resolvePointer(root: unknown, ref: string): unknown {
  if (ref === '#') return root;
  if (!ref.startsWith('#/')) return undefined;
  return ref
    .slice(2)
    .split('/')
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce<unknown>(
      (node, key) => (node && typeof node === 'object' ? (node as Json)[key] : undefined),
      root,
    );
}

describe('OpenAPI document is structurally sound', () => {
  const checkedIn = readJson('docs/openapi.json');

  it('every $ref is local and resolves', () => {
    const refs = refsIn(checkedIn);
    expect(refs.length).toBeGreaterThan(0);
    const broken = refs.filter(({ ref }) => resolvePointer(checkedIn, ref) === undefined);
    expect(broken).toEqual([]);
  });

  it('every component schema is used, and none leaks a top-level null (zod-to-openapi .nullable() quirk)', () => {
    const used = new Set(refsIn(checkedIn).map(({ ref }) => ref));
    for (const [name, schema] of Object.entries(doc.components.schemas)) {
      expect(used.has(`#/components/schemas/${name}`), `${name} is unused`).toBe(true);
      const type = schema.type;
      expect(Array.isArray(type) && type.includes('null'), `${name} is nullable at the top`).toBe(false);
    }
  });

  it('every path parameter is declared once, as required, and nothing else is declared in: path', () => {
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const params = ((op.parameters ?? []) as { name: string; in: string; required?: boolean }[]).filter(
          (p) => p.in === 'path',
        );
        expect(params.map((p) => p.name).sort(), `${method} ${path}`).toEqual(pathParamNames(path).sort());
        for (const p of params) expect(p.required, `${method} ${path} ${p.name}`).toBe(true);
        const all = (op.parameters ?? []) as { name: string; in: string }[];
        expect(new Set(all.map((p) => `${p.in}:${p.name.toLowerCase()}`)).size).toBe(all.length);
      }
    }
  });

  it('operationIds are unique', () => {
    const ids = Object.values(doc.paths).flatMap((item) => Object.values(item).map((op) => op.operationId));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('every operation has a 2xx, described responses, and security naming a defined scheme and scope', () => {
    const schemes = doc.components.securitySchemes as Record<
      string,
      { flows: { clientCredentials: { scopes: Record<string, string> } } }
    >;
    for (const item of Object.values(doc.paths)) {
      for (const op of Object.values(item)) {
        const responses = op.responses as Record<string, { description?: string }>;
        expect(
          Object.keys(responses).some((s) => /^2\d\d$/.test(s)),
          String(op.operationId),
        ).toBe(true);
        for (const [status, r] of Object.entries(responses)) {
          expect(r.description, `${op.operationId} ${status}`).toBeTruthy();
        }
        for (const requirement of (op.security ?? []) as Record<string, string[]>[]) {
          for (const [name, scopes] of Object.entries(requirement)) {
            const scheme = schemes[name];
            expect(scheme, name).toBeDefined();
            for (const scope of scopes)
              expect(Object.keys(scheme?.flows.clientCredentials.scopes ?? {})).toContain(scope);
          }
        }
      }
    }
  });

  it('server URL variables are all defined with defaults', () => {
    for (const server of doc.servers) {
      for (const [, name] of server.url.matchAll(/\{(\w+)\}/g)) {
        const variable = server.variables?.[name as string];
        expect(variable?.default, `${server.url} {${name}}`).toBeTruthy();
        if (variable?.enum) expect(variable.enum).toContain(variable.default);
      }
    }
  });
});

describe('event catalog', () => {
  const index = readJson('events/catalog/index.json') as {
    events: { type: string; version: number; schema: string; $id: string }[];
  };

  it('index lists every EventCatalog type with its schema file and $id', () => {
    expect(index.events.map((e) => e.type)).toEqual(eventTypes);
    for (const entry of index.events) {
      const schema = readJson(`events/catalog/${entry.schema}`);
      expect(schema.$id).toBe(eventSchemaId(entry.type));
      expect(entry.$id).toBe(schema.$id);
      expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
      expect(entry.version).toBe(EventCatalog[entry.type as EventType].shape.version.value);
    }
  });

  it.each(eventTypes)('%s.schema.json: every $ref resolves, and the sample is its example', (type) => {
    const schema = readJson(`events/catalog/${type}.schema.json`);
    const broken = refsIn(schema).filter(({ ref }) => resolvePointer(schema, ref) === undefined);
    expect(broken).toEqual([]);
    expect(schema.examples).toEqual([readJson(`events/samples/${type}.json`)]);
  });
});
