// cloudInitNoCloud and cloudInitConfigDrive volumes: every accepted form (plain, base64, Secret, network data), the
// seed's files as KubeVirt lays them out, its stable instance id, and every refusal with its reason and path.
import test from 'ava';
import { parseVmi, CLOUD_INIT_SECRET_MAX_BYTES } from '../../domain/manifest/index.js';
import { assertRefused, errorsOf } from '../helpers/refusal-checks.js';
import { describeSeed, planSeed, domainUuid } from '../../domain/convert/index.js';
import { seedHostname } from '../../domain/convert/cloud-init-seed.js';
import { CLOUD_INIT_INLINE_MAX_BYTES } from '../../domain/manifest/vmi-cloud-init.js';
import { seedOf } from '../helpers/disk-source.js';
import { acceptedSpec, pvc, vmi, type Doc } from '../helpers/vmi-builder.js';

const base = (source: Doc, key = 'cloudInitNoCloud'): Doc => vmi({
  name: 'web.example', namespace: 'ns', uid: '6a1f9e8e-3c55-4b8e-9d2e-1f0f4b1c2d3e',
  disks: [{ name: 'rootdisk' }, { name: 'cloudinit', disk: { bus: 'sata' } }],
  volumes: [pvc('rootdisk', 'root'), { name: 'cloudinit', [key]: source }],
});
const accepted = acceptedSpec;
const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');

test('userData: the disk is the seed, read-only, on the bus its disk names', (t) => {
  const spec = accepted(base({ userData: '#cloud-config\n' }));
  const disk = spec.disks[1]!;
  t.like(disk, { volumeName: 'cloudinit', source: { kind: 'cloudInit', cloudInit: { dataSource: 'noCloud' } }, readonly: true, bus: 'sata' });
  t.like(spec.cloudInit, { volumeName: 'cloudinit', dataSource: 'noCloud', field: 'spec.volumes[1].cloudInitNoCloud' });
  t.deepEqual(spec.cloudInit!.userData, { from: 'inline', data: Buffer.from('#cloud-config\n'), field: 'spec.volumes[1].cloudInitNoCloud.userData' });
});

test('userDataBase64 keeps bytes (gzip user data is valid), line breaks allowed', (t) => {
  const bytes = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0xff, 0xfe]);
  const spec = accepted(base({ userDataBase64: b64(bytes), networkDataBase64: `${b64('version: 2\nethernets: {}\n').slice(0, 8)}\n${b64('version: 2\nethernets: {}\n').slice(8)}` }));
  t.deepEqual((spec.cloudInit!.userData as { data: Buffer }).data, bytes);
  t.is((spec.cloudInit!.networkData as { data: Buffer }).data.toString(), 'version: 2\nethernets: {}\n');
});

test('secretRef and networkDataSecretRef name the Secret (read by inspect from the pod)', (t) => {
  const spec = accepted(base({ secretRef: { name: 'my-ud' }, networkDataSecretRef: { name: 'my-nd' } }, 'cloudInitConfigDrive'));
  t.deepEqual(spec.cloudInit!.userData, { from: 'secret', secretName: 'my-ud', field: 'spec.volumes[1].cloudInitConfigDrive.secretRef' });
  t.deepEqual(spec.cloudInit!.networkData, { from: 'secret', secretName: 'my-nd', field: 'spec.volumes[1].cloudInitConfigDrive.networkDataSecretRef' });
  t.is(seedOf(spec.disks[1]!), 'configDrive');
});

test('network data alone is enough', (t) => {
  t.truthy(accepted(base({ networkData: 'version: 2\n' })).cloudInit);
});

