// Who QEMU (and the whole private libvirt stack) runs as. QEMU never runs as root: when the
// launcher is root it hands the stack to an unprivileged user (KubeVirt uses uid 107).
import { execa } from 'execa';

export interface RunAs { uid: number; gid: number }

/** The uid QEMU and the stack run as: the configured VM user when the launcher is root, else the launcher's own. */
export const vmUid = (runAs: RunAs | undefined): number => runAs?.uid ?? process.getuid?.() ?? 0;

/** The launcher's uid and the VM user's: the only owners the launcher believes in directories they share. */
export const launcherAndVmUids = (runAs: RunAs | undefined): number[] => [...new Set([process.getuid?.() ?? 0, vmUid(runAs)])];

/**
 * Who may own a directory or file the launcher believes in a place both it and the VM user write: root (a Kubernetes
 * emptyDir is root's, 0777 with fsGroup 107; root is trusted anyway), the launcher and the VM user.
 */
export const trustedOwners = (runAs: RunAs | undefined): number[] => [...new Set([0, ...launcherAndVmUids(runAs)])];

/** The user the stack runs as: the launcher's own when it is not root, else `configured`. */
export function effectiveRunAs(configured: RunAs): RunAs | undefined {
  const uid = process.getuid?.() ?? 0;
  return uid === 0 ? configured : undefined;
}

export function parseRunAs(text: string): RunAs | undefined {
  const m = /^(\d{1,10})(?::(\d{1,10}))?$/.exec(text.trim());
  if (!m) return undefined;
  const uid = Number(m[1]);
  const gid = m[2] === undefined ? uid : Number(m[2]);
  if (uid === 0) return undefined; // root is exactly what this option exists to avoid
  return { uid, gid };
}

/**
 * Whether the user QEMU will run as may open `path` for reading (and writing).
 * For another uid, `test(1)` runs as that user: the kernel decides, as it will for QEMU
 * (uid, gid, no supplementary groups: exactly what the stack's processes get).
 */
export async function canAccess(path: string, write: boolean, runAs: RunAs | undefined): Promise<boolean> {
  if (!runAs) {
    const { access, constants } = await import('node:fs/promises');
    try {
      await access(path, write ? constants.R_OK | constants.W_OK : constants.R_OK);
      return true;
    } catch {
      return false;
    }
  }
  const args = write ? ['-r', path, '-a', '-w', path] : ['-r', path];
  const r = await execa('/usr/bin/test', args, { uid: runAs.uid, gid: runAs.gid, reject: false, timeout: 5000, env: {}, extendEnv: false });
  return r.exitCode === 0;
}

/** A passwd entry for the uid: libvirtd and dbus-daemon refuse to run without one. */
export async function userExists(uid: number): Promise<boolean> {
  const r = await execa('getent', ['passwd', String(uid)], { reject: false, timeout: 5000 });
  return r.exitCode === 0;
}
