// The guest's virtiofs shares in the domain, as KubeVirt's converter writes them: libvirt only connects QEMU to the
// socket of a virtiofsd the launcher started (`<source socket>`: libvirt's "externally launched virtiofsd"), the
// tag is the filesystem's name, and vhost-user needs the guest's memory shared (memfd), as for passt.
import { problem, type Problem } from '../problem.js';
import type { Domain, DomainFilesystem } from '../libvirt/index.js';
import type { FilesystemSpec } from '../model/index.js';

/** Where the launcher's virtiofsd for `volume` listens (the volume name is a checked DNS-1123 label). */
// A function declaration, not an exported arrow: Stryker's instrumented arrow would type as string | undefined.
export function virtiofsSocketPath(dir: string, volume: string): string {
  return `${dir}/${volume}.sock`;
}

/** KubeVirt's queue size for a virtiofs device. */
export const VIRTIOFS_QUEUE_SIZE = 1024;

export interface BuiltFilesystems {
  filesystems: DomainFilesystem[];
  memoryBacking?: Domain['memoryBacking'];
}

export function buildFilesystems(problems: Problem[], shares: readonly FilesystemSpec[], socketDir: string | undefined): BuiltFilesystems {
  if (shares.length === 0) return { filesystems: [] };
  if (socketDir === undefined) {
    problems.push(problem('InternalError', 'the virtiofs socket dir was not given before the domain was built (a bug)', { field: shares[0]!.field }));
    return { filesystems: [] };
  }
  return {
    filesystems: shares.map((s) => ({ socket: virtiofsSocketPath(socketDir, s.volumeName), tag: s.name, queue: VIRTIOFS_QUEUE_SIZE })),
    memoryBacking: { source: 'memfd', access: 'shared' },
  };
}
