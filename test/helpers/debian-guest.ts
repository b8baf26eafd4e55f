// A real Debian cloud guest for tests (trixie: kernel, systemd, cloud-init with the NoCloud and
// ConfigDrive datasources, openssh-server, qemu-guest-agent), built by test/fixtures/build-debian-guest.sh
// once per machine into a cache dir, then copied sparsely onto each test's volume.
//
// Conventions (what a test can rely on):
// - The image has no user and no password: `cloudInitUserData()` creates user `debian` (GUEST_USER) with the
//   test's ed25519 key and passwordless sudo. Reach it with `sshRun()` through a port forwarded on 127.0.0.1.
// - Its runcmd (a first-boot module, "once per instance") writes the marker to GUEST_MARKER_FILE and appends
//   one line per execution to GUEST_RUNCMD_COUNT_FILE: a second boot of the same instance leaves it at 1.
// - cloud-init finishes after sshd answers: wait for the marker file, not just for SSH.
// - Under TCG (-smp 2, 1 GiB) SSH answers 34-40 s after QEMU starts on an idle 2-core host (the recipe's
//   figures), but 120-370 s (first boot) and up to 655 s (second boot) were measured here with the host at
//   load 4-15: size timeouts for the load you expect, and boot one such guest at a time.
// - Building takes 57-76 s on an idle host, 105-150 s measured here under load; then it is cached.
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Debian suite of the guest. */
export const DEBIAN_GUEST_SUITE = 'trixie';
/** Virtual size of the image (sparse: about 450 MiB allocated). */
export const DEBIAN_GUEST_SIZE_MIB = 2048;
/** Machine-wide cache of built images; VM_LAUNCHER_TEST_CACHE_DIR overrides it. */
export const debianGuestCacheDir = process.env.VM_LAUNCHER_TEST_CACHE_DIR ?? '/var/cache/vm-launcher-test';
/** Compiled to dist/test/helpers/: the checkout is three levels up. */
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const debianGuestBuilder = join(repoRoot, 'test', 'fixtures', 'build-debian-guest.sh');

/** The user `cloudInitUserData()` creates, with the test's key and passwordless sudo. */
export const GUEST_USER = 'debian';
export const GUEST_STATE_DIR = '/var/lib/vm-launcher-test';
/** Holds the `marker` given to `cloudInitUserData()`, written by runcmd on the instance's first boot. */
export const GUEST_MARKER_FILE = `${GUEST_STATE_DIR}/marker`;
/** One line per runcmd execution: 1 after any number of boots of one instance. */
export const GUEST_RUNCMD_COUNT_FILE = `${GUEST_STATE_DIR}/runcmd-count`;

const BUILD_TIMEOUT_MS = 20 * 60_000;
const SEARCH_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
const isRoot = (process.getuid?.() ?? 1) === 0;

function findProgram(name: string): string | undefined {
  return SEARCH_PATH.map((d) => join(d, name)).find((p) => existsSync(p));
}

/** The cached image's path: debian-guest-<sha256 of the builder script, suite and size>.img. */
export function debianGuestImagePath(): string {
  const hash = createHash('sha256')
    .update(readFileSync(debianGuestBuilder))
    .update(`\0suite=${DEBIAN_GUEST_SUITE}\0size=${DEBIAN_GUEST_SIZE_MIB}`)
    .digest('hex');
  return join(debianGuestCacheDir, `debian-guest-${hash}.img`);
}

const isBuilt = (path: string): boolean => {
  try { return statSync(path).size > 0; } catch { return false; }
};

/**
 * Why the Debian guest cannot be built or used here, or undefined. Checks what the builder needs (root,
 * debootstrap and its suite, mtools, syslinux, mke2fs, sfdisk: skipped when the image is already cached)
 * and what tests using it need (ssh, ssh-keygen, xorrisofs for seed ISOs).
 */
