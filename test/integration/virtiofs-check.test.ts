// virtiofs shares on this host, through the real CLI: `check` (human and --json) says per volume "share via
// virtiofs", a shared volume is a directory that needs no disk.img, and the host's virtiofsd is judged for real.
// Debian bookworm has only QEMU 7.2's C virtiofsd (/usr/lib/qemu/virtiofsd), which needs root: `check` and `run`
// refuse with VirtiofsdUnavailable and start nothing. The run stage's virtiofsd wrapper is checked with a program
// that exits at start (VirtiofsdFailed). A guest mounting a share runs in the image (test/container/virtiofs.test.ts),
// where Debian trixie's Rust virtiofsd is.
import test, { type ExecutionContext } from 'ava';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { LauncherRun, processesMentioning, sharedCacheDir } from '../../harness/launcher-process.js';
import { qemuImgUnavailable } from '../../harness/requirements.js';
import { allProblemsOf, cleanupAll, fsVolume, giveToVm, qemuImg, scene, type Scene } from '../helpers/check-fixture.js';

const noQemuImg = qemuImgUnavailable();
const isRoot = process.getuid?.() === 0;
test.after.always(() => cleanupAll());

function newScene(t: ExecutionContext): Scene {
  const s = scene('vml-vfs-');
  t.teardown(() => s.cleanup());
  return s;
}

/** A boot disk on `rootdisk` and the volume `shared` shared through virtiofs (its directory made by the test). */
function vmi(s: Scene, extra: { readOnly?: boolean } = {}): void {
  const img = join(fsVolume(s, 'rootdisk'), 'disk.img');
  qemuImg('-f', 'raw', img, '1M');
  giveToVm(img);
  s.writeVmi(stringify({
    apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name: 'vfsvm', namespace: 'tests' },
    spec: {
      domain: { memory: { guest: '128Mi' }, devices: { disks: [{ name: 'rootdisk' }], filesystems: [{ name: 'shared', virtiofs: {} }] } },
      volumes: [
        { name: 'rootdisk', persistentVolumeClaim: { claimName: 'root' } },
        { name: 'shared', persistentVolumeClaim: { claimName: 'files', ...(extra.readOnly && { readOnly: true }) } },
      ],
    },
  }));
}

interface ShareJson { volume: string; kind: string; path: string | null; action: { kind: string; via: string; tag: string; socket: string; virtiofsd: { path: string } | null; explained: string } }

test('check: a shared volume is a directory shared via virtiofs, needs no disk.img, and this host\'s virtiofsd is judged', async (t) => {
  if (noQemuImg) { t.log(`skipped: ${noQemuImg}`); return t.pass(); }
  const s = newScene(t);
  vmi(s);
  writeFileSync(join(fsVolume(s, 'shared'), 'notes.txt'), 'not an image\n');
  const { code, json } = await s.check();
  const share = (json.volumes as unknown as ShareJson[]).find((v) => v.kind === 'share');
  t.truthy(share, JSON.stringify(json.volumes));
  t.is(share?.volume, 'shared');
  t.is(share?.action.kind, 'share');
  t.is(share?.action.via, 'virtiofs');
  t.is(share?.action.tag, 'shared');
  t.regex(share?.action.socket ?? '', /\/virtiofs\/shared\.sock$/);
  const reasons = allProblemsOf(json).map((p) => p.reason);
  t.false(reasons.includes('DiskImageMissing'), 'a share is not a disk');
  t.false(reasons.includes('VolumeHasExtraFile'));
  const unavailable = json.problems.find((p) => p.reason === 'VirtiofsdUnavailable');
  if (unavailable) {
    t.is(code, 3);
    t.is(unavailable.field, 'spec.domain.devices.filesystems[0]');
    t.regex(unavailable.fix ?? '', /virtiofsd/);
    t.is(share?.action.virtiofsd, null);
    t.log(`this host: ${unavailable.message}`);
  } else {
    t.is(code, 0, JSON.stringify(json.problems));
    t.truthy(share?.action.virtiofsd?.path);
    t.log(`this host: ${share?.action.explained}`);
  }
  const text = await s.checkText();
  t.regex(text.stdout, /shared\s+share\s+\S+\s+share via virtiofs: tag shared/);
});

