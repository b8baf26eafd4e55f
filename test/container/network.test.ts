// Pod networking through passt and cloud-init seeds, in the VM pod image (trixie: libvirt 11 with passt; bookworm's
// libvirt has it disabled, so none of this can run on such a host). A real Debian cloud guest (kernel, systemd,
// cloud-init, OpenSSH: test/helpers/debian-guest.ts) boots from a filesystem volume with a NoCloud seed the
// launcher builds; SSH and HTTP reach it through ports podman publishes on 127.0.0.1 only; `podman stop` shuts it
// down through ACPI. Two Debian boots in all (about a minute each on an idle 2-core machine under TCG):
//   1. masquerade (KubeVirt's default binding): SSH, a file written and synced, HTTP, clean stop, exit 0;
//   2. passtBinding on the same disk: the file is still there, cloud-init's first-boot modules did not run again.
// Cheap checks around them need no Debian boot: `check` and `domain` in the image (refusals with their reasons),
// trixie's virt-xml-validate on the passt XML, and a ConfigDrive seed from a Secret (with the small test guest).
// Figures are printed (pod start -> SSH, podman stop -> exit); VM_LAUNCHER_NETWORK_BASELINE=1 adds a bare QEMU +
// passt boot of the same guest in the image for comparison.
import test, { type ExecutionContext } from 'ava';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { buildTestDisk, guestBuildUnavailable, repoRoot } from '../../harness/guest-disk.js';
import {
  cloudInitUserData, copyDebianGuest, debianGuestImage, debianGuestUnavailable, GUEST_MARKER_FILE, GUEST_RUNCMD_COUNT_FILE,
  sshKeyPair, sshRun, waitForSsh,
} from '../helpers/debian-guest.js';
import {
  consoleHas, ensureImage, freePort, IMAGE, must, podman, podmanUnavailable, readLog, running, stop, tail, VOLUME_DIR, waitForLog,
} from '../helpers/podman.js';

const noPodman = podmanUnavailable();
const noDebian = noPodman ?? debianGuestUnavailable();
const serial = noPodman ? test.skip : test.serial;
if (noPodman) test('network: container tests', (t) => { t.log(`skipped: ${noPodman}`); t.pass(); });

/**
 * Measured here (2 cores, TCG): SSH 35-60 s after start on an idle machine; 241-545 s while other jobs load both
 * cores (load average 11-15). The timeout only bounds a failure.
 */
const SSH_TIMEOUT_MS = 900_000;
/** The VMI's grace period; podman stop waits longer, as the example Pod does. */
const GRACE_S = 60;
const SYSCTL = ['--sysctl', 'net.ipv4.ip_unprivileged_port_start=0'];
const EXAMPLE = join(repoRoot, 'examples', 'vmi', 'vmi-debian-ssh.yaml');

const work = mkdtempSync(join(tmpdir(), 'vml-net-'));
chmodSync(work, 0o755);
const uniq = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
let n = 0;
const names = (what: string) => `vmln-${what}-${uniq}-${n++}`;
/** debian: the disk after a first boot that ended cleanly (the second run boots it again). */
const state: { image?: boolean; debian?: { dir: string; key: string; publicKey: string; marker: string }; firstBootDone?: boolean } = {};

test.after.always('clean up: containers and the work dir', async () => {
  if (!noPodman) {
    const ids = String((await podman(['ps', '-aq', '--filter', `name=-${uniq}-`])).stdout).split('\n').filter(Boolean);
    if (ids.length) await podman(['rm', '-f', '-t', '0', ...ids]);
  }
  rmSync(work, { recursive: true, force: true });
});

function needImage(t: ExecutionContext, minutes = 4): void {
  if (!state.image) throw new Error(`image ${IMAGE} is not available: see the first test`);
  t.timeout(minutes * 60_000);
}

/** A volume dir owned by uid 107 (as fsGroup 107 makes a PVC), holding `fill(disk.img)`. */
function volume(fill: (image: string) => void): string {
  const dir = join(work, names('vol'));
  mkdirSync(dir);
  const image = join(dir, 'disk.img');
  fill(image);
  chownSync(dir, 107, 107);
  chownSync(image, 107, 107);
  return dir;
}

