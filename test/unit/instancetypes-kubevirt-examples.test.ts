// KubeVirt's own instance type examples (test/fixtures/kubevirt-instancetypes, copied unchanged from kubevirt/kubevirt):
// given their instance type and preference files, the VirtualMachines expand as KubeVirt does. As published they set
// memory.guest beside the instance type (KubeVirt's webhook refuses that too) and boot a containerDisk: both refused
// with their reasons; with those two changed, each builds a domain.
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseVmiText, typeDocuments, type TypeFile } from '../../domain/manifest/index.js';
import { buildDomain } from '../../domain/convert/index.js';
import type { Problem } from '../../domain/problem.js';
import { filesystemFacts } from '../helpers/volume-facts.js';

const dir = fileURLToPath(new URL('../../../test/fixtures/kubevirt-instancetypes/', import.meta.url));
const read = (name: string): string => readFileSync(`${dir}${name}`, 'utf8');
const typeFiles: TypeFile[] = readdirSync(dir).filter((f) => f.endsWith('.yaml') && !f.startsWith('vm-')).map((file) => ({ file, text: read(file) }));
const errors = (ps: Problem[]): Array<[string, string]> => ps.filter((p) => p.severity === 'error').map((p) => [p.reason, p.field ?? '']);

test('the instance type and preference files are read: 3 instance types, 1 preference', (t) => {
  const problems: Problem[] = [];
  const docs = typeDocuments(problems, typeFiles);
  t.deepEqual(problems, []);
  t.deepEqual(docs.map((d) => `${d.kind}/${d.name}`).sort(), [
    'VirtualMachineClusterInstancetype/cluster-csmall', 'VirtualMachineInstancetype/clarge', 'VirtualMachineInstancetype/csmall', 'VirtualMachinePreference/virtio',
  ]);
});

/** The example made runnable here: no memory.guest beside the instance type, a PVC instead of the containerDisk. */
const runnable = (text: string): string => text
  .replace(/\n {8}memory:\n {10}guest: 128Mi/, '')
  .replace(/- containerDisk:\n {10}image: \S+\n {8}name: containerdisk/, '- name: containerdisk\n        persistentVolumeClaim:\n          claimName: cirros');

const examples: Array<[string, { sockets: number; memory: number; buses: string[] }]> = [
  ['vm-cirros-csmall.yaml', { sockets: 1, memory: 128 * 2 ** 20, buses: ['virtio', 'virtio'] }],
  ['vm-cirros-cluster-csmall.yaml', { sockets: 1, memory: 128 * 2 ** 20, buses: ['virtio', 'virtio'] }],
  // clarge: 4 vCPUs as 4 sockets; the virtio preference gives both `disk: {}` a virtio bus.
  ['vm-cirros-clarge-virtio.yaml', { sockets: 4, memory: 2 * 2 ** 30, buses: ['virtio', 'virtio'] }],
];

for (const [file, want] of examples) {
  test(`${file} as published: memory.guest conflicts with the instance type, the containerDisk needs the cluster`, (t) => {
    const r = parseVmiText(read(file), { typeDocuments: typeDocuments([], typeFiles) });
    t.deepEqual(errors(r.problems).sort(), [
      ['FieldNeedsCluster', 'spec.template.spec.volumes[0].containerDisk'],
      ['InstancetypeConflict', 'spec.template.spec.domain.memory.guest'],
    ]);
  });

  test(`${file} without those two lines expands as KubeVirt does and builds a domain`, (t) => {
    const r = parseVmiText(runnable(read(file)), { typeDocuments: typeDocuments([], typeFiles) });
    t.deepEqual(errors(r.problems), []);
    t.deepEqual(r.spec?.cpu, { sockets: want.sockets, cores: 1, threads: 1 });
    t.is(r.spec?.memoryBytes, want.memory);
    t.deepEqual(r.spec?.disks.map((d) => d.bus), want.buses);
    const built = buildDomain(r.spec!, filesystemFacts(r.spec!), { accel: 'qemu', consoleLogPath: '/run/console.log' });
    t.deepEqual(built.problems.filter((p) => p.severity === 'error'), []);
    t.is(built.domain?.vcpu, want.sockets);
  });
}

test('without the files, the namespaced instance types are not found (they are not bundled)', (t) => {
  const r = parseVmiText(runnable(read('vm-cirros-csmall.yaml')));
  t.deepEqual(errors(r.problems), [['InstancetypeNotFound', 'spec.instancetype']]);
});