export function debianGuestUnavailable(): string | undefined {
  const tools: Array<[string, string]> = [['ssh', 'openssh-client'], ['ssh-keygen', 'openssh-client'], ['xorrisofs', 'xorriso'], ['cp', 'coreutils']];
  const cached = isBuilt(debianGuestImagePath());
  if (!cached) {
    if (!isRoot) return `building the Debian guest needs root (debootstrap, chroot); as root: ${debianGuestBuilder} ${debianGuestImagePath()}`;
    tools.push(['debootstrap', 'debootstrap'], ['mcopy', 'mtools'], ['mkfs.fat', 'dosfstools'], ['syslinux', 'syslinux'],
      ['mke2fs', 'e2fsprogs'], ['e2fsck', 'e2fsprogs'], ['sfdisk', 'fdisk'], ['flock', 'util-linux'], ['chroot', 'coreutils']);
  }
  const missing = tools.filter(([prog]) => !findProgram(prog));
  const problems = missing.map(([prog]) => prog);
  const pkgs = new Set(missing.map(([, pkg]) => pkg));
  if (!cached) {
    if (!existsSync('/usr/lib/syslinux/mbr/mbr.bin')) { problems.push('/usr/lib/syslinux/mbr/mbr.bin'); pkgs.add('syslinux-common'); }
    if (findProgram('debootstrap') && !existsSync(`/usr/share/debootstrap/scripts/${DEBIAN_GUEST_SUITE}`)) {
      return `debootstrap does not know ${DEBIAN_GUEST_SUITE} (/usr/share/debootstrap/scripts/${DEBIAN_GUEST_SUITE}): a newer debootstrap is needed`;
    }
  }
  if (problems.length) return `the Debian guest needs ${problems.join(', ')} (apt-get install ${[...pkgs].join(' ')})`;
  return undefined;
}

/** Removes other builds' images, stray temporaries and work dirs (nothing mounted below them) from the cache. */
function pruneStale(keep: string): void {
  const keepName = keep.slice(debianGuestCacheDir.length + 1);
  const mounts = readFileSync('/proc/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1] ?? '');
  for (const name of readdirSync(debianGuestCacheDir)) {
    const m = /^(debian-guest-[0-9a-f]{64}\.img)(\.tmp|\.work|\.lock)?$/.exec(name);
    if (!m || m[1] === keepName) continue;
    const path = join(debianGuestCacheDir, name);
    if (m[2] === '.work' && mounts.some((mp) => mp === path || mp.startsWith(`${path}/`))) continue;
    rmSync(path, { recursive: true, force: true });
  }
}

function runBuilder(out: string): Promise<void> {
  return new Promise((resolve, reject) => {
    // Own process group, so a timeout stops debootstrap/apt/dpkg below it too.
    const child = spawn(debianGuestBuilder, [out, String(DEBIAN_GUEST_SIZE_MIB)], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      // LOCK_WAIT + IF_MISSING: a second process asking for the same image waits for the first
      // build, then finds the image and returns at once.
      env: { ...process.env, SUITE: DEBIAN_GUEST_SUITE, LOCK_WAIT: String(BUILD_TIMEOUT_MS / 1000), IF_MISSING: '1' },
    });
    const output: string[] = [];
    child.stdout.on('data', (d: Buffer) => output.push(d.toString()));
    child.stderr.on('data', (d: Buffer) => output.push(d.toString()));
    const timer = setTimeout(() => { try { process.kill(-child.pid!, 'SIGTERM'); } catch { /* gone */ } }, BUILD_TIMEOUT_MS);
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const text = output.join('');
      // The last real build's output (a caller that found the image built by another process writes nothing).
      if (!text.includes('nothing to do')) {
        try { writeFileSync(join(debianGuestCacheDir, 'last-build.log'), text); } catch { /* best effort */ }
      }
      if (code === 0 && isBuilt(out)) resolve();
      else reject(new Error(`${debianGuestBuilder} ${out} ${DEBIAN_GUEST_SIZE_MIB} failed (${signal ?? `exit code ${code}`}):\n${text.split('\n').slice(-40).join('\n')}`));
    });
  });
}

let building: Promise<string> | undefined;

/**
 * The cached image's path, built first if needed (about 1-2.5 min, as root). Concurrent callers in this process
 * share one promise; other processes wait on the builder's lock and reuse its result. After a build, the
 * images of older builder versions are deleted. Boot it through a copy or a qcow2 overlay, never in place.
 */
