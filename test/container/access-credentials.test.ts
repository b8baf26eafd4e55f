// accessCredentials in the VM pod image (trixie: passt for the SSH port), with the real Debian cloud guest: the
// SSH key reaches the guest only through spec.accessCredentials (propagationMethod noCloud), from a Secret
// bind-mounted where KubeVirt's pod mounts it (`/var/run/kubevirt-private/secret/<secret>-access-cred/`, the
// kubelet's `..data` layout). The VMI's own userData holds no key and no user: cloud-init's default user (`debian`)
// gets the keys from the seed's meta-data, and SSH with the test's key logs in. The Secret's first file holds
// another key without a comment before the test's key on the next line, so the test also shows that every line of
// a file becomes its own authorized_keys entry. In the same boot, qemuGuestAgent propagation: a user the VMI's
// userData creates without key or password gets both through the guest agent (guest-ssh-add-authorized-keys,
// guest-set-user-password), retried until cloud-init has made the user.
import test from 'ava';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { repoRoot } from '../../harness/guest-disk.js';
import { debianGuestVolume, debianGuestImage, debianGuestUnavailable, sshKeyPair, sshRun, waitForSsh } from '../helpers/debian-guest.js';
import { kubeletSecret } from '../helpers/access-credentials.js';
import { ensureImage, freePort, IMAGE, must, podman, podmanUnavailable, readLog, stop, tail, VOLUME_DIR } from '../helpers/podman.js';

const unavailable = podmanUnavailable() ?? debianGuestUnavailable();
const serial = unavailable ? test.skip : test.serial;
if (unavailable) test('accessCredentials in the image', (t) => { t.log(`skipped: ${unavailable}`); t.pass(); });

