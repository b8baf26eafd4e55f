// The manifest forms vm-launcher accepts, and what VmSpec each becomes.
import test from 'ava';
import { parseVmi, parseVmiText } from '../../domain/manifest/index.js';
import type { VmSpec } from '../../domain/model/index.js';
import { claimOf } from '../helpers/disk-source.js';

const MiB = 2 ** 20;

function accepted(t: { deepEqual: (a: unknown, b: unknown, m?: string) => void }, text: string): VmSpec {
  const { spec, problems } = parseVmiText(text);
  t.deepEqual(problems, [], 'no problems');
  if (!spec) throw new Error('no spec');
  return spec;
}

test('a real kubevirt.io/v1 VirtualMachineInstance', (t) => {
  const spec = accepted(t, `
apiVersion: kubevirt.io/v1
kind: VirtualMachineInstance
metadata:
  name: vm1
  namespace: prod
  uid: 3F2504E0-4F89-11D3-9A0C-0305E82C3301
  labels: { app: web }
  annotations: { note: "hello" }
  creationTimestamp: "2024-01-01T00:00:00Z"
  generation: 3
  resourceVersion: "123"
spec:
  terminationGracePeriodSeconds: 45
  domain:
    cpu: { sockets: 2, cores: 3, threads: 2 }
    machine: { type: q35 }
    memory: { guest: 1Gi }
    resources: { requests: { memory: 2Gi }, limits: { memory: 3Gi } }
    devices:
      disks:
        - name: rootdisk
          bootOrder: 1
          serial: root-01
          cache: writeback
          io: threads
          disk: { bus: virtio }
        - name: data
          disk: { bus: scsi, readonly: true }
        - name: iso
          bootOrder: 2
          cdrom: {}
        - name: host
          disk: { bus: sata }
  volumes:
    - name: rootdisk
      persistentVolumeClaim: { claimName: root-claim }
    - name: data
      persistentVolumeClaim: { claimName: data-claim }
    - name: iso
      persistentVolumeClaim: { claimName: iso-claim, readOnly: true }
    - name: host
      hostDisk: { path: /var/data/disk.img, type: DiskOrCreate, capacity: 1Gi }
status:
  phase: Running
`);
  t.deepEqual(spec, {
    name: 'vm1',
    namespace: 'prod',
    uid: '3F2504E0-4F89-11D3-9A0C-0305E82C3301',
    labels: { app: 'web' },
    annotations: { note: 'hello' },
    cpu: { sockets: 2, cores: 3, threads: 2 },
    memoryBytes: 1024 * MiB,
    machineType: 'q35',
    terminationGracePeriodSeconds: 45,
    disks: [
      {
        name: 'rootdisk', volumeName: 'rootdisk', field: 'spec.domain.devices.disks[0]', device: 'disk', bus: 'virtio',
        readonly: false, bootOrder: 1, serial: 'root-01', cache: 'writeback', io: 'threads', source: { kind: 'pvc', claimName: 'root-claim', readOnly: false },
        storage: { mayCreate: true, preallocate: false },
      },
      { name: 'data', volumeName: 'data', field: 'spec.domain.devices.disks[1]', device: 'disk', bus: 'scsi', readonly: true, source: { kind: 'pvc', claimName: 'data-claim', readOnly: false }, storage: { mayCreate: false, preallocate: false } },
      { name: 'iso', volumeName: 'iso', field: 'spec.domain.devices.disks[2]', device: 'cdrom', bus: 'sata', readonly: true, bootOrder: 2, source: { kind: 'pvc', claimName: 'iso-claim', readOnly: true }, storage: { mayCreate: false, preallocate: false } },
      { name: 'host', volumeName: 'host', field: 'spec.domain.devices.disks[3]', device: 'disk', bus: 'sata', readonly: false,
        source: { kind: 'hostDisk', path: '/var/data/disk.img', create: true, capacityBytes: 1024 * MiB },
        storage: { mayCreate: true, size: { bytes: 1024 * MiB, source: 'hostDisk.capacity' }, preallocate: false } },
    ],
  });
});

test('defaults: namespace default, 1x1x1 CPU, grace 30, virtio disk, memory from resources.requests', (t) => {
  const spec = accepted(t, `
apiVersion: kubevirt.io/v1alpha3
kind: VirtualMachineInstance
metadata: { name: small }
spec:
  domain:
    resources: { requests: { memory: 4096M } }
    machine: { type: "" }
    devices: { disks: [ { name: rootdisk } ] }
  volumes: [ { name: rootdisk, persistentVolumeClaim: { claimName: c } } ]
`);
  t.is(spec.namespace, 'default');
  t.deepEqual(spec.cpu, { sockets: 1, cores: 1, threads: 1 });
  t.is(spec.terminationGracePeriodSeconds, 30);
  t.is(spec.memoryBytes, 4_096_000_000);
  t.is(spec.machineType, undefined);
  t.is(spec.uid, undefined);
  t.deepEqual(spec.labels, {});
  t.like(spec.disks[0], { device: 'disk', bus: 'virtio', readonly: false });
});

