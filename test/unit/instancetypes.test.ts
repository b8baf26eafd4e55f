// A VirtualMachine's instance type and preference, expanded as KubeVirt's VM controller does (pkg/instancetype/apply
// and preference/apply; expected values from its unit tests and the bundled common-instancetypes v1.7.0), then read
// by the same parser `check`, `domain` and `run` use: each series, a few preferences, conflicts naming both fields,
// requirements, the operator's documents, and what stays refused with its own reason.
import test from 'ava';
import { parseVmi, typeDocuments, type TypeDocument } from '../../domain/manifest/index.js';
import { buildDomain } from '../../domain/convert/index.js';
import { domainToXml } from '../../domain/libvirt/index.js';
import { guestTopology, overcommitRequest } from '../../domain/manifest/instancetype-apply.js';
import { COMMON_CLUSTER_INSTANCETYPES, COMMON_CLUSTER_PREFERENCES } from '../../domain/manifest/common-instancetypes.js';
import type { Problem } from '../../domain/problem.js';
import type { Doc } from '../helpers/vmi-builder.js';
import { filesystemFacts } from '../helpers/volume-facts.js';

interface VmParts { instancetype?: Doc; preference?: Doc; domain?: Doc; devices?: Doc; meta?: Doc; spec?: Doc }

/** A VirtualMachine with one PVC disk and whatever parts a test adds. */
function vm(p: VmParts = {}): Doc {
  return {
    apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine', metadata: { name: 'vm1' },
    spec: {
      runStrategy: 'Always',
      ...(p.instancetype && { instancetype: p.instancetype }),
      ...(p.preference && { preference: p.preference }),
      template: {
        ...(p.meta && { metadata: p.meta }),
        spec: {
          domain: { devices: { disks: [{ name: 'root' }], ...p.devices }, ...p.domain },
          volumes: [{ name: 'root', persistentVolumeClaim: { claimName: 'root' } }],
          ...p.spec,
        },
      },
    },
  };
}

const parse = (doc: Doc, docs: readonly TypeDocument[] = []) => parseVmi(doc, { typeDocuments: docs });
const errors = (ps: Problem[]): Array<[string, string]> => ps.filter((p) => p.severity === 'error').map((p) => [p.reason, p.field ?? '']);
/** The expanded template spec (the document hooks get). */
const templateSpec = (r: ReturnType<typeof parse>): Doc => ((r.raw as Doc)['spec'] as Doc)['template']['spec'] as Doc;
const GiB = 2 ** 30;

// ---- each series of the bundled common-instancetypes

test('u1.medium: 1 vCPU as 1 socket, 4Gi, nothing else', (t) => {
  const r = parse(vm({ instancetype: { name: 'u1.medium' } }));
  t.deepEqual(errors(r.problems), []);
  t.deepEqual(r.spec?.cpu, { sockets: 1, cores: 1, threads: 1 });
  t.is(r.spec?.memoryBytes, 4 * GiB);
  t.deepEqual(r.spec?.expansion?.instancetype, { kind: 'VirtualMachineClusterInstancetype', name: 'u1.medium', from: 'bundled common-instancetypes v1.7.0' });
});

test('u1.2xlarge: 8 vCPUs become 8 sockets by default (KubeVirt: "should default to PreferSockets")', (t) => {
  const r = parse(vm({ instancetype: { name: 'u1.2xlarge' } }));
  t.deepEqual(r.spec?.cpu, { sockets: 8, cores: 1, threads: 1 });
  t.is(r.spec?.memoryBytes, 32 * GiB);
});

test('o1: overcommitPercent 50 sets the memory request to half the guest memory', (t) => {
  for (const [name, guest, request] of [['o1.large', '8Gi', '4Gi'], ['o1.nano', '512Mi', '256Mi']] as const) {
    const r = parse(vm({ instancetype: { name } }));
    t.deepEqual(errors(r.problems), [], name);
    const domain = templateSpec(r)['domain'] as Doc;
    t.is(domain['memory']['guest'], guest, name);
    t.is(domain['resources']['requests']['memory'], request, name);
    t.true(r.spec!.expansion!.fields.some((f) => f.field === 'spec.template.spec.domain.resources.requests.memory' && f.from === 'instancetype'));
  }
});

