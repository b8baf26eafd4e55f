// What `run` needs from the machine beyond the volumes: the stack's programs and a passwd
// entry for the VM user (libvirtd and dbus-daemon refuse to run without one).
import { access, constants } from 'node:fs/promises';
import { problem, type Problem } from '../../domain/problem.js';
import { userExists, type RunAs, vmUid } from '../common/run-as.js';

const PROGRAMS: Array<{ name: string; paths: string[]; pkg: string }> = [
  { name: 'dbus-daemon', paths: ['/usr/bin/dbus-daemon', '/bin/dbus-daemon'], pkg: 'dbus-daemon (dbus on bookworm)' },
  { name: 'libvirtd', paths: ['/usr/sbin/libvirtd', '/usr/bin/libvirtd'], pkg: 'libvirt-daemon libvirt-daemon-driver-qemu' },
  { name: 'libvirt-dbus', paths: ['/usr/sbin/libvirt-dbus', '/usr/bin/libvirt-dbus'], pkg: 'libvirt-dbus' },
  { name: 'qemu-system-x86_64', paths: ['/usr/bin/qemu-system-x86_64'], pkg: 'qemu-system-x86' },
  { name: 'qemu-img', paths: ['/usr/bin/qemu-img'], pkg: 'qemu-utils' },
];

const executable = async (p: string) => access(p, constants.X_OK).then(() => true, () => false);

export async function checkHost(runAs: RunAs | undefined): Promise<Problem[]> {
  const problems: Problem[] = [];
  for (const prog of PROGRAMS) {
    const found = await Promise.all(prog.paths.map(executable));
    if (!found.some(Boolean)) {
      problems.push(problem('HostProgramMissing', `${prog.name} is not installed`, { fix: `apt-get install --no-install-recommends ${prog.pkg}` }));
    }
  }
  const uid = vmUid(runAs);
  if (!(await userExists(uid))) {
    problems.push(problem('RunAsUserUnknown', `uid ${uid}, which runs QEMU and libvirt, has no passwd entry`, {
      fix: `Create it: useradd --system -u ${uid} -g ${runAs?.gid ?? uid} -M -s /usr/sbin/nologin vm-launcher (the container image has one).`,
    }));
  }
  return problems;
}
