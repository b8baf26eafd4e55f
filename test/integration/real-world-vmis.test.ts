// The VMIs people really write, run for real (TCG): the filesystem-PV design's own compact example verbatim, an
// emptyDisk the guest sees at its size, an ephemeral disk whose writes vanish while its image stays unchanged,
// and check, which creates nothing. No mocks.
import test from 'ava';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LauncherRun, vmFixture, type VmFixture } from '../../harness/launcher-process.js';
import { readBootCount, repoRoot, sha256 } from '../../harness/guest-disk.js';
import { bootUnavailable } from '../../harness/requirements.js';
import { runCli, type CheckJson } from '../helpers/check-fixture.js';

const skip = bootUnavailable();
const boot = skip ? test.skip : test.serial;
if (skip) test('real-world VMIs: real guest tests', (t) => { t.log(`SKIPPED: ${skip}`); t.pass(); });

/** The filesystem-PV design's example manifest, verbatim: examples/vmi/vmi-design-example.yaml (the unit tests pin
 * that the file is the design's text). */
const SEED_EXAMPLE = readFileSync(join(repoRoot, 'examples', 'vmi', 'vmi-design-example.yaml'), 'utf8');

const ephemeralDir = (fx: VmFixture) => join(fx.dir, 'eph');
const withEphemeral = (fx: VmFixture, ...extra: string[]) => fx.args('--ephemeral-dir', ephemeralDir(fx), ...extra);

async function check(fx: VmFixture): Promise<{ code: number | null; json: CheckJson }> {
  const args = withEphemeral(fx).map((a) => (a === 'run' ? 'check' : a));
  const r = await runCli([...args, '--json']);
  return { code: r.code, json: JSON.parse(r.stdout) as CheckJson };
}

/** Boots, waits for `marker` on the console, sends SIGTERM and expects a clean exit; returns the run. */
async function bootAndStop(t: { is: (a: unknown, b: unknown, m?: string) => void }, fx: VmFixture, marker: string, args: string[]): Promise<LauncherRun> {
  const run = new LauncherRun(args);
  try {
    await run.waitForConsole(marker, 120_000);
    run.signal('SIGTERM');
    t.is(await run.exitCode(), 0, run.tail());
  } finally {
    run.kill(fx.runtimeDir);
  }
  return run;
}

const consoleHas = (run: LauncherRun, text: string) => run.lines.some((l) => l.component === 'guest-console' && l.msg.includes(text));

boot('the design\'s compact example, verbatim, passes check with its defaults as notes and boots with run', async (t) => {
  const fx = vmFixture({ volume: 'my-fs-store' });
  writeFileSync(fx.vmiPath, SEED_EXAMPLE);
  const checked = await check(fx);
  t.is(checked.code, 0, JSON.stringify(checked.json.problems));
  t.true(checked.json.ok);
  t.deepEqual(checked.json.problems.map((p) => [p.reason, p.severity, p.field]), [
    ['CompactFormDefault', 'warning', 'metadata.name'],
    ['CompactFormDefault', 'warning', 'spec.domain.memory.guest'],
  ]);
  t.deepEqual(checked.json.vmi, { namespace: 'default', name: 'vmi' }, 'named after its file, vmi.yaml');

  const before = readBootCount(fx.image);
  const run = await bootAndStop(t, fx, 'GUEST-WAITING-FOR-POWER-BUTTON', fx.args());
  t.true(consoleHas(run, `GUEST-BOOT-COUNT=${before + 1}`));
  t.truthy(run.lines.find((l) => l.reason === 'CompactFormDefault' && l.field === 'spec.domain.memory.guest'), 'run logs the defaults too');
  t.is(readBootCount(fx.image), before + 1);
});