const LIMITS = {
  /** Bounds a failure only: a Debian boot under TCG took 8.5 min here at load average 19. */
  bootMs: 15 * 60_000,
  graceS: 60,
};
const work = mkdtempSync(join(tmpdir(), 'vml-creds-c-'));
chmodSync(work, 0o755);
const name = `vmlc-${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;

test.after.always('clean up', async () => {
  if (!unavailable) await podman(['rm', '-f', '-t', '0', name]);
  rmSync(work, { recursive: true, force: true });
});

serial('Debian in the image: SSH keys only through accessCredentials (noCloud) log in as the default user, every key of every file in authorized_keys; qemuGuestAgent sets another user\'s key and password', async (t) => {
  t.timeout(40 * 60_000);
  t.log(await ensureImage());
  await debianGuestImage();
  const vol = debianGuestVolume(join(work, 'vol'));
  const mine = sshKeyPair(join(work, 'ssh'));
  const other = sshKeyPair(join(work, 'ssh-other'));
  const otherNoComment = other.publicKey.split(' ').slice(0, 2).join(' ');
  const third = sshKeyPair(join(work, 'ssh-third'));
  const agentKey = sshKeyPair(join(work, 'ssh-agent'));

  const secrets = join(work, 'secrets');
  mkdirSync(secrets, { mode: 0o755 });
  kubeletSecret(secrets, 'team-keys', { 'authorized-keys': `${otherNoComment}\n${mine.publicKey}\n` });
  kubeletSecret(secrets, 'ops-keys', { 'ssh-publickey': `${third.publicKey}\n` });
  kubeletSecret(secrets, 'agent-keys', { key: `${agentKey.publicKey}\n` });
  kubeletSecret(secrets, 'agent-passwords', { agentuser: 'Correct-Horse-7\n' });

  const vmi = parseYaml(readFileSync(join(repoRoot, 'examples', 'vmi', 'vmi-debian-ssh.yaml'), 'utf8'));
  vmi.metadata.name = 'vmi-keys';
  vmi.spec.terminationGracePeriodSeconds = LIMITS.graceS;
  // No key: the default user comes from the image's cloud.cfg, its keys from the seed's meta-data; agentuser is made
  // without key or password, and gets both through the guest agent (once cloud-init has made it: retried until then).
  vmi.spec.volumes[1].cloudInitNoCloud.userData = '#cloud-config\nssh_pwauth: false\nusers: [default, {name: agentuser, shell: /bin/bash}]\n';
  vmi.spec.accessCredentials = [
    ...['team-keys', 'ops-keys'].map((secretName) => ({ sshPublicKey: { source: { secret: { secretName } }, propagationMethod: { noCloud: {} } } })),
    { sshPublicKey: { source: { secret: { secretName: 'agent-keys' } }, propagationMethod: { qemuGuestAgent: { users: ['agentuser'] } } } },
    { userPassword: { source: { secret: { secretName: 'agent-passwords' } }, propagationMethod: { qemuGuestAgent: {} } } },
  ];
  const vmiText = stringify(vmi);
  t.false(vmiText.includes(mine.publicKey.split(' ')[1]!), 'the VMI itself does not hold the key');
  const vmiPath = join(work, 'vmi.yaml');
  writeFileSync(vmiPath, vmiText);
  chmodSync(vmiPath, 0o644);

  const ssh = await freePort();
  const log = join(work, 'pod.log');
  const started = Date.now();
  must(await podman(['run', '-d', '--name', name, '--log-opt', `path=${log}`, '-e', 'VM_LAUNCHER_ACCEL=tcg', '-e', 'VM_LAUNCHER_LOG_GUEST_CONSOLE=yes',
    '--sysctl', 'net.ipv4.ip_unprivileged_port_start=0', '-p', `127.0.0.1:${ssh}:22`,
    '-v', `${vol}:${VOLUME_DIR}/rootdisk`, '-v', `${vmiPath}:/etc/vm-launcher/vmi.yaml:ro`, '-v', `${secrets}:/var/run/kubevirt-private/secret:ro`, IMAGE]), 'podman run');
  try {
    let exited: string | undefined;
    void podman(['wait', name], { timeout: LIMITS.bootMs + 600_000 }).then(() => { exited = `the container exited:\n${tail(readLog(log))}`; });
    await waitForSsh(ssh, mine.privateKey, LIMITS.bootMs, () => exited).catch((e: Error) => {
      // What the launcher and the guest's console said, before the container and its log are removed.
      t.log(readLog(log).slice(-60).map((l) => `${String(l.reason ?? '')} ${String(l.msg ?? '')}`).join('\n'));
      throw e;
    });
    t.log(`pod start -> SSH with the accessCredentials key: ${((Date.now() - started) / 1000).toFixed(1)} s (load average ${loadavg()[0]!.toFixed(1)})`);
    t.log(`seed: ${readLog(log).find((l) => l.reason === 'CloudInitSeedBuilt')?.msg ?? '(not logged)'}`);
    const r = await sshRun(ssh, mine.privateKey, ['sh', '-c', 'id -un; cat ~/.ssh/authorized_keys']);
    t.is(r.exitCode, 0, r.stderr);
    const [user, ...lines] = r.stdout.trim().split('\n');
    t.is(user, 'debian', 'the default user');
    const blobs = lines.map((l) => l.split(' ')[1]);
    for (const [what, key] of [['the test\'s key', mine.publicKey], ['the comment-less key before it in the same file', otherNoComment], ['the second Secret\'s key', third.publicKey]] as const) {
      t.true(blobs.includes(key.split(' ')[1]), `${what} is in authorized_keys:\n${lines.join('\n')}`);
    }
    t.is(lines.length, 3, lines.join('\n'));
    const other2 = await sshRun(ssh, other.privateKey, ['id', '-un']);
    t.is(other2.stdout.trim(), 'debian', `the other key logs in too: ${other2.stderr}`);

    // qemuGuestAgent: the key into agentuser's authorized_keys, its password set (the shadow entry is no longer locked).
    const agentDeadline = Date.now() + 5 * 60_000;
    let viaAgent = await sshRun(ssh, agentKey.privateKey, ['id', '-un'], { user: 'agentuser', timeoutMs: 20_000 });
    while (viaAgent.exitCode !== 0 && Date.now() < agentDeadline) {
      await new Promise((res) => setTimeout(res, 5000));
      viaAgent = await sshRun(ssh, agentKey.privateKey, ['id', '-un'], { user: 'agentuser', timeoutMs: 20_000 });
    }
    const logLines = readLog(log);
    t.log(logLines.filter((l) => l.reason === 'AccessCredentialsApplied' || l.reason === 'AccessCredentialFailed').map((l) => `${String(l.reason)}: ${String(l.msg)}`).join('\n'));
    t.is(viaAgent.stdout.trim(), 'agentuser', `the key pushed through the guest agent logs in: ${viaAgent.stderr}\n${tail(logLines)}`);
    const shadow = await sshRun(ssh, mine.privateKey, ['sudo', 'sh', '-c', 'grep ^agentuser: /etc/shadow | cut -d: -f2 | cut -c1-3']);
    t.regex(shadow.stdout.trim(), /^\$/, `agentuser has a password hash now, not a lock: ${JSON.stringify(shadow.stdout)} ${shadow.stderr}`);
    const status = await podman(['exec', name, 'vm-launcher', 'status', '--json']);
    t.regex(String(status.stdout), /"credentials":\s*\{\s*"applied"/, 'the status file says the credentials were applied');
    const agentOnly = await sshRun(ssh, agentKey.privateKey, ['true']);
    t.not(agentOnly.exitCode, 0, 'the agent\'s key is not the default user\'s: each user gets only its own');

    const { exitCode, seconds } = await stop(name, LIMITS.graceS + 15);
    t.log(`podman stop -> exit: ${seconds.toFixed(1)} s`);
    t.is(exitCode, 0, tail(readLog(log)));
  } finally {
    await podman(['rm', '-f', '-t', '0', name]);
  }
});
