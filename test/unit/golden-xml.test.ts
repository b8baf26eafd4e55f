// Golden domain XML: a table of manifests and the facts a pod would give them -> the exact XML, compared in full.
// The expected files under test/golden/ are for reviewers to read; test/integration/domain-schema.test.ts checks
// each against libvirt's schema. Refresh after a deliberate change with:
//   UPDATE_GOLDEN=1 npm run test:unit -- --match 'golden*'      (then review `git diff test/golden`)
import test from 'ava';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildDomain } from '../../domain/convert/index.js';
import { domainToXml } from '../../domain/libvirt/index.js';
import type { Accel, DomainOptions, VolumeFacts, VolumeKind, NetworkOptions } from '../../domain/model/index.js';
import { parseVmiText } from '../../domain/manifest/index.js';
import { hostDiskPathOf } from '../helpers/disk-source.js';
import { SHARED_EXAMPLES, sharedExamplesAbsent, sharedExamplesPresent } from '../helpers/shared-examples.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const goldenDir = `${repo}test/golden/`;
const sharedExamples = SHARED_EXAMPLES;

/** created: a disk run makes (an emptyDisk, or an overlay on this volume's image) in the ephemeral dir. */
interface VolumeShape { kind: VolumeKind; sparse?: boolean; noDirectIo?: boolean; created?: 'emptyDisk' | 'overlay' }
interface GoldenCase {
  /** test/golden/<name>.xml */
  name: string;
  manifest: string;
  accel: Accel;
  volumes: Record<string, VolumeShape>;
  /** The passt backend launcher/inspect would have chosen. */
  network?: NetworkOptions;
  opts?: Partial<DomainOptions>;
}

const fs = (extra: Partial<VolumeShape> = {}): VolumeShape => ({ kind: 'filesystem', sparse: true, ...extra });
const seed: VolumeShape = { kind: 'cloudInit' };
const passt = (backend: NetworkOptions['backend']): NetworkOptions => ({ backend, passtLogFile: '/var/run/vm-launcher/logs/passt.log' });
/** Network and cloud-init forms beyond the examples (test/golden/manifests/). */
const manifests = `${repo}test/golden/manifests/`;

export const GOLDEN_CASES: GoldenCase[] = [
  { name: 'filesystem-pvc-tcg', manifest: `${repo}examples/vmi/vmi-filesystem-pvc.yaml`, accel: 'qemu', volumes: { rootdisk: fs() } },
  { name: 'filesystem-pvc-preallocated-kvm', manifest: `${repo}examples/vmi/vmi-filesystem-pvc.yaml`, accel: 'kvm', volumes: { rootdisk: fs({ sparse: false }) } },
  { name: 'filesystem-pvc-tmpfs', manifest: `${repo}examples/vmi/vmi-filesystem-pvc.yaml`, accel: 'qemu', volumes: { rootdisk: fs({ noDirectIo: true }) } },
  { name: 'block-pvc-kvm', manifest: `${repo}examples/vmi/vmi-block-pvc.yaml`, accel: 'kvm', volumes: { rootdisk: { kind: 'block' } } },
  { name: 'two-disks', manifest: `${repo}examples/vmi/vmi-two-disks.yaml`, accel: 'qemu', volumes: { rootdisk: fs(), datadisk: fs({ sparse: false }) } },
  { name: 'compact', manifest: `${repo}examples/vmi/vmi-compact.yaml`, accel: 'qemu', volumes: { rootdisk: fs() } },
  { name: 'kubevirt-vmi-pvc', manifest: `${sharedExamples}vmi-pvc.yaml`, accel: 'kvm', volumes: { pvcdisk: fs() } },
  { name: 'kubevirt-vmi-block-pvc', manifest: `${sharedExamples}vmi-block-pvc.yaml`, accel: 'kvm', volumes: { blockpvcdisk: { kind: 'block' } } },
  { name: 'kubevirt-vmi-host-disk', manifest: `${sharedExamples}vmi-host-disk.yaml`, accel: 'kvm', volumes: { 'host-disk': { kind: 'hostDisk', sparse: true } } },
  { name: 'debian-ssh-masquerade-vhost-user', manifest: `${repo}examples/vmi/vmi-debian-ssh.yaml`, accel: 'kvm', volumes: { rootdisk: fs(), cloudinit: seed }, network: passt('vhost-user') },
  { name: 'debian-ssh-masquerade-user', manifest: `${repo}examples/vmi/vmi-debian-ssh.yaml`, accel: 'qemu', volumes: { rootdisk: fs(), cloudinit: seed }, network: passt('user') },
  { name: 'passt-binding-all-ports-configdrive', manifest: `${manifests}passt-binding-all-ports-configdrive.yaml`, accel: 'kvm', volumes: { rootdisk: fs(), configdrive: seed }, network: passt('vhost-user') },
  { name: 'passt-plugin-mac-e1000', manifest: `${manifests}passt-plugin-mac-e1000.yaml`, accel: 'qemu', volumes: { rootdisk: fs() }, network: passt('user') },
  { name: 'kubevirt-vm-alpine-multipvc', manifest: `${sharedExamples}vm-alpine-multipvc.yaml`, accel: 'kvm', volumes: { pvcdisk1: fs(), pvcdisk2: fs() } },
  { name: 'design-example', manifest: `${repo}examples/vmi/vmi-design-example.yaml`, accel: 'qemu', volumes: { 'my-fs-store': fs() } },
  { name: 'devices-kvm', manifest: `${repo}examples/vmi/vmi-devices.yaml`, accel: 'kvm', volumes: { rootdisk: fs(), datadisk: { kind: 'block' } } },
  { name: 'scratch-disks', manifest: `${repo}examples/vmi/vmi-scratch-disks.yaml`, accel: 'qemu', volumes: { rootdisk: fs({ created: 'overlay' }), scratch: fs({ created: 'emptyDisk' }) } },
  { name: 'efi-secureboot', manifest: `${repo}examples/vmi/vmi-efi.yaml`, accel: 'qemu', volumes: { rootdisk: fs() } },
  {
    name: 'efi-secureboot-persistent', manifest: `${repo}test/fixtures/manifests/vmi-efi-persistent.yaml`, accel: 'kvm', volumes: { rootdisk: fs() },
    opts: { nvramPath: '/var/lib/libvirt/qemu/nvram/default_vmi-efi-persistent_VARS.fd' },
  },
  {
    name: 'virtiofs-share', manifest: `${manifests}virtiofs-share.yaml`, accel: 'qemu', volumes: { rootdisk: fs() },
    opts: { virtiofsSocketDir: '/var/run/vm-launcher/virtiofs' },
  },
  {
    name: 'virtiofs-with-passt', manifest: `${manifests}virtiofs-with-passt.yaml`, accel: 'kvm', volumes: { rootdisk: fs() }, network: passt('vhost-user'),
    opts: { virtiofsSocketDir: '/var/run/vm-launcher/virtiofs' },
  },
  { name: 'clock-timers-tcg', manifest: `${manifests}clock-timers.yaml`, accel: 'qemu', volumes: { rootdisk: fs() } },
  { name: 'efi-plain-tcg', manifest: `${repo}test/fixtures/manifests/vmi-efi-plain-timezone.yaml`, accel: 'qemu', volumes: { rootdisk: fs() } },
];

