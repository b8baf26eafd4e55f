// The pod network and cloud-init on this host, through the real CLI (`check`, `domain`) and the real libvirt:
// whether this libvirt accepts passt (bookworm's 9.0 does not: `check` says so instead of failing at define time),
// the forwarded ports against net.ipv4.ip_unprivileged_port_start, the open files forwarding every port needs,
// a VMI without interfaces, and secretRef data read from where KubeVirt's pod mounts a Secret. Booting a guest with
// a NIC needs libvirt with passt: on a host without it that test is skipped with the reason, and
// test/container/network.test.ts boots one in the image.
import test, { type ExecutionContext } from 'ava';
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { cliPath, LauncherRun, processesMentioning, sharedCacheDir } from '../../harness/launcher-process.js';
import { buildTestDisk, chownTree } from '../../harness/guest-disk.js';
import { bootUnavailable, qemuImgUnavailable } from '../../harness/requirements.js';
import { cleanupAll, fsVolume, giveToVm, qemuImg, scene, type CheckJson, type Scene } from '../helpers/check-fixture.js';

const noQemuImg = qemuImgUnavailable();
test.after.always(() => cleanupAll());

function newScene(t: ExecutionContext): Scene {
  const s = scene('vml-net-');
  t.teardown(() => s.cleanup());
  return s;
}

/** A VMI with one disk on a 1 MiB raw volume and whatever `spec` adds. */
function vmi(s: Scene, spec: Record<string, unknown>, disks: Array<Record<string, unknown>> = [], volumes: Array<Record<string, unknown>> = []): void {
  const img = join(fsVolume(s, 'rootdisk'), 'disk.img');
  qemuImg('-f', 'raw', img, '1M');
  giveToVm(img);
  const { interfaces, ...rest } = spec as { interfaces?: unknown };
  s.writeVmi(stringify({
    apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name: 'netvm', namespace: 'tests' },
    spec: {
      domain: { memory: { guest: '128Mi' }, devices: { disks: [{ name: 'rootdisk' }, ...disks], ...(interfaces ? { interfaces } : {}) } },
      volumes: [{ name: 'rootdisk', persistentVolumeClaim: { claimName: 'root' } }, ...volumes],
      ...rest,
    },
  }));
}

const nic = (iface: Record<string, unknown>) => ({ networks: [{ name: 'default', pod: {} }], interfaces: [{ name: 'default', ...iface }] });
type NetJson = CheckJson & { network: { backend?: { backend: string }; explained: string[] }; cloudInit: { files: Array<{ path: string; from: string }> } | null };

/** Does this host's libvirt accept passt? Asked the way `check` asks it. */
let passtSupport: Promise<string | undefined> | undefined;
function noPasst(): Promise<string | undefined> {
  passtSupport ??= (async () => {
    const s = scene('vml-net-probe-');
    try {
      vmi(s, nic({ passtBinding: {}, ports: [{ port: 8022 }] }));
      const { json } = await s.check();
      const p = json.problems.find((x) => x.reason === 'PasstUnsupportedByLibvirt' || x.reason === 'PasstMissing');
      return p ? `${p.reason}: ${p.message}` : undefined;
    } finally {
      s.cleanup();
    }
  })();
  return passtSupport;
}

test('a NIC: planned where this libvirt accepts passt, else refused at check with PasstUnsupportedByLibvirt and a fix', async (t) => {
  if (noQemuImg) { t.log(`skipped: ${noQemuImg}`); return t.pass(); }
  const s = newScene(t);
  vmi(s, nic({ passtBinding: {}, ports: [{ port: 8022 }] }));
  const { code, json } = await s.check();
  const j = json as NetJson;
  const refusal = j.problems.find((p) => p.reason === 'PasstUnsupportedByLibvirt');
  if (refusal) {
    t.is(code, 3);
    t.truthy(refusal.fix);
    t.regex(refusal.message, /libvirt/);
    t.log(`this host: ${refusal.message}`);
  } else {
    t.is(code, 0, JSON.stringify(j.problems));
    t.truthy(j.network.backend);
    t.log(`this host: ${j.network.explained[0]}`);
  }
});

