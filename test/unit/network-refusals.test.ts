// The edges of spec.networks and interfaces that the main table (domain-network.test.ts) leaves open, found by
// mutation testing: every problem word for word (reason, field, message, fix), null as absent versus a value of the
// wrong type, and what parseNetworking itself returns when problems were reported (parseVmi then hides the spec,
// so only a direct call shows that a refused NIC is not handed on).
import test from 'ava';
import { parseVmi } from '../../domain/manifest/index.js';
import { parseNetworking } from '../../domain/manifest/vmi-networks.js';
import type { InterfaceSpec } from '../../domain/model/index.js';
import type { Problems } from '../../domain/manifest/manifest-reader.js';
import { vmi as baseVmi } from '../helpers/vmi-builder.js';

type Doc = Record<string, unknown>;

const I = 'spec.domain.devices.interfaces[0]';
const N = 'spec.networks[0]';
const IFACE_FIX = 'give the interface a name and a binding (passtBinding: {} or masquerade: {})';
const NAME_FIX = 'name it, for example default';

const vmi = (interfaces: unknown, networks: unknown): Doc => baseVmi({ namespace: 'ns', devices: { interfaces }, spec: { networks } });
const one = (iface: Doc, network: Doc = { name: 'default', pod: {} }) => vmi([iface], [network]);
const mismatchIface = (name: string): [string, string, string, string] => ['InterfaceNetworkMismatch', `${I}.name`,
  `${I}.name: interface ${name} has no network of that name in spec.networks`,
  `add {name: ${name}, pod: {}} to spec.networks, or name the interface after the network`];

