// Every file of the private libvirt stack lives under the launcher's runtime directory, so
// nothing host-wide is touched and two launchers never share anything but the QEMU
// capabilities cache (kept in its own directory on purpose: it makes pod starts fast).
import { join } from 'node:path';
import { isSafeVolumeName } from './volume-paths.js';

/** The launcher's own marker file: proof that a runtime dir is a vm-launcher's (stack/ownership-marker.ts). */
export const OWNER_MARKER_NAME = 'vm-launcher.owner';

/**
 * Every name the launcher (or the stack it starts) creates at the top of the runtime dir. Only these are ever
 * removed, at exit or as a dead launcher's leftovers; anything else there is someone else's and stays.
 */
export const RUNTIME_DIR_NAMES = [
  OWNER_MARKER_NAME, 'status.json', 'console.log', 'console.log.1', 'console.sock', 'serial0.sock', 'agent.sock', 'vmi.json', 'domain.xml', 'bus.conf', 'bus.sock',
  'home', 'run', 'config', 'logs', 'cache', 'cloud-init', 'seed-staging', 'virtiofs',
] as const;

export interface RuntimeLayout {
  root: string;
  ownerMarker: string;
  statusFile: string;
  /** The guest's serial output, written (bounded) by the launcher: run/console-file.ts. */
  consoleLog: string;
  /** The launcher's console socket: `vm-launcher console` attaches here (run/console-broker.ts). */
  consoleSocket: string;
  /** QEMU's serial port 0 (KubeVirt's virt-serial0): QEMU listens, the launcher alone connects. */
  serialSocket: string;
  /** The guest agent's channel (QEMU listens, libvirt connects). */
  agentSocket: string;
  vmiJson: string;
  domainXml: string;
  busConfig: string;
  busSocket: string;
  busAddress: string;
  home: string;
  xdgRuntime: string;
  xdgConfig: string;
  qemuConf: string;
  libvirtdConf: string;
  libvirtSocket: string;
  qemuPidDir: string;
  logsDir: string;
  /** cloud-init seeds: `<seedDir>/<volume>.iso`, built by run as the VM user. */
  seedDir: string;
  /** The seed's files before xorrisofs reads them: the launcher's own (0700), made before the hand-over (common/private-dir.ts). */
  seedStaging: string;
  /** passt's own log (it runs daemonized, so it has no stderr to follow). */
  passtLog: string;
  /** The sockets of the launcher's virtiofsd processes: `<virtiofsDir>/<volume>.sock`. */
  virtiofsDir: string;
  cacheDir: string;
}

export function runtimeLayout(root: string, cacheDir: string): RuntimeLayout {
  const xdgRuntime = join(root, 'run');
  const xdgConfig = join(root, 'config');
  const busSocket = join(root, 'bus.sock');
  return {
    root,
    ownerMarker: join(root, OWNER_MARKER_NAME),
    statusFile: join(root, 'status.json'),
    consoleLog: join(root, 'console.log'),
    consoleSocket: join(root, 'console.sock'),
    serialSocket: join(root, 'serial0.sock'),
    agentSocket: join(root, 'agent.sock'),
    vmiJson: join(root, 'vmi.json'),
    domainXml: join(root, 'domain.xml'),
    busConfig: join(root, 'bus.conf'),
    busSocket,
    busAddress: `unix:path=${busSocket}`,
    home: join(root, 'home'),
    xdgRuntime,
    xdgConfig,
    qemuConf: join(xdgConfig, 'libvirt', 'qemu.conf'),
    libvirtdConf: join(xdgConfig, 'libvirt', 'libvirtd.conf'),
    libvirtSocket: join(xdgRuntime, 'libvirt', 'libvirt-sock'),
    qemuPidDir: join(xdgRuntime, 'libvirt', 'qemu', 'run'),
    logsDir: join(root, 'logs'),
    seedDir: join(root, 'cloud-init'),
    seedStaging: join(root, 'seed-staging'),
    passtLog: join(root, 'logs', 'passt.log'),
    virtiofsDir: join(root, 'virtiofs'),
    cacheDir,
  };
}

/** The seed of a cloud-init volume (its name is a checked DNS-1123 label). */
export function seedPath(l: RuntimeLayout, volume: string): string {
  if (!isSafeVolumeName(volume)) throw new Error(`unsafe volume name reached seedPath: ${JSON.stringify(volume)}`);
  return join(l.seedDir, `${volume}.iso`);
}
