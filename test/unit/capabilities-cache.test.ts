// libvirt's QEMU capabilities cache (launcher/stack/cache-dir.ts, issue 22): one directory per VM user and per KVM
// access, so launchers that differ never throw each other's cache away; the image's seed made valid on a node
// whose files are the image's (their ctimes are new, their size and mtime are not). Real directories, real stat.
import test from 'ava';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { chooseCacheDir, installCapabilitiesSeed, kvmAccessDirName, SEEDED_MARK, seededCapabilities } from '../../launcher/stack/cache-dir.js';
import { runtimeLayout } from '../../launcher/plan/runtime-layout.js';
import { isRoot } from '../../harness/requirements.js';

const scratch = () => {
  const dir = mkdtempSync(join(tmpdir(), 'vml-caps-'));
  chmodSync(dir, 0o755);
  return dir;
};
const logged = () => {
  const lines: string[] = [];
  return { lines, logger: pino({ level: 'debug' }, { write: (l: string) => { lines.push(l); } }) };
};
const as = (uid: number) => ({ uid, gid: uid });

test('two VM users and the two KVM accesses get four different cache dirs below one root-owned cache dir', async (t) => {
  if (!isRoot) { t.log('skipped: a root launcher is what shares one cache dir between users'); t.pass(); return; }
  const dir = scratch();
  const top = join(dir, 'cache');
  const { logger, lines } = logged();
  const l = runtimeLayout(join(dir, 'rt'), top);
  const dirs = [];
  for (const uid of [107, 108]) for (const kvm of [false, true]) dirs.push((await chooseCacheDir(l, as(uid), kvm, logger)).cacheDir);
  t.deepEqual(dirs, [join(top, '107', 'no-kvm'), join(top, '107', 'kvm'), join(top, '108', 'no-kvm'), join(top, '108', 'kvm')]);
  t.is(new Set(dirs).size, 4);
  t.is(statSync(top).uid, 0, 'the cache dir a root launcher makes is root\'s');
  t.is(statSync(top).mode & 0o777, 0o755);
  for (const uid of [107, 108]) {
    t.is(statSync(join(top, String(uid))).uid, uid);
    t.is(statSync(join(top, String(uid))).mode & 0o777, 0o700);
  }
  // The kvm/no-kvm dirs are libvirtd's to make (as the VM user): root creates nothing inside the VM user's dir.
  t.deepEqual(readdirSync(join(top, '107')), []);
  t.false(lines.some((w) => w.includes('CacheDirUnavailable')));
});

test('a cache dir that is the VM user\'s own is used as it is, one subdirectory per KVM access', async (t) => {
  if (!isRoot) { t.log('skipped: chown needs root'); t.pass(); return; }
  const dir = scratch();
  const top = join(dir, 'cache');
  mkdirSync(top, { mode: 0o700 });
  chownSync(top, 107, 107);
  const { logger } = logged();
  const l = runtimeLayout(join(dir, 'rt'), top);
  t.is((await chooseCacheDir(l, as(107), false, logger)).cacheDir, join(top, kvmAccessDirName(false)));
  t.is((await chooseCacheDir(l, as(107), true, logger)).cacheDir, join(top, kvmAccessDirName(true)));
  t.deepEqual(readdirSync(top), [], 'nothing created by root in the VM user\'s dir');
});

test('a root-owned cache dir others can write is not used: nothing is created in it', async (t) => {
  if (!isRoot) { t.log('skipped: needs root'); t.pass(); return; }
  const dir = scratch();
  const top = join(dir, 'cache');
  mkdirSync(top);
  chmodSync(top, 0o777);
  const { logger, lines } = logged();
  const l = runtimeLayout(join(dir, 'rt'), top);
  t.is((await chooseCacheDir(l, as(107), false, logger)).cacheDir, join(dir, 'rt', 'cache'));
  t.true(lines.some((w) => w.includes('CacheDirUnavailable')));
  t.deepEqual(readdirSync(top), []);
});

