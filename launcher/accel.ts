// auto -> kvm where QEMU's user can open /dev/kvm, else software emulation (TCG).
// Note: a /dev/kvm that opens but does not work (nested setups) cannot be told apart here;
// such machines pass --accel tcg (see README).
import type { Accel } from '../domain/types.js';
import type { AccelChoice } from './options.js';
import { canAccess, type RunAs } from './run-as.js';

export async function resolveAccel(choice: AccelChoice, runAs: RunAs | undefined): Promise<Accel> {
  if (choice === 'kvm') return 'kvm';
  if (choice === 'tcg') return 'qemu';
  return (await canAccess('/dev/kvm', true, runAs)) ? 'kvm' : 'qemu';
}
