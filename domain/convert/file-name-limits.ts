// libvirt names files after the domain (`<namespace>_<name>`) and the launcher names persistent NVRAM after the VMI;
// a file name holds at most 255 bytes (NAME_MAX). Kubernetes allows a 253-character name and a 63-character
// namespace, so a legal VMI can pass check and then fail at define or start. Measured with libvirt 9.0 (session):
// define writes `<domain>.xml.new` (name <= 247 bytes), EFI's `<domain>_VARS.fd.new` (<= 243), a TPM's
// `<domain>-swtpm.log` (<= 245); the launcher's `<nvram-dir>/<name>_VARS.fd` is written the same way (`.new`).
import { problem, type Problem } from '../problem.js';
import { Reason } from '../reasons.js';
import type { VmSpec } from '../model/index.js';

export const NAME_MAX = 255;

interface NamedFile { file: string; suffix: string; of: 'domain' | 'vmi' }

const ALWAYS: NamedFile = { file: 'libvirt\'s domain definition', suffix: '.xml.new', of: 'domain' };
const EFI: NamedFile = { file: 'libvirt\'s EFI variable store', suffix: '_VARS.fd.new', of: 'domain' };
const TPM: NamedFile = { file: 'swtpm\'s log', suffix: '-swtpm.log', of: 'domain' };
const PERSISTENT_NVRAM: NamedFile = { file: 'the persistent NVRAM in --nvram-dir', suffix: '_VARS.fd.new', of: 'vmi' };

const bytes = (s: string) => new TextEncoder().encode(s).length;

/** The files this VMI gets that are named after it, longest suffix first. */
function namedFiles(spec: Pick<VmSpec, 'hardware'>): NamedFile[] {
  const fw = spec.hardware?.firmware;
  return [
    ...(fw?.bootloader === 'efi' ? [fw.persistentNvram ? PERSISTENT_NVRAM : EFI] : []),
    ...(spec.hardware?.tpm ? [TPM] : []),
    ALWAYS,
  ];
}

/** A problem when some file named after the VMI would exceed NAME_MAX, with the exact limit on metadata.name. */
export function fileNameProblems(spec: Pick<VmSpec, 'name' | 'namespace' | 'hardware'>): Problem[] {
  const domain = `${spec.namespace}_${spec.name}`;
  // The most characters metadata.name may have for each file; the tightest one is the limit.
  const rooms = namedFiles(spec).map((f) => ({ f, room: NAME_MAX - bytes(f.suffix) - (f.of === 'domain' ? bytes(spec.namespace) + 1 : 0) }));
  const tightest = rooms.reduce((a, b) => (b.room < a.room ? b : a));
  if (bytes(spec.name) <= tightest.room) return [];
  const { f, room } = tightest;
  const name = `${f.of === 'domain' ? domain : spec.name}${f.suffix}`;
  return [problem(Reason.NameTooLongForFiles, `metadata.name: ${f.file} would be named ${name}, ${bytes(name)} bytes; a file name holds ${NAME_MAX}. `
    + `${f.of === 'domain' ? `In namespace ${spec.namespace} this` : 'This'} VMI's name may have at most ${room} characters (it has ${bytes(spec.name)})`, {
    field: 'metadata.name', fix: `shorten metadata.name to at most ${room} characters${f.of === 'domain' ? ' (or use a shorter namespace)' : ''}`,
  })];
}
