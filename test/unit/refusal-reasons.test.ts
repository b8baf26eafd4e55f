// Every refusal: its reason code and the exact manifest path it points at. Each row changes a valid VMI.
import test from 'ava';
import { parseVmi, parseVmiText } from '../../domain/manifest/index.js';
import { ALL_REASONS as DOMAIN_REASON_CODES } from '../../domain/reasons.js';
import { pvc, vmi, type Doc } from '../helpers/vmi-builder.js';

const base = (): Doc => vmi({
  disks: [{ name: 'rootdisk', disk: { bus: 'virtio' } }, { name: 'datadisk' }],
  volumes: [pvc('rootdisk', 'root'), pvc('datadisk', 'data')],
});

const disk = (d: Doc, i: number): Doc => d['spec'].domain.devices.disks[i];
const volume = (d: Doc, i: number): Doc => d['spec'].volumes[i];

test('the base manifest is accepted', (t) => {
  const r = parseVmi(base());
  t.deepEqual(r.problems, []);
  t.truthy(r.spec);
});

const cases: Array<[string, (d: Doc) => void, Array<[string, string]>]> = [
  // Unsupported fields, refused by path.
  ['containerDisk volume', (d) => { volume(d, 1).containerDisk = { image: 'x' }; delete volume(d, 1).persistentVolumeClaim; },
    [['FieldNeedsCluster', 'spec.volumes[1].containerDisk']]],
  ['dataVolume volume', (d) => { volume(d, 0).dataVolume = { name: 'dv' }; delete volume(d, 0).persistentVolumeClaim; },
    [['FieldNeedsCluster', 'spec.volumes[0].dataVolume']]],
  ['an interface without its network', (d) => { d['spec'].domain.devices.interfaces = [{ name: 'default', masquerade: {} }]; },
    [['InterfaceNetworkMismatch', 'spec.domain.devices.interfaces[0].name']]],
  ['a network without its interface', (d) => { d['spec'].networks = [{ name: 'default', pod: {} }]; }, [['InterfaceNetworkMismatch', 'spec.networks[0]']]],
  ['firmware uuid not a UUID', (d) => { d['spec'].domain.firmware = { uuid: 'x' }; }, [['FieldInvalid', 'spec.domain.firmware.uuid']]],
  ['autoattachPodInterface true', (d) => { d['spec'].domain.devices.autoattachPodInterface = true; },
    [['FieldNotSupported', 'spec.domain.devices.autoattachPodInterface']]],
  ['hugepages', (d) => { d['spec'].domain.memory.hugepages = { pageSize: '2Mi' }; }, [['FieldNeedsCluster', 'spec.domain.memory.hugepages']]],
  ['cpu requests', (d) => { d['spec'].domain.resources = { requests: { cpu: '2' } }; }, [['FieldNotSupported', 'spec.domain.resources.requests.cpu']]],
  ['overcommitGuestOverhead', (d) => { d['spec'].domain.resources = { overcommitGuestOverhead: true }; },
    [['FieldNotSupported', 'spec.domain.resources.overcommitGuestOverhead']]],
  ['lun disk', (d) => { disk(d, 1).lun = {}; }, [['FieldNotSupported', 'spec.domain.devices.disks[1].lun']]],
  ['floppy disk', (d) => { disk(d, 1).floppy = {}; }, [['FieldNotSupported', 'spec.domain.devices.disks[1].floppy']]],
  ['disk pciAddress', (d) => { disk(d, 0).disk.pciAddress = '0000:81:01.0'; }, [['FieldNotSupported', 'spec.domain.devices.disks[0].disk.pciAddress']]],
  ['usb bus', (d) => { disk(d, 0).disk.bus = 'usb'; }, [['FieldNotSupported', 'spec.domain.devices.disks[0].disk.bus']]],
  ['cdrom tray', (d) => { disk(d, 1).cdrom = { tray: 'open' }; }, [['FieldNotSupported', 'spec.domain.devices.disks[1].cdrom.tray']]],
  ['pvc hotpluggable', (d) => { volume(d, 0).persistentVolumeClaim.hotpluggable = true; },
    [['FieldNeedsCluster', 'spec.volumes[0].persistentVolumeClaim.hotpluggable']]],
  ['hostDisk shared', (d) => { volume(d, 0).hostDisk = { path: '/a/b.img', type: 'Disk', shared: true }; delete volume(d, 0).persistentVolumeClaim; },
    [['FieldNotSupported', 'spec.volumes[0].hostDisk.shared']]],
  ['unknown top-level key', (d) => { d['extra'] = 1; }, [['FieldNotSupported', 'extra']]],
  ['metadata.generateName', (d) => { d['metadata'].generateName = 'x-'; }, [['FieldNotSupported', 'metadata.generateName']]],
  ['spec.hostname', (d) => { d['spec'].hostname = 'h'; }, [['FieldNotSupported', 'spec.hostname']]],

  // Document level.
  ['wrong apiVersion', (d) => { d['apiVersion'] = 'v1'; }, [['ApiVersionUnsupported', 'apiVersion']]],
  ['missing apiVersion', (d) => { delete d['apiVersion']; }, [['ApiVersionUnsupported', 'apiVersion']]],
  ['wrong kind', (d) => { d['kind'] = 'Pod'; }, [['KindUnsupported', 'kind']]],
  ['missing spec', (d) => { delete d['spec']; }, [['FieldMissing', 'spec']]],
  ['missing domain', (d) => { delete d['spec'].domain; d['spec'].volumes = []; }, [['FieldMissing', 'spec.domain']]],
  ['spec not an object', (d) => { d['spec'] = 'x'; }, [['FieldInvalid', 'spec']]],

  // Metadata.
  ['missing name', (d) => { delete d['metadata'].name; }, [['FieldMissing', 'metadata.name']]],
  ['bad name', (d) => { d['metadata'].name = 'My_VM'; }, [['NameInvalid', 'metadata.name']]],
  ['bad namespace', (d) => { d['metadata'].namespace = 'a.b'; }, [['NameInvalid', 'metadata.namespace']]],
  ['label value not a string', (d) => { d['metadata'].labels = { a: 1 }; }, [['FieldInvalid', 'metadata.labels.a']]],

  // CPU, memory, grace.
  ['zero cores', (d) => { d['spec'].domain.cpu = { cores: 0 }; }, [['FieldInvalid', 'spec.domain.cpu.cores']]],
  ['fractional sockets', (d) => { d['spec'].domain.cpu = { sockets: 1.5 }; }, [['FieldInvalid', 'spec.domain.cpu.sockets']]],
  ['threads as a string', (d) => { d['spec'].domain.cpu = { threads: '2' }; }, [['FieldInvalid', 'spec.domain.cpu.threads']]],
  ['no memory at all', (d) => { delete d['spec'].domain.memory; }, [['MemoryMissing', 'spec.domain.memory.guest']]],
  ['garbage memory', (d) => { d['spec'].domain.memory.guest = '128MB'; }, [['FieldInvalid', 'spec.domain.memory.guest']]],
  ['garbage requests.memory', (d) => { delete d['spec'].domain.memory; d['spec'].domain.resources = { requests: { memory: 'lots' } }; },
    [['FieldInvalid', 'spec.domain.resources.requests.memory']]],
  ['garbage limits.memory', (d) => { d['spec'].domain.resources = { limits: { memory: 'lots' } }; },
    [['FieldInvalid', 'spec.domain.resources.limits.memory']]],
  ['zero memory', (d) => { d['spec'].domain.memory.guest = '0'; }, [['FieldInvalid', 'spec.domain.memory.guest']]],
  ['negative grace', (d) => { d['spec'].terminationGracePeriodSeconds = -1; }, [['FieldInvalid', 'spec.terminationGracePeriodSeconds']]],
  ['machine type not a string', (d) => { d['spec'].domain.machine = { type: 35 }; }, [['FieldInvalid', 'spec.domain.machine.type']]],

  // Disks.
  ['bad bus', (d) => { disk(d, 0).disk.bus = 'ide'; }, [['FieldInvalid', 'spec.domain.devices.disks[0].disk.bus']]],
  ['disk and cdrom', (d) => { disk(d, 0).cdrom = {}; }, [['FieldInvalid', 'spec.domain.devices.disks[0]']]],
  ['cdrom readonly false', (d) => { disk(d, 1).cdrom = { readonly: false }; }, [['FieldInvalid', 'spec.domain.devices.disks[1].cdrom.readonly']]],
  ['cdrom on virtio', (d) => { disk(d, 1).cdrom = { bus: 'virtio' }; }, [['FieldInvalid', 'spec.domain.devices.disks[1].cdrom.bus']]],
  ['bootOrder 0', (d) => { disk(d, 0).bootOrder = 0; }, [['FieldInvalid', 'spec.domain.devices.disks[0].bootOrder']]],
  ['duplicate bootOrder', (d) => { disk(d, 0).bootOrder = 1; disk(d, 1).bootOrder = 1; },
    [['BootOrderDuplicate', 'spec.domain.devices.disks[1].bootOrder']]],
  ['serial with a space', (d) => { disk(d, 0).serial = 'a b'; }, [['FieldInvalid', 'spec.domain.devices.disks[0].serial']]],
  ['serial too long', (d) => { disk(d, 0).serial = 'x'.repeat(21); }, [['FieldInvalid', 'spec.domain.devices.disks[0].serial']]],
  ['bad cache', (d) => { disk(d, 0).cache = 'unsafe'; }, [['FieldInvalid', 'spec.domain.devices.disks[0].cache']]],
  ['io_uring', (d) => { disk(d, 0).io = 'io_uring'; }, [['FieldInvalid', 'spec.domain.devices.disks[0].io']]],
  ['readonly not a boolean', (d) => { disk(d, 0).disk.readonly = 'yes'; }, [['FieldInvalid', 'spec.domain.devices.disks[0].disk.readonly']]],
  ['disk without a name', (d) => { delete disk(d, 1).name; }, [['FieldMissing', 'spec.domain.devices.disks[1].name']]],
  ['disk not an object', (d) => { d['spec'].domain.devices.disks[1] = 'datadisk'; },
    [['FieldInvalid', 'spec.domain.devices.disks[1]']]],
  ['disks not a list', (d) => { d['spec'].domain.devices.disks = {}; },
    [['FieldInvalid', 'spec.domain.devices.disks']]],

  // Matching disks and volumes.
  ['disk without a volume', (d) => { disk(d, 1).name = 'other'; },
    [['VolumeMissing', 'spec.domain.devices.disks[1].name']]],
  ['compact volumeName without a volume', (d) => { disk(d, 1).volumeName = 'nope'; },
    [['VolumeMissing', 'spec.domain.devices.disks[1].volumeName'], ['DiskMissing', 'spec.volumes[1]']]],
  ['two disks on one volume', (d) => { disk(d, 1).volumeName = 'rootdisk'; },
    [['VolumeUsedTwice', 'spec.domain.devices.disks[1].volumeName'], ['DiskMissing', 'spec.volumes[1]']]],
  ['duplicate disk names', (d) => { disk(d, 1).name = 'rootdisk'; },
    [['DiskNameDuplicate', 'spec.domain.devices.disks[1].name'], ['VolumeUsedTwice', 'spec.domain.devices.disks[1].name']]],
  ['duplicate volume names', (d) => { volume(d, 1).name = 'rootdisk'; },
    [['VolumeNameDuplicate', 'spec.volumes[1].name'], ['VolumeMissing', 'spec.domain.devices.disks[1].name']]],

  // Volumes.
  ['volume name with a slash', (d) => { volume(d, 1).name = '../etc'; disk(d, 1).name = '../etc'; }, [['VolumeNameInvalid', 'spec.volumes[1].name']]],
  ['volume name with capitals', (d) => { volume(d, 1).name = 'Data'; disk(d, 1).name = 'Data'; }, [['VolumeNameInvalid', 'spec.volumes[1].name']]],
  ['volume name too long', (d) => { volume(d, 1).name = 'a'.repeat(64); disk(d, 1).name = 'a'.repeat(64); }, [['VolumeNameInvalid', 'spec.volumes[1].name']]],
  ['volume without a name', (d) => { delete volume(d, 1).name; },
    [['FieldMissing', 'spec.volumes[1].name'], ['VolumeMissing', 'spec.domain.devices.disks[1].name']]],
  ['volume without a source', (d) => { delete volume(d, 1).persistentVolumeClaim; }, [['FieldMissing', 'spec.volumes[1]']]],
  ['volume with two sources', (d) => { volume(d, 1).hostDisk = { path: '/a.img', type: 'Disk' }; }, [['FieldInvalid', 'spec.volumes[1]']]],
  ['pvc without claimName', (d) => { volume(d, 1).persistentVolumeClaim = {}; }, [['FieldMissing', 'spec.volumes[1].persistentVolumeClaim.claimName']]],
  ['pvc with empty claim (compact)', (d) => { volume(d, 1).persistentVolumeClaim = ''; }, [['FieldInvalid', 'spec.volumes[1].persistentVolumeClaim']]],
  ['pvc as a number', (d) => { volume(d, 1).persistentVolumeClaim = 5; }, [['FieldInvalid', 'spec.volumes[1].persistentVolumeClaim']]],
  ['hostDisk relative path', (d) => { volume(d, 1).hostDisk = { path: 'disk.img', type: 'Disk' }; delete volume(d, 1).persistentVolumeClaim; },
    [['HostDiskPathInvalid', 'spec.volumes[1].hostDisk.path']]],
  ['hostDisk .. path', (d) => { volume(d, 1).hostDisk = { path: '/var/../etc/shadow', type: 'Disk' }; delete volume(d, 1).persistentVolumeClaim; },
    [['HostDiskPathInvalid', 'spec.volumes[1].hostDisk.path']]],
  ['hostDisk without type', (d) => { volume(d, 1).hostDisk = { path: '/a.img' }; delete volume(d, 1).persistentVolumeClaim; },
    [['FieldMissing', 'spec.volumes[1].hostDisk.type']]],
  ['hostDisk bad type', (d) => { volume(d, 1).hostDisk = { path: '/a.img', type: 'Directory' }; delete volume(d, 1).persistentVolumeClaim; },
    [['FieldInvalid', 'spec.volumes[1].hostDisk.type']]],
  ['hostDisk bad capacity', (d) => { volume(d, 1).hostDisk = { path: '/a.img', type: 'DiskOrCreate', capacity: 'big' }; delete volume(d, 1).persistentVolumeClaim; },
    [['FieldInvalid', 'spec.volumes[1].hostDisk.capacity']]],
  ['hostDisk without path', (d) => { volume(d, 1).hostDisk = { type: 'Disk' }; delete volume(d, 1).persistentVolumeClaim; },
    [['FieldMissing', 'spec.volumes[1].hostDisk.path']]],

  // VirtualMachine.
  ['VirtualMachine without template', (d) => { d['kind'] = 'VirtualMachine'; d['spec'] = { running: true }; },
    [['FieldMissing', 'spec.template']]],
  ['VirtualMachine with dataVolumeTemplates', (d) => {
    d['kind'] = 'VirtualMachine';
    d['spec'] = { runStrategy: 'Always', dataVolumeTemplates: [{}], template: { metadata: { labels: { a: 'b' } }, spec: d['spec'] } };
  }, [['FieldNeedsCluster', 'spec.dataVolumeTemplates']]],
  ['VirtualMachine template field paths', (d) => {
    d['kind'] = 'VirtualMachine';
    volume(d, 0).containerDisk = { image: 'x' };
    delete volume(d, 0).persistentVolumeClaim;
    d['spec'] = { template: { metadata: { namespace: 'x' }, spec: d['spec'] } };
  }, [['FieldNotSupported', 'spec.template.metadata.namespace'], ['FieldNeedsCluster', 'spec.template.spec.volumes[0].containerDisk']]],
  ['VirtualMachine without spec', (d) => { d['kind'] = 'VirtualMachine'; delete d['spec']; }, [['FieldMissing', 'spec']]],
  ['VirtualMachine template with an unknown key', (d) => { d['kind'] = 'VirtualMachine'; d['spec'] = { template: { spec: d['spec'], foo: 1 } }; },
    [['FieldNotSupported', 'spec.template.foo']]],
  ['VirtualMachine template metadata that is not an object', (d) => { d['kind'] = 'VirtualMachine'; d['spec'] = { template: { metadata: 'x', spec: d['spec'] } }; },
    [['FieldInvalid', 'spec.template.metadata']]],
  ['VirtualMachine template labels that are not a map', (d) => { d['kind'] = 'VirtualMachine'; d['spec'] = { template: { metadata: { labels: 'x' }, spec: d['spec'] } }; },
    [['FieldInvalid', 'spec.template.metadata.labels']]],
  // the document's own fields (domain/manifest/vmi.ts)
  ['an unsupported kind (nothing else is read)', (d) => { d['kind'] = 'Pod'; d['spec'] = { containers: [] }; d['metadata'] = { name: 'Bad_Name' }; },
    [['KindUnsupported', 'kind']]],
  ['metadata that is not an object', (d) => { d['metadata'] = 'vm1'; }, [['FieldInvalid', 'metadata'], ['FieldMissing', 'metadata.name']]],
  ['spec: null', (d) => { d['spec'] = null; }, [['FieldMissing', 'spec']]],
  ['name: null', (d) => { d['metadata'].name = null; }, [['FieldMissing', 'metadata.name']]],
  ['a name that is a number (one problem, not also a missing name)', (d) => { d['metadata'].name = 7; }, [['FieldInvalid', 'metadata.name']]],
];

