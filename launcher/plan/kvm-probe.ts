// Does KVM work for QEMU's user, beyond /dev/kvm opening? libvirt asks the kernel (open /dev/kvm, KVM_GET_API_VERSION
// == 12, KVM_CREATE_VM); Node has no ioctl, so QEMU asks for us: `-accel kvm -machine none` runs exactly those
// (kvm_init) and exits 1 when any fails, without a guest. Measured: 0.2-0.3 s; it runs only under accel auto where
// /dev/kvm opens. It cannot see a KVM that creates VMs and then fails to run them (a broken nested setup stops
// guests with "KVM internal error"): only booting a guest tells that.
import { execa } from 'execa';
import { SYSTEM_PATH } from '../../domain/system.js';
import type { RunAs } from '../common/run-as.js';

export const KVM_PROBE_TIMEOUT_MS = 3000;

export interface KvmProbe { works: boolean; detail: string }

export async function probeKvm(runAs: RunAs | undefined, qemu = '/usr/bin/qemu-system-x86_64'): Promise<KvmProbe> {
  const r = await execa(qemu, ['-accel', 'kvm', '-machine', 'none', '-nodefaults', '-display', 'none', '-serial', 'none', '-parallel', 'none', '-monitor', 'stdio'], {
    input: 'quit\n', reject: false, timeout: KVM_PROBE_TIMEOUT_MS, killSignal: 'SIGKILL', env: { LANG: 'C', PATH: SYSTEM_PATH }, extendEnv: false,
    ...(runAs && { uid: runAs.uid, gid: runAs.gid }),
  });
  if (r.exitCode === 0 && !r.timedOut) return { works: true, detail: 'QEMU initialised KVM' };
  const last = String(r.stderr).trim().split('\n').filter((l) => !l.includes('module ui-')).pop();
  return { works: false, detail: r.timedOut ? `QEMU did not answer within ${KVM_PROBE_TIMEOUT_MS} ms` : (last ?? `exit code ${r.exitCode}`).replace(/^qemu-system-x86_64: /, '') };
}
