// Creating a missing disk.img and growing one with its volume, on real filesystems of known size (tmpfs mounts, as
// root): what check plans (and that it changes nothing), what run's stage makes (size, sparse or fully allocated,
// owner), the refusals with their numbers, the 10 % tolerance both ways, a crash during creation, and growth off by
// default. The last test boots the test guest with a created second disk and reads its size from inside the guest.
import test, { type ExecutionContext } from 'ava';
import { existsSync, lstatSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync, watch } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { bootUnavailable, isRoot } from '../../harness/requirements.js';
import { LauncherRun, sharedCacheDir } from '../../harness/launcher-process.js';
import { buildTestDisk } from '../../harness/guest-disk.js';
import { VM_UID, cleanupAll, mountTmpfs, runCli, scene, type CheckJson, type Scene, type VolumeJson } from '../helpers/check-fixture.js';
import { readManifest } from '../../launcher/inspect/read-manifest.js';
import { resolvePlan } from '../../launcher/plan/resolve-plan.js';
import { preflight } from '../../launcher/inspect/preflight.js';
import { applyVolumeChanges } from '../../launcher/run/volume-changes.js';
import { creatingName } from '../../launcher/run/create-disk-image.js';

const MIB = 1024 * 1024;
const noRoot = isRoot ? undefined : 'mounting a tmpfs of known size needs root';

test.after.always(() => cleanupAll());

function cannotRun(t: ExecutionContext, reason: string | undefined): boolean {
  if (reason) {
    t.log(`skipped: ${reason}`);
    t.pass();
  }
  return reason !== undefined;
}

interface Vol { name: string; size?: string; preallocate?: boolean; hostDisk?: { path: string; capacity?: string } }

/** A VMI whose disks are `vols`, with the annotations that carry each claim's size and preallocation. */
function vmi(name: string, vols: Vol[]): string {
  const annotations: Record<string, string> = {};
  for (const v of vols) {
    if (v.size && !v.hostDisk) annotations[`claim-size.vm-launcher.io/${v.name}`] = v.size;
    if (v.preallocate) annotations[`preallocation.vm-launcher.io/${v.name}`] = 'true';
  }
  return JSON.stringify({
    apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name, namespace: 'tests', annotations },
    spec: {
      domain: { memory: { guest: '128Mi' }, devices: { disks: vols.map((v, i) => ({ name: v.name, disk: { bus: 'virtio' }, ...(i === 0 && { bootOrder: 1 }) })) } },
      volumes: vols.map((v) => (v.hostDisk
        ? { name: v.name, hostDisk: { path: v.hostDisk.path, type: 'DiskOrCreate', ...(v.hostDisk.capacity && { capacity: v.hostDisk.capacity }) } }
        : { name: v.name, persistentVolumeClaim: { claimName: `${v.name}-claim` } })),
    },
  });
}

function newScene(t: ExecutionContext, name: string, vols: Vol[]): Scene {
  const s = scene('vml-create-');
  t.teardown(() => s.cleanup());
  s.writeVmi(vmi(name, vols));
  return s;
}

/** An empty tmpfs of `size` mounted as the volume `name` (a mount point, like a PVC), owned by the VM user. */
function tmpfsVolume(s: Scene, name: string, size: string): string {
  const dir = join(s.volumesDir, name);
  mountTmpfs(s, dir, size);
  return dir;
}

/** Names, sizes, owners and times of everything below `dir`: check must leave it exactly so. */
function tree(dir: string): string[] {
  return readdirSync(dir, { recursive: true }).map(String).sort().map((n) => {
    const st = lstatSync(join(dir, n));
    return `${n} ${st.mode} ${st.size} ${st.blocks} ${st.uid} ${st.mtimeMs} ${st.ctimeMs}`;
  }).concat(`. ${statSync(dir).mtimeMs} ${statSync(dir).ctimeMs}`);
}

const volumeOf = (json: CheckJson, name: string): VolumeJson & { action?: Record<string, unknown> } =>
  json.volumes.find((v) => v.volume === name) as VolumeJson & { action?: Record<string, unknown> };
