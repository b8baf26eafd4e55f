// auto -> kvm where QEMU's user can open /dev/kvm, else software emulation (TCG).
// Note: a /dev/kvm that opens but does not work (nested setups) cannot be told apart here;
// such machines pass --accel tcg (see README).
import { existsSync } from 'node:fs';
import type { Accel } from '../../domain/model/index.js';
import type { AccelChoice } from './plan.js';
import { canAccess, type RunAs } from '../common/run-as.js';

export interface AccelChoiceResult { accel: Accel; why: string }

export async function resolveAccel(choice: AccelChoice, runAs: RunAs | undefined): Promise<AccelChoiceResult> {
  if (choice === 'kvm') return { accel: 'kvm', why: '--accel kvm' };
  if (choice === 'tcg') return { accel: 'qemu', why: '--accel tcg: software emulation' };
  if (await canAccess('/dev/kvm', true, runAs)) return { accel: 'kvm', why: 'auto: /dev/kvm opens for QEMU\'s user' };
  // Not silent: a VM that runs 10-50x slower than expected must say why in its log.
  return existsSync('/dev/kvm')
    ? { accel: 'qemu', why: `auto: /dev/kvm exists but QEMU's user (uid ${runAs?.uid ?? process.getuid?.()}) cannot open it: software emulation. Give it access (the kvm group; podman --group-add) or pass --accel tcg to silence this` }
    : { accel: 'qemu', why: 'auto: no /dev/kvm: software emulation (request devices.kubevirt.io/kvm in the pod)' };
}
