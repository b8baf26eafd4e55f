// virtiofs shares in the VM pod image (Debian trixie: the Rust virtiofsd; bookworm's C one needs root, so no share
// can be served on such a host: test/integration/virtiofs-check.test.ts checks the refusal there). The small test
// guest (test/fixtures/build-test-disk.sh) mounts the tags its VIRTIOFS.TXT names, prints the HOST.TXT the host
// wrote and writes GUEST.TXT, which then appears on the host volume, owned by uid 107. The launcher runs through
// `podman exec` in a container whose PID 1 (tini) outlives it, so "nothing outlives the launcher" is seen inside
// the container after the launcher exits, not hidden by the container's end. One TCG guest.
import test, { type ExecutionContext } from 'ava';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { execa, execaSync } from 'execa';
import { stringify } from 'yaml';
import { buildTestDisk, guestBuildUnavailable } from '../../harness/guest-disk.js';
import { CONTAINERS_CONF, ensureImage, IMAGE, must, podman, podmanUnavailable, VOLUME_DIR, type LogLine } from '../helpers/podman.js';

const noPodman = podmanUnavailable();
const noGuest = noPodman ?? guestBuildUnavailable();
const serial = noPodman ? test.skip : test.serial;
if (noPodman) test('virtiofs: container tests', (t) => { t.log(`skipped: ${noPodman}`); t.pass(); });

const work = mkdtempSync(join(tmpdir(), 'vml-vfs-'));
chmodSync(work, 0o755);
const uniq = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
const HOST_TEXT = `written by the host ${uniq}`;
const state: { image?: boolean } = {};

test.after.always('clean up: containers and the work dir', async () => {
  if (!noPodman) {
    const ids = String((await podman(['ps', '-aq', '--filter', `name=-${uniq}`])).stdout).split('\n').filter(Boolean);
    if (ids.length) await podman(['rm', '-f', '-t', '0', ...ids]);
  }
  rmSync(work, { recursive: true, force: true });
});

function needImage(t: ExecutionContext, minutes = 4): void {
  if (!state.image) throw new Error(`image ${IMAGE} is not available: see the first test`);
  t.timeout(minutes * 60_000);
}

/** A directory owned by uid 107 (as fsGroup 107 makes a PVC). */
function volumeDir(name: string): string {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  chownSync(dir, 107, 107);
  return dir;
}

/** The boot disk (the test guest, told to mount `tags`), the shared volume with HOST.TXT, and the VMI. */
function pod(test: string, tags: string[]): { root: string; shared: string; vmi: string } {
  const root = volumeDir(`${test}/rootdisk`);
  const image = join(root, 'disk.img');
  buildTestDisk(image, 'wait');
  writeVirtiofsTags(image, tags.join('\n') + '\n');
  chownSync(image, 107, 107);
  const shared = volumeDir(`${test}/shared`);
  writeFileSync(join(shared, 'HOST.TXT'), `${HOST_TEXT}\n`);
  chownSync(join(shared, 'HOST.TXT'), 107, 107);
  const vmi = join(work, test, 'vmi.yaml');
  writeFileSync(vmi, stringify({
    apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name: 'vfs', namespace: 'tests' },
    spec: {
      terminationGracePeriodSeconds: 30,
      domain: { memory: { guest: '128Mi' }, devices: { disks: [{ name: 'rootdisk' }], filesystems: [{ name: 'shared', virtiofs: {} }] } },
      volumes: [{ name: 'rootdisk', persistentVolumeClaim: { claimName: 'root' } }, { name: 'shared', persistentVolumeClaim: { claimName: 'files' } }],
    },
  }));
  chmodSync(vmi, 0o644);
  return { root, shared, vmi };
}

/** VIRTIOFS.TXT on the guest's FAT partition, as the builder's header says (mcopy, like MODE.TXT). */
function writeVirtiofsTags(image: string, text: string): void {
  const file = join(work, `VIRTIOFS-${process.hrtime.bigint()}.TXT`);
  writeFileSync(file, text);
  const r = execaSync('mcopy', ['-o', '-i', `${image}@@1M`, file, '::VIRTIOFS.TXT'], { env: { ...process.env, MTOOLS_SKIP_CHECK: '1' }, reject: false, all: true });
  must(r, 'mcopy VIRTIOFS.TXT');
}

