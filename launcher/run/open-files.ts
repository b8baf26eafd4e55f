// Forwarding every port makes passt open one socket per port: it inherits its open-file limit from libvirtd, which
// inherits the launcher's. Preflight checked the hard limit allows it; here the soft limit is raised to the hard one
// before the stack starts (node has no setrlimit: util-linux's prlimit sets it on the launcher's own pid, which
// needs no privilege below the hard limit).
import { execa } from 'execa';
import { SYSTEM_PATH } from '../../domain/system.js';
import type { OpenFiles } from '../inspect/inspect-network.js';

export async function raiseOpenFileLimit(limits: OpenFiles): Promise<{ ok: boolean; message: string }> {
  const hard = limits.hard >= Number.MAX_SAFE_INTEGER ? 'unlimited' : String(limits.hard);
  const r = await execa('prlimit', ['--pid', String(process.pid), `--nofile=${hard}:${hard}`], {
    reject: false, timeout: 5000, all: true, env: { PATH: SYSTEM_PATH, LC_ALL: 'C' }, extendEnv: false,
  });
  return r.exitCode === 0
    ? { ok: true, message: `open-file soft limit raised from ${limits.soft} to ${hard} (passt needs about ${limits.need} to forward every port)` }
    : { ok: false, message: `prlimit could not raise the open-file soft limit from ${limits.soft}: ${String(r.all ?? r.shortMessage).trim()}` };
}