const reasons = (v: VolumeJson): string[] => v.problems.map((p) => p.reason);

/** run's own stage, without the stack: preflight, then the changes it planned, as `run` does them. */
async function runStage(s: Scene, extra: string[] = []): Promise<{ logs: Array<Record<string, unknown>>; ok: boolean }> {
  const flags: Record<string, string> = { vmi: s.vmiPath, volumesDir: s.volumesDir, devicesDir: s.devicesDir, accel: 'tcg' };
  for (let i = 0; i < extra.length; i += 2) flags[extra[i]!.replace(/^--/, '').replace(/-(.)/g, (_, c: string) => c.toUpperCase())] = extra[i + 1]!;
  const manifest = await readManifest(s.vmiPath);
  const plan = await resolvePlan(flags, {}, manifest.spec);
  const first = await preflight(plan, manifest);
  const logs: Array<Record<string, unknown>> = [];
  const sink = new Writable({ write(chunk, _enc, done) { logs.push(JSON.parse(String(chunk)) as Record<string, unknown>); done(); } });
  const after = await applyVolumeChanges(plan, manifest, first, pino({}, sink));
  return { logs, ok: first.ok && after.ok };
}

test('check plans a sparse disk.img of what an empty mounted volume holds, and changes nothing', async (t) => {
  if (cannotRun(t, noRoot)) return;
  const s = newScene(t, 'plan', [{ name: 'data' }]);
  const dir = tmpfsVolume(s, 'data', '64m');
  mkdirSync(join(dir, 'lost+found'));
  writeFileSync(join(dir, '.hidden'), 'x');
  const before = tree(dir);
  const { code, json } = await s.check();
  const text = await s.checkText();
  t.deepEqual(tree(dir), before, 'check created or touched nothing');
  t.is(code, 0, JSON.stringify(json.volumes));
  const v = volumeOf(json, 'data');
  // 64 MiB free, less the 128 KiB reserve, rounded down to whole MiB.
  t.like(v.action, { kind: 'create', sizeBytes: 63 * MIB, preallocated: false });
  t.regex(String(v.action?.why), /what the volume can hold/);
  t.regex(text.stdout, /would create .*data\/disk\.img: 63MiB sparse/);
});

test('run creates the wanted size sparse, owned by the VM user, through a temporary name', async (t) => {
  if (cannotRun(t, noRoot)) return;
  const s = newScene(t, 'sparse', [{ name: 'data', size: '50Mi' }]);
  const dir = tmpfsVolume(s, 'data', '64m');
  const { logs, ok } = await runStage(s);
  t.true(ok, JSON.stringify(logs));
  const st = statSync(join(dir, 'disk.img'));
  t.is(st.size, 50 * MIB);
  t.is(st.blocks, 0, 'sparse: nothing allocated');
  t.is(st.uid, VM_UID);
  t.is(st.mode & 0o777, 0o660);
  t.deepEqual(readdirSync(dir), ['disk.img'], 'no temporary file left');
  t.like(logs.find((l) => l.reason === 'DiskImageCreated'), { volume: 'data', sizeBytes: 50 * MIB, preallocated: false });
  // Created once: a second run uses it as it is.
  const again = await runStage(s);
  t.false(again.logs.some((l) => l.reason === 'DiskImageCreated'));
});

test('a preallocated claim gets a fully allocated image and no discard', async (t) => {
  if (cannotRun(t, noRoot)) return;
  const s = newScene(t, 'thick', [{ name: 'data', size: '32Mi', preallocate: true }]);
  const dir = tmpfsVolume(s, 'data', '64m');
  t.like(volumeOf((await s.check()).json, 'data').action, { kind: 'create', sizeBytes: 32 * MIB, preallocated: true });
  t.true((await runStage(s)).ok);
  const st = statSync(join(dir, 'disk.img'));
  t.is(st.size, 32 * MIB);
  t.true(st.blocks * 512 >= st.size, `fully allocated: ${st.blocks * 512} of ${st.size} bytes`);
  const xml = (await s.domain()).stdout;
  t.regex(xml, /<driver [^>]*type="raw"/);
  t.notRegex(xml, /discard=/);
});