test('on a host with only QEMU\'s C virtiofsd (Debian bookworm) it is named as the reason', async (t) => {
  if (noQemuImg) { t.log(`skipped: ${noQemuImg}`); return t.pass(); }
  if (existsSync('/usr/libexec/virtiofsd') || !existsSync('/usr/lib/qemu/virtiofsd')) {
    t.log('skipped: this host does not have exactly QEMU\'s C virtiofsd (/usr/lib/qemu/virtiofsd) and no other');
    return t.pass();
  }
  const s = newScene(t);
  vmi(s);
  fsVolume(s, 'shared');
  const { json } = await s.check();
  const p = json.problems.find((x) => x.reason === 'VirtiofsdUnavailable');
  // As root it runs as uid 107 and prints its version; as an ordinary user it fails at once (setgroups).
  t.regex(p?.message ?? '', /\/usr\/lib\/qemu\/virtiofsd is QEMU's C virtiofsd \((virtiofsd version 7\.|--version failed: ).*\), which needs root/);
});

test('check refuses a share the pod does not provide or the VM user cannot use, by reason and volume', async (t) => {
  if (noQemuImg) { t.log(`skipped: ${noQemuImg}`); return t.pass(); }
  const s = newScene(t);
  vmi(s);
  const missing = await s.check();
  t.true(allProblemsOf(missing.json).some((p) => p.reason === 'VolumeNotFound' && p.volume === 'shared'), JSON.stringify(allProblemsOf(missing.json)));
  writeFileSync(join(s.volumesDir, 'shared'), 'a file, not a directory');
  const file = await s.check();
  t.true(allProblemsOf(file.json).some((p) => p.reason === 'VolumeNotDirectory' && p.volume === 'shared'));
  if (!isRoot) { t.log('skipped the access part: only root can make a directory uid 107 cannot use'); return; }
  const s2 = newScene(t);
  vmi(s2);
  mkdirSync(join(s2.volumesDir, 'shared'), { mode: 0o700 }); // root's, 0700: the VM user cannot enter it
  const denied = await s2.check();
  const p = allProblemsOf(denied.json).find((x) => x.reason === 'ShareNotAccessible');
  t.is(p?.volume, 'shared');
  t.regex(p?.message ?? '', /uid 107.*cannot read, write and enter/);
});

test('run refuses with VirtiofsdUnavailable before anything starts when no usable virtiofsd is installed', async (t) => {
  if (noQemuImg) { t.log(`skipped: ${noQemuImg}`); return t.pass(); }
  const s = newScene(t);
  vmi(s);
  fsVolume(s, 'shared');
  const probe = await s.check();
  if (!probe.json.problems.some((p) => p.reason === 'VirtiofsdUnavailable')) {
    t.log('skipped: this host has a usable virtiofsd; the image test boots a guest with a share');
    return t.pass();
  }
  const runtime = join('/tmp', `vmlv-${process.pid}`);
  const run = new LauncherRun(['run', ...s.opts(), '--runtime-dir', runtime, '--cache-dir', sharedCacheDir]);
  try {
    t.is(await run.exitCode(60_000), 3, run.tail());
    t.true(run.lines.some((l) => l.reason === 'VirtiofsdUnavailable'), run.tail());
    t.false(existsSync(runtime), 'no runtime dir: nothing was started');
    t.deepEqual(processesMentioning(runtime), []);
  } finally {
    run.kill(runtime);
  }
});

test('a virtiofsd that exits at start fails the run with VirtiofsdFailed and its own words; its group is gone', async (t) => {
  // The process wrapper run uses, given a real program that refuses virtiofsd's options at once (/bin/sh).
  const { VirtiofsdProcess } = await import('../../launcher/run/virtiofsd-process.js');
  const { pino } = await import('pino');
  const logged: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => { logged.push(JSON.parse(line) as Record<string, unknown>); } });
  const s = newScene(t);
  const share = {
    share: { name: 'shared', volumeName: 'shared', field: 'spec.domain.devices.filesystems[0]', claimName: 'c', readOnly: false },
    dir: fsVolume(s, 'shared'), socketPath: join(s.dir, 'shared.sock'), problems: [],
  };
  const p = new VirtiofsdProcess(share, { path: '/bin/sh', version: 'not virtiofsd' }, undefined, logger);
  const err = await t.throwsAsync(p.ready(new AbortController().signal));
  t.is((err as { reason?: string }).reason, 'VirtiofsdFailed');
  t.regex(err?.message ?? '', /virtiofsd for volume shared exited while starting \(code 2, signal null\); it said: \/bin\/sh: .*Illegal option/);
  t.true(logged.some((l) => l['volume'] === 'shared' && l['reason'] === 'VirtiofsdOutput'), JSON.stringify(logged));
  t.false(await p.stop(), 'nothing left to kill');
});
