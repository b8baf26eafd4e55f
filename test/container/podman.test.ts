// The VM pod image with podman: it builds, boots the test guest from a filesystem volume and from a
// loop block device, shuts the guest down through ACPI on `podman stop`, runs the example Pod manifest
// with `podman kube play` twice on the same disk, refuses a qcow2 volume without touching it, tini
// reaps orphans, and boots EFI guests with trixie's OVMF (plain; secure boot with SMM and NVRAM kept on a
// volume across two containers). Real podman, real image, real guest (TCG); no mocks.
//
// Needs podman (with runc; settings in test/container/containers.conf), debootstrap when the base image is
// absent, catatonit for `podman kube play` (its pause image). The image is built once per run by the first
// tests; VM_LAUNCHER_TEST_IMAGE=NAME uses an image built beforehand instead.
// As root: every test. As an ordinary user: rootless podman (uidmap's newuidmap, a subordinate uid range in
// /etc/subuid, slirp4netns) runs the filesystem-volume tests; the loop-device tests need root and are skipped.
// Rootless, the base image must already be in the user's storage (debootstrap needs root: see baseImageMissing).
import test, { type ExecutionContext } from 'ava';
import { execa, execaSync } from 'execa';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { buildTestDisk, guestBuildUnavailable, readBootCount, repoRoot, sha256 } from '../../harness/guest-disk.js';
import {
  consoleHas, CONTAINERS_CONF, hasCommand, IMAGE, must, podman, readLog, running, stop, tail, VOLUME_DIR, waitForLog, type LogLine,
} from '../helpers/podman.js';

const BASE_IMAGE = 'docker.io/library/debian:trixie-slim';
const VMI_FS = join(repoRoot, 'examples', 'vmi', 'vmi-filesystem-pvc.yaml');
const VMI_BLOCK = join(repoRoot, 'examples', 'vmi', 'vmi-block-pvc.yaml');
const POD_FS = join(repoRoot, 'examples', 'pods', 'pod-filesystem-pvc.yaml');
const BOOT_TIMEOUT = 120_000; // TCG on 2 shared cores; the guest usually needs ~12 s
const EXIT = { Clean: 0, Refused: 3 };

const isRoot = process.getuid?.() === 0;
const env = { ...process.env, CONTAINERS_CONF };

/** Why rootless podman cannot run the image's uid 107 for this user, or undefined when it can. */
function rootlessUnavailable(): string | undefined {
  const user = userInfo().username;
  const r = execaSync('podman', ['unshare', 'cat', '/proc/self/uid_map'], { env, reject: false, timeout: 60_000, all: true });
  if (r.exitCode !== 0) {
    return `rootless podman does not work for ${user}: ${String(r.all).trim().split('\n').at(-1)} `
      + `(it needs newuidmap: apt-get install uidmap slirp4netns; and a range in /etc/subuid and /etc/subgid: `
      + `usermod --add-subuids 100000-165535 --add-subgids 100000-165535 ${user})`;
  }
  // "inside outside count" lines: uid 107 (the image's user) must be mapped.
  const mapped = String(r.stdout).trim().split('\n').map((l) => l.trim().split(/\s+/).map(Number))
    .some(([inside = 0, , count = 0]) => inside <= 107 && 107 < inside + count);
  if (!mapped) {
    return `rootless podman for ${user} maps only its own uid (no range in /etc/subuid): as root, `
      + `usermod --add-subuids 100000-165535 --add-subgids 100000-165535 ${user}; then podman system migrate`;
  }
  return baseImageMissing(user);
}

/** Rootless, the base image cannot be made (debootstrap needs root): say how to bring it into this user's storage. */
function baseImageMissing(user: string): string | undefined {
  const wanted = process.env.VM_LAUNCHER_TEST_IMAGE ?? BASE_IMAGE;
  if (execaSync('podman', ['image', 'exists', wanted], { env, reject: false, timeout: 60_000 }).exitCode === 0) return undefined;
  if (process.env.VM_LAUNCHER_TEST_IMAGE) return `VM_LAUNCHER_TEST_IMAGE=${wanted} is not in ${user}'s podman storage`;
  return `the base image ${BASE_IMAGE} is not in ${user}'s podman storage, and making it needs root (debootstrap): as root, `
    + `scripts/container-base-image.sh && podman save ${BASE_IMAGE} | runuser -u ${user} -- podman load`;
}

