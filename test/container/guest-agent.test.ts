// The guest agent, `vm-launcher status` and the VMI's probes in the VM pod image, with the Debian cloud guest over
// masquerade (passt) and a port 22 published on 127.0.0.1. One Debian boot:
//   - a tcpSocket readinessProbe on port 22: `probe ready` (through podman exec) fails until sshd answers, and
//     when it passes, sshd's banner comes back (a login waits for cloud-init to install the key);
//   - `vm-launcher status --json` (podman exec) shows the agent connected, the OS (Debian and its version), the
//     hostname and the guest's address (the time from pod start is printed, not asserted: the machine is shared);
//   - an exec livenessProbe fails while qemu-guest-agent is stopped inside the guest and passes once it is back;
//   - the guest then ignores the power button (logind HandlePowerKey=ignore): `podman stop` ends with the guest
//     shut down through its agent, exit 0.
import test, { type ExecutionContext } from 'ava';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { repoRoot } from '../../harness/guest-disk.js';
import { cloudInitUserData, debianGuestVolume, debianGuestImage, debianGuestUnavailable, sshKeyPair, sshRun, waitForSsh } from '../helpers/debian-guest.js';
import { connect } from 'node:net';
import { ensureImage, freePort, IMAGE, must, podman, podmanUnavailable, readLog, stop, tail, VOLUME_DIR } from '../helpers/podman.js';
import type { StatusJson } from '../../launcher/cli/status.js';

const skip = podmanUnavailable() ?? debianGuestUnavailable();
if (skip) test('guest agent in the image', (t) => { t.log(`skipped: ${skip}`); t.pass(); });
const serial = skip ? test.skip : test.serial;

/** Bounds a failure only: a Debian boot under TCG took 4-9 minutes here while other jobs loaded both cores. */
const BOOT_MS = 15 * 60_000;
const GRACE_S = 120;
const work = mkdtempSync(join(tmpdir(), 'vml-agent-c-'));
chmodSync(work, 0o755);
const name = `vmla-${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;

test.after.always('clean up', async () => {
  if (!skip) await podman(['rm', '-f', '-t', '0', name]);
  rmSync(work, { recursive: true, force: true });
});

const exec = async (args: string[]) => podman(['exec', name, ...args], { timeout: 120_000 });
const probeOk = async (kind: 'ready' | 'live') => (await exec(['vm-launcher', 'probe', kind])).exitCode === 0;

async function statusJson(): Promise<StatusJson | undefined> {
  const r = await exec(['vm-launcher', 'status', '--json']);
  try { return r.exitCode === 0 ? JSON.parse(String(r.stdout)) as StatusJson : undefined; } catch { return undefined; }
}

async function until<T>(t: ExecutionContext, what: string, ms: number, f: () => Promise<T | undefined | false>, log: string): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${tail(readLog(log))}`);
    await new Promise((r) => setTimeout(r, 2000));
  }
}

