/** The SSRF guard: which webhook URLs and resolved addresses an extension share may target. */
import {
  assertPublicAddresses,
  nonPublicReason,
  parseWebhookUrl,
  WebhookTargetRefused,
} from '../../shared/domain/ssrf-guard.ts';

describe('URLs', () => {
  test.each([
    ['http://hooks.vendor.example/x', 'only https'],
    ['ftp://hooks.vendor.example/x', 'only https'],
    ['file:///etc/passwd', 'only https'],
    ['gopher://127.0.0.1:6379/_INFO', 'only https'],
    ['javascript:alert(1)', 'only https'],
    ['https://user:pass@hooks.vendor.example/x', 'credentials'],
    ['https://user@hooks.vendor.example/x', 'credentials'],
    ['not a url', 'not a URL'],
    [`https://hooks.vendor.example/${'a'.repeat(2100)}`, 'too long'],
  ])('%s is refused (%s)', (url, reason) => {
    expect(() => parseWebhookUrl(url)).toThrow(WebhookTargetRefused);
    expect(() => parseWebhookUrl(url)).toThrow(reason);
  });

  test.each([
    ['https://hooks.vendor.example/custos', 'hooks.vendor.example', 443],
    ['https://HOOKS.Vendor.example:8443/custos?x=1', 'hooks.vendor.example', 8443],
    ['https://[2606:4700::1111]/hook', '2606:4700::1111', 443],
    // The WHATWG parser normalises numeric IPv4 forms, so they meet the address rules as dotted quads.
    ['https://2130706433/hook', '127.0.0.1', 443],
    ['https://0x7f.1/hook', '127.0.0.1', 443],
  ])('%s parses to host %s port %d', (url, host, port) => {
    expect(parseWebhookUrl(url)).toMatchObject({ host, port });
  });
});

describe('addresses', () => {
  test.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['0.0.0.0', 'this-network'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['100.127.255.254', 'carrier-grade NAT'],
    ['169.254.169.254', 'link-local'],
    ['192.0.0.170', 'IETF protocol assignments'],
    ['192.0.2.1', 'documentation'],
    ['198.18.0.1', 'benchmarking'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback (IPv4 inside IPv6)'],
    ['::ffff:7f00:1', 'loopback (IPv4 inside IPv6)'],
    ['::ffff:169.254.169.254', 'link-local (IPv4 inside IPv6)'],
    ['::ffff:10.0.0.1', 'private (IPv4 inside IPv6)'],
    ['64:ff9b::a9fe:a9fe', 'link-local (IPv4 inside IPv6)'],
    ['64:ff9b:1::1', 'local NAT64'],
    ['::127.0.0.1', 'IPv4-compatible'],
    ['2002:7f00:1::1', 'loopback (IPv4 inside 6to4)'],
    ['2002:c0a8:101::1', 'private (IPv4 inside 6to4)'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'Teredo'],
    ['2001:db8::1', 'documentation'],
    ['fc00::1', 'unique local'],
    ['fd00:ec2::254', 'unique local'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['fec0::1', 'site-local'],
    ['ff02::1', 'multicast'],
    ['100::1', 'discard-only'],
    ['localhost', 'not an IP address'],
  ])('%s is not public (%s)', (address, reason) => {
    expect(nonPublicReason(address)).toBe(reason);
  });

  test.each([
    '93.184.215.14',
    '8.8.8.8',
    '1.1.1.1',
    '172.32.0.1',
    '100.128.0.1',
    '192.169.0.1',
    '2606:4700::1111',
    '2a00:1450:4001::200e',
    '::ffff:8.8.8.8',
    '2002:808:808::1',
    '64:ff9b::808:808',
  ])('%s is public', (address) => {
    expect(nonPublicReason(address)).toBeUndefined();
  });
});

describe('resolved hosts', () => {
  test('a host with one private address among public ones is refused', () => {
    expect(() => assertPublicAddresses('hooks.vendor.example', ['93.184.215.14', '10.0.0.5'], [])).toThrow(
      'private',
    );
  });

  test('a host without addresses is refused', () => {
    expect(() => assertPublicAddresses('hooks.vendor.example', [], [])).toThrow('no address');
  });

  test('an exactly allowed host may resolve to loopback (local stack and tests only)', () => {
    expect(() => assertPublicAddresses('localhost', ['127.0.0.1', '::1'], ['localhost'])).not.toThrow();
  });

  test.each([
    ['a suffix of the allowed host', 'evil-localhost', ['localhost']],
    ['a subdomain of the allowed host', 'x.localhost', ['localhost']],
    ['another host', 'metadata.internal', ['localhost']],
  ])('%s gets no exception', (_what, host, allowed) => {
    expect(() => assertPublicAddresses(host, ['127.0.0.1'], allowed)).toThrow(WebhookTargetRefused);
  });

  test('public addresses pass', () => {
    expect(() =>
      assertPublicAddresses('hooks.vendor.example', ['93.184.215.14', '2606:4700::1111'], []),
    ).not.toThrow();
  });
});
