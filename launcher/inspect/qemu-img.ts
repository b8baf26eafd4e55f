// `qemu-img info` on an image the launcher does not trust: it can only refuse. It runs
// under a time, CPU and memory limit, as the unprivileged VM user, on an absolute path
// (so no `json:`/protocol prefix can be smuggled in), and opens the image read-only. `run`'s shutdown signal stops
// it at once (Aborted): an image on a stalled volume must not hold a SIGTERM up for the whole timeout.
import { execa } from 'execa';
import { fail } from '../../domain/problem.js';
import { SYSTEM_PATH } from '../../domain/system.js';
import type { QemuImgLimits } from '../plan/plan.js';

export interface ImageInfo {
  format: string;
  virtualSize: number;
  actualSize?: number;
  backingFilename?: string;
}


/** Every failure is a LauncherError: DiskImageInspectTimeout or DiskImageInspectFailed. */
const failed = (message: string) => fail('DiskImageInspectFailed', message);

/** `format: 'raw'`: no probing (an image known to be raw, whatever its first bytes look like). */
export async function qemuImgInfo(path: string, limits: QemuImgLimits, knownFormat?: 'raw', signal?: AbortSignal): Promise<ImageInfo> {
  if (!path.startsWith('/')) failed(`refusing a relative image path: ${path}`);
  const cpuSeconds = Math.max(1, Math.ceil(limits.timeoutMs / 1000));
  const r = await execa('prlimit', [
    `--as=${limits.memoryBytes}`, `--cpu=${cpuSeconds}`, '--',
    'qemu-img', 'info', '--output=json', ...(knownFormat ? ['-f', knownFormat] : []), path,
  ], {
    reject: false,
    timeout: limits.timeoutMs,
    killSignal: 'SIGKILL',
    maxBuffer: 4 * 1024 * 1024,
    stdin: 'ignore',
    env: { LANG: 'C', PATH: process.env.PATH ?? SYSTEM_PATH },
    extendEnv: false,
    ...(limits.runAs ? { uid: limits.runAs.uid, gid: limits.runAs.gid } : {}),
    ...(signal && { cancelSignal: signal }),
  });
  if (r.isCanceled) fail('Aborted', `qemu-img info ${path} stopped: a signal asked the launcher to stop`);
  if (r.timedOut) fail('DiskImageInspectTimeout', `qemu-img info did not finish within ${limits.timeoutMs} ms`);
  if (r.exitCode !== 0) {
    const why = String(r.stderr).trim().split('\n').filter(Boolean).pop() ?? `exit code ${r.exitCode}`;
    failed(why.replace(/^qemu-img: /, ''));
  }
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(String(r.stdout)) as Record<string, unknown>;
  } catch {
    return failed('qemu-img info printed something that is not JSON');
  }
  const format = parsed['format'];
  const virtualSize = parsed['virtual-size'];
  if (typeof format !== 'string' || typeof virtualSize !== 'number') {
    return failed('qemu-img info gave no format or virtual size');
  }
  const info: ImageInfo = { format, virtualSize };
  if (typeof parsed['actual-size'] === 'number') info.actualSize = parsed['actual-size'];
  const backing = parsed['full-backing-filename'] ?? parsed['backing-filename'];
  if (typeof backing === 'string' && backing !== '') info.backingFilename = backing;
  return info;
}
