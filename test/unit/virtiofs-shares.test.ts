// virtiofs shares (spec.domain.devices.filesystems): parsed and paired with their PVC, refused by exact path when
// they cannot be served, and built into the domain as an externally launched virtiofsd's socket; buildFilesystems
// called directly reports a missing socket dir as an InternalError and builds nothing.
import test from 'ava';
import { parseVmi } from '../../domain/manifest/index.js';
import { buildDomain } from '../../domain/convert/index.js';
import { buildFilesystems } from '../../domain/convert/build-filesystems.js';
import type { FilesystemSpec } from '../../domain/model/index.js';
import type { Problem } from '../../domain/problem.js';
import { domainToXml } from '../../domain/libvirt/index.js';
import { parseDomainXml } from '../helpers/parse-domain-xml.js';
import { pvc, vmi, type Doc } from '../helpers/vmi-builder.js';
import { fileFacts } from '../helpers/volume-facts.js';

const base = (): Doc => vmi({
  name: 'v', memory: '64Mi',
  disks: [{ name: 'root' }], devices: { filesystems: [{ name: 'share', virtiofs: {} }] },
  volumes: [pvc('root', 'c'), pvc('share', 's')],
});
const fsList = (d: Doc): any[] => // eslint-disable-line @typescript-eslint/no-explicit-any
  d['spec'].domain.devices.filesystems;
const rootFacts = fileFacts('root');

test('a filesystem on a PVC is a share, not a disk: no default disk, no DiskMissing, tag = name', (t) => {
  const r = parseVmi(base());
  t.deepEqual(r.problems, []);
  t.deepEqual(r.spec?.disks.map((d) => d.volumeName), ['root']);
  t.deepEqual(r.spec?.filesystems, [{ name: 'share', volumeName: 'share', field: 'spec.domain.devices.filesystems[0]', claimName: 's', readOnly: false }]);
});

test('a read-only claim makes a read-only share', (t) => {
  const d = base();
  d['spec'].volumes[1].persistentVolumeClaim.readOnly = true;
  t.is(parseVmi(d).spec?.filesystems?.[0]?.readOnly, true);
});

const refusals: Array<[string, (d: Doc) => void, Array<[string, string]>]> = [
  ['a hostDisk volume', (d) => { d['spec'].volumes[1] = { name: 'share', hostDisk: { path: '/data/x.img', type: 'Disk' } }; },
    [['FieldNotSupported', 'spec.volumes[1].hostDisk']]],
  ['an emptyDisk volume', (d) => { d['spec'].volumes[1] = { name: 'share', emptyDisk: { capacity: '1Gi' } }; },
    [['FieldNotSupported', 'spec.volumes[1].emptyDisk']]],
  ['a cloud-init volume', (d) => { d['spec'].volumes[1] = { name: 'share', cloudInitNoCloud: { userData: '#cloud-config' } }; },
    [['FieldNotSupported', 'spec.volumes[1].cloudInitNoCloud']]],
  ['an ephemeral volume', (d) => { d['spec'].volumes[1] = { name: 'share', ephemeral: { persistentVolumeClaim: { claimName: 's' } } }; },
    [['FieldNotSupported', 'spec.volumes[1].ephemeral']]],
  ['a volume that is also a disk', (d) => { d['spec'].domain.devices.disks.push({ name: 'share' }); },
    [['VolumeUsedTwice', 'spec.domain.devices.filesystems[0].name']]],
  ['a volume that does not exist', (d) => { fsList(d)[0]!.name = 'other'; },
    [['VolumeMissing', 'spec.domain.devices.filesystems[0].name'], ['KubeVirtDefault', 'spec.volumes[1]']]],
  ['a tag longer than 36 bytes', (d) => { fsList(d)[0]!.name = 'a'.repeat(37); d['spec'].volumes[1].name = 'a'.repeat(37); },
    [['FieldInvalid', 'spec.domain.devices.filesystems[0].name'], ['KubeVirtDefault', 'spec.volumes[1]']]],
  ['a name that is not a DNS-1123 label', (d) => { fsList(d)[0]!.name = '../etc'; },
    [['FieldInvalid', 'spec.domain.devices.filesystems[0].name'], ['KubeVirtDefault', 'spec.volumes[1]']]],
  ['virtiofs missing', (d) => { delete fsList(d)[0]!.virtiofs; },
    [['FieldMissing', 'spec.domain.devices.filesystems[0].virtiofs'], ['KubeVirtDefault', 'spec.volumes[1]']]],
  ['an option inside virtiofs', (d) => { fsList(d)[0]!.virtiofs = { cache: 'always' }; },
    [['FieldNotSupported', 'spec.domain.devices.filesystems[0].virtiofs.cache']]],
  ['an unknown key on the filesystem', (d) => { fsList(d)[0]!.readOnly = true; },
    [['FieldNotSupported', 'spec.domain.devices.filesystems[0].readOnly']]],
  ['the same volume shared twice', (d) => { fsList(d).push({ name: 'share', virtiofs: {} }); },
    [['FieldInvalid', 'spec.domain.devices.filesystems[1].name']]],
  ['a filesystem that is not an object', (d) => { fsList(d).push('share'); },
    [['FieldInvalid', 'spec.domain.devices.filesystems[1]']]],
];