serial('Debian in the image: tcpSocket readiness follows sshd; status shows the agent\'s facts; exec liveness follows the agent; ACPI ignored -> shut down through the agent, exit 0', async (t) => {
  t.timeout(45 * 60_000);
  t.log(await ensureImage());
  await debianGuestImage();
  const vol = debianGuestVolume(join(work, 'vol'));
  const { privateKey, publicKey } = sshKeyPair(join(work, 'ssh'));
  const vmi = parseYaml(readFileSync(join(repoRoot, 'examples', 'vmi', 'vmi-debian-ssh.yaml'), 'utf8'));
  vmi.spec.terminationGracePeriodSeconds = GRACE_S;
  vmi.spec.volumes[1].cloudInitNoCloud.userData = cloudInitUserData({ publicKey, marker: 'agent-test' });
  // Above passt's 10 s: a connection the guest never answers is reset before the probe's timeout (probe-loop.ts).
  // Every 15 s, not faster: OpenSSH >= 9.8 penalises a source whose connections never authenticate (PerSourcePenalties
  // noauth), and the probe's and the test's connections reach the guest from the same gateway address through passt.
  vmi.spec.readinessProbe = { tcpSocket: { port: 22 }, periodSeconds: 15, timeoutSeconds: 12, failureThreshold: 1 };
  vmi.spec.livenessProbe = { exec: { command: ['/usr/bin/systemctl', 'is-active', 'ssh'] }, periodSeconds: 3, timeoutSeconds: 20, failureThreshold: 2 };
  const vmiPath = join(work, 'vmi.yaml');
  writeFileSync(vmiPath, stringify(vmi));
  chmodSync(vmiPath, 0o644);
  const log = join(work, 'pod.log');
  const ssh = await freePort();
  const started = Date.now();
  must(await podman(['run', '-d', '--name', name, '--log-opt', `path=${log}`, '-e', 'VM_LAUNCHER_ACCEL=tcg',
    '--sysctl', 'net.ipv4.ip_unprivileged_port_start=0', '-p', `127.0.0.1:${ssh}:22`,
    '-v', `${vol}:${VOLUME_DIR}/rootdisk`, '-v', `${vmiPath}:/etc/vm-launcher/vmi.yaml:ro`, IMAGE]), 'podman run');
  const guestSh = async (script: string, what: string) => {
    const r = await sshRun(ssh, privateKey, ['sh', '-c', script], { timeoutMs: 120_000 });
    t.is(r.exitCode, 0, `${what}: ${r.stderr}`);
  };
  // sshd's banner: what a tcpSocket probe on 22 can know (the user's key arrives later, with cloud-init).
  const sshdBanner = () => new Promise<string>((resolve) => {
    const sock = connect({ host: '127.0.0.1', port: ssh });
    const done = (v: string) => { clearTimeout(timer); sock.destroy(); resolve(v); };
    const timer = setTimeout(() => done('no banner within 15 s'), 15_000);
    sock.once('data', (d) => done(d.toString().split('\r\n')[0]!));
    sock.on('error', (e) => done(e.message));
    sock.on('close', () => done('closed'));
  });

  // Readiness: fails while the guest boots; the first time it passes, SSH answers.
  let failedWhileRunning = 0;
  await until(t, 'probe ready', BOOT_MS, async () => {
    if (await probeOk('ready')) return true;
    if ((await statusJson())?.phase === 'Running') failedWhileRunning++;
    return false;
  }, log);
  const readyAfter = (Date.now() - started) / 1000;
  // The probe passing means the guest's sshd accepted the connection (a guest without a listener resets it at once,
  // one not yet on the network is reset by passt after 10 s, below the probe's timeout). The banner itself can lag
  // under TCG while cloud-init still generates host keys and starts services: a few tries, each logged.
  const banners: string[] = [];
  for (let i = 0; i < 4 && !/^SSH-2\.0-/.test(banners.at(-1) ?? ''); i++) banners.push(await sshdBanner());
  t.log(`sshd banner tries after probe ready passed: ${banners.join(' | ')}`);
  t.regex(banners.at(-1) ?? '', /^SSH-2\.0-/, `sshd answers once probe ready passes (${JSON.stringify((await statusJson())?.probes.readiness)})`);
  t.true(failedWhileRunning > 0, 'probe ready failed while the guest ran and sshd did not answer yet');
  t.log(`pod start -> probe ready: ${readyAfter.toFixed(1)} s (load average ${loadavg()[0]!.toFixed(1)}); it failed ${failedWhileRunning} time(s) while Running`);
  await waitForSsh(ssh, privateKey, BOOT_MS);

  const s = await until(t, 'status --json with the agent\'s facts', 10 * 60_000, async () => {
    const j = await statusJson();
    const addresses = (j?.guest?.interfaces ?? []).flatMap((i) => i.addresses.map((a) => a.address));
    return j?.agent?.connected && j.guest?.os?.id === 'debian' && j.guest.hostname && addresses.includes('10.0.2.2') ? j : undefined;
  }, log);
  t.log(`pod start -> status shows the agent's facts: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  t.true(s.conditions.some((c) => c.type === 'AgentConnected' && c.status === 'True'));
  t.true(s.conditions.some((c) => c.type === 'Ready' && c.status === 'True'));
  t.regex(s.guest?.os?.versionId ?? '', /^\d+$/);
  t.deepEqual(s.network?.ports, ['22/tcp']);
  t.deepEqual(['vm-launcher', 'dbus-daemon', 'libvirtd', 'libvirt-dbus', 'qemu', 'passt'].filter((n) => !s.processes.some((p) => p.name === n && (p.rssBytes ?? 0) > 0)), [], 'every process with its memory');
  const human = await exec(['vm-launcher', 'status']);
  t.log(String(human.stdout));
  t.regex(String(human.stdout), /^Addresses\s+\S+.*10\.0\.2\.2\/24/m);

  // Liveness (exec through the agent) fails while the agent is stopped in the guest, passes once it is back.
  await until(t, 'probe live', 5 * 60_000, async () => probeOk('live'), log);
  await guestSh('sudo systemctl stop qemu-guest-agent', 'stop the agent');
  await until(t, 'probe live to fail', 2 * 60_000, async () => !(await probeOk('live')), log);
  await guestSh('sudo systemctl start qemu-guest-agent', 'start the agent');
  await until(t, 'probe live to pass again', 5 * 60_000, async () => probeOk('live'), log);

  // The guest ignores the power button from now on: podman stop ends through the agent.
  await guestSh('sudo mkdir -p /etc/systemd/logind.conf.d && printf "[Login]\\nHandlePowerKey=ignore\\n" | sudo tee /etc/systemd/logind.conf.d/ignore.conf >/dev/null && sudo systemctl restart systemd-logind', 'ignore ACPI');
  const { exitCode, seconds } = await stop(name, GRACE_S + 30);
  const lines = readLog(log);
  t.log(`podman stop -> exit: ${seconds.toFixed(1)} s`);
  t.is(exitCode, 0, tail(lines));
  t.truthy(lines.find((l) => l.reason === 'AgentShutdownSent'), tail(lines));
  t.is(lines.at(-1)?.reason, 'GuestShutdownByAgent', tail(lines));
  t.truthy(lines.find((l) => l.reason === 'LivenessProbeFailed'), 'the liveness failure is in the log');
});