test('a volume too small is refused with the numbers; the 10 % tolerance accepts 70Mi on 64m and refuses 71Mi', async (t) => {
  if (cannotRun(t, noRoot)) return;
  const s = newScene(t, 'small', [{ name: 'big', size: '100Mi' }, { name: 'tol', size: '70Mi' }, { name: 'over', size: '71Mi' }]);
  for (const v of ['big', 'tol', 'over']) tmpfsVolume(s, v, '64m');
  const { code, json } = await s.check();
  t.is(code, 3);
  t.deepEqual(reasons(volumeOf(json, 'big')), ['VolumeTooSmall']);
  t.regex(volumeOf(json, 'big').problems[0]!.message, /asks for 100 MiB; the volume has 64 MiB free, 63 MiB usable/);
  t.deepEqual(reasons(volumeOf(json, 'tol')), ['ToleratedSmallPV']);
  t.like(volumeOf(json, 'tol').action, { kind: 'create', sizeBytes: 63 * MIB });
  t.deepEqual(reasons(volumeOf(json, 'over')), ['VolumeTooSmall']);
  t.regex(volumeOf(json, 'over').problems[0]!.message, /at least 63\.90 MiB/);
  for (const v of ['big', 'tol', 'over']) t.false(existsSync(join(s.volumesDir, v, 'disk.img')));
});

test('a plain directory is refused unless --allow-plain-dir yes; a volume with another file is refused; --create-disks no is the strict rule', async (t) => {
  if (cannotRun(t, noRoot)) return;
  const s = newScene(t, 'rules', [{ name: 'plain', size: '4Mi' }, { name: 'busy', size: '4Mi' }]);
  const plain = join(s.volumesDir, 'plain');
  mkdirSync(plain);
  execFileSync('chown', [`${VM_UID}:${VM_UID}`, plain]);
  const busy = tmpfsVolume(s, 'busy', '16m');
  writeFileSync(join(busy, 'notes.txt'), 'mine');
  const before = [tree(plain), tree(busy)];
  let { json } = await s.check();
  t.deepEqual(reasons(volumeOf(json, 'plain')), ['VolumeNotMountPoint']);
  t.deepEqual(reasons(volumeOf(json, 'busy')), ['VolumeNotEmpty']);
  t.regex(volumeOf(json, 'busy').problems[0]!.message, /notes\.txt/);
  ({ json } = (await runCli(['check', '--json', ...s.opts(), '--allow-plain-dir', 'yes']).then((r) => ({ json: JSON.parse(r.stdout) as CheckJson }))));
  t.like(volumeOf(json, 'plain').action, { kind: 'create', sizeBytes: 4 * MIB });
  ({ json } = (await runCli(['check', '--json', ...s.opts(), '--create-disks', 'no']).then((r) => ({ json: JSON.parse(r.stdout) as CheckJson }))));
  t.deepEqual(reasons(volumeOf(json, 'plain')), ['DiskImageMissing']);
  t.deepEqual([tree(plain), tree(busy)], before);
});

test('hostDisk DiskOrCreate: created at its capacity in its own mounted directory', async (t) => {
  if (cannotRun(t, noRoot)) return;
  const s = scene('vml-create-');
  t.teardown(() => s.cleanup());
  const hostDir = join(s.dir, 'host');
  mountTmpfs(s, hostDir, '32m');
  s.writeVmi(vmi('hostdisk', [{ name: 'h', hostDisk: { path: join(hostDir, 'h.img'), capacity: '8Mi' } }]));
  const { code, json } = await s.check();
  t.is(code, 0, JSON.stringify(json));
  t.like(volumeOf(json, 'h'), { kind: 'hostDisk', action: { kind: 'create', sizeBytes: 8 * MIB, why: 'hostDisk.capacity 8 MiB' } });
  t.true((await runStage(s)).ok);
  t.is(statSync(join(hostDir, 'h.img')).size, 8 * MIB);
});

