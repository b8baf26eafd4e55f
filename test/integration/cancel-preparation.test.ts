// SIGTERM during the launcher's long preparations (issue 21, medium 7): every child the launcher waits for before the
// guest runs is cancelled by the shutdown signal (Aborted, exit 6), its partial result removed; and a FIFO where a
// cloud-init Secret's file belongs is refused at once instead of hanging check and run. Real fallocate, real
// xorrisofs, the real bin.
import test, { type ExecutionContext } from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planSeed } from '../../domain/convert/cloud-init-seed.js';
import { parseVmi } from '../../domain/manifest/vmi.js';
import { LauncherError } from '../../domain/problem.js';
import { buildSeed } from '../../launcher/run/cloud-init-seed.js';
import { PrivateDir } from '../../launcher/common/private-dir.js';
import { cliPath, freezeChild, LauncherRun, processesMentioning, vmFixture, type VmFixture } from '../../harness/launcher-process.js';
import { bootUnavailable, isRoot, qemuImgUnavailable } from '../../harness/requirements.js';

const runAs = isRoot ? { uid: 107, gid: 107 } : undefined;
const noXorriso = ['/usr/bin/xorrisofs', '/usr/local/bin/xorrisofs'].some((p) => existsSync(p)) ? undefined : 'xorrisofs is not installed (apt-get install xorriso)';

test.serial('a FIFO as a cloud-init Secret file: check refuses it at once (not a regular file) instead of hanging', (t) => {
  const fx = vmFixture({ withDisk: false });
  const secrets = join(fx.dir, 'secrets');
  mkdirSync(join(secrets, 'ci'), { recursive: true });
  chmodSync(secrets, 0o755);
  execFileSync('mkfifo', ['-m', '0644', join(secrets, 'ci', 'userdata')]);
  writeFileSync(fx.vmiPath, readFileSync(fx.vmiPath, 'utf8')
    .replace('      disks:\n', '      disks:\n        - { name: ci, disk: { bus: virtio } }\n')
    .replace('  volumes:\n', '  volumes:\n    - { name: ci, cloudInitNoCloud: { secretRef: { name: s } } }\n'));
  const t0 = Date.now();
  const r = spawnSync(cliPath, ['check', '--json', ...fx.args('--secrets-dir', secrets).slice(1)], { encoding: 'utf8', timeout: 30_000 });
  t.true(Date.now() - t0 < 15_000, `check took ${Date.now() - t0} ms`);
  t.is(r.signal, null, 'check ended by itself (the old one hung on the FIFO until killed)');
  const json = JSON.parse(r.stdout) as { problems: Array<{ reason: string; message: string }> };
  const p = json.problems.find((x) => x.reason === 'CloudInitSecretMissing');
  t.regex(p?.message ?? '', /userdata .* is not a file/, r.stdout);
  rmSync(fx.dir, { recursive: true, force: true });
});

