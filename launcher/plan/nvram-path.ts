// Where a VM's persistent EFI variables live: `<nvram dir>/<vmi name>_VARS.fd`, KubeVirt's file name, in the dir
// KubeVirt's pods mount their backend-storage PVC at. The name is a DNS-1123 subdomain (checked at parse): no slash.
import { join } from 'node:path';

export function nvramPath(nvramDir: string, vmiName: string): string {
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(vmiName)) throw new Error(`unsafe VMI name reached nvramPath: ${JSON.stringify(vmiName)}`);
  return join(nvramDir, `${vmiName}_VARS.fd`);
}
