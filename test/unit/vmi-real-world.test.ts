// The VMIs people really write: the design's compact form, scheduling fields, fields that need KubeVirt's cluster,
// KubeVirt's webhook defaults, a VirtualMachine's run strategy, and the disks the launcher creates itself.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../harness/guest-disk.js';
import { parseVmi, parseVmiText, startRefusals, parseQuantity } from '../../domain/manifest/index.js';
import { COMPACT_DEFAULT_MEMORY, nameFromSource } from '../../domain/manifest/compact-form.js';
import type { Problem } from '../../domain/problem.js';
import { claimOf } from '../helpers/disk-source.js';
import { vmi } from '../helpers/vmi-builder.js';

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests poke at raw manifests

/** The filesystem-PV design's own example, verbatim (the issue restored its indentation). */
export const SEED_EXAMPLE = `kind: VMI
spec:
  domain:
    devices:
      disks:
      - name: root-disk
        volumeName: my-fs-store
  volumes:
  - name: my-fs-store
    persistentVolumeClaim: my-fs-claim
`;

test('examples/vmi/vmi-design-example.yaml is the design\'s example, verbatim (the integration test boots that file)', (t) => {
  t.is(readFileSync(join(repoRoot, 'examples', 'vmi', 'vmi-design-example.yaml'), 'utf8'), SEED_EXAMPLE);
});

const rows = (problems: Problem[]) => problems.map((p) => [p.reason, p.severity, p.field]);

// ---------------------------------------------------------------------------------------------------------------
// 1. The compact form

test('the seed example passes, with each default it needs shown as a note', (t) => {
  const { spec, problems } = parseVmiText(SEED_EXAMPLE, { sourceName: 'my-vm.yaml' });
  t.truthy(spec);
  t.deepEqual(rows(problems), [
    ['CompactFormDefault', 'warning', 'metadata.name'],
    ['CompactFormDefault', 'warning', 'spec.domain.memory.guest'],
  ]);
  t.regex(problems[0]!.message, /my-vm .*file name my-vm\.yaml/);
  t.like(spec, { name: 'my-vm', namespace: 'default', memoryBytes: parseQuantity(COMPACT_DEFAULT_MEMORY), cpu: { sockets: 1, cores: 1, threads: 1 } });
  t.deepEqual(spec!.disks.map((d) => [d.name, d.volumeName, claimOf(d), d.bus, d.device]), [['root-disk', 'my-fs-store', 'my-fs-claim', 'virtio', 'disk']]);
});

test('the compact form: a name from the file when usable, else the fixed default', (t) => {
  t.is(nameFromSource('/etc/vm-launcher/vmi.yaml').name, 'vmi');
  t.is(nameFromSource('web-01.yml').name, 'web-01');
  t.is(nameFromSource('My VM.json').name, 'vmi', 'not a DNS-1123 name: the fixed default');
  t.is(nameFromSource(undefined).name, 'vmi');
  const { spec } = parseVmiText(SEED_EXAMPLE);
  t.is(spec?.name, 'vmi');
});

test('the compact form keeps what it is given: no note for a name or a memory size it has', (t) => {
  const doc = parseVmiTextDoc(SEED_EXAMPLE);
  doc['metadata'] = { name: 'named', namespace: 'team' };
  doc['spec'].domain.resources = { requests: { memory: '1Gi' } };
  const { spec, problems } = parseVmi(doc);
  t.deepEqual(problems, []);
  t.like(spec, { name: 'named', namespace: 'team', memoryBytes: 2 ** 30 });
});

test('the compact form is validated like the full one: a bad field is still refused with its path', (t) => {
  const doc = parseVmiTextDoc(SEED_EXAMPLE);
  doc['spec'].domain.devices.disks[0].disk = { bus: 'ide' };
  doc['apiVersion'] = 'kubevirt.io/v2';
  const errors = parseVmi(doc).problems.filter((p) => p.severity === 'error').map((p) => [p.reason, p.field]);
  t.deepEqual(errors.sort(), [['ApiVersionUnsupported', 'apiVersion'], ['FieldInvalid', 'spec.domain.devices.disks[0].disk.bus']]);
});

