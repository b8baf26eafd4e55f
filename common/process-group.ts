// A child (a hook, a daemon of the stack, virtiofsd) runs as the leader of its own process group, so "the child"
// means it and everything it started. Killing the group is how a timeout is enforced and how processes left in the
// background after the child exits are cleaned up. (A process that calls setsid() on purpose leaves the group; only
// a PID namespace or a cgroup could hold it, which is the pod's job.)

const liveGroups = new Set<number>();
let exitHandlerInstalled = false;

/** Signal every process in group `pgid`; quiet when the group is already empty. */
export function signalGroup(pgid: number | undefined, sig: NodeJS.Signals): void {
  if (pgid === undefined || pgid <= 1) return; // never -0 (our own group) or -1 (every process we may signal)
  try {
    process.kill(-pgid, sig);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
  }
}

/** SIGKILL every process in group `pgid`. */
export const killGroup = (pgid: number | undefined): void => signalGroup(pgid, 'SIGKILL');

/**
 * Remember a running hook's group so that it is killed if the launcher exits mid-hook. execa's own `cleanup`
 * is ignored for detached subprocesses, hence this.
 */
export function trackGroup(pgid: number): () => void {
  if (!exitHandlerInstalled) {
    exitHandlerInstalled = true;
    process.on('exit', () => { for (const g of liveGroups) killGroup(g); });
  }
  liveGroups.add(pgid);
  return () => { liveGroups.delete(pgid); };
}
