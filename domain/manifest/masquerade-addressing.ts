// KubeVirt's masquerade addressing, read from the pod network's vmNetworkCIDR: the gateway is the network's first
// address, the guest the second. Decided while the manifest is read, so a bad CIDR is a manifest problem.
import { Reason } from '../reasons.js';
import type { Decision, MasqueradeAddressing } from '../model/index.js';

export const DEFAULT_VM_NETWORK_CIDR = '10.0.2.0/24';

const ok = <T>(value: T): Decision<T> => ({ ok: true, value });

function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

const formatIpv4 = (n: number): string => [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');

/** Networks whose first addresses cannot be a gateway's or a guest's: [start, prefix bits, what]. */
const NOT_UNICAST: ReadonlyArray<[start: number, bits: number, what: string]> = [
  [0, 8, '0.0.0.0/8 ("this network")'], [127 * 2 ** 24, 8, '127.0.0.0/8 (loopback)'], [224 * 2 ** 24, 3, '224.0.0.0/3 (multicast and reserved)'],
];

export function masqueradeAddressing(cidr: string = DEFAULT_VM_NETWORK_CIDR): Decision<MasqueradeAddressing> {
  const m = /^([0-9.]+)\/(\d{1,2})$/.exec(cidr);
  const address = m ? parseIpv4(m[1]!) : undefined;
  const prefix = m ? Number(m[2]) : NaN;
  const fix = `write an IPv4 CIDR with room for a gateway and the guest, such as ${DEFAULT_VM_NETWORK_CIDR} (at most /30)`;
  if (address === undefined || !(prefix >= 0 && prefix <= 32)) return { ok: false, reason: Reason.FieldInvalid, message: `${JSON.stringify(cidr)} is not an IPv4 CIDR`, fix };
  if (prefix > 30) return { ok: false, reason: Reason.FieldInvalid, message: `${cidr} has fewer than 4 addresses: no room for a gateway and the guest`, fix };
  const size = 2 ** (32 - prefix);
  const network = address - (address % size);
  const special = NOT_UNICAST.find(([start, bits]) => Math.floor(network / 2 ** (32 - bits)) === start / 2 ** (32 - bits));
  if (special) {
    return { ok: false, reason: Reason.FieldInvalid, message: `${cidr} starts in ${special[2]}: the gateway and the guest need unicast addresses`, fix };
  }
  return ok({ cidr: `${formatIpv4(network)}/${prefix}`, prefix, gateway: formatIpv4(network + 1), guestAddress: formatIpv4(network + 2) });
}
