import { lookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';
import { UnsafeWebhookUrlError } from './errors.ts';

/** Resolves a host name to every address it has (both families). */
export type HostResolver = (host: string) => Promise<string[]>;

export interface WebhookUrlPolicy {
  /**
   * Development and tests only: also allow loopback targets, over plain http as well.
   * Never allows private, link-local or metadata addresses.
   */
  readonly allowInsecureLoopback: boolean;
  readonly resolve?: HostResolver;
}

/** A URL that passed the checks, with the addresses it resolved to (delivery connects to these only). */
export interface CheckedWebhookUrl {
  readonly url: URL;
  readonly addresses: readonly string[];
}

const maxUrlLength = 2000;

/** Cloud metadata endpoints, named in errors because they are the classic SSRF target. */
const metadataAddresses = new Set(['169.254.169.254', '169.254.170.2', 'fd00:ec2::254', '100.100.100.200']);

export async function resolveHost(host: string): Promise<string[]> {
  const results = await lookup(host, { all: true, verbatim: true });
  return results.map((result) => result.address);
}

/**
 * Checks a webhook target against server-side request forgery: an absolute `https:` URL
 * without credentials, whose host resolves (every address is checked, so a name with one
 * public and one private address is refused) only to public unicast addresses. Called when
 * a webhook is saved and again before every delivery, because DNS answers change.
 * Throws UnsafeWebhookUrlError with the reason.
 */
export async function checkWebhookUrl(raw: string, policy: WebhookUrlPolicy): Promise<CheckedWebhookUrl> {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > maxUrlLength) {
    throw new UnsafeWebhookUrlError(`webhook URL must be 1-${maxUrlLength} characters`);
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UnsafeWebhookUrlError(`webhook URL '${raw}' is not an absolute URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new UnsafeWebhookUrlError(`webhook URL must use https, not ${url.protocol.replace(':', '')}`);
  }
  if (url.username || url.password) {
    throw new UnsafeWebhookUrlError('webhook URL must not carry credentials; the request is signed instead');
  }
  const insecure = 'webhook URL must use https (plain http only to loopback, in development)';
  if (url.protocol === 'http:' && !policy.allowInsecureLoopback) throw new UnsafeWebhookUrlError(insecure);
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  let addresses: string[];
  if (ipaddr.isValid(host)) {
    addresses = [host];
  } else {
    try {
      addresses = await (policy.resolve ?? resolveHost)(host);
    } catch (error) {
      if (url.protocol === 'http:') throw new UnsafeWebhookUrlError(insecure);
      throw new UnsafeWebhookUrlError(
        `webhook host ${host} cannot be resolved (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
    if (addresses.length === 0) throw new UnsafeWebhookUrlError(`webhook host ${host} has no address`);
  }
  for (const address of addresses) {
    const range = addressRange(address);
    if (range === 'loopback' && policy.allowInsecureLoopback) continue;
    if (url.protocol === 'http:') throw new UnsafeWebhookUrlError(insecure);
    if (range !== 'unicast') {
      const what = metadataAddresses.has(normalise(address)) ? 'a cloud metadata address' : `a ${range} address`;
      throw new UnsafeWebhookUrlError(
        `webhook host ${host} resolves to ${address}, ${what}; webhooks may only call public addresses`,
        { address, range },
      );
    }
  }
  return Object.freeze({ url, addresses: Object.freeze(addresses) });
}

function normalise(address: string): string {
  const parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    return (parsed as ipaddr.IPv6).toIPv4Address().toString();
  }
  return parsed.toString();
}

/** ipaddr.js's range name, looking through IPv4-mapped IPv6 addresses; metadata addresses are never unicast. */
function addressRange(address: string): string {
  const normal = normalise(address);
  if (metadataAddresses.has(normal)) return 'metadata';
  return ipaddr.parse(normal).range();
}
