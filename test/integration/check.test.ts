// `vm-launcher check` and `vm-launcher domain` against real volumes: images made by qemu-img, symlinks, FIFOs,
// tmpfs/overlay mounts and a loop block device. Every case asserts the exit code, the reason code (check --json)
// and that every image involved is unchanged, byte for byte and stat for stat (content, size, blocks, mtime, ctime, mode,
// owner): check may only look. Also: qemu-img runs as QEMU's user, a filesystem of unknown size, a dangling device
// symlink, and a manifest error that must not hide the volumes' problems.
import test, { type ExecutionContext } from 'ava';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, readFileSync, realpathSync, statfsSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isRoot, loopUnavailable, qemuImgUnavailable, validatorUnavailable } from '../../harness/requirements.js';
import {
  VM_GID, VM_UID, allProblemsOf, allReasons, attachLoop, blockNode, changed, cleanupAll, directIoWorks, fsVolume, giveToVm,
  mountNoDirectIo, mountTmpfs, qemuImg, runCli, scene, snapshot, virtXmlValidate, vmiJson, xmlDisks,
  type CheckJson, type Scene, type XmlDisk,
} from '../helpers/check-fixture.js';

const noQemuImg = qemuImgUnavailable();
const noValidator = validatorUnavailable();
const noLoop = loopUnavailable();
const MiB = 1024 * 1024;

test.after.always(() => cleanupAll());

/** A test that needs qemu-img (all of them): skipped with the reason when it is missing. */
function needs(t: ExecutionContext, ...why: Array<string | undefined>): boolean {
  const reason = [noQemuImg, ...why].find(Boolean);
  if (reason) {
    t.log(`skipped: ${reason}`);
    t.pass();
    return false;
  }
  return true;
}

function newScene(t: ExecutionContext): Scene {
  const s = scene();
  t.teardown(() => s.cleanup());
  return s;
}

/** A filesystem volume `name` holding a raw image (sparse unless `qemuArgs` say otherwise), owned by QEMU's user. */
function rawVolume(s: Scene, name: string, size = '8M', ...qemuArgs: string[]): string {
  const img = join(fsVolume(s, name), 'disk.img');
  qemuImg('-f', 'raw', ...qemuArgs, img, size);
  giveToVm(img);
  return img;
}

interface Expected { reason: string; volume?: string; severity?: 'error' | 'warning' }

function assertWellFormed(t: ExecutionContext, json: CheckJson): void {
  for (const p of allProblemsOf(json)) {
    t.true(typeof p.message === 'string' && p.message.length > 0, `${p.reason} has a message`);
    t.true(p.severity === 'error' || p.severity === 'warning', `${p.reason} has a severity`);
    if (p.severity === 'error') t.true(typeof p.fix === 'string' && p.fix.length > 0, `${p.reason} says how to fix it`);
  }
  t.is(json.allProblems, allProblemsOf(json).length);
}

function hasProblem(json: CheckJson, e: Expected): boolean {
  return allProblemsOf(json).some((p) => p.reason === e.reason && (e.volume === undefined || p.volume === e.volume) && (e.severity === undefined || p.severity === e.severity));
}

/** check exits 3 with every expected reason, domain exits 3 with the same report on stderr and no XML; nothing changed. */
async function expectRefused(t: ExecutionContext, s: Scene, files: string[], expected: Expected[]): Promise<CheckJson> {
  const before = snapshot(files);
  const [check, domain] = await Promise.all([s.check(), s.domain()]);
  t.is(check.code, 3, `check exit code; output:\n${check.raw.stdout}${check.raw.stderr}`);
  t.false(check.json.ok);
  for (const e of expected) {
    t.true(hasProblem(check.json, e), `expected ${e.severity ?? ''} ${e.reason}${e.volume ? ` on ${e.volume}` : ''}; got ${JSON.stringify(allProblemsOf(check.json))}`);
  }
  assertWellFormed(t, check.json);
  t.is(domain.code, 3, `domain exit code; stderr:\n${domain.stderr}`);
  t.is(domain.stdout, '', 'domain prints no XML when refused');
  for (const e of expected) t.true(domain.stderr.includes(e.reason), `domain's report names ${e.reason}`);
  t.deepEqual(changed(before), [], 'every image is unchanged');
  return check.json;
}

/** check and domain exit 0; the XML passes libvirt's schema; nothing changed. */
async function expectAccepted(t: ExecutionContext, s: Scene, files: string[]): Promise<{ json: CheckJson; xml: string; disks: XmlDisk[] }> {
  const before = snapshot(files);
  const [check, domain] = await Promise.all([s.check(), s.domain()]);
  t.is(check.code, 0, `check exit code; output:\n${check.raw.stdout}${check.raw.stderr}`);
  t.true(check.json.ok);
  assertWellFormed(t, check.json);
  t.is(domain.code, 0, `domain exit code; stderr:\n${domain.stderr}`);
  t.true(domain.stdout.startsWith('<domain'), 'domain prints the XML');
  if (noValidator) {
    t.log(`schema check skipped: ${noValidator}`);
  } else {
    const v = virtXmlValidate(domain.stdout);
    t.true(v.ok, `virt-xml-validate: ${v.output}\n${domain.stdout}`);
  }
  t.deepEqual(changed(before), [], 'every image is unchanged');
  return { json: check.json, xml: domain.stdout, disks: xmlDisks(domain.stdout) };
}