test('overcommit in float32 as KubeVirt computes it (values from numpy float32)', (t) => {
  t.is(overcommitRequest(512_000_000, 15), 435_200_000);
  t.is(overcommitRequest(512_000_000, 80), 102_399_992);
  t.is(overcommitRequest(4 * GiB, 50), 2 * GiB);
  t.is(overcommitRequest(3 * GiB, 10), 2_899_102_720);
});

// cx1, m1, n1, rt1, d1 expand, and what vm-launcher cannot do stays refused with its own reason, naming the source.
const refusedSeries: Array<[string, Array<[string, string]>]> = [
  ['cx1.medium', [
    ['FieldNeedsCluster', 'spec.template.spec.domain.cpu.dedicatedCpuPlacement'], ['FieldNeedsCluster', 'spec.template.spec.domain.cpu.isolateEmulatorThread'],
    ['FieldNeedsCluster', 'spec.template.spec.domain.cpu.numa'], ['FieldNeedsCluster', 'spec.template.spec.domain.cpu.maxSockets'],
    ['FieldNeedsCluster', 'spec.template.spec.domain.memory.hugepages'],
  ]],
  ['m1.large', [['FieldNeedsCluster', 'spec.template.spec.domain.memory.hugepages']]],
  ['n1.medium', [
    ['FieldNeedsCluster', 'spec.template.spec.domain.cpu.dedicatedCpuPlacement'], ['FieldNeedsCluster', 'spec.template.spec.domain.cpu.isolateEmulatorThread'],
    ['FieldNeedsCluster', 'spec.template.spec.domain.memory.hugepages'],
  ]],
  ['rt1.micro', [
    ['FieldNeedsCluster', 'spec.template.spec.domain.cpu.dedicatedCpuPlacement'], ['FieldNeedsCluster', 'spec.template.spec.domain.cpu.isolateEmulatorThread'],
    ['FieldNeedsCluster', 'spec.template.spec.domain.cpu.numa'], ['FieldNeedsCluster', 'spec.template.spec.domain.cpu.realtime'],
    ['FieldNeedsCluster', 'spec.template.spec.domain.memory.hugepages'],
  ]],
  ['d1.small', [['FieldNeedsCluster', 'spec.template.spec.domain.cpu.dedicatedCpuPlacement'], ['FieldNeedsCluster', 'spec.template.spec.domain.cpu.isolateEmulatorThread']]],
];
for (const [name, expected] of refusedSeries) {
  test(`${name}: expanded, then refused by the field's own reason with the instance type named`, (t) => {
    const r = parse(vm({ instancetype: { name } }));
    const errs = r.problems.filter((p) => p.severity === 'error');
    t.deepEqual(errs.map((p): [string, string] => [p.reason, p.field ?? '']).sort(), [...expected].sort());
    for (const p of errs) t.regex(p.message, new RegExp(`\\(set by VirtualMachineClusterInstancetype ${name.replace('.', '\\.')}, bundled common-instancetypes v1\\.7\\.0\\)$`));
  });
}

test('n1: the instance type\'s annotations go into the VMI\'s metadata', (t) => {
  const r = parse(vm({ instancetype: { name: 'n1.medium' } }));
  const meta = ((r.raw as Doc)['spec'] as Doc)['template']['metadata'] as Doc;
  t.deepEqual(meta['annotations'], { 'cpu-load-balancing.crio.io': 'disable', 'cpu-quota.crio.io': 'disable', 'irq-load-balancing.crio.io': 'disable' });
});

test('every bundled instance type expands: known fields only, vCPUs = sockets x cores x threads, memory as given', (t) => {
  const names = Object.keys(COMMON_CLUSTER_INSTANCETYPES);
  t.is(names.length, 65);
  for (const series of ['cx1', 'd1', 'm1', 'n1', 'o1', 'rt1', 'u1']) t.true(names.some((n) => n.startsWith(`${series}.`)), series);
  for (const name of names) {
    const r = parse(vm({ instancetype: { name } }));
    t.deepEqual(r.problems.filter((p) => p.reason === 'InstancetypeInvalid' || p.reason === 'InstancetypeConflict'), [], name);
    const spec = COMMON_CLUSTER_INSTANCETYPES[name] as Doc;
    const cpu = (templateSpec(r)['domain'] as Doc)['cpu'] as Doc;
    t.is(cpu['sockets'] * cpu['cores'] * cpu['threads'], spec['cpu']['guest'], name);
    t.is((templateSpec(r)['domain'] as Doc)['memory']['guest'], spec['memory']['guest'], name);
  }
});