/** A seed like the Containerfile's: a cache file and files.tsv naming a QEMU and a libvirtd (here: plain files). */
function fakeSeed(xmlBody = '') {
  const dir = scratch();
  const qemu = join(dir, 'qemu-system-x86_64');
  const libvirtd = join(dir, 'libvirtd');
  const driver = join(dir, 'libvirt_driver_qemu.so');
  writeFileSync(qemu, 'qemu binary');
  writeFileSync(libvirtd, 'libvirtd binary');
  writeFileSync(driver, 'qemu driver module');
  const seed = join(dir, 'seed');
  mkdirSync(seed);
  const mtime = (p: string) => Math.floor(statSync(p).mtimeMs / 1000);
  writeFileSync(join(seed, 'files.tsv'), [
    `qemu\t${qemu}\t${statSync(qemu).size}\t${mtime(qemu)}`,
    `libvirt\t${libvirtd}\t${statSync(libvirtd).size}\t${mtime(libvirtd)}`,
    `libvirt\t${driver}\t${statSync(driver).size}\t${mtime(driver)}`,
    '',
  ].join('\n'));
  writeFileSync(join(seed, 'abc.xml'), `<qemuCaps>\n  <emulator>${qemu}</emulator>\n  <qemuctime>1</qemuctime>\n  <selfctime>2</selfctime>\n  <selfvers>11003000</selfvers>\n${xmlBody}</qemuCaps>\n`);
  return { dir, seed, qemu, libvirtd, driver };
}

const ctime = (p: string) => Math.floor(statSync(p).ctimeMs / 1000);

test('the seed gets the ctimes of the files on this node, computed as libvirt does (libvirtd and its driver: the latest)', async (t) => {
  const s = fakeSeed();
  const r = await seededCapabilities(s.seed);
  if ('why' in r) { t.fail(r.why); return; }
  t.is(r.name, 'abc.xml');
  t.true(r.xml.startsWith(SEEDED_MARK));
  t.regex(r.xml, new RegExp(`<qemuctime>${ctime(s.qemu)}</qemuctime>`));
  t.regex(r.xml, new RegExp(`<selfctime>${Math.max(ctime(s.libvirtd), ctime(s.driver))}</selfctime>`));
  t.regex(r.xml, /<selfvers>11003000<\/selfvers>/, 'libvirt\'s version is not touched: libvirt checks it itself');
});

test('the seed is refused when a file is not the one it was probed with, or when it was probed with KVM', async (t) => {
  const s = fakeSeed();
  utimesSync(s.driver, new Date(), new Date(Date.UTC(2020, 0, 1)));
  const r = await seededCapabilities(s.seed);
  t.true('why' in r && r.why.includes(s.driver), JSON.stringify(r));
  const grown = fakeSeed();
  writeFileSync(grown.qemu, 'another qemu binary');
  const g = await seededCapabilities(grown.seed);
  t.true('why' in g && g.why.includes(grown.qemu), JSON.stringify(g));
  const kvm = fakeSeed("  <flag name='kvm'/>\n");
  const k = await seededCapabilities(kvm.seed);
  t.true('why' in k && /KVM/.test(k.why), JSON.stringify(k));
});

test('a root launcher (or one with /dev/kvm) never installs the seed', async (t) => {
  const s = fakeSeed();
  const cache = join(s.dir, 'cache');
  const { logger } = logged();
  // As root: never (root hands libvirtd to the VM user). Not root, without KVM, is the case the seed is for (the
  // container test capabilities-seed); with /dev/kvm usable, never, root or not.
  if (isRoot) t.false(await installCapabilitiesSeed(cache, as(107), false, logger, s.seed));
  t.false(await installCapabilitiesSeed(cache, undefined, true, logger, s.seed));
  t.false(existsSync(cache));
});
