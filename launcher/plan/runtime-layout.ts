// Every file of the private libvirt stack lives under the launcher's runtime directory, so
// nothing host-wide is touched and two launchers never share anything but the QEMU
// capabilities cache (kept in its own directory on purpose: it makes pod starts fast).
import { join } from 'node:path';

export interface RuntimeLayout {
  root: string;
  statusFile: string;
  consoleLog: string;
  vmiJson: string;
  domainXml: string;
  busConfig: string;
  busSocket: string;
  busAddress: string;
  home: string;
  xdgRuntime: string;
  xdgConfig: string;
  qemuConf: string;
  libvirtSocket: string;
  qemuPidDir: string;
  logsDir: string;
  cacheDir: string;
}

export function runtimeLayout(root: string, cacheDir: string): RuntimeLayout {
  const xdgRuntime = join(root, 'run');
  const xdgConfig = join(root, 'config');
  const busSocket = join(root, 'bus.sock');
  return {
    root,
    statusFile: join(root, 'status.json'),
    consoleLog: join(root, 'console.log'),
    vmiJson: join(root, 'vmi.json'),
    domainXml: join(root, 'domain.xml'),
    busConfig: join(root, 'bus.conf'),
    busSocket,
    busAddress: `unix:path=${busSocket}`,
    home: join(root, 'home'),
    xdgRuntime,
    xdgConfig,
    qemuConf: join(xdgConfig, 'libvirt', 'qemu.conf'),
    libvirtSocket: join(xdgRuntime, 'libvirt', 'libvirt-sock'),
    qemuPidDir: join(xdgRuntime, 'libvirt', 'qemu', 'run'),
    logsDir: join(root, 'logs'),
    cacheDir,
  };
}