const EPHEMERAL = '/var/run/kubevirt-ephemeral-disks';

function factsFor(volume: string, shape: VolumeShape, hostDiskPath?: string): VolumeFacts {
  if (shape.kind === 'cloudInit') return { volume, kind: 'cloudInit', path: `/var/run/vm-launcher/cloud-init/${volume}.iso`, fullyAllocated: true, directIo: false };
  if (shape.created === 'emptyDisk') {
    const path = `${EPHEMERAL}/empty-disks/${volume}.img`;
    return { volume, kind: 'filesystem', path, format: 'raw', virtualSize: 2 ** 30, fullyAllocated: false, directIo: true, created: { kind: 'emptyDisk', path, sizeBytes: 2 ** 30 } };
  }
  const path = shape.kind === 'block' ? `/dev/${volume}` : hostDiskPath ?? `/var/run/kubevirt-private/vmi-disks/${volume}/disk.img`;
  return {
    volume, kind: shape.kind, path, format: 'raw', virtualSize: 2 ** 30,
    fullyAllocated: shape.kind === 'block' || !shape.sparse, directIo: !shape.noDirectIo,
    ...(shape.created === 'overlay' && { created: { kind: 'overlay' as const, path: `${EPHEMERAL}/disk-data/${volume}/disk.qcow2`, backingSizeBytes: 2 ** 30 } }),
  };
}

export function goldenXml(c: GoldenCase): string {
  const parsed = parseVmiText(readFileSync(c.manifest, 'utf8'));
  if (!parsed.spec) throw new Error(`${c.manifest} does not parse: ${JSON.stringify(parsed.problems)}`);
  const facts = new Map(parsed.spec.disks.map((d) => {
    const shape = c.volumes[d.volumeName];
    if (!shape) throw new Error(`case ${c.name} gives no volume shape for ${d.volumeName}`);
    return [d.volumeName, factsFor(d.volumeName, shape, hostDiskPathOf(d))] as const;
  }));
  const built = buildDomain(parsed.spec, facts, { accel: c.accel, consoleLogPath: '/var/run/vm-launcher/console.log', consoleSocketPath: '/var/run/vm-launcher/console.sock', agentSocketPath: '/var/run/vm-launcher/agent.sock', ...(c.network && { network: c.network }), ...c.opts });
  if (!built.domain) throw new Error(`case ${c.name} builds no domain: ${JSON.stringify(built.problems)}`);
  return domainToXml(built.domain);
}

for (const c of GOLDEN_CASES) {
  test(`golden ${c.name}`, (t) => {
    // KubeVirt's examples live outside the repository (../shared, beside CI's clone): without them these cases fail
    // unless VM_LAUNCHER_SKIP_SHARED=1 (test/helpers/shared-examples.ts); a missing file in a present dir fails.
    if (c.manifest.startsWith(sharedExamples) && !sharedExamplesPresent()) return sharedExamplesAbsent(t);
    if (!existsSync(c.manifest)) return t.fail(`${c.manifest} is missing (../shared must sit beside the checkout)`);
    const xml = goldenXml(c);
    const file = `${goldenDir}${c.name}.xml`;
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(file, xml);
    t.true(existsSync(file), `${file} is missing: run with UPDATE_GOLDEN=1 and review it`);
    t.is(xml, readFileSync(file, 'utf8'), `the domain for ${c.name} differs from ${file}`);
  });
}
