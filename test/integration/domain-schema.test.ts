// Every domain XML `vm-launcher domain` prints passes libvirt's own schema (virt-xml-validate FILE domain):
// the bundled example manifests with matching real volumes, and manifests that exercise every disk variant the
// launcher builds (buses, CD-ROMs, read-only, serials, boot order, 27 disks, a block device, a VirtualMachine,
// the example onDefineDomain hooks).
import test, { type ExecutionContext } from 'ava';
import { chmodSync, cpSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { repoRoot } from '../../harness/guest-disk.js';
import { loopUnavailable, qemuImgUnavailable, validatorUnavailable } from '../../harness/requirements.js';
import {
  VM_GID, VM_UID, attachLoop, blockNode, cleanupAll, fsVolume, giveToVm, parseDomain, qemuImg, runCli, scene, virtXmlValidate,
  vmiJson, xmlDisks, type DiskDef, type Scene,
} from '../helpers/check-fixture.js';

const noQemuImg = qemuImgUnavailable();
const noValidator = validatorUnavailable();
const noLoop = loopUnavailable();
const examplesDir = join(repoRoot, 'examples', 'vmi');

/**
 * passt over vhost-user is in libvirt's schema from 11.1 (the image's trixie); bookworm's 9.0 refuses it, and its
 * launcher refuses a VMI with a NIC (PasstUnsupportedByLibvirt). Such XML is validated in the image instead, by
 * test/container/network.test.ts, with trixie's virt-xml-validate.
 */
const PASST_VHOST_USER = '<interface type="vhostuser">';
const noPasstSchema = noValidator ? undefined : (() => {
  const probe = '<domain type="qemu"><name>p</name><memory unit="MiB">64</memory><memoryBacking><source type="memfd"/><access mode="shared"/></memoryBacking>'
    + '<os><type arch="x86_64">hvm</type></os><devices><interface type="vhostuser"><backend type="passt"/><model type="virtio"/></interface></devices></domain>';
  return virtXmlValidate(probe).ok ? undefined : "this host's libvirt schema refuses passt over vhost-user (libvirt < 11.1): validated in the image by test/container/network.test.ts";
})();

test.after.always(() => cleanupAll());

function skipped(t: ExecutionContext, ...why: Array<string | undefined>): boolean {
  const reason = [noValidator, noQemuImg, ...why].find(Boolean);
  if (!reason) return false;
  t.log(`skipped: ${reason}`);
  t.pass();
  return true;
}

function newScene(t: ExecutionContext): Scene {
  const s = scene('vml-schema-');
  t.teardown(() => s.cleanup());
  return s;
}

function rawVolume(s: Scene, name: string, size = '1M', ...qemuArgs: string[]): string {
  const img = join(fsVolume(s, name), 'disk.img');
  qemuImg('-f', 'raw', ...qemuArgs, img, size);
  giveToVm(img);
  return img;
}

/** `domain` exits 0 and its XML passes the schema; returns the XML. */
async function validDomain(t: ExecutionContext, s: Scene, ...extra: string[]): Promise<string> {
  const r = await runCli(['domain', ...s.opts(), ...extra]);
  t.is(r.code, 0, `domain exit code; stderr:\n${r.stderr}`);
  const v = virtXmlValidate(r.stdout);
  t.true(v.ok, `virt-xml-validate refused the XML: ${v.output}\n${r.stdout}`);
  return r.stdout;
}

/** The volume names a manifest's disks use (KubeVirt form: the disk's name; compact form: volumeName). */
function volumesOf(manifestPath: string): string[] {
  const doc = parseYaml(readFileSync(manifestPath, 'utf8')) as { spec: { domain: { devices: { disks: Array<{ name: string; volumeName?: string }> } } } };
  return doc.spec.domain.devices.disks.map((d) => d.volumeName ?? d.name);
}

// ---------------------------------------------------------------------------------------------------------------
// The bundled examples, each with the volumes it names

const examples = readdirSync(examplesDir).filter((f) => f.endsWith('.yaml')).sort();

test('the bundled examples are all covered below', (t) => {
  t.true(examples.length >= 4, examples.join(', '));
});

for (const file of examples) {
  const block = file.includes('block');
  const network = (parseYaml(readFileSync(join(examplesDir, file), 'utf8')) as { spec: { networks?: unknown[] } }).spec.networks !== undefined;
  test(`examples/vmi/${file}: the domain XML passes libvirt's schema`, async (t) => {
    if (skipped(t, block ? noLoop : undefined, network ? noPasstSchema : undefined)) return;
    const s = newScene(t);
    const manifest = join(examplesDir, file);
    const volumes = volumesOf(manifest);
    t.true(volumes.length > 0);
    for (const v of volumes) {
      if (v === 'cloudinit') continue; // the seed is built by run; nothing to provide
      if (block) {
        const backing = join(s.dir, `${v}.raw`);
        qemuImg('-f', 'raw', backing, '4M');
        blockNode(s, v, attachLoop(s, backing), { uid: VM_UID, gid: VM_GID, mode: 0o660 });
      } else {
        rawVolume(s, v);
      }
    }
    s.writeVmi(readFileSync(manifest, 'utf8'));
    // Created disks (emptyDisk, ephemeral) are planned in the ephemeral dir: one of the scene's, not /var/run's
    // default, which an ordinary user cannot write.
    const xml = await validDomain(t, s, '--ephemeral-dir', join(s.dir, 'ephemeral'));
    const disks = xmlDisks(xml);
    t.is(disks.length, volumes.length);
    for (const d of disks) t.is(d['@type'], block ? 'block' : 'file');
    if (network) t.true(xml.includes('<backend type="passt"'), 'the NIC goes through passt');
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Disk variants

test('every disk variant in one domain: virtio/sata/scsi, CD-ROMs, read-only, serial, boot order, preallocated', async (t) => {
  if (skipped(t)) return;
  const s = newScene(t);
  const disks: DiskDef[] = [
    { volume: 'root', bootOrder: 2 },
    { volume: 'satadisk', bus: 'sata', serial: 'SATA-01' },
    { volume: 'scsidisk', bus: 'scsi', serial: 'scsi_01.x+y' },
    { volume: 'cdsata', cdrom: true, bus: 'sata', bootOrder: 1 },
    { volume: 'cdscsi', cdrom: true, bus: 'scsi' },
    { volume: 'rodisk', readonly: true, serial: 'ro1' },
    { volume: 'prealloc', cache: 'none', io: 'native' },
    { volume: 'wt', cache: 'writethrough', io: 'threads' },
    { volume: 'wb', bus: 'sata', cache: 'writeback' },
  ];
  for (const d of disks) rawVolume(s, d.volume, '1M', ...(d.volume === 'prealloc' ? ['-o', 'preallocation=full'] : []));
  s.writeVmi(vmiJson('variants', disks, { uid: '6a1f9e8e-3c55-4b8e-9d2e-1f0f4b1c2d3e' }));
  const xml = await validDomain(t, s);
  const got = xmlDisks(xml);
  t.deepEqual(got.map((d) => [d.target['@dev'], d.target['@bus'], d['@device']]), [
    ['vda', 'virtio', 'disk'], ['sda', 'sata', 'disk'], ['sdb', 'scsi', 'disk'], ['sdc', 'sata', 'cdrom'],
    ['sdd', 'scsi', 'cdrom'], ['vdb', 'virtio', 'disk'], ['vdc', 'virtio', 'disk'], ['vdd', 'virtio', 'disk'], ['sde', 'sata', 'disk'],
  ]);
  t.deepEqual(got.map((d) => d.boot?.['@order']), ['2', undefined, undefined, '1', undefined, undefined, undefined, undefined, undefined]);
  t.deepEqual(got.map((d) => d.serial), [undefined, 'SATA-01', 'scsi_01.x+y', undefined, undefined, 'ro1', undefined, undefined, undefined]);
  t.deepEqual(got.map((d) => 'readonly' in d), [false, false, false, true, true, true, false, false, false]);
  t.deepEqual(got.map((d) => [d.driver['@cache'], d.driver['@io']]), [
    ['none', 'threads'], ['none', 'threads'], ['none', 'threads'], ['none', 'threads'], ['none', 'threads'], ['none', 'threads'],
    ['none', 'native'], ['writethrough', 'threads'], ['writeback', 'threads'],
  ]);
  t.true(got.every((d) => d.driver['@type'] === 'raw' && d.driver['@error_policy'] === 'stop'));
  const domain = parseDomain(xml);
  t.is(domain['uuid'], '6a1f9e8e-3c55-4b8e-9d2e-1f0f4b1c2d3e');
  const controllers = ((domain['devices'] as Record<string, unknown>)['controller'] ?? []) as Array<Record<string, string>>;
  t.true(controllers.some((c) => c['@type'] === 'scsi'), 'a scsi disk brings a scsi controller');
  t.false('graphics' in (domain['devices'] as object), 'no graphics');
});

test('27 virtio disks: targets run vda..vdz, vdaa and the XML still validates', async (t) => {
  if (skipped(t)) return;
  const s = newScene(t);
  const disks: DiskDef[] = Array.from({ length: 27 }, (_, i) => ({ volume: `disk${i}`, ...(i === 0 && { bootOrder: 1 }) }));
  for (const d of disks) rawVolume(s, d.volume, '1M');
  s.writeVmi(vmiJson('many', disks));
  const xml = await validDomain(t, s);
  const targets = xmlDisks(xml).map((d) => d.target['@dev']);
  t.is(targets[0], 'vda');
  t.is(targets[25], 'vdz');
  t.is(targets[26], 'vdaa');
  t.is(new Set(targets).size, 27);
});

test('a VirtualMachine (spec.template) with cpu topology, machine type and requested memory validates', async (t) => {
  if (skipped(t)) return;
  const s = newScene(t);
  rawVolume(s, 'rootdisk', '1M');
  s.writeVmi([
    'apiVersion: kubevirt.io/v1',
    'kind: VirtualMachine',
    'metadata: { name: vm-template, namespace: tests }',
    'spec:',
    '  runStrategy: Always',
    '  template:',
    '    spec:',
    '      domain:',
    '        cpu: { sockets: 1, cores: 2, threads: 2 }',
    '        machine: { type: q35 }',
    '        resources: { requests: { memory: 256Mi } }',
    '        devices:',
    '          disks: [ { name: rootdisk, disk: { bus: virtio }, bootOrder: 1 } ]',
    '      volumes: [ { name: rootdisk, persistentVolumeClaim: { claimName: root-claim } } ]',
    '',
  ].join('\n'));
  const domain = parseDomain(await validDomain(t, s));
  t.is((domain['vcpu'] as Record<string, unknown>)['#text'], 4);
});

test('a hostDisk volume validates as a file disk', async (t) => {
  if (skipped(t)) return;
  const s = newScene(t);
  const img = rawVolume(s, 'hostimg', '1M');
  s.writeVmi(JSON.stringify({
    apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name: 'hostdisk', namespace: 'tests' },
    spec: {
      domain: { memory: { guest: '128Mi' }, devices: { disks: [{ name: 'host', disk: { bus: 'virtio' } }] } },
      volumes: [{ name: 'host', hostDisk: { path: img, type: 'Disk' } }],
    },
  }));
  const disks = xmlDisks(await validDomain(t, s));
  t.is(disks[0]!['@type'], 'file');
  t.is(disks[0]!.source['@file'], img);
});

test('a block volume next to filesystem volumes validates (block source, native io)', async (t) => {
  if (skipped(t, noLoop)) return;
  const s = newScene(t);
  const backing = join(s.dir, 'blk.raw');
  qemuImg('-f', 'raw', backing, '4M');
  const node = blockNode(s, 'blockdisk', attachLoop(s, backing), { uid: VM_UID, gid: VM_GID, mode: 0o660 });
  rawVolume(s, 'filedisk', '1M');
  s.writeVmi(vmiJson('mixed', [{ volume: 'blockdisk', bootOrder: 1 }, { volume: 'filedisk' }]));
  const disks = xmlDisks(await validDomain(t, s));
  t.is(disks[0]!['@type'], 'block');
  t.is(disks[0]!.source['@dev'], node);
  t.is(disks[0]!.driver['@io'], 'native');
  t.is(disks[1]!['@type'], 'file');
});

test('the example onDefineDomain hooks keep the XML valid', async (t) => {
  if (skipped(t)) return;
  const s = newScene(t);
  rawVolume(s, 'rootdisk', '1M');
  const doc = JSON.parse(vmiJson('hooked', [{ volume: 'rootdisk' }])) as { metadata: Record<string, unknown> };
  doc.metadata['annotations'] = { 'smbios.vm.kubevirt.io/baseBoardManufacturer': 'Acme & "Sons" <x>' };
  s.writeVmi(JSON.stringify(doc));
  // The hooks run as the VM user, who may not reach the checkout (a clone in /root is 0700): give it a copy.
  const hooks = join(s.dir, 'hooks');
  cpSync(join(repoRoot, 'examples', 'hooks'), hooks, { recursive: true });
  chmodSync(s.dir, 0o755);
  const xml = await validDomain(t, s, '--hooks-dir', hooks);
  t.true(xml.includes('<baseBoard>'), 'the SMBIOS hook ran');
  t.true(xml.includes('Acme &amp;'), 'and escaped the annotation');
});

test('every golden domain XML (test/golden/) passes libvirt\'s schema', (t) => {
  if (skipped(t)) return;
  const dir = join(repoRoot, 'test', 'golden');
  const files = readdirSync(dir).filter((f) => f.endsWith('.xml'));
  t.true(files.length >= 10, `golden files in ${dir}: ${files.length}`);
  for (const f of files) {
    const xml = readFileSync(join(dir, f), 'utf8');
    if (noPasstSchema && xml.includes(PASST_VHOST_USER)) {
      t.log(`${f} skipped here: ${noPasstSchema}`);
      continue;
    }
    const v = virtXmlValidate(xml);
    t.true(v.ok, `${f}: ${v.output}`);
  }
});