test('the compact form does not paper over a malformed memory field with its default', (t) => {
  const doc = parseVmiTextDoc(SEED_EXAMPLE);
  doc['spec'].domain.memory = '1Gi';
  const problems = parseVmi(doc).problems;
  t.truthy(problems.find((p) => p.reason === 'FieldInvalid' && p.field === 'spec.domain.memory'));
  t.falsy(problems.find((p) => p.reason === 'CompactFormDefault' && p.field === 'spec.domain.memory.guest'));
});

test('the full form keeps its strict rules: no apiVersion, no name, no memory are refused', (t) => {
  const doc = parseVmiTextDoc(SEED_EXAMPLE);
  doc['kind'] = 'VirtualMachineInstance';
  const errors = parseVmi(doc).problems.map((p) => [p.reason, p.field]).sort();
  t.deepEqual(errors, [['ApiVersionUnsupported', 'apiVersion'], ['FieldMissing', 'metadata.name'], ['MemoryMissing', 'spec.domain.memory.guest']]);
});

test('the user\'s document is not changed by the expansion (hooks see it as written)', (t) => {
  const doc = parseVmiTextDoc(SEED_EXAMPLE);
  const before = JSON.stringify(doc);
  parseVmi(doc);
  t.is(JSON.stringify(doc), before);
});

function parseVmiTextDoc(text: string): Doc {
  return parseVmiText(text).raw as Doc;
}

// ---------------------------------------------------------------------------------------------------------------
// 2. Scheduling fields and fields that need KubeVirt's cluster

const base = (): Doc => vmi();

test('scheduling fields are accepted and each is listed as handled by the scheduler', (t) => {
  const doc = base();
  Object.assign(doc['spec'], {
    nodeSelector: { disk: 'ssd' }, affinity: { nodeAffinity: {} }, tolerations: [{ key: 'k', operator: 'Exists' }],
    topologySpreadConstraints: [{ maxSkew: 1 }], schedulerName: 'custom', priorityClassName: 'high', evictionStrategy: 'LiveMigrate',
  });
  const { spec, problems } = parseVmi(doc);
  t.truthy(spec, 'never refused for a scheduling field');
  t.deepEqual(rows(problems), [
    'nodeSelector', 'affinity', 'tolerations', 'topologySpreadConstraints', 'schedulerName', 'priorityClassName', 'evictionStrategy',
  ].map((f) => ['HandledByScheduler', 'warning', `spec.${f}`]));
  t.true(problems.every((p) => p.message.includes('handled by the scheduler')));
  t.regex(problems.at(-1)!.message, /no live migration/);
});

