import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  eventRoutes,
  type HandlerName,
  handlers,
  queues,
  type Resource,
  resourceEnv,
  routes,
  scopes,
} from '../../lambdas/wiring.js';

/**
 * The wiring table is read by both lib/ (CDK) and local/ (the local runtime); a dangling reference here
 * is a deploy failure or, worse, a route that silently goes nowhere.
 */
const repositoryRoot = fileURLToPath(new URL('../../', import.meta.url));
const handlerNames = Object.keys(handlers) as HandlerName[];
const queueEntries = Object.entries(queues);

describe('the wiring table', () => {
  it.each(routes.map((route) => [`${route.method} ${route.path}`, route] as const))(
    '%s is served by a declared handler',
    (_name, route) => {
      // Prepare — see the table

      // Act
      const declared = handlerNames.includes(route.handler);

      // Assess
      expect(declared).toBe(true);
    },
  );

  it.each(handlerNames.map((name) => [name, handlers[name].entry] as const))(
    'the %s handler entry %s exists',
    (_name, entry) => {
      // Prepare
      const path = fileURLToPath(new URL(entry, `file://${repositoryRoot}`));

      // Act
      const exists = existsSync(path);

      // Assess
      expect(exists).toBe(true);
    },
  );

  it('every scope a route demands is one the hub issues', () => {
    // Prepare
    const issued: string[] = Object.values(scopes);

    // Act
    const demanded = routes.flatMap((route) => (route.scope === null ? [] : [route.scope]));

    // Assess
    for (const scope of demanded) expect(issued).toContain(scope);
  });

  it('only the health check and the signed webhook endpoint are open without a token', () => {
    // Prepare / Act
    const open = routes.filter((route) => route.scope === null).map((route) => route.path);
    const unexplained = routes.filter(
      (route) => route.scope === null && route.path !== '/health' && !route.openBecause,
    );

    // Assess: webhooks authenticate by signature or URL token instead (issue #5, docs/webhooks.md)
    expect(open).toEqual(['/health', '/webhooks/{source}']);
    expect(unexplained).toEqual([]);
  });

  it('routes are unique by method and path', () => {
    // Prepare
    const keys = routes.map((route) => `${route.method} ${route.path}`);

    // Act
    const unique = new Set(keys);

    // Assess
    expect(unique.size).toBe(keys.length);
  });

  it('operation ids are unique, so the OpenAPI document is valid', () => {
    // Prepare
    const ids = routes.map((route) => route.operationId);

    // Act
    const unique = new Set(ids);

    // Assess
    expect(unique.size).toBe(ids.length);
  });

  it('only POST and PUT routes demand an Idempotency-Key or carry a request body', () => {
    // Prepare
    const writing = routes.filter((route) => route.idempotent || route.requestSchema !== undefined);

    // Act
    const methods = writing.map((route) => route.method);

    // Assess
    expect(writing.length).toBeGreaterThan(0);
    for (const method of methods) expect(['POST', 'PUT']).toContain(method);
  });

  it('submitting an invoice is idempotent and answers 202 Accepted (it is posted in Odoo later)', () => {
    // Prepare / Act
    const submit = routes.find((route) => route.operationId === 'submitInvoice');

    // Assess
    expect(submit).toMatchObject({ method: 'POST', idempotent: true, successStatus: 202 });
    expect(submit?.requestSchema).toBeDefined();
  });

  it.each(eventRoutes.map((route) => [route.name, route] as const))(
    'the %s event route targets a declared handler with an EventBridge pattern on source, detail-type and detail only',
    (_name, route) => {
      // Prepare
      const allowedKeys = ['source', 'detail-type', 'detail'];

      // Act
      const keys = Object.keys(route.pattern);

      // Assess
      expect(handlerNames).toContain(route.target.handler);
      expect(keys.length).toBeGreaterThan(0);
      for (const key of keys) expect(allowedKeys).toContain(key);
    },
  );

  it('event route names are unique (renaming a rule replaces it)', () => {
    // Prepare
    const names = eventRoutes.map((route) => route.name);

    // Act
    const unique = new Set(names);

    // Assess
    expect(unique.size).toBe(names.length);
  });

  it.each(queueEntries)(
    'the %s visibility timeout is at least 6× its consumer timeout (AWS guidance for event source mappings)',
    (_name, queue) => {
      // Prepare
      const consumer = handlers[queue.consumer];

      // Act
      const ratio = queue.visibilityTimeoutSeconds / consumer.timeoutSeconds;

      // Assess
      expect(ratio).toBeGreaterThanOrEqual(6);
    },
  );

  it.each(queueEntries)(
    'the %s queue is consumed by a declared handler that may read its DLQ',
    (_name, queue) => {
      // Prepare
      const consumer = handlers[queue.consumer] as { uses: readonly Resource[] } | undefined;

      // Act
      const uses = consumer?.uses ?? [];

      // Assess
      expect(consumer).toBeDefined();
      expect(uses).toContain(queue.dlqResource);
      expect(Object.keys(resourceEnv)).toEqual(
        expect.arrayContaining([queue.queueResource, queue.dlqResource]),
      );
    },
  );

  it.each(handlerNames)('every resource the %s handler uses has an environment variable', (name) => {
    // Prepare
    const uses: readonly Resource[] = handlers[name].uses;

    // Act
    const variables = uses.map((resource) => resourceEnv[resource]);

    // Assess
    for (const variable of variables) expect(variable).toMatch(/^[A-Z][A-Z0-9_]*$/);
  });

  it.each(handlerNames)('every resource the %s handler reads from its environment is one it uses', (name) => {
    // Prepare: a resource read but not in `uses` has no variable (requiredEnv fails at cold start) nor grant.
    const source = readFileSync(`${repositoryRoot}${handlers[name].entry}`, 'utf8');

    // Act
    const read = [...source.matchAll(/\benv\.(\w+)/g)]
      .map((match) => match[1] as string)
      .filter((member): member is Resource => member in resourceEnv);

    // Assess
    expect(handlers[name].uses).toEqual(expect.arrayContaining([...new Set(read)]));
  });

  it('the Odoo writer holds the audit table: a remittance that settles an exception clears its register entry', () => {
    // A denial paid on appeal, an unmatched reversal whose original came late (booking/receivables.ts): the
    // register entry is closed by the writer, and every change of an entry is a line of its audit trail.
    // Without it the close throws after the booking is recorded, and a held remittance stays held for good.
    expect(handlers.odooWriter.uses).toContain('auditTable');
    expect(readFileSync(`${repositoryRoot}${handlers.odooWriter.entry}`, 'utf8')).toMatch(
      /new ExceptionStore\([^;]*new AuditLog\(/,
    );
  });

  it('no two resources share an environment variable', () => {
    // Prepare
    const variables = Object.values(resourceEnv);

    // Act
    const unique = new Set(variables);

    // Assess
    expect(unique.size).toBe(variables.length);
  });
});