// ---------------------------------------------------------------------------------------------------------------
// Raw images that are accepted, and the cache/io/discard each gets

test('a sparse raw image: file disk, cache none, io threads, discard unmap', async (t) => {
  if (!needs(t)) return;
  const s = newScene(t);
  const img = rawVolume(s, 'rootdisk', '8M');
  s.writeVmi(vmiJson('sparse', [{ volume: 'rootdisk', bootOrder: 1 }]));
  const { json, disks } = await expectAccepted(t, s, [img]);
  const v = json.volumes[0]!;
  t.like(v, { volume: 'rootdisk', kind: 'filesystem', path: realpathSync(img), format: 'raw', virtualSize: 8 * MiB, fullyAllocated: false, directIo: true, cache: 'none', io: 'threads' });
  t.true((v.allocatedSize ?? Infinity) < 8 * MiB, 'sparse: less allocated than its size');
  t.deepEqual(v.problems, []);
  t.is(disks.length, 1);
  const d = disks[0]!;
  t.is(d['@type'], 'file');
  t.is(d['@device'], 'disk');
  t.deepEqual(d.driver, { '@name': 'qemu', '@type': 'raw', '@cache': 'none', '@io': 'threads', '@discard': 'unmap', '@error_policy': 'stop' });
  t.is(d.source['@file'], realpathSync(img));
  t.deepEqual(d.target, { '@dev': 'vda', '@bus': 'virtio' });
});

for (const [how, make] of [
  ['qemu-img -o preallocation=full', (s: Scene) => rawVolume(s, 'rootdisk', '8M', '-o', 'preallocation=full')],
  ['fallocate', (s: Scene) => {
    const img = join(fsVolume(s, 'rootdisk'), 'disk.img');
    execFileSync('fallocate', ['-l', '8M', img]);
    giveToVm(img);
    return img;
  }],
] as const) {
  test(`a fully allocated raw image (${how}): cache none, io native, no discard`, async (t) => {
    if (!needs(t)) return;
    const s = newScene(t);
    const img = make(s);
    s.writeVmi(vmiJson('prealloc', [{ volume: 'rootdisk' }]));
    const { json, disks } = await expectAccepted(t, s, [img]);
    t.like(json.volumes[0], { kind: 'filesystem', format: 'raw', virtualSize: 8 * MiB, fullyAllocated: true, directIo: true, cache: 'none', io: 'native' });
    t.true((json.volumes[0]!.allocatedSize ?? 0) >= 8 * MiB);
    const driver = disks[0]!.driver;
    t.is(driver['@cache'], 'none');
    t.is(driver['@io'], 'native');
    t.is(driver['@type'], 'raw');
    t.false('@discard' in driver, 'a fully allocated image keeps its allocation: no discard');
  });
}

test('the human report has one line per volume with kind, path, format, sizes and the cache/io choice', async (t) => {
  if (!needs(t)) return;
  const s = newScene(t);
  const a = rawVolume(s, 'rootdisk', '8M');
  const b = rawVolume(s, 'datadisk', '4M', '-o', 'preallocation=full');
  s.writeVmi(vmiJson('text', [{ volume: 'rootdisk' }, { volume: 'datadisk' }]));
  const before = snapshot([a, b]);
  const r = await s.checkText();
  t.is(r.code, 0, r.stdout + r.stderr);
  const lines = r.stdout.split('\n');
  t.regex(lines[0] ?? '', /tests\/text: can start/);
  const root = lines.find((l) => /\brootdisk\b/.test(l)) ?? '';
  const data = lines.find((l) => /\bdatadisk\b/.test(l)) ?? '';
  for (const [line, img, io] of [[root, a, 'threads'], [data, b, 'native']] as const) {
    t.true(line.includes('filesystem'), line);
    t.true(line.includes(realpathSync(img)), line);
    t.true(line.includes('format=raw'), line);
    t.regex(line, /virtual=\d/);
    t.regex(line, /allocated=\d/);
    t.true(line.includes(`cache=none io=${io}`), line);
  }
  t.deepEqual(changed(before), []);
});

test('a read-only disk needs only read access: a root-owned 0644 image is accepted and marked readonly', async (t) => {
  if (!needs(t, isRoot ? undefined : 'needs root to own the image as someone other than QEMU\'s user')) return;
  const s = newScene(t);
  const img = rawVolume(s, 'rootdisk', '4M');
  chownSync(img, 0, 0);
  chmodSync(img, 0o644);
  s.writeVmi(vmiJson('ro', [{ volume: 'rootdisk', readonly: true }]));
  const { disks } = await expectAccepted(t, s, [img]);
  t.true('readonly' in disks[0]!, 'the disk is <readonly/> in the XML');
  // The same image read-write: QEMU's user cannot write it.
  s.writeVmi(vmiJson('rw', [{ volume: 'rootdisk' }]));
  const json = await expectRefused(t, s, [img], [{ reason: 'DiskImageNotAccessible', volume: 'rootdisk' }]);
  t.regex(allProblemsOf(json)[0]?.message ?? '', /writable/);
});

