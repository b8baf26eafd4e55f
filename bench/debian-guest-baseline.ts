// node dist/bench/debian-guest-baseline.js: the Debian cloud test guest under bare QEMU (TCG, no libvirt),
// the baseline the launcher's networking and cloud-init tests compare against. Builds the guest with
// test/fixtures/build-debian-guest.sh into the cache the tests use (root; skipped when cached), makes a
// seed ISO with xorrisofs, boots a qcow2 overlay of it with SSH forwarded on 127.0.0.1, and prints:
// QEMU start -> SSH answers, -> runcmd marker written, qemu-guest-agent ping, system_powerdown -> QEMU exit;
// then boots the same instance again and checks cloud-init's first-boot modules did not run twice.
// Env: SEED=nocloud|configdrive (default nocloud), BOOTS=1|2 (default 2), DEBIAN_GUEST_IMAGE=path (skip the
// cache), SSH_TIMEOUT_S (default 300), KEEP=1 (keep the scratch dir). One TCG guest at a time: run it alone on a 2-core machine.
// Self-contained on purpose: bench/ does not import test/ (the cache scheme below mirrors test/helpers/debian-guest.ts).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const builder = join(repoRoot, 'test', 'fixtures', 'build-debian-guest.sh');
const SUITE = 'trixie';
const SIZE_MIB = 2048;
const cacheDir = process.env.VM_LAUNCHER_TEST_CACHE_DIR ?? '/var/cache/vm-launcher-test';
const seedKind = process.env.SEED === 'configdrive' ? 'configdrive' : 'nocloud';
const boots = Number(process.env.BOOTS ?? 2);
const sshTimeoutMs = Number(process.env.SSH_TIMEOUT_S ?? 300) * 1000;
const STATE = '/var/lib/vm-launcher-test';

const sec = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function cachedImagePath(): string {
  const hash = createHash('sha256').update(readFileSync(builder)).update(`\0suite=${SUITE}\0size=${SIZE_MIB}`).digest('hex');
  return join(cacheDir, `debian-guest-${hash}.img`);
}

