// The status file Kubernetes exec probes read (`vm-launcher probe ready|live`). Written
// atomically: a probe never sees half a file.
import { readFile, rename, writeFile } from 'node:fs/promises';

export type Phase = 'Preflight' | 'StartingStack' | 'Defining' | 'Starting' | 'Running' | 'ShuttingDown' | 'Stopped' | 'Failed' | 'Aborted';

export interface Status {
  phase: Phase;
  since: string;
  reason: string;
  message: string;
  pid: number;
  vmi?: { namespace: string; name: string; uid?: string };
}

export async function writeStatus(path: string, status: Status): Promise<void> {
  const tmp = `${path}.tmp`;
  await writeFile(tmp, JSON.stringify(status) + '\n');
  await rename(tmp, path);
}

export async function readStatus(path: string): Promise<Status | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Status;
  } catch {
    return undefined;
  }
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
