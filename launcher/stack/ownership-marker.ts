// The proof that a runtime dir is a vm-launcher's: a file in the launcher's own format, owned by the launcher's
// user, naming the launcher's pid (with its start time and the boot it ran in) and the processes it started. A
// directory is only ever emptied when its marker proves it belonged to a launcher that is dead; the processes the
// marker names are stopped first, but only those still provably the same (pid, start time, boot).
import { readTrusted, UntrustedFileError, writeFileSafely } from '../common/safe-files.js';
import { bootId, processStart, sameProcess } from '../common/proc.js';

export const MARKER_FORMAT = 'vm-launcher-runtime-dir/1';

export interface RecordedProcess {
  role: string;
  pid: number;
  start: number;
  /** The pid leads its own process group (a daemon): the whole group is signalled. */
  group: boolean;
}

export interface OwnerMarker {
  format: typeof MARKER_FORMAT;
  bootId: string;
  pid: number;
  start: number;
  processes: RecordedProcess[];
}

export function markerForThisProcess(): OwnerMarker {
  return { format: MARKER_FORMAT, bootId: bootId(), pid: process.pid, start: processStart(process.pid) ?? 0, processes: [] };
}

export async function writeMarker(path: string, marker: OwnerMarker): Promise<void> {
  await writeFileSafely(path, JSON.stringify(marker) + '\n', { mode: 0o644 });
}

export type MarkerRead = { state: 'absent' } | { state: 'foreign'; why: string } | { state: 'ours'; marker: OwnerMarker };

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** Reads the marker; 'foreign' for anything not provably written by a launcher of this user. */
export async function readMarker(path: string): Promise<MarkerRead> {
  let text: string;
  try {
    text = await readTrusted(path, { owners: [process.getuid?.() ?? 0], notWritableByOthers: true, maxBytes: 64 * 1024 });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { state: 'absent' };
    return { state: 'foreign', why: e instanceof UntrustedFileError ? e.message : `cannot read it (${code ?? (e as Error).message})` };
  }
  let m: Partial<OwnerMarker>;
  try {
    m = JSON.parse(text) as Partial<OwnerMarker>;
  } catch {
    return { state: 'foreign', why: 'it is not JSON' };
  }
  const processesOk = Array.isArray(m.processes) && m.processes.every((p) =>
    typeof p === 'object' && p !== null && typeof p.role === 'string' && isInt(p.pid) && p.pid > 1 && isInt(p.start) && typeof p.group === 'boolean');
  if (m.format !== MARKER_FORMAT || typeof m.bootId !== 'string' || !isInt(m.pid) || !isInt(m.start) || !processesOk) {
    return { state: 'foreign', why: `it is not in the format ${MARKER_FORMAT}` };
  }
  return { state: 'ours', marker: m as OwnerMarker };
}

/** The launcher that wrote the marker still runs (same pid, start time and boot). */
export const launcherAlive = (m: OwnerMarker): boolean => sameProcess({ pid: m.pid, start: m.start, bootId: m.bootId });

/** The recorded processes that are still the very processes the dead launcher started. */
export const survivors = (m: OwnerMarker): RecordedProcess[] =>
  m.processes.filter((p) => sameProcess({ pid: p.pid, start: p.start, bootId: m.bootId }));
