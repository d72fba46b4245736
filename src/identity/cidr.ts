import { BlockList, isIP } from 'node:net';
import { ValidationError } from '../platform/index.ts';

/** `a.b.c.d/n` or `x::y/n` (a bare address means a single host); throws ValidationError otherwise. */
export function parseCidr(text: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } {
  const [address = '', bits, extra] = text.trim().split('/');
  const version = isIP(address);
  const max = version === 4 ? 32 : 128;
  const prefix = bits === undefined ? max : Number(bits);
  if (!version || extra !== undefined || !/^\d{1,3}$/.test(bits ?? String(max)) || prefix > max) {
    throw new ValidationError(`"${text}" is not an IP address or CIDR block (e.g. 203.0.113.0/24, 2001:db8::/32)`);
  }
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

/** Normalised CIDR text (`address/prefix`). */
export function normaliseCidr(text: string): string {
  const { address, prefix } = parseCidr(text);
  return `${address}/${prefix}`;
}

/** True when `address` lies in one of `cidrs` (an empty list allows every address). */
export function addressAllowed(address: string, cidrs: readonly string[]): boolean {
  if (cidrs.length === 0) return true;
  const list = new BlockList();
  for (const cidr of cidrs) {
    const { address: network, prefix, family } = parseCidr(cidr);
    list.addSubnet(network, prefix, family);
  }
  // Dual-stack sockets report IPv4 clients as ::ffff:a.b.c.d.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  const candidate = mapped?.[1] ?? address;
  const version = isIP(candidate);
  if (!version) return false;
  return list.check(candidate, version === 4 ? 'ipv4' : 'ipv6');
}
