import { BlockList, isIP } from 'node:net';

/**
 * Where a webhook subscription may point (issue #15, docs/security.md#webhooks): only public unicast
 * addresses. The URL parser has already turned decimal, hex and octal IPv4 spellings (`https://2852039166`,
 * `https://0x7f000001`) into dotted form, so the rule sees the address a socket would reach; a host name is
 * judged by every address it resolves to, at creation and again at each delivery.
 */
const RANGES: Array<[string, number, 'ipv4' | 'ipv6', string]> = [
  ['0.0.0.0', 8, 'ipv4', 'unspecified'],
  ['10.0.0.0', 8, 'ipv4', 'private'],
  ['100.64.0.0', 10, 'ipv4', 'carrier-grade NAT'],
  ['127.0.0.0', 8, 'ipv4', 'loopback'],
  ['169.254.0.0', 16, 'ipv4', 'link-local'],
  ['172.16.0.0', 12, 'ipv4', 'private'],
  ['192.0.0.0', 24, 'ipv4', 'IETF protocol assignments'],
  ['192.0.2.0', 24, 'ipv4', 'documentation'],
  ['192.168.0.0', 16, 'ipv4', 'private'],
  ['198.18.0.0', 15, 'ipv4', 'benchmarking'],
  ['198.51.100.0', 24, 'ipv4', 'documentation'],
  ['203.0.113.0', 24, 'ipv4', 'documentation'],
  ['224.0.0.0', 4, 'ipv4', 'multicast'],
  ['240.0.0.0', 4, 'ipv4', 'reserved'],
  ['::', 128, 'ipv6', 'unspecified'],
  ['::1', 128, 'ipv6', 'loopback'],
  ['::ffff:0:0', 96, 'ipv6', 'IPv4-mapped'],
  ['64:ff9b::', 96, 'ipv6', 'NAT64'],
  ['100::', 64, 'ipv6', 'discard'],
  ['2001:db8::', 32, 'ipv6', 'documentation'],
  ['fc00::', 7, 'ipv6', 'unique local (ULA)'],
  ['fe80::', 10, 'ipv6', 'link-local'],
  ['ff00::', 8, 'ipv6', 'multicast'],
];
// One list per family: a BlockList matches IPv4 addresses against IPv4-mapped IPv6 rules too.
const forbidden = { ipv4: new BlockList(), ipv6: new BlockList() };
for (const [network, prefix, family] of RANGES) forbidden[family].addSubnet(network, prefix, family);

/** Why `address` (an IP literal) may not receive webhooks, or undefined when it is public unicast. */
export function forbiddenAddress(address: string): string | undefined {
  const bare = address.replace(/^\[|\]$/g, '');
  const family = isIP(bare);
  if (family === 0) return 'is not an IP address';
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (!forbidden[type].check(bare, type)) return undefined;
  const range = RANGES.find(([network, prefix, f]) => {
    if (f !== type) return false;
    const one = new BlockList();
    one.addSubnet(network, prefix, f);
    return one.check(bare, type);
  });
  return `resolves to a ${range?.[3] ?? 'non-public'} address (${bare})`;
}

export function isLoopback(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '');
  const family = isIP(bare);
  if (family === 4) return bare.startsWith('127.');
  return family === 6 && bare === '::1';
}
