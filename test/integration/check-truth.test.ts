// Issue 21 (Low): where `check` said "can start" and `run` then failed, or said the wrong thing. Each test runs the
// real CLI on real files (qemu-img, a real QEMU holding its locks, real directory modes).
import test, { type ExecutionContext } from 'ava';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, statfsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { isRoot, qemuImgUnavailable } from '../../harness/requirements.js';
import { cliPath } from '../../harness/launcher-process.js';
import { allProblemsOf, cleanupAll, fsVolume, giveToVm, qemuImg, runCli, scene, vmiJson, type CheckJson, type Scene } from '../helpers/check-fixture.js';

const noQemuImg = qemuImgUnavailable();
test.after.always(() => cleanupAll());

function newScene(t: ExecutionContext): Scene {
  const s = scene('vml-truth-');
  t.teardown(() => s.cleanup());
  return s;
}

function skipped(t: ExecutionContext, ...why: Array<string | undefined>): boolean {
  const reason = why.find(Boolean);
  if (reason) { t.log(`SKIPPED: ${reason}`); t.pass(); }
  return reason !== undefined;
}

/** A raw 4 MiB image at <vols>/<name>/disk.img, QEMU's user's. */
function rootDisk(s: Scene, name = 'rootdisk'): string {
  const img = join(fsVolume(s, name), 'disk.img');
  qemuImg('-f', 'raw', img, '4M');
  giveToVm(img);
  return img;
}

async function checkWith(s: Scene, ...extra: string[]): Promise<{ code: number | null; json: CheckJson }> {
  const r = await runCli(['check', '--json', ...s.opts(), ...extra]);
  return { code: r.code, json: JSON.parse(r.stdout) as CheckJson };
}

const reasonsOf = (json: CheckJson) => allProblemsOf(json).map((p) => p.reason);