test('NoCloud seed: cidata, meta-data with a stable instance-id (the domain UUID) and hostname, user-data, network-config', (t) => {
  const spec = accepted(base({ userData: '#cloud-config\n', networkData: 'version: 2\n' }));
  const seed = planSeed(spec, spec.cloudInit!, {
    path: '/r/cloud-init/cloudinit.iso', userData: { data: Buffer.from('#cloud-config\n'), from: 'inline' }, networkData: { data: Buffer.from('version: 2\n'), from: 'inline' },
  });
  t.is(seed.label, 'cidata');
  t.is(seed.instanceId, '6a1f9e8e-3c55-4b8e-9d2e-1f0f4b1c2d3e');
  t.is(seed.instanceId, domainUuid(spec));
  t.is(seed.hostname, 'web');
  t.deepEqual(seed.files.map((f) => f.path), ['meta-data', 'user-data', 'network-config']);
  t.deepEqual(JSON.parse(seed.files[0]!.data.toString()), { 'instance-id': '6a1f9e8e-3c55-4b8e-9d2e-1f0f4b1c2d3e', 'local-hostname': 'web' });
  const again = planSeed(spec, spec.cloudInit!, { path: '/r/x.iso' });
  t.is(again.instanceId, seed.instanceId, 'the same VM gets the same instance-id on every start');
  t.deepEqual(again.files.map((f) => [f.path, f.data.length]), [['meta-data', seed.files[0]!.data.length], ['user-data', 0]]);
});

test('without a uid the instance-id is still stable: derived from namespace/name', (t) => {
  const doc = base({ userData: 'x' });
  delete doc['metadata'].uid;
  const spec = accepted(doc);
  t.is(planSeed(spec, spec.cloudInit!, { path: '/x' }).instanceId, planSeed(accepted(doc), spec.cloudInit!, { path: '/y' }).instanceId);
});

test('the firmware UUID, when given, is the instance id (KubeVirt\'s choice) and the domain\'s UUID', (t) => {
  const doc = base({ userData: 'x' }, 'cloudInitConfigDrive');
  doc['spec'].domain.firmware = { uuid: '5d307ca9-b3ef-428c-8861-06e72d69f223' };
  const spec = accepted(doc);
  const meta = JSON.parse(planSeed(spec, spec.cloudInit!, { path: '/x' }).files[0]!.data.toString()) as { uuid: string };
  t.is(meta.uuid, '5d307ca9-b3ef-428c-8861-06e72d69f223');
  doc['spec'].volumes[1] = { name: 'cloudinit', cloudInitNoCloud: { userData: 'x' } };
  const noCloud = accepted(doc);
  t.is(planSeed(noCloud, noCloud.cloudInit!, { path: '/x' }).instanceId, '5d307ca9-b3ef-428c-8861-06e72d69f223');
});

test('ConfigDrive seed: config-2, openstack/latest/ files, KubeVirt\'s instance_id <name>.<namespace>', (t) => {
  const spec = accepted(base({ userData: 'x', networkData: '{}' }, 'cloudInitConfigDrive'));
  const seed = planSeed(spec, spec.cloudInit!, { path: '/x', userData: { data: Buffer.from('x'), from: 'inline' }, networkData: { data: Buffer.from('{}'), from: 'inline' } });
  t.is(seed.label, 'config-2');
  t.deepEqual(seed.files.map((f) => f.path), ['openstack/latest/meta_data.json', 'openstack/latest/user_data', 'openstack/latest/network_data.json']);
  t.deepEqual(JSON.parse(seed.files[0]!.data.toString()), { instance_id: 'web.example.ns', uuid: '6a1f9e8e-3c55-4b8e-9d2e-1f0f4b1c2d3e', hostname: 'web' });
});

test('hostname: the name up to its first dot, at most 63 characters', (t) => {
  t.is(seedHostname('a.b.c'), 'a');
  t.is(seedHostname('x'.repeat(80)), 'x'.repeat(63));
});

