import { describe, expect, it } from 'vitest';
import { OdooClient } from '../../lambdas/adapters/odoo/client.js';
import { checkProtocol, odooDialect, parseOdooVersion } from '../../lambdas/adapters/odoo/dialect.js';
import { OdooError } from '../../lambdas/adapters/odoo/errors.js';

// Each Odoo version's differences, named once (dialect.ts); values checked on real 17.0 and 19.0 servers.

describe('Odoo dialects', () => {
  it('17: memo on the move (`ref`), payment state is the move’s, draft removes the reconciliation', () => {
    // Prepare
    const version = parseOdooVersion('17.0-20240709');

    // Act
    const dialect = odooDialect(version);

    // Assess
    expect(dialect).toMatchObject({
      name: 'odoo17',
      version: { serverVersion: '17.0-20240709', major: 17 },
      protocols: ['jsonrpc'],
      paymentMemoField: 'ref',
      livePaymentStates: ['posted'],
      undonePaymentStates: ['cancel'],
      paymentReversal: {},
      draftUnreconcilesPayment: true,
      userGroupsField: 'groups_id',
    });
    expect(dialect.auditTrailField).toBeUndefined();
  });

  it('18: `memo`, the payment’s own states, a reversed payment is marked canceled', () => {
    // Prepare
    const version = parseOdooVersion('saas~18.3');

    // Act
    const dialect = odooDialect(version);

    // Assess
    expect(dialect).toMatchObject({
      name: 'odoo18',
      protocols: ['jsonrpc'],
      paymentMemoField: 'memo',
      livePaymentStates: ['in_process', 'paid'],
      undonePaymentStates: ['canceled', 'rejected'],
      paymentReversal: { markPaymentState: 'canceled' },
      draftUnreconcilesPayment: false,
      userGroupsField: 'groups_id',
    });
  });

  it('19: as 18, plus JSON-2, `group_ids` and the restrictive audit trail flag', () => {
    // Prepare
    const version = parseOdooVersion('19.0');

    // Act
    const dialect = odooDialect(version);

    // Assess
    expect(dialect).toMatchObject({
      name: 'odoo19',
      protocols: ['jsonrpc', 'json2'],
      paymentMemoField: 'memo',
      paymentReversal: { markPaymentState: 'canceled' },
      draftUnreconcilesPayment: false,
      userGroupsField: 'group_ids',
      auditTrailField: 'restrictive_audit_trail',
    });
  });

  it('a later version speaks the newest dialect the hub knows', () => {
    // Prepare / Act
    const dialect = odooDialect(parseOdooVersion('20.0'));

    // Assess
    expect(dialect.name).toBe('odoo19');
    expect(dialect.version.major).toBe(20);
  });

  it.each(['16.0', '8.0', 'nonsense', ''])('Odoo "%s" is refused as a misconfiguration', (text) => {
    // Prepare
    const version = parseOdooVersion(text);

    // Act
    const refuse = () => odooDialect(version);

    // Assess
    expect(refuse).toThrowError(OdooError);
    expect(refuse).toThrowError(/not supported/);
    try {
      refuse();
    } catch (error) {
      expect((error as OdooError).kind).toBe('misconfiguration');
    }
  });

  it('JSON-2 against 17 is a misconfiguration; JSON-RPC against 19 is fine', () => {
    // Prepare
    const odoo17 = odooDialect(parseOdooVersion('17.0'));
    const odoo19 = odooDialect(parseOdooVersion('19.0'));

    // Act
    const json2On17 = () => checkProtocol(odoo17, 'json2');
    const jsonRpcOn19 = () => checkProtocol(odoo19, 'jsonrpc');

    // Assess
    expect(json2On17).toThrowError(/does not serve JSON-2; set ODOO_PROTOCOL to jsonrpc/);
    expect(jsonRpcOn19).not.toThrow();
  });
});

describe('the version probe at connection', () => {
  function client(protocol: 'jsonrpc' | 'json2', version: string, calls: string[]) {
    const fetchStub = (async (input: URL | string | Request, init?: RequestInit) => {
      const url = String(input);
      calls.push(url);
      if (url.endsWith('/web/version'))
        return new Response(JSON.stringify({ version, version_info: [] }), { status: 200 });
      const body = JSON.parse(String(init?.body)) as { id: number };
      return new Response(
        JSON.stringify({ jsonrpc: '2.0', id: body.id, result: { server_version: version } }),
        { status: 200 },
      );
    }) as typeof fetch;
    return new OdooClient(
      { url: 'http://odoo.test', db: 'db', login: 'rcm-hub', apiKey: 'k', protocol },
      { fetch: fetchStub },
    );
  }

  it('reads the version once per connection and answers its dialect', async () => {
    // Prepare
    const calls: string[] = [];
    const odoo = client('json2', '19.0', calls);

    // Act
    const first = await odoo.dialect();
    const second = await odoo.dialect();

    // Assess
    expect(first.name).toBe('odoo19');
    expect(second).toBe(first);
    expect(calls).toEqual(['http://odoo.test/web/version']);
  });

  it('over JSON-RPC asks common.version', async () => {
    // Prepare
    const calls: string[] = [];
    const odoo = client('jsonrpc', '17.0-20240709', calls);

    // Act
    const dialect = await odoo.dialect();

    // Assess
    expect(dialect.name).toBe('odoo17');
    expect(calls).toEqual(['http://odoo.test/jsonrpc']);
  });

  it('refuses JSON-2 configured against a 17 server', async () => {
    // Prepare
    const odoo = client('json2', '17.0', []);

    // Act
    const probe = odoo.dialect();

    // Assess
    await expect(probe).rejects.toMatchObject({ kind: 'misconfiguration' });
  });
});
