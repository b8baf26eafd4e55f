// The two programs that size an image, run as the VM user (never root) with an argument array and a timeout:
// `truncate` makes or extends a sparse file, `fallocate` allocates every byte (a preallocated image).
// The launcher's shutdown signal cancels either at once (Aborted): a long fallocate must not outlast a grace period.
import { execa } from 'execa';
import { fail } from '../../domain/problem.js';
import { SYSTEM_PATH } from '../../domain/system.js';
import type { RunAs } from '../common/run-as.js';

/** fallocate can take minutes where the filesystem emulates it; truncate is instant. */
const TIMEOUT_MS = 5 * 60_000;

/** Makes `path` at least `bytes` long: sparse (`truncate -s >N`, never shrinks) or fully allocated (`fallocate -l N`). */
export async function sizeImage(path: string, bytes: number, preallocate: boolean, runAs: RunAs | undefined, signal?: AbortSignal): Promise<void> {
  const [cmd, args] = preallocate ? ['fallocate', ['-l', String(bytes), path]] : ['truncate', ['-s', `>${bytes}`, path]];
  const r = await execa(cmd, args, {
    reject: false, timeout: TIMEOUT_MS, killSignal: 'SIGKILL', stdin: 'ignore',
    env: { LANG: 'C', PATH: SYSTEM_PATH }, extendEnv: false,
    ...(runAs && { uid: runAs.uid, gid: runAs.gid }),
    ...(signal && { cancelSignal: signal }),
  });
  if (r.isCanceled) fail('Aborted', `${cmd} of ${path} stopped: a signal asked the launcher to stop`);
  if (r.exitCode !== 0 || r.timedOut) {
    const why = String(r.stderr).trim().split('\n').pop() || (r.timedOut ? `timed out after ${TIMEOUT_MS / 1000} s` : `exit code ${r.exitCode}`);
    throw new Error(`${cmd} ${args.join(' ')}: ${why}`);
  }
}
