import { describe, expect, it } from 'vitest';
import { addressAllowed, normaliseCidr } from './cidr.ts';

describe('address allow-lists', () => {
  it('matches IPv4, IPv4-mapped IPv6 and IPv6 addresses against CIDR blocks', () => {
    const list = ['203.0.113.0/24', '2001:db8::/32', '198.51.100.7'];
    expect(addressAllowed('203.0.113.200', list)).toBe(true);
    expect(addressAllowed('::ffff:203.0.113.5', list)).toBe(true);
    expect(addressAllowed('2001:db8:1::1', list)).toBe(true);
    expect(addressAllowed('198.51.100.7', list)).toBe(true);
    expect(addressAllowed('198.51.100.8', list)).toBe(false);
    expect(addressAllowed('2001:db9::1', list)).toBe(false);
    expect(addressAllowed('garbage', list)).toBe(false);
    expect(addressAllowed('192.0.2.1', [])).toBe(true);
  });

  it('normalises and refuses malformed blocks', () => {
    expect(normaliseCidr(' 10.0.0.0/8 ')).toBe('10.0.0.0/8');
    expect(normaliseCidr('2001:db8::1')).toBe('2001:db8::1/128');
    for (const bad of ['10.0.0.0/33', '10.0.0/8', '10.0.0.0/8/1', 'example.com', '::/129', '10.0.0.0/x']) {
      expect(() => normaliseCidr(bad)).toThrow(/not an IP address or CIDR block/);
    }
  });
});