const V = 'spec.volumes[1].cloudInitNoCloud';
const refusals: Array<[string, Doc, Array<[string, string]>]> = [
  ['bad base64', base({ userDataBase64: 'not base64!' }), [['CloudInitDataInvalid', `${V}.userDataBase64`]]],
  ['base64 with bad padding', base({ networkDataBase64: 'abc' }), [['CloudInitDataInvalid', `${V}.networkDataBase64`]]],
  ['inline user data above 2048 bytes', base({ userData: 'x'.repeat(2049) }), [['CloudInitDataTooLarge', `${V}.userData`]]],
  ['decoded base64 above 2048 bytes', base({ userDataBase64: b64('y'.repeat(2049)) }), [['CloudInitDataTooLarge', `${V}.userDataBase64`]]],
  ['network data above 2048 bytes', base({ userData: 'x', networkData: 'n'.repeat(3000) }), [['CloudInitDataTooLarge', `${V}.networkData`]]],
  ['user data twice', base({ userData: 'x', userDataBase64: b64('x') }), [['FieldInvalid', V]]],
  ['no data at all', base({}), [['FieldMissing', V]]],
  ['secretRef without a name', base({ secretRef: {} }), [['FieldMissing', `${V}.secretRef.name`]]],
  ['unknown key', base({ userData: 'x', extra: 1 }), [['FieldNotSupported', `${V}.extra`]]],
  ['two cloud-init volumes', (() => {
    const d = base({ userData: 'x' });
    d['spec'].domain.devices.disks.push({ name: 'second' });
    d['spec'].volumes.push({ name: 'second', cloudInitConfigDrive: { userData: 'y' } });
    return d;
  })(), [['FieldInvalid', 'spec.volumes[2].cloudInitConfigDrive']]],
];

for (const [title, doc, expected] of refusals) {
  test(`refused: ${title}`, (t) => {
    assertRefused(t, doc, expected);
  });
}

