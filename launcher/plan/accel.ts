// auto -> kvm where QEMU's user can open /dev/kvm, else software emulation (TCG).
// A /dev/kvm that opens is also asked to create a VM (kvm-probe.ts); one that creates VMs but cannot run them
// (broken nested setups) cannot be told apart: such machines pass --accel tcg (see docs/operations.md).
import { existsSync } from 'node:fs';
import type { Accel } from '../../domain/model/index.js';
import type { AccelChoice } from './plan.js';
import { canAccess, type RunAs, vmUid } from '../common/run-as.js';
import { probeKvm } from './kvm-probe.js';

export interface AccelChoiceResult { accel: Accel; why: string }

export async function resolveAccel(choice: AccelChoice, runAs: RunAs | undefined): Promise<AccelChoiceResult> {
  if (choice === 'kvm') return { accel: 'kvm', why: '--accel kvm' };
  if (choice === 'tcg') return { accel: 'qemu', why: '--accel tcg: software emulation' };
  if (await canAccess('/dev/kvm', true, runAs)) {
    const probe = await probeKvm(runAs);
    if (probe.works) return { accel: 'kvm', why: 'auto: /dev/kvm opens for QEMU\'s user and QEMU can create a KVM VM' };
    return { accel: 'qemu', why: `auto: /dev/kvm opens but KVM does not work for QEMU (${probe.detail}): software emulation. Fix KVM on the node, or pass --accel tcg to silence this` };
  }
  // Not silent: a VM that runs 10-50x slower than expected must say why in its log.
  return existsSync('/dev/kvm')
    ? { accel: 'qemu', why: `auto: /dev/kvm exists but QEMU's user (uid ${vmUid(runAs)}) cannot open it: software emulation. Give it access (the kvm group; podman --group-add) or pass --accel tcg to silence this` }
    : { accel: 'qemu', why: 'auto: no /dev/kvm: software emulation (request devices.kubevirt.io/kvm in the pod)' };
}