test('every bundled preference is read without an unknown field', (t) => {
  const names = Object.keys(COMMON_CLUSTER_PREFERENCES);
  t.is(names.length, 54);
  for (const name of names) {
    const r = parse(vm({ instancetype: { name: 'u1.2xlarge' }, preference: { name } }));
    t.deepEqual(r.problems.filter((p) => p.reason === 'InstancetypeInvalid'), [], name);
  }
});

// ---- CPU topology: KubeVirt's cpu_test.go "should spread" table

const spreadTable: Array<[number, Doc, [number, number, number]]> = [
  [1, {}, [1, 1, 1]], [2, {}, [1, 2, 1]], [4, {}, [2, 2, 1]], [6, {}, [3, 2, 1]], [8, {}, [4, 2, 1]],
  [3, { ratio: 3 }, [1, 3, 1]], [12, { ratio: 3 }, [4, 3, 1]], [16, { ratio: 4 }, [4, 4, 1]],
  [4, { across: 'SocketsCoresThreads' }, [1, 2, 2]], [12, { across: 'SocketsCoresThreads' }, [3, 2, 2]],
  [6, { across: 'SocketsCoresThreads', ratio: 3 }, [1, 3, 2]], [36, { across: 'SocketsCoresThreads', ratio: 4 }, [4, 4, 2]],
  [2, { across: 'CoresThreads' }, [1, 1, 2]], [4, { across: 'CoresThreads' }, [1, 2, 2]],
];
for (const [guest, spreadOptions, [sockets, cores, threads]] of spreadTable) {
  test(`spread ${JSON.stringify(spreadOptions)} of ${guest} vCPUs: ${sockets}/${cores}/${threads}`, (t) => {
    t.deepEqual(guestTopology(guest, { cpu: { preferredCPUTopology: 'spread', spreadOptions } }), { sockets, cores, threads });
  });
}

test('preferred topologies cores, threads, any and the deprecated names (KubeVirt: "should apply in full with PreferX")', (t) => {
  t.deepEqual(guestTopology(4, { cpu: { preferredCPUTopology: 'cores' } }), { sockets: 1, cores: 4, threads: 1 });
  t.deepEqual(guestTopology(4, { cpu: { preferredCPUTopology: 'threads' } }), { sockets: 1, cores: 1, threads: 4 });
  t.deepEqual(guestTopology(4, { cpu: { preferredCPUTopology: 'any' } }), { sockets: 4, cores: 1, threads: 1 });
  t.deepEqual(guestTopology(4, { cpu: { preferredCPUTopology: 'preferCores' } }), { sockets: 1, cores: 4, threads: 1 });
  t.deepEqual(guestTopology(4, { preferSpreadSocketToCoreRatio: 4, cpu: { preferredCPUTopology: 'preferSpread' } }), { sockets: 1, cores: 4, threads: 1 });
});

test('a spread the instance type\'s vCPUs do not divide by is refused (KubeVirt\'s CheckSpreadCPUTopology)', (t) => {
  // rhel.9.dpdk: spread across SocketsCoresThreads with ratio 4 needs a multiple of 8 vCPUs; u1.2xmedium has 2.
  const r = parse(vm({ instancetype: { name: 'u1.2xmedium' }, preference: { name: 'rhel.9.dpdk' } }));
  t.deepEqual(errors(r.problems), [['InstancetypeConflict', 'spec.instancetype']]);
  t.regex(r.problems.find((p) => p.reason === 'InstancetypeConflict')!.message, /2 vCPUs of VirtualMachineClusterInstancetype u1\.2xmedium do not divide/);
});

// ---- preferences

