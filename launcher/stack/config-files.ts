// The configuration files the launcher writes for its private stack.

const xmlEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * A session-type bus that only lives in the runtime dir and accepts exactly two users: the launcher's and the VM
 * user's (the bus runs as the latter; a root launcher must be let in by name). Anyone else who reaches the socket is
 * refused at connection time; the runtime dir's mode (0700) is a second fence, not the only one.
 */
export function busConfig(socketPath: string, uids: readonly number[]): string {
  const users = uids.map((u) => `    <allow user="${Number(u)}"/>`).join('\n');
  return `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=${xmlEscape(socketPath)}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
${users}
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`;
}

/**
 * qemu.conf for a session-mode libvirtd run by an unprivileged user: QEMU's stdio goes to a
 * file (no virtlogd to run), and nothing relies on xattrs or writable cgroups, which
 * containers do not give.
 */
export function qemuConf(): string {
  return [
    '# written by vm-launcher for its private libvirt stack',
    'stdio_handler = "file"',
    'remember_owner = 0',
    'cgroup_controllers = [ ]',
    '',
  ].join('\n');
}

/**
 * libvirtd.conf for the session daemon of one VM: its thread pools at their smallest. libvirtd starts min_workers +
 * prio_workers RPC threads and admin_min_workers admin threads at once (5 + 5 + 1 by default: 11 threads measured, 3 with this file) and grows each pool on
 * demand up to its max (kept at libvirt's defaults): one client (libvirt-dbus) and one domain never need more
 * to start with, and each idle thread costs a stack and, without MALLOC_ARENA_MAX, a malloc arena.
 */
export function libvirtdConf(): string {
  return [
    '# written by vm-launcher for its private libvirt stack',
    'min_workers = 1',
    'prio_workers = 1',
    'admin_min_workers = 1',
    '',
  ].join('\n');
}