for (const [what, edit, expected] of refusals) {
  test(`virtiofs refused: ${what}`, (t) => {
    const d = base();
    edit(d);
    const r = parseVmi(d);
    t.deepEqual(r.problems.map((p) => [p.reason, p.field]).sort(), [...expected].sort(), JSON.stringify(r.problems, null, 1));
  });
}

test('the domain connects QEMU to the launcher\'s virtiofsd socket and shares the guest memory', (t) => {
  const spec = parseVmi(base()).spec!;
  const built = buildDomain(spec, new Map([['root', rootFacts]]), { accel: 'qemu', consoleLogPath: '/c', virtiofsSocketDir: '/run/vml/virtiofs' });
  t.deepEqual(built.problems, []);
  t.deepEqual(built.domain?.devices.filesystems, [{ socket: '/run/vml/virtiofs/share.sock', tag: 'share', queue: 1024 }]);
  t.deepEqual(built.domain?.memoryBacking, { source: 'memfd', access: 'shared' });
  const xml = domainToXml(built.domain!);
  t.regex(xml, /<filesystem type="mount" accessmode="passthrough">\s*<driver type="virtiofs" queue="1024"\/>\s*<source socket="\/run\/vml\/virtiofs\/share.sock"\/>\s*<target dir="share"\/>\s*<\/filesystem>/);
  t.truthy(parseDomainXml(xml));
});

test('no share: no filesystem and no shared memory', (t) => {
  const d = base();
  delete d['spec'].domain.devices.filesystems;
  d['spec'].volumes.pop();
  const built = buildDomain(parseVmi(d).spec!, new Map([['root', rootFacts]]), { accel: 'qemu', consoleLogPath: '/c' });
  t.is(built.domain?.devices.filesystems, undefined);
  t.is(built.domain?.memoryBacking, undefined);
});

test('a share without the socket dir is a bug reported as InternalError, never a domain without the share', (t) => {
  const built = buildDomain(parseVmi(base()).spec!, new Map([['root', rootFacts]]), { accel: 'qemu', consoleLogPath: '/c' });
  t.is(built.domain, undefined);
  t.deepEqual(built.problems.map((p) => [p.reason, p.field]), [['InternalError', 'spec.domain.devices.filesystems[0]']]);
});