boot('an emptyDisk: created by run at its size, seen by the guest, removed at exit; check creates nothing', async (t) => {
  const fx = vmFixture({ name: 'scratch-vm' });
  writeFileSync(fx.vmiPath, [
    'apiVersion: kubevirt.io/v1',
    'kind: VirtualMachineInstance',
    'metadata: { name: scratch-vm, namespace: tests }',
    'spec:',
    '  domain:',
    '    memory: { guest: 128Mi }',
    '    devices:',
    '      disks: [ { name: rootdisk, bootOrder: 1 }, { name: scratch, disk: { bus: virtio } } ]',
    '  volumes:',
    '    - { name: rootdisk, persistentVolumeClaim: { claimName: root } }',
    '    - { name: scratch, emptyDisk: { capacity: 64Mi } }',
    '',
  ].join('\n'));
  const checked = await check(fx);
  t.is(checked.code, 0, JSON.stringify(checked.json));
  const scratch = checked.json.volumes.find((v) => v.volume === 'scratch') as unknown as { path: string; created: { kind: string; sizeBytes: number } };
  t.is(scratch.path, join(ephemeralDir(fx), 'empty-disks', 'scratch.img'));
  t.deepEqual(scratch.created, { kind: 'emptyDisk', path: scratch.path, sizeBytes: 64 * 2 ** 20 });
  t.false(existsSync(ephemeralDir(fx)), 'check creates nothing');

  const run = await bootAndStop(t, fx, 'GUEST-WAITING-FOR-POWER-BUTTON', withEphemeral(fx));
  t.true(consoleHas(run, `GUEST-DISK-SIZE vdb sectors=${64 * 2048}`), 'the guest sees a 64 MiB second disk');
  t.deepEqual(readdirSync(ephemeralDir(fx)), [], 'the emptyDisk and its dir are gone; the ephemeral dir itself stays');
});

boot('an ephemeral disk: the guest\'s writes vanish with the overlay, the image stays byte for byte', async (t) => {
  const fx = vmFixture({ name: 'eph-vm' });
  writeFileSync(fx.vmiPath, [
    'apiVersion: kubevirt.io/v1',
    'kind: VirtualMachineInstance',
    'metadata: { name: eph-vm, namespace: tests }',
    'spec:',
    '  domain:',
    '    memory: { guest: 128Mi }',
    '    devices: { disks: [ { name: rootdisk, bootOrder: 1 } ] }',
    '  volumes:',
    '    - { name: rootdisk, ephemeral: { persistentVolumeClaim: { claimName: golden } } }',
    '',
  ].join('\n'));
  const hash = sha256(fx.image);
  const count = readBootCount(fx.image);
  for (let i = 0; i < 2; i++) {
    const run = await bootAndStop(t, fx, 'GUEST-WAITING-FOR-POWER-BUTTON', withEphemeral(fx));
    // Each boot starts from the image: the count the guest wrote last time went with its overlay.
    t.true(consoleHas(run, `GUEST-BOOT-COUNT=${count + 1}`), `boot ${i + 1}: ${run.tail()}`);
    t.is(sha256(fx.image), hash, 'the backing image is unchanged');
    t.deepEqual(readdirSync(ephemeralDir(fx)), [], 'the overlay is removed at exit');
  }
  t.is(readBootCount(fx.image), count);
});

test('a halted VirtualMachine: check refuses it with VmHalted and exit 3', async (t) => {
  const fx = vmFixture({ withDisk: false });
  writeFileSync(fx.vmiPath, [
    'apiVersion: kubevirt.io/v1',
    'kind: VirtualMachine',
    'metadata: { name: halted }',
    'spec:',
    '  runStrategy: Halted',
    '  template:',
    '    spec:',
    '      domain: { memory: { guest: 128Mi } }',
    '      volumes: [ { name: rootdisk, persistentVolumeClaim: { claimName: root } } ]',
    '',
  ].join('\n'));
  const checked = await check(fx);
  t.is(checked.code, 3);
  t.truthy(checked.json.problems.find((p) => p.reason === 'VmHalted' && p.field === 'spec.runStrategy'));
});

boot('a TPM: libvirt runs swtpm unprivileged for it and the guest sees a TPM 2.0', async (t) => {
  const fx = vmFixture({ name: 'tpm-vm' });
  writeFileSync(fx.vmiPath, [
    'apiVersion: kubevirt.io/v1',
    'kind: VirtualMachineInstance',
    'metadata: { name: tpm-vm, namespace: tests }',
    'spec:',
    '  domain:',
    '    memory: { guest: 128Mi }',
    '    devices: { tpm: {}, disks: [ { name: rootdisk, bootOrder: 1 } ] }',
    '  volumes: [ { name: rootdisk, persistentVolumeClaim: { claimName: root } } ]',
    '',
  ].join('\n'));
  const run = await bootAndStop(t, fx, 'GUEST-WAITING-FOR-POWER-BUTTON', fx.args());
  t.true(consoleHas(run, 'GUEST-TPM=2'), run.tail());
});
