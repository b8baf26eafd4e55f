// spec.networks and interfaces: every accepted form (passtBinding, the passt plugin, masquerade with KubeVirt's
// addressing, MAC, model, ports) and every refusal with its reason and exact path; the decision tables
// (addressing, backend, port forwards, socket path) and the domain XML they make.
import test from 'ava';
import { parseVmi } from '../../domain/manifest/index.js';
import { assertRefused } from '../helpers/refusal-checks.js';
import { buildDomain, choosePasstBackend, FORWARD_ALL_OPEN_FILES, passtSocketPath, portForwards } from '../../domain/convert/index.js';
import { domainToXml } from '../../domain/libvirt/index.js';
import { masqueradeAddressing } from '../../domain/manifest/masquerade-addressing.js';
import type { PortSpec } from '../../domain/model/index.js';
import { parseDomainXml } from '../helpers/parse-domain-xml.js';
import { acceptedSpec, vmi, type Doc } from '../helpers/vmi-builder.js';
import { fileFacts } from '../helpers/volume-facts.js';

const base = (iface: Doc = { name: 'default', masquerade: {} }, networks: Doc[] = [{ name: 'default', pod: {} }]): Doc =>
  vmi({ namespace: 'ns', devices: { interfaces: [iface] }, spec: { networks } });
const accepted = acceptedSpec;

// ---------------------------------------------------------------------------------------------- accepted
test('no networks and no interfaces: no NIC, as before', (t) => {
  const doc = base();
  delete doc['spec'].networks;
  delete doc['spec'].domain.devices.interfaces;
  t.is(accepted(doc).interfaces, undefined);
});

test('masquerade: KubeVirt\'s addressing 10.0.2.2/24, gateway 10.0.2.1; virtio; every port', (t) => {
  const [iface] = accepted(base()).interfaces!;
  t.like(iface, { name: 'default', binding: 'masquerade', model: 'virtio', ports: [] });
  t.deepEqual(iface!.masquerade, { cidr: '10.0.2.0/24', prefix: 24, gateway: '10.0.2.1', guestAddress: '10.0.2.2' });
});

test('masquerade honours vmNetworkCIDR (host bits ignored, as KubeVirt masks them)', (t) => {
  const [iface] = accepted(base(undefined, [{ name: 'default', pod: { vmNetworkCIDR: '10.11.12.7/28' } }])).interfaces!;
  t.deepEqual(iface!.masquerade, { cidr: '10.11.12.0/28', prefix: 28, gateway: '10.11.12.1', guestAddress: '10.11.12.2' });
});

test('passtBinding (core binding) and binding: {name: passt} (plugin form) are the same passt NIC', (t) => {
  const core = accepted(base({ name: 'default', passtBinding: {} })).interfaces![0]!;
  const plugin = accepted(base({ name: 'default', binding: { name: 'passt' } })).interfaces![0]!;
  t.is(core.binding, 'passt');
  t.is(plugin.binding, 'passt');
  t.is(core.bindingAsked, 'passtBinding');
  t.is(plugin.bindingAsked, 'binding.name: passt');
  t.is(core.masquerade, undefined, 'passt gives the guest the pod\'s own address');
});

test('macAddress (normalized), model and ports (TCP by default, UDP, named)', (t) => {
  const iface = accepted(base({
    name: 'net1', masquerade: {}, macAddress: '02-00-0A-0B-0C-0D', model: 'e1000',
    ports: [{ name: 'ssh', port: 22 }, { port: 8080, protocol: 'TCP' }, { port: 53, protocol: 'udp' }],
  }, [{ name: 'net1', pod: {} }])).interfaces![0]!;
  t.is(iface.macAddress, '02:00:0a:0b:0c:0d');
  t.is(iface.model, 'e1000');
  t.deepEqual(iface.ports.map((p) => [p.name, p.protocol, p.port]), [['ssh', 'tcp', 22], [undefined, 'tcp', 8080], [undefined, 'udp', 53]]);
});

const I = 'spec.domain.devices.interfaces[0]';