/** Processes in the container, as "uid state comm" lines. */
async function processes(name: string): Promise<string[]> {
  const r = await podman(['exec', name, 'sh', '-c', 'for p in /proc/[0-9]*; do s=$p/status; [ -r $s ] && awk \'/^Name:/{n=$2} /^State:/{st=$2} /^Uid:/{u=$2} END{print u, st, n}\' $s; done']);
  must(r, 'listing processes');
  return String(r.stdout).split('\n').filter(Boolean);
}

serial('image: built, with the Rust virtiofsd at /usr/libexec/virtiofsd', async (t) => {
  t.timeout(15 * 60_000);
  t.log(await ensureImage());
  const r = await podman(['run', '--rm', '--entrypoint', '/usr/libexec/virtiofsd', IMAGE, '--version']);
  must(r, 'virtiofsd --version in the image');
  t.regex(String(r.stdout), /^virtiofsd \d+\.\d+/);
  t.log(String(r.stdout).trim());
  state.image = true;
});

interface Launch { name: string; shared: string; lines: LogLine[]; run: ReturnType<typeof execa>; ended: () => boolean; tailOf: () => string; consoleLine: (text: string) => LogLine | undefined }

/** A container whose PID 1 (tini) outlives the launcher, and `vm-launcher run` in it through `podman exec`. */
async function launch(suffix: string, beforeRun: (name: string) => Promise<void> = async () => undefined): Promise<Launch> {
  const { root, shared, vmi } = pod(suffix, ['shared']);
  const name = `vmlv-${suffix}-${uniq}`;
  must(await podman(['run', '-d', '--name', name, '-v', `${root}:${VOLUME_DIR}/rootdisk`, '-v', `${shared}:${VOLUME_DIR}/shared`,
    '-v', `${vmi}:/etc/vm-launcher/vmi.yaml:ro`, '--entrypoint', '/usr/bin/tini', IMAGE, '--', 'sleep', 'infinity']), 'podman run');
  await beforeRun(name);
  // The launcher's pid is kept for the SIGTERM a kubelet would send.
  const run = execa('podman', ['exec', '-e', 'VM_LAUNCHER_ACCEL=tcg', '-e', 'VM_LAUNCHER_LOG_GUEST_CONSOLE=yes', '-e', 'VM_LAUNCHER_LOG_FORMAT=json', name,
    'sh', '-c', 'echo $$ > /tmp/launcher.pid; exec vm-launcher run'], { env: { ...process.env, CONTAINERS_CONF }, reject: false, buffer: false, timeout: 10 * 60_000 });
  const lines: LogLine[] = [];
  createInterface({ input: run.stdout! }).on('line', (text) => { try { lines.push(JSON.parse(text) as LogLine); } catch { lines.push({ msg: text }); } });
  let ended = false;
  void run.then(() => { ended = true; });
  return {
    name, shared, lines, run, ended: () => ended,
    tailOf: () => lines.slice(-25).map((l) => `${l.component ?? ''} ${l.reason ?? ''} ${l.msg ?? ''}`).join('\n'),
    consoleLine: (text) => lines.find((l) => l.component === 'guest-console' && (l.msg ?? '').includes(text)),
  };
}

async function until(l: Launch, done: () => boolean, ms = 8 * 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done() && !l.ended() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
}

/** SIGTERM to the launcher; its exit code once `podman exec` returns. */
async function stopLauncher(l: Launch): Promise<number | undefined> {
  must(await podman(['exec', l.name, 'sh', '-c', 'kill -TERM $(cat /tmp/launcher.pid)']), 'SIGTERM to the launcher');
  return (await l.run).exitCode;
}

/** What the stack and virtiofsd left running in the container after the launcher exited (zombies aside). */
async function leftovers(name: string): Promise<string[]> {
  return (await processes(name)).filter((p) => / (virtiofsd|qemu-system-x86|libvirtd|libvirt-dbus|dbus-daemon)$/.test(p) && !/ Z /.test(p));
}

