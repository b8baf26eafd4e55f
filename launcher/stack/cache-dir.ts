// Where libvirt keeps its QEMU capabilities cache (XDG_CACHE_HOME of the private libvirtd): kept between starts so
// that a start does not pay libvirt's probe of QEMU (0.6-0.8 s in the image, 3.8 s on bookworm's libvirt 9.0).
// libvirt keeps one file per QEMU binary and throws it away when the probing conditions change; two of them differ
// between launchers that share a cache dir: the user libvirtd runs as (its file is 0600: another user can neither
// read nor keep it) and whether that user can open /dev/kvm ("KVM was (not) enabled when probing"). Each pair gets
// its own directory, so launchers that differ never re-probe each other's cache away (docs/operations.md: the QEMU
// capabilities cache).
//
//   <cache dir>/                 the VM user's own (created so by a non-root launcher), or root's 0755 (by a root launcher)
//   <cache dir>/<uid>/           only below a root-owned cache dir: the VM user's, 0700, made by root
//   <user dir>/kvm|no-kvm/       XDG_CACHE_HOME; made by libvirtd itself (a root launcher never creates by path in the VM user's dir)
import { constants } from 'node:fs';
// eslint-disable-next-line no-restricted-syntax -- mkdir of the cache dir itself and, in a root-owned cache dir (not writable by the VM user: checked), of the VM user's dir; chown through the descriptor
import { lstat, mkdir, open, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../common/log.js';
import { canAccess, vmUid, type RunAs } from '../common/run-as.js';
import { chownFd, writeFileSafely } from '../common/safe-files.js';
import { runtimeLayout, type RuntimeLayout } from '../plan/runtime-layout.js';

/** The directory name for one KVM access: libvirt's cache made with /dev/kvm usable is invalid without, and back. */
export const kvmAccessDirName = (kvmUsable: boolean): string => (kvmUsable ? 'kvm' : 'no-kvm');

/** Whether libvirtd, run as the VM user, will find /dev/kvm usable: libvirt asks access(R|W) as that user. */
export const kvmUsableFor = (runAs: RunAs | undefined): Promise<boolean> => canAccess('/dev/kvm', true, runAs);

const launcherUid = (): number => process.getuid?.() ?? 0;

const lstatOrNone = (path: string) =>
  lstat(path).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? undefined : Promise.reject(e)));

