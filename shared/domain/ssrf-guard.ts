/**
 * What an outbound webhook may target. A URL is acceptable only over HTTPS, without credentials
 * in it, and every address its host resolves to must be a public unicast address: no loopback,
 * private, CGNAT, link-local (cloud metadata lives at 169.254.169.254 and fd00:ec2::254),
 * multicast, reserved or documentation ranges, and no IPv6 form that smuggles an IPv4 address
 * (IPv4-mapped, IPv4-compatible, NAT64, 6to4, Teredo) past the IPv4 rules.
 *
 * The one exception is `allowedPrivateHosts`: exact host names whose private addresses are let
 * through. Only the local stack and tests configure it (a fake vendor on loopback); it is empty in
 * the cloud. Pure functions: resolving and connecting are the webhook client's business, which
 * must connect to exactly the addresses checked here (no second lookup, no DNS rebinding).
 */
import { isIP } from 'node:net';

export class WebhookTargetRefused extends Error {
  constructor(readonly reason: string) {
    super(`Webhook target refused: ${reason}`);
  }
}

export interface WebhookTarget {
  readonly url: URL;
  /** The host as connected to: lower case, IPv6 without brackets. */
  readonly host: string;
  readonly port: number;
}

const MAX_URL_LENGTH = 2048;

/** Parses and checks the URL itself; its addresses are checked once resolved (`assertPublicAddresses`). */
export function parseWebhookUrl(raw: string): WebhookTarget {
  if (raw.length > MAX_URL_LENGTH) throw new WebhookTargetRefused('the URL is too long');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new WebhookTargetRefused('not a URL');
  }
  if (url.protocol !== 'https:') throw new WebhookTargetRefused('only https is allowed');
  if (url.username !== '' || url.password !== '')
    throw new WebhookTargetRefused('credentials in the URL are not allowed');
  const host = url.hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (host === '') throw new WebhookTargetRefused('the URL has no host');
  return { url, host, port: url.port === '' ? 443 : Number(url.port) };
}

// ── IPv4 ─────────────────────────────────────────────────────────────────────────────────────
function ipv4ToNumber(address: string): number {
  const parts = address.split('.').map(Number);
  return (((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!) >>> 0;
}

/** [network, prefix length, why] — RFC 6890 special-purpose and other non-public ranges. */
const IPV4_BLOCKED: readonly (readonly [string, number, string])[] = [
  ['0.0.0.0', 8, 'this-network'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'carrier-grade NAT'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'IETF protocol assignments'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.88.99.0', 24, '6to4 relay'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
];

const IPV4_RANGES = IPV4_BLOCKED.map(([network, prefix, why]) => {
  const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
  return { base: (ipv4ToNumber(network) & mask) >>> 0, mask, why };
});

function ipv4Problem(address: string): string | undefined {
  const value = ipv4ToNumber(address);
  return IPV4_RANGES.find((range) => (value & range.mask) >>> 0 === range.base)?.why;
}

// ── IPv6 ─────────────────────────────────────────────────────────────────────────────────────
/** The 128-bit value of an IPv6 address (zone id dropped, embedded dotted quad allowed). */
function ipv6ToBigInt(address: string): bigint {
  let text = address.split('%')[0]!;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted !== null) {
    const v4 = ipv4ToNumber(dotted[1]!);
    text = text.slice(0, -dotted[1]!.length) + `${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const headGroups = head === '' || head === undefined ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const missing = 8 - headGroups.length - tailGroups.length;
  const groups =
    tail === undefined ? headGroups : [...headGroups, ...Array<string>(missing).fill('0'), ...tailGroups];
  return groups.reduce((acc, group) => (acc << 16n) + BigInt(parseInt(group, 16)), 0n);
}

const v6 = (network: string, prefix: number) => {
  const mask = prefix === 0 ? 0n : ((1n << 128n) - 1n) ^ ((1n << BigInt(128 - prefix)) - 1n);
  return { base: ipv6ToBigInt(network) & mask, mask };
};

const inRange = (value: bigint, range: { base: bigint; mask: bigint }): boolean =>
  (value & range.mask) === range.base;

/** IPv6 forms that carry an IPv4 address: judged by that address (mapped, NAT64) or refused whole. */
const V4_MAPPED = v6('::ffff:0:0', 96);
const NAT64 = v6('64:ff9b::', 96);
const SIXTO4 = v6('2002::', 16);

const IPV6_BLOCKED: readonly (readonly [{ base: bigint; mask: bigint }, string])[] = [
  [v6('::', 128), 'unspecified'],
  [v6('::1', 128), 'loopback'],
  [v6('::', 96), 'IPv4-compatible'],
  [v6('64:ff9b:1::', 48), 'local NAT64'],
  [v6('100::', 64), 'discard-only'],
  [v6('2001::', 32), 'Teredo'],
  [v6('2001:10::', 28), 'ORCHID'],
  [v6('2001:20::', 28), 'ORCHIDv2'],
  [v6('2001:db8::', 32), 'documentation'],
  [v6('3fff::', 20), 'documentation'],
  [v6('5f00::', 16), 'segment routing'],
  [v6('fc00::', 7), 'unique local'],
  [v6('fe80::', 10), 'link-local'],
  [v6('fec0::', 10), 'site-local'],
  [v6('ff00::', 8), 'multicast'],
];

function embeddedIpv4(value: bigint, shift: bigint): string {
  const v4 = Number((value >> shift) & 0xffffffffn);
  return [v4 >>> 24, (v4 >>> 16) & 0xff, (v4 >>> 8) & 0xff, v4 & 0xff].join('.');
}

function ipv6Problem(address: string): string | undefined {
  const value = ipv6ToBigInt(address);
  if (inRange(value, V4_MAPPED) || inRange(value, NAT64)) {
    const why = ipv4Problem(embeddedIpv4(value, 0n));
    return why === undefined ? undefined : `${why} (IPv4 inside IPv6)`;
  }
  if (inRange(value, SIXTO4)) {
    const why = ipv4Problem(embeddedIpv4(value, 80n));
    return why === undefined ? undefined : `${why} (IPv4 inside 6to4)`;
  }
  return IPV6_BLOCKED.find(([range]) => inRange(value, range))?.[1];
}

/** Why `address` (an IP literal) is not a public unicast address, or undefined when it is. */
export function nonPublicReason(address: string): string | undefined {
  const plain = address.replace(/^\[(.*)\]$/, '$1');
  const family = isIP(plain.split('%')[0]!);
  if (family === 4) return ipv4Problem(plain);
  if (family === 6) return ipv6Problem(plain);
  return 'not an IP address';
}

/**
 * Refuses the target unless every resolved address is public, or the host is one of the exact
 * `allowedPrivateHosts`. All addresses count: a name answering one public and one private address
 * could otherwise be steered to the private one.
 */
export function assertPublicAddresses(
  host: string,
  addresses: readonly string[],
  allowedPrivateHosts: readonly string[],
): void {
  if (addresses.length === 0) throw new WebhookTargetRefused('the host has no address');
  if (allowedPrivateHosts.some((allowed) => allowed.toLowerCase() === host)) return;
  for (const address of addresses) {
    const why = nonPublicReason(address);
    if (why !== undefined) throw new WebhookTargetRefused(`the host resolves to a ${why} address`);
  }
}