test('u1.medium with fedora: EFI secure boot, SMM, virtio disk, rng, amd64, the os annotation', (t) => {
  const r = parse(vm({ instancetype: { name: 'u1.medium' }, preference: { name: 'fedora' } }));
  t.deepEqual(errors(r.problems), []);
  const byField = Object.fromEntries(r.spec!.expansion!.fields.map((f) => [f.field, [f.value, f.from]]));
  t.deepEqual(byField['spec.template.spec.domain.devices.disks[0].disk.bus'], ['virtio', 'preference']);
  t.deepEqual(byField['spec.template.spec.domain.firmware.bootloader.efi'], [{ secureBoot: true }, 'preference']);
  t.deepEqual(byField['spec.template.spec.domain.features.smm'], [{}, 'preference']);
  t.deepEqual(byField['spec.template.spec.domain.devices.rng'], [{}, 'preference']);
  t.deepEqual(byField['spec.template.spec.architecture'], ['amd64', 'preference']);
  t.deepEqual(byField['spec.template.metadata.annotations.vm.kubevirt.io/os'], ['linux', 'preference']);
  t.deepEqual(byField['spec.template.spec.domain.cpu.sockets'], [1, 'instancetype']);
  t.is(r.spec?.disks[0]?.bus, 'virtio');
  t.is(r.spec?.annotations['vm.kubevirt.io/os'], 'linux');
});

test('u1.medium with fedora builds a domain with nothing mounted (the same build `domain` and `run` use)', (t) => {
  const r = parse(vm({ instancetype: { name: 'u1.medium' }, preference: { name: 'fedora' } }));
  const built = buildDomain(r.spec!, filesystemFacts(r.spec!), { accel: 'qemu', consoleLogPath: '/run/console.log' });
  t.deepEqual(built.problems.filter((p) => p.severity === 'error'), []);
  const xml = domainToXml(built.domain!);
  t.regex(xml, /<memory unit="b">4294967296<\/memory>/);
  t.regex(xml, /<vcpu placement="static">1<\/vcpu>/);
  t.regex(xml, /<feature enabled="yes" name="secure-boot"\/>/);
  t.regex(xml, /<smm state="on"\/>/);
  t.regex(xml, /<target dev="vda" bus="virtio"\/>/);
  t.regex(xml, /<rng model="virtio">/);
});

test('a preference fills only what the VM leaves unset: the VM\'s disk bus and firmware stay, recorded as the VM\'s', (t) => {
  const r = parse(vm({
    instancetype: { name: 'u1.medium' }, preference: { name: 'fedora' },
    devices: { disks: [{ name: 'root', disk: { bus: 'sata' } }] },
    domain: { firmware: { bootloader: { bios: {} } } },
  }));
  t.deepEqual(errors(r.problems), []);
  t.is(r.spec?.disks[0]?.bus, 'sata');
  const fields = r.spec!.expansion!.fields;
  t.like(fields.find((f) => f.field === 'spec.template.spec.domain.devices.disks[0].disk.bus'), { value: 'sata', from: 'vm' });
  t.false(fields.some((f) => f.field.includes('bootloader.efi')));
  t.false('efi' in ((templateSpec(r)['domain'] as Doc)['firmware']['bootloader'] as Doc));
});

test('legacy: sata disks and e1000 NICs; an interface model the VM gives stays', (t) => {
  const networks = [{ name: 'default', pod: {} }];
  const r = parse(vm({ instancetype: { name: 'u1.small' }, preference: { name: 'legacy' }, devices: { interfaces: [{ name: 'default', masquerade: {} }] }, spec: { networks } }));
  t.is(r.spec?.disks[0]?.bus, 'sata');
  t.is((templateSpec(r)['domain'] as Doc)['devices']['interfaces'][0]['model'], 'e1000');
  const kept = parse(vm({ preference: { name: 'legacy' }, domain: { cpu: { sockets: 1 }, memory: { guest: '1Gi' } }, devices: { interfaces: [{ name: 'default', masquerade: {}, model: 'virtio' }] }, spec: { networks } }));
  t.is((templateSpec(kept)['domain'] as Doc)['devices']['interfaces'][0]['model'], 'virtio');
});

test('windows.2k22: clock, timers, Hyper-V, TPM, grace period 3600; autoattachInputDevice stays refused, naming the preference', (t) => {
  const r = parse(vm({ instancetype: { name: 'u1.large' }, preference: { name: 'windows.2k22' } }));
  const spec = templateSpec(r);
  const domain = spec['domain'] as Doc;
  t.is(spec['terminationGracePeriodSeconds'], 3600);
  t.deepEqual(domain['clock'], { utc: {}, timer: { hpet: { present: false }, hyperv: {}, pit: { tickPolicy: 'delay' }, rtc: { tickPolicy: 'catchup' } } });
  t.deepEqual(domain['devices']['tpm'], { persistent: true });
  t.is(domain['features']['hyperv']['spinlocks']['spinlocks'], 8191);
  t.is(domain['devices']['disks'][0]['disk']['bus'], 'sata');
  t.deepEqual(domain['cpu'], { sockets: 2, cores: 1, threads: 1 });
  const refused = r.problems.filter((p) => p.severity === 'error');
  t.true(refused.length > 0);
  const input = refused.find((p) => p.field === 'spec.template.spec.domain.devices.autoattachInputDevice');
  t.is(input?.reason, 'FieldNotSupported');
  t.regex(input!.message, /\(set by VirtualMachineClusterPreference windows\.2k22, bundled common-instancetypes v1\.7\.0\)$/);
});