test('a forwarded port below net.ipv4.ip_unprivileged_port_start is refused, the pod sysctl as the fix', async (t) => {
  if (noQemuImg) { t.log(`skipped: ${noQemuImg}`); return t.pass(); }
  const start = Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8').trim());
  if (start <= 22) { t.log(`skipped: this host lets anyone bind port 22 (ip_unprivileged_port_start=${start})`); return t.pass(); }
  const s = newScene(t);
  vmi(s, nic({ masquerade: {}, ports: [{ port: 22 }, { port: 8080 }] }));
  const { code, json } = await s.check();
  t.is(code, 3);
  const p = json.problems.find((x) => x.reason === 'PortBelowUnprivilegedStart');
  t.is(p?.field, 'spec.domain.devices.interfaces[0].ports[0].port');
  t.regex(p?.fix ?? '', /net\.ipv4\.ip_unprivileged_port_start=0/);
  t.false(json.problems.some((x) => x.field?.includes('ports[1]')), 'port 8080 is fine');
});

/** `check --json` with the launcher's open-file limits set by prlimit (soft:hard). */
function checkWithLimit(s: Scene, soft: number, hard: number): Promise<{ code: number | null; json?: NetJson; stderr: string }> {
  return new Promise((resolve) => {
    execFile('prlimit', [`--nofile=${soft}:${hard}`, process.execPath, cliPath, 'check', '--json', ...s.opts()], {
      timeout: 60_000, env: { ...process.env, VM_LAUNCHER_LOG_FORMAT: 'json' },
    }, (err, stdout, stderr) => {
      let json: NetJson | undefined;
      try { json = JSON.parse(stdout) as NetJson; } catch { /* reported below */ }
      resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, ...(json && { json }), stderr });
    });
  });
}

test('every port forwarded (no ports, as KubeVirt): refused with the numbers when the hard open-file limit is too low', async (t) => {
  if (noQemuImg) { t.log(`skipped: ${noQemuImg}`); return t.pass(); }
  const s = newScene(t);
  vmi(s, nic({ passtBinding: {} }));
  const low = await checkWithLimit(s, 1024, 4096);
  t.truthy(low.json, low.stderr);
  const p = low.json!.problems.find((x) => x.reason === 'OpenFileLimitTooLow');
  t.truthy(p, JSON.stringify(low.json!.problems));
  t.regex(p!.message, /about 99328 open files, but this pod allows 4096/);
  t.regex(p!.fix ?? '', /ports: \[\{port: 22\}\]/);
  t.true(low.json!.problems.some((x) => x.reason === 'ForwardAllSkipsLowPorts') || readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8').trim() === '0');
  const high = await checkWithLimit(s, 1024, 200_000);
  if (high.code !== 0 && !high.json) { t.log(`raising the hard limit here failed (${high.stderr.trim()}): the raise path is covered where the hard limit allows it`); return; }
  t.false(high.json!.problems.some((x) => x.reason === 'OpenFileLimitTooLow'));
  if (high.json!.network.explained) t.regex(high.json!.network.explained.join('\n'), /run raises the soft limit/);
});

test('no networks and no interfaces: check says the guest gets no NIC', async (t) => {
  if (noQemuImg) { t.log(`skipped: ${noQemuImg}`); return t.pass(); }
  const s = newScene(t);
  vmi(s, {});
  const text = await s.checkText();
  t.is(text.code, 0, text.stdout + text.stderr);
  t.regex(text.stdout, /network: none: the VMI has no interfaces, so the guest gets no NIC/);
  const { json } = await s.check();
  t.deepEqual((json as NetJson).network.explained.length, 1);
});

test('cloud-init secretRef: read from <secrets-dir>/<volume>/userdata, or refused with where it was looked for', async (t) => {
  if (noQemuImg) { t.log(`skipped: ${noQemuImg}`); return t.pass(); }
  const s = newScene(t);
  vmi(s, {}, [{ name: 'cloudinit' }], [{ name: 'cloudinit', cloudInitNoCloud: { secretRef: { name: 'my-secret' }, networkData: 'version: 2\n' } }]);
  const secrets = join(s.dir, 'secrets');
  const missing = await s.check();
  t.is(missing.code, 3);
  const p = missing.json.problems.find((x) => x.reason === 'CloudInitSecretMissing');
  t.regex(p?.message ?? '', /\/var\/run\/kubevirt-private\/secret\/cloudinit\/userdata/);
  mkdirSync(join(secrets, 'cloudinit'), { recursive: true });
  // A Secret volume's layout: the key is a symlink into a ..data dir.
  mkdirSync(join(secrets, 'cloudinit', '..data'));
  writeFileSync(join(secrets, 'cloudinit', '..data', 'userData'), '#cloud-config\n');
  execFileSync('ln', ['-s', '..data/userData', join(secrets, 'cloudinit', 'userData')]);
  chmodSync(secrets, 0o755);
  const r = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
    execFile(process.execPath, [cliPath, 'check', '--json', ...s.opts(), '--secrets-dir', secrets], { env: { ...process.env, VM_LAUNCHER_LOG_FORMAT: 'json' } },
      (err, stdout) => resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout }));
  });
  t.is(r.code, 0, r.stdout);
  const files = (JSON.parse(r.stdout) as NetJson).cloudInit!.files;
  t.deepEqual(files.map((f) => f.path), ['meta-data', 'user-data', 'network-config']);
  t.regex(files[1]!.from, /Secret my-secret/);
});

