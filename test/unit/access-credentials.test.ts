// spec.accessCredentials: what is accepted (sshPublicKey from a Secret, propagated by noCloud or configDrive),
// every refusal with KubeVirt's webhook rules and its reason and path, the public keys checked line by line, and
// the seed's metadata as KubeVirt writes it (NoCloud `public-keys`, ConfigDrive `public_keys`, "0", "1", ...).
import test from 'ava';
import { planSeed, parseAuthorizedKeys } from '../../domain/convert/index.js';
import { parseVmi } from '../../domain/manifest/index.js';
import { addUserKeys, agentCredentialCommands, type AgentCredentials } from '../../domain/guest/index.js';
import { assertRefused } from '../helpers/refusal-checks.js';
import { acceptedSpec, pvc, vmi, type Doc } from '../helpers/vmi-builder.js';
import { fakePublicKey } from '../helpers/access-credentials.js';

const sshKey = (secretName: string, method: Doc = { noCloud: {} }): Doc => ({ sshPublicKey: { source: { secret: { secretName } }, propagationMethod: method } });

/** A VMI with a root disk, a cloud-init volume of `seed` (or none) and these access credentials. */
function withCreds(creds: unknown, seedKind: 'cloudInitNoCloud' | 'cloudInitConfigDrive' | 'none' = 'cloudInitNoCloud'): Doc {
  const seed = seedKind === 'none' ? undefined : seedKind;
  const doc = vmi({
    name: 'keys', namespace: 'ns', uid: '6a1f9e8e-3c55-4b8e-9d2e-1f0f4b1c2d3e',
    disks: [{ name: 'rootdisk' }, ...(seed ? [{ name: 'cloudinit' }] : [])],
    volumes: [pvc('rootdisk', 'root'), ...(seed ? [{ name: 'cloudinit', [seed]: { userData: '#cloud-config\n' } }] : [])],
  });
  doc['spec'].accessCredentials = creds;
  return doc;
}

test('sshPublicKey with noCloud or configDrive is accepted: the Secret and the seed it goes into, in order', (t) => {
  const spec = acceptedSpec(withCreds([sshKey('keys-a'), sshKey('keys-b')]));
  t.deepEqual(spec.accessCredentials, [
    { secretName: 'keys-a', propagation: 'noCloud', field: 'spec.accessCredentials[0].sshPublicKey' },
    { secretName: 'keys-b', propagation: 'noCloud', field: 'spec.accessCredentials[1].sshPublicKey' },
  ]);
  const drive = acceptedSpec(withCreds([sshKey('k', { configDrive: {} })], 'cloudInitConfigDrive'));
  t.deepEqual(drive.accessCredentials, [{ secretName: 'k', propagation: 'configDrive', field: 'spec.accessCredentials[0].sshPublicKey' }]);
  t.is(acceptedSpec(withCreds([])).accessCredentials, undefined, 'an empty list is none');
  t.is(acceptedSpec(withCreds(null)).accessCredentials, undefined, 'null is absent');
});

