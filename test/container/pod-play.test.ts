// `vm-launcher pod`'s output run as it is printed: the Debian SSH VMI rendered with `--for podman --publish
// 22=PORT --accel tcg`, played with `podman kube play`, reached by SSH through 127.0.0.1:PORT, stopped with
// `podman pod stop -t <the Pod's grace>` (the guest shuts down through ACPI, the launcher exits 0), then `kube
// down`. And the quadlet unit `pod --quadlet DIR` writes, started and stopped by systemd where podman has quadlet
// (4.4+) and systemd runs the machine; skipped with the reason elsewhere (this development machine: podman 4.3.1,
// no systemd as PID 1).
// The rendered YAML is played unchanged; only the VMI given to `pod` is the test's own (its name, claim and
// cloud-init user-data with the test's SSH key), as a user would write theirs. podman 4.3 ignores the Pod's
// sysctls: the play uses a copy of test/container/containers.conf with `default_sysctls`, as the rendered note says.
import test, { type ExecutionContext } from 'ava';
import { execa } from 'execa';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml, parseAllDocuments, stringify } from 'yaml';
import { buildTestDisk, guestBuildUnavailable, readBootCount, repoRoot } from '../../harness/guest-disk.js';
import {
  cloudInitUserData, copyDebianGuest, debianGuestImage, debianGuestUnavailable, GUEST_MARKER_FILE, sshKeyPair, sshRun, waitForSsh,
} from '../helpers/debian-guest.js';
import { CONTAINERS_CONF, ensureImage, freePort, hasCommand, IMAGE, must, podman, podmanUnavailable, readLog, running, tail } from '../helpers/podman.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- the rendered manifests are poked at as parsed YAML */
const CLI = join(repoRoot, 'dist', 'vm-launcher.mjs');
const EXAMPLE_SSH = join(repoRoot, 'examples', 'vmi', 'vmi-debian-ssh.yaml');
const EXAMPLE_FS = join(repoRoot, 'examples', 'vmi', 'vmi-filesystem-pvc.yaml');
/** Measured in network.test.ts: SSH 35-60 s after start when idle, up to 545 s at load 11-15 under TCG. A bound only. */
const SSH_TIMEOUT_MS = 900_000;
const QUADLET = '/usr/libexec/podman/quadlet';
const UNIT_DIR = '/etc/containers/systemd';

const noPodman = podmanUnavailable() ?? (hasCommand('catatonit') ? undefined : 'podman kube play builds its pause image from catatonit (apt-get install catatonit)')
  ?? (existsSync(CLI) ? undefined : `${CLI} is missing: npm run build`);
const noDebian = noPodman ?? debianGuestUnavailable();
const serial = noPodman ? test.skip : test.serial;
if (noPodman) test('pod play: container tests', (t) => { t.log(`SKIPPED: ${noPodman}`); t.pass(); });

const work = mkdtempSync(join(tmpdir(), 'vml-podplay-'));
chmodSync(work, 0o755);
const uniq = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
let n = 0;
const names = (what: string) => `vmlp-${what}-${uniq}-${n++}`;
const state: { image?: boolean } = {};

/** test/container/containers.conf with the sysctl podman 4.3's kube play ignores in the Pod (the rendered note's fix). */
const SYSCTL_CONF = join(work, 'containers.conf');
writeFileSync(SYSCTL_CONF, readFileSync(CONTAINERS_CONF, 'utf8').replace(/^\[containers\]$/m, '[containers]\ndefault_sysctls = ["net.ipv4.ip_unprivileged_port_start=0"]'));
const sysctlEnv = { env: { ...process.env, CONTAINERS_CONF: SYSCTL_CONF } };

test.after.always('clean up: pods, volumes, the work dir', async () => {
  if (!noPodman) {
    const pods = String((await podman(['pod', 'ps', '-q', '--filter', `name=-${uniq}-`])).stdout).split('\n').filter(Boolean);
    if (pods.length) await podman(['pod', 'rm', '-f', '-t', '0', ...pods]);
    const vols = String((await podman(['volume', 'ls', '-q', '--filter', `name=-${uniq}-`])).stdout).split('\n').filter(Boolean);
    if (vols.length) await podman(['volume', 'rm', '-f', ...vols]);
  }
  rmSync(work, { recursive: true, force: true });
});

function needImage(t: ExecutionContext, minutes: number): void {
  if (!state.image) throw new Error(`image ${IMAGE} is not available: see the first test`);
  t.timeout(minutes * 60_000);
}

/** `vm-launcher pod ARGS` from the build, as a user runs it: its YAML (exit 0 required). */
async function renderPod(args: string[]): Promise<string> {
  const r = await execa('node', [CLI, 'pod', ...args], { reject: false, timeout: 60_000 });
  must({ ...r, all: `${String(r.stdout)}\n${String(r.stderr)}` }, 'vm-launcher pod');
  return String(r.stdout);
}

/** A VMI file made from an example: name, claim and cloud-init changed by the test. */
function vmiFrom(example: string, edit: (vmi: any) => void): string {
  const vmi = parseYaml(readFileSync(example, 'utf8'));
  edit(vmi);
  const file = join(work, `${vmi.metadata.name}.yaml`);
  writeFileSync(file, stringify(vmi));
  return file;
}