const errorsOf = (doc: unknown): Array<[string, string]> =>
  parseVmi(doc).problems.filter((p) => p.severity === 'error').map((p): [string, string] => [p.reason, p.field ?? '']).sort();

for (const [title, mutate, expected] of cases) {
  test(`refused: ${title}`, (t) => {
    const doc = base();
    mutate(doc);
    const result = parseVmi(doc);
    t.deepEqual(errorsOf(doc), [...expected].sort());
    t.is(result.spec, undefined, 'no spec when there is an error');
    for (const p of result.problems) {
      t.true(DOMAIN_REASON_CODES.includes(p.reason as never), `known reason ${p.reason}`);
      t.truthy(p.fix, `a fix for ${p.reason}`);
      t.true(p.message.length > 0);
    }
  });
}

test('every problem is reported at once, not only the first', (t) => {
  const doc = base();
  doc['spec'].domain.rng = {};
  doc['spec'].domain.cpu = { cores: 0 };
  volume(doc, 0).name = 'Bad_Name';
  disk(doc, 1).serial = '!';
  doc['metadata'].name = 'UPPER';
  t.deepEqual(errorsOf(doc), [
    ['FieldInvalid', 'spec.domain.cpu.cores'],
    ['FieldInvalid', 'spec.domain.devices.disks[1].serial'],
    ['FieldNotSupported', 'spec.domain.rng'],
    ['NameInvalid', 'metadata.name'],
    ['VolumeMissing', 'spec.domain.devices.disks[0].name'],
    ['VolumeNameInvalid', 'spec.volumes[0].name'],
  ]);
});

