// `qemu-img info` on an image the launcher does not trust: it can only refuse. It runs
// under a time, CPU and memory limit, as the unprivileged VM user, on an absolute path
// (so no `json:`/protocol prefix can be smuggled in), and opens the image read-only.
import { execa } from 'execa';
import type { RunAs } from './run-as.js';

export interface ImageInfo {
  format: string;
  virtualSize: number;
  actualSize?: number;
  backingFilename?: string;
}

export interface QemuImgLimits {
  timeoutMs: number;
  memoryBytes: number;
  runAs?: RunAs;
}

export const defaultQemuImgLimits: QemuImgLimits = { timeoutMs: 10_000, memoryBytes: 1024 * 1024 * 1024 };

export class QemuImgError extends Error {
  constructor(message: string, readonly timedOut: boolean) { super(message); }
}

export async function qemuImgInfo(path: string, limits: QemuImgLimits = defaultQemuImgLimits): Promise<ImageInfo> {
  if (!path.startsWith('/')) throw new QemuImgError(`refusing a relative image path: ${path}`, false);
  const cpuSeconds = Math.max(1, Math.ceil(limits.timeoutMs / 1000));
  const r = await execa('prlimit', [
    `--as=${limits.memoryBytes}`, `--cpu=${cpuSeconds}`, '--',
    'qemu-img', 'info', '--output=json', path,
  ], {
    reject: false,
    timeout: limits.timeoutMs,
    killSignal: 'SIGKILL',
    maxBuffer: 4 * 1024 * 1024,
    stdin: 'ignore',
    env: { LANG: 'C', PATH: process.env.PATH ?? '/usr/bin:/bin' },
    extendEnv: false,
    ...(limits.runAs ? { uid: limits.runAs.uid, gid: limits.runAs.gid } : {}),
  });
  if (r.timedOut) throw new QemuImgError(`qemu-img info did not finish within ${limits.timeoutMs} ms`, true);
  if (r.exitCode !== 0) {
    const why = String(r.stderr).trim().split('\n').filter(Boolean).pop() ?? `exit code ${r.exitCode}`;
    throw new QemuImgError(why.replace(/^qemu-img: /, ''), false);
  }
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(String(r.stdout)) as Record<string, unknown>;
  } catch {
    throw new QemuImgError('qemu-img info printed something that is not JSON', false);
  }
  const format = parsed['format'];
  const virtualSize = parsed['virtual-size'];
  if (typeof format !== 'string' || typeof virtualSize !== 'number') {
    throw new QemuImgError('qemu-img info gave no format or virtual size', false);
  }
  const info: ImageInfo = { format, virtualSize };
  if (typeof parsed['actual-size'] === 'number') info.actualSize = parsed['actual-size'];
  const backing = parsed['full-backing-filename'] ?? parsed['backing-filename'];
  if (typeof backing === 'string' && backing !== '') info.backingFilename = backing;
  return info;
}