test('an emptyDisk larger than the ephemeral dir\'s filesystem is DiskImageTooLarge at check (was a warning; run failed)', async (t) => {
  if (skipped(t, noQemuImg)) return;
  const s = newScene(t);
  rootDisk(s);
  const ephemeral = join(s.dir, 'eph');
  mkdirSync(ephemeral);
  // 20 TiB: beyond this filesystem's size, and beyond ext4's largest file (16 TiB - 4 KiB), where qemu-img create fails.
  const fsBytes = statfsSync(ephemeral).blocks * statfsSync(ephemeral).bsize;
  if (skipped(t, fsBytes >= 20 * 2 ** 40 ? `the filesystem under ${ephemeral} holds 20 TiB` : undefined)) return;
  const doc = JSON.parse(vmiJson('scratchvm', [{ volume: 'rootdisk' }])) as { spec: { domain: { devices: { disks: unknown[] } }; volumes: unknown[] } };
  doc.spec.domain.devices.disks.push({ name: 'scratch', disk: { bus: 'virtio' } });
  doc.spec.volumes.push({ name: 'scratch', emptyDisk: { capacity: '20Ti' } });
  s.writeVmi(JSON.stringify(doc));
  const { code, json } = await checkWith(s, '--ephemeral-dir', ephemeral);
  t.is(code, 3, JSON.stringify(json));
  const p = allProblemsOf(json).find((x) => x.reason === 'DiskImageTooLarge');
  t.like(p, { severity: 'error', volume: 'scratch', field: 'spec.domain.devices.disks[1]' });
  t.regex(p?.message ?? '', /emptyDisk scratch is 20971520\.0 MiB but the ephemeral dir's filesystem holds only/);
  // QEMU's own limit is a manifest rule: refused whatever the filesystem.
  doc.spec.volumes[1] = { name: 'scratch', emptyDisk: { capacity: '8Ei' } };
  s.writeVmi(JSON.stringify(doc));
  const beyond = await checkWith(s, '--ephemeral-dir', ephemeral);
  t.is(beyond.code, 3);
  t.like(allProblemsOf(beyond.json).find((x) => x.reason === 'FieldInvalid'), { field: 'spec.volumes[1].emptyDisk.capacity' });
});

test('a legal 252-character name is refused at check with the exact limit (libvirt cannot name its files after it)', async (t) => {
  if (skipped(t, noQemuImg)) return;
  const s = newScene(t);
  rootDisk(s);
  const name = `${'a'.repeat(62)}.${'b'.repeat(62)}.${'c'.repeat(62)}.${'d'.repeat(63)}`;
  t.is(name.length, 252);
  s.writeVmi(vmiJson(name, [{ volume: 'rootdisk' }]));
  const { code, json } = await checkWith(s);
  t.is(code, 3, JSON.stringify(json));
  const p = allProblemsOf(json).find((x) => x.reason === 'NameTooLongForFiles');
  // Namespace "tests": tests_<name>.xml.new <= 255 bytes, so the name holds at most 255 - 8 - 6 = 241.
  t.like(p, { field: 'metadata.name', fix: 'shorten metadata.name to at most 241 characters (or use a shorter namespace)' });
  s.writeVmi(vmiJson('a'.repeat(241), [{ volume: 'rootdisk' }]));
  t.false(reasonsOf((await checkWith(s)).json).includes('NameTooLongForFiles'), 'the limit itself passes');
});

test('a runtime dir over 44 bytes: check says RuntimeDirTooLong, and run refuses before it creates any image', async (t) => {
  if (skipped(t, noQemuImg)) return;
  const s = newScene(t);
  rootDisk(s);
  // A missing disk.img run would create (--allow-plain-dir yes: the volume dir is not a mount point here).
  const data = fsVolume(s, 'data');
  const doc = JSON.parse(vmiJson('longrt', [{ volume: 'rootdisk' }, { volume: 'data' }])) as { metadata: { annotations?: Record<string, string> } };
  doc.metadata.annotations = { 'claim-size.vm-launcher.io/data': '8Mi' };
  s.writeVmi(JSON.stringify(doc));
  const long = join(s.dir, 'a-runtime-dir-name-long-enough-to-overflow');
  t.true(Buffer.byteLength(long) > 44);
  const { code, json } = await checkWith(s, '--runtime-dir', long, '--allow-plain-dir', 'yes');
  t.is(code, 3, JSON.stringify(json));
  t.true(reasonsOf(json).includes('RuntimeDirTooLong'), JSON.stringify(reasonsOf(json)));
  const run = await runCli(['run', ...s.opts(), '--runtime-dir', long, '--allow-plain-dir', 'yes', '--grace-period', '0'], 120_000);
  t.is(run.code, 3, run.stdout + run.stderr);
  t.true(run.stdout.includes('RuntimeDirTooLong'));
  t.false(existsSync(join(data, 'disk.img')), 'run created no image');
  t.false(existsSync(long), 'nor the runtime dir');
});

test('a lock that is not QEMU\'s on QEMU\'s bytes is DiskImageLocked; a real QEMU\'s locks are DiskImageInUse', async (t) => {
  const python = ['/usr/bin/python3'].find(existsSync);
  if (skipped(t, noQemuImg, python ? undefined : 'python3 (to take an OFD lock as another program would) is missing',
    existsSync('/usr/bin/qemu-system-x86_64') ? undefined : 'qemu-system-x86_64 is missing')) return;
  const s = newScene(t);
  const img = rootDisk(s);
  s.writeVmi(vmiJson('locked', [{ volume: 'rootdisk' }]));
  // Another program's OFD write lock on byte 101 (QEMU's "write" byte), held until the test ends.
  const locker = spawn(python!, ['-c', [
    'import fcntl, os, struct, sys',
    `fd = os.open(${JSON.stringify(img)}, os.O_RDWR)`,
    'fcntl.fcntl(fd, 38, struct.pack("hhqqi", fcntl.F_WRLCK, 0, 101, 1, 0))', // F_OFD_SETLKW
    'print("locked", flush=True)',
    'sys.stdin.read()',
  ].join('\n')], { stdio: ['pipe', 'pipe', 'inherit'] });
  t.teardown(() => locker.kill());
  await new Promise((resolve) => locker.stdout!.once('data', resolve));
  const other = await checkWith(s);
  t.is(other.code, 3, JSON.stringify(other.json));
  const p = allProblemsOf(other.json).find((x) => x.reason === 'DiskImageLocked');
  t.regex(p?.message ?? '', /locked by another process, not a QEMU: an OFD WRITE lock on bytes 101-101/);
  t.false(reasonsOf(other.json).includes('DiskImageInUse'));
  locker.kill();
  await new Promise((resolve) => locker.once('exit', resolve));

  // A real QEMU (paused, no guest) holding the image.
  const qemu = spawn('/usr/bin/qemu-system-x86_64', ['-accel', 'tcg', '-machine', 'none', '-nodefaults', '-display', 'none', '-S', '-monitor', 'none',
    '-drive', `file=${img},format=raw,if=none,id=d0`], { stdio: 'ignore' });
  t.teardown(() => qemu.kill('SIGKILL'));
  for (let i = 0; i < 50 && !execFileSync('cat', ['/proc/locks'], { encoding: 'utf8' }).includes(`:${statSync(img).ino} `); i++) await new Promise((r) => setTimeout(r, 100));
  const held = await checkWith(s);
  t.true(reasonsOf(held.json).includes('DiskImageInUse'), JSON.stringify(reasonsOf(held.json)));
  t.false(reasonsOf(held.json).includes('DiskImageLocked'));
});

test('a disk under a directory QEMU\'s user cannot enter: the directory is named as the cause and in the fix', async (t) => {
  if (skipped(t, noQemuImg, isRoot ? undefined : 'needs root (the VM user is another uid)')) return;
  const s = newScene(t);
  const vol = fsVolume(s, 'rootdisk');
  const inner = join(vol, 'private');
  mkdirSync(inner, { mode: 0o700 });
  chmodSync(inner, 0o700); // root's, 0700: uid 107 cannot enter
  const img = join(inner, 'disk.img');
  qemuImg('-f', 'raw', img, '4M');
  giveToVm(img);
  const doc = JSON.parse(vmiJson('parent', [{ volume: 'rootdisk' }])) as { spec: { volumes: unknown[] } };
  doc.spec.volumes[0] = { name: 'rootdisk', hostDisk: { path: img, type: 'Disk' } };
  s.writeVmi(JSON.stringify(doc));
  const { code, json } = await checkWith(s, '--run-as', '107:107');
  t.is(code, 3, JSON.stringify(json));
  const p = allProblemsOf(json).find((x) => x.reason === 'DiskImageNotAccessible');
  t.regex(p?.message ?? '', new RegExp(`cannot enter ${inner.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
  t.regex(p?.fix ?? '', new RegExp(`chmod o\\+x ${inner.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  t.notRegex(p?.fix ?? '', /chown/);
});

test('a NIC whose passt backend is refused: the real problems only, no InternalError', async (t) => {
  if (skipped(t, noQemuImg)) return;
  const s = newScene(t);
  rootDisk(s);
  s.writeVmi(stringify({
    apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name: 'netvm', namespace: 'tests' },
    spec: {
      domain: { memory: { guest: '128Mi' }, devices: { disks: [{ name: 'rootdisk' }], interfaces: [{ name: 'default', passtBinding: {}, model: 'e1000', ports: [{ port: 8080 }] }] } },
      networks: [{ name: 'default', pod: {} }],
      volumes: [{ name: 'rootdisk', persistentVolumeClaim: { claimName: 'root' } }],
    },
  }));
  // vhost-user with an e1000 NIC is refused on every host (on bookworm, the default mode is refused as well).
  for (const mode of ['vhost-user', 'auto']) {
    const { code, json } = await checkWith(s, '--passt-mode', mode);
    const reasons = reasonsOf(json);
    t.false(reasons.includes('InternalError'), `${mode}: ${JSON.stringify(reasons)}`);
    if (mode === 'vhost-user') {
      t.is(code, 3);
      t.true(reasons.includes('FieldInvalid'), JSON.stringify(reasons));
    } else if (!reasons.includes('PasstUnsupportedByLibvirt') && !reasons.includes('PasstMissing')) {
      t.log(`--passt-mode auto: this host's libvirt accepts passt (${reasons.join(', ') || 'no problem'})`);
    }
  }
});

// accel auto used to pick KVM wherever /dev/kvm opened. Here, in a mount namespace of the test's own, /dev/kvm is a
// character device that opens but is not KVM (it is /dev/null's 1:3): QEMU's probe fails KVM_GET_API_VERSION.
test('accel auto: a /dev/kvm that opens but is not a working KVM falls back to TCG, saying why', async (t) => {
  if (skipped(t, noQemuImg, isRoot ? undefined : 'needs root (a mount namespace with its own /dev)',
    existsSync('/usr/bin/unshare') ? undefined : 'unshare (util-linux) is missing')) return;
  const s = newScene(t);
  rootDisk(s);
  s.writeVmi(vmiJson('kvmprobe', [{ volume: 'rootdisk' }]));
  const opts = s.opts().map((a, i, all) => (all[i - 1] === '--accel' ? 'auto' : a));
  const devices = 'mount -t tmpfs -o mode=755 none /dev && for n in null:3 zero:5 random:8 urandom:9 kvm:3; do mknod -m 666 /dev/${n%%:*} c 1 ${n#*:}; done && exec "$@"';
  const out = execFileSync('/usr/bin/unshare', ['-m', '--propagation', 'private', '--', '/bin/sh', '-c', devices, 'sh', process.execPath, cliPath, 'check', '--json', ...opts],
    { encoding: 'utf8', timeout: 60_000, env: { ...process.env, VM_LAUNCHER_LOG_FORMAT: 'json' } });
  const plan = (JSON.parse(out) as { plan: Array<{ setting: string; value: string }> }).plan;
  const accel = plan.find((p) => p.setting === 'accel')?.value ?? '';
  t.regex(accel, /^tcg \(auto: \/dev\/kvm opens but KVM does not work for QEMU \(.*Inappropriate ioctl for device\)/, accel);
});