function ensureImage(): string {
  if (process.env.DEBIAN_GUEST_IMAGE) return process.env.DEBIAN_GUEST_IMAGE;
  const image = cachedImagePath();
  if (existsSync(image) && statSync(image).size > 0) { console.log(`image: ${image} (cached)`); return image; }
  if (process.getuid?.() !== 0) throw new Error(`no cached image at ${image}; building needs root: ${builder} ${image}`);
  mkdirSync(cacheDir, { recursive: true });
  const t0 = performance.now();
  execFileSync(builder, [image, String(SIZE_MIB)], { stdio: 'inherit', env: { ...process.env, SUITE, LOCK_WAIT: '1200', IF_MISSING: '1' } });
  console.log(`image: ${image} (built in ${sec(performance.now() - t0)})`);
  return image;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

function ssh(port: number, key: string, script: string, timeoutMs = 15_000): { code: number; out: string; err: string } {
  try {
    const out = execFileSync('ssh', [
      '-p', String(port), '-i', key, '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null',
      '-o', 'ConnectTimeout=5', '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-o', 'LogLevel=ERROR',
      'debian@127.0.0.1', 'sh', '-c', `'${script.replace(/'/g, `'\\''`)}'`,
    ], { encoding: 'utf8', timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'] });
    return { code: 0, out, err: '' };
  } catch (e) {
    const x = e as { status?: number | null; stdout?: string; stderr?: string };
    return { code: x.status ?? -1, out: x.stdout ?? '', err: x.stderr ?? '' };
  }
}

/** Sends one line to a unix socket and returns what came back within waitMs. */
function talk(path: string, line: string, waitMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = connect(path);
    let got = '';
    c.on('error', reject);
    c.on('data', (d) => { got += d.toString(); });
    c.on('connect', () => c.write(`${line}\n`));
    setTimeout(() => { c.destroy(); resolve(got); }, waitMs);
  });
}

async function qgaPing(path: string): Promise<string> {
  for (let i = 0; i < 10; i++) {
    const r = await talk(path, '{"execute":"guest-ping"}', 1000).catch((e: Error) => e.message);
    if (r.includes('"return"')) return r.trim();
  }
  return 'no answer';
}

/** CPU time (user + system) a process used so far: under TCG the guest's progress, whatever the host's load. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in clock ticks (USER_HZ 100)
}

interface BootResult { sshMs: number; sshCpuMs: number; markerMs: number; powerdownMs: number }

async function boot(n: number, dir: string, overlay: string, seed: string, key: string): Promise<BootResult> {
  const port = await freePort();
  const mon = join(dir, 'mon.sock');
  const qga = join(dir, 'qga.sock');
  const consoleLog = join(dir, `console-${n}.log`);
  const t0 = performance.now();
  const q: ChildProcess = spawn('qemu-system-x86_64', [
    '-accel', 'tcg', '-nodefaults', '-no-user-config', '-display', 'none', '-m', '1024', '-smp', '2',
    '-drive', `file=${overlay},format=qcow2,if=none,id=d0`, '-device', 'virtio-blk-pci,drive=d0,bootindex=1',
    '-drive', `file=${seed},format=raw,if=none,id=d1,readonly=on`, '-device', 'virtio-blk-pci,drive=d1',
    '-netdev', `user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:${port}-:22`, '-device', 'virtio-net-pci,netdev=n0',
    '-serial', `file:${consoleLog}`, '-monitor', `unix:${mon},server,nowait`,
    '-chardev', `socket,id=qga0,path=${qga},server=on,wait=off`,
    '-device', 'virtio-serial-pci', '-device', 'virtserialport,chardev=qga0,name=org.qemu.guest_agent.0',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let exitedAt = NaN;
  let qemuErr = '';
  q.stderr!.on('data', (d: Buffer) => { qemuErr += d.toString(); });
  const exited = new Promise<void>((r) => q.on('exit', () => { exitedAt = performance.now(); r(); }));
  const fail = (what: string): never => {
    q.kill('SIGKILL');
    const tail = existsSync(consoleLog) ? readFileSync(consoleLog, 'utf8').split('\n').slice(-30).join('\n') : '';
    throw new Error(`boot ${n}: ${what}\nQEMU stderr: ${qemuErr}\nconsole tail (${consoleLog}):\n${tail}`);
  };
  try {
    let sshMs = NaN;
    let sshCpuMs = NaN;
    let lastErr = '';
    while (Number.isNaN(sshMs)) {
      if (!Number.isNaN(exitedAt)) fail('QEMU exited before SSH answered');
      if (performance.now() - t0 > sshTimeoutMs) fail(`no SSH in ${sec(sshTimeoutMs)}: ${lastErr}`);
      const attempt = performance.now();
      const r = ssh(port, key, 'true', 10_000);
      if (r.code === 0) { sshMs = performance.now() - t0; sshCpuMs = cpuMs(q.pid!); }
      else { lastErr = r.err.trim(); await sleep(Math.max(0, 1000 - (performance.now() - attempt))); }
    }
    let markerMs = NaN;
    while (Number.isNaN(markerMs)) {
      if (performance.now() - t0 > sshTimeoutMs + 60_000) fail(`no runcmd marker in ${sec(sshTimeoutMs + 60_000)}`);
      if (ssh(port, key, `test -s ${STATE}/marker`).code === 0) markerMs = performance.now() - t0;
      else await sleep(1000);
    }
    const r = ssh(port, key, [
      'echo "user=$(id -un) sudo=$(sudo -n true && echo ok || echo NO) hostname=$(hostname)"',
      `echo "marker=$(cat ${STATE}/marker) runcmd-count=$(wc -l < ${STATE}/runcmd-count)"`,
      'echo "cloud-id=$(cat /run/cloud-init/cloud-id 2>/dev/null)"',
      'grep -oE "\\"(subplatform|instance_id|platform)\\": *\\"[^\\"]*\\"" /run/cloud-init/instance-data.json | sort -u | tr "\\n" " "; echo',
      'cloud-init status --long 2>&1 | grep -E "^(status|detail|errors|recoverable_errors)" | tr "\\n" " "; echo',
      'echo "failed-units=$(systemctl --failed --no-legend --plain | awk "{print \\$1}" | tr "\\n" " ")"',
    ].join('; '), 60_000);
    const ping = await qgaPing(qga);
    console.log(`boot ${n}: QEMU start -> SSH answers ${sec(sshMs)} (QEMU used ${sec(sshCpuMs)} of CPU by then); ` +
      `-> runcmd marker ${sec(markerMs)}; host load ${loadavg()[0]!.toFixed(1)}`);
    console.log(`${r.out.trim()}\nqga guest-ping: ${ping}`.split('\n').map((l) => `  ${l}`).join('\n'));
    const sentAt = performance.now();
    await talk(mon, 'system_powerdown', 100);
    await Promise.race([exited, sleep(180_000)]);
    if (Number.isNaN(exitedAt)) fail('still running 180 s after system_powerdown');
    return { sshMs, sshCpuMs, markerMs, powerdownMs: exitedAt - sentAt };
  } finally {
    if (Number.isNaN(exitedAt)) q.kill('SIGKILL');
  }
}

async function main(): Promise<void> {
  for (const prog of ['qemu-system-x86_64', 'qemu-img', 'xorrisofs', 'ssh', 'ssh-keygen']) {
    try { execFileSync('sh', ['-c', 'command -v "$1"', 'sh', prog], { stdio: 'ignore' }); } catch {
      console.log(`skipped: ${prog} missing (apt-get install qemu-system-x86 qemu-utils xorriso openssh-client)`);
      return;
    }
  }
  const image = ensureImage();
  const dir = mkdtempSync(join(tmpdir(), 'debian-guest-bench-'));
  let ok = false;
  try {
    const key = join(dir, 'id_ed25519');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'bench', '-f', key]);
    const publicKey = readFileSync(`${key}.pub`, 'utf8').trim();
    const marker = `bench-${process.pid}`;
    const script = `mkdir -p ${STATE} && printf '%s\\n' "$0" > ${STATE}/marker && echo "runcmd $(date +%s)" >> ${STATE}/runcmd-count`;
    const userData = ['#cloud-config', 'users:', '  - name: debian', '    shell: /bin/bash', '    lock_passwd: true',
      '    sudo: "ALL=(ALL) NOPASSWD:ALL"', '    ssh_authorized_keys:', `      - ${JSON.stringify(publicKey)}`,
      'runcmd:', `  - [sh, -c, ${JSON.stringify(script)}, ${JSON.stringify(marker)}]`, ''].join('\n');
    const instanceId = `i-${createHash('sha256').update(marker).digest('hex').slice(0, 12)}`;
    const seedDir = join(dir, 'seed');
    let label: string;
    if (seedKind === 'nocloud') {
      mkdirSync(seedDir);
      writeFileSync(join(seedDir, 'user-data'), userData);
      writeFileSync(join(seedDir, 'meta-data'), `instance-id: ${instanceId}\nlocal-hostname: bench-nocloud\n`);
      label = 'cidata';
    } else {
      mkdirSync(join(seedDir, 'openstack', 'latest'), { recursive: true });
      writeFileSync(join(seedDir, 'openstack', 'latest', 'user_data'), userData);
      const uuid = '6c4a1c2e-0d3b-4f4e-9a51-7f0b7a1d2c3e';
      writeFileSync(join(seedDir, 'openstack', 'latest', 'meta_data.json'),
        JSON.stringify({ uuid, hostname: 'bench-configdrive', local_hostname: 'bench-configdrive', name: 'bench-configdrive' }));
      label = 'config-2';
    }
    const seed = join(dir, 'seed.iso');
    execFileSync('xorrisofs', ['-quiet', '-output', seed, '-volid', label, '-joliet', '-rock', seedDir], { stdio: ['ignore', 'ignore', 'pipe'] });
    const overlay = join(dir, 'overlay.qcow2');
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', image, '-F', 'raw', overlay]);
    console.log(`seed: ${seedKind} (label ${label}); bare QEMU, TCG, -smp 2 -m 1024, ssh forwarded on 127.0.0.1`);
    const results: BootResult[] = [];
    for (let n = 1; n <= boots; n++) {
      const b = await boot(n, dir, overlay, seed, key);
      console.log(`boot ${n}: system_powerdown -> QEMU exit ${sec(b.powerdownMs)}`);
      results.push(b);
    }
    console.log(`summary (${seedKind}): ${results.map((b, i) => `boot ${i + 1}: ssh ${sec(b.sshMs)} (QEMU CPU ${sec(b.sshCpuMs)}), marker ${sec(b.markerMs)}, ` +
      `powerdown ${sec(b.powerdownMs)}`).join('; ')}`);
    ok = true;
  } finally {
    if (ok && !process.env.KEEP) rmSync(dir, { recursive: true, force: true });
    else console.log(`scratch dir kept: ${dir}`);
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
