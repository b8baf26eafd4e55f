// accessCredentials through the real CLI's `check`: the keys read from where KubeVirt's pod mounts each Secret
// (`<secrets-dir>/<secret>-access-cred/`, the kubelet's layout of `..data` links included), every file in name
// order, into the seed's metadata; a missing Secret and a bad key refused with their reasons, file and line.
// The boot that proves the guest accepts the key is in test/container/access-credentials.test.ts.
import test, { type ExecutionContext } from 'ava';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { qemuImgUnavailable } from '../../harness/requirements.js';
import { cleanupAll, fsVolume, giveToVm, qemuImg, runCli, scene, type CheckJson, type Scene } from '../helpers/check-fixture.js';
import { fakePublicKey, kubeletSecret as secretIn } from '../helpers/access-credentials.js';
import { readAccessCredentialKeys, readAgentCredentials } from '../../launcher/inspect/access-credentials.js';
import type { VmSpec } from '../../domain/model/index.js';

const noQemuImg = qemuImgUnavailable();
test.after.always(() => cleanupAll());

type SeedJson = CheckJson & { cloudInit: { files: Array<{ path: string; bytes?: number; from: string }> } | null };

/** A VMI with a 1 MiB root disk, a cloud-init volume of `seed` and SSH keys from these Secrets. */
function setUp(t: ExecutionContext, secrets: string[], seed: 'cloudInitNoCloud' | 'cloudInitConfigDrive' = 'cloudInitNoCloud'): Scene {
  const s = scene('vml-keys-');
  t.teardown(() => s.cleanup());
  const img = join(fsVolume(s, 'rootdisk'), 'disk.img');
  qemuImg('-f', 'raw', img, '1M');
  giveToVm(img);
  const method = seed === 'cloudInitNoCloud' ? { noCloud: {} } : { configDrive: {} };
  s.writeVmi(stringify({
    apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name: 'keysvm', namespace: 'tests' },
    spec: {
      domain: { memory: { guest: '128Mi' }, devices: { disks: [{ name: 'rootdisk' }, { name: 'cloudinit' }] } },
      volumes: [{ name: 'rootdisk', persistentVolumeClaim: { claimName: 'root' } }, { name: 'cloudinit', [seed]: { userData: '#cloud-config\n' } }],
      accessCredentials: secrets.map((secretName) => ({ sshPublicKey: { source: { secret: { secretName } }, propagationMethod: method } })),
    },
  }));
  mkdirSync(join(s.dir, 'secrets'), { mode: 0o755 });
  return s;
}

const kubeletSecret = (s: Scene, secretName: string, files: Record<string, string>): string => secretIn(join(s.dir, 'secrets'), secretName, files);

async function check(s: Scene): Promise<{ code: number | null; json: SeedJson }> {
  const raw = await runCli(['check', '--json', ...s.opts(), '--secrets-dir', join(s.dir, 'secrets')]);
  return { code: raw.code, json: JSON.parse(raw.stdout) as SeedJson };
}

const a = fakePublicKey('ssh-ed25519', 1);
const b = fakePublicKey('ssh-rsa', 2);
const c = fakePublicKey('ecdsa-sha2-nistp256', 3);

test('keys from two Secrets (the kubelet\'s layout, several files) go into meta-data in order; check says how many and from where', async (t) => {
  if (noQemuImg) { t.log(`skipped: ${noQemuImg}`); return t.pass(); }
  const s = setUp(t, ['team-keys', 'ops-keys']);
  // Name order inside a Secret (Go's os.ReadDir sorts), whatever order the files were written in.
  kubeletSecret(s, 'team-keys', { 'z-last': `${c} carol\n`, 'a-first': `# alice\n${a}\n${b} bob\n`, empty: '' });
  kubeletSecret(s, 'ops-keys', { 'ssh-publickey': `${a} ops\n` });
  const { code, json } = await check(s);
  t.is(code, 0, JSON.stringify(json.problems));
  const meta = json.cloudInit!.files.find((f) => f.path === 'meta-data')!;
  t.regex(meta.from, /with 4 SSH public key\(s\) from Secret team-keys \(.*team-keys-access-cred: 3 file\(s\)\), Secret ops-keys/);
  t.log(meta.from);
});

test('the keys themselves: every file of each Secret in name order, each line its own key, `..data` and empty files left out', async (t) => {
  if (noQemuImg) { t.log(`skipped: ${noQemuImg}`); return t.pass(); }
  const s = setUp(t, []);
  // Written out of name order: the keys come in the files' name order (Go's os.ReadDir), not the order they were made.
  const many = [3, 0, 5, 1, 4, 2];
  kubeletSecret(s, 'team-keys', { 'z-last': `${c} carol\n`, 'a-first': `# alice\n${a}\n${b} bob\n`, empty: '', ...Object.fromEntries(many.map((i) => [`m${i}`, `${a} m${i}\n`])) });
  kubeletSecret(s, 'ops-keys', { 'ssh-publickey': `${a} ops` });
  const creds = ['team-keys', 'ops-keys'].map((secretName, i) => ({ secretName, propagation: 'noCloud' as const, field: `spec.accessCredentials[${i}].sshPublicKey` }));
  const problems: unknown[] = [];
  const r = await readAccessCredentialKeys(problems as never[], creds, join(s.dir, 'secrets'));
  t.deepEqual(problems, []);
  t.deepEqual(r?.keys, [a, `${b} bob`, ...[0, 1, 2, 3, 4, 5].map((i) => `${a} m${i}`), `${c} carol`, `${a} ops`]);
});

