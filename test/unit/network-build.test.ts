// What a parsed NIC becomes in the domain: the domain XML for each passt backend (vhost-user with shared memfd memory,
// user mode, no NIC), and buildInterfaces and the interface XML node called directly: an InternalError naming the
// field when a launcher stage forgot to decide the backend (nothing built), and no key left behind for an absent
// option (a key holding undefined would reach the XML writer).
import test from 'ava';
import { buildDomain } from '../../domain/convert/index.js';
import { buildInterfaces } from '../../domain/convert/build-interfaces.js';
import { domainToXml } from '../../domain/libvirt/index.js';
import { interfaceNode } from '../../domain/libvirt/interface-xml.js';
import type { Problem } from '../../domain/problem.js';
import { REASONS } from '../../domain/reasons.js';
import type { InterfaceSpec } from '../../domain/model/index.js';
import { parseDomainXml } from '../helpers/parse-domain-xml.js';
import { acceptedSpec as accepted, oneNicVmi as base, type Doc } from '../helpers/vmi-builder.js';
import { fileFacts } from '../helpers/volume-facts.js';

const iface = (extra: Partial<InterfaceSpec> = {}): InterfaceSpec => ({
  name: 'default', field: 'spec.domain.devices.interfaces[0]', binding: 'passt', bindingAsked: 'passtBinding',
  model: 'virtio', ports: [], ...extra,
});

test('interfaces without a decided passt backend: an InternalError on the first interface, no NIC', (t) => {
  const problems: Problem[] = [];
  t.deepEqual(buildInterfaces(problems, [iface(), iface({ field: 'other' })], undefined), { interfaces: [] });
  t.deepEqual(problems, [{
    reason: 'InternalError', severity: 'error', field: 'spec.domain.devices.interfaces[0]',
    message: 'the passt backend was not decided before the domain was built (a bug)',
    fix: REASONS.InternalError.fix,
  }]);
});

test('no interfaces: nothing built and nothing asked of the backend', (t) => {
  const problems: Problem[] = [];
  t.deepEqual(buildInterfaces(problems, [], undefined), { interfaces: [] });
  t.deepEqual(problems, []);
});

test('a NIC without a MAC or a passt log file has no mac or logFile key; user mode needs no shared memory', (t) => {
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

test('a vhost-user NIC with a MAC, a log file and ports; its memory is shared memfd', (t) => {
  const built = buildInterfaces([], [iface({ macAddress: '02:00:00:00:00:01', ports: [{ protocol: 'tcp', port: 22, field: 'p' }] })],
    { backend: 'vhost-user', passtLogFile: '/run/vml/logs/passt.log' });
  t.like(built.interfaces[0], { type: 'vhostuser', mac: '02:00:00:00:00:01', backend: { type: 'passt', logFile: '/run/vml/logs/passt.log' } });
  t.deepEqual(built.interfaces[0]!.portForwards, [{ proto: 'tcp', ranges: [{ start: 22 }] }]);
  t.deepEqual(built.memoryBacking, { source: 'memfd', access: 'shared' });
});

test('a port forward without ranges (every port) has no range element', (t) => {
  const node = interfaceNode({ type: 'user', model: 'virtio', backend: { type: 'passt' }, alias: 'ua-default',
    portForwards: [{ proto: 'tcp', ranges: [] }, { proto: 'udp', ranges: [{ start: 53 }] }] });
  const forwards = node.portForward as Array<Record<string, unknown>>;
  t.false('range' in forwards[0]!);
  t.deepEqual(forwards[1]!.range, [{ '@_start': 53 }]);
});

// ---------------------------------------------------------------------------------------------- domain
const facts = new Map([['rootdisk', fileFacts('rootdisk')]]);
const xmlOf = (doc: Doc, backend: 'vhost-user' | 'user') => {
  const built = buildDomain(accepted(doc), facts, { accel: 'qemu', consoleLogPath: '/c.log', network: { backend, passtLogFile: '/r/logs/passt.log' } });
  if (!built.domain) throw new Error(JSON.stringify(built.problems));
  return parseDomainXml(domainToXml(built.domain)) as { domain: Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
};

test('vhost-user: <interface type=vhostuser> with the passt backend and shared memfd memory, as KubeVirt emits it', (t) => {
  const { domain } = xmlOf(base({ name: 'default', passtBinding: {}, macAddress: '02:00:00:00:00:01', ports: [{ port: 22 }, { port: 53, protocol: 'UDP' }] }), 'vhost-user');
  t.deepEqual(domain['memoryBacking'], { source: { '@_type': 'memfd' }, access: { '@_mode': 'shared' } });
  const iface = domain['devices'].interface;
  t.is(iface['@_type'], 'vhostuser');
  t.deepEqual(iface.backend, { '@_type': 'passt', '@_logFile': '/r/logs/passt.log' });
  t.deepEqual(iface.mac, { '@_address': '02:00:00:00:00:01' });
  t.deepEqual(iface.model, { '@_type': 'virtio' });
  t.deepEqual(iface.alias, { '@_name': 'ua-default' });
  t.is(iface.ip, undefined, 'passt binding: the pod\'s own address');
  t.deepEqual(iface.portForward, [
    { '@_proto': 'tcp', range: { '@_start': '22' } },
    { '@_proto': 'udp', range: { '@_start': '53' } },
  ]);
});

test('user backend: no shared memory; masquerade sets the guest address; no ports forwards every port', (t) => {
  const { domain } = xmlOf(base(), 'user');
  t.is(domain['memoryBacking'], undefined);
  const iface = domain['devices'].interface;
  t.is(iface['@_type'], 'user');
  t.deepEqual(iface.ip, { '@_family': 'ipv4', '@_address': '10.0.2.2', '@_prefix': '24' });
  t.deepEqual(iface.portForward, [{ '@_proto': 'tcp' }, { '@_proto': 'udp' }]);
});

test('no interface: no <interface> and no memory backing', (t) => {
  const doc = base();
  delete doc['spec'].networks;
  delete doc['spec'].domain.devices.interfaces;
  const built = buildDomain(accepted(doc), facts, { accel: 'qemu', consoleLogPath: '/c.log' });
  const xml = domainToXml(built.domain!);
  t.false(xml.includes('<interface'));
  t.false(xml.includes('memoryBacking'));
});

test('an interface without a decided backend is a bug reported as a problem, not a throw', (t) => {
  const built = buildDomain(accepted(base()), facts, { accel: 'qemu', consoleLogPath: '/c.log' });
  t.is(built.domain, undefined);
  t.is(built.problems[0]?.reason, 'InternalError');
});
