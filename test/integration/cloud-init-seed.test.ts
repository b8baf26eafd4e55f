// The cloud-init seed as `run` builds it, with Debian's real xorrisofs: an ISO9660 image (Joliet, Rock Ridge)
// labelled cidata or config-2, owned by the VM user and private, its staging files (in the runtime dir, never in the
// temp dir) gone; a timeout is a clear CloudInitSeedFailed. Read back with xorriso itself.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planSeed } from '../../domain/convert/index.js';
import { parseVmi } from '../../domain/manifest/index.js';
import { LauncherError } from '../../domain/problem.js';
import { buildSeed } from '../../launcher/run/cloud-init-seed.js';
import { PrivateDir } from '../../launcher/common/private-dir.js';
import { isRoot } from '../../harness/requirements.js';

const noXorriso = ['/usr/bin/xorrisofs', '/usr/local/bin/xorrisofs'].some((p) => existsSync(p)) ? undefined : 'xorrisofs is not installed (apt-get install xorriso)';
const runAs = isRoot ? { uid: 107, gid: 107 } : undefined;

function spec(source: string) {
  const r = parseVmi({
    apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name: 'seedvm', namespace: 'tests' },
    spec: {
      domain: { memory: { guest: '64Mi' }, devices: { disks: [{ name: 'ci' }] } },
      volumes: [{ name: 'ci', [source]: { userData: '#cloud-config\nruncmd: [true]\n', networkData: 'version: 2\n' } }],
    },
  });
  if (!r.spec?.cloudInit) throw new Error(JSON.stringify(r.problems));
  return r.spec;
}

/**
 * A scratch runtime dir with its seed dir (private, the VM user's) and the launcher's own staging dir, made as
 * stack/runtime-dir.ts makes them.
 */
async function scratch(): Promise<{ dir: string; staging: PrivateDir }> {
  const dir = mkdtempSync(join(tmpdir(), 'vml-seedtest-'));
  chmodSync(dir, 0o755);
  mkdirSync(join(dir, 'cloud-init'), { mode: 0o700 });
  if (runAs) execFileSync('chown', ['-R', `${runAs.uid}:${runAs.gid}`, dir]);
  return { dir, staging: await PrivateDir.create(join(dir, 'seed-staging')) };
}

/** Staging left: in the scratch dir, or (where the old launcher put it) in the temp dir. */
// The tests run one at a time (test.serial): they look at the shared temp dir.
const stagingLeft = (dir: string): string[] => [
  ...readdirSync(tmpdir()).filter((n) => n.startsWith('vml-seed-ci-')),
  ...readdirSync(dir).filter((n) => n === 'seed-staging'),
];

const iso = (path: string, ...args: string[]) => execFileSync('xorriso', ['-osirrox', 'on', '-indev', path, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

for (const [source, label, files] of [
  ['cloudInitNoCloud', 'cidata', ['/meta-data', '/network-config', '/user-data']],
  ['cloudInitConfigDrive', 'config-2', ['/openstack/latest/meta_data.json', '/openstack/latest/network_data.json', '/openstack/latest/user_data']],
] as const) {
  test.serial(`${source}: an ISO labelled ${label} with KubeVirt's files, owned by the VM user, no staging left`, async (t) => {
    if (noXorriso) { t.log(`skipped: ${noXorriso}`); return t.pass(); }
    const { dir, staging } = await scratch();
    try {
      const s = spec(source);
      const seed = planSeed(s, s.cloudInit!, {
        path: join(dir, 'cloud-init', 'ci.iso'),
        userData: { data: Buffer.from('#cloud-config\nruncmd: [true]\n'), from: 'inline' },
        networkData: { data: Buffer.from('version: 2\n'), from: 'inline' },
      });
      const built = await buildSeed(seed, staging, runAs, 10_000);
      t.log(`built in ${built.ms} ms, ${built.bytes} bytes`);
      const st = statSync(built.path);
      if (runAs) t.is(st.uid, runAs.uid);
      t.is(statSync(join(dir, 'cloud-init')).mode & 0o777, 0o700, 'the seed dir is private');
      t.deepEqual(readdirSync(join(dir, 'cloud-init')), ['ci.iso'], 'only the ISO in the seed dir');
      t.deepEqual(stagingLeft(dir), [], 'the staging files are gone');
      t.regex(iso(built.path, '-pvd_info'), new RegExp(`Volume Id\\s*:\\s*${label}`));
      const listed = iso(built.path, '-find', '/', '-type', 'f').trim().split('\n').map((l) => l.replace(/'/g, '')).sort();
      t.deepEqual(listed, [...files]);
      const out = join(dir, 'out');
      iso(built.path, '-extract', files.find((f) => f.includes('user'))!, out);
      t.is(execFileSync('cat', [out], { encoding: 'utf8' }), '#cloud-config\nruncmd: [true]\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test.serial('xorrisofs past its timeout: CloudInitSeedFailed, staging removed', async (t) => {
  if (noXorriso) { t.log(`skipped: ${noXorriso}`); return t.pass(); }
  const { dir, staging } = await scratch();
  try {
    const s = spec('cloudInitNoCloud');
    const out = join(dir, 'cloud-init', 'ci.iso');
    const seed = planSeed(s, s.cloudInit!, { path: out });
    // A FIFO where the ISO goes: xorrisofs blocks opening it until a reader comes, so it is really past its
    // timeout (a 1 ms timeout alone raced a fast xorrisofs and lost on CI).
    execFileSync('mkfifo', ['-m', '0600', out]);
    if (runAs) execFileSync('chown', [`${runAs.uid}:${runAs.gid}`, out]);
    const t0 = Date.now();
    const e = await t.throwsAsync(buildSeed(seed, staging, runAs, 500));
    t.true(Date.now() - t0 >= 500, 'it waited for the timeout, not less');
    t.true(e instanceof LauncherError);
    t.is((e as LauncherError).reason, 'CloudInitSeedFailed');
    t.deepEqual(stagingLeft(dir), [], 'the staging files are gone');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