test('for the guest agent: keys grouped per user across Secrets, passwords a file per user (trimmed, empty skipped), bad user names refused', async (t) => {
  if (noQemuImg) { t.log(`skipped: ${noQemuImg}`); return t.pass(); }
  const s = setUp(t, []);
  kubeletSecret(s, 'k1', { a: `${a}\n` });
  kubeletSecret(s, 'k2', { b: `${b} bob\n` });
  kubeletSecret(s, 'pw', { ops: 'secret-1\n', debian: '  two words  ', nobody: '' });
  const spec = {
    accessCredentials: [
      { secretName: 'k1', propagation: 'qemuGuestAgent', users: ['debian', 'ops'], field: 'f0' },
      { secretName: 'k2', propagation: 'qemuGuestAgent', users: ['ops'], field: 'f1' },
      { secretName: 'k1', propagation: 'noCloud', field: 'f2' },
    ],
    userPasswords: [{ secretName: 'pw', field: 'f3' }],
  } as unknown as VmSpec;
  const problems: unknown[] = [];
  const r = await readAgentCredentials(problems as never[], spec, join(s.dir, 'secrets'));
  t.deepEqual(problems, []);
  t.deepEqual(r, {
    keys: [{ user: 'debian', keys: [a] }, { user: 'ops', keys: [a, `${b} bob`] }],
    passwords: [{ user: 'debian', password: 'two words' }, { user: 'ops', password: 'secret-1' }],
  });
  kubeletSecret(s, 'pw2', { '-rf': 'x' });
  const bad: Array<{ reason: string; message: string }> = [];
  t.is(await readAgentCredentials(bad as never[], { userPasswords: [{ secretName: 'pw2', field: 'f' }] } as unknown as VmSpec, join(s.dir, 'secrets')), undefined);
  t.regex(bad[0]?.message ?? '', /names no user/);
});

test('ConfigDrive: meta_data.json is KubeVirt\'s with public_keys; CRLF and comments tolerated', async (t) => {
  if (noQemuImg) { t.log(`skipped: ${noQemuImg}`); return t.pass(); }
  const s = setUp(t, ['k'], 'cloudInitConfigDrive');
  kubeletSecret(s, 'k', { key: `${a}\r\n${b} bob\n` });
  const { code, json } = await check(s);
  t.is(code, 0, JSON.stringify(json.problems));
  const meta = json.cloudInit!.files[0]!;
  t.is(meta.path, 'openstack/latest/meta_data.json');
  // check reports sizes, not contents (the user data can be secret): the size of exactly KubeVirt's document.
  // The uuid is derived from namespace/name: 36 characters, whichever.
  const expected = JSON.stringify({ instance_id: 'keysvm.tests', hostname: 'keysvm', uuid: 'u'.repeat(36), public_keys: { 0: a, 1: `${b} bob` } });
  t.is(meta.bytes, expected.length);
  t.regex(meta.from, /with 2 SSH public key\(s\)/);
});

test('a Secret that is not mounted: AccessCredentialSecretMissing naming where it was looked for', async (t) => {
  if (noQemuImg) { t.log(`skipped: ${noQemuImg}`); return t.pass(); }
  const s = setUp(t, ['team-keys']);
  const { code, json } = await check(s);
  t.is(code, 3);
  const p = json.problems.find((x) => x.reason === 'AccessCredentialSecretMissing');
  t.truthy(p, JSON.stringify(json.problems));
  t.regex(p!.message, /secrets\/team-keys-access-cred does not exist/);
  t.is(p!.field, 'spec.accessCredentials[0].sshPublicKey');
  t.regex(p!.fix ?? '', /mount Secret team-keys at .*team-keys-access-cred/);
});

test('a bad line: SshPublicKeyInvalid with the file and line; the good keys do not hide it', async (t) => {
  if (noQemuImg) { t.log(`skipped: ${noQemuImg}`); return t.pass(); }
  const s = setUp(t, ['team-keys']);
  kubeletSecret(s, 'team-keys', { keys: `${a}\n\n${b}\nssh-ed25519 not-base64!\n`, other: '-----BEGIN OPENSSH PRIVATE KEY-----\n' });
  const { code, json } = await check(s);
  t.is(code, 3);
  const bad = json.problems.filter((x) => x.reason === 'SshPublicKeyInvalid');
  t.deepEqual(bad.map((p) => p.message.replace(/^.*team-keys-access-cred\//, '')), [
    'keys line 4 (Secret team-keys): the ssh-ed25519 key\'s blob is not base64',
    'other line 1 (Secret team-keys): "-----BEGIN" is not an SSH public key type',
  ]);
  t.truthy(bad[0]!.fix);
});

test('a FIFO where a key file belongs is refused as not a file, and check does not hang', async (t) => {
  if (noQemuImg) { t.log(`skipped: ${noQemuImg}`); return t.pass(); }
  const s = setUp(t, ['team-keys']);
  kubeletSecret(s, 'team-keys', { keys: `${a}\n` });
  const { execFileSync } = await import('node:child_process');
  execFileSync('mkfifo', [join(s.dir, 'secrets', 'team-keys-access-cred', 'pipe')]);
  const { code, json } = await check(s);
  t.is(code, 3);
  t.regex(json.problems.find((x) => x.reason === 'AccessCredentialSecretMissing')?.message ?? '', /pipe: not a file/);
});
