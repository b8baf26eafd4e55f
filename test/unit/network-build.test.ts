// The small builders between the parsed VMI and the domain model, called directly: what they give when a launcher
// stage forgot to decide something (an InternalError naming the field, nothing built), and that an absent option
// leaves no key behind (a key holding undefined would reach the XML writer).
import test from 'ava';
import { buildInterfaces } from '../../domain/convert/build-interfaces.js';
import { buildFilesystems } from '../../domain/convert/build-filesystems.js';
import { interfaceNode } from '../../domain/libvirt/interface-xml.js';
import { addDefaultDisks } from '../../domain/manifest/kubevirt-defaults.js';
import type { Problem } from '../../domain/problem.js';
import { REASONS } from '../../domain/reasons.js';
import type { InterfaceSpec, FilesystemSpec } from '../../domain/model/index.js';
import type { ParsedDisk } from '../../domain/manifest/vmi-disks.js';

const iface = (extra: Partial<InterfaceSpec> = {}): InterfaceSpec => ({
  name: 'default', field: 'spec.domain.devices.interfaces[0]', binding: 'passt', bindingAsked: 'passtBinding',
  model: 'virtio', ports: [], ...extra,
});

test('build-guards › interfaces without a decided passt backend: an InternalError on the first interface, no NIC', (t) => {
  const problems: Problem[] = [];
  t.deepEqual(buildInterfaces(problems, [iface(), iface({ field: 'other' })], undefined), { interfaces: [] });
  t.deepEqual(problems, [{
    reason: 'InternalError', severity: 'error', field: 'spec.domain.devices.interfaces[0]',
    message: 'the passt backend was not decided before the domain was built (a bug)',
    fix: REASONS.InternalError.fix,
  }]);
});

test('build-guards › no interfaces: nothing built and nothing asked of the backend', (t) => {
  const problems: Problem[] = [];
  t.deepEqual(buildInterfaces(problems, [], undefined), { interfaces: [] });
  t.deepEqual(problems, []);
});

test('build-guards › a NIC without a MAC or a passt log file has no mac or logFile key; user mode needs no shared memory', (t) => {
  const built = buildInterfaces([], [iface()], { backend: 'user' });
  t.deepEqual(built, {
    interfaces: [{
      type: 'user', model: 'virtio', backend: { type: 'passt' },
      portForwards: [{ proto: 'tcp', ranges: [] }, { proto: 'udp', ranges: [] }], alias: 'ua-default',
    }],
  });
  t.false('mac' in built.interfaces[0]!);
  t.false('logFile' in built.interfaces[0]!.backend);
  t.false('memoryBacking' in built);
});

test('build-guards › a vhost-user NIC with a MAC, a log file and ports; its memory is shared memfd', (t) => {
  const built = buildInterfaces([], [iface({ macAddress: '02:00:00:00:00:01', ports: [{ protocol: 'tcp', port: 22, field: 'p' }] })],
    { backend: 'vhost-user', passtLogFile: '/run/vml/logs/passt.log' });
  t.like(built.interfaces[0], { type: 'vhostuser', mac: '02:00:00:00:00:01', backend: { type: 'passt', logFile: '/run/vml/logs/passt.log' } });
  t.deepEqual(built.interfaces[0]!.portForwards, [{ proto: 'tcp', ranges: [{ start: 22 }] }]);
  t.deepEqual(built.memoryBacking, { source: 'memfd', access: 'shared' });
});

const share = (name: string): FilesystemSpec => ({
  name, volumeName: name, field: `spec.domain.devices.filesystems[${name}]`, claimName: `${name}-pvc`, readOnly: false,
});

test('build-guards › virtiofs shares without a socket dir: an InternalError on the first share, nothing built', (t) => {
  const problems: Problem[] = [];
  t.deepEqual(buildFilesystems(problems, [share('data'), share('logs')], undefined), { filesystems: [] });
  t.like(problems, [{ reason: 'InternalError', severity: 'error', field: 'spec.domain.devices.filesystems[data]',
    message: 'the virtiofs socket dir was not given before the domain was built (a bug)' }]);
  t.is(problems.length, 1);
});

test('build-guards › no virtiofs shares: nothing built, no shared memory', (t) => {
  t.deepEqual(buildFilesystems([], [], undefined), { filesystems: [] });
});

test('build-guards › a port forward without ranges (every port) has no range element', (t) => {
  const node = interfaceNode({ type: 'user', model: 'virtio', backend: { type: 'passt' }, alias: 'ua-default',
    portForwards: [{ proto: 'tcp', ranges: [] }, { proto: 'udp', ranges: [{ start: 53 }] }] });
  const forwards = node.portForward as Array<Record<string, unknown>>;
  t.false('range' in forwards[0]!);
  t.deepEqual(forwards[1]!.range, [{ '@_start': 53 }]);
});

test('build-guards › a volume no disk uses gets a writable virtio disk of its name, and a note saying so', (t) => {
  const problems: Problem[] = [];
  const listed: ParsedDisk = { name: 'root', volumeName: 'root', volumeField: 'spec.domain.devices.disks[0].name',
    field: 'spec.domain.devices.disks[0]', device: 'disk', bus: 'sata', readonly: false };
  const disks = addDefaultDisks(problems, [listed], [{ name: 'root', field: 'spec.volumes[0]' }, { name: 'data', field: 'spec.volumes[1]' }]);
  t.deepEqual(disks, [listed, {
    name: 'data', volumeName: 'data', volumeField: 'spec.volumes[1].name', field: 'spec.volumes[1]',
    device: 'disk', bus: 'virtio', readonly: false,
  }]);
  t.deepEqual(problems, [{
    reason: 'KubeVirtDefault', severity: 'warning', field: 'spec.volumes[1]', volume: 'data',
    message: 'spec.volumes[1]: no disk uses volume data; as in KubeVirt, it gets a virtio disk named data',
    fix: 'list a disk for data in spec.domain.devices.disks to choose its bus or boot order',
  }]);
});