// [macAddress, as the NIC gets it, or why it is refused]
const macs: Array<[string, string | RegExp]> = [
  ['02:00:00:00:00:01', '02:00:00:00:00:01'],
  ['AA:BB:CC:DD:EE:FF', 'aa:bb:cc:dd:ee:ff'], // 0xaa: the multicast bit is clear
  ['02-ab-00-00-00-01', '02:ab:00:00:00:01'], // every dash, not only the first
  ['fe:00:00:00:00:00', 'fe:00:00:00:00:00'],
  ['03:00:00:00:00:01', /^"03:00:00:00:00:01" is a multicast address; a NIC needs a unicast one$/],
  ['FF:FF:FF:FF:FF:FF', /is a multicast address/],
  ['02:00:00:00:00', /^"02:00:00:00:00" is not a MAC address \(six hex pairs\)$/],
  ['02:00:00:00:00:01:02', /is not a MAC address/],
  ['02:00-00:00:00:01', /is not a MAC address/], // one separator throughout
  ['02-00-00-00-00:01', /is not a MAC address/],
  ['02.00.00.00.00.01', /is not a MAC address/],
  ['g2:00:00:00:00:01', /is not a MAC address/],
  ['02:00:00:00:00:0g', /is not a MAC address/],
  ['002:00:00:00:00:01', /is not a MAC address/],
  ['02:00:00:00:00:001', /is not a MAC address/],
  ['2:00:00:00:00:01', /is not a MAC address/],
  [' 02:00:00:00:00:01', /is not a MAC address/],
  ['02:00:00:00:00:01 ', /is not a MAC address/],
];
for (const [mac, expected] of macs) {
  test(`macAddress ${JSON.stringify(mac)}: ${typeof expected === 'string' ? expected : 'refused'}`, (t) => {
    const r = parseVmi(base({ name: 'default', masquerade: {}, macAddress: mac }));
    if (typeof expected === 'string') {
      t.is(r.spec?.interfaces?.[0]?.macAddress, expected);
      return;
    }
    const field = `${I}.macAddress`;
    t.deepEqual(r.problems.map((p) => [p.reason, p.field]), [['FieldInvalid', field]]);
    t.regex(r.problems[0]!.message.slice(`${field}: `.length), expected);
    t.is(r.problems[0]!.fix, 'write a unicast MAC such as 02:00:00:00:00:01, or remove it (passt then picks one)');
  });
}

// [ports, as the NIC gets them ([protocol, port]), or the refusal (field under the interface, message)]
const portCases: Array<[Doc[], Array<[string, number]> | [string, RegExp]]> = [
  [[{ port: 1 }, { port: 65535 }], [['tcp', 1], ['tcp', 65535]]],
  [[{ port: 22, protocol: 'Tcp' }, { port: 22, protocol: 'UDP' }], [['tcp', 22], ['udp', 22]]], // one port, two protocols
  [[{ port: 65536 }], ['.ports[0].port', /^65536 is above 65535$/]],
  [[{ port: 22 }, { port: 22 }], ['.ports[1]', /^TCP port 22 is listed twice$/]],
  [[{ port: 53, protocol: 'udp' }, { port: 53, protocol: 'UDP' }], ['.ports[1]', /^UDP port 53 is listed twice$/]],
  [[{ port: 9, protocol: 'SCTP' }], ['.ports[0].protocol', /^"SCTP" is not TCP or UDP$/]],
  [[{ name: 'ssh' }], ['.ports[0].port', /^missing$/]],
];
for (const [ports, expected] of portCases) {
  test(`ports ${JSON.stringify(ports)}`, (t) => {
    const r = parseVmi(base({ name: 'default', masquerade: {}, ports }));
    if (typeof expected[0] !== 'string') {
      t.deepEqual(r.spec?.interfaces?.[0]?.ports.map((p) => [p.protocol, p.port]), expected);
      return;
    }
    const [under, message] = expected as [string, RegExp];
    const field = `${I}${under}`;
    const p = r.problems.find((x) => x.field === field);
    t.regex(p?.message.slice(`${field}: `.length) ?? 'no problem', message);
  });
}