/** The example VMI, changed by `edit`, written where a container can read it. */
function vmiFile(edit: (vmi: any) => void): string { // eslint-disable-line @typescript-eslint/no-explicit-any
  const vmi = parseYaml(readFileSync(EXAMPLE, 'utf8'));
  edit(vmi);
  const file = join(work, `${names('vmi')}.yaml`);
  writeFileSync(file, stringify(vmi));
  chmodSync(file, 0o644);
  return file;
}

const mounts = (vol: string, vmi: string) => ['-v', `${vol}:${VOLUME_DIR}/rootdisk`, '-v', `${vmi}:/etc/vm-launcher/vmi.yaml:ro`];

/** `vm-launcher ARGS` once in the image (no guest): exit code, stdout, the log lines. */
async function launcher(args: string[], podmanArgs: string[]) {
  const r = await podman(['run', '--rm', '-e', 'VM_LAUNCHER_ACCEL=tcg', '-e', 'VM_LAUNCHER_LOG_GUEST_CONSOLE=yes', ...podmanArgs, IMAGE, ...args], { timeout: 120_000 });
  return { exitCode: r.exitCode, stdout: String(r.stdout), all: String(r.all) };
}

// ------------------------------------------------------------------------------------------ image
serial('image: built, with passt and xorrisofs', async (t) => {
  t.timeout(15 * 60_000);
  t.log(await ensureImage());
  const r = await podman(['run', '--rm', '--entrypoint', 'sh', IMAGE, '-c', 'test -x /usr/bin/passt && xorrisofs -version 2>&1 | head -1 && virsh --version']);
  must(r, 'passt and xorrisofs in the image');
  t.log(String(r.stdout).trim().replace(/\n/g, '; '));
  state.image = true;
  t.pass();
});

serial('trixie\'s virt-xml-validate accepts every golden domain XML, passt over vhost-user included', async (t) => {
  needImage(t);
  const r = await podman(['run', '--rm', '-v', `${join(repoRoot, 'test', 'golden')}:/golden:ro`, '--entrypoint', 'sh', IMAGE, '-c',
    'rc=0; for f in /golden/*.xml; do virt-xml-validate "$f" domain >/dev/null 2>&1 || { virt-xml-validate "$f" domain; rc=1; }; done; ls /golden/*.xml | wc -l; exit $rc']);
  must(r, 'virt-xml-validate in the image');
  t.log(`${String(r.stdout).trim()} golden files valid for libvirt 11`);
  t.pass();
});

// ------------------------------------------------------------------------------------------ check, no guest
serial('check explains the NIC and the seed; domain prints XML the image\'s libvirt schema accepts', async (t) => {
  needImage(t);
  const vol = volume((img) => writeFileSync(img, Buffer.alloc(1024 * 1024)));
  const vmi = vmiFile(() => undefined);
  const check = await launcher(['check', '--json'], [...SYSCTL, ...mounts(vol, vmi)]);
  t.is(check.exitCode, 0, check.all);
  const report = JSON.parse(check.stdout) as { network: { backend: { backend: string }; explained: string[] }; cloudInit: { label: string; files: Array<{ path: string }> } };
  t.is(report.network.backend.backend, 'vhost-user');
  t.regex(report.network.explained.join('\n'), /10\.0\.2\.2\/24/);
  t.deepEqual(report.cloudInit.files.map((f) => f.path), ['meta-data', 'user-data']);
  t.is(report.cloudInit.label, 'cidata');
  t.log(report.network.explained.join('\n'));
  const domain = await podman(['run', '--rm', '-e', 'VM_LAUNCHER_ACCEL=tcg', '-e', 'VM_LAUNCHER_LOG_GUEST_CONSOLE=yes', ...SYSCTL, ...mounts(vol, vmi), '--entrypoint', 'sh', IMAGE, '-c',
    'vm-launcher domain > /tmp/d.xml && virt-xml-validate /tmp/d.xml domain && grep -c "backend type=\\"passt\\"" /tmp/d.xml']);
  must(domain, 'vm-launcher domain | virt-xml-validate');
});