test('rhel.9.dpdk with 8 vCPUs: spread 1:4:2, dedicated IO thread on the virtio disk; NIC multiqueue stays refused', (t) => {
  const r = parse(vm({ instancetype: { name: 'u1.2xlarge' }, preference: { name: 'rhel.9.dpdk' } }));
  const domain = templateSpec(r)['domain'] as Doc;
  t.deepEqual(domain['cpu'], { sockets: 1, cores: 4, threads: 2 });
  t.is(domain['devices']['disks'][0]['dedicatedIOThread'], true);
  t.deepEqual(errors(r.problems), [['FieldNotSupported', 'spec.template.spec.domain.devices.networkInterfaceMultiQueue']]);
});

test('a preference without an instance type: the VM gives CPU and memory; machine type filled', (t) => {
  const docs = typeDocuments([], [{ file: 'p.yaml', text: 'apiVersion: instancetype.kubevirt.io/v1beta1\nkind: VirtualMachinePreference\nmetadata: {name: q35}\nspec:\n  machine: {preferredMachineType: pc-q35-rhel9.4.0}\n  devices: {preferredDiskBus: sata}\n' }]);
  const r = parse(vm({ preference: { kind: 'VirtualMachinePreference', name: 'q35' }, domain: { cpu: { cores: 2 }, memory: { guest: '1Gi' } } }), docs);
  t.deepEqual(errors(r.problems), []);
  t.is(r.spec?.machineType, 'pc-q35-rhel9.4.0');
  t.deepEqual(r.spec?.cpu, { sockets: 1, cores: 2, threads: 1 });
  t.is(r.spec?.expansion?.instancetype, undefined);
});

// ---- conflicts (KubeVirt's webhook refuses them too)

const conflictTable: Array<[string, Doc, string[]]> = [
  ['cpu.sockets', { domain: { cpu: { sockets: 2 } } }, ['spec.template.spec.domain.cpu.sockets']],
  ['cpu cores and threads', { domain: { cpu: { cores: 2, threads: 2 } } }, ['spec.template.spec.domain.cpu.cores', 'spec.template.spec.domain.cpu.threads']],
  ['memory.guest', { domain: { memory: { guest: '1Gi' } } }, ['spec.template.spec.domain.memory.guest']],
  ['resources.requests.memory', { domain: { resources: { requests: { memory: '1Gi' } } } }, ['spec.template.spec.domain.resources.requests.memory']],
  ['resources.limits.memory', { domain: { resources: { limits: { memory: '1Gi' } } } }, ['spec.template.spec.domain.resources.limits.memory']],
];
for (const [what, parts, fields] of conflictTable) {
  test(`conflict: the VM sets ${what} and u1.medium sets it too`, (t) => {
    const r = parse(vm({ instancetype: { name: 'u1.medium' }, ...parts }));
    t.deepEqual(errors(r.problems), fields.map((f) => ['InstancetypeConflict', f]));
    for (const p of r.problems.filter((x) => x.reason === 'InstancetypeConflict')) {
      t.is(p.message, `${p.field}: set by the VirtualMachine and by its VirtualMachineClusterInstancetype u1.medium (spec.instancetype); KubeVirt refuses the VM too`);
      t.regex(p.fix!, /^remove spec\.template\.spec\.domain\..* from the VirtualMachine \(the instance type sets it\)/);
    }
  });
}

test('conflict: an annotation the VM sets to another value than the instance type\'s', (t) => {
  const r = parse(vm({ instancetype: { name: 'n1.medium' }, meta: { annotations: { 'cpu-quota.crio.io': 'enable' } } }));
  t.deepEqual(errors(r.problems).filter(([reason]) => reason === 'InstancetypeConflict'), [['InstancetypeConflict', 'spec.template.metadata.annotations.cpu-quota.crio.io']]);
});