/** A podman named volume (the claim) holding disk.img, both owned by 107 as fsGroup 107 makes a PVC. */
async function claimVolume(claim: string, fill: (image: string) => void): Promise<string> {
  must(await podman(['volume', 'create', claim]), 'podman volume create');
  const mount = String((await podman(['volume', 'inspect', '--format', '{{.Mountpoint}}', claim])).stdout).trim();
  const image = join(mount, 'disk.img');
  fill(image);
  chownSync(mount, 107, 107);
  chownSync(image, 107, 107);
  return image;
}

async function exitCodeOf(ctr: string): Promise<number> {
  const r = await podman(['inspect', '--format', '{{.State.ExitCode}}', ctr]);
  must(r, 'podman inspect');
  return Number(String(r.stdout).trim());
}

serial('image: built', async (t) => {
  t.timeout(15 * 60_000);
  t.log(await ensureImage());
  state.image = true;
  t.pass();
});

serial('the Debian SSH Pod, rendered for podman with --publish 22=PORT, plays: SSH through 127.0.0.1, clean stop on pod stop', async (t) => {
  if (noDebian) {
    t.log(`SKIPPED: ${noDebian}`);
    return t.pass();
  }
  needImage(t, 25);
  await debianGuestImage();
  const podName = names('ssh');
  const claim = names('root');
  const marker = `pod-play-${uniq}`;
  const { privateKey, publicKey } = sshKeyPair(join(work, 'ssh'));
  // The user's VMI: the example with the test's name, claim and key (cloud-init user-data as the guest helper writes it).
  const vmi = vmiFrom(EXAMPLE_SSH, (v) => {
    v.metadata.name = podName;
    v.spec.volumes.find((vol: any) => vol.persistentVolumeClaim).persistentVolumeClaim.claimName = claim;
    v.spec.volumes.find((vol: any) => vol.cloudInitNoCloud).cloudInitNoCloud = { userData: cloudInitUserData({ publicKey, marker }) };
  });
  const port = await freePort();
  const yaml = await renderPod(['--vmi', vmi, '--for', 'podman', '--publish', `22=${port}`, '--accel', 'tcg', '--image', IMAGE]);
  const docs = parseAllDocuments(yaml).map((d) => d.toJS() as any);
  const pod = docs.find((d) => d.kind === 'Pod');
  const c = pod.spec.containers[0];
  t.deepEqual(c.ports, [{ name: 'ssh', containerPort: 22, protocol: 'TCP', hostPort: port, hostIP: '127.0.0.1' }], 'published on the loopback');
  t.regex(yaml, /default_sysctls/, 'the rendered notes say what podman 4.3 needs');
  const grace = pod.spec.terminationGracePeriodSeconds as number;
  t.is(grace, 45);
  const manifest = join(work, `${podName}.yaml`);
  writeFileSync(manifest, yaml);
  const ctr = `${podName}-${c.name}`;
  const log = join(work, `${podName}.log`);
  let exited: string | undefined;
  const watch = setInterval(() => { void running(ctr).then((up) => { if (!up) exited = `the container exited; last lines:\n${tail(readLog(log))}`; }); }, 5000);
  try {
    await claimVolume(claim, copyDebianGuest);
    const started = Date.now();
    must(await podman(['kube', 'play', '--log-opt', `path=${log}`, manifest], sysctlEnv), 'podman kube play');
    const waited = await waitForSsh(port, privateKey, SSH_TIMEOUT_MS, () => exited);
    t.log(`kube play -> SSH through 127.0.0.1:${port}: ${((Date.now() - started) / 1000).toFixed(0)} s (ssh polled ${(waited / 1000).toFixed(0)} s; load ${loadavg()[0]!.toFixed(1)})`);
    // cloud-init finishes after sshd answers: wait for its runcmd's marker.
    let seen = '';
    for (const deadline = Date.now() + 300_000; Date.now() < deadline && seen !== marker;) {
      const r = await sshRun(port, privateKey, ['sh', '-c', `cat ${GUEST_MARKER_FILE} 2>/dev/null; true`], { timeoutMs: 30_000 });
      seen = r.stdout.trim();
      if (seen !== marker) await new Promise((r2) => setTimeout(r2, 3000));
    }
    t.is(seen, marker, 'cloud-init ran the VMI\'s user-data (the key got in, runcmd wrote the marker)');
    const uname = await sshRun(port, privateKey, ['uname', '-sr']);
    t.is(uname.exitCode, 0, uname.stderr);
    t.log(`guest: ${uname.stdout.trim()}`);
    clearInterval(watch);

    const t0 = Date.now();
    must(await podman(['pod', 'stop', '-t', String(grace), podName], { timeout: (grace + 30) * 1000 }), 'podman pod stop');
    t.log(`podman pod stop -t ${grace}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const lines = readLog(log);
    const last = lines.at(-1);
    t.is(last?.reason, 'GuestShutdown', tail(lines));
    t.is(last?.exitCode, 0, tail(lines));
    t.is(await exitCodeOf(ctr), 0, 'the launcher exited 0: not SIGKILLed (137)');
    must(await podman(['kube', 'down', manifest], { timeout: 90_000 }), 'podman kube down');
  } finally {
    clearInterval(watch);
    await podman(['pod', 'rm', '-f', '-t', '0', podName]);
    await podman(['volume', 'rm', '-f', claim, podName]); // the claim and the ConfigMap's volume
  }
});

/** Why the quadlet test cannot run here, or undefined. */
async function quadletUnavailable(): Promise<string | undefined> {
  if (!existsSync(QUADLET)) {
    const v = String((await podman(['version', '--format', '{{.Client.Version}}'])).stdout).trim();
    return `podman ${v} has no quadlet generator (${QUADLET}; quadlet came with podman 4.4)`;
  }
  const pid1 = readFileSync('/proc/1/comm', 'utf8').trim();
  if (pid1 !== 'systemd') return `PID 1 is ${pid1}, not systemd: no systemctl daemon-reload to run the generator`;
  const r = await execa('systemctl', ['is-system-running'], { reject: false, timeout: 30_000 });
  if (r.exitCode !== 0 && !['degraded', 'running'].includes(String(r.stdout).trim())) return `systemctl does not work here: ${String(r.stdout || r.stderr).trim()}`;
  return guestBuildUnavailable();
}

serial('quadlet: the .kube unit `pod --quadlet DIR` writes runs the VM as a systemd service; systemctl stop shuts it down cleanly', async (t) => {
  const why = await quadletUnavailable();
  if (why) {
    t.log(`SKIPPED: ${why}`);
    return t.pass();
  }
  needImage(t, 8);
  const podName = names('unit');
  const claim = names('disk');
  const vmi = vmiFrom(EXAMPLE_FS, (v) => {
    v.metadata.name = podName;
    v.spec.volumes.find((vol: any) => vol.persistentVolumeClaim).persistentVolumeClaim.claimName = claim;
  });
  // First the generator's own check, on a private dir: quadlet -dryrun prints the service or says what is wrong.
  const dry = join(work, 'quadlet-dry');
  mkdirSync(dry);
  await renderPod(['--vmi', vmi, '--for', 'podman', '--accel', 'tcg', '--image', IMAGE, '--quadlet', dry]);
  const gen = await execa(QUADLET, ['-dryrun'], { env: { ...process.env, QUADLET_UNIT_DIRS: dry }, reject: false, all: true, timeout: 60_000 });
  t.is(gen.exitCode, 0, String(gen.all));
  t.regex(String(gen.all), /kube play/, String(gen.all));
  t.regex(String(gen.all), /ExecStop=.*pod stop --ignore -t 45/, String(gen.all));

  const service = `${podName}.service`;
  const files = [join(UNIT_DIR, `${podName}.kube`), join(UNIT_DIR, `${podName}.yaml`)];
  mkdirSync(UNIT_DIR, { recursive: true });
  const image = await claimVolume(claim, (img) => buildTestDisk(img, 'wait'));
  try {
    await renderPod(['--vmi', vmi, '--for', 'podman', '--accel', 'tcg', '--image', IMAGE, '--quadlet', UNIT_DIR]);
    must(await execa('systemctl', ['daemon-reload'], { reject: false, all: true, timeout: 60_000 }), 'systemctl daemon-reload');
    must(await execa('systemctl', ['start', service], { reject: false, all: true, timeout: 180_000 }), `systemctl start ${service}`);
    const ctr = `${podName}-compute`;
    let consoleText = '';
    for (const deadline = Date.now() + 180_000; Date.now() < deadline && !consoleText.includes('GUEST-WAITING-FOR-POWER-BUTTON');) {
      consoleText = String((await podman(['exec', ctr, 'vm-launcher', 'console', '--log'])).stdout);
      await new Promise((r) => setTimeout(r, 2000));
    }
    t.regex(consoleText, /GUEST-BOOTED/, 'the guest booted under systemd');
    const t0 = Date.now();
    must(await execa('systemctl', ['stop', service], { reject: false, all: true, timeout: 120_000 }), `systemctl stop ${service}`);
    t.log(`systemctl stop: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const journal = String((await execa('journalctl', ['-u', service, '-o', 'cat', '--no-pager'], { reject: false, timeout: 60_000 })).stdout);
    // The launcher's last line (quadlet's kube units log to the journal): the guest shut down, exit 0.
    t.regex(journal, /"reason":"GuestShutdown"[^\n]*"exitCode":0|"exitCode":0[^\n]*"reason":"GuestShutdown"/, journal.split('\n').slice(-20).join('\n'));
    t.is(readBootCount(image), 1);
  } finally {
    await execa('systemctl', ['stop', service], { reject: false, timeout: 120_000 });
    for (const f of files) rmSync(f, { force: true });
    await execa('systemctl', ['daemon-reload'], { reject: false, timeout: 60_000 });
    await podman(['pod', 'rm', '-f', '-t', '0', podName]);
    await podman(['volume', 'rm', '-f', claim, podName]);
  }
});