serial('a guest mounts the share by its tag, reads the host\'s file, writes one the host sees (uid 107); nothing outlives the launcher', async (t) => {
  needImage(t, 12);
  if (noGuest) { t.log(`skipped: ${noGuest}`); return t.pass(); }
  const started = Date.now();
  // check first: the share is planned with the image's virtiofsd, and the domain passes trixie's schema.
  const l = await launch('ok', async (name) => {
    const check = await podman(['exec', '-e', 'VM_LAUNCHER_ACCEL=tcg', '-e', 'VM_LAUNCHER_LOG_GUEST_CONSOLE=yes', name, 'vm-launcher', 'check', '--json']);
    t.is(check.exitCode, 0, String(check.all));
    const share = (JSON.parse(String(check.stdout)) as { volumes: Array<{ kind: string; action?: { virtiofsd?: { path: string }; explained: string } }> })
      .volumes.find((v) => v.kind === 'share');
    t.is(share?.action?.virtiofsd?.path, '/usr/libexec/virtiofsd');
    t.log(share?.action?.explained);
    must(await podman(['exec', '-e', 'VM_LAUNCHER_ACCEL=tcg', '-e', 'VM_LAUNCHER_LOG_GUEST_CONSOLE=yes', name, 'sh', '-c', 'vm-launcher domain > /tmp/d.xml && virt-xml-validate /tmp/d.xml domain']),
      'vm-launcher domain | trixie\'s virt-xml-validate');
  });
  const { name, shared, lines, tailOf, consoleLine } = l;
  try {
    await until(l, () => !!(consoleLine('GUEST-WAITING-FOR-POWER-BUTTON') ?? consoleLine('GUEST-VIRTIOFS-FAILED')));
    t.log(`launch -> guest done with the share: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const read = consoleLine('GUEST-VIRTIOFS tag=shared');
    t.truthy(read, tailOf());
    t.true((read?.msg ?? '').includes(`read=${HOST_TEXT}`), read?.msg);
    t.truthy(consoleLine('GUEST-VIRTIOFS-WROTE tag=shared ok=0'), tailOf());
    t.is(lines.find((x) => x.reason === 'VirtiofsdStarted')?.['volume'], 'shared', tailOf());
    const procs = await processes(name);
    const vfs = procs.filter((p) => p.endsWith(' virtiofsd'));
    t.true(vfs.length > 0, procs.join('\n'));
    for (const p of vfs) t.regex(p, /^107 /, `virtiofsd runs as the VM user: ${p}`);

    const written = join(shared, 'GUEST.TXT');
    t.is(readFileSync(written, 'utf8'), 'written by the guest through virtiofs tag shared\n');
    t.is(statSync(written).uid, 107, 'the guest\'s file is the VM user\'s on the host volume');

    t.is(await stopLauncher(l), 0, tailOf());
    t.falsy(lines.find((x) => x.reason === 'VirtiofsdExited' || x.reason === 'VirtiofsdKilled'), tailOf());
    const after = await leftovers(name);
    t.deepEqual(after, [], after.join('\n'));
    const left = await podman(['exec', name, 'sh', '-c', 'ls -A /var/run/vm-launcher']);
    t.is(String(left.stdout).trim(), '', 'the runtime dir is empty again');
  } finally {
    if (!l.ended()) l.run.kill('SIGKILL');
    await podman(['rm', '-f', '-t', '0', name]);
  }
});

serial('virtiofsd killed while the guest runs: logged loudly (VirtiofsdExited, with the volume); the launcher still stops everything', async (t) => {
  needImage(t, 12);
  if (noGuest) { t.log(`skipped: ${noGuest}`); return t.pass(); }
  const l = await launch('kill');
  try {
    await until(l, () => !!(l.consoleLine('GUEST-WAITING-FOR-POWER-BUTTON') ?? l.consoleLine('GUEST-VIRTIOFS-FAILED')));
    t.truthy(l.consoleLine('GUEST-VIRTIOFS-WROTE tag=shared ok=0'), l.tailOf());
    must(await podman(['exec', l.name, 'sh', '-c', 'for p in /proc/[0-9]*; do [ "$(cat $p/comm 2>/dev/null)" = virtiofsd ] && kill -KILL ${p#/proc/}; done; true']), 'kill virtiofsd');
    await until(l, () => l.lines.some((x) => x.reason === 'VirtiofsdExited'), 30_000);
    const loud = l.lines.find((x) => x.reason === 'VirtiofsdExited');
    t.is(loud?.level, 'error', l.tailOf());
    t.is(loud?.['volume'], 'shared');
    t.is(loud?.['signal'], 'SIGKILL');
    const code = await stopLauncher(l);
    t.log(`after virtiofsd died, SIGTERM -> launcher exit ${code}`);
    t.true(code === 0 || code === 4 || code === 5, l.tailOf());
    const after = await leftovers(l.name);
    t.deepEqual(after, [], after.join('\n'));
  } finally {
    if (!l.ended()) l.run.kill('SIGKILL');
    await podman(['rm', '-f', '-t', '0', l.name]);
  }
});
