// cloudInitNoCloud and cloudInitConfigDrive volumes: every accepted form (plain, base64, Secret, network data), the
// seed's files as KubeVirt lays them out, its stable instance id, and every refusal with its reason and path.
import test from 'ava';
import { parseVmi } from '../../domain/vmi.js';
import { planSeed, seedHostname } from '../../domain/cloud-init-seed.js';
import { domainUuid } from '../../domain/uuid.js';
import type { VmSpec } from '../../domain/types.js';

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests poke at raw manifests

const base = (source: Doc, key = 'cloudInitNoCloud'): Doc => ({
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachineInstance',
  metadata: { name: 'web.example', namespace: 'ns', uid: '6a1f9e8e-3c55-4b8e-9d2e-1f0f4b1c2d3e' },
  spec: {
    domain: { memory: { guest: '128Mi' }, devices: { disks: [{ name: 'rootdisk' }, { name: 'cloudinit', disk: { bus: 'sata' } }] } },
    volumes: [{ name: 'rootdisk', persistentVolumeClaim: { claimName: 'root' } }, { name: 'cloudinit', [key]: source }],
  },
});

const accepted = (doc: Doc): VmSpec => {
  const r = parseVmi(doc);
  if (!r.spec) throw new Error(JSON.stringify(r.problems));
  return r.spec;
};
const errorsOf = (doc: Doc): Array<[string, string]> =>
  parseVmi(doc).problems.filter((p) => p.severity === 'error').map((p): [string, string] => [p.reason, p.field ?? '']).sort();
const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');

test('userData: the disk is the seed, read-only, on the bus its disk names', (t) => {
  const spec = accepted(base({ userData: '#cloud-config\n' }));
  const disk = spec.disks[1]!;
  t.like(disk, { volumeName: 'cloudinit', cloudInit: 'noCloud', readonly: true, bus: 'sata' });
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
  t.is(spec.disks[1]!.cloudInit, 'configDrive');
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
    t.deepEqual(errorsOf(doc), [...expected].sort());
    for (const p of parseVmi(doc).problems) t.truthy(p.fix, `${p.reason} has a fix`);
  });
}

test('exactly 2048 bytes inline is accepted (KubeVirt\'s limit is inclusive)', (t) => {
  t.truthy(accepted(base({ userData: 'x'.repeat(2048) })).cloudInit);
});
