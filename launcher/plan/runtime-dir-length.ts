// How long the runtime dir may be: decided before anything is touched, so `check` says it and a refused `run` has
// created and grown nothing (stack/runtime-dir.ts refuses it again at claim, for callers that skip preflight).
import { problem, type Problem } from '../../domain/problem.js';

/**
 * Unix socket paths hold at most 107 bytes, and libvirt binds QEMU's monitor at
 * `<root>/config/libvirt/qemu/lib/domain-<id>-<20 chars>/monitor.sock` (63 bytes past the root).
 * Past that, QEMU fails to start with an error that names neither the cause nor the fix.
 */
export const MAX_RUNTIME_DIR_LENGTH = 44;

export function runtimeDirLengthProblem(root: string): Problem | undefined {
  const length = Buffer.byteLength(root);
  if (length <= MAX_RUNTIME_DIR_LENGTH) return undefined;
  return problem('RuntimeDirTooLong', `runtime dir ${root} is ${length} bytes long; libvirt's sockets below it need it at most ${MAX_RUNTIME_DIR_LENGTH}`, {
    fix: 'Use a shorter --runtime-dir (the default /var/run/vm-launcher fits).',
  });
}