// ---------------------------------------------------------------------------------------------- refused
const refusals: Array<[string, Doc, Array<[string, string]>]> = [
  ['bridge', base({ name: 'default', bridge: {} }), [['InterfaceBindingUnsupported', `${I}.bridge`]]],
  ['sriov', base({ name: 'default', sriov: {} }), [['InterfaceBindingUnsupported', `${I}.sriov`]]],
  ['macvtap', base({ name: 'default', macvtap: {} }), [['InterfaceBindingUnsupported', `${I}.macvtap`]]],
  ['slirp', base({ name: 'default', slirp: {} }), [['InterfaceBindingUnsupported', `${I}.slirp`]]],
  ['vdpa', base({ name: 'default', vdpa: {} }), [['InterfaceBindingUnsupported', `${I}.vdpa`]]],
  ['another binding plugin', base({ name: 'default', binding: { name: 'managedtap' } }), [['InterfaceBindingUnsupported', `${I}.binding.name`]]],
  ['a multus network', base({ name: 'default', passtBinding: {} }, [{ name: 'default', multus: { networkName: 'x' } }]),
    [['NetworkMultusUnsupported', 'spec.networks[0].multus']]],
  ['two pod networks', base(undefined, [{ name: 'default', pod: {} }, { name: 'second', pod: {} }]), [['NetworkTooMany', 'spec.networks']]],
  ['two interfaces', (() => { const d = base(); d['spec'].domain.devices.interfaces.push({ name: 'b', masquerade: {} }); return d; })(),
    [['NetworkTooMany', 'spec.domain.devices.interfaces']]],
  ['no binding', base({ name: 'default' }), [['FieldMissing', I]]],
  ['two bindings', base({ name: 'default', masquerade: {}, passtBinding: {} }), [['FieldInvalid', I]]],
  ['binding without a name', base({ name: 'default', binding: {} }), [['FieldMissing', `${I}.binding.name`]]],
  ['masquerade with settings', base({ name: 'default', masquerade: { x: 1 } }), [['FieldNotSupported', `${I}.masquerade.x`]]],
  ['interface without a name', base({ masquerade: {} }), [['FieldMissing', `${I}.name`]]],
  ['interface name not a label', base({ name: 'My_Net', masquerade: {} }, [{ name: 'My_Net', pod: {} }]),
    [['FieldInvalid', `${I}.name`], ['FieldInvalid', 'spec.networks[0].name']]],
  ['names that do not pair', base({ name: 'a', masquerade: {} }, [{ name: 'b', pod: {} }]),
    [['InterfaceNetworkMismatch', `${I}.name`], ['InterfaceNetworkMismatch', 'spec.networks[0]']]],
  ['network without a source', base(undefined, [{ name: 'default' }]), [['FieldMissing', 'spec.networks[0].pod'], ['InterfaceNetworkMismatch', `${I}.name`]]],
  ['bad MAC', base({ name: 'default', masquerade: {}, macAddress: '02:00:00:00:00' }), [['FieldInvalid', `${I}.macAddress`]]],
  ['multicast MAC', base({ name: 'default', masquerade: {}, macAddress: '01:00:5e:00:00:01' }), [['FieldInvalid', `${I}.macAddress`]]],
  ['unknown model', base({ name: 'default', masquerade: {}, model: 'virtio-net' }), [['FieldInvalid', `${I}.model`]]],
  ['port 0', base({ name: 'default', masquerade: {}, ports: [{ port: 0 }] }), [['FieldInvalid', `${I}.ports[0].port`]]],
  ['port above 65535', base({ name: 'default', masquerade: {}, ports: [{ port: 70000 }] }), [['FieldInvalid', `${I}.ports[0].port`]]],
  ['port without a number', base({ name: 'default', masquerade: {}, ports: [{ name: 'ssh' }] }), [['FieldMissing', `${I}.ports[0].port`]]],
  ['SCTP', base({ name: 'default', masquerade: {}, ports: [{ port: 9, protocol: 'SCTP' }] }), [['FieldInvalid', `${I}.ports[0].protocol`]]],
  ['a port twice', base({ name: 'default', masquerade: {}, ports: [{ port: 22 }, { port: 22, protocol: 'TCP' }] }), [['FieldInvalid', `${I}.ports[1]`]]],
  ['vmNetworkCIDR not a CIDR', base(undefined, [{ name: 'default', pod: { vmNetworkCIDR: '10.0.2.0' } }]), [['FieldInvalid', 'spec.networks[0].pod.vmNetworkCIDR']]],
  ['vmNetworkCIDR too small', base(undefined, [{ name: 'default', pod: { vmNetworkCIDR: '10.0.2.0/31' } }]), [['FieldInvalid', 'spec.networks[0].pod.vmNetworkCIDR']]],
  ['vmNetworkCIDR with passt', base({ name: 'default', passtBinding: {} }, [{ name: 'default', pod: { vmNetworkCIDR: '10.0.2.0/24' } }]),
    [['FieldInvalid', 'spec.networks[0].pod.vmNetworkCIDR']]],
  ['vmIPv6NetworkCIDR', base(undefined, [{ name: 'default', pod: { vmIPv6NetworkCIDR: 'fd10::/120' } }]), [['FieldNotSupported', 'spec.networks[0].pod.vmIPv6NetworkCIDR']]],
  ['interface pciAddress', base({ name: 'default', masquerade: {}, pciAddress: '0000:81:00.1' }), [['FieldNotSupported', `${I}.pciAddress`]]],
  ['interface bootOrder', base({ name: 'default', masquerade: {}, bootOrder: 1 }), [['FieldNotSupported', `${I}.bootOrder`]]],
  ['interfaces not a list', (() => { const d = base(); d['spec'].domain.devices.interfaces = {}; return d; })(),
    [['FieldInvalid', 'spec.domain.devices.interfaces'], ['InterfaceNetworkMismatch', 'spec.networks[0]']]],
];

for (const [title, doc, expected] of refusals) {
  test(`refused: ${title}`, (t) => {
    assertRefused(t, doc, expected);
  });
}