export function debianGuestImage(): Promise<string> {
  const path = debianGuestImagePath();
  if (isBuilt(path)) return Promise.resolve(path);
  building ??= (async () => {
    mkdirSync(debianGuestCacheDir, { recursive: true });
    await runBuilder(path);
    pruneStale(path);
    return path;
  })().finally(() => { building = undefined; });
  return building;
}

/** Sparse copy of the cached image to dest (a volume's disk.img). `await debianGuestImage()` first. */
export function copyDebianGuest(dest: string): void {
  const image = debianGuestImagePath();
  if (!isBuilt(image)) throw new Error(`the Debian guest is not built yet (${image}): await debianGuestImage() first`);
  execFileSync('cp', ['--sparse=always', image, dest], { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A new filesystem volume dir `dir` holding a copy of the Debian guest as disk.img, both owned by the VM user (107). */
export function debianGuestVolume(dir: string): string {
  mkdirSync(dir);
  copyDebianGuest(join(dir, 'disk.img'));
  chownSync(dir, 107, 107);
  chownSync(join(dir, 'disk.img'), 107, 107);
  return dir;
}

/** An ed25519 key pair without passphrase in dir (reused when present): the private key's path and the public key's line. */
export function sshKeyPair(dir: string): { privateKey: string; publicKey: string } {
  const privateKey = join(dir, 'id_ed25519');
  if (!existsSync(privateKey) || !existsSync(`${privateKey}.pub`)) {
    mkdirSync(dir, { recursive: true });
    rmSync(privateKey, { force: true });
    rmSync(`${privateKey}.pub`, { force: true });
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'vm-launcher-test', '-f', privateKey], { stdio: ['ignore', 'ignore', 'pipe'] });
  }
  return { privateKey, publicKey: readFileSync(`${privateKey}.pub`, 'utf8').trim() };
}

/** One argument for the remote shell (ssh joins its arguments with spaces and hands them to the user's shell). */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

export interface SshOptions {
  /** Kill ssh after this long (default 60 s); the result then has exitCode -1. */
  timeoutMs?: number;
  /** Written to the remote command's stdin. */
  input?: string;
  /** Default GUEST_USER. */
  user?: string;
}
export interface SshResult { exitCode: number; stdout: string; stderr: string }

/** ssh's own options: key only, no host key checks (a fresh guest each time), 5 s connect timeout. */
export function sshArgs(port: number, key: string, user = GUEST_USER): string[] {
  return [
    '-p', String(port), '-i', key,
    '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'ConnectTimeout=5',
    '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-o', 'PasswordAuthentication=no', '-o', 'LogLevel=ERROR',
    `${user}@127.0.0.1`,
  ];
}

/**
 * Runs command (an argument vector, each element quoted for the remote shell) in the guest as GUEST_USER,
 * through a port forwarded to the guest's port 22 on 127.0.0.1. Never rejects for a failing command:
 * look at exitCode (255: ssh itself failed; -1: timed out).
 */
export function sshRun(port: number, key: string, command: string[], opts: SshOptions = {}): Promise<SshResult> {
  if (!command.length) return Promise.reject(new Error('sshRun: empty command'));
  const args = [...sshArgs(port, key, opts.user), ...command.map(shellQuote)];
  return new Promise((resolve, reject) => {
    const child = spawn('ssh', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.stdin.on('error', () => undefined); // the remote side may not read its stdin
    child.stdin.end(opts.input ?? '');
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, opts.timeoutMs ?? 60_000);
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (code) => {
      clearTimeout(timer);
      const stderr = Buffer.concat(err).toString() + (timedOut ? `\nssh: killed after ${opts.timeoutMs ?? 60_000} ms` : '');
      resolve({ exitCode: timedOut ? -1 : (code ?? -1), stdout: Buffer.concat(out).toString(), stderr });
    });
  });
}

/**
 * Polls `ssh ... true` once a second until it succeeds; resolves with the milliseconds waited. Rejects
 * after timeoutMs with ssh's last error, or at once when stop() returns a reason (say, QEMU exited).
 */
