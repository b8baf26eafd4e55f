// Builds the cloud-init seed `check` planned: the files in a private staging dir, then an ISO9660 image with Joliet
// and Rock Ridge by Debian's xorrisofs (KubeVirt's own tool and options), as the VM user, under a timeout, in the
// runtime dir (removed at exit with everything else). QEMU attaches it read-only.
// User data can hold secrets, so the staging dir is in the runtime dir too (0700, never in /tmp): a launcher killed
// with SIGKILL leaves it where the next launcher removes it as a dead launcher's leftover. The runtime dir is the VM
// user's: the staging dir is the launcher's own, made before the hand-over and written through its descriptor
// (common/private-dir.ts), then handed over, and the VM user builds the ISO into the seed dir the launcher created
// before the hand-over (stack/runtime-dir.ts). No path the VM user can change is written to by root.
// eslint-disable-next-line no-restricted-syntax -- the seed dir is made before the runtime dir is handed over (mkdir never follows a last link)
import { mkdir, open, stat } from 'node:fs/promises';
import { constants } from 'node:fs';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import { execa } from 'execa';
import { fail } from '../../domain/problem.js';
import { SYSTEM_PATH } from '../../domain/system.js';
import type { SeedPlan } from '../../domain/convert/index.js';
import type { RunAs } from '../common/run-as.js';
import { removeAs } from '../common/remove-as.js';
import { chownFd } from '../common/safe-files.js';
import type { PrivateDir } from '../common/private-dir.js';

/**
 * `staging`: the launcher's private dir for the seed's files (one use: it is removed afterwards, whatever happens).
 * `signal` (the launcher's shutdown) stops xorrisofs at once: Aborted, the staging and any partial ISO removed.
 */
export async function buildSeed(seed: SeedPlan, staging: PrivateDir, runAs: RunAs | undefined, timeoutMs: number, signal?: AbortSignal): Promise<{ path: string; ms: number; bytes: number }> {
  const t0 = performance.now();
  const seedDir = dirname(seed.path);
  await ensureSeedDir(seedDir, runAs);
  let handedOver = false;
  try {
    for (const f of seed.files) await staging.writeFile(f.path, f.data);
    await staging.handOver(runAs);
    handedOver = true;
    const r = await execa('xorrisofs', ['-output', seed.path, '-volid', seed.label, '-joliet', '-rock', '-partition_cyl_align', 'on', staging.path], {
      reject: false, timeout: timeoutMs, killSignal: 'SIGKILL', all: true, stdin: 'ignore', cwd: seedDir,
      env: { PATH: SYSTEM_PATH, LC_ALL: 'C' }, extendEnv: false,
      ...(runAs ? { uid: runAs.uid, gid: runAs.gid } : {}),
      ...(signal && { cancelSignal: signal }),
    });
    if (r.isCanceled) fail('Aborted', `building the cloud-init seed of ${seed.volume} stopped: a signal asked the launcher to stop`);
    if (r.timedOut) fail('CloudInitSeedFailed', `xorrisofs did not build the seed of ${seed.volume} within ${timeoutMs / 1000} s`);
    if (r.exitCode !== 0) {
      const why = String(r.all ?? '').trim().split('\n').filter((l) => /FAILURE|SORRY|error/i.test(l)).slice(-3).join(' / ') || r.shortMessage;
      fail('CloudInitSeedFailed', `xorrisofs could not build the seed of ${seed.volume}: ${why}`);
    }
    const { size } = await stat(seed.path);
    return { path: seed.path, ms: Math.round(performance.now() - t0), bytes: size };
  } finally {
    // Still the launcher's: emptied through its descriptor; the VM user's: removed by the VM user.
    if (!handedOver) await staging.empty().catch(() => undefined);
    await staging.close();
    if (handedOver) await removeAs([staging.path], runAs).catch(() => undefined);
  }
}

/**
 * The seed dir: `run` made it before handing the runtime dir over. Made here only when absent (a caller without a
 * claimed runtime dir): mkdir never follows a link at its last component, and the chown goes through a descriptor
 * opened without following one.
 */
async function ensureSeedDir(dir: string, runAs: RunAs | undefined): Promise<void> {
  try {
    await mkdir(dir, { mode: 0o700 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return;
    throw e;
  }
  if (!runAs) return;
  const fh = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  await chownFd(fh, runAs.uid, runAs.gid).finally(() => fh.close());
}
