// What a refused manifest tells the user at 3 a.m.: not only the reason code and field (refusal-reasons pins
// those) but a message that starts with the field and says what is wrong, and a fix that says what to do.
import test from 'ava';
import { parseVmi } from '../../domain/manifest/index.js';
import { claimOf, hostDiskPathOf } from '../helpers/disk-source.js';
import { disksOf as disks, pvc, vmi, volumesOf as volumes, type Doc } from '../helpers/vmi-builder.js';

const base = (): Doc => vmi({ disks: [{ name: 'root', disk: {} }, { name: 'data' }], volumes: [pvc('root'), pvc('data')] });

// [what, change to the base manifest, reason, field, message (after "field: "), fix]
const cases: Array<[string, (d: Doc) => void, string, string, RegExp, RegExp]> = [
  // spec.volumes
  ['a volume without a source', (d) => { volumes(d)[1] = { name: 'data' }; },
    'FieldMissing', 'spec.volumes[1]', /^volume data has no source$/, /persistentVolumeClaim or hostDisk/],
  ['a volume with two sources', (d) => { volumes(d)[1]!['hostDisk'] = { path: '/a.img', type: 'Disk' }; },
    'FieldInvalid', 'spec.volumes[1]', /^volume data has more than one source \(persistentVolumeClaim, hostDisk\)$/, /exactly one source/],
  ['an empty claim name', (d) => { volumes(d)[1]!['persistentVolumeClaim'] = { claimName: '' }; },
    'FieldInvalid', 'spec.volumes[1].persistentVolumeClaim.claimName', /^the claim name is empty$/, /name the PVC/],
  ['an empty claim in the short form', (d) => { volumes(d)[1]!['persistentVolumeClaim'] = ''; },
    'FieldInvalid', 'spec.volumes[1].persistentVolumeClaim', /^the claim name is empty$/, /name the PVC/],
  ['a claim without claimName', (d) => { volumes(d)[1]!['persistentVolumeClaim'] = { readOnly: true }; },
    'FieldMissing', 'spec.volumes[1].persistentVolumeClaim.claimName', /^missing$/, /name the PVC/],
  ['a volume without a name', (d) => { delete volumes(d)[1]!['name']; volumes(d)[1]!['persistentVolumeClaim'] = null; disks(d).pop(); },
    'FieldMissing', 'spec.volumes[1].name', /^a volume needs a name$/, /name the volume/],
  ['a volume name that is not a label', (d) => { volumes(d)[1]!['name'] = 'Data_1'; disks(d)[1]!['name'] = 'Data_1'; },
    'VolumeNameInvalid', 'spec.volumes[1].name', /^volume name "Data_1" is not a DNS-1123 label$/, /at most 63 lowercase letters/],
  ['a hostDisk without type', (d) => { volumes(d)[1] = { name: 'data', hostDisk: { path: '/a/b.img' } }; },
    'FieldMissing', 'spec.volumes[1].hostDisk.type', /^missing$/, /type: Disk/],
  ['a hostDisk without path', (d) => { volumes(d)[1] = { name: 'data', hostDisk: { type: 'Disk' } }; },
    'FieldMissing', 'spec.volumes[1].hostDisk.path', /^missing$/, /absolute path of the image/],
  ['a hostDisk capacity that is not a quantity', (d) => { volumes(d)[1] = { name: 'data', hostDisk: { path: '/a/b.img', type: 'DiskOrCreate', capacity: '1 Gi' } }; },
    'FieldInvalid', 'spec.volumes[1].hostDisk.capacity', /^"1 Gi" is not a quantity$/, /quantity such as 10Gi/],
  ['a hostDisk capacity of the wrong type', (d) => { volumes(d)[1] = { name: 'data', hostDisk: { path: '/a/b.img', type: 'Disk', capacity: ['1Gi'] } }; },
    'FieldInvalid', 'spec.volumes[1].hostDisk.capacity', /^\["1Gi"\] is not a quantity$/, /quantity such as 10Gi/],
  ['a hostDisk with type: null', (d) => { volumes(d)[1] = { name: 'data', hostDisk: { path: '/a/b.img', type: null } }; },
    'FieldMissing', 'spec.volumes[1].hostDisk.type', /^missing$/, /type: Disk/],
  ['a hostDisk of an unknown type', (d) => { volumes(d)[1] = { name: 'data', hostDisk: { path: '/a/b.img', type: 'File' } }; },
    'FieldInvalid', 'spec.volumes[1].hostDisk.type', /^"File" is not one of Disk, DiskOrCreate$/, /use one of: Disk, DiskOrCreate/],
  ['a hostDisk with path: null', (d) => { volumes(d)[1] = { name: 'data', hostDisk: { path: null, type: 'Disk' } }; },
    'FieldMissing', 'spec.volumes[1].hostDisk.path', /^missing$/, /absolute path of the image/],
  ['a hostDisk path that is not a string', (d) => { volumes(d)[1] = { name: 'data', hostDisk: { path: 7, type: 'Disk' } }; },
    'FieldInvalid', 'spec.volumes[1].hostDisk.path', /^must be a string, not 7$/, /quote the value/],
  ['a negative hostDisk capacity', (d) => { volumes(d)[1] = { name: 'data', hostDisk: { path: '/a/b.img', type: 'Disk', capacity: -1 } }; },
    'FieldInvalid', 'spec.volumes[1].hostDisk.capacity', /^-1 is not a quantity$/, /quantity such as 10Gi/],
  ['a boolean hostDisk capacity', (d) => { volumes(d)[1] = { name: 'data', hostDisk: { path: '/a/b.img', type: 'Disk', capacity: true } }; },
    'FieldInvalid', 'spec.volumes[1].hostDisk.capacity', /^true is not a quantity$/, /quantity such as 10Gi/],
  ['a hostDisk that is not an object', (d) => { volumes(d)[1] = { name: 'data', hostDisk: '/a/b.img' }; },
    'FieldInvalid', 'spec.volumes[1].hostDisk', /^must be an object$/, /mapping of keys to values/],
  // matching disks and volumes
  ['a disk whose volume is missing', (d) => { disks(d)[1]!['volumeName'] = 'other'; volumes(d).pop(); },
    'VolumeMissing', 'spec.domain.devices.disks[1].volumeName', /^disk data uses volume other, which spec.volumes does not have$/, /add a volume named other/],
  ['a volume no disk uses (a warning: KubeVirt gives it a virtio disk)', (d) => { disks(d).pop(); },
    'KubeVirtDefault', 'spec.volumes[1]', /^no disk uses volume data; as in KubeVirt, it gets a virtio disk named data$/, /list a disk for data/],
  ['two disks on one volume', (d) => { disks(d)[1]!['volumeName'] = 'root'; volumes(d).pop(); },
    'VolumeUsedTwice', 'spec.domain.devices.disks[1].volumeName', /^volume root already backs disk root; one volume backs exactly one disk$/, /its own volume/],
  ['two volumes with one name', (d) => { volumes(d)[1]!['name'] = 'root'; disks(d).pop(); },
    'VolumeNameDuplicate', 'spec.volumes[1].name', /^another volume is already named root$/, /every volume a unique name/],
  ['two disks with one boot order', (d) => { disks(d)[0]!['bootOrder'] = 1; disks(d)[1]!['bootOrder'] = 1; },
    'BootOrderDuplicate', 'spec.domain.devices.disks[1].bootOrder', /^disk root already has boot order 1$/, /different bootOrder/],
  // per-volume storage annotations (domain/manifest/volume-storage.ts)
  ['a claim size for a volume no disk uses', (d) => { d['metadata'].annotations = { 'claim-size.vm-launcher.io/nosuch': '1Gi' }; },
    'FieldInvalid', 'metadata.annotations["claim-size.vm-launcher.io/nosuch"]', /^no disk uses a volume named "nosuch"$/,
    /^name a volume of spec.volumes after the \/, e.g. claim-size.vm-launcher.io\/rootdisk$/],
  ['a claim size that is not a quantity', (d) => { d['metadata'].annotations = { 'claim-size.vm-launcher.io/data': 'lots' }; },
    'FieldInvalid', 'metadata.annotations["claim-size.vm-launcher.io/data"]', /^"lots" is not a quantity$/, /PVC's size as a Kubernetes quantity such as 10Gi/],
  ['a claim size on a hostDisk', (d) => { volumes(d)[1] = { name: 'data', hostDisk: { path: '/a/b.img', type: 'Disk' } }; d['metadata'].annotations = { 'claim-size.vm-launcher.io/data': '1Gi' }; },
    'FieldInvalid', 'metadata.annotations["claim-size.vm-launcher.io/data"]', /^a hostDisk has no claim$/, /^set hostDisk.capacity instead$/],
  ['a preallocation flag that is not true or false', (d) => { d['metadata'].annotations = { 'preallocation.vm-launcher.io/data': 'yes' }; },
    'FieldInvalid', 'metadata.annotations["preallocation.vm-launcher.io/data"]', /^"yes" is neither "true" nor "false"$/, /write "true" for a preallocated/],
  // spec.domain
  ['guest memory of 0', (d) => { d['spec'].domain.memory.guest = '0'; },
    'FieldInvalid', 'spec.domain.memory.guest', /^the guest needs some memory$/, /128Mi/],
  ['memory that is not a quantity', (d) => { d['spec'].domain.memory.guest = '1 Gi'; },
    'FieldInvalid', 'spec.domain.memory.guest', /^"1 Gi" is not a quantity$/, /quantity such as 128Mi/],
  ['no memory at all', (d) => { delete d['spec'].domain.memory; },
    'MemoryMissing', 'spec.domain.memory.guest', /^the guest's memory is not given$/, /memory.guest/],
  ['guest memory above the limit', (d) => { d['spec'].domain.resources = { limits: { memory: '64Mi' } }; },
    'MemoryAboveLimit', 'spec.domain.memory.guest', /^guest memory 134217728 B is above resources.limits.memory 67108864 B/, /raise resources.limits.memory/],
  ['a CD-ROM on virtio', (d) => { disks(d)[1]!['cdrom'] = { bus: 'virtio' }; },
    'FieldInvalid', 'spec.domain.devices.disks[1].cdrom.bus', /^a CD-ROM cannot sit on virtio$/, /sata or bus: scsi/],
  ['a disk that is disk and cdrom', (d) => { disks(d)[0]!['cdrom'] = {}; },
    'FieldInvalid', 'spec.domain.devices.disks[0]', /^a disk is either disk or cdrom, not both$/, /keep one/],
  ['a bad serial', (d) => { disks(d)[0]!['serial'] = 'has space'; },
    'FieldInvalid', 'spec.domain.devices.disks[0].serial', /^"has space" is not a valid disk serial$/, /1 to 20 characters/],
  ['a usb bus', (d) => { disks(d)[0]!['disk'] = { bus: 'usb' }; },
    'FieldNotSupported', 'spec.domain.devices.disks[0].disk.bus', /^usb is not supported$/, /^use one of: virtio, sata, scsi$/],
  ['threads of 0', (d) => { d['spec'].domain.cpu = { threads: 0 }; },
    'FieldInvalid', 'spec.domain.cpu.threads', /^must be an integer >= 1, not 0$/, /whole number >= 1/],
  // the document itself (domain/manifest/vmi.ts)
  ['an unsupported apiVersion', (d) => { d['apiVersion'] = 'kubevirt.io/v2'; },
    'ApiVersionUnsupported', 'apiVersion', /^"kubevirt.io\/v2" is not supported$/, /^use apiVersion: kubevirt.io\/v1$/],
  ['no apiVersion', (d) => { delete d['apiVersion']; },
    'ApiVersionUnsupported', 'apiVersion', /^null is not supported$/, /^use apiVersion: kubevirt.io\/v1$/],
  ['an apiVersion that is not a string', (d) => { d['apiVersion'] = ['kubevirt.io/v1']; },
    'ApiVersionUnsupported', 'apiVersion', /^\["kubevirt.io\/v1"\] is not supported$/, /^use apiVersion: kubevirt.io\/v1$/],
  ['an unsupported kind', (d) => { d['kind'] = 'Pod'; },
    'KindUnsupported', 'kind', /^"Pod" is not supported$/, /^give a VirtualMachineInstance \(or a VirtualMachine with spec.template\)$/],
  ['no kind', (d) => { delete d['kind']; },
    'KindUnsupported', 'kind', /^null is not supported$/, /VirtualMachineInstance/],
  ['a kind that is not a string', (d) => { d['kind'] = { VirtualMachineInstance: true }; },
    'KindUnsupported', 'kind', /^\{"VirtualMachineInstance":true\} is not supported$/, /VirtualMachineInstance/],
  ['no spec', (d) => { delete d['spec']; },
    'FieldMissing', 'spec', /^missing$/, /^add spec$/],
  ['a VirtualMachine without a template', (d) => { d['kind'] = 'VirtualMachine'; d['spec'] = { running: true }; },
    'FieldMissing', 'spec.template', /^missing$/, /^add spec.template$/],
  ['a VirtualMachine template without a spec', (d) => { d['kind'] = 'VirtualMachine'; d['spec'] = { running: true, template: { metadata: {} } }; },
    'FieldMissing', 'spec.template.spec', /^missing$/, /^add spec.template.spec$/],
  ['no name', (d) => { delete d['metadata'].name; },
    'FieldMissing', 'metadata.name', /^missing$/, /^name the VM$/],
  ['a name that is not a subdomain', (d) => { d['metadata'].name = 'My_VM'; },
    'NameInvalid', 'metadata.name', /^"My_VM" is not a DNS-1123 subdomain$/, /^use lowercase letters, digits, dashes and dots, at most 253 characters$/],
  ['a namespace that is not a label', (d) => { d['metadata'].namespace = 'a.b'; },
    'NameInvalid', 'metadata.namespace', /^"a.b" is not a DNS-1123 label$/, /^use the namespace the VMI lives in$/],
  ['a uid that is not a UUID (a warning)', (d) => { d['metadata'].uid = 'abc'; },
    'UidNotUuid', 'metadata.uid', /^"abc" is not a UUID; the domain UUID is derived from namespace\/name$/, /^leave uid to Kubernetes, or remove it$/],
  ['a hook sidecar', (d) => { d['metadata'].annotations = { 'hooks.kubevirt.io/hookSidecars': '[]' }; },
    'FieldNotSupported', 'metadata.annotations["hooks.kubevirt.io/hookSidecars"]', /^hook sidecars are not supported$/, /^remove the annotation and put the hook in the pod image or a volume as an executable under --hooks-dir \(see docs\/operations\.md: Hooks\)$/],
  ['a second cloud-init volume', (d) => {
    volumes(d).push({ name: 'ci1', cloudInitNoCloud: { userData: '#cloud-config\n' } }, { name: 'ci2', cloudInitNoCloud: { userData: '#cloud-config\n' } });
    disks(d).push({ name: 'ci1', disk: {} }, { name: 'ci2', disk: {} });
  }, 'FieldInvalid', 'spec.volumes[3].cloudInitNoCloud', /^a second cloud-init volume; the guest's cloud-init reads one$/, /^merge the data into one cloudInitNoCloud \(or cloudInitConfigDrive\) volume$/],
];

for (const [what, change, reason, field, message, fix] of cases) {
  test(`refusal text: ${what}`, (t) => {
    const doc = base();
    change(doc);
    const r = parseVmi(doc);
    const p = r.problems.find((x) => x.reason === reason && x.field === field);
    if (!p) return t.fail(`no ${reason} at ${field} in ${JSON.stringify(r.problems)}`);
    t.is(r.spec === undefined, p.severity === 'error'); // a warning keeps the spec
    t.true(p.message.startsWith(`${field}: `), p.message);
    t.regex(p.message.slice(field.length + 2), message);
    t.regex(p.fix ?? '', fix);
  });
}

test('every problem of a thoroughly broken manifest has a message and a fix', (t) => {
  const doc = base();
  const broken = ['a volume without a source', 'guest memory of 0', 'a bad serial', 'threads of 0'];
  for (const [, change] of cases.filter(([what]) => broken.includes(what))) change(doc);
  const r = parseVmi(doc);
  t.is(r.problems.length, 4);
  for (const p of r.problems) {
    t.true(p.message.length > 0 && (p.fix ?? '').length > 0, JSON.stringify(p));
  }
});

// [what, hostDisk] accepted as they are
const acceptedHostDisks: Array<[string, Doc]> = [
  ['capacity: null', { path: '/a/b.img', type: 'Disk', capacity: null }],
  ['a numeric capacity', { path: '/a/b.img', type: 'DiskOrCreate', capacity: 1073741824 }],
  ['a string capacity', { path: '/a/b.img', type: 'DiskOrCreate', capacity: '1Gi' }],
];
for (const [what, hostDisk] of acceptedHostDisks) {
  test(`a hostDisk with ${what} is accepted`, (t) => {
    const doc = base();
    volumes(doc)[1] = { name: 'data', hostDisk };
    const r = parseVmi(doc);
    t.deepEqual(r.problems, []);
    t.is(r.spec && hostDiskPathOf(r.spec.disks[1]!), '/a/b.img');
  });
}

test('a storage annotation problem names its volume only when the volume exists', (t) => {
  const doc = base();
  doc['metadata'].annotations = { 'claim-size.vm-launcher.io/data': 'lots', 'claim-size.vm-launcher.io/nosuch': '1Gi' };
  const r = parseVmi(doc);
  t.deepEqual(r.problems.map((p) => p.volume), ['data', undefined]);
});

// [annotations, the data disk's storage]
const storageTable: Array<[Record<string, string>, unknown]> = [
  [{}, { mayCreate: true, preallocate: false }],
  [{ 'preallocation.vm-launcher.io/data': 'false' }, { mayCreate: true, preallocate: false }],
  [{ 'preallocation.vm-launcher.io/data': 'true' }, { mayCreate: true, preallocate: true }],
  [{ 'claim-size.vm-launcher.io/data': '1Ki' }, { mayCreate: true, preallocate: false, size: { bytes: 1024, source: 'annotation claim-size.vm-launcher.io/data' } }],
  [{ 'other.example.com/data': 'x', 'vm-launcher.io/data': 'y' }, { mayCreate: true, preallocate: false }],
];
for (const [annotations, storage] of storageTable) {
  test(`storage of a claim with annotations ${JSON.stringify(annotations)}`, (t) => {
    const doc = base();
    doc['metadata'].annotations = annotations;
    const r = parseVmi(doc);
    t.deepEqual(r.problems, []);
    t.deepEqual(r.spec?.disks[1]?.storage, storage);
    t.deepEqual(r.spec?.disks[0]?.storage, { mayCreate: true, preallocate: false }); // the other disk is left alone
  });
}

test('a hostDisk path of the wrong type is one problem, not also a missing path', (t) => {
  const doc = base();
  volumes(doc)[1] = { name: 'data', hostDisk: { path: 7, type: 'Disk' } };
  t.deepEqual(parseVmi(doc).problems.map((p) => [p.reason, p.field]), [['FieldInvalid', 'spec.volumes[1].hostDisk.path']]);
});

test('a hostDisk with a bad type is not handed on for inspection', (t) => {
  const doc = base();
  volumes(doc)[1] = { name: 'data', hostDisk: { path: '/a/b.img', type: 'File' } };
  const r = parseVmi(doc);
  t.is(r.spec, undefined);
  t.deepEqual(r.disks?.map((d) => d.name), ['root']);
});

// [what, change, the disks whose volumes a failed parse still hands on for inspection]: only names that may become paths
const inspectable: Array<[string, (d: Doc) => void, string[]]> = [
  ['an error elsewhere (no memory)', (d) => { delete d['spec'].domain.memory; }, ['root', 'data']],
  ['a volume name that is not a label', (d) => { volumes(d)[1]!['name'] = 'Data'; disks(d)[1]!['name'] = 'Data'; }, ['root']],
  ['a volume name with a slash', (d) => { volumes(d)[1]!['name'] = 'a/b'; disks(d)[1]!['name'] = 'a/b'; }, ['root']],
  ['a hostDisk path with ..', (d) => { volumes(d)[1] = { name: 'data', hostDisk: { path: '/a/../b.img', type: 'Disk' } }; }, ['root']],
  ['no name', (d) => { delete d['metadata'].name; }, ['root', 'data']],
];
for (const [what, change, names] of inspectable) {
  test(`a manifest with ${what} still hands on disks ${names.join(', ')} for inspection`, (t) => {
    const doc = base();
    change(doc);
    const r = parseVmi(doc);
    t.is(r.spec, undefined);
    t.deepEqual(r.disks?.map((d) => d.name), names);
  });
}

// [what, the volume `data`, every problem as [reason, field], the disks still handed on for inspection (none: accepted)]
const dataVolumes: Array<[string, unknown, Array<[string, string]>, string[] | undefined]> = [
  ['a volume that is not an object', 'data', [['FieldInvalid', 'spec.volumes[1]'], ['VolumeMissing', 'spec.domain.devices.disks[1].name']], ['root']],
  ['a volume name: null', { name: null, persistentVolumeClaim: { claimName: 'c' } },
    [['FieldMissing', 'spec.volumes[1].name'], ['VolumeMissing', 'spec.domain.devices.disks[1].name']], ['root']],
  ['a volume name that is a number (one problem, not also a missing name)', { name: 7, persistentVolumeClaim: { claimName: 'c' } },
    [['FieldInvalid', 'spec.volumes[1].name'], ['VolumeMissing', 'spec.domain.devices.disks[1].name']], ['root']],
  ['claimName: null', { name: 'data', persistentVolumeClaim: { claimName: null } }, [['FieldMissing', 'spec.volumes[1].persistentVolumeClaim.claimName']], ['root']],
  ['a claimName that is a number (one problem; the disk is not inspected)', { name: 'data', persistentVolumeClaim: { claimName: 7 } },
    [['FieldInvalid', 'spec.volumes[1].persistentVolumeClaim.claimName']], ['root']],
  ['a claim and hostDisk: null (null is no source)', { name: 'data', persistentVolumeClaim: { claimName: 'c' }, hostDisk: null }, [], undefined],
  ['a claim and hostDisk: undefined', { name: 'data', persistentVolumeClaim: { claimName: 'c' }, hostDisk: undefined }, [], undefined],
  ['two sources (the volume is not inspected)', { name: 'data', persistentVolumeClaim: { claimName: 'c' }, hostDisk: { path: '/a.img', type: 'Disk' } },
    [['FieldInvalid', 'spec.volumes[1]']], ['root']],
  ['an unsupported source', { name: 'data', containerDisk: { image: 'x' } }, [['FieldNeedsCluster', 'spec.volumes[1].containerDisk']], ['root']],
  // keys that name an Object.prototype member must not reach the source parsers (`key in` sees inherited names)
  ['a source named toString', { name: 'data', toString: { userData: 'x' } }, [['FieldNotSupported', 'spec.volumes[1].toString']], ['root']],
  ['a source named constructor', { name: 'data', constructor: { userData: 'x' } }, [['FieldNotSupported', 'spec.volumes[1].constructor']], ['root']],
];
for (const [what, volume, expected, inspected] of dataVolumes) {
  test(`volume data: ${what}`, (t) => {
    const doc = base();
    volumes(doc)[1] = volume as Doc;
    const r = parseVmi(doc);
    t.deepEqual(r.problems.map((p) => [p.reason, p.field]), expected);
    t.deepEqual(r.disks?.map((d) => d.name), inspected);
    if (inspected === undefined) t.is(r.spec && claimOf(r.spec.disks[1]!), 'c');
  });
}

test('a volume that is not an object: the message says what it must be, the fix what a volume needs', (t) => {
  const doc = base();
  volumes(doc)[1] = 'data' as unknown as Doc;
  t.like(parseVmi(doc).problems[0], { message: 'spec.volumes[1]: a volume must be an object', fix: 'give each volume a name and a source' });
});

// [type, may the launcher create the image]
const hostDiskTypes: Array<['Disk' | 'DiskOrCreate', boolean]> = [['Disk', false], ['DiskOrCreate', true]];
for (const [type, mayCreate] of hostDiskTypes) {
  test(`a hostDisk of type ${type} ${mayCreate ? 'may' : 'may not'} be created`, (t) => {
    const doc = base();
    volumes(doc)[1] = { name: 'data', hostDisk: { path: '/a/b.img', type } };
    t.like(parseVmi(doc).spec?.disks[1]?.storage, { mayCreate });
  });
}