export async function waitForSsh(port: number, key: string, timeoutMs: number, stop?: () => string | undefined): Promise<number> {
  const t0 = Date.now();
  let last = '';
  for (;;) {
    const why = stop?.();
    if (why) throw new Error(`gave up waiting for ssh on 127.0.0.1:${port}: ${why}`);
    const attempt = Date.now();
    const r = await sshRun(port, key, ['true'], { timeoutMs: 10_000 });
    if (r.exitCode === 0) return Date.now() - t0;
    last = r.stderr.trim();
    if (Date.now() - t0 >= timeoutMs) throw new Error(`ssh on 127.0.0.1:${port} did not answer within ${timeoutMs} ms; last error: ${last}`);
    await new Promise((r2) => setTimeout(r2, Math.max(0, 1000 - (Date.now() - attempt))));
  }
}

/**
 * `#cloud-config` user-data: user `debian` (GUEST_USER) with publicKey as its only way in (no password) and
 * passwordless sudo; runcmd writes marker to GUEST_MARKER_FILE and appends a line to GUEST_RUNCMD_COUNT_FILE.
 * marker: letters, digits and . _ : - only.
 */
export function cloudInitUserData(opts: { publicKey: string; marker: string }): string {
  if (!/^[A-Za-z0-9._:-]{1,128}$/.test(opts.marker)) throw new Error(`cloudInitUserData: marker must match [A-Za-z0-9._:-]{1,128}, got ${JSON.stringify(opts.marker)}`);
  if (!/^(ssh-|ecdsa-|sk-)\S+ \S+( [^\n]*)?$/.test(opts.publicKey)) throw new Error('cloudInitUserData: publicKey must be one OpenSSH public key line');
  const script = `mkdir -p ${GUEST_STATE_DIR} && printf '%s\\n' "$0" > ${GUEST_MARKER_FILE} && echo "runcmd $(date +%s)" >> ${GUEST_RUNCMD_COUNT_FILE}`;
  // JSON strings are valid YAML double-quoted scalars.
  return [
    '#cloud-config',
    'users:',
    `  - name: ${GUEST_USER}`,
    '    gecos: vm-launcher test user',
    '    shell: /bin/bash',
    '    lock_passwd: true',
    '    sudo: "ALL=(ALL) NOPASSWD:ALL"',
    '    ssh_authorized_keys:',
    `      - ${JSON.stringify(opts.publicKey)}`,
    'ssh_pwauth: false',
    'runcmd:',
    `  - [sh, -c, ${JSON.stringify(script)}, ${JSON.stringify(opts.marker)}]`,
    '',
  ].join('\n');
}

/** NoCloud `meta-data`. */
export function noCloudMetaData(opts: { instanceId: string; hostname?: string }): string {
  return `instance-id: ${JSON.stringify(opts.instanceId)}\nlocal-hostname: ${JSON.stringify(opts.hostname ?? 'debian-guest')}\n`;
}

/** ConfigDrive `openstack/latest/meta_data.json` (cloud-init takes the instance id from `uuid`). */
export function configDriveMetaData(opts: { uuid: string; hostname?: string }): string {
  const hostname = opts.hostname ?? 'debian-guest';
  return `${JSON.stringify({ uuid: opts.uuid, instance_id: opts.uuid, hostname, local_hostname: hostname, name: hostname })}\n`;
}

/**
 * A seed ISO as KubeVirt makes them (`xorrisofs -volid LABEL -joliet -rock`): label `cidata` with files
 * `user-data`, `meta-data` (NoCloud), or `config-2` with `openstack/latest/user_data` and
 * `openstack/latest/meta_data.json` (ConfigDrive). files: path in the ISO -> content.
 */
export function seedIso(out: string, label: 'cidata' | 'config-2', files: Record<string, string>): void {
  const dir = mkdtempSync(join(dirname(out), '.seed-'));
  try {
    for (const [name, content] of Object.entries(files)) {
      if (name.startsWith('/') || name.split('/').includes('..')) throw new Error(`seedIso: bad file name ${name}`);
      mkdirSync(dirname(join(dir, name)), { recursive: true });
      writeFileSync(join(dir, name), content);
    }
    execFileSync('xorrisofs', ['-quiet', '-output', out, '-volid', label, '-joliet', '-rock', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
