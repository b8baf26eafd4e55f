// `check` must say "cannot start" wherever `run` would fail, and must bound the work a hostile manifest or volume
// asks of it (issue 12, the smaller classes). Real qemu-img, real QEMU (query-machines), real filesystems.
import test, { type ExecutionContext } from 'ava';
import { execFileSync, spawn } from 'node:child_process';
import { constants, existsSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { cliPath } from '../../harness/launcher-process.js';
import { join } from 'node:path';
import { isRoot, qemuImgUnavailable } from '../../harness/requirements.js';
import { allProblemsOf, cleanupAll, fsVolume, giveToVm, mountTmpfs, qemuImg, runCli, scene, vmiJson, type CheckJson, type Scene } from '../helpers/check-fixture.js';

const noQemuImg = qemuImgUnavailable();
test.after.always(() => cleanupAll());

function setUp(t: ExecutionContext, ...why: Array<string | undefined>): Scene | undefined {
  const reason = [noQemuImg, ...why].find(Boolean);
  if (reason) {
    t.log(`skipped: ${reason}`);
    t.pass();
    return undefined;
  }
  const s = scene();
  t.teardown(() => s.cleanup());
  return s;
}

function rawVolume(s: Scene, name: string): string {
  const img = join(fsVolume(s, name), 'disk.img');
  qemuImg('-f', 'raw', img, '8M');
  giveToVm(img);
  return img;
}

const reasons = (json: CheckJson) => allProblemsOf(json).map((p) => p.reason);

/** A VMI with one raw volume and `patch` applied to spec.domain. */
function vmiWith(patch: (domain: Record<string, unknown>) => void): string {
  const doc = JSON.parse(vmiJson('limits', [{ volume: 'rootdisk' }])) as { spec: { domain: Record<string, unknown> } };
  patch(doc.spec.domain);
  return JSON.stringify(doc);
}

async function refused(t: ExecutionContext, s: Scene, reason: string): Promise<CheckJson> {
  const r = await s.check();
  t.is(r.code, 3, `${reason}: ${r.raw.stdout}`);
  t.true(reasons(r.json).includes(reason), `${reason} expected, got ${reasons(r.json).join(', ')}`);
  return r.json;
}

test('memory larger than the node (1e100, 1Ei), 100000 vCPUs and an unknown machine type: check says cannot start', async (t) => {
  const s = setUp(t);
  if (!s) return;
  rawVolume(s, 'rootdisk');
  for (const guest of ['1e100', '1Ei']) {
    s.writeVmi(vmiWith((d) => { d['memory'] = { guest }; }));
    await refused(t, s, 'GuestMemoryTooLarge');
  }
  s.writeVmi(vmiWith((d) => { d['cpu'] = { sockets: 1, cores: 100000, threads: 1 }; }));
  await refused(t, s, 'CpuCountTooLarge');
  s.writeVmi(vmiWith((d) => { d['machine'] = { type: 'pc-i440fx-99.9' }; }));
  await refused(t, s, 'MachineTypeUnknown');
  s.writeVmi(vmiWith((d) => { d['machine'] = { type: 'q35' }; }));
  t.is((await s.check()).code, 0, 'an alias QEMU offers is accepted');
});

test('two disks on one file (a hostDisk that is the PVC\'s disk.img) are refused', async (t) => {
  const s = setUp(t);
  if (!s) return;
  const img = rawVolume(s, 'rootdisk');
  const doc = JSON.parse(vmiJson('twice', [{ volume: 'rootdisk', bootOrder: 1 }])) as { spec: { domain: { devices: { disks: unknown[] } }; volumes: unknown[] } };
  doc.spec.domain.devices.disks.push({ name: 'again', disk: { bus: 'virtio' } });
  doc.spec.volumes.push({ name: 'again', hostDisk: { path: img, type: 'Disk' } });
  s.writeVmi(JSON.stringify(doc));
  await refused(t, s, 'DiskImageUsedTwice');
});

test('an append-only image (chattr +a) and a read-only volume are named for what they are', async (t) => {
  const s = setUp(t, isRoot ? undefined : 'chattr and mounts need root');
  if (!s) return;
  const img = rawVolume(s, 'rootdisk');
  s.writeVmi(vmiJson('attrs', [{ volume: 'rootdisk' }]));
  let appendOnly = true;
  try { execFileSync('chattr', ['+a', img], { stdio: 'pipe' }); } catch { appendOnly = false; }
  if (appendOnly) {
    try {
      await refused(t, s, 'DiskImageNotWritable');
    } finally {
      execFileSync('chattr', ['-a', img]);
    }
  } else {
    t.log('skipped append-only: this filesystem has no chattr +a');
  }
  const ro = setUp(t)!;
  const vol = join(ro.volumesDir, 'rootdisk');
  mkdirSync(vol, { mode: 0o755 });
  mountTmpfs(ro, vol, '16m');
  qemuImg('-f', 'raw', join(vol, 'disk.img'), '8M');
  giveToVm(vol);
  execFileSync('mount', ['-o', 'remount,ro', vol]);
  ro.writeVmi(vmiJson('ro', [{ volume: 'rootdisk' }]));
  const json = await refused(t, ro, 'VolumeReadOnly');
  t.false(reasons(json).includes('DiskImageNotAccessible'), 'not diagnosed as a chown problem');
});

test('20000 extra files on a volume are one warning naming a few, not 20000', async (t) => {
  const s = setUp(t);
  if (!s) return;
  const img = rawVolume(s, 'rootdisk');
  const dir = join(img, '..');
  for (let i = 0; i < 20000; i++) writeFileSync(join(dir, `junk-${i}`), '');
  for (let i = 0; i < 3; i++) writeFileSync(join(dir, `other-${i}.qcow2`), '');
  s.writeVmi(vmiJson('junk', [{ volume: 'rootdisk' }]));
  const r = await s.check();
  const extra = allProblemsOf(r.json).filter((p) => p.reason === 'VolumeHasExtraFile');
  t.is(extra.length, 1);
  t.regex(extra[0]!.message, /20000 file/);
  t.is(allProblemsOf(r.json).filter((p) => p.reason === 'VolumeHasExtraImage').length, 1);
});

test('hostile manifests (aliases, billion laughs, deep nesting, prototype keys) exit 3 with a reason, never a stack trace', async (t) => {
  const s = setUp(t);
  if (!s) return;
  rawVolume(s, 'rootdisk');
  const laughs = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n';
  const aliases = 'a: &a [x]\n' + Array.from({ length: 150 }, (_, i) => `b${i}: *a`).join('\n') + '\n';
  const nested = 'a: ' + '['.repeat(400_000) + ']'.repeat(400_000) + '\n';
  for (const [name, text, reason] of [['billion laughs', laughs, 'ManifestInvalid'], ['150 aliases', aliases, 'ManifestInvalid'], ['800 KB of nesting', nested, 'ManifestInvalid']] as const) {
    s.writeVmi(text);
    const started = Date.now();
    const r = await runCli(['check', '--json', ...s.opts()]);
    t.log(`${name}: exit ${r.code} in ${Date.now() - started} ms`);
    t.is(r.code, 3, `${name}: ${r.stdout}${r.stderr}`);
    t.false(/\bat .*\.(js|ts):\d+/.test(r.stderr), `${name}: no stack trace`);
    t.true((JSON.parse(r.stdout) as CheckJson).problems.some((p) => p.reason === reason));
  }
  // Keys named like Object.prototype members are unknown fields like any other, at every level.
  type Doc = Record<string, unknown> & { metadata: Record<string, unknown>; spec: Record<string, unknown> & { domain: Record<string, unknown> } };
  const doc = JSON.parse(vmiJson('proto', [{ volume: 'rootdisk' }])) as Doc;
  const set = (o: object, key: string) => Object.defineProperty(o, key, { value: 'x', enumerable: true });
  set(doc, 'constructor');
  set(doc.metadata, 'toString');
  set(doc.spec, 'hasOwnProperty');
  set(doc.spec.domain, 'valueOf');
  s.writeVmi(JSON.stringify(doc));
  const json = await refused(t, s, 'FieldNotSupported');
  const fields = allProblemsOf(json).filter((p) => p.reason === 'FieldNotSupported').map((p) => p.field).sort();
  t.deepEqual(fields, ['constructor', 'metadata.toString', 'spec.domain.valueOf', 'spec.hasOwnProperty']);
});

test('relative --runtime-dir and --hooks-dir become absolute in the plan', async (t) => {
  const s = setUp(t);
  if (!s) return;
  rawVolume(s, 'rootdisk');
  s.writeVmi(vmiJson('rel', [{ volume: 'rootdisk' }]));
  const out = execFileSync(cliPath, ['check', '--json', ...s.opts(), '--runtime-dir', 'rt', '--hooks-dir', 'hooks'], { cwd: s.dir, encoding: 'utf8' });
  const plan = (JSON.parse(out) as { plan: Array<{ setting: string; value: string }> }).plan;
  t.is(plan.find((p) => p.setting === 'runtime-dir')?.value, join(s.dir, 'rt'));
  t.is(plan.find((p) => p.setting === 'hooks-dir')?.value, join(s.dir, 'hooks'));
});

// ---- issue 21, medium 1: root opens only the inode it inspected, never what the VM user swapped disk.img for

test('check as root never opens a root-only FIFO that uid 107 keeps swapping in for disk.img (25 runs)', async (t) => {
  const s = setUp(t, isRoot ? undefined : 'the swap crosses from uid 107 to root: run as root');
  if (!s) return;
  rawVolume(s, 'rootdisk');
  s.writeVmi(vmiJson('swapped', [{ volume: 'rootdisk' }]));
  // A root-only FIFO outside the volume, with a writer blocked on it: if anything opens it for reading, the writer's
  // open returns and it leaves a mark.
  const fifo = join(s.dir, 'root-only.fifo');
  const mark = join(s.dir, 'fifo-was-opened');
  execFileSync('mkfifo', ['-m', '600', fifo]);
  const writer = spawn('sh', ['-c', ': > "$1" && touch "$2"', 'sh', fifo, mark], { stdio: 'ignore' });
  // The VM user swaps disk.img for a link to the FIFO and back, as fast as it can.
  const vol = join(s.volumesDir, 'rootdisk');
  const swapper = spawn('setpriv', ['--reuid=107', '--regid=107', '--clear-groups', 'sh', '-c',
    'cd "$1" && ln -f disk.img .keep && while :; do ln -sfn "$2" .lnk && mv -fT .lnk disk.img; ln -f .keep .tmp && mv -fT .tmp disk.img; done',
    'sh', vol, fifo], { stdio: 'ignore' });
  try {
    for (let i = 0; i < 25 && !existsSync(mark); i++) await s.check();
    await new Promise((r) => setTimeout(r, 300));
    t.false(existsSync(mark), 'the root-only FIFO was opened by check');
  } finally {
    swapper.kill('SIGKILL');
    writer.kill('SIGKILL');
    // Unblock the writer if it still waits, so nothing outlives the test.
    try { openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK); } catch { /* gone */ }
  }
});
