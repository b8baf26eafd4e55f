// Every refused field of spec.networks and interfaces: the main table (reason and exact path, each message of the
// form "<field>: ...", each with a fix), why each binding that needs KubeVirt's cluster is refused and what to use
// instead, and every problem word for word (reason, field, message, fix), null as absent versus a value of the wrong
// type (found by mutation testing).
import test from 'ava';
import { parseVmi } from '../../domain/manifest/index.js';
import { assertRefused } from '../helpers/refusal-checks.js';
import { oneNicVmi as base, vmi as baseVmi, type Doc } from '../helpers/vmi-builder.js';

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