async function chownDir(path: string, runAs: RunAs): Promise<void> {
  const fh = await open(path, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  await chownFd(fh, runAs.uid, runAs.gid).finally(() => fh.close());
}

/**
 * The VM user's own directory in the cache dir, or why there is none. Never chowns a directory it did not create;
 * a root launcher creates only in a directory no other user can write.
 */
async function userDir(top: string, runAs: RunAs | undefined): Promise<{ dir: string } | { why: string }> {
  const user = vmUid(runAs);
  let st = await lstatOrNone(top);
  if (!st) {
    await mkdir(join(top, '..'), { recursive: true, mode: 0o755 });
    // A root launcher keeps the cache dir itself and gives each VM user a directory below it; anyone else owns it.
    await mkdir(top, { mode: launcherUid() === 0 ? 0o755 : 0o700 });
    st = await lstat(top);
  }
  if (!st.isDirectory()) return { why: st.isSymbolicLink() ? 'it is a symbolic link' : 'it is not a directory' };
  if (st.uid === user) {
    if (!(await canAccess(top, true, runAs))) return { why: `uid ${user} cannot write it` };
    return { dir: top };
  }
  if (st.uid !== 0 || (st.mode & 0o022) !== 0) {
    return { why: `it belongs to uid ${st.uid}, not the VM user ${user} nor root (mode ${(st.mode & 0o7777).toString(8)}); vm-launcher does not chown a directory it did not create` };
  }
  // Root's, writable by root alone: one directory per VM user.
  const mine = join(top, String(user));
  let own = await lstatOrNone(mine);
  if (!own && launcherUid() === 0 && runAs) {
    await mkdir(mine, { mode: 0o700 });
    await chownDir(mine, runAs);
    own = await lstat(mine);
  }
  if (!own) return { why: `${mine} does not exist and only root can create it there` };
  if (!own.isDirectory() || own.uid !== user) return { why: `${mine} is not a directory of uid ${user}` };
  if (!(await canAccess(mine, true, runAs))) return { why: `uid ${user} cannot write ${mine}` };
  return { dir: mine };
}

/**
 * The layout with its cache dir chosen: `<user dir>/kvm|no-kvm` when the cache dir can be used, else a cache in the
 * runtime dir for this run only (slower starts, said in the log).
 */
export async function chooseCacheDir(l: RuntimeLayout, runAs: RunAs | undefined, kvmUsable: boolean, logger: Logger): Promise<RuntimeLayout> {
  let found: { dir: string } | { why: string };
  try {
    found = await userDir(l.cacheDir, runAs);
  } catch (e) {
    found = { why: (e as NodeJS.ErrnoException).code ?? (e as Error).message };
  }
  if ('why' in found) {
    logger.warn({ reason: 'CacheDirUnavailable', cacheDir: l.cacheDir }, `cannot use the cache dir (${found.why}); QEMU capabilities will be probed on every start`);
    return runtimeLayout(l.root, join(l.root, 'cache'));
  }
  const cacheDir = join(found.dir, kvmAccessDirName(kvmUsable));
  logger.debug({ cacheDir, kvmUsable }, 'libvirt\'s QEMU capabilities cache');
  return runtimeLayout(l.root, cacheDir);
}

/**
 * The image's capabilities seed (Containerfile): libvirt's cache file for the image's QEMU, probed at build time as
 * uid 107 without /dev/kvm, and the size and mtime of every file whose ctime libvirt compares.
 */
export const CAPABILITIES_SEED_DIR = '/usr/lib/vm-launcher/capabilities-seed';
const SEED_FILES = 'files.tsv';
const CACHE_SUBDIR = ['libvirt', 'qemu', 'cache', 'capabilities'];
/** Heads a seeded cache file: libvirt skips comments, and a file it re-probed and rewrote has none. */
export const SEEDED_MARK = '<!-- seeded by vm-launcher from the image\'s capabilities seed -->';
export const CAPABILITIES_CACHE_SUBDIR = CACHE_SUBDIR;

interface SeedFile { role: 'qemu' | 'libvirt'; path: string; size: number; mtime: number }

function parseSeedFiles(text: string): SeedFile[] {
  return text.split('\n').filter((l) => l.trim() !== '').map((line) => {
    const [role, path, size, mtime] = line.split('\t');
    if ((role !== 'qemu' && role !== 'libvirt') || !path?.startsWith('/') || !/^\d+$/.test(size ?? '') || !/^\d+$/.test(mtime ?? '')) {
      throw new Error(`unreadable line in ${SEED_FILES}: ${JSON.stringify(line)}`);
    }
    return { role, path, size: Number(size), mtime: Number(mtime) };
  });
}

/**
 * The seed's cache file made valid here, or why it cannot be. libvirt records the ctimes of its own binary and driver
 * modules (the largest: `selfctime`) and of QEMU (`qemuctime`); an image's files get a new ctime on every node that
 * unpacks the image, so the seed's are always stale. Its files are the same when their size and mtime (which image
 * layers keep) are: then the ctimes are today's, computed as libvirt does. Anything else: libvirt probes as usual.
 */
export async function seededCapabilities(seedDir: string): Promise<{ name: string; xml: string } | { why: string }> {
  const names = (await readdir(seedDir)).filter((n) => n.endsWith('.xml'));
  if (names.length !== 1) return { why: `${seedDir} holds ${names.length} capabilities files, not 1` };
  const files = parseSeedFiles(await readFile(join(seedDir, SEED_FILES), 'utf8'));
  let xml = await readFile(join(seedDir, names[0]!), 'utf8');
  if (/<flag name='kvm'\/>/.test(xml)) return { why: 'the seed was probed with KVM usable' };
  const ctimes: Record<SeedFile['role'], number[]> = { qemu: [], libvirt: [] };
  for (const f of files) {
    const st = await stat(f.path).catch(() => undefined);
    if (!st || st.size !== f.size || Math.floor(st.mtimeMs / 1000) !== f.mtime) return { why: `${f.path} is not the file the seed was probed with` };
    ctimes[f.role].push(Math.floor(st.ctimeMs / 1000));
  }
  const emulator = /<emulator>([^<]+)<\/emulator>/.exec(xml)?.[1];
  if (!emulator || !files.some((f) => f.role === 'qemu' && f.path === emulator) || ctimes.qemu.length !== 1 || ctimes.libvirt.length === 0) {
    return { why: `${SEED_FILES} does not describe the seed's QEMU and libvirt` };
  }
  for (const [tag, value] of [['qemuctime', ctimes.qemu[0]!], ['selfctime', Math.max(...ctimes.libvirt)]] as const) {
    const re = new RegExp(`<${tag}>\\d+</${tag}>`);
    if (!re.test(xml)) return { why: `the seed has no <${tag}>` };
    xml = xml.replace(re, `<${tag}>${value}</${tag}>`);
  }
  return { name: names[0]!, xml: `${SEEDED_MARK}\n${xml}` };
}

/**
 * Copies the image's seed into a cache that has no capabilities file yet, for a launcher that runs as the VM user
 * itself (the image's case: a root launcher never writes by path in the VM user's dir) and without /dev/kvm (the seed
 * was probed without). Never fails the start: at worst libvirt probes, as it would have.
 */
export async function installCapabilitiesSeed(cacheDir: string, runAs: RunAs | undefined, kvmUsable: boolean, logger: Logger, seedDir = CAPABILITIES_SEED_DIR): Promise<boolean> {
  if (runAs || kvmUsable || launcherUid() === 0 || !(await lstatOrNone(seedDir))) return false;
  try {
    const target = join(cacheDir, ...CACHE_SUBDIR);
    const present = await readdir(target).catch(() => [] as string[]);
    if (present.some((n) => n.endsWith('.xml'))) return false;
    const seed = await seededCapabilities(seedDir);
    if ('why' in seed) {
      logger.info({ reason: 'CapabilitiesSeedUnused', seedDir }, `the image's QEMU capabilities seed does not apply (${seed.why}): libvirt probes QEMU`);
      return false;
    }
    await mkdir(target, { recursive: true, mode: 0o700 });
    await writeFileSafely(join(target, seed.name), seed.xml, { mode: 0o600 });
    logger.info({ reason: 'CapabilitiesSeeded', cacheDir }, 'libvirt\'s QEMU capabilities cache seeded from the image: no probe at start');
    return true;
  } catch (e) {
    logger.info({ reason: 'CapabilitiesSeedUnused', seedDir }, `the image's QEMU capabilities seed could not be used (${(e as Error).message}): libvirt probes QEMU`);
    return false;
  }
}