function unavailable(): string | undefined {
  if (!hasCommand('podman')) return 'podman is not installed (apt-get install podman runc)';
  return (isRoot ? undefined : rootlessUnavailable()) ?? guestBuildUnavailable();
}

const skip = unavailable();
const serial = skip ? test.skip : test.serial;
if (skip) test('podman: container tests', (t) => { t.log(`SKIPPED: ${skip}`); t.pass(); });
/** Loop devices (and chown of their nodes) need root, rootless podman or not. */
const loopSkip = skip ?? (isRoot ? undefined : 'loop block devices need root (losetup, chown of the device node)');
const serialLoop = loopSkip ? test.skip : test.serial;
if (loopSkip && !skip) test('podman: loop-device tests', (t) => { t.log(`SKIPPED: ${loopSkip}`); t.pass(); });

/**
 * Gives paths to the image's uid 107 as a PVC with fsGroup 107 would be. Rootless, uid 107 inside the container
 * is a subordinate uid outside: only `podman unshare` can chown to it.
 */
function giveTo107(...paths: string[]): void {
  if (isRoot) {
    for (const p of paths) chownSync(p, 107, 107);
    return;
  }
  const r = execaSync('podman', ['unshare', 'chown', '107:107', ...paths], { env, reject: false, timeout: 60_000, all: true });
  if (r.exitCode !== 0) throw new Error(`podman unshare chown 107:107 failed: ${String(r.all)}`);
}

/** A parsed Kubernetes object, edited in place before `podman kube play`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Manifest = Record<string, any>;

const work = mkdtempSync(join(tmpdir(), 'vm-launcher-podman-'));
const uniq = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
let n = 0;
const names = (what: string) => `vml-${what}-${uniq}-${n++}`;

/** A volume directory holding disk.img, owned by uid 107 as a PVC with fsGroup 107 would be. */
function volumeDir(mode: 'wait' | 'poweroff' = 'wait', efi = false): { dir: string; image: string } {
  const dir = join(work, names('vol'));
  mkdirSync(dir);
  const image = join(dir, 'disk.img');
  buildTestDisk(image, mode, 32, { efi });
  giveTo107(dir, image);
  return { dir, image };
}

function runArgs(name: string, log: string, extra: string[]): string[] {
  return ['run', '-d', '--name', name, '--log-opt', `path=${log}`, '-e', 'VM_LAUNCHER_ACCEL=tcg', '-e', 'VM_LAUNCHER_LOG_GUEST_CONSOLE=yes', ...extra, IMAGE];
}

const state: { imageReady: boolean; fs?: { name: string; log: string; image: string; before: number; started: number } } = { imageReady: false };

function needImage(t: ExecutionContext): void {
  if (!state.imageReady) throw new Error(`image ${IMAGE} is not available: see the "image builds" test`);
  t.timeout(4 * 60_000);
}

test.after.always('clean up: containers, pods, volumes of this run, the work dir', async () => {
  if (!skip) {
    const filter = ['--filter', `name=-${uniq}-`];
    for (const [list, rm] of [[['pod', 'ps', '-q'], ['pod', 'rm', '-f', '-t', '0']], [['ps', '-aq'], ['rm', '-f', '-t', '0']], [['volume', 'ls', '-q'], ['volume', 'rm', '-f']]] as const) {
      const ids = String((await podman([...list, ...filter])).stdout).split('\n').filter(Boolean);
      if (ids.length) await podman([...rm, ...ids]);
    }
  }
  // Rootless, files uid 107 wrote belong to a subordinate uid: only inside the user namespace can they go.
  if (!isRoot && !skip) await podman(['unshare', 'rm', '-rf', work]);
  rmSync(work, { recursive: true, force: true });
});