serial('check refuses with reasons: port 22 without the sysctl, every port above the open-file limit; no NIC is said', async (t) => {
  needImage(t);
  const vol = volume((img) => writeFileSync(img, Buffer.alloc(1024 * 1024)));
  const noSysctl = await launcher(['check', '--json'], mounts(vol, vmiFile(() => undefined)));
  t.is(noSysctl.exitCode, 3);
  t.regex(noSysctl.stdout, /PortBelowUnprivilegedStart/);
  t.regex(noSysctl.stdout, /net\.ipv4\.ip_unprivileged_port_start=0/, 'the fix names the sysctl');

  const allPorts = await launcher(['check', '--json'], [...SYSCTL, ...mounts(vol, vmiFile((v) => { delete v.spec.domain.devices.interfaces[0].ports; }))]);
  const limits = await podman(['run', '--rm', '--entrypoint', 'sh', IMAGE, '-c', 'ulimit -Hn']);
  const hard = Number(String(limits.stdout).trim());
  if (hard < 99_328) {
    t.is(allPorts.exitCode, 3, allPorts.all);
    t.regex(allPorts.stdout, new RegExp(`OpenFileLimitTooLow[\\s\\S]*allows ${hard}`));
  } else {
    t.is(allPorts.exitCode, 0, allPorts.all);
    t.regex(allPorts.stdout, /every port/);
  }
  t.log(`every port forwarded with a hard limit of ${hard} open files: exit ${allPorts.exitCode}`);

  const none = await launcher(['check'], [...mounts(vol, vmiFile((v) => { delete v.spec.networks; delete v.spec.domain.devices.interfaces; }))]);
  t.is(none.exitCode, 0, none.all);
  t.regex(none.stdout, /network: none: the VMI has no interfaces/);
});