test('SIGKILL during creation leaves no disk.img; the next run starts over', async (t) => {
  if (cannotRun(t, noRoot)) return;
  // A fully allocated 1.5 GiB image on tmpfs: fallocate zeroes its pages, which takes long enough to be killed in.
  const s = newScene(t, 'crash', [{ name: 'data', size: '1536Mi', preallocate: true }]);
  const dir = tmpfsVolume(s, 'data', '2g');
  const tmp = creatingName('disk.img');
  const runtimeDir = join(s.dir, 'rt');
  // The watcher's callback can come after fallocate finished on a loaded machine (a CI run saw it): such an attempt
  // is stopped at once and repeated on an emptied volume, up to 3 times; each miss is logged.
  let killedWhileCreating = false;
  let lastTail = '';
  for (let attempt = 1; attempt <= 3 && !killedWhileCreating; attempt++) {
    const run = new LauncherRun(['run', ...s.opts(), '--runtime-dir', runtimeDir, '--cache-dir', sharedCacheDir, '--grace-period', '0']);
    let missed = false;
    const watcher = watch(dir, () => {
      if (killedWhileCreating || missed) return;
      if (existsSync(join(dir, tmp)) && !existsSync(join(dir, 'disk.img'))) {
        killedWhileCreating = true;
        run.signalGroup('SIGKILL'); // like the kubelet: the launcher and fallocate, its child, at once
      } else if (existsSync(join(dir, 'disk.img'))) {
        missed = true;
        run.signalGroup('SIGKILL');
      }
    });
    try {
      await run.exitCode(60_000);
    } finally {
      watcher.close();
      run.kill(runtimeDir);
      lastTail = run.tail();
    }
    if (!killedWhileCreating) {
      t.log(`attempt ${attempt}: the creation ended before the watcher saw it; volume emptied, trying again`);
      for (const f of readdirSync(dir)) rmSync(join(dir, f), { force: true });
    }
  }
  t.true(killedWhileCreating, `the kill did not land during creation in 3 attempts: ${lastTail}`);
  t.false(existsSync(join(dir, 'disk.img')), 'no disk.img after a crash during creation');
  // The leftover is a dotfile: check still plans the creation, and run replaces the leftover.
  const { json } = await s.check();
  t.like(volumeOf(json, 'data').action, { kind: 'create', sizeBytes: 1536 * MIB });
  t.true((await runStage(s)).ok);
  t.deepEqual(readdirSync(dir), ['disk.img']);
  const st = statSync(join(dir, 'disk.img'));
  t.true(st.blocks * 512 >= st.size);
});

test('growth is off by default; with --expand-disks yes the image grows to what its volume holds, never past the claim', async (t) => {
  if (cannotRun(t, noRoot)) return;
  const s = newScene(t, 'grow', [{ name: 'data', size: '16Mi' }]);
  const dir = tmpfsVolume(s, 'data', '16m');
  t.true((await runStage(s)).ok);
  t.is(statSync(join(dir, 'disk.img')).size, 15 * MIB, '16m less the reserve: tolerated at 15 MiB');
  execFileSync('mount', ['-o', 'remount,size=64m', dir]); // the PVC was expanded
  const off = await s.check();
  t.is(volumeOf(off.json, 'data').action?.kind, 'use');
  t.false((await runStage(s)).logs.some((l) => l.reason === 'DiskImageGrown'));
  t.is(statSync(join(dir, 'disk.img')).size, 15 * MIB, 'off by default: untouched');
  // The claim says 16Mi: growth stops there even though the volume holds more.
  const capped = await runCli(['check', '--json', ...s.opts(), '--expand-disks', 'yes']);
  t.like(volumeOf(JSON.parse(capped.stdout) as CheckJson, 'data').action, { kind: 'grow', fromBytes: 15 * MIB, toBytes: 16 * MIB });
  s.writeVmi(vmi('grow', [{ name: 'data' }]));
  const { logs, ok } = await runStage(s, ['--expand-disks', 'yes']);
  t.true(ok);
  t.like(logs.find((l) => l.reason === 'DiskImageGrown'), { volume: 'data', fromBytes: 15 * MIB, toBytes: 63 * MIB });
  const st = statSync(join(dir, 'disk.img'));
  t.is(st.size, 63 * MIB);
  t.is(st.blocks, 0, 'still sparse');
  t.is((await runStage(s, ['--expand-disks', 'yes'])).logs.filter((l) => l.reason === 'DiskImageGrown').length, 0, 'nothing more to grow');
});