test('a VirtualMachine\'s template carries accessCredentials too', (t) => {
  const inner = withCreds([sshKey('k')]);
  const vm = { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine', metadata: { name: 'keys', namespace: 'ns' }, spec: { runStrategy: 'Always', template: { spec: inner['spec'] } } };
  t.deepEqual(acceptedSpec(vm).accessCredentials, [{ secretName: 'k', propagation: 'noCloud', field: 'spec.template.spec.accessCredentials[0].sshPublicKey' }]);
});

const at = (i: number, rest = ''): string => `spec.accessCredentials[${i}]${rest}`;
const refusals: Array<[string, Doc, Array<[string, string]>]> = [
  ['noCloud without a cloudInitNoCloud volume (KubeVirt\'s webhook refuses it)', withCreds([sshKey('k')], 'none'),
    [['AccessCredentialNeedsCloudInit', at(0, '.sshPublicKey.propagationMethod')]]],
  ['configDrive beside a cloudInitNoCloud volume', withCreds([sshKey('k', { configDrive: {} })]),
    [['AccessCredentialNeedsCloudInit', at(0, '.sshPublicKey.propagationMethod')]]],
  ['noCloud beside a cloudInitConfigDrive volume', withCreds([sshKey('k')], 'cloudInitConfigDrive'),
    [['AccessCredentialNeedsCloudInit', at(0, '.sshPublicKey.propagationMethod')]]],
  ['qemuGuestAgent without users (KubeVirt: at least one)', withCreds([sshKey('k', { qemuGuestAgent: { users: [] } })]),
    [['FieldMissing', at(0, '.sshPublicKey.propagationMethod.qemuGuestAgent.users')]]],
  ['qemuGuestAgent with no users list', withCreds([sshKey('k', { qemuGuestAgent: {} })]),
    [['FieldMissing', at(0, '.sshPublicKey.propagationMethod.qemuGuestAgent.users')]]],
  ['qemuGuestAgent with a user that is no name', withCreds([sshKey('k', { qemuGuestAgent: { users: ['debian', '-rf /'] } })]),
    [['FieldInvalid', at(0, '.sshPublicKey.propagationMethod.qemuGuestAgent.users')]]],
  ['userPassword without a propagation method', withCreds([{ userPassword: { source: { secret: { secretName: 'pw' } } } }]),
    [['FieldMissing', at(0, '.userPassword.propagationMethod')]]],
  ['userPassword through noCloud (only the agent sets passwords)', withCreds([{ userPassword: { source: { secret: { secretName: 'pw' } }, propagationMethod: { noCloud: {} } } }]),
    [['FieldMissing', at(0, '.userPassword.propagationMethod')], ['FieldNotSupported', at(0, '.userPassword.propagationMethod.noCloud')]]],
  ['userPassword without a source', withCreds([{ userPassword: { propagationMethod: { qemuGuestAgent: {} } } }]),
    [['FieldMissing', at(0, '.userPassword.source')]]],
  ['both types in one item', withCreds([{ ...sshKey('k'), userPassword: { source: { secret: { secretName: 'pw' } } } }]),
    [['FieldInvalid', at(0)]]],
  ['no type', withCreds([{}]), [['FieldInvalid', at(0)]]],
  ['two propagation methods', withCreds([sshKey('k', { noCloud: {}, configDrive: {} })]), [['FieldInvalid', at(0, '.sshPublicKey.propagationMethod')]]],
  ['no propagation method', withCreds([{ sshPublicKey: { source: { secret: { secretName: 'k' } } } }]), [['FieldMissing', at(0, '.sshPublicKey.propagationMethod')]]],
  ['no source', withCreds([{ sshPublicKey: { propagationMethod: { noCloud: {} } } }]), [['FieldMissing', at(0, '.sshPublicKey.source')]]],
  ['no secretName', withCreds([{ sshPublicKey: { source: { secret: {} }, propagationMethod: { noCloud: {} } } }]), [['FieldMissing', at(0, '.sshPublicKey.source.secret.secretName')]]],
  ['an empty secretName', withCreds([sshKey('')]), [['FieldMissing', at(0, '.sshPublicKey.source.secret.secretName')]]],
  ['a secretName that is no Kubernetes name (it becomes a path)', withCreds([sshKey('../etc')]), [['NameInvalid', at(0, '.sshPublicKey.source.secret.secretName')]]],
  ['a secretName whose pod volume <name>-access-cred is no DNS-1123 label (a dot)', withCreds([sshKey('my.keys')]), [['NameInvalid', at(0, '.sshPublicKey.source.secret.secretName')]]],
  ['a secretName too long for its pod volume (52 characters + -access-cred)', withCreds([sshKey('k'.repeat(52))]), [['NameInvalid', at(0, '.sshPublicKey.source.secret.secretName')]]],
  ['an unknown key in the credential', withCreds([{ sshPublicKey: { source: { secret: { secretName: 'k' } }, propagationMethod: { noCloud: {} }, extra: 1 } }]),
    [['FieldNotSupported', at(0, '.sshPublicKey.extra')]]],
  ['an unknown key in noCloud', withCreds([sshKey('k', { noCloud: { users: ['x'] } })]), [['FieldNotSupported', at(0, '.sshPublicKey.propagationMethod.noCloud.users')]]],
  ['an unknown source', withCreds([{ sshPublicKey: { source: { configMap: { name: 'k' } }, propagationMethod: { noCloud: {} } } }]),
    [['FieldMissing', at(0, '.sshPublicKey.source')], ['FieldNotSupported', at(0, '.sshPublicKey.source.configMap')]]],
  ['not a list', withCreds({ sshPublicKey: {} }), [['FieldInvalid', 'spec.accessCredentials']]],
  ['an item that is not a mapping', withCreds(['k']), [['FieldInvalid', at(0)]]],
];
for (const [title, doc, expected] of refusals) {
  test(`accessCredentials refused: ${title}`, (t) => assertRefused(t, doc, expected));
}

test('the refusals say why in words: the missing seed volume as KubeVirt says it', (t) => {
  const { problems } = acceptedOrProblems(withCreds([sshKey('k')], 'none'));
  t.regex(problems[0]!, /requires a noCloud volume to exist when the noCloud propagationMethod is in use/);
  t.regex(acceptedOrProblems(withCreds([sshKey('k', { qemuGuestAgent: { users: [] } })])).problems[0]!, /requires at least one user to be present in the users list/);
});

test('qemuGuestAgent keys and userPassword are accepted without any cloud-init volume: the agent carries them', (t) => {
  const spec = acceptedSpec(withCreds([
    sshKey('agent-keys', { qemuGuestAgent: { users: ['debian', 'ops', 'debian'] } }),
    { userPassword: { source: { secret: { secretName: 'pw' } }, propagationMethod: { qemuGuestAgent: {} } } },
  ], 'none'));
  t.deepEqual(spec.accessCredentials, [{ secretName: 'agent-keys', propagation: 'qemuGuestAgent', users: ['debian', 'ops'], field: 'spec.accessCredentials[0].sshPublicKey' }]);
  t.deepEqual(spec.userPasswords, [{ secretName: 'pw', field: 'spec.accessCredentials[1].userPassword' }]);
});

test('the guest agent\'s commands: per user every key with reset (authorized_keys replaced), passwords base64 and not crypted', (t) => {
  const into: AgentCredentials['keys'] = [];
  addUserKeys(into, ['debian', 'ops'], [ed]);
  addUserKeys(into, ['ops'], [rsa]);
  const cmds = agentCredentialCommands({ keys: into, passwords: [{ user: 'ops', password: 'pässword 1' }] });
  t.deepEqual(cmds.map((c) => [c.execute, c.arguments]), [
    ['guest-ssh-add-authorized-keys', { username: 'debian', keys: [ed], reset: true }],
    ['guest-ssh-add-authorized-keys', { username: 'ops', keys: [ed, rsa], reset: true }],
    ['guest-set-user-password', { username: 'ops', password: Buffer.from('pässword 1').toString('base64'), crypted: false }],
  ]);
  t.deepEqual(cmds.map((c) => c.what), ['1 SSH key(s) for debian', '2 SSH key(s) for ops', 'the password of ops']);
  t.false(JSON.stringify(cmds.map((c) => c.what)).includes('pässword'), 'the password is never in what is logged');
});

const acceptedOrProblems = (doc: Doc) => ({ problems: parseVmi(doc).problems.filter((p) => p.severity === 'error').map((p) => `${p.message} (fix: ${p.fix})`) });

// ---- the keys, line by line

const ed = fakePublicKey('ssh-ed25519', 1);
const rsa = fakePublicKey('ssh-rsa', 2);
const ecdsa = fakePublicKey('ecdsa-sha2-nistp256', 3);

test('public keys: one per line, comments and blank lines skipped, CRLF and surrounding blanks tolerated, comments kept', (t) => {
  const file = `# team keys\n\n${ed} alice@laptop\r\n  ${rsa}\n${ecdsa} bob with spaces in the comment\n`;
  const r = parseAuthorizedKeys(Buffer.from(file));
  t.deepEqual(r.problems, []);
  t.deepEqual(r.keys, [`${ed} alice@laptop`, rsa, `${ecdsa} bob with spaces in the comment`]);
});

const badLines: Array<[string, string, RegExp]> = [
  ['an unknown type', `ssh-foo ${ed.split(' ')[1]}`, /"ssh-foo" is not an SSH public key type/],
  ['authorized_keys options in front', `no-pty,from="10.0.0.1" ${ed}`, /options are not accepted/],
  ['a private key pasted by mistake', '-----BEGIN OPENSSH PRIVATE KEY-----', /is not an SSH public key type/],
  ['no blob', 'ssh-ed25519', /has no base64 blob/],
  ['a blob that is not base64', 'ssh-ed25519 AAAA$$$$', /blob is not base64/],
  ['a blob of another type than the line says', `ssh-rsa ${ed.split(' ')[1]}`, /the blob is a "ssh-ed25519" key, not ssh-rsa/],
  ['a blob that is no SSH key', `ssh-ed25519 ${Buffer.from('hello world!').toString('base64')}`, /the blob is not an SSH key/],
  ['a control character (an escape sequence in the comment)', `${ed} evil\u001b[2J`, /control character/],
  ['a NUL byte', `${ed} a\u0000b`, /control character/],
];
for (const [title, line, why] of badLines) {
  test(`public keys refused: ${title}, with its line number`, (t) => {
    const r = parseAuthorizedKeys(Buffer.from(`${ed}\n${line}\n`));
    t.deepEqual(r.keys, [ed], 'the good line is still read');
    t.is(r.problems.length, 1);
    t.is(r.problems[0]!.line, 2);
    t.regex(r.problems[0]!.why, why);
  });
}

test('public keys refused: a file that is not UTF-8', (t) => {
  t.deepEqual(parseAuthorizedKeys(Buffer.from([0xff, 0xfe, 0x00])).problems, [{ line: 0, why: 'not UTF-8 text' }]);
});

// ---- the seed's metadata

test('NoCloud seed: the keys in meta-data as KubeVirt writes them (public-keys, "0", "1", ... in order)', (t) => {
  const spec = acceptedSpec(withCreds([sshKey('a'), sshKey('b')]));
  const seed = planSeed(spec, spec.cloudInit!, { path: '/r/ci.iso', userData: { data: Buffer.from('#cloud-config\n'), from: 'inline' }, publicKeys: { keys: [ed, rsa, ecdsa], from: 'Secrets a, b' } });
  const meta = seed.files.find((f) => f.path === 'meta-data')!;
  t.is(meta.data.toString(), JSON.stringify({ 'instance-id': '6a1f9e8e-3c55-4b8e-9d2e-1f0f4b1c2d3e', 'local-hostname': 'keys', 'public-keys': { 0: ed, 1: rsa, 2: ecdsa } }));
  t.is(meta.from, 'vm-launcher, with 3 SSH public key(s) from Secrets a, b');
  t.is(seed.files.find((f) => f.path === 'user-data')!.data.toString(), '#cloud-config\n', 'the user data is untouched: the keys are metadata');
});

test('ConfigDrive seed: the keys in meta_data.json as public_keys, fields in KubeVirt\'s order', (t) => {
  const spec = acceptedSpec(withCreds([sshKey('a', { configDrive: {} })], 'cloudInitConfigDrive'));
  const seed = planSeed(spec, spec.cloudInit!, { path: '/r/ci.iso', publicKeys: { keys: [ed, rsa], from: 'Secret a' } });
  const meta = seed.files.find((f) => f.path === 'openstack/latest/meta_data.json')!;
  t.is(meta.data.toString(), JSON.stringify({ instance_id: 'keys.ns', hostname: 'keys', uuid: '6a1f9e8e-3c55-4b8e-9d2e-1f0f4b1c2d3e', public_keys: { 0: ed, 1: rsa } }));
});

test('no keys: no public-keys entry at all (KubeVirt\'s omitempty)', (t) => {
  const spec = acceptedSpec(withCreds([sshKey('a')]));
  for (const keys of [undefined, { keys: [], from: 'Secret a' }]) {
    const seed = planSeed(spec, spec.cloudInit!, { path: '/r/ci.iso', ...(keys && { publicKeys: keys }) });
    t.false(seed.files[0]!.data.toString().includes('public'));
    t.is(seed.files[0]!.from, 'vm-launcher');
  }
});