serial('a ConfigDrive seed from a Secret: built by run as the VM user, label config-2, openstack/latest files', async (t) => {
  needImage(t);
  const noGuest = guestBuildUnavailable();
  if (noGuest) { t.log(`skipped: ${noGuest}`); return t.pass(); }
  const vol = volume((img) => buildTestDisk(img, 'wait'));
  const secret = join(work, names('secret'));
  mkdirSync(join(secret, 'configdrive'), { recursive: true });
  writeFileSync(join(secret, 'configdrive', 'userdata'), '#cloud-config\n# from a Secret\n');
  chmodSync(secret, 0o755);
  chmodSync(join(secret, 'configdrive'), 0o755);
  const vmi = vmiFile((v) => {
    delete v.spec.networks;
    delete v.spec.domain.devices.interfaces;
    v.spec.domain.memory.guest = '128Mi';
    v.spec.domain.devices.disks[1] = { name: 'configdrive', cdrom: { bus: 'sata' } };
    v.spec.volumes[1] = { name: 'configdrive', cloudInitConfigDrive: { secretRef: { name: 'ud' }, networkData: '{"links": []}' } };
  });
  const name = names('cd');
  const log = join(work, `${name}.log`);
  must(await podman(['run', '-d', '--name', name, '--log-opt', `path=${log}`, '-e', 'VM_LAUNCHER_ACCEL=tcg', '-e', 'VM_LAUNCHER_LOG_GUEST_CONSOLE=yes', ...mounts(vol, vmi),
    '-v', `${secret}:/var/run/kubevirt-private/secret:ro`, IMAGE]), 'podman run');
  try {
    await waitForLog(log, consoleHas('GUEST-WAITING-FOR-POWER-BUTTON'), 180_000, 'the test guest', () => running(name));
    const built = readLog(log).find((l) => l.reason === 'CloudInitSeedBuilt');
    t.truthy(built, tail(readLog(log)));
    t.log(`seed built in ${built?.['ms']} ms: ${built?.msg}`);
    const iso = String(built?.['path']);
    const r = await podman(['exec', name, 'sh', '-c',
      `stat -c '%u %a' ${iso}; xorriso -indev ${iso} -pvd_info 2>/dev/null | grep -i 'Volume id'; xorriso -osirrox on -indev ${iso} -find / -type f 2>/dev/null; `
      + `xorriso -osirrox on -indev ${iso} -extract /openstack/latest/user_data /tmp/ud >/dev/null 2>&1; cat /tmp/ud; ls -d /tmp/vml-seed-* 2>&1 | head -1`]);
    must(r, 'reading the seed');
    const out = String(r.stdout);
    t.regex(out, /^107 /m, 'owned by the VM user');
    t.regex(out, /config-2/);
    for (const f of ['meta_data.json', 'user_data', 'network_data.json']) t.regex(out, new RegExp(`openstack/latest/${f}`));
    t.regex(out, /# from a Secret/);
    t.regex(out, /No such file/, 'the staging dir is gone');
    t.log(out.trim().replace(/\n/g, ' | '));
    const { exitCode } = await stop(name, 30);
    t.is(exitCode, 0, tail(readLog(log)));
  } finally {
    await podman(['rm', '-f', '-t', '0', name]);
  }
});

// ------------------------------------------------------------------------------------------ the Debian guest
interface Boot { name: string; log: string; ssh: number; http?: number; sshAfterMs: number }

/** `podman run` of the Debian guest with the given VMI; resolves once SSH answers (SSH_TIMEOUT_MS). */
async function bootDebian(t: ExecutionContext, vmi: string, withHttp: boolean): Promise<Boot> {
  const d = state.debian!;
  const name = names('deb');
  const log = join(work, `${name}.log`);
  const ssh = await freePort();
  const http = withHttp ? await freePort() : undefined;
  const publish = ['-p', `127.0.0.1:${ssh}:22`, ...(http ? ['-p', `127.0.0.1:${http}:8080`] : [])];
  const started = Date.now();
  must(await podman(['run', '-d', '--name', name, '--log-opt', `path=${log}`, '-e', 'VM_LAUNCHER_ACCEL=tcg', '-e', 'VM_LAUNCHER_LOG_GUEST_CONSOLE=yes', ...SYSCTL, ...publish,
    ...mounts(d.dir, vmi), IMAGE]), 'podman run');
  let exited: string | undefined;
  void podman(['wait', name], { timeout: SSH_TIMEOUT_MS + 600_000 }).then(() => { exited = `the container exited:\n${tail(readLog(log))}`; });
  await waitForSsh(ssh, d.key, SSH_TIMEOUT_MS, () => exited);
  const boot = { name, log, ssh, ...(http && { http }), sshAfterMs: Date.now() - started };
  t.log(`pod start -> SSH answering: ${(boot.sshAfterMs / 1000).toFixed(1)} s (load average ${loadavg()[0]!.toFixed(1)})`);
  const timings = readLog(log).find((l) => l.reason === 'StartupTimings');
  if (timings) t.log(`launcher: ${timings.msg}; seed ${timings['seedMs']} ms`);
  return boot;
}

const sh = (b: Boot, script: string, timeoutMs = 60_000) => sshRun(b.ssh, state.debian!.key, ['sh', '-c', script], { timeoutMs });

/** cloud-init finishes after sshd answers: the runcmd marker says it ran. */
async function waitForMarker(b: Boot): Promise<string> {
  const deadline = Date.now() + 180_000;
  for (;;) {
    const r = await sh(b, `cat ${GUEST_MARKER_FILE}`);
    if (r.exitCode === 0) return r.stdout.trim();
    if (Date.now() > deadline) throw new Error(`no cloud-init marker: ${r.stderr}`);
    await new Promise((res) => setTimeout(res, 2000));
  }
}

/** The launcher's processes in the running container: passt and QEMU never root. */
async function uidsOf(b: Boot): Promise<Map<string, string>> {
  const r = await podman(['exec', b.name, 'sh', '-c', 'for p in /proc/[0-9]*; do c=$(head -c 40 $p/cmdline 2>/dev/null | tr "\\0" " "); u=$(awk "/^Uid/{print \\$2}" $p/status 2>/dev/null); echo "$u $c"; done']);
  const out = new Map<string, string>();
  for (const line of String(r.stdout).split('\n')) {
    const m = /^(\d+) (\S+)/.exec(line);
    if (m && /passt|qemu-system/.test(m[2]!)) out.set(m[2]!.includes('passt') ? 'passt' : 'qemu', m[1]!);
  }
  return out;
}

async function stopClean(t: ExecutionContext, b: Boot): Promise<void> {
  const { exitCode, seconds } = await stop(b.name, GRACE_S + 15);
  const lines = readLog(b.log);
  t.log(`podman stop -> exit: ${seconds.toFixed(1)} s`);
  t.is(exitCode, 0, tail(lines));
  t.true(seconds < GRACE_S, 'within the grace period');
  t.truthy(lines.find((l) => l.reason === 'AcpiShutdownSent'), 'the ACPI power button');
  t.truthy(lines.find(consoleHas('systemd-shutdown')), 'systemd\'s shutdown ran in the guest');
  t.is(lines.at(-1)?.reason, 'GuestShutdown', tail(lines));
}

serial('Debian over masquerade: SSH through 127.0.0.1, a file written and synced, HTTP answers, podman stop exits 0', async (t) => {
  needImage(t, 25);
  if (noDebian) { t.log(`skipped: ${noDebian}`); return t.pass(); }
  await debianGuestImage();
  const dir = volume((img) => copyDebianGuest(img));
  const { privateKey, publicKey } = sshKeyPair(join(work, 'ssh'));
  state.debian = { dir, key: privateKey, publicKey, marker: `vml-${uniq}` };
  const vmi = vmiFile((v) => {
    v.spec.terminationGracePeriodSeconds = GRACE_S;
    v.spec.domain.devices.interfaces[0].ports.push({ name: 'http', port: 8080 });
    v.spec.volumes[1].cloudInitNoCloud.userData = cloudInitUserData({ publicKey, marker: state.debian!.marker });
  });
  const b = await bootDebian(t, vmi, true);
  try {
    t.is(await waitForMarker(b), state.debian.marker, 'cloud-init ran the user data from the seed');
    const addr = await sh(b, 'ip -4 -o addr show scope global; ip -4 route show default');
    t.regex(addr.stdout, /inet 10\.0\.2\.2\/24/, 'KubeVirt\'s masquerade address');
    t.log(addr.stdout.trim().replace(/\n/g, ' | '));
    const write = await sh(b, 'echo "written over passt" | sudo tee /var/lib/vm-launcher-test/file >/dev/null && sync && cat /var/lib/vm-launcher-test/file');
    t.is(write.stdout.trim(), 'written over passt', write.stderr);
    // python3 is in every cloud image (cloud-init is written in it)
    const serve = await sh(b, 'mkdir -p /tmp/www && echo hello-from-the-guest > /tmp/www/index.html && cd /tmp/www && setsid nohup python3 -m http.server 8080 >/dev/null 2>&1 < /dev/null & echo started');
    t.is(serve.exitCode, 0, serve.stderr);
    t.is(await httpGet(b.http!, '/index.html'), 'hello-from-the-guest\n');
    const uids = await uidsOf(b);
    t.is(uids.get('passt'), '107', 'passt runs as the VM user');
    t.is(uids.get('qemu'), '107', 'QEMU runs as the VM user');
    await stopClean(t, b);
    state.firstBootDone = true;
  } finally {
    await podman(['rm', '-f', '-t', '0', b.name]);
  }
});

serial('Debian again with passtBinding on the same disk: the file is there, cloud-init\'s first boot did not run again', async (t) => {
  needImage(t, 25);
  if (noDebian || !state.debian || !state.firstBootDone) { t.log(`skipped: ${noDebian ?? 'the masquerade test did not finish its first boot'}`); return t.pass(); }
  const vmi = vmiFile((v) => {
    v.spec.terminationGracePeriodSeconds = GRACE_S;
    v.spec.domain.devices.interfaces[0] = { name: 'default', passtBinding: {}, ports: [{ port: 22 }] };
    v.spec.volumes[1].cloudInitNoCloud.userData = cloudInitUserData({ publicKey: state.debian!.publicKey, marker: 'second-boot-would-change-this' });
  });
  const b = await bootDebian(t, vmi, false);
  try {
    const check = await sh(b, `cat /var/lib/vm-launcher-test/file ${GUEST_MARKER_FILE}; wc -l < ${GUEST_RUNCMD_COUNT_FILE}; ip -4 -o addr show scope global`);
    const [file, marker, count] = check.stdout.split('\n');
    t.is(file, 'written over passt', check.stderr);
    t.is(marker, state.debian.marker, 'the marker of the first boot');
    t.is(count?.trim(), '1', 'runcmd (once per instance) did not run again: the instance-id is stable');
    const podIp = String((await podman(['inspect', '--format', '{{.NetworkSettings.IPAddress}}', b.name])).stdout).trim();
    t.regex(check.stdout, new RegExp(`inet ${podIp.replace(/\./g, '\\.')}/`), `passt gives the guest the pod's own IP ${podIp}`);
    // The serial console, as `kubectl exec -it POD -- vm-launcher console` gets it: systemd's getty on ttyS0 answers
    // an empty line with its login prompt.
    const consoleRun = await podman(['exec', '-i', b.name, '/usr/local/bin/vm-launcher', 'console'], { input: '\n', all: false });
    t.is(consoleRun.exitCode, 0, String(consoleRun.stderr));
    t.regex(String(consoleRun.stdout), / login: /, `the guest's getty answered on the serial console: ${JSON.stringify(consoleRun.stdout)}`);
    await stopClean(t, b);
  } finally {
    await podman(['rm', '-f', '-t', '0', b.name]);
  }
});

serial('baseline: bare QEMU + passt (vhost-user) in the image, QEMU start -> SSH (VM_LAUNCHER_NETWORK_BASELINE=1)', async (t) => {
  needImage(t, 25);
  if (process.env.VM_LAUNCHER_NETWORK_BASELINE !== '1') { t.log('skipped: set VM_LAUNCHER_NETWORK_BASELINE=1 to measure it (one more Debian boot)'); return t.pass(); }
  if (noDebian || !state.debian) { t.log(`skipped: ${noDebian ?? 'no Debian disk'}`); return t.pass(); }
  const ssh = await freePort();
  const name = names('bare');
  // The disk of the tests above (already first-booted, as the second run was); a seed is not needed any more.
  const script = [
    'cd /tmp && passt --vhost-user --one-off -t 22 --socket /tmp/passt.sock --pid /tmp/passt.pid >/dev/null 2>&1',
    'exec qemu-system-x86_64 -accel tcg -nodefaults -no-user-config -display none -smp 2 -m 1024',
    '-object memory-backend-memfd,id=mem,size=1024M,share=on -numa node,memdev=mem',
    `-drive file=${VOLUME_DIR}/rootdisk/disk.img,format=raw,if=virtio,cache=none,aio=threads`,
    '-chardev socket,id=c0,path=/tmp/passt.sock -netdev vhost-user,id=n0,chardev=c0 -device virtio-net-pci,netdev=n0',
    '-serial file:/tmp/console.log',
  ].join(' ');
  const started = Date.now();
  must(await podman(['run', '-d', '--name', name, ...SYSCTL, '-p', `127.0.0.1:${ssh}:22`, '-v', `${state.debian.dir}:${VOLUME_DIR}/rootdisk`,
    '--entrypoint', 'sh', IMAGE, '-c', script]), 'podman run (bare QEMU)');
  let exited: string | undefined;
  void podman(['wait', name], { timeout: SSH_TIMEOUT_MS + 60_000 }).then(async () => { exited = `bare QEMU exited: ${String((await podman(['logs', name])).all).slice(-2000)}`; });
  try {
    await waitForSsh(ssh, state.debian.key, SSH_TIMEOUT_MS, () => exited);
    t.log(`bare QEMU + passt: container start -> SSH answering: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    t.pass();
  } finally {
    await podman(['rm', '-f', '-t', '0', name]);
  }
});

function httpGet(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 60_000;
    const attempt = () => {
      const req = get({ host: '127.0.0.1', port, path, timeout: 10_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks).toString()));
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (e) => (Date.now() < deadline ? setTimeout(attempt, 1000) : reject(e)));
    };
    attempt();
  });
}
