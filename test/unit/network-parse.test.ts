// What a VMI's spec.networks and interfaces become: every accepted form (passtBinding, the passt plugin, masquerade
// with KubeVirt's addressing, MAC, model, ports, null as absent) as the InterfaceSpec it yields, and what
// parseNetworking hands on when a problem was reported (parseVmi then hides the spec, so only a direct call shows
// that a refused NIC is not handed on). Refusals: network-refusals.test.ts; decisions: network-policy.test.ts; the
// domain and its XML: network-build.test.ts.
import test from 'ava';
import { parseVmi } from '../../domain/manifest/index.js';
import { parseNetworking } from '../../domain/manifest/vmi-networks.js';
import type { Problems } from '../../domain/manifest/manifest-reader.js';
import type { InterfaceSpec } from '../../domain/model/index.js';
import { acceptedSpec, oneNicVmi as base, type Doc } from '../helpers/vmi-builder.js';

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

// Null is absent (Kubernetes semantics): these are accepted.
test('network nulls: masquerade: null beside passtBinding is one binding; vmNetworkCIDR: null is the default addressing', (t) => {
  const passt = parseVmi(base({ name: 'default', masquerade: null, passtBinding: {} }, [{ name: 'default', pod: { vmNetworkCIDR: null } }]));
  t.deepEqual(passt.problems, []);
  t.is(passt.spec?.interfaces?.[0]?.binding, 'passt');
  const masq = parseVmi(base({ name: 'default', masquerade: {} }, [{ name: 'default', pod: { vmNetworkCIDR: null } }]));
  t.deepEqual(masq.problems, []);
  t.deepEqual(masq.spec?.interfaces?.[0]?.masquerade, { cidr: '10.0.2.0/24', gateway: '10.0.2.1', guestAddress: '10.0.2.2', prefix: 24 });
});

// ------------------------------------------------------------------------------ what parseNetworking hands on
const networking = (iface: unknown, networks: unknown[] = [{ name: 'default', pod: {} }], interfaces: unknown[] | undefined = [iface]) => {
  const problems: Problems = [];
  const spec = { networks };
  const out: InterfaceSpec[] = parseNetworking(problems, spec, 'spec', interfaces, 'spec.domain.devices.interfaces');
  return { out, problems: problems.map((p) => p.reason) };
};

test('parseNetworking hands on no NIC when its network or binding was refused', (t) => {
  for (const [why, got] of [
    ['a multus network', networking({ name: 'default', passtBinding: {} }, [{ name: 'default', multus: { networkName: 'x' } }])],
    ['two networks, no interfaces', networking(undefined, [{ name: 'a', pod: {} }, { name: 'b', pod: {} }], undefined)],
    ['a binding that is not an object', networking({ name: 'default', masquerade: 'yes' })],
    ['masquerade in a CIDR too small', networking({ name: 'default', masquerade: {} }, [{ name: 'default', pod: { vmNetworkCIDR: '10.0.2.0/31' } }])],
    ['masquerade with a CIDR of the wrong type', networking({ name: 'default', masquerade: {} }, [{ name: 'default', pod: { vmNetworkCIDR: 5 } }])],
  ] as const) {
    t.deepEqual(got.out, [], why);
    t.true(got.problems.length > 0, why);
  }
});

test('parseNetworking: the NIC it hands on after a refused model or port is still sound', (t) => {
  const model = networking({ name: 'default', masquerade: {}, model: 'virtio-net' });
  t.deepEqual(model.problems, ['FieldInvalid']);
  t.is(model.out[0]?.model, 'virtio', 'a refused model falls back to virtio, never an empty model');
  const ports = networking({ name: 'default', passtBinding: {}, ports: [{ port: 22 }, { port: 22 }, { name: 'web' }, { port: 80 }] });
  t.deepEqual(ports.out[0]?.ports.map((p) => p.port), [22, 80], 'the duplicate and the port without a number are dropped');
});

test('parseNetworking: absent optional fields stay absent (no key holding undefined); bindingAsked names the form used', (t) => {
  const { out } = networking({ name: 'default', masquerade: {}, ports: [{ port: 22 }, { name: 'web', port: 80 }] });
  const nic = out[0]!;
  t.false('macAddress' in nic);
  t.false('name' in nic.ports[0]!);
  t.is(nic.ports[1]?.name, 'web');
  t.is(nic.bindingAsked, 'masquerade');
  t.is(networking({ name: 'default', passtBinding: {} }).out[0]?.bindingAsked, 'passtBinding');
});
