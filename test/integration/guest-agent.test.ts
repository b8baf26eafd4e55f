// The guest agent with a real Debian guest (qemu-guest-agent inside) on this host's libvirt, session mode, TCG:
// AgentConnected and `vm-launcher status --json` with the guest's OS and hostname; a guestAgentPing readiness
// probe and an exec liveness probe that pass, fail while the agent is stopped inside the guest, and pass again once
// it is back; then a guest told to ignore the power button is shut down through the agent (exit 0). No NIC here
// (bookworm's libvirt cannot run passt): addresses and tcpSocket are the container test's (test/container/).
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliPath, LauncherRun, probe, sharedCacheDir } from '../../harness/launcher-process.js';
import { chownTree } from '../../harness/guest-disk.js';
import { bootUnavailable } from '../../harness/requirements.js';
import { copyDebianGuest, debianGuestImage, debianGuestUnavailable } from '../helpers/debian-guest.js';
import { agentCommand } from '../../launcher/stack/agent-command.js';
import { runtimeLayout } from '../../launcher/plan/runtime-layout.js';
import type { StatusJson } from '../../launcher/cli/status.js';

const skip = bootUnavailable() ?? debianGuestUnavailable();
if (skip) test('guest agent: real Debian guest tests', (t) => { t.log(`SKIPPED: ${skip}`); t.pass(); });
const agentTest = skip ? test.skip : test.serial;

/** Under TCG with other work on the machine a Debian boot took 2-11 minutes here: generous, never asserted on. */
const BOOT_MS = 15 * 60_000;

function status(runtimeDir: string): StatusJson | undefined {
  try {
    return JSON.parse(execFileSync(cliPath, ['status', '--json', '--runtime-dir', runtimeDir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })) as StatusJson;
  } catch {
    return undefined;
  }
}

async function until<T>(what: string, timeoutMs: number, f: () => T | undefined | false, run: LauncherRun): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last lines:\n${run.tail()}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

agentTest('guest agent: status shows the Debian guest; agent probes follow the agent; a guest ignoring ACPI is shut down through the agent', async (t) => {
  t.timeout(40 * 60_000);
  await debianGuestImage();
  const dir = mkdtempSync(join(tmpdir(), 'vml-agent-'));
  chmodSync(dir, 0o755);
  const vols = join(dir, 'vols');
  mkdirSync(join(vols, 'rootdisk'), { recursive: true });
  mkdirSync(join(dir, 'dev'));
  copyDebianGuest(join(vols, 'rootdisk', 'disk.img'));
  chownTree(vols, 107, 107);
  const vmi = join(dir, 'vmi.yaml');
  writeFileSync(vmi, [
    'apiVersion: kubevirt.io/v1',
    'kind: VirtualMachineInstance',
    'metadata: { name: agentvm, namespace: tests }',
    'spec:',
    '  terminationGracePeriodSeconds: 240',
    '  readinessProbe: { guestAgentPing: {}, periodSeconds: 2, timeoutSeconds: 10, failureThreshold: 1 }',
    '  livenessProbe: { exec: { command: ["/usr/bin/test", "-e", "/etc/hostname"] }, periodSeconds: 3, timeoutSeconds: 20, failureThreshold: 2 }',
    '  domain:',
    '    memory: { guest: 1Gi }',
    '    devices:',
    '      disks:',
    '        - { name: rootdisk, disk: { bus: virtio } }',
    '        - { name: cloudinit, disk: { bus: virtio } }',
    '  volumes:',
    '    - { name: rootdisk, persistentVolumeClaim: { claimName: root } }',
    '    - name: cloudinit',
    '      cloudInitNoCloud: { userData: "#cloud-config\\n" }',
    '',
  ].join('\n'));
  const runtimeDir = join(dir, 'rt');
  const run = new LauncherRun(['run', '--vmi', vmi, '--volumes-dir', vols, '--devices-dir', join(dir, 'dev'), '--runtime-dir', runtimeDir,
    '--cache-dir', sharedCacheDir, '--accel', 'tcg']);
  // The stack's user: uid 107 under a root launcher, the launcher's own user otherwise.
  const target = { layout: runtimeLayout(runtimeDir, sharedCacheDir), runAs: process.getuid?.() === 0 ? { uid: 107, gid: 107 } : undefined, domainName: 'tests_agentvm' };
  const exec = async (script: string) => {
    const r = await agentCommand(target, 'guest-exec', { path: '/bin/sh', arg: ['-c', script] }, 30);
    t.true(r.ok, `guest-exec ${script}: ${JSON.stringify(r)}`);
  };
  try {
    await run.waitFor((l) => l.reason === 'AgentConnected', BOOT_MS, 'AgentConnected');
    const s = await until('status with the guest OS and hostname', 5 * 60_000, () => {
      const j = status(runtimeDir);
      return j?.guest?.os?.id === 'debian' && j.guest.hostname && j.agent?.version ? j : undefined;
    }, run);
    t.is(s.phase, 'Running');
    t.true(s.conditions.some((c) => c.type === 'AgentConnected' && c.status === 'True'));
    t.deepEqual(s.agent?.missingCommands, [], 'trixie\'s agent has every command KubeVirt requires');
    t.regex(s.guest?.os?.versionId ?? '', /^\d+$/);
    t.true(s.processes.some((p) => p.name === 'qemu' && (p.rssBytes ?? 0) > 0));
    const human = execFileSync(cliPath, ['status', '--runtime-dir', runtimeDir], { encoding: 'utf8' });
    t.regex(human, /^Guest OS\s+Debian/m);
    t.log(human);

    await until('probe ready and live', 5 * 60_000, () => probe('ready', runtimeDir) === 0 && probe('live', runtimeDir) === 0, run);
    // The agent leaves for 60 s (a transient timer outside its cgroup brings it back): both probes fail meanwhile.
    await exec('systemd-run --on-active=60 /usr/bin/systemctl start qemu-guest-agent && systemctl stop qemu-guest-agent');
    await run.waitFor((l) => l.reason === 'AgentDisconnected', 60_000, 'AgentDisconnected');
    await until('probe ready to fail', 60_000, () => probe('ready', runtimeDir) !== 0, run);
    await until('probe live to fail', 60_000, () => probe('live', runtimeDir) !== 0, run);
    t.truthy(run.lines.find((l) => l.reason === 'LivenessProbeFailed' && typeof l['output'] === 'string'), 'the liveness failure is logged with its output');
    await until('the agent back and both probes passing again', 5 * 60_000, () => probe('ready', runtimeDir) === 0 && probe('live', runtimeDir) === 0, run);

    // The guest now ignores the power button; the launcher's ACPI requests go unanswered and the agent is asked.
    await exec('mkdir -p /etc/systemd/logind.conf.d && printf "[Login]\\nHandlePowerKey=ignore\\n" > /etc/systemd/logind.conf.d/ignore.conf && systemctl restart systemd-logind');
    await new Promise((r) => setTimeout(r, 5000));
    run.signal('SIGTERM');
    t.is(await run.exitCode(10 * 60_000), 0, run.tail());
    t.truthy(run.lines.find((l) => l.reason === 'AgentShutdownSent'));
    t.is(run.lines.at(-1)?.reason, 'GuestShutdownByAgent', run.tail());
  } finally {
    run.kill(runtimeDir);
  }
});
