// The image's QEMU capabilities seed (Containerfile, launcher/stack/cache-dir.ts; issue 22): a fresh container
// starts without libvirt's probe of QEMU. A node that unpacked the image itself gives every file a new ctime, which
// libvirt compares with the ones in its cache; the test makes that happen inside the container (chmod as root: the
// files are copied up with a new ctime, same size and mtime), then runs the launcher as uid 107 with the cache dir
// on a volume, so the file libvirt kept can be read afterwards: it still carries the launcher's seeded mark, which a
// file libvirt re-probed and rewrote would not. One TCG guest that powers off by itself.
import test from 'ava';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildTestDisk, guestBuildUnavailable, repoRoot } from '../../harness/guest-disk.js';
import { ensureImage, IMAGE, podman, podmanUnavailable, tail, VOLUME_DIR, type LogLine } from '../helpers/podman.js';
import { CAPABILITIES_CACHE_SUBDIR, SEEDED_MARK } from '../../launcher/stack/cache-dir.js';

const skip = podmanUnavailable() ?? guestBuildUnavailable();
const work = mkdtempSync(join(tmpdir(), 'vml-seed-'));
chmodSync(work, 0o755);
const VMI_FS = join(repoRoot, 'examples', 'vmi', 'vmi-filesystem-pvc.yaml');

test.after.always('clean up the work dir', () => rmSync(work, { recursive: true, force: true }));

const owned107 = (name: string) => {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  chownSync(dir, 107, 107);
  return dir;
};

/** The test guest's volume (a guest that powers off by itself), built once. */
let disk: string | undefined;
const guestDisk = (): string => {
  if (disk) return disk;
  const dir = owned107('rootdisk');
  buildTestDisk(join(dir, 'disk.img'), 'poweroff');
  chownSync(join(dir, 'disk.img'), 107, 107);
  return (disk = dir);
};

/** Launcher JSON lines from a container's output. */
const jsonLines = (out: string): LogLine[] => out.split('\n').filter((l) => l.startsWith('{')).map((l) => { try { return JSON.parse(l) as LogLine; } catch { return { msg: l }; } });

test.serial('a fresh container on a node with new ctimes uses the image\'s capabilities seed: libvirt keeps it, no probe', async (t) => {
  if (skip) { t.log(`skipped: ${skip}`); t.pass(); return; }
  t.timeout(15 * 60_000);
  t.log(await ensureImage());
  const disk = guestDisk();
  const cache = owned107('cache');
  // Root gives the image's binaries new ctimes (a copy-up), then execs the launcher as uid 107, as the image runs it.
  const script = [
    'set -e',
    'chmod 0755 /usr/bin/qemu-system-x86_64 /usr/sbin/libvirtd',
    'exec setpriv --reuid 107 --regid 107 --clear-groups --reset-env -- env VM_LAUNCHER_ACCEL=tcg VM_LAUNCHER_LOG_FORMAT=json /usr/local/bin/vm-launcher run',
  ].join('\n');
  const r = await podman(['run', '--rm', '--user', '0:0', '-v', `${disk}:${VOLUME_DIR}/rootdisk`, '-v', `${cache}:/var/cache/vm-launcher`,
    '-v', `${VMI_FS}:/etc/vm-launcher/vmi.yaml:ro`, '--entrypoint', '/bin/sh', IMAGE, '-c', script], { timeout: 240_000 });
  const lines = jsonLines(String(r.stdout));
  t.is(r.exitCode, 0, `${tail(lines)}\n${String(r.stderr).slice(-2000)}`);
  t.truthy(lines.find((l) => l.reason === 'CapabilitiesSeeded'), tail(lines));
  const dir = join(cache, 'no-kvm', ...CAPABILITIES_CACHE_SUBDIR);
  const files = readdirSync(dir).filter((n) => n.endsWith('.xml'));
  t.is(files.length, 1, `cache files: ${files.join(', ')}`);
  const xml = readFileSync(join(dir, files[0]!), 'utf8');
  t.true(xml.startsWith(SEEDED_MARK), `libvirt rewrote the cache file (it re-probed QEMU): ${xml.slice(0, 300)}`);
  t.log(lines.find((l) => l.reason === 'Defined')?.msg ?? '(no Defined line)');
});

test.serial('a second container on the same node and cache dir neither seeds again nor re-probes: libvirt keeps the file', async (t) => {
  if (skip) { t.log(`skipped: ${skip}`); t.pass(); return; }
  t.timeout(15 * 60_000);
  t.log(await ensureImage());
  const disk = guestDisk();
  const cache = owned107('cache-node');
  const dir = join(cache, 'no-kvm', ...CAPABILITIES_CACHE_SUBDIR);
  for (const round of [1, 2]) {
    const r = await podman(['run', '--rm', '-e', 'VM_LAUNCHER_ACCEL=tcg', '-e', 'VM_LAUNCHER_LOG_FORMAT=json', '-v', `${disk}:${VOLUME_DIR}/rootdisk`,
      '-v', `${cache}:/var/cache/vm-launcher`, '-v', `${VMI_FS}:/etc/vm-launcher/vmi.yaml:ro`, IMAGE], { timeout: 240_000 });
    const lines = jsonLines(String(r.stdout));
    t.is(r.exitCode, 0, tail(lines));
    t.is(Boolean(lines.find((l) => l.reason === 'CapabilitiesSeeded')), round === 1, `round ${round}: ${tail(lines)}`);
    const file = readdirSync(dir).find((n) => n.endsWith('.xml'))!;
    t.true(readFileSync(join(dir, file), 'utf8').startsWith(SEEDED_MARK), `round ${round}: libvirt rewrote the seeded file (it re-probed)`);
  }
});