// [data fields, message (after "<field>: "), fix]: the texts that say what to do instead
const refusalTexts: Array<[Doc, string, RegExp, RegExp]> = [
  [{ userData: 'x'.repeat(2049) }, `${V}.userData`, /^2049 bytes; inline user data is limited to 2048 bytes \(KubeVirt's limit\)$/,
    /^put the data in a Secret \(key userdata\) and use secretRef$/],
  [{ userData: 'x', networkDataBase64: b64('n'.repeat(2049)) }, `${V}.networkDataBase64`, /^2049 bytes; inline network data is limited to 2048 bytes/,
    /^put the data in a Secret \(key networkdata\) and use networkDataSecretRef$/],
  [{ userData: 'x', userDataBase64: b64('x'), secretRef: { name: 's' } }, V, /^user data is given 3 times \(userData, userDataBase64, secretRef\)$/,
    /^keep one of userData, userDataBase64, secretRef$/],
  [{ networkData: 'x', networkDataSecretRef: { name: 's' } }, V, /^network data is given 2 times \(networkData, networkDataSecretRef\)$/,
    /^keep one of networkData, networkDataBase64, networkDataSecretRef$/],
  [{}, V, /^neither user data nor network data$/, /^add userData \(or userDataBase64, or secretRef\)$/],
  [{ userData: '', networkData: null }, V, /^neither user data nor network data$/, /add userData/], // empty counts as not given
  [{ secretRef: { name: '' } }, `${V}.secretRef.name`, /^the Secret's name is missing$/, /^name the Secret that holds the data$/],
  [{ userDataBase64: 'abc' }, `${V}.userDataBase64`, /^not valid base64$/, /^encode the data with base64 -w0, or give it as plain text in userData\/networkData$/],
];
for (const [data, field, message, fix] of refusalTexts) {
  test(`refusal text for cloud-init data ${JSON.stringify(data).slice(0, 60)}`, (t) => {
    const p = parseVmi(base(data)).problems.find((x) => x.field === field);
    t.regex(p?.message.slice(`${field}: `.length) ?? 'no problem', message);
    t.regex(p?.fix ?? '', fix);
  });
}

// [userDataBase64, decoded text, or undefined: refused as not valid base64]
const base64Cases: Array<[string, string | undefined]> = [
  ['eA==', 'x'], ['eHk=', 'xy'], ['eHl6', 'xyz'], ['eHl6eA==', 'xyzx'], ['eHl6\neHl6', 'xyzxyz'], ['eHl6\r\neA==', 'xyzx'],
  ['Pz8/', '???'], ['Pj4+', '>>>'], // the + and / of the standard alphabet
  ['eA', undefined], ['eA=', undefined], ['eHl', undefined], ['e===', undefined], ['eA==eA==', undefined], ['eHl6 eHl6', undefined],
  ['eA-_', undefined], ['eA==\t', undefined], ['!eHl6', undefined], ['eHl6!', undefined],
];
for (const [encoded, decoded] of base64Cases) {
  test(`userDataBase64 ${JSON.stringify(encoded)}: ${decoded === undefined ? 'refused' : JSON.stringify(decoded)}`, (t) => {
    const r = parseVmi(base({ userDataBase64: encoded }));
    if (decoded === undefined) {
      t.deepEqual(errorsOf(base({ userDataBase64: encoded })), [['CloudInitDataInvalid', `${V}.userDataBase64`]]);
      return;
    }
    t.deepEqual(r.problems.filter((p) => p.severity === 'error'), []);
    t.is((r.spec?.cloudInit?.userData as { data: Buffer }).data.toString(), decoded);
  });
}

test('exactly 2048 bytes inline is accepted (KubeVirt\'s limit is inclusive)', (t) => {
  t.truthy(accepted(base({ userData: 'x'.repeat(2048) })).cloudInit);
});

test('describeSeed: one line with the label, instance id, hostname and every file with its size and source', (t) => {
  const spec = accepted(base({ userData: 'x', networkData: '{}' }));
  const noCloud = planSeed(spec, spec.cloudInit!, { path: '/r/seed.iso', networkData: { data: Buffer.from('{}'), from: 'inline networkData' } });
  t.is(describeSeed(noCloud), 'cloudinit: NoCloud seed labelled cidata at /r/seed.iso, instance-id 6a1f9e8e-3c55-4b8e-9d2e-1f0f4b1c2d3e, hostname web: '
    + 'meta-data 77 B (vm-launcher), user-data 0 B (empty: no user data), network-config 2 B (inline networkData); built by run with xorrisofs');
  const drive = accepted(base({ userData: 'x' }, 'cloudInitConfigDrive'));
  const configDrive = planSeed(drive, drive.cloudInit!, { path: '/r/seed.iso', userData: { data: Buffer.from('xyz'), from: 'Secret s' } });
  t.is(describeSeed(configDrive), 'cloudinit: ConfigDrive seed labelled config-2 at /r/seed.iso, instance-id web.example.ns, hostname web: '
    + 'openstack/latest/meta_data.json 95 B (vm-launcher), openstack/latest/user_data 3 B (Secret s); built by run with xorrisofs');
});

// Survivors of the mutation run on vmi-cloud-init.ts: values of the wrong type (each refused once, never a throw),
// an empty string as absent, where the data came from, and the Secret size limit the launcher enforces.
const wrongTypes: Array<[string, Doc, Array<[string, string]>]> = [
  ['the source not a mapping', base('x' as unknown as Doc), [['FieldInvalid', 'spec.volumes[1].cloudInitNoCloud']]],
  ['secretRef not a mapping', base({ secretRef: 'my-ud' }), [['FieldInvalid', 'spec.volumes[1].cloudInitNoCloud.secretRef']]],
  ['userData a number', base({ userData: 5 }), [['FieldInvalid', 'spec.volumes[1].cloudInitNoCloud.userData']]],
  ['userDataBase64 a number', base({ userDataBase64: 5 }), [['FieldInvalid', 'spec.volumes[1].cloudInitNoCloud.userDataBase64']]],
];
for (const [title, doc, expected] of wrongTypes) {
  test(`cloud-init of the wrong type is refused, not thrown: ${title}`, (t) => {
    t.deepEqual(errorsOf(doc), expected);
  });
}

test('cloud-init: an empty userData beside secretRef is absent, not a second source; base64 data says it was base64', (t) => {
  t.like(accepted(base({ userData: '', secretRef: { name: 'my-ud' } })).cloudInit?.userData, { from: 'secret', secretName: 'my-ud' });
  t.is(accepted(base({ userDataBase64: b64('#cloud-config\n') })).cloudInit?.userData?.from, 'base64');
});

test('cloud-init: a Secret\'s data may be up to 1 MiB (Kubernetes\' Secret limit), inline data 2048 bytes', (t) => {
  t.is(CLOUD_INIT_SECRET_MAX_BYTES, 1024 * 1024);
  t.is(CLOUD_INIT_INLINE_MAX_BYTES, 2048);
});

test('cloud-init: userData: null beside secretRef is absent (Kubernetes null), not a second source', (t) => {
  t.like(accepted(base({ userData: null, secretRef: { name: 'my-ud' } })).cloudInit?.userData, { from: 'secret', secretName: 'my-ud' });
});