test('a guest with a NIC boots, passt runs as the VM user, and nothing of it outlives the launcher', async (t) => {
  const why = bootUnavailable() ?? (await noPasst());
  if (why) { t.log(`skipped: ${why} (test/container/network.test.ts boots one in the image)`); return t.pass(); }
  t.timeout(5 * 60_000);
  const s = newScene(t);
  const vol = fsVolume(s, 'rootdisk');
  buildTestDisk(join(vol, 'disk.img'), 'wait');
  chownTree(vol, 107, 107);
  s.writeVmi(stringify({
    apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name: 'netboot', namespace: 'tests' },
    spec: { domain: { memory: { guest: '128Mi' }, devices: { disks: [{ name: 'rootdisk' }], interfaces: [{ name: 'default', passtBinding: {}, ports: [{ port: 8022 }] }] } },
      networks: [{ name: 'default', pod: {} }], volumes: [{ name: 'rootdisk', persistentVolumeClaim: { claimName: 'root' } }] },
  }));
  const runtime = join('/tmp', `vmln-${process.pid}`);
  const run = new LauncherRun(['run', ...s.opts(), '--runtime-dir', runtime, '--cache-dir', sharedCacheDir]);
  try {
    await run.waitForConsole('GUEST-WAITING-FOR-POWER-BUTTON', 120_000);
    const passt = processesMentioning(runtime).filter((pid) => readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('passt'));
    t.true(passt.length > 0, 'passt runs');
    for (const pid of passt) t.not(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1], '0', 'passt is never root');
    run.signal('SIGTERM');
    t.is(await run.exitCode(), 0, run.tail());
    t.deepEqual(processesMentioning(runtime), [], 'nothing left running');
  } finally {
    run.kill(runtime);
  }
});

test('run raises its own open-file soft limit to the hard one (prlimit on its own pid, no privilege needed)', async (t) => {
  const module = new URL('../../launcher/run/open-files.js', import.meta.url).href;
  const script = `const { raiseOpenFileLimit } = await import(${JSON.stringify(module)});
    const r = await raiseOpenFileLimit({ soft: 1024, hard: 4096, need: 2048, raise: true });
    const line = (await import('node:fs')).readFileSync('/proc/self/limits', 'utf8').split('\\n').find((l) => l.startsWith('Max open files'));
    console.log(JSON.stringify({ ...r, line }));`;
  const out = await new Promise<string>((resolve, reject) => execFile('prlimit', ['--nofile=1024:4096', process.execPath, '--input-type=module', '-e', script],
    { timeout: 30_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout))));
  const r = JSON.parse(out) as { ok: boolean; message: string; line: string };
  t.true(r.ok, r.message);
  t.regex(r.line, /^Max open files\s+4096\s+4096/);
  t.regex(r.message, /raised from 1024 to 4096/);
});
