// The machine a benchmark ran on, printed with its figures: a table is worth little without it.
import { cpus, loadavg, release } from 'node:os';
import { execFileSync } from 'node:child_process';

const firstLine = (cmd: string, args: string[]): string => {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe'] }).trim().split('\n')[0] ?? '?';
  } catch {
    return 'not installed';
  }
};

export const loadAverage = (): string => loadavg().map((l) => l.toFixed(2)).join(' ');

/** CPU model and cores, load average, kernel, node, QEMU and libvirt versions: one markdown line each. */
export function machineLines(): string[] {
  const c = cpus();
  return [
    `- CPU: ${c[0]?.model ?? '?'}, ${c.length} cores; load average at start: ${loadAverage()}`,
    `- kernel ${release()}, node ${process.version}`,
    `- ${firstLine('qemu-system-x86_64', ['--version'])}`,
    `- ${firstLine('/usr/sbin/libvirtd', ['--version'])}; libvirt-dbus ${firstLine('dpkg-query', ['-W', '-f', '${Version}', 'libvirt-dbus'])}`,
  ];
}