// ---- requirements

test('fedora requires 2Gi: u1.micro (1Gi) is refused, naming the instance type', (t) => {
  const r = parse(vm({ instancetype: { name: 'u1.micro' }, preference: { name: 'fedora' } }));
  t.deepEqual(errors(r.problems), [['PreferenceRequirementsNotMet', 'spec.instancetype']]);
  t.is(r.problems[0]?.message, 'spec.instancetype: 1Gi of memory provided by the instance type; the preference requires 2Gi');
});

test('windows.11.virtio requires 2 vCPUs: u1.medium (1) is refused; a VM\'s own sockets count without an instance type', (t) => {
  t.deepEqual(errors(parse(vm({ instancetype: { name: 'u1.medium' }, preference: { name: 'windows.11.virtio' } })).problems).filter(([r]) => r === 'PreferenceRequirementsNotMet'), [['PreferenceRequirementsNotMet', 'spec.instancetype']]);
  const own = parse(vm({ preference: { name: 'windows.11.virtio' }, domain: { cpu: { cores: 2 }, memory: { guest: '4Gi' } } }));
  t.deepEqual(errors(own.problems).filter(([r]) => r === 'PreferenceRequirementsNotMet'), [['PreferenceRequirementsNotMet', 'spec.template.spec.domain.cpu']]);
});

test('fedora requires amd64: a VM asking for arm64 is refused', (t) => {
  const r = parse(vm({ instancetype: { name: 'u1.medium' }, preference: { name: 'fedora' }, spec: { architecture: 'arm64' } }));
  t.true(errors(r.problems).some(([reason, field]) => reason === 'PreferenceRequirementsNotMet' && field === 'spec.template.spec.architecture'));
});

// ---- finding documents

test('an unknown name, and a namespaced kind that is not given, are InstancetypeNotFound', (t) => {
  t.deepEqual(errors(parse(vm({ instancetype: { name: 'u9.huge' } })).problems), [['InstancetypeNotFound', 'spec.instancetype']]);
  const ns = parse(vm({ instancetype: { kind: 'VirtualMachineInstancetype', name: 'u1.medium' } }));
  t.deepEqual(errors(ns.problems), [['InstancetypeNotFound', 'spec.instancetype']]);
  t.regex(ns.problems[0]!.fix!, /the bundled common-instancetypes are cluster kinds: drop `kind`/);
  t.deepEqual(errors(parse(vm({ preference: { name: 'plan9' }, domain: { cpu: { cores: 1 }, memory: { guest: '1Gi' } } })).problems), [['InstancetypeNotFound', 'spec.preference']]);
});

const SMALL = `apiVersion: instancetype.kubevirt.io/v1beta1
kind: VirtualMachineClusterInstancetype
metadata: {name: u1.medium}
spec: {cpu: {guest: 2}, memory: {guest: 3Gi}}
`;

test('the operator\'s documents win over the bundled ones of the same kind and name; a List and several documents per file', (t) => {
  const list = JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'instancetype.kubevirt.io/v1beta1', kind: 'VirtualMachineInstancetype', metadata: { name: 'tiny' }, spec: { cpu: { guest: 1 }, memory: { guest: '256Mi' } } }] });
  const problems: Problem[] = [];
  const docs = typeDocuments(problems, [{ file: 'mine.yaml', text: `${SMALL}---\n${SMALL.replace('u1.medium', 'other')}` }, { file: 'list.json', text: list }]);
  t.deepEqual(problems, []);
  t.deepEqual(docs.map((d) => [d.kind, d.name, d.from]), [
    ['VirtualMachineClusterInstancetype', 'u1.medium', 'file mine.yaml (document 1)'],
    ['VirtualMachineClusterInstancetype', 'other', 'file mine.yaml (document 2)'],
    ['VirtualMachineInstancetype', 'tiny', 'file list.json items[0]'],
  ]);
  const r = parse(vm({ instancetype: { name: 'u1.medium' } }), docs);
  t.deepEqual(r.spec?.cpu, { sockets: 2, cores: 1, threads: 1 });
  t.is(r.spec?.memoryBytes, 3 * GiB);
  t.is(parse(vm({ instancetype: { kind: 'virtualmachineinstancetypes', name: 'tiny' } }), docs).spec?.memoryBytes, 256 * 2 ** 20);
});