test('a problem names its volume where there is one', (t) => {
  const doc = base();
  volume(doc, 1).name = 'Data';
  disk(doc, 1).name = 'Data';
  const [p] = parseVmi(doc).problems;
  t.like(p, { reason: 'VolumeNameInvalid', volume: 'Data', field: 'spec.volumes[1].name' });
});

const notObjects: Array<[string, unknown]> = [['null', null], ['a list', []], ['a string', 'vmi'], ['a number', 3]];
for (const [what, doc] of notObjects) {
  test(`a document that is ${what} is ManifestInvalid`, (t) => {
    t.deepEqual(parseVmi(doc).problems.map((p) => [p.reason, p.message, p.fix]),
      [['ManifestInvalid', 'the manifest is not an object', 'give one VirtualMachineInstance as YAML or JSON']]);
  });
}

const textDoc = 'apiVersion: kubevirt.io/v1\nkind: VirtualMachineInstance\nmetadata: {name: a}\nspec: {domain: {memory: {guest: 128Mi}}}\n';
const ten = (x: string): string => `[${Array<string>(10).fill(x).join(', ')}]`;
const nested = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;
// [what, text, message]: every text is ManifestInvalid, with no spec, no raw document and the same fix
const badTexts: Array<[string, string, RegExp]> = [
  ['broken YAML', 'apiVersion: [unclosed', /^the manifest is not valid YAML or JSON: Flow sequence in block collection/],
  ['duplicate keys', 'a: 1\na: 2\n', /^the manifest is not valid YAML or JSON: Map keys must be unique/],
  ['two documents', 'a: 1\n---\nb: 2\n', /^the manifest must hold exactly one document, not 2$/],
  ['a VMI and an explicit null document', `${textDoc}---\n~\n`, /^the manifest must hold exactly one document, not 2$/],
  ['a VMI and a plain scalar document', `${textDoc}---\nx\n`, /^the manifest must hold exactly one document, not 2$/],
  ['a VMI and a tagged empty string (no source text, yet not empty)', `${textDoc}---\n!!str\n`, /^the manifest must hold exactly one document, not 2$/],
  ['an empty file', '', /^the manifest must hold exactly one document, not 0$/],
  ['only a document marker', '---\n', /^the manifest must hold exactly one document, not 0$/],
  ['a syntax error in a second document', `${textDoc}---\na: [\n`, /^the manifest is not valid YAML or JSON: /],
  ['brackets nested 65 deep', `x: ${nested(65)}\n${textDoc}`, /^the manifest nests \[ or \{ deeper than 64 levels: not a VirtualMachineInstance$/],
  ['aliases expanded more than 100 times', `a: &a ${ten('y')}\nb: &b ${ten('*a')}\nc: ${ten('*b')}\n`,
    /^the manifest is not usable YAML: .+ \(YAML aliases are expanded at most 100 times\)$/],
];
for (const [what, text, message] of badTexts) {
  test(`text that is ${what} is ManifestInvalid`, (t) => {
    const r = parseVmiText(text);
    t.deepEqual(r.problems.map((p) => [p.reason, p.field, p.fix]), [['ManifestInvalid', undefined, 'give one VirtualMachineInstance as YAML or JSON']]);
    t.regex(r.problems[0]?.message ?? '', message);
    t.is(r.spec, undefined);
    t.is(r.raw, undefined);
  });
}

// [what, text]: one VMI, read as such (empty documents around it do not count)
const goodTexts: Array<[string, string]> = [
  ['a VMI', textDoc],
  ['a VMI after a document marker', `---\n${textDoc}`],
  ['a VMI followed by a document marker (a YAML stream that ends in ---)', `${textDoc}---\n`],
  ['a VMI between empty documents', `---\n---\n${textDoc}---\n# the end\n`],
  ['a VMI ended by ...', `${textDoc}...\n`],
  ['a VMI with brackets nested 70 deep inside quoted strings and a comment', textDoc.replace('{name: a}', `{name: a, annotations: {x: '${nested(70)}', y: "${nested(70)}"}}`) + `# ${nested(70)}\n`],
];
for (const [what, text] of goodTexts) {
  test(`text that is ${what} is one VMI`, (t) => {
    const r = parseVmiText(text);
    t.deepEqual(r.problems, []);
    t.is(r.spec?.name, 'a');
    t.like(r.raw, { kind: 'VirtualMachineInstance', metadata: { name: 'a' } });
  });
}

test('brackets nested 64 deep are parsed (the limit is 64 levels, not fewer)', (t) => {
  const r = parseVmiText(`x: ${nested(64)}\n${textDoc}`);
  t.deepEqual(r.problems.map((p) => [p.reason, p.field]), [['FieldNotSupported', 'x']]);
});

test('reason codes are unique CamelCase strings', (t) => {
  t.is(new Set(DOMAIN_REASON_CODES).size, DOMAIN_REASON_CODES.length);
  for (const r of DOMAIN_REASON_CODES) t.regex(r, /^[A-Z][A-Za-z]+$/);
});