// [title, manifest, every problem as [reason, field, message, fix]]
const exact: Array<[string, Doc, Array<[string, string, string, string]>]> = [
  ['a network that is not an object', vmi([{ name: 'default', masquerade: {} }], [5]), [
    ['FieldInvalid', N, `${N}: a network must be an object`, 'give the network a name and pod: {}'],
    mismatchIface('default'),
  ]],
  ['an interface that is not an object', vmi(['x'], [{ name: 'default', pod: {} }]), [
    ['FieldInvalid', I, `${I}: an interface must be an object`, IFACE_FIX],
  ]],
  ['a network without a name', one({ name: 'default', masquerade: {} }, { pod: {} }), [
    ['FieldMissing', `${N}.name`, `${N}.name: a network needs a name`, NAME_FIX],
    mismatchIface('default'),
  ]],
  ['a network whose name is null', one({ name: 'default', masquerade: {} }, { name: null, pod: {} }), [
    ['FieldMissing', `${N}.name`, `${N}.name: a network needs a name`, NAME_FIX],
    mismatchIface('default'),
  ]],
  ['a network whose name is a number: wrong type, not missing', one({ name: 'default', masquerade: {} }, { name: 5, pod: {} }), [
    ['FieldInvalid', `${N}.name`, `${N}.name: must be a string, not 5`, 'quote the value'],
    mismatchIface('default'),
  ]],
  // Its network is not reported as unpaired: the interface's own problem says it all.
  ['an interface without a name', one({ masquerade: {} }), [
    ['FieldMissing', `${I}.name`, `${I}.name: an interface needs a name`, NAME_FIX],
  ]],
  ['a network with no interface', vmi([], [{ name: 'default', pod: {} }]), [
    ['InterfaceNetworkMismatch', N, `${N}: network default has no interface in spec.domain.devices.interfaces`,
      'add {name: default, masquerade: {}} (or passtBinding: {}) to spec.domain.devices.interfaces'],
  ]],
  ['a multus network without a name: refused once, no mismatch for a nameless network', one({ name: 'default', passtBinding: {} }, { multus: { networkName: 'x' } }), [
    ['FieldMissing', `${N}.name`, `${N}.name: a network needs a name`, NAME_FIX],
    ['NetworkMultusUnsupported', `${N}.multus`, `${N}.multus: a Multus network needs Multus and KubeVirt's privileged node agent`,
      'use the pod network (pod: {}); the guest reaches it through passt'],
    mismatchIface('default'),
  ]],
  ['pod of the wrong type: invalid, not missing', one({ name: 'default', masquerade: {} }, { name: 'default', pod: 'x' }), [
    ['FieldInvalid', `${N}.pod`, `${N}.pod: must be an object`, 'write it as a mapping of keys to values'],
    mismatchIface('default'),
  ]],
  ['pod: null is a network without a source', one({ name: 'default', masquerade: {} }, { name: 'default', pod: null }), [
    ['FieldMissing', `${N}.pod`, `${N}.pod: a network needs a source`, 'add pod: {}'],
    mismatchIface('default'),
  ]],
  ['vmIPv6NetworkCIDR says why', one({ name: 'default', masquerade: {} }, { name: 'default', pod: { vmIPv6NetworkCIDR: 'fd10::/120' } }), [
    ['FieldNotSupported', `${N}.pod.vmIPv6NetworkCIDR`, `${N}.pod.vmIPv6NetworkCIDR: not supported`,
      'remove it: passt gives the guest the pod\'s own IPv6 address, if it has one'],
  ]],
  ['two bindings', one({ name: 'default', masquerade: {}, passtBinding: {} }), [
    ['FieldInvalid', I, `${I}: more than one binding (passtBinding, masquerade)`, 'keep exactly one binding'],
  ]],
  ['a binding plugin whose name is a number', one({ name: 'default', binding: { name: 5 } }), [
    ['FieldInvalid', `${I}.binding.name`, `${I}.binding.name: must be a string, not 5`, 'quote the value'],
  ]],
  ['a binding plugin whose name is null', one({ name: 'default', binding: { name: null } }), [
    ['FieldMissing', `${I}.binding.name`, `${I}.binding.name: missing`, 'name: passt'],
  ]],
  ['an unknown model', one({ name: 'default', masquerade: {}, model: 'virtio-net' }), [
    ['FieldInvalid', `${I}.model`, `${I}.model: "virtio-net" is not one of virtio, e1000, e1000e, igb, ne2k_pci, pcnet, rtl8139`,
      'remove it (virtio, the fastest, is the default)'],
  ]],
  ['a port that is not an object', one({ name: 'default', masquerade: {}, ports: [22] }), [
    ['FieldInvalid', `${I}.ports[0]`, `${I}.ports[0]: a port must be an object`, 'write ports as {port: 22} or {name: ssh, protocol: TCP, port: 22}'],
  ]],
  ['port: null is a missing port', one({ name: 'default', masquerade: {}, ports: [{ port: null }] }), [
    ['FieldMissing', `${I}.ports[0].port`, `${I}.ports[0].port: missing`, 'give the port number the guest listens on'],
  ]],
  ['a port of the wrong type: invalid, not missing', one({ name: 'default', masquerade: {}, ports: [{ port: '22' }] }), [
    ['FieldInvalid', `${I}.ports[0].port`, `${I}.ports[0].port: must be an integer >= 1, not "22"`, 'write a whole number >= 1'],
  ]],
  ['vmNetworkCIDR of the wrong type', one({ name: 'default', masquerade: {} }, { name: 'default', pod: { vmNetworkCIDR: 5 } }), [
    ['FieldInvalid', `${N}.pod.vmNetworkCIDR`, `${N}.pod.vmNetworkCIDR: must be a string, not 5`, 'quote the value'],
  ]],
  ['vmNetworkCIDR with passt says which binding asked', one({ name: 'default', binding: { name: 'passt' } }, { name: 'default', pod: { vmNetworkCIDR: '10.0.2.0/24' } }), [
    ['FieldInvalid', `${N}.pod.vmNetworkCIDR`,
      `${N}.pod.vmNetworkCIDR: only a masquerade interface has a VM network; with binding.name: passt the guest has the pod's own address`,
      'remove vmNetworkCIDR, or bind the interface with masquerade: {}'],
  ]],
];
for (const [title, doc, expected] of exact) {
  test(`network problems word for word: ${title}`, (t) => {
    const got = parseVmi(doc).problems.map((p) => [p.reason, p.field, p.message, p.fix]);
    t.deepEqual(got, expected);
  });
}

// Null is absent (Kubernetes semantics): these are accepted.
test('network nulls: masquerade: null beside passtBinding is one binding; vmNetworkCIDR: null is the default addressing', (t) => {
  const passt = parseVmi(one({ name: 'default', masquerade: null, passtBinding: {} }, { name: 'default', pod: { vmNetworkCIDR: null } }));
  t.deepEqual(passt.problems, []);
  t.is(passt.spec?.interfaces?.[0]?.binding, 'passt');
  const masq = parseVmi(one({ name: 'default', masquerade: {} }, { name: 'default', pod: { vmNetworkCIDR: null } }));
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
