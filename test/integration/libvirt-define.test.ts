// What the schema cannot say: every golden domain (test/golden/, pinned to the builder's output by the golden unit
// test) is defined by a real libvirt, whose QEMU driver refuses some XML the schema lets through (an rtc timer
// with tickpolicy merge was such a case). A session libvirtd of its own, as the VM user, defines and undefines
// each; nothing is started. kvm domains are defined as qemu (libvirt refuses a kvm domain where KVM is unusable);
// passt NICs need libvirt >= 11.1 and EFI needs OVMF, else those files are skipped, saying why.
import test, { type ExecutionContext } from 'ava';
import { execa } from 'execa';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../harness/guest-disk.js';
import { efiUnavailable, isRoot } from '../../harness/requirements.js';
import { VM_GID, VM_UID } from '../helpers/check-fixture.js';

const VIRSH = '/usr/bin/virsh';
const goldenDir = join(repoRoot, 'test', 'golden');
const goldens = readdirSync(goldenDir).filter((f) => f.endsWith('.xml')).sort();

const missing = [VIRSH, '/usr/sbin/libvirtd', '/usr/bin/qemu-system-x86_64'].find((p) => !existsSync(p));
const noLibvirt = missing ? `${missing} missing (apt-get install libvirt-clients libvirt-daemon-system qemu-system-x86)` : undefined;

const home = mkdtempSync(join(tmpdir(), 'vml-define-'));
if (isRoot) chownSync(home, VM_UID, VM_GID);
const env = { HOME: home, XDG_RUNTIME_DIR: join(home, 'run'), XDG_CONFIG_HOME: join(home, 'config'), XDG_CACHE_HOME: join(home, 'cache'), LANG: 'C', PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };

/** virsh on a session daemon of the test's own (as the VM user when root), autostarted on first use. */
const virsh = (...args: string[]) => execa(VIRSH, ['-c', 'qemu:///session', ...args], {
  reject: false, timeout: 60_000, env, extendEnv: false, stdin: 'ignore', ...(isRoot && { uid: VM_UID, gid: VM_GID }),
});

test.after.always(async () => {
  // The autostarted daemon would linger 120 s: stop it by its pid file, then remove its state.
  const pidFile = join(env.XDG_RUNTIME_DIR, 'libvirt', 'libvirtd.pid');
  if (existsSync(pidFile)) {
    try { process.kill(Number(readFileSync(pidFile, 'utf8').trim()), 'SIGTERM'); } catch { /* gone already */ }
    for (let i = 0; i < 50 && existsSync(pidFile); i++) await new Promise((r) => setTimeout(r, 100));
  }
  rmSync(home, { recursive: true, force: true });
});

let version: Promise<number[]> | undefined;
/** The daemon's libvirt version, [major, minor]. */
function libvirtVersion(): Promise<number[]> {
  version ??= virsh('version', '--daemon').then((r) => {
    const m = /Running against daemon: (\d+)\.(\d+)/.exec(String(r.stdout));
    if (!m) throw new Error(`virsh version --daemon: ${String(r.stdout)}${String(r.stderr)}`);
    return [Number(m[1]), Number(m[2])];
  });
  return version;
}

async function skipReason(xml: string): Promise<string | undefined> {
  if (noLibvirt) return noLibvirt;
  if (xml.includes('firmware="efi"')) { const why = efiUnavailable(); if (why) return why; }
  if (xml.includes('<backend type="passt"')) {
    const [major = 0, minor = 0] = await libvirtVersion();
    if (major < 11 || (major === 11 && minor < 1)) {
      return `this host's libvirt ${major}.${minor} has no passt backend (11.1+): the image's network tests run such domains`;
    }
  }
  return undefined;
}

for (const file of goldens) {
  test(`libvirt defines the golden domain ${file}`, async (t: ExecutionContext) => {
    const golden = readFileSync(join(goldenDir, file), 'utf8');
    const why = await skipReason(golden);
    if (why) { t.log(`skipped: ${why}`); return t.pass(); }
    // Always as qemu: libvirt refuses a kvm domain where its user cannot use KVM (this machine, the non-root pass),
    // and guessing KVM's health here would be a guess; the rest of the XML is what is checked.
    const xml = golden.replace('<domain type="kvm">', '<domain type="qemu">');
    const name = /<name>([^<]+)<\/name>/.exec(xml)?.[1] ?? '';
    // Each file under a name of its own: several goldens share a domain name, and the tests run concurrently.
    const unique = `golden-${file.replace(/\.xml$/, '')}`;
    const path = join(home, `${unique}.xml`);
    writeFileSync(path, xml.replace(`<name>${name}</name>`, `<name>${unique}</name>`).replace(/<uuid>[^<]+<\/uuid>/, '').replace(/<entry name="uuid">[^<]+<\/entry>/, ''));
    if (isRoot) chownSync(path, VM_UID, VM_GID);
    const defined = await virsh('define', path);
    t.teardown(async () => { await virsh('undefine', '--nvram', unique); });
    t.is(defined.exitCode, 0, `virsh define ${file}: ${String(defined.stderr).trim()}`);
    const back = await virsh('dumpxml', '--inactive', unique);
    t.is(back.exitCode, 0, String(back.stderr));
  });
}