const noBoot = noRoot ?? bootUnavailable();

test.serial('the guest sees the created disk at its size, and the grown size after the volume grew', async (t) => {
  if (cannotRun(t, noBoot)) return;
  const s = newScene(t, 'guestsize', [{ name: 'rootdisk' }, { name: 'data', size: '48Mi' }]);
  const root = join(s.volumesDir, 'rootdisk');
  mkdirSync(root);
  buildTestDisk(join(root, 'disk.img'), 'poweroff');
  execFileSync('chown', ['-R', `${VM_UID}:${VM_UID}`, root]);
  const dir = tmpfsVolume(s, 'data', '64m');
  const runtimeDir = join(s.dir, 'rt');
  const boot = async (...extra: string[]): Promise<LauncherRun> => {
    const run = new LauncherRun(['run', ...s.opts(), '--runtime-dir', runtimeDir, '--cache-dir', sharedCacheDir, ...extra]);
    try {
      t.is(await run.exitCode(180_000), 0, run.tail());
    } finally {
      run.kill(runtimeDir);
    }
    return run;
  };
  const sectors = (run: LauncherRun): string | undefined =>
    run.lines.find((l) => l.component === 'guest-console' && l.msg.includes('GUEST-DISK-SIZE vdb'))?.msg.match(/sectors=(\d+)/)?.[1];
  const first = await boot();
  t.like(first.lines.find((l) => l.reason === 'DiskImageCreated'), { volume: 'data', sizeBytes: 48 * MIB });
  t.is(sectors(first), String((48 * MIB) / 512), 'the guest sees 48 MiB');
  t.is(statSync(join(dir, 'disk.img')).uid, VM_UID);
  execFileSync('mount', ['-o', 'remount,size=96m', dir]);
  s.writeVmi(vmi('guestsize', [{ name: 'rootdisk' }, { name: 'data' }])); // no claim size: what the volume holds
  const grown = await boot('--expand-disks', 'yes');
  t.like(grown.lines.find((l) => l.reason === 'DiskImageGrown'), { fromBytes: 48 * MIB, toBytes: 95 * MIB });
  t.is(sectors(grown), String((95 * MIB) / 512), 'the guest sees the grown 95 MiB');
  t.is(statSync(join(root, 'disk.img')).size, 32 * MIB, 'the root disk sits in a plain directory: never grown');
});

test('a failed creation (fallocate refused by ramfs) is DiskImageCreateFailed and leaves nothing behind', async (t) => {
  if (cannotRun(t, noRoot)) return;
  const s = newScene(t, 'nofalloc', [{ name: 'data', size: '4Mi', preallocate: true }]);
  const dir = join(s.volumesDir, 'data');
  mkdirSync(dir);
  execFileSync('mount', ['-t', 'ramfs', '-o', 'mode=0755', 'ramfs', dir]);
  t.teardown(() => execFileSync('umount', ['-l', dir]));
  execFileSync('chown', [`${VM_UID}:${VM_UID}`, dir]);
  // ramfs reports no size: the claim's size is taken as it is.
  t.like(volumeOf((await s.check()).json, 'data').action, { kind: 'create', sizeBytes: 4 * MIB, preallocated: true });
  const e = await t.throwsAsync(runStage(s));
  t.is((e as Error & { reason?: string }).reason, 'DiskImageCreateFailed');
  t.regex(e!.message, /fallocate.*not supported/i);
  t.deepEqual(readdirSync(dir), [], 'neither disk.img nor the temporary file');
});