// A possibly hostile image is parsed by qemu-img as QEMU's user, never as root: a wrapper on PATH records its uid.
test('qemu-img info runs as QEMU\'s user (--run-as), not as root', async (t) => {
  if (!needs(t, isRoot ? undefined : 'needs root (with another user, runAs does not apply)')) return;
  const s = newScene(t);
  const img = join(fsVolume(s, 'rootdisk'), 'disk.img');
  qemuImg('-f', 'raw', img, '4M');
  giveToVm(img);
  const bin = join(s.dir, 'bin');
  mkdirSync(bin, { mode: 0o755 });
  const log = join(s.dir, 'who.log');
  writeFileSync(log, '');
  chmodSync(log, 0o666);
  writeFileSync(join(bin, 'qemu-img'), `#!/bin/sh\necho "$(id -u)" >> ${log}\nexec /usr/bin/qemu-img "$@"\n`, { mode: 0o755 });
  s.writeVmi(vmiJson('whoami', [{ volume: 'rootdisk' }]));
  const r = await runCli(['check', '--json', ...s.opts(), '--run-as', `${VM_UID}:${VM_UID}`], 60_000, { PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}` });
  t.is(r.code, 0, r.stdout + r.stderr);
  const uids = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  t.true(uids.length > 0, 'the wrapper saw qemu-img run');
  t.deepEqual([...new Set(uids)], [String(VM_UID)], `qemu-img ran as uid ${uids.join(',')}`);
});

// ---------------------------------------------------------------------------------------------------------------
// Images that are not raw, or not usable

test('a qcow2 image is refused with the exact qemu-img convert to fix it', async (t) => {
  if (!needs(t)) return;
  const s = newScene(t);
  const img = join(fsVolume(s, 'rootdisk'), 'disk.img');
  qemuImg('-f', 'qcow2', img, '8M');
  giveToVm(img);
  s.writeVmi(vmiJson('qcow2', [{ volume: 'rootdisk' }]));
  const json = await expectRefused(t, s, [img], [{ reason: 'DiskImageNotRaw', volume: 'rootdisk', severity: 'error' }]);
  t.is(json.volumes[0]?.format, 'qcow2', 'the format found is reported');
  const p = json.volumes[0]!.problems.find((x) => x.reason === 'DiskImageNotRaw')!;
  t.true(p.fix?.includes(`qemu-img convert -f qcow2 -O raw ${realpathSync(img)}`), p.fix);
  t.is(p.field, 'spec.domain.devices.disks[0]');
});

test('a qcow2 image with a backing file is refused twice over (not raw, has a backing file); the backing file is untouched', async (t) => {
  if (!needs(t)) return;
  const s = newScene(t);
  const baseDir = join(s.dir, 'base');
  mkdirSync(baseDir, { mode: 0o755 });
  const base = join(baseDir, 'base.raw');
  qemuImg('-f', 'raw', base, '8M');
  writeFileSync(join(baseDir, 'marker'), 'x');
  giveToVm(base);
  const img = join(fsVolume(s, 'rootdisk'), 'disk.img');
  qemuImg('-f', 'qcow2', '-b', base, '-F', 'raw', img);
  giveToVm(img);
  s.writeVmi(vmiJson('backing', [{ volume: 'rootdisk' }]));
  const json = await expectRefused(t, s, [img, base], [
    { reason: 'DiskImageNotRaw', volume: 'rootdisk' },
    { reason: 'DiskImageHasBackingFile', volume: 'rootdisk' },
  ]);
  const p = json.volumes[0]!.problems.find((x) => x.reason === 'DiskImageHasBackingFile')!;
  t.true(p.message.includes(base), p.message);
  t.true(p.fix?.includes('qemu-img convert -O raw'), p.fix);
});

test('a vmdk image is refused as not raw', async (t) => {
  if (!needs(t)) return;
  const s = newScene(t);
  const img = join(fsVolume(s, 'rootdisk'), 'disk.img');
  qemuImg('-f', 'vmdk', img, '8M');
  giveToVm(img);
  s.writeVmi(vmiJson('vmdk', [{ volume: 'rootdisk' }]));
  const json = await expectRefused(t, s, [img], [{ reason: 'DiskImageNotRaw', volume: 'rootdisk' }]);
  t.is(json.volumes[0]?.format, 'vmdk');
  t.true(json.volumes[0]!.problems[0]!.fix?.includes('qemu-img convert -f vmdk -O raw'));
});

test('an empty (0-byte) raw image is refused: DiskImageEmpty', async (t) => {
  if (!needs(t)) return;
  const s = newScene(t);
  const img = rawVolume(s, 'rootdisk', '0');
  s.writeVmi(vmiJson('empty', [{ volume: 'rootdisk' }]));
  const json = await expectRefused(t, s, [img], [{ reason: 'DiskImageEmpty', volume: 'rootdisk' }]);
  t.is(json.volumes[0]?.virtualSize, 0);
});

test('an image QEMU\'s user cannot read (0600, owned by root) is refused: DiskImageNotAccessible', async (t) => {
  if (!needs(t)) return;
  const s = newScene(t);
  const img = rawVolume(s, 'rootdisk', '4M');
  if (isRoot) {
    chownSync(img, 0, 0);
    chmodSync(img, 0o600);
  } else {
    chmodSync(img, 0o000);
  }
  s.writeVmi(vmiJson('unreadable', [{ volume: 'rootdisk' }]));
  const json = await expectRefused(t, s, [img], [{ reason: 'DiskImageNotAccessible', volume: 'rootdisk' }]);
  if (isRoot) t.true(json.volumes[0]!.problems[0]!.message.includes(`uid ${VM_UID}`), 'names the user QEMU runs as');
  t.is(json.volumes[0]?.format, undefined, 'qemu-img is not run on an image QEMU could not open');
});

test('an image qemu-img cannot open (a qcow2 header with version 99) is refused: DiskImageInspectFailed', async (t) => {
  if (!needs(t)) return;
  const s = newScene(t);
  const img = join(fsVolume(s, 'rootdisk'), 'disk.img');
  const header = Buffer.alloc(64 * 1024);
  header.write('QFI\xfb', 0, 'latin1');
  header.writeUInt32BE(99, 4); // version
  header.writeBigUInt64BE(8n * BigInt(MiB), 24); // size
  writeFileSync(img, header);
  giveToVm(img);
  s.writeVmi(vmiJson('corrupt', [{ volume: 'rootdisk' }]));
  const json = await expectRefused(t, s, [img], [{ reason: 'DiskImageInspectFailed', volume: 'rootdisk' }]);
  t.true(json.volumes[0]!.problems[0]!.message.startsWith('qemu-img info'), json.volumes[0]!.problems[0]!.message);
});

test('hostDisk: an existing raw image is accepted as kind hostDisk; a missing one is HostDiskMissing; a qcow2 one is refused', async (t) => {
  if (!needs(t)) return;
  const s = newScene(t);
  const hostDir = join(s.dir, 'host');
  mkdirSync(hostDir, { mode: 0o755 });
  const raw = join(hostDir, 'raw.img');
  qemuImg('-f', 'raw', raw, '4M');
  giveToVm(raw);
  const qcow = join(hostDir, 'q.qcow2');
  qemuImg('-f', 'qcow2', qcow, '4M');
  giveToVm(qcow);
  const hostVmi = (disks: Array<[string, string]>) => JSON.stringify({
    apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name: 'hostdisk', namespace: 'tests' },
    spec: {
      domain: { memory: { guest: '128Mi' }, devices: { disks: disks.map(([name]) => ({ name, disk: { bus: 'virtio' } })) } },
      volumes: disks.map(([name, path]) => ({ name, hostDisk: { path, type: 'Disk' } })),
    },
  });
  s.writeVmi(hostVmi([['host', raw]]));
  const { json, disks } = await expectAccepted(t, s, [raw]);
  t.like(json.volumes[0], { kind: 'hostDisk', path: raw, format: 'raw' });
  t.is(disks[0]!['@type'], 'file');
  s.writeVmi(hostVmi([['host', raw], ['gone', join(hostDir, 'gone.img')], ['qcow', qcow]]));
  await expectRefused(t, s, [raw, qcow], [{ reason: 'HostDiskMissing', volume: 'gone' }, { reason: 'DiskImageNotRaw', volume: 'qcow' }]);
});

// ---------------------------------------------------------------------------------------------------------------
// What the volume directory holds

test('disk.img as a symlink leading outside its volume is refused; the target is untouched', async (t) => {
  if (!needs(t)) return;
  const s = newScene(t);
  const outside = join(s.dir, 'elsewhere.img');
  qemuImg('-f', 'raw', outside, '4M');
  giveToVm(outside);
  const vol = fsVolume(s, 'rootdisk');
  symlinkSync(outside, join(vol, 'disk.img'));
  // A relative escape too, on a second volume.
  const vol2 = fsVolume(s, 'datadisk');
  symlinkSync('../../elsewhere.img', join(vol2, 'disk.img'));
  s.writeVmi(vmiJson('escape', [{ volume: 'rootdisk' }, { volume: 'datadisk' }]));
  const json = await expectRefused(t, s, [outside], [
    { reason: 'DiskImageOutsideVolume', volume: 'rootdisk' },
    { reason: 'DiskImageOutsideVolume', volume: 'datadisk' },
  ]);
  t.true(json.volumes.every((v) => v.path === undefined && v.format === undefined), 'nothing outside the volume was inspected');
});

test('disk.img as a symlink staying inside its volume is accepted, and the real path is what QEMU gets', async (t) => {
  if (!needs(t)) return;
  const s = newScene(t);
  const vol = fsVolume(s, 'rootdisk');
  mkdirSync(join(vol, '.images'), { mode: 0o755 });
  const real = join(vol, '.images', 'real.img');
  qemuImg('-f', 'raw', real, '4M');
  giveToVm(real);
  symlinkSync('.images/real.img', join(vol, 'disk.img'));
  s.writeVmi(vmiJson('inside', [{ volume: 'rootdisk' }]));
  const { json, disks } = await expectAccepted(t, s, [real]);
  t.is(json.volumes[0]?.path, realpathSync(real));
  t.deepEqual(json.volumes[0]?.problems, [], 'a dot-directory is not an extra file');
  t.is(disks[0]!.source['@file'], realpathSync(real));
});

test('another image beside disk.img (other.qcow2) is refused: one image per volume', async (t) => {
  if (!needs(t)) return;
  const s = newScene(t);
  const img = rawVolume(s, 'rootdisk', '4M');
  const other = join(s.volumesDir, 'rootdisk', 'other.qcow2');
  qemuImg('-f', 'qcow2', other, '4M');
  giveToVm(other);
  s.writeVmi(vmiJson('extra-image', [{ volume: 'rootdisk' }]));
  const json = await expectRefused(t, s, [img, other], [{ reason: 'VolumeHasExtraImage', volume: 'rootdisk', severity: 'error' }]);
  t.true(json.volumes[0]!.problems.find((p) => p.reason === 'VolumeHasExtraImage')!.message.includes('other.qcow2'));
});

test('a non-image file beside disk.img is only a warning (exit 0); lost+found and dotfiles are ignored', async (t) => {
  if (!needs(t)) return;
  const s = newScene(t);
  const img = rawVolume(s, 'rootdisk', '4M');
  const vol = join(s.volumesDir, 'rootdisk');
  writeFileSync(join(vol, 'notes.txt'), 'hello');
  mkdirSync(join(vol, 'lost+found'));
  writeFileSync(join(vol, '.hidden.qcow2'), 'dotfiles are ignored, even with an image suffix');
  s.writeVmi(vmiJson('extra-file', [{ volume: 'rootdisk' }]));
  const { json } = await expectAccepted(t, s, [img, join(vol, 'notes.txt')]);
  const problems = json.volumes[0]!.problems;
  t.deepEqual(problems.map((p) => [p.reason, p.severity]), [['VolumeHasExtraFile', 'warning']]);
  t.true(problems[0]!.message.includes('notes.txt'));
});

// Each volume of one scene is a different broken layout: every volume gets exactly its own reason, no other.
test('broken volume layouts, one per volume, each with exactly its reason', async (t) => {
  if (!needs(t)) return;
  const s = newScene(t);
  const files: string[] = [];
  const layouts: Array<[volume: string, reason: string, make: (vol: string) => void]> = [
    ['dangling', 'DiskImageMissing', () => symlinkSync('nowhere.img', join(fsVolume(s, 'dangling'), 'disk.img'))],
    ['isdir', 'DiskImageIsDirectory', () => mkdirSync(join(fsVolume(s, 'isdir'), 'disk.img'))],
    // A FIFO would hang qemu-img (or any reader): it must be refused before anything opens it.
    ['fifo', 'DiskImageNotRegularFile', () => execFileSync('mkfifo', [join(fsVolume(s, 'fifo'), 'disk.img')])],
    // A plain directory (not a mount point) is not a PVC: nothing is created there.
    ['noimage', 'VolumeNotMountPoint', () => fsVolume(s, 'noimage')],
    ['both', 'VolumeAmbiguous', (v) => {
      files.push(rawVolume(s, v, '1M'));
      writeFileSync(join(s.devicesDir, v), '');
    }],
    ['neither', 'VolumeNotFound', () => undefined],
    ['notblock', 'VolumeNotBlockDevice', (v) => {
      const f = join(s.devicesDir, v);
      qemuImg('-f', 'raw', f, '1M');
      giveToVm(f);
      files.push(f);
    }],
    ['notdir', 'VolumeNotDirectory', (v) => {
      const f = join(s.volumesDir, v);
      qemuImg('-f', 'raw', f, '1M');
      giveToVm(f);
      files.push(f);
    }],
  ];
  for (const [v, , make] of layouts) make(v);
  s.writeVmi(vmiJson('layouts', layouts.map(([volume]) => ({ volume }))));
  const json = await expectRefused(t, s, files, layouts.map(([volume, reason]) => ({ volume, reason })));
  t.deepEqual(
    json.volumes.map((v) => [v.volume, v.problems.map((p) => p.reason)]),
    layouts.map(([volume, reason]) => [volume, [reason]]),
  );
  t.true(json.volumes.every((v) => v.kind === undefined && v.format === undefined), 'no kind is guessed, no image inspected');
  const notFound = json.volumes.find((v) => v.volume === 'neither')!.problems[0]!.message;
  t.true(notFound.includes(join(s.devicesDir, 'neither')) && notFound.includes(join(s.volumesDir, 'neither')), `names both places it looked: ${notFound}`);
});

// ---------------------------------------------------------------------------------------------------------------
// The manifest's side of volumes

for (const bad of ['../etc', 'Bad_Name']) {
  test(`a volume name that is not a DNS-1123 label (${JSON.stringify(bad)}) never becomes a path`, async (t) => {
    if (!needs(t)) return;
    const s = newScene(t);
    // Bait: if the name became a path, <vols>/../etc/disk.img would be a perfectly good image.
    const baitDir = join(s.dir, 'etc');
    mkdirSync(baitDir, { mode: 0o755 });
    const bait = join(baitDir, 'disk.img');
    qemuImg('-f', 'raw', bait, '4M');
    giveToVm(bait);
    const good = rawVolume(s, 'rootdisk', '4M');
    s.writeVmi(vmiJson('badname', [{ volume: 'rootdisk' }, { volume: bad }]));
    const json = await expectRefused(t, s, [bait, good], [{ reason: 'VolumeNameInvalid', volume: bad }]);
    const out = JSON.stringify(json);
    for (const p of [join(s.volumesDir, bad), join(s.devicesDir, bad), baitDir, `${s.volumesDir}/${bad}`, `${s.devicesDir}/${bad}`]) {
      t.false(out.includes(p), `no reported path contains ${p}`);
    }
    t.false(json.volumes.some((v) => v.volume === bad), 'the bad volume is never inspected');
    const p = allProblemsOf(json).find((x) => x.reason === 'VolumeNameInvalid')!;
    t.is(p.field, 'spec.volumes[1].name');
  });
}

test('one volume used by two disks is refused: VolumeUsedTwice', async (t) => {
  if (!needs(t)) return;
  const s = newScene(t);
  const img = rawVolume(s, 'rootdisk', '4M');
  s.writeVmi(vmiJson('twice', [{ volume: 'rootdisk', disk: 'first' }, { volume: 'rootdisk', disk: 'second', noVolume: true }]));
  const json = await expectRefused(t, s, [img], [{ reason: 'VolumeUsedTwice', volume: 'rootdisk' }]);
  t.is(allProblemsOf(json).find((p) => p.reason === 'VolumeUsedTwice')?.field, 'spec.domain.devices.disks[1].volumeName');
});

test('every problem is reported at once: several bad volumes beside a good one', async (t) => {
  if (!needs(t)) return;
  const s = newScene(t);
  const good = rawVolume(s, 'gooddisk', '4M');
  const qcow = join(fsVolume(s, 'qcowdisk'), 'disk.img');
  qemuImg('-f', 'qcow2', qcow, '4M');
  giveToVm(qcow);
  const dirDisk = fsVolume(s, 'dirdisk');
  mkdirSync(join(dirDisk, 'disk.img'));
  const extra = rawVolume(s, 'extradisk', '4M');
  const extraOther = join(s.volumesDir, 'extradisk', 'old.raw');
  qemuImg('-f', 'raw', extraOther, '1M');
  s.writeVmi(vmiJson('many', [{ volume: 'gooddisk' }, { volume: 'qcowdisk' }, { volume: 'absentdisk' }, { volume: 'dirdisk' }, { volume: 'extradisk' }]));
  const json = await expectRefused(t, s, [good, qcow, extra, extraOther], [
    { reason: 'DiskImageNotRaw', volume: 'qcowdisk' },
    { reason: 'VolumeNotFound', volume: 'absentdisk' },
    { reason: 'DiskImageIsDirectory', volume: 'dirdisk' },
    { reason: 'VolumeHasExtraImage', volume: 'extradisk' },
  ]);
  t.is(json.volumes.length, 5, 'one entry per disk');
  t.like(json.volumes[0], { volume: 'gooddisk', kind: 'filesystem', format: 'raw', problems: [] });
  t.is(allReasons(json).length, 4, `exactly the four problems: ${allReasons(json).join(', ')}`);
});

test('every manifest problem is reported at once too', async (t) => {
  if (!needs(t)) return;
  const s = newScene(t);
  const img = rawVolume(s, 'rootdisk', '4M');
  s.writeVmi(vmiJson('manifest', [
    { volume: 'rootdisk', disk: 'a' }, { volume: 'rootdisk', disk: 'b', noVolume: true }, { volume: 'Bad_Name' },
  ]));
  await expectRefused(t, s, [img], [{ reason: 'VolumeUsedTwice', volume: 'rootdisk' }, { reason: 'VolumeNameInvalid', volume: 'Bad_Name' }]);
});

// Every problem at once (DESIGN.md) includes the volumes: a manifest error elsewhere must not leave a bad image on a
// correctly named volume uninspected.
test('a manifest error does not hide the problems of the other volumes', async (t) => {
  if (!needs(t)) return;
  const s = newScene(t);
  const img = join(fsVolume(s, 'rootdisk'), 'disk.img');
  qemuImg('-f', 'qcow2', img, '4M');
  giveToVm(img);
  s.writeVmi(vmiJson('mixed', [{ volume: 'rootdisk' }, { volume: 'Bad_Name' }]));
  const r = await runCli(['check', '--json', ...s.opts()]);
  t.is(r.code, 3);
  const reasons = allProblemsOf(JSON.parse(r.stdout) as CheckJson).map((p) => p.reason);
  t.true(reasons.includes('VolumeNameInvalid'));
  t.true(reasons.includes('DiskImageNotRaw'), `the qcow2 on rootdisk is reported too: ${reasons.join(', ')}`);
});

// ---------------------------------------------------------------------------------------------------------------
// Sizes against the filesystem, and O_DIRECT

test('a virtual size above the filesystem\'s size is an error; above its free space a warning (tmpfs)', async (t) => {
  if (!needs(t, isRoot ? undefined : 'mounting a tmpfs needs root')) return;
  const s = newScene(t);
  // Too large: a 1 GiB sparse image on a 16 MiB filesystem.
  const big = join(s.volumesDir, 'bigdisk');
  mountTmpfs(s, big, '16m');
  const bigImg = join(big, 'disk.img');
  qemuImg('-f', 'raw', bigImg, '1G');
  giveToVm(bigImg);
  // May not fit: a 12 MiB sparse image on a 16 MiB filesystem that has 10 MiB in a dotfile (ignored by check).
  const tight = join(s.volumesDir, 'tightdisk');
  mountTmpfs(s, tight, '16m');
  execFileSync('dd', ['if=/dev/zero', `of=${join(tight, '.filler')}`, 'bs=1M', 'count=10', 'status=none']);
  const tightImg = join(tight, 'disk.img');
  qemuImg('-f', 'raw', tightImg, '12M');
  giveToVm(tightImg);

  s.writeVmi(vmiJson('sizes', [{ volume: 'bigdisk' }, { volume: 'tightdisk' }]));
  const json = await expectRefused(t, s, [bigImg, tightImg], [
    { reason: 'DiskImageTooLarge', volume: 'bigdisk', severity: 'error' },
    { reason: 'DiskImageMayNotFit', volume: 'tightdisk', severity: 'warning' },
  ]);
  const tooLarge = json.volumes[0]!.problems[0]!;
  t.regex(tooLarge.message, /1024\.0 MiB.*16\.0 MiB/, 'the numbers are in the message');
  t.like(json.volumes[0], { virtualSize: 1024 * MiB, filesystemSize: 16 * MiB });
  t.regex(json.volumes[1]!.problems[0]!.message, /12\.0 MiB/);

  // The warning alone does not stop the VM.
  s.writeVmi(vmiJson('tight', [{ volume: 'tightdisk' }]));
  const { json: ok } = await expectAccepted(t, s, [tightImg]);
  t.deepEqual(ok.volumes[0]!.problems.map((p) => [p.reason, p.severity]), [['DiskImageMayNotFit', 'warning']]);
  const probe = directIoWorks(tightImg);
  t.is(ok.volumes[0]!.directIo, probe, 'check\'s O_DIRECT probe agrees with the test\'s on tmpfs');
  t.log(`tmpfs ${probe ? 'accepts' : 'refuses'} O_DIRECT on this kernel`);
});

test('a sparse image larger than the whole filesystem it sits on is DiskImageTooLarge (no mount needed)', async (t) => {
  if (!needs(t)) return;
  const s = newScene(t);
  const vol = fsVolume(s, 'rootdisk');
  const fs = statfsSync(vol);
  const total = fs.blocks * fs.bsize;
  const img = join(vol, 'disk.img');
  const size = Math.ceil(total / MiB) * MiB + 1024 * MiB;
  try {
    qemuImg('-f', 'raw', img, String(size));
  } catch (e) {
    t.log(`skipped: this filesystem cannot hold a ${size}-byte sparse file: ${(e as Error).message}`);
    t.pass();
    return;
  }
  giveToVm(img);
  s.writeVmi(vmiJson('huge', [{ volume: 'rootdisk' }]));
  const json = await expectRefused(t, s, [img], [{ reason: 'DiskImageTooLarge', volume: 'rootdisk', severity: 'error' }]);
  t.like(json.volumes[0], { virtualSize: size, filesystemSize: total });
});

// The virtual size is compared with statfs's total, which a filesystem may report as 0 (ramfs, some FUSE
// filesystems): that is "size unknown", not "every image is larger than its filesystem (0.0 MiB)".
test('a filesystem that reports no size (ramfs) does not make every image DiskImageTooLarge', async (t) => {
  if (!needs(t, isRoot ? undefined : 'mounting ramfs needs root')) return;
  const s = newScene(t);
  const vol = join(s.volumesDir, 'rootdisk');
  mkdirSync(vol);
  execFileSync('mount', ['-t', 'ramfs', '-o', 'mode=0755', 'ramfs', vol]);
  t.teardown(() => execFileSync('umount', ['-l', vol]));
  const img = join(vol, 'disk.img');
  qemuImg('-f', 'raw', img, '4M');
  giveToVm(img);
  s.writeVmi(vmiJson('ramfs', [{ volume: 'rootdisk' }]));
  const before = snapshot([img]);
  const r = await runCli(['check', '--json', ...s.opts()]);
  const json = JSON.parse(r.stdout) as CheckJson;
  t.deepEqual(changed(before), []);
  t.false(allProblemsOf(json).some((p) => p.reason === 'DiskImageTooLarge'), JSON.stringify(allProblemsOf(json)));
  t.is(r.code, 0);
});

test('where O_DIRECT fails: cache writethrough and io threads; cache none asked for is CacheNoneUnsupported', async (t) => {
  if (!needs(t, isRoot ? undefined : 'mounting ramfs/overlay needs root')) return;
  const s = newScene(t);
  const vol = join(s.volumesDir, 'rootdisk');
  let img = '';
  mountNoDirectIo(s, vol, (lower) => {
    const lowerImg = join(lower, 'disk.img');
    execFileSync('dd', ['if=/dev/zero', `of=${lowerImg}`, 'bs=1M', 'count=4', 'status=none']);
    giveToVm(lowerImg);
  });
  img = join(vol, 'disk.img');
  if (directIoWorks(img)) {
    t.log('skipped: the ramfs-backed overlay accepts O_DIRECT on this kernel, no O_DIRECT-refusing location to test with');
    t.pass();
    return;
  }
  // Nothing asked for: the launcher falls back to writethrough.
  s.writeVmi(vmiJson('nodirect', [{ volume: 'rootdisk' }]));
  const { json, disks } = await expectAccepted(t, s, [img]);
  t.like(json.volumes[0], { directIo: false, cache: 'writethrough', io: 'threads', fullyAllocated: true });
  t.is(disks[0]!.driver['@cache'], 'writethrough');
  t.is(disks[0]!.driver['@io'], 'threads', 'no native io without O_DIRECT, even for a fully allocated file');
  t.false('@discard' in disks[0]!.driver);

  // cache: none asked for: an error, not a silent change.
  s.writeVmi(vmiJson('cachenone', [{ volume: 'rootdisk', cache: 'none' }]));
  const refused = await expectRefused(t, s, [img], [{ reason: 'CacheNoneUnsupported', volume: 'rootdisk' }]);
  t.is(allProblemsOf(refused).find((p) => p.reason === 'CacheNoneUnsupported')?.field, 'spec.domain.devices.disks[0].cache');

  // io: native asked for without cache none.
  s.writeVmi(vmiJson('ionative', [{ volume: 'rootdisk', io: 'native' }]));
  await expectRefused(t, s, [img], [{ reason: 'IoNativeNeedsCacheNone', volume: 'rootdisk' }]);
});

test('cache: none on tmpfs follows the O_DIRECT probe (CacheNoneUnsupported where tmpfs refuses it)', async (t) => {
  if (!needs(t, isRoot ? undefined : 'mounting a tmpfs needs root')) return;
  const s = newScene(t);
  const vol = join(s.volumesDir, 'rootdisk');
  mountTmpfs(s, vol, '16m');
  const img = join(vol, 'disk.img');
  qemuImg('-f', 'raw', img, '4M');
  giveToVm(img);
  s.writeVmi(vmiJson('tmpfs-none', [{ volume: 'rootdisk', cache: 'none' }]));
  if (directIoWorks(img)) {
    t.log('tmpfs accepts O_DIRECT on this kernel (Linux >= 6.6): cache none is allowed here');
    const { json, disks } = await expectAccepted(t, s, [img]);
    t.like(json.volumes[0], { directIo: true, cache: 'none' });
    t.is(disks[0]!.driver['@cache'], 'none');
  } else {
    await expectRefused(t, s, [img], [{ reason: 'CacheNoneUnsupported', volume: 'rootdisk' }]);
  }
});

// ---------------------------------------------------------------------------------------------------------------
// A real block device

test('a loop block device: block disk, cache none, io native, no discard; a symlink to the node works too', async (t) => {
  if (!needs(t, noLoop)) return;
  const s = newScene(t);
  const backing = join(s.dir, 'backing.raw');
  qemuImg('-f', 'raw', backing, '16M');
  const loop = attachLoop(s, backing);
  const node = blockNode(s, 'rootdisk', loop, { uid: VM_UID, gid: VM_GID, mode: 0o660 });
  // Second volume: a symlink to a node, as podman --device may present it (another device: two disks on one
  // device, one of them writable, is DiskImageUsedTwice).
  const backing2 = join(s.dir, 'backing2.raw');
  qemuImg('-f', 'raw', backing2, '16M');
  const node2 = blockNode(s, '.node-datadisk', attachLoop(s, backing2), { uid: VM_UID, gid: VM_GID, mode: 0o660 });
  symlinkSync(node2, join(s.devicesDir, 'datadisk'));
  s.writeVmi(vmiJson('block', [{ volume: 'rootdisk', bootOrder: 1 }, { volume: 'datadisk', readonly: true }]));
  const { json, disks } = await expectAccepted(t, s, [backing, backing2]);
  t.like(json.volumes[0], { volume: 'rootdisk', kind: 'block', path: node, format: 'raw', virtualSize: 16 * MiB, fullyAllocated: true, cache: 'none', io: 'native' });
  t.like(json.volumes[1], { volume: 'datadisk', kind: 'block', path: join(s.devicesDir, 'datadisk') });
  const d = disks[0]!;
  t.is(d['@type'], 'block');
  t.is(d.source['@dev'], node);
  t.false('@file' in d.source);
  t.is(d.driver['@type'], 'raw');
  t.is(d.driver['@cache'], 'none');
  t.is(d.driver['@io'], 'native');
  t.false('@discard' in d.driver, 'a block device gets no discard');
  t.is(disks[1]!['@type'], 'block');
  t.true('readonly' in disks[1]!);
});

test('a block device node QEMU\'s user cannot open is refused: DiskImageNotAccessible', async (t) => {
  if (!needs(t, noLoop)) return;
  const s = newScene(t);
  const backing = join(s.dir, 'backing.raw');
  qemuImg('-f', 'raw', backing, '4M');
  const loop = attachLoop(s, backing);
  blockNode(s, 'rootdisk', loop, { uid: 0, gid: 0, mode: 0o600 });
  s.writeVmi(vmiJson('block-denied', [{ volume: 'rootdisk' }]));
  const json = await expectRefused(t, s, [backing], [{ reason: 'DiskImageNotAccessible', volume: 'rootdisk' }]);
  t.regex(json.volumes[0]!.problems[0]!.fix ?? '', /device/);
});

// A device path that is a dangling symlink (a device that went away) is one of the clear reasons with a fix, not
// VolumeInspectFailed with a raw ENOENT from stat().
test('a dangling symlink at the device path is VolumeNotFound or VolumeNotBlockDevice, not VolumeInspectFailed', async (t) => {
  if (!needs(t)) return;
  const s = newScene(t);
  symlinkSync('/dev/vm-launcher-test-no-such-device', join(s.devicesDir, 'rootdisk'));
  s.writeVmi(vmiJson('dangling-dev', [{ volume: 'rootdisk' }]));
  const r = await runCli(['check', '--json', ...s.opts()]);
  t.is(r.code, 3);
  const reasons = allProblemsOf(JSON.parse(r.stdout) as CheckJson).map((p) => p.reason);
  t.true(reasons.includes('VolumeNotFound') || reasons.includes('VolumeNotBlockDevice'), reasons.join(', '));
});
