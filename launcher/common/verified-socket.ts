// Connecting to a unix socket in a directory another user can write (the runtime dir is the VM user's). connect()
// follows links: a root process connecting by path would talk to whatever socket a planted link names (a root-only
// daemon, say), and the operator's typing would go there. So the socket is opened first with O_PATH|O_NOFOLLOW (a
// link is opened as itself), checked on that descriptor (a socket, owned by an expected user), and connected through
// /proc/self/fd/N, which resolves to that very inode and never again to the path.
import { constants, openSync, closeSync, fstatSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { O_PATH } from './user-dir.js';

export class SocketRefused extends Error {
  constructor(message: string, readonly code: string) { super(message); }
}

/** Connects to the socket at `path` only when it is a socket (not a link) owned by one of `owners`. */
export async function connectVerified(path: string, owners: readonly number[]): Promise<Socket> {
  let fd: number;
  try {
    fd = openSync(path, O_PATH | constants.O_NOFOLLOW);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
    throw new SocketRefused(`${path}: ${code}`, code);
  }
  try {
    const st = fstatSync(fd);
    if (st.isSymbolicLink()) throw new SocketRefused(`${path} is a symbolic link, not the launcher's socket (someone replaced it): refused`, 'ELINK');
    if (!st.isSocket()) throw new SocketRefused(`${path} is not a socket: refused`, 'ENOTSOCK');
    if (!owners.includes(st.uid)) throw new SocketRefused(`${path} is owned by uid ${st.uid}, not ${owners.join(' or ')}: refused`, 'EOWNER');
    return await new Promise<Socket>((resolve, reject) => {
      const s = connect(`/proc/self/fd/${fd}`);
      s.once('connect', () => { s.removeListener('error', reject); resolve(s); });
      s.once('error', reject);
    });
  } finally {
    closeSync(fd);
  }
}