test('a malformed file, a foreign kind, an unknown field, a duplicate: InstancetypeInvalid, by name', (t) => {
  const problems: Problem[] = [];
  const docs = typeDocuments(problems, [
    { file: 'bad.yaml', text: 'a: [1, 2' },
    { file: 'cm.yaml', text: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n' },
    { file: 'dup.yaml', text: `${SMALL}---\n${SMALL}` },
    { file: 'odd.yaml', text: SMALL.replace('u1.medium', 'odd').replace('memory: {guest: 3Gi}', 'memory: {guest: 3Gi}, cpuRatio: 2') },
  ]);
  t.deepEqual(problems.map((p) => p.reason), ['InstancetypeInvalid', 'InstancetypeInvalid']);
  t.regex(problems[0]!.message, /^bad\.yaml: not valid YAML/);
  t.regex(problems[1]!.message, /^cm\.yaml: kind "ConfigMap" is not an instance type or preference/);
  t.deepEqual(errors(parse(vm({ instancetype: { name: 'u1.medium' } }), docs).problems), [['InstancetypeInvalid', 'spec.instancetype']]);
  const odd = parse(vm({ instancetype: { name: 'odd' } }), docs);
  t.deepEqual(errors(odd.problems), [['InstancetypeInvalid', 'spec.instancetype']]);
  t.regex(odd.problems[0]!.message, /spec\.cpuRatio is not a field vm-launcher knows/);
});

test('every u1 and o1 size builds; GPUs and host devices from an operator\'s instance type stay FieldNeedsCluster', (t) => {
  for (const name of Object.keys(COMMON_CLUSTER_INSTANCETYPES).filter((n) => /^[uo]1\./.test(n))) t.deepEqual(errors(parse(vm({ instancetype: { name } })).problems), [], name);
  const gpu = `${SMALL.replace('u1.medium', 'gpu1')}  gpus: [{name: gpu0, deviceName: nvidia.com/GA102GL_A10}]\n  hostDevices: [{name: hd0, deviceName: intel.com/qat}]\n`;
  const r = parse(vm({ instancetype: { name: 'gpu1' } }), typeDocuments([], [{ file: 'gpu.yaml', text: gpu.replace('spec: {cpu: {guest: 2}, memory: {guest: 3Gi}}', 'spec:\n  cpu: {guest: 2}\n  memory: {guest: 3Gi}') }]));
  t.deepEqual(errors(r.problems), [['FieldNeedsCluster', 'spec.template.spec.domain.devices.gpus'], ['FieldNeedsCluster', 'spec.template.spec.domain.devices.hostDevices']]);
  for (const p of r.problems) t.regex(p.message, /\(set by VirtualMachineClusterInstancetype gpu1, file gpu\.yaml\)$/);
});

// ---- inferFromVolume, revisionName

test('inferFromVolume needs the API server (the PVC\'s labels): FieldNeedsCluster with the fix to name it', (t) => {
  const r = parse(vm({ instancetype: { inferFromVolume: 'root' }, preference: { inferFromVolume: 'root' } }));
  t.deepEqual(errors(r.problems), [['FieldNeedsCluster', 'spec.instancetype.inferFromVolume'], ['FieldNeedsCluster', 'spec.preference.inferFromVolume']]);
  t.regex(r.problems[0]!.fix!, /spec\.instancetype\.name/);
});

test('revisionName is a warning: the document found by kind and name is used', (t) => {
  const r = parse(vm({ instancetype: { name: 'u1.medium', revisionName: 'vm1-u1.medium-abc-1' } }));
  t.deepEqual(errors(r.problems), []);
  t.deepEqual(r.problems.map((p) => [p.reason, p.field]), [['InstancetypeRevisionNotChecked', 'spec.instancetype.revisionName']]);
  t.is(r.spec?.memoryBytes, 4 * GiB);
});

test('a VMI (not a VirtualMachine) is untouched, and a VM without matchers keeps its own raw document', (t) => {
  const plain = vm({ domain: { cpu: { cores: 1 }, memory: { guest: '1Gi' } } });
  const r = parse(plain);
  t.is(r.spec?.expansion, undefined);
  t.is(r.raw, undefined);
});