// ------------------------------------------------------------------------------------------ image
serial('base image: present, or made from Debian\'s mirror with debootstrap', async (t) => {
  if (process.env.VM_LAUNCHER_TEST_IMAGE) return t.pass();
  t.timeout(10 * 60_000);
  const t0 = Date.now();
  const r = await execa(join(repoRoot, 'scripts', 'container-base-image.sh'), [], { env, reject: false, all: true, timeout: 10 * 60_000 });
  must(r, 'scripts/container-base-image.sh');
  t.log(`${String(r.stdout).trim().split('\n').at(-1)} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  t.is((await podman(['image', 'exists', BASE_IMAGE])).exitCode, 0);
});

serial('image builds (Containerfile, from a clean build context)', async (t) => {
  // Rootless podman stores layers with vfs here (full copies): a first build took 18 min on 2 loaded cores.
  const buildTimeout = (isRoot ? 10 : 30) * 60_000;
  t.timeout(buildTimeout);
  if (!process.env.VM_LAUNCHER_TEST_IMAGE) {
    const t0 = Date.now();
    const r = await execa(join(repoRoot, 'scripts', 'container-build.sh'), [], {
      env: { ...env, IMAGE }, reject: false, all: true, timeout: buildTimeout,
    });
    must(r, 'scripts/container-build.sh');
    t.log(`${String(r.stdout).trim().split('\n').at(-1)}; test saw ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  const inspect = await podman(['image', 'inspect', '--format', '{{.Size}} {{.Config.User}} {{json .Config.Entrypoint}}', IMAGE]);
  must(inspect, 'podman image inspect');
  const [size, user, ...entry] = String(inspect.stdout).trim().split(' ');
  t.log(`${IMAGE}: ${(Number(size) / 1048576).toFixed(0)} MiB, user ${user}, entrypoint ${entry.join(' ')}`);
  t.is(user, '107:107', 'runs as uid 107 by default');
  t.regex(entry.join(' '), /tini/);
  const help = await podman(['run', '--rm', IMAGE, '--help']);
  t.is(help.exitCode, 0, String(help.all));
  t.regex(String(help.stdout), /vm-launcher/);
  state.imageReady = true;
});

// ------------------------------------------------------------------------------ filesystem volume
serial('podman run boots the guest from a filesystem volume', async (t) => {
  needImage(t);
  const { dir, image } = volumeDir('wait');
  const name = names('fs');
  const log = join(work, `${name}.log`);
  const before = readBootCount(image);
  const started = Date.now();
  must(await podman(runArgs(name, log, ['-v', `${dir}:${VOLUME_DIR}/rootdisk`, '-v', `${VMI_FS}:/etc/vm-launcher/vmi.yaml:ro`])), 'podman run');
  state.fs = { name, log, image, before, started };
  const booted = await waitForLog(log, consoleHas('GUEST-BOOTED'), BOOT_TIMEOUT, 'GUEST-BOOTED', () => running(name));
  t.log(`podman run -> GUEST-BOOTED: ${((Date.parse(String(booted.timestamp)) - started) / 1000).toFixed(1)} s`);
  const lines = readLog(log);
  t.truthy(lines.find((l) => l.reason === 'PreflightPassed'), tail(lines));
  t.truthy(lines.find((l) => l.reason === 'Started'), tail(lines));
  const timings = lines.find((l) => l.reason === 'StartupTimings');
  if (timings) t.log(`launcher: ${timings.msg}`);
  // the Pod manifests' readiness probe, as the kubelet would run it
  await waitForLog(log, consoleHas('GUEST-WAITING-FOR-POWER-BUTTON'), 30_000, 'the guest waiting for ACPI');
  const ready = await podman(['exec', name, '/usr/local/bin/vm-launcher', 'probe', 'ready']);
  t.is(ready.exitCode, 0, String(ready.all));
});

serial('podman exec vm-launcher console: the guest\'s serial console answers, as kubectl exec would get it', async (t) => {
  needImage(t);
  if (!state.fs) throw new Error('needs the running container of the filesystem test');
  // The image's user (107) attaches, as `kubectl exec -it POD -- vm-launcher console` would; piped input detaches
  // once the guest is quiet.
  const r = await podman(['exec', '-i', state.fs.name, '/usr/local/bin/vm-launcher', 'console'], { input: 'hello-pod-console\n', all: false });
  t.is(r.exitCode, 0, String(r.stderr));
  t.true(String(r.stdout).includes('hello-pod-console'), `the guest's terminal echoed the line: ${JSON.stringify(r.stdout)}`);
  t.regex(String(r.stderr), /attached to the serial console of default\/vmi-filesystem-pvc/);
});

serial('tini as PID 1 reaps orphans (no zombies pile up)', async (t) => {
  needImage(t);
  if (!state.fs) throw new Error('needs the running container of the filesystem test');
  const { name } = state.fs;
  for (let i = 0; i < 5; i++) must(await podman(['exec', name, 'sh', '-c', '(sleep 0.2 &)']), 'podman exec');
  await new Promise((r) => setTimeout(r, 1200));
  const ps = await podman(['exec', name, 'sh', '-c', 'cat /proc/[0-9]*/stat 2>/dev/null; true']);
  must(ps, 'podman exec cat /proc/*/stat');
  const procs = String(ps.stdout).split('\n').filter(Boolean).map((l) => {
    const close = l.lastIndexOf(')');
    return { pid: Number(l.slice(0, l.indexOf(' '))), comm: l.slice(l.indexOf('(') + 1, close), state: l.slice(close + 2, close + 3) };
  });
  t.is(procs.find((p) => p.pid === 1)?.comm, 'tini');
  t.deepEqual(procs.filter((p) => p.state === 'Z'), [], 'no zombie processes');
  t.true(procs.some((p) => p.comm.startsWith('qemu-system')), 'the guest still runs');
});

serial('podman stop -t 30 gives the guest its ACPI shutdown; exit 0; the boot counter survives', async (t) => {
  needImage(t);
  if (!state.fs) throw new Error('needs the running container of the filesystem test');
  const { name, log, image, before } = state.fs;
  try {
    const { exitCode, seconds } = await stop(name, 30);
    t.log(`podman stop took ${seconds.toFixed(1)} s`);
    const lines = readLog(log);
    t.truthy(lines.find(consoleHas('GUEST-ACPI-SHUTDOWN')), tail(lines));
    t.is(exitCode, EXIT.Clean, tail(lines));
    t.true(seconds < 30, 'well within the grace period');
    t.is(lines.at(-1)?.reason, 'GuestShutdown', tail(lines));
  } finally {
    await podman(['rm', '-f', '-t', '0', name]);
  }
  t.is(readBootCount(image), before + 1, 'the guest\'s write to disk.img is there');
});

// ----------------------------------------------------------------------------------- block volume
serialLoop('podman run boots the guest from a loop block device (--device /dev/loopN:/dev/rootdisk)', async (t) => {
  needImage(t);
  const { image } = volumeDir('wait');
  const before = readBootCount(image);
  const loop = String((await execa('losetup', ['-f', '--show', image], { timeout: 30_000 })).stdout).trim();
  const orig = statSync(loop);
  const name = names('block');
  const log = join(work, `${name}.log`);
  try {
    // uid 107 must be able to open the node: podman --device keeps the host node's owner and mode.
    chownSync(loop, 107, orig.gid);
    const started = Date.now();
    must(await podman(runArgs(name, log, ['--device', `${loop}:/dev/rootdisk`, '-v', `${VMI_BLOCK}:/etc/vm-launcher/vmi.yaml:ro`])), 'podman run');
    const booted = await waitForLog(log, consoleHas('GUEST-BOOTED'), BOOT_TIMEOUT, 'GUEST-BOOTED', () => running(name));
    t.log(`${loop}: podman run -> GUEST-BOOTED ${((Date.parse(String(booted.timestamp)) - started) / 1000).toFixed(1)} s`);
    t.truthy(readLog(log).find((l) => l.reason === 'PreflightPassed' && JSON.stringify(l).includes('rootdisk:block')), tail(readLog(log)));
    await waitForLog(log, consoleHas('GUEST-WAITING-FOR-POWER-BUTTON'), 30_000, 'the guest waiting for ACPI');
    const { exitCode } = await stop(name, 30);
    t.truthy(readLog(log).find(consoleHas('GUEST-ACPI-SHUTDOWN')), tail(readLog(log)));
    t.is(exitCode, EXIT.Clean, tail(readLog(log)));
  } finally {
    await podman(['rm', '-f', '-t', '0', name]);
    try { chownSync(loop, orig.uid, orig.gid); } catch { /* detached by someone else */ }
    await execa('losetup', ['-d', loop], { reject: false, timeout: 30_000 });
  }
  t.is(readBootCount(image), before + 1);
});

// ------------------------------------------------------------------------------ podman kube play
/** The example Pod sets memory limits: rootless podman can apply them only with cgroup v2 (delegated controllers). */
async function rootlessLimitsUnavailable(): Promise<string | undefined> {
  if (isRoot) return undefined;
  const v = String((await podman(['info', '--format', '{{.Host.CgroupsVersion}}'])).stdout).trim();
  return v === 'v1' ? 'rootless podman cannot apply the example Pod\'s resource limits on cgroup v1 (this host); root or cgroup v2 can' : undefined;
}

/** podman < 5.1 (Debian 12 ships 4.3) SIGKILLs a pod's containers on `kube down` at once
 * (containers/podman#22397, fixed by #22398): stop the pod with a grace period first there. */
async function kubeDownNeedsPodStop(): Promise<boolean> {
  const v = String((await podman(['version', '--format', '{{.Client.Version}}'])).stdout).trim();
  const [major = 0, minor = 0] = v.split('.').map(Number);
  return major < 5 || (major === 5 && minor < 1);
}

/** The test reads the guest's boot markers from the container log: a Pod keeps them in the console file by default. */
function withGuestConsoleInLog(container: { env?: Array<{ name: string; value: string }> }): void {
  container.env = [...(container.env ?? []), { name: 'VM_LAUNCHER_LOG_GUEST_CONSOLE', value: 'yes' }];
}

serial('podman kube play of the example Pod boots the PVC\'s disk; kube down shuts it down; a second play boots it again', async (t) => {
  needImage(t);
  const noLimits = await rootlessLimitsUnavailable();
  if (noLimits) {
    t.log(`SKIPPED: ${noLimits}`);
    return t.pass();
  }
  if (!hasCommand('catatonit')) {
    t.log('SKIPPED: podman kube play builds its pause image from catatonit (apt-get install catatonit)');
    return t.pass();
  }
  t.timeout(5 * 60_000);
  // The example manifest as is, with names unique to this run (pod, ConfigMap, claim) and the tested image.
  const docs = parseAllDocuments(readFileSync(POD_FS, 'utf8')).map((d) => d.toJS() as Manifest);
  const pod = docs.find((d) => d.kind === 'Pod')!;
  const cm = docs.find((d) => d.kind === 'ConfigMap')!;
  const podName = names('pod');
  const claim = names('pvc');
  cm.metadata.name = podName;
  pod.metadata.name = podName;
  for (const v of pod.spec.volumes) {
    if (v.configMap) v.configMap.name = podName;
    if (v.persistentVolumeClaim) v.persistentVolumeClaim.claimName = claim;
  }
  const container = pod.spec.containers[0];
  container.image = IMAGE;
  withGuestConsoleInLog(container);
  const manifest = join(work, `${podName}.yaml`);
  writeFileSync(manifest, docs.map((d) => JSON.stringify(d)).join('\n---\n'));
  const ctr = `${podName}-${container.name}`;
  const grace = String(pod.spec.terminationGracePeriodSeconds ?? 45);
  const podStopFirst = await kubeDownNeedsPodStop();

  must(await podman(['volume', 'create', claim]), 'podman volume create');
  try {
    const mount = String((await podman(['volume', 'inspect', '--format', '{{.Mountpoint}}', claim])).stdout).trim();
    const image = join(mount, 'disk.img');
    buildTestDisk(image, 'wait');
    giveTo107(mount, image);

    const play = async (round: number): Promise<LogLine[]> => {
      const log = join(work, `${podName}-${round}.log`);
      const started = Date.now();
      must(await podman(['kube', 'play', '--log-opt', `path=${log}`, manifest]), 'podman kube play');
      try {
        const count = await waitForLog(log, consoleHas('GUEST-BOOT-COUNT='), BOOT_TIMEOUT, 'GUEST-BOOT-COUNT', () => running(ctr));
        t.log(`play ${round}: kube play -> ${count.msg} ${((Date.parse(String(count.timestamp)) - started) / 1000).toFixed(1)} s`);
        t.regex(count.msg ?? '', new RegExp(`GUEST-BOOT-COUNT=${round}\\b`));
        await waitForLog(log, consoleHas('GUEST-WAITING-FOR-POWER-BUTTON'), 30_000, 'the guest waiting for ACPI');
        // the manifest's probes, as the kubelet would run them
        for (const probe of [container.readinessProbe, container.livenessProbe]) {
          const r = await podman(['exec', ctr, ...probe.exec.command]);
          t.is(r.exitCode, 0, `${probe.exec.command.join(' ')}: ${String(r.all)}`);
        }
      } finally {
        const t0 = Date.now();
        if (podStopFirst) await podman(['pod', 'stop', '-t', grace, podName], { timeout: (Number(grace) + 30) * 1000 });
        must(await podman(['kube', 'down', manifest], { timeout: (Number(grace) + 30) * 1000 }), 'podman kube down');
        t.log(`play ${round}: ${podStopFirst ? `pod stop -t ${grace} + ` : ''}kube down took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      }
      return readLog(log);
    };

    for (const round of [1, 2]) {
      const lines = await play(round);
      t.truthy(lines.find(consoleHas('GUEST-ACPI-SHUTDOWN')), `round ${round}: ACPI shutdown\n${tail(lines)}`);
      const last = lines.at(-1);
      t.is(last?.reason, 'GuestShutdown', tail(lines));
      t.is(last?.exitCode, EXIT.Clean, tail(lines));
      t.is(readBootCount(image), round);
    }
  } finally {
    await podman(['pod', 'rm', '-f', '-t', '0', podName]);
    await podman(['volume', 'rm', '-f', claim, podName]); // the claim and the ConfigMap's volume
  }
});

serialLoop('podman kube play of the block Pod\'s podman variant (hostPath BlockDevice) boots a loop device', async (t) => {
  needImage(t);
  if (!hasCommand('catatonit')) {
    t.log('SKIPPED: podman kube play builds its pause image from catatonit (apt-get install catatonit)');
    return t.pass();
  }
  const { image } = volumeDir('wait');
  const loop = String((await execa('losetup', ['-f', '--show', image], { timeout: 30_000 })).stdout).trim();
  const orig = statSync(loop);
  const docs = parseAllDocuments(readFileSync(join(repoRoot, 'examples', 'pods', 'podman', 'pod-block-pvc.yaml'), 'utf8')).map((d) => d.toJS() as Manifest);
  const pod = docs.find((d) => d.kind === 'Pod')!;
  const cm = docs.find((d) => d.kind === 'ConfigMap')!;
  const podName = names('bpod');
  cm.metadata.name = podName;
  pod.metadata.name = podName;
  for (const v of pod.spec.volumes) {
    if (v.configMap) v.configMap.name = podName;
    if (v.hostPath?.type === 'BlockDevice') v.hostPath.path = loop;
  }
  // The rendered podman Pod passes /dev/kvm; where the host has none, the launcher runs the guest under TCG.
  if (!existsSync('/dev/kvm')) {
    pod.spec.volumes = pod.spec.volumes.filter((v: Manifest) => v.name !== 'kvm');
    pod.spec.containers[0].volumeMounts = pod.spec.containers[0].volumeMounts.filter((m: Manifest) => m.name !== 'kvm');
  }
  pod.spec.containers[0].image = IMAGE;
  withGuestConsoleInLog(pod.spec.containers[0]);
  const manifest = join(work, `${podName}.yaml`);
  writeFileSync(manifest, docs.map((d) => JSON.stringify(d)).join('\n---\n'));
  const ctr = `${podName}-${pod.spec.containers[0].name}`;
  const log = join(work, `${podName}.log`);
  try {
    chownSync(loop, 107, orig.gid);
    must(await podman(['kube', 'play', '--log-opt', `path=${log}`, manifest]), 'podman kube play');
    await waitForLog(log, consoleHas('GUEST-WAITING-FOR-POWER-BUTTON'), BOOT_TIMEOUT, 'the guest waiting for ACPI', () => running(ctr));
    t.truthy(readLog(log).find((l) => l.reason === 'PreflightPassed' && JSON.stringify(l).includes('rootdisk:block')), tail(readLog(log)));
    if (await kubeDownNeedsPodStop()) await podman(['pod', 'stop', '-t', String(pod.spec.terminationGracePeriodSeconds), podName], { timeout: 90_000 });
    must(await podman(['kube', 'down', manifest], { timeout: 90_000 }), 'podman kube down');
    const lines = readLog(log);
    t.truthy(lines.find(consoleHas('GUEST-ACPI-SHUTDOWN')), tail(lines));
    t.is(lines.at(-1)?.exitCode, EXIT.Clean, tail(lines));
  } finally {
    await podman(['pod', 'rm', '-f', '-t', '0', podName]);
    await podman(['volume', 'rm', '-f', podName]);
    try { chownSync(loop, orig.uid, orig.gid); } catch { /* detached by someone else */ }
    await execa('losetup', ['-d', loop], { reject: false, timeout: 30_000 });
  }
  t.is(readBootCount(image), 1);
});

// ------------------------------------------------------------------------------------- refusals
serial('a qcow2 disk.img is refused at preflight (exit 3, DiskImageNotRaw) and left byte-for-byte unchanged', async (t) => {
  needImage(t);
  const dir = join(work, names('bad'));
  mkdirSync(dir);
  giveTo107(dir);
  // made with the image's own qemu-img: the host needs no qemu-utils for this test
  must(await podman(['run', '--rm', '--entrypoint', 'qemu-img', '-v', `${dir}:/v`, IMAGE, 'create', '-q', '-f', 'qcow2', '/v/disk.img', '32M']), 'qemu-img create');
  const image = join(dir, 'disk.img');
  const before = sha256(image);
  const name = names('bad');
  const r = await podman(['run', '--name', name, '-e', 'VM_LAUNCHER_ACCEL=tcg', '-e', 'VM_LAUNCHER_LOG_GUEST_CONSOLE=yes', '-v', `${dir}:${VOLUME_DIR}/rootdisk`,
    '-v', `${VMI_FS}:/etc/vm-launcher/vmi.yaml:ro`, IMAGE], { timeout: 90_000 });
  await podman(['rm', '-f', '-t', '0', name]);
  const lines = String(r.stdout).split('\n').filter(Boolean).map((l) => { try { return JSON.parse(l) as LogLine; } catch { return { msg: l }; } });
  t.is(r.exitCode, EXIT.Refused, String(r.all).slice(-2000));
  t.truthy(lines.find((l) => l.reason === 'DiskImageNotRaw'), tail(lines));
  t.is(sha256(image), before, 'disk.img is unchanged');
});

// ------------------------------------------------------------------------------------------- EFI
// Trixie's ovmf ships only the 4M images; libvirt's auto-selection picks them from their descriptors.

/** An EFI VMI (512Mi: the EFI stub needs room to decompress Debian's kernel). */
function efiVmi(name: string, efi: string): string {
  const file = join(work, `${name}.yaml`);
  writeFileSync(file, [
    'apiVersion: kubevirt.io/v1', 'kind: VirtualMachineInstance', `metadata: { name: ${name}, namespace: tests }`, 'spec:', '  domain:',
    '    memory: { guest: 512Mi }', '    features: { smm: {} }', `    firmware: { bootloader: { efi: ${efi} } }`,
    '    devices: { disks: [ { name: rootdisk, bootOrder: 1 } ] }',
    '  volumes: [ { name: rootdisk, persistentVolumeClaim: { claimName: root } } ]', '',
  ].join('\n'));
  return file;
}

/** Boots a guest (EFI or not) in a container until it waits for ACPI, stops it; the guest's console lines. */
async function bootContainer(t: ExecutionContext, extra: string[]): Promise<LogLine[]> {
  const name = names('efi');
  const log = join(work, `${name}.log`);
  try {
    must(await podman(runArgs(name, log, extra)), 'podman run');
    await waitForLog(log, consoleHas('GUEST-WAITING-FOR-POWER-BUTTON'), 4 * 60_000, 'the EFI guest waiting for ACPI', () => running(name));
    const { exitCode } = await stop(name, 30);
    t.is(exitCode, EXIT.Clean, tail(readLog(log)));
    return readLog(log).filter((l) => l.component === 'guest-console');
  } finally {
    await podman(['rm', '-f', '-t', '0', name]);
  }
}

const line = (lines: LogLine[], prefix: string) => lines.find((l) => (l.msg ?? '').includes(prefix))?.msg ?? '';

serial('EFI in the image: a plain EFI boot (secure boot off)', async (t) => {
  needImage(t);
  t.timeout(8 * 60_000);
  const { dir } = volumeDir('wait', true);
  const vmi = efiVmi('efi-plain', '{ secureBoot: false }');
  const lines = await bootContainer(t, ['-v', `${dir}:${VOLUME_DIR}/rootdisk`, '-v', `${vmi}:/etc/vm-launcher/vmi.yaml:ro`]);
  t.regex(line(lines, 'GUEST-FIRMWARE='), /GUEST-FIRMWARE=efi secureboot: Secure boot disabled/);
});

serial('EFI in the image: secure boot with SMM, NVRAM kept on a volume across two containers (efi.persistent)', async (t) => {
  needImage(t);
  t.timeout(12 * 60_000);
  const { dir } = volumeDir('wait', true);
  const nvram = join(work, names('nvram'));
  mkdirSync(nvram);
  giveTo107(nvram);
  const vmi = efiVmi('efi-secure', '{ secureBoot: true, persistent: true }');
  const args = ['-v', `${dir}:${VOLUME_DIR}/rootdisk`, '-v', `${nvram}:/var/lib/libvirt/qemu/nvram`, '-v', `${vmi}:/etc/vm-launcher/vmi.yaml:ro`];
  const first = await bootContainer(t, args);
  t.regex(line(first, 'GUEST-FIRMWARE='), /GUEST-FIRMWARE=efi secureboot: Secure boot enabled/);
  t.regex(line(first, 'GUEST-EFIVAR-BOOTS='), /GUEST-EFIVAR-BOOTS=1$/);
  t.true(existsSync(join(nvram, 'efi-secure_VARS.fd')), 'the variable store is on the volume');
  const second = await bootContainer(t, args);
  t.regex(line(second, 'GUEST-EFIVAR-BOOTS='), /GUEST-EFIVAR-BOOTS=2$/, 'the second container read what the first wrote');
});

/** A 128Mi VMI file named NAME with the given devices and volumes (YAML flow text), for the image's tests. */
function smallVmi(name: string, devices: string, volumes: string): string {
  const file = join(work, `${name}.yaml`);
  writeFileSync(file, [
    'apiVersion: kubevirt.io/v1', 'kind: VirtualMachineInstance', `metadata: { name: ${name}, namespace: tests }`, 'spec:', '  domain:',
    '    memory: { guest: 128Mi }', `    devices: ${devices}`, `  volumes: ${volumes}`, '',
  ].join('\n'));
  return file;
}

// ------------------------------------------------------------------------------------------- TPM
serial('a TPM in the image: libvirt runs swtpm as uid 107 and the guest sees a TPM 2.0', async (t) => {
  needImage(t);
  const { dir } = volumeDir('wait');
  const vmi = smallVmi('tpm', '{ tpm: {}, disks: [ { name: rootdisk, bootOrder: 1 } ] }', '[ { name: rootdisk, persistentVolumeClaim: { claimName: root } } ]');
  const lines = await bootContainer(t, ['-v', `${dir}:${VOLUME_DIR}/rootdisk`, '-v', `${vmi}:/etc/vm-launcher/vmi.yaml:ro`]);
  t.regex(line(lines, 'GUEST-TPM='), /GUEST-TPM=2/);
});

// -------------------------------------------------------------------------- root in the image (issue 21)
serial('as root in the image: a link the VM user plants in the ephemeral dir (empty-disks -> /etc) is never followed', async (t) => {
  needImage(t);
  const { dir } = volumeDir('poweroff');
  const vmi = smallVmi('planted', '{ disks: [ { name: rootdisk, bootOrder: 1 }, { name: scratch } ] }',
    '[ { name: rootdisk, persistentVolumeClaim: { claimName: root } }, { name: scratch, emptyDisk: { capacity: 16Mi } } ]');
  // uid 107 (a hook, QEMU) plants the link in its own ephemeral dir; then root runs the launcher, as some pods do.
  const script = [
    'setpriv --reuid=107 --regid=107 --clear-groups ln -s /etc /var/run/kubevirt-ephemeral-disks/empty-disks || exit 90',
    'vm-launcher run; echo "launcher-exit=$?"',
    'stat -c "etc-owner=%u:%g mode=%a" /etc',
  ].join('\n');
  const r = await podman(['run', '--rm', '--user', '0:0', '-e', 'VM_LAUNCHER_ACCEL=tcg', '-v', `${dir}:${VOLUME_DIR}/rootdisk`,
    '-v', `${vmi}:/etc/vm-launcher/vmi.yaml:ro`, '--entrypoint', '/bin/sh', IMAGE, '-c', script], { timeout: 180_000 });
  const out = String(r.all ?? '');
  t.regex(out, /etc-owner=0:0 mode=755/, `/etc is still root's:\n${out.slice(-3000)}`);
  t.regex(out, /launcher-exit=5/, out.slice(-3000));
  t.regex(out, /"reason":"EphemeralDirUnsafe"/, out.slice(-3000));
});