test.serial('xorrisofs hung (its output a FIFO): the shutdown signal stops it at once (Aborted), staging removed', async (t) => {
  if (noXorriso) { t.log(`skipped: ${noXorriso}`); return t.pass(); }
  const dir = mkdtempSync(join(tmpdir(), 'vml-cancel-'));
  chmodSync(dir, 0o755);
  mkdirSync(join(dir, 'cloud-init'), { mode: 0o700 });
  if (runAs) execFileSync('chown', ['-R', `${runAs.uid}:${runAs.gid}`, dir]);
  try {
    const r = parseVmi({
      apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name: 'seedvm', namespace: 'tests' },
      spec: { domain: { memory: { guest: '64Mi' }, devices: { disks: [{ name: 'ci' }] } }, volumes: [{ name: 'ci', cloudInitNoCloud: { userData: '#cloud-config\n' } }] },
    });
    const out = join(dir, 'cloud-init', 'ci.iso');
    const seed = planSeed(r.spec!, r.spec!.cloudInit!, { path: out });
    execFileSync('mkfifo', ['-m', '0600', out]);
    if (runAs) execFileSync('chown', [`${runAs.uid}:${runAs.gid}`, out]);
    const stop = new AbortController();
    setTimeout(() => stop.abort(new Error('SIGTERM received')), 300);
    const t0 = Date.now();
    const staging = await PrivateDir.create(join(dir, 'seed-staging'));
    const e = await t.throwsAsync(buildSeed(seed, staging, runAs, 10_000, stop.signal));
    const took = Date.now() - t0;
    t.true(took < 3000, `stopped ${took} ms after start (the old code waited out the 10 s timeout)`);
    t.is((e as LauncherError).reason, 'Aborted', String(e));
    t.deepEqual(readdirSync(tmpdir()).filter((n) => n.startsWith('vml-seed-ci-')), [], 'no staging left in the temp dir');
    t.false(readdirSync(dir).includes('seed-staging'), 'no staging left in the runtime dir');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const runSkip = bootUnavailable() ?? qemuImgUnavailable();
(runSkip ? test.skip : test.serial)('SIGTERM during fallocate of a preallocated disk.img: exit 6 at once, no disk.img, no partial file', async (t) => {
  const fx = vmFixture({ withDisk: false });
  // A missing disk.img that run creates, fully allocated (the claim's size and preallocation as annotations).
  writeFileSync(fx.vmiPath, readFileSync(fx.vmiPath, 'utf8').replace('metadata: { name: testvm, namespace: tests }',
    'metadata: { name: testvm, namespace: tests, annotations: { claim-size.vm-launcher.io/rootdisk: 256Mi, preallocation.vm-launcher.io/rootdisk: "true" } }'));
  if (isRoot) execFileSync('chown', ['107:107', join(fx.volumesDir, 'rootdisk')]);
  const run = new LauncherRun(fx.args('--allow-plain-dir', 'yes'));
  try {
    await freezeChild(run.pid, 'fallocate', 60_000);
    const sentAt = Date.now();
    run.signal('SIGTERM');
    t.is(await run.exitCode(30_000), 6, run.tail());
    const took = Date.now() - sentAt;
    t.true(took < 5000, `exit ${took} ms after SIGTERM (the old launcher waited for fallocate: up to 5 min)`);
    t.is(run.lines.at(-1)?.reason, 'Aborted', run.tail());
    t.deepEqual(readdirSync(join(fx.volumesDir, 'rootdisk')), [], 'neither disk.img nor the temporary file is left');
    t.deepEqual(processesMentioning(fx.dir), []);
  } finally {
    run.kill(fx.runtimeDir);
    rmSync(fx.dir, { recursive: true, force: true });
  }
});

/** The fixture's VMI with lines spliced in: a second disk and its volume, fields of spec, spec.domain or its devices. */
function withVmi(fx: VmFixture, edit: { disk?: string; volume?: string; domain?: string; devices?: string; spec?: string }): void {
  let text = readFileSync(fx.vmiPath, 'utf8');
  if (edit.disk) text = text.replace('      disks:\n', `      disks:\n        - ${edit.disk}\n`);
  if (edit.volume) text = text.replace('  volumes:\n', `  volumes:\n    - ${edit.volume}\n`);
  if (edit.domain) text = text.replace('  domain:\n', `  domain:\n    ${edit.domain}\n`);
  if (edit.devices) text = text.replace('    devices:\n', `    devices:\n      ${edit.devices}\n`);
  if (edit.spec) text = text.replace('  domain:\n', `  ${edit.spec}\n  domain:\n`);
  writeFileSync(fx.vmiPath, text);
}

/** Runs the launcher, stops its child `comm` (`arg` in its argv) when it comes, sends SIGTERM: exit 6 at once. */
async function sigtermDuring(t: ExecutionContext, fx: VmFixture, args: string[], comm: string, arg: string | undefined, oldWait: string): Promise<LauncherRun> {
  const run = new LauncherRun(args);
  const frozen = await freezeChild(run.pid, comm, 60_000, arg);
  try {
    const sentAt = Date.now();
    run.signal('SIGTERM');
    t.is(await run.exitCode(60_000), 6, run.tail());
    const took = Date.now() - sentAt;
    t.true(took < 5000, `exit ${took} ms after SIGTERM (${oldWait})`);
    t.is(run.lines.at(-1)?.reason, 'Aborted', run.tail());
    t.false(existsSync(`/proc/${frozen}`) && !/State:\s+Z/.test(readFileSync(`/proc/${frozen}/status`, 'utf8')), `the stopped ${comm} is gone`);
    t.deepEqual(processesMentioning(fx.dir), []);
    return run;
  } finally {
    try { process.kill(frozen, 'SIGKILL'); } catch { /* gone */ }
    run.kill(fx.runtimeDir);
  }
}

(runSkip ? test.skip : test.serial)('SIGTERM during qemu-img create of an emptyDisk: exit 6 at once, the partial disk removed', async (t) => {
  const fx = vmFixture({ mode: 'wait' });
  withVmi(fx, { disk: '{ name: scratch, disk: { bus: virtio } }', volume: '{ name: scratch, emptyDisk: { capacity: 16Mi } }' });
  const eph = join(fx.dir, 'eph');
  mkdirSync(eph, { mode: 0o755 });
  if (isRoot) execFileSync('chown', ['107:107', eph]); // the VM user's, as in the image
  try {
    await sigtermDuring(t, fx, fx.args('--ephemeral-dir', eph), 'qemu-img', 'create', 'the old launcher waited for qemu-img create: up to 30 s');
    t.deepEqual(readdirSync(eph), [], 'neither the emptyDisk nor its dir is left');
  } finally {
    rmSync(fx.dir, { recursive: true, force: true });
  }
});

for (const [what, comm, arg, edit, oldWait] of [
  ['qemu-img info of a volume', 'qemu-img', 'info', {}, 'the old launcher waited for its timeout, then refused: exit 3'],
  ['the QEMU machine-type probe', 'qemu-system-x86', undefined, { domain: 'machine: { type: q35 }' }, 'the old launcher waited for its 10 s timeout'],
  ['the virsh passt probe', 'virsh', undefined, {
    devices: 'interfaces: [ { name: default, passtBinding: {} } ]', spec: 'networks: [ { name: default, pod: {} } ]',
  }, 'the old launcher waited for its 10 s timeout'],
] as const) {
  (runSkip ? test.skip : test.serial)(`SIGTERM during preflight's ${what}: exit 6 at once, nothing started`, async (t) => {
    const fx = vmFixture({ mode: 'wait' });
    withVmi(fx, edit);
    try {
      await sigtermDuring(t, fx, fx.args(), comm, arg, oldWait);
      t.false(existsSync(fx.runtimeDir), 'no runtime dir was claimed');
    } finally {
      rmSync(fx.dir, { recursive: true, force: true });
    }
  });
}