// What each refusal says and how to fix it, word for word (pinned after mutation testing found the texts and the
// missing/null distinctions unchecked). [what, edit, [reason, field, message, fix] of the filesystem's problems]
const F0 = 'spec.domain.devices.filesystems[0]';
const refusalTexts: Array<[string, (d: Doc) => void, Array<[string, string, string, string]>]> = [
  ['virtiofs: null is missing', (d) => { fsList(d)[0]!.virtiofs = null; },
    [['FieldMissing', `${F0}.virtiofs`, `${F0}.virtiofs: missing; virtiofs is the only filesystem type`, 'add virtiofs: {}']]],
  ['no name', (d) => { delete fsList(d)[0]!.name; },
    [['FieldMissing', `${F0}.name`, `${F0}.name: a filesystem needs a name`, 'name the filesystem after the volume it shares']]],
  ['name: null', (d) => { fsList(d)[0]!.name = null; },
    [['FieldMissing', `${F0}.name`, `${F0}.name: a filesystem needs a name`, 'name the filesystem after the volume it shares']]],
  ['a tag of 37 characters', (d) => { fsList(d)[0]!.name = 'a'.repeat(37); d['spec'].volumes[1].name = 'a'.repeat(37); },
    [['FieldInvalid', `${F0}.name`, `${F0}.name: "${'a'.repeat(37)}" cannot be a virtiofs tag: it must be a DNS-1123 label of at most 36 characters`,
      'name the volume and its filesystem with at most 36 lowercase letters, digits and dashes']]],
  ['the same volume twice', (d) => { fsList(d).push({ name: 'share', virtiofs: {} }); },
    [['FieldInvalid', 'spec.domain.devices.filesystems[1].name', 'spec.domain.devices.filesystems[1].name: another filesystem already shares volume share', 'share each volume once']]],
  ['no such volume', (d) => { fsList(d)[0]!.name = 'other'; },
    [['VolumeMissing', `${F0}.name`, `${F0}.name: filesystem other shares volume other, which spec.volumes does not have`, 'add a persistentVolumeClaim volume named other, or correct the name']]],
  ['also a disk', (d) => { d['spec'].domain.devices.disks.push({ name: 'share' }); },
    [['VolumeUsedTwice', `${F0}.name`, `${F0}.name: volume share is also disk share (spec.domain.devices.disks[1]); a volume is either a disk or a virtiofs share`,
      'remove the disk or the filesystem, or give each its own volume']]],
  ['a hostDisk', (d) => { d['spec'].volumes[1] = { name: 'share', hostDisk: { path: '/data/x.img', type: 'Disk' } }; },
    [['FieldNotSupported', 'spec.volumes[1].hostDisk', `spec.volumes[1].hostDisk: filesystem share (${F0}) can share only a persistentVolumeClaim`,
      'share a filesystem PVC (persistentVolumeClaim), or make this volume a disk']]],
  ['a cloud-init volume (named at its own field)', (d) => { d['spec'].volumes[1] = { name: 'share', cloudInitNoCloud: { userData: '#cloud-config' } }; },
    [['FieldNotSupported', 'spec.volumes[1].cloudInitNoCloud', `spec.volumes[1].cloudInitNoCloud: filesystem share (${F0}) can share only a persistentVolumeClaim`,
      'share a filesystem PVC (persistentVolumeClaim), or make this volume a disk']]],
];
for (const [what, edit, expected] of refusalTexts) {
  test(`virtiofs refusal word for word: ${what}`, (t) => {
    const d = base();
    edit(d);
    const r = parseVmi(d);
    const mine = r.problems.filter((p) => p.field?.startsWith('spec.domain.devices.filesystems') || /share/.test(p.message)).filter((p) => p.reason !== 'KubeVirtDefault');
    t.deepEqual(mine.map((p) => [p.reason, p.field, p.message, p.fix]), expected);
    t.is(r.spec, undefined, 'refused: no spec');
  });
}

test('virtiofs: a tag of exactly 36 characters is accepted; a share on a volume refused for itself gets no second problem', (t) => {
  const d = base();
  fsList(d)[0]!.name = 'a'.repeat(36);
  d['spec'].volumes[1].name = 'a'.repeat(36);
  const r = parseVmi(d);
  t.deepEqual(r.problems, []);
  t.is(r.spec?.filesystems?.[0]?.name, 'a'.repeat(36));
  const c = base();
  c['spec'].volumes[1] = { name: 'share', containerDisk: { image: 'x' } };
  const refused = parseVmi(c);
  t.deepEqual(refused.problems.map((p) => [p.reason, p.field]), [['FieldNeedsCluster', 'spec.volumes[1].containerDisk']], 'only the volume\'s own refusal');
});

test('virtiofs: a name of the wrong type is reported once (by its type), not also as missing', (t) => {
  const d = base();
  fsList(d)[0]!.name = 42;
  const r = parseVmi(d);
  t.deepEqual(r.problems.filter((p) => p.field === `${F0}.name`).map((p) => p.reason), ['FieldInvalid']);
});

test('virtiofs: a virtiofs that is not an object is reported once, by its type; a filesystem that is not an object says what it must be', (t) => {
  const d = base();
  fsList(d)[0]!.virtiofs = 'yes';
  t.deepEqual(parseVmi(d).problems.filter((p) => p.field?.startsWith(F0)).map((p) => [p.reason, p.field]), [['FieldInvalid', `${F0}.virtiofs`]]);
  const n = base();
  fsList(n)[0] = 'share';
  const p = parseVmi(n).problems.find((x) => x.field === F0);
  t.like(p, { reason: 'FieldInvalid', message: `${F0}: a filesystem must be an object`, fix: 'give each filesystem the name of its volume and virtiofs: {}' });
});

// ---------------------------------------------------------------------------------------------- buildFilesystems called directly
const share = (name: string): FilesystemSpec => ({
  name, volumeName: name, field: `spec.domain.devices.filesystems[${name}]`, claimName: `${name}-pvc`, readOnly: false,
});

test('virtiofs shares without a socket dir: an InternalError on the first share, nothing built', (t) => {
  const problems: Problem[] = [];
  t.deepEqual(buildFilesystems(problems, [share('data'), share('logs')], undefined), { filesystems: [] });
  t.like(problems, [{ reason: 'InternalError', severity: 'error', field: 'spec.domain.devices.filesystems[data]',
    message: 'the virtiofs socket dir was not given before the domain was built (a bug)' }]);
  t.is(problems.length, 1);
});

test('no virtiofs shares: nothing built, no shared memory', (t) => {
  t.deepEqual(buildFilesystems([], [], undefined), { filesystems: [] });
});