test('scheduling fields in a VirtualMachine template are noted at their path', (t) => {
  const vm = { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine', metadata: { name: 'vm' }, spec: { runStrategy: 'Always', template: { spec: { ...base()['spec'], nodeSelector: { a: 'b' } } } } };
  t.deepEqual(rows(parseVmi(vm).problems), [['HandledByScheduler', 'warning', 'spec.template.spec.nodeSelector']]);
});

const clusterCases: Array<[string, (d: Doc) => void, string, RegExp]> = [
  ['containerDisk', (d) => { d['spec'].volumes[0] = { name: 'rootdisk', containerDisk: { image: 'x' } }; }, 'spec.volumes[0].containerDisk', /node agent/],
  ['dataVolume', (d) => { d['spec'].volumes[0] = { name: 'rootdisk', dataVolume: { name: 'dv' } }; }, 'spec.volumes[0].dataVolume', /CDI/],
  ['hotpluggable PVC', (d) => { d['spec'].volumes[0].persistentVolumeClaim.hotpluggable = true; }, 'spec.volumes[0].persistentVolumeClaim.hotpluggable', /running pod/],
  ['dedicatedCpuPlacement', (d) => { d['spec'].domain.cpu = { cores: 2, dedicatedCpuPlacement: true }; }, 'spec.domain.cpu.dedicatedCpuPlacement', /CPU manager/],
  ['hugepages', (d) => { d['spec'].domain.memory.hugepages = { pageSize: '2Mi' }; }, 'spec.domain.memory.hugepages', /hugepages/],
  ['hostDevices', (d) => { d['spec'].domain.devices.hostDevices = [{ name: 'x', deviceName: 'y' }]; }, 'spec.domain.devices.hostDevices', /device plugins/],
  ['gpus', (d) => { d['spec'].domain.devices.gpus = [{ name: 'x', deviceName: 'y' }]; }, 'spec.domain.devices.gpus', /GPUs/],
  ['cpu hotplug', (d) => { d['spec'].domain.cpu = { sockets: 1, maxSockets: 4 }; }, 'spec.domain.cpu.maxSockets', /hotplug/],
  ['memory hotplug', (d) => { d['spec'].domain.memory.maxGuest = '1Gi'; }, 'spec.domain.memory.maxGuest', /hotplug/],
];

for (const [title, mutate, field, needs] of clusterCases) {
  test(`needs the cluster, refused with its path and why: ${title}`, (t) => {
    const doc = base();
    mutate(doc);
    const r = parseVmi(doc);
    t.is(r.spec, undefined);
    const errors = r.problems.filter((p) => p.severity === 'error');
    t.deepEqual(errors.map((p) => [p.reason, p.field]), [['FieldNeedsCluster', field]]);
    t.regex(errors[0]!.message, needs);
    t.regex(errors[0]!.message, /vm-launcher runs alone in the pod/);
    t.truthy(errors[0]!.fix);
  });
}

test('hotpluggable: false is simply accepted', (t) => {
  const doc = base();
  doc['spec'].volumes[0].persistentVolumeClaim.hotpluggable = false;
  t.deepEqual(parseVmi(doc).problems, []);
});

// ---------------------------------------------------------------------------------------------------------------
// 3. KubeVirt's webhook defaults; a VirtualMachine's run strategy

test('a volume no disk uses gets a virtio disk of its own, appended, with a note', (t) => {
  const doc = base();
  doc['spec'].volumes.push({ name: 'data', persistentVolumeClaim: { claimName: 'data' } });
  const { spec, problems } = parseVmi(doc);
  t.deepEqual(rows(problems), [['KubeVirtDefault', 'warning', 'spec.volumes[1]']]);
  t.deepEqual(spec?.disks.map((d) => [d.name, d.volumeName, d.bus, d.device, d.field]), [
    ['rootdisk', 'rootdisk', 'virtio', 'disk', 'spec.domain.devices.disks[0]'],
    ['data', 'data', 'virtio', 'disk', 'spec.volumes[1]'],
  ]);
});

test('devices: {} with one volume (KubeVirt\'s vmi-sata example shape) gets its disk', (t) => {
  const doc = base();
  doc['spec'].domain.devices = {};
  const { spec, problems } = parseVmi(doc);
  t.deepEqual(spec?.disks.map((d) => d.name), ['rootdisk']);
  t.deepEqual(problems.map((p) => p.reason), ['KubeVirtDefault']);
});

const vm = (vmSpec: Doc): Doc => ({ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine', metadata: { name: 'vm' }, spec: { ...vmSpec, template: { spec: base()['spec'] } } });

const strategies: Array<[string, Doc, string | undefined, boolean]> = [
  ['runStrategy Always', { runStrategy: 'Always' }, 'Always', false],
  ['runStrategy Manual', { runStrategy: 'Manual' }, 'Manual', false],
  ['runStrategy RerunOnFailure', { runStrategy: 'RerunOnFailure' }, 'RerunOnFailure', false],
  ['runStrategy Once', { runStrategy: 'Once' }, 'Once', false],
  ['runStrategy Halted', { runStrategy: 'Halted' }, 'Halted', true],
  ['running: true', { running: true }, 'Always', false],
  ['running: false', { running: false }, 'Halted', true],
  ['neither', {}, undefined, false],
];
for (const [title, vmSpec, strategy, halted] of strategies) {
  test(`a VirtualMachine with ${title}`, (t) => {
    const { spec, problems } = parseVmi(vm(vmSpec));
    t.deepEqual(problems, []);
    t.is(spec?.runStrategy, strategy as never);
    const refusals = startRefusals(spec!);
    t.deepEqual(refusals.map((p) => [p.reason, p.severity, p.field]), halted ? [['VmHalted', 'error', 'spec.runStrategy']] : []);
    if (halted) t.regex(refusals[0]!.message, /halted.*would not start it/);
  });
}

test('a VirtualMachine run strategy: both fields, an unknown value, a migration target are refused', (t) => {
  const errors = (vmSpec: Doc) => parseVmi(vm(vmSpec)).problems.map((p) => [p.reason, p.field]);
  t.deepEqual(errors({ runStrategy: 'Always', running: true }), [['FieldInvalid', 'spec.running']]);
  t.deepEqual(errors({ runStrategy: 'Sometimes' }), [['FieldInvalid', 'spec.runStrategy']]);
  t.deepEqual(errors({ running: 'yes' }), [['FieldInvalid', 'spec.running']]);
  t.deepEqual(errors({ runStrategy: 'WaitAsReceiver' }), [['FieldNeedsCluster', 'spec.runStrategy']]);
});

test('a VirtualMachineInstance has no run strategy and is never halted', (t) => {
  const { spec } = parseVmi(base());
  t.is(spec?.runStrategy, undefined);
  t.deepEqual(startRefusals(spec!), []);
});

// ---------------------------------------------------------------------------------------------------------------
// 6. emptyDisk and ephemeral volumes (parsing: the run stage creates them)

test('emptyDisk: its capacity, rounded down to a whole MiB as KubeVirt does', (t) => {
  const doc = base();
  doc['spec'].volumes.push({ name: 'scratch', emptyDisk: { capacity: '2Gi' } }, { name: 'odd', emptyDisk: { capacity: 5 * 2 ** 20 + 123 } });
  doc['spec'].domain.devices.disks.push({ name: 'scratch', disk: { bus: 'sata' } }, { name: 'odd' });
  const { spec, problems } = parseVmi(doc);
  t.deepEqual(problems, []);
  t.deepEqual(spec?.disks.slice(1).map((d) => [d.name, d.bus, d.source, claimOf(d)]), [
    ['scratch', 'sata', { kind: 'emptyDisk', capacityBytes: 2 * 2 ** 30 }, undefined],
    ['odd', 'virtio', { kind: 'emptyDisk', capacityBytes: 5 * 2 ** 20 }, undefined],
  ]);
});

test('ephemeral: the PVC that backs the overlay', (t) => {
  const doc = base();
  doc['spec'].volumes[0] = { name: 'rootdisk', ephemeral: { persistentVolumeClaim: { claimName: 'golden', readOnly: true } } };
  const { spec, problems } = parseVmi(doc);
  t.deepEqual(problems, []);
  t.like(spec?.disks[0], { name: 'rootdisk', source: { kind: 'ephemeral', claimName: 'golden' }, readonly: false });
});

const createdRefusals: Array<[string, Doc, Array<[string, string]>]> = [
  ['emptyDisk without capacity', { emptyDisk: {} }, [['FieldMissing', 'spec.volumes[0].emptyDisk.capacity']]],
  ['emptyDisk with a bad capacity', { emptyDisk: { capacity: 'huge' } }, [['FieldInvalid', 'spec.volumes[0].emptyDisk.capacity']]],
  ['emptyDisk below 1Mi', { emptyDisk: { capacity: '100Ki' } }, [['FieldInvalid', 'spec.volumes[0].emptyDisk.capacity']]],
  ['emptyDisk with an unknown field', { emptyDisk: { capacity: '1Gi', sparse: true } }, [['FieldNotSupported', 'spec.volumes[0].emptyDisk.sparse']]],
  ['ephemeral without a claim', { ephemeral: {} }, [['FieldMissing', 'spec.volumes[0].ephemeral.persistentVolumeClaim']]],
  ['ephemeral without a claim name', { ephemeral: { persistentVolumeClaim: {} } }, [['FieldMissing', 'spec.volumes[0].ephemeral.persistentVolumeClaim.claimName']]],
  ['ephemeral with an unknown field', { ephemeral: { persistentVolumeClaim: { claimName: 'x' }, other: 1 } }, [['FieldNotSupported', 'spec.volumes[0].ephemeral.other']]],
];
for (const [title, source, expected] of createdRefusals) {
  test(`refused: ${title}`, (t) => {
    const doc = base();
    doc['spec'].volumes[0] = { name: 'rootdisk', ...source };
    t.deepEqual(parseVmi(doc).problems.filter((p) => p.severity === 'error').map((p) => [p.reason, p.field]), expected);
  });
}
