// The cloud-init seed's staging files hold the user data (secrets, often). They are staged inside the runtime dir, in
// a private dir of the launcher's own, never in the temp dir: a launcher killed with SIGKILL leaves them where the
// next launcher removes them with the rest of a dead launcher's leftovers (issue 21, low). Real stack, real xorrisofs,
// real guest; the staging dir as RuntimeDir.claim makes it.
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../launcher/common/log.js';
import { runtimeLayout } from '../../launcher/plan/runtime-layout.js';
import { RuntimeDir } from '../../launcher/stack/runtime-dir.js';
import { freezeChild, LauncherRun, processesMentioning, vmFixture } from '../../harness/launcher-process.js';
import { bootUnavailable, isRoot } from '../../harness/requirements.js';

const noXorriso = ['/usr/bin/xorrisofs', '/usr/local/bin/xorrisofs'].some((p) => existsSync(p)) ? undefined : 'xorrisofs is not installed (apt-get install xorriso)';
const runAs = isRoot ? { uid: 107, gid: 107 } : undefined;
const quiet = createLogger({ level: 'silent', format: 'json' });

/** Where the old launcher staged a volume's seed: `/tmp/vml-seed-<volume>-*`. */
const tmpStaging = (volume: string): string[] => readdirSync(tmpdir()).filter((n) => n.startsWith(`vml-seed-${volume}-`));

test.serial('the staging dir is the launcher\'s own (0700) in the runtime dir, and a dead launcher\'s full one is removed by the next claim', async (t) => {
  const parent = mkdtempSync(join(tmpdir(), 'vml-staging-'));
  chmodSync(parent, 0o755);
  const layout = runtimeLayout(join(parent, 'rt'), join(parent, 'cache'));
  try {
    const first = await RuntimeDir.claim(layout, runAs, quiet);
    const st = statSync(layout.seedStaging);
    t.is(st.mode & 0o777, 0o700);
    t.is(st.uid, process.getuid?.() ?? 0, 'the launcher\'s, not handed to the VM user with the rest');
    if (runAs) t.is(statSync(layout.root).uid, runAs.uid, 'while the runtime dir itself is the VM user\'s');
    // Killed while writing the seed's files (before they were handed over): root's files in root's dir.
    await first.seedStaging.writeFile('openstack/latest/user_data', 'secret\n');
    await first.seedStaging.close();
    for (const fh of first.logFiles.values()) await fh.close(); // the daemons that would own them never started
    // The next launcher (this process's marker counts as a dead launcher's: same pid) takes the dir over.
    const second = await RuntimeDir.claim(layout, runAs, quiet);
    for (const fh of second.logFiles.values()) await fh.close();
    t.deepEqual(readdirSync(layout.seedStaging), [], 'the dead launcher\'s staged user data is gone');
    t.deepEqual(await second.release(quiet), []);
    t.false(existsSync(layout.root), 'an unused staging dir goes at exit with the rest');
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
});

const skip = noXorriso ?? bootUnavailable();
(skip ? test.skip : test.serial)('a launcher killed while building the seed: its staged user data is gone after the next run', async (t) => {
  const fx = vmFixture({ mode: 'poweroff' });
  const secret = `vml-secret-${randomBytes(6).toString('hex')}`;
  // A volume name of this test's own: the temp dir is shared with other tests.
  const volume = 'cistaging';
  writeFileSync(fx.vmiPath, readFileSync(fx.vmiPath, 'utf8')
    .replace('      disks:\n', `      disks:\n        - { name: ${volume}, disk: { bus: virtio } }\n`)
    .replace('  volumes:\n', `  volumes:\n    - { name: ${volume}, cloudInitNoCloud: { userData: "#cloud-config\\n# ${secret}\\n" } }\n`));
  const before = new Set(tmpStaging(volume));
  const first = new LauncherRun(fx.args());
  let second: LauncherRun | undefined;
  let frozen: number | undefined;
  try {
    // xorrisofs runs once the files are staged: stop it there, then kill the launcher as a kubelet's SIGKILL would.
    frozen = await freezeChild(first.pid, 'xorrisofs', 60_000);
    const inTmp = tmpStaging(volume).filter((n) => !before.has(n));
    t.log(`staged while xorrisofs ran: temp dir ${JSON.stringify(inTmp)}, runtime dir ${JSON.stringify(readdirSync(fx.runtimeDir).filter((n) => n.includes('seed')))}`);
    process.kill(first.pid, 'SIGKILL');
    await first.exit;
    second = new LauncherRun(fx.args());
    t.is(await second.exitCode(180_000), 0, second.tail());
    t.truthy(second.lines.find((l) => l.reason === 'RuntimeDirLeftoversRemoved'), second.tail());
    t.deepEqual(tmpStaging(volume).filter((n) => !before.has(n)), [], 'no staging with the user data left in the temp dir');
    t.false(existsSync(fx.runtimeDir), 'the runtime dir (with the dead launcher\'s staging) is gone');
    t.deepEqual(processesMentioning(fx.runtimeDir), []);
  } finally {
    if (frozen) try { process.kill(frozen, 'SIGKILL'); } catch { /* gone */ }
    first.kill(fx.runtimeDir);
    second?.kill(fx.runtimeDir);
    for (const n of tmpStaging(volume).filter((x) => !before.has(x))) rmSync(join(tmpdir(), n), { recursive: true, force: true });
    rmSync(fx.dir, { recursive: true, force: true });
  }
});