const PLUGIN_FIX = 'use passtBinding: {} or masquerade: {} (both reach the pod network through passt, unprivileged)';
// [binding asked for, why it is refused (after "<field>: ")]: each says what it would need
const whyRefused: Array<[Doc, RegExp]> = [
  [{ bridge: {} }, /^a bridge binding needs KubeVirt's privileged node agent \(virt-handler\) to set up the pod's network$/],
  [{ sriov: {} }, /^an SR-IOV binding needs the SR-IOV device plugin, Multus and KubeVirt's privileged node agent$/],
  [{ macvtap: {} }, /^a macvtap binding needs the macvtap device plugin and KubeVirt's privileged node agent \(virt-handler\) to set up the pod's network$/],
  [{ slirp: {} }, /^slirp was removed from KubeVirt; passt replaces it$/],
  [{ vdpa: {} }, /^a vDPA binding needs a vDPA device plugin and KubeVirt's privileged node agent$/],
  [{ binding: { name: 'managedtap' } }, /^the network binding plugin "managedtap" needs its own sidecar or CNI plugin, which vm-launcher does not run$/],
];
for (const [binding, why] of whyRefused) {
  test(`the binding ${JSON.stringify(binding)} says why it is refused and what to use instead`, (t) => {
    const [p] = parseVmi(base({ name: 'default', ...binding })).problems;
    t.is(p?.reason, 'InterfaceBindingUnsupported');
    t.regex(p?.message.slice(`${p.field}: `.length) ?? '', why);
    t.is(p?.fix, PLUGIN_FIX);
  });
}

// ---------------------------------------------------------------------------------------------- decisions
test('masquerade addressing table', (t) => {
  const ok = (cidr?: string) => { const d = masqueradeAddressing(cidr); return d.ok ? [d.value.gateway, d.value.guestAddress, d.value.prefix] : d.message; };
  t.deepEqual(ok(), ['10.0.2.1', '10.0.2.2', 24]);
  t.deepEqual(ok('192.168.100.0/30'), ['192.168.100.1', '192.168.100.2', 30]);
  t.deepEqual(ok('172.16.0.0/12'), ['172.16.0.1', '172.16.0.2', 12]);
  for (const bad of ['10.0.2.0/31', '10.0.2.0/33', '10.0.2.256/24', '10.0.2/24', 'fd10::/120', '', '010.0.2.0/24']) {
    t.is(typeof ok(bad), 'string', bad);
  }
});

test('backend: vhost-user for virtio where libvirt accepts it, else user; refusals say why', (t) => {
  const all = { user: true, vhostUser: true };
  const pick = (...a: Parameters<typeof choosePasstBackend>) => { const d = choosePasstBackend(...a); return d.ok ? d.value.backend : d.reason; };
  t.is(pick('auto', 'virtio', all), 'vhost-user');
  t.is(pick('auto', 'e1000', all), 'user');
  t.is(pick('auto', 'virtio', { user: true, vhostUser: false }), 'user');
  t.is(pick('auto', 'virtio', { user: false, vhostUser: false }), 'PasstUnsupportedByLibvirt');
  t.is(pick('user', 'virtio', all), 'user');
  t.is(pick('vhost-user', 'virtio', all), 'vhost-user');
  t.is(pick('vhost-user', 'e1000', all), 'FieldInvalid');
  t.is(pick('vhost-user', 'virtio', { user: true, vhostUser: false }), 'PasstUnsupportedByLibvirt');
  t.is(pick('user', 'virtio', { user: false, vhostUser: true }), 'PasstUnsupportedByLibvirt');
});

test('port forwards: KubeVirt\'s rule (none listed = every TCP and UDP port)', (t) => {
  const port = (port: number, protocol: 'tcp' | 'udp' = 'tcp'): PortSpec => ({ port, protocol, field: 'x' });
  t.deepEqual(portForwards([]), [{ proto: 'tcp', ports: [] }, { proto: 'udp', ports: [] }]);
  t.deepEqual(portForwards([port(22), port(80)]), [{ proto: 'tcp', ports: [22, 80] }]);
  t.deepEqual(portForwards([port(53, 'udp'), port(22)]), [{ proto: 'tcp', ports: [22] }, { proto: 'udp', ports: [53] }]);
  t.true(FORWARD_ALL_OPEN_FILES > 2 * 49151, 'a socket per port below 49152, per protocol');
});

test('passt socket path: libvirt\'s layout, domain name cut to 20 characters', (t) => {
  const path = passtSocketPath('/var/run/vm-launcher/run', 'namespace_a-very-long-vm-name', 'ua-default');
  t.is(path, '/var/run/vm-launcher/run/libvirt/qemu/run/passt/999-namespace_a-very-lon-ua-default.socket');
  t.true(Buffer.byteLength(path) <= 107);
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