test('memory.guest wins over resources.requests.memory', (t) => {
  const spec = accepted(t, `
apiVersion: kubevirt.io/v1
kind: VirtualMachineInstance
metadata: { name: m }
spec:
  domain: { memory: { guest: 128Mi }, resources: { requests: { memory: 1Gi } } }
`);
  t.is(spec.memoryBytes, 128 * MiB);
  t.deepEqual(spec.disks, []);
});

test('terminationGracePeriodSeconds: 0 is kept (destroy at once)', (t) => {
  const spec = accepted(t, `
apiVersion: kubevirt.io/v1
kind: VirtualMachineInstance
metadata: { name: m }
spec: { terminationGracePeriodSeconds: 0, domain: { memory: { guest: 128Mi } } }
`);
  t.is(spec.terminationGracePeriodSeconds, 0);
});

test('a VirtualMachine: the template becomes the VMI, named after the VM, with paths under spec.template.spec', (t) => {
  const spec = accepted(t, `
apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata: { name: vm-a, namespace: ns1, labels: { owner: me } }
spec:
  runStrategy: Always
  template:
    metadata:
      creationTimestamp: null
      labels: { kubevirt.io/vm: vm-a }
    spec:
      domain:
        devices: { disks: [ { name: d1, disk: { bus: virtio } } ] }
        memory: { guest: 128Mi }
        resources: {}
      volumes: [ { name: d1, persistentVolumeClaim: { claimName: c1 } } ]
`);
  t.is(spec.name, 'vm-a');
  t.is(spec.namespace, 'ns1');
  t.deepEqual(spec.labels, { 'kubevirt.io/vm': 'vm-a' });
  t.is(spec.disks[0]?.field, 'spec.template.spec.domain.devices.disks[0]');
});

test('the compact form: volumeName on the disk, persistentVolumeClaim as a string', (t) => {
  const spec = accepted(t, `
apiVersion: kubevirt.io/v1
kind: VirtualMachineInstance
metadata: { name: compact }
spec:
  domain:
    memory: { guest: 128Mi }
    devices:
      disks:
        - { name: root, volumeName: rootdisk, bootOrder: 1 }
        - { name: data, volumeName: datadisk, disk: { bus: sata } }
  volumes:
    - { name: rootdisk, persistentVolumeClaim: my-claim }
    - { name: datadisk, persistentVolumeClaim: { claimName: other } }
`);
  t.deepEqual(spec.disks.map((d) => [d.name, d.volumeName, claimOf(d), d.bus]), [
    ['root', 'rootdisk', 'my-claim', 'virtio'],
    ['data', 'datadisk', 'other', 'sata'],
  ]);
});

test('JSON is accepted too', (t) => {
  const spec = accepted(t, JSON.stringify({
    apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name: 'j' },
    spec: { domain: { memory: { guest: '128Mi' } } },
  }));
  t.is(spec.name, 'j');
});

test('parseVmi takes an already parsed object', (t) => {
  const { spec, problems } = parseVmi({
    apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name: 'o' },
    spec: { domain: { memory: { guest: 134217728 } } },
  });
  t.deepEqual(problems, []);
  t.is(spec?.memoryBytes, 134217728);
});

test('null values count as absent, as in Kubernetes', (t) => {
  const spec = accepted(t, `
apiVersion: kubevirt.io/v1
kind: VirtualMachineInstance
metadata: { name: n, labels: null }
spec: { domain: { memory: { guest: 128Mi }, rng: null, cpu: null }, volumes: null }
`);
  t.deepEqual(spec.cpu, { sockets: 1, cores: 1, threads: 1 });
});

// Scheduling fields are accepted with a note each: test/unit/vmi-cluster-fields.test.ts.
test('deliberately ignored fields: status, server-written metadata, autoattach that matches', (t) => {
  accepted(t, `
apiVersion: kubevirt.io/v1
kind: VirtualMachineInstance
metadata:
  name: ign
  finalizers: [foregroundDeleteVirtualMachine]
  ownerReferences: []
  managedFields: []
  selfLink: /x
spec:
  domain:
    memory: { guest: 128Mi }
    devices: { autoattachGraphicsDevice: false, autoattachMemBalloon: false, autoattachPodInterface: false, autoattachSerialConsole: true }
status: { phase: Pending }
`);
  t.pass();
});

test('a uid that is not a UUID is a warning, not an error', (t) => {
  const { spec, problems } = parseVmiText(`
apiVersion: kubevirt.io/v1
kind: VirtualMachineInstance
metadata: { name: u, uid: not-a-uuid }
spec: { domain: { memory: { guest: 128Mi } } }
`);
  t.truthy(spec);
  t.deepEqual(problems.map((p) => [p.reason, p.severity, p.field]), [['UidNotUuid', 'warning', 'metadata.uid']]);
});

test('guest memory above limits.memory is a warning', (t) => {
  const { spec, problems } = parseVmiText(`
apiVersion: kubevirt.io/v1
kind: VirtualMachineInstance
metadata: { name: u }
spec: { domain: { memory: { guest: 1Gi }, resources: { limits: { memory: 512Mi } } } }
`);
  t.truthy(spec);
  t.deepEqual(problems.map((p) => [p.reason, p.severity, p.field]), [['MemoryAboveLimit', 'warning', 'spec.domain.memory.guest']]);
});
