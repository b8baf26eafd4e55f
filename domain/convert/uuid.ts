// A stable domain UUID. libvirt refuses to redefine a domain under the same name with another UUID, so a VMI
// without a usable uid gets one derived from namespace/name: same VMI, same UUID, on every start.
import { createHash } from 'node:crypto'; // pure computation, no I/O
import { isUuid } from '../manifest/index.js';

/** Namespace UUID for vm-launcher's name-based UUIDs (a fixed random value; never change it). */
export const VM_LAUNCHER_UUID_NAMESPACE = '6f1c7e0a-3b52-4d8e-9a41-2c5d8b7e9f10';

/** RFC 4122 version 5 (SHA-1, name-based) UUID of `name` within `namespaceUuid`. */
export function uuidV5(name: string, namespaceUuid: string = VM_LAUNCHER_UUID_NAMESPACE): string {
  const ns = Buffer.from(namespaceUuid.replace(/-/g, ''), 'hex');
  const hash = createHash('sha1').update(ns).update(name, 'utf8').digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x50; // version 5
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80; // RFC 4122 variant
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The VMI's uid when it is a UUID (KubeVirt's choice), else a v5 UUID of `<namespace>/<name>`. */
export function domainUuid(spec: { namespace: string; name: string; uid?: string }): string {
  return spec.uid !== undefined && isUuid(spec.uid) ? spec.uid.toLowerCase() : uuidV5(`${spec.namespace}/${spec.name}`);
}
