import type { LookupAddress } from 'node:dns';
import { describe, expect, it } from 'vitest';
import { sendSigned } from '../../lambdas/adapters/webhooks/sender.js';
import { targetProblem } from '../../lambdas/adapters/webhooks/target-guard.js';
import { forbiddenAddress } from '../../lambdas/core/webhooks/targets.js';

// Issue #15: a subscription may point at public unicast addresses only, however the address is spelled.
const prod = { allowLoopbackPorts: undefined };
const resolvesTo =
  (...addresses: string[]) =>
  (_host: string, _options: { all: true }, callback: (e: null, a: LookupAddress[]) => void) =>
    callback(
      null,
      addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
    );
const noLookup = (host: string, _o: { all: true }, callback: (e: null, a: LookupAddress[]) => void) =>
  callback(null, [{ address: host, family: host.includes(':') ? 6 : 4 }]);

describe('the address rule', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['10.0.0.5', 'private'],
    ['172.20.1.1', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['0.0.0.0', 'unspecified'],
    ['::1', 'loopback'],
    ['fd00::1', 'unique local (ULA)'],
    ['fe80::1', 'link-local'],
    ['::ffff:7f00:1', 'IPv4-mapped'],
  ])('refuses %s (%s)', (address, kind) => {
    expect(forbiddenAddress(address)).toContain(kind);
  });

  it.each(['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'])('allows public %s', (address) => {
    expect(forbiddenAddress(address)).toBeUndefined();
  });
});

describe('a subscription URL', () => {
  it.each([
    'https://169.254.169.254/latest/meta-data',
    'https://10.0.0.5/hook',
    'https://[::1]/hook',
    'https://0x7f000001/hook',
    'https://2852039166/hook',
    'https://017700000001/hook',
    'https://[::ffff:127.0.0.1]/hook',
  ])('written as %s is refused', async (url) => {
    expect(await targetProblem(url, prod, noLookup)).toMatch(/^host resolves to a/);
  });

  it('is refused when any address its host resolves to is private', async () => {
    expect(
      await targetProblem('https://hooks.example', prod, resolvesTo('93.184.216.34', '10.1.2.3')),
    ).toMatch(/private address \(10\.1\.2\.3\)/);
    expect(await targetProblem('https://hooks.example', prod, resolvesTo('93.184.216.34'))).toBeUndefined();
  });

  it('allows loopback only under the local policy, and never the hub’s own ports', async () => {
    const local = { allowLoopbackPorts: (port: number) => port !== 8069 };
    expect(await targetProblem('http://127.0.0.1:4567/h', local, noLookup)).toBeUndefined();
    expect(await targetProblem('http://127.0.0.1:8069/jsonrpc', local, noLookup)).toMatch(/hub's own/);
    expect(await targetProblem('http://127.0.0.1:4567/h', prod, noLookup)).toMatch(/loopback/);
  });
});

describe('a delivery', () => {
  it('is refused before connecting when the target is no longer allowed', async () => {
    const meta = { eventId: 'e1', eventType: 'InvoicePosted' };
    for (const url of ['https://169.254.169.254/latest', 'https://[::1]:8443/', 'http://localhost:9/']) {
      const result = await sendSigned(url, 'secret', '{}', meta, prod);
      expect(result.ok).toBe(false);
      expect(result.error).toMatch(/target refused: host resolves to a/);
    }
  });
});
