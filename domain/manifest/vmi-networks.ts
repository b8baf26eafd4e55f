// spec.networks and spec.domain.devices.interfaces: the guest's NIC on the pod network. Only what passt can do
// without privileges is accepted: one pod network, bound with passtBinding (KubeVirt's core passt binding), the
// passt binding plugin (`binding: {name: passt}`) or masquerade (KubeVirt's default, given the same contract through
// passt). Bindings that need KubeVirt's privileged node agent or a CNI plugin (bridge, sriov, macvtap, multus) are
// refused with the reason why.
import { problem } from '../problem.js';
import { Reason } from '../reasons.js';
import { isDns1123Label } from './names.js';
import {
  fieldPath, parseObjects, withArticle, readArray, readInteger, readObject, readString, refuseUnknownKeys, type Obj, type Problems,
} from './manifest-reader.js';
import { FIX_HINTS } from './vmi-fields.js';
import { masqueradeAddressing } from './masquerade-addressing.js';
import { INTERFACE_MODELS, type InterfaceModel, type InterfaceSpec, type MasqueradeAddressing, type PortSpec } from '../model/index.js';

const PLUGIN_FIX = 'use passtBinding: {} or masquerade: {} (both reach the pod network through passt, unprivileged)';
const AGENT = 'KubeVirt\'s privileged node agent (virt-handler) to set up the pod\'s network';

/** Binding methods KubeVirt knows and passt cannot provide, each with why. */
const PRIVILEGED_BINDINGS: Readonly<Record<string, string>> = {
  bridge: `a bridge binding needs ${AGENT}`,
  sriov: 'an SR-IOV binding needs the SR-IOV device plugin, Multus and KubeVirt\'s privileged node agent',
  macvtap: `a macvtap binding needs the macvtap device plugin and ${AGENT}`,
  slirp: 'slirp was removed from KubeVirt; passt replaces it',
  vdpa: 'a vDPA binding needs a vDPA device plugin and KubeVirt\'s privileged node agent',
};
const BINDING_KEYS = ['passtBinding', 'masquerade', 'binding', ...Object.keys(PRIVILEGED_BINDINGS)];
/** The privileged bindings are read here only to be refused with their reason. */
const INTERFACE_FIELDS = { accepted: ['name', 'model', 'macAddress', 'ports', ...BINDING_KEYS] };

const PORT_FIELDS = { accepted: ['name', 'protocol', 'port'] };
const NETWORK_FIELDS = { accepted: ['name', 'pod', 'multus'] };
const POD_NETWORK_FIELDS = { accepted: ['vmNetworkCIDR'] };

/** `refused`: reported already (multus); its interface is not reported again. */
interface ParsedNetwork { name: string; field: string; pod?: Obj; refused?: true }

/**
 * The interfaces, each matched with its network. `interfaces` is the raw spec.domain.devices.interfaces list (the
 * devices parser leaves it to this module), `networks` the raw spec.networks.
 */
export function parseNetworking(problems: Problems, spec: Obj, specPath: string, interfaces: unknown[] | undefined, interfacesPath: string): InterfaceSpec[] {
  const networkList = readArray(problems, spec, 'networks', specPath) ?? [];
  const networks = parseObjects(problems, networkList, fieldPath(specPath, 'networks'),
    { what: 'network', fix: 'give the network a name and pod: {}', rules: NETWORK_FIELDS, hints: FIX_HINTS },
    (item, field) => parseNetwork(problems, item, field));
  const parsed = parseObjects(problems, interfaces ?? [], interfacesPath,
    { what: 'interface', fix: 'give the interface a name and a binding (passtBinding: {} or masquerade: {})', rules: INTERFACE_FIELDS, hints: FIX_HINTS },
    (item, field) => parseInterface(problems, item, field));
  const count = Math.max(networkList.length, (interfaces ?? []).length);
  if (count > 1) {
    const field = networkList.length > 1 ? fieldPath(specPath, 'networks') : interfacesPath;
    problems.push(problem(Reason.NetworkTooMany, `${field}: ${count} networks or interfaces; vm-launcher gives the guest one NIC, on the pod network`, {
      field, fix: 'keep one pod network and its one interface; more networks need Multus and KubeVirt\'s privileged node agent',
    }));
    return [];
  }
  // A network whose interface was refused above is not reported a second time.
  const allParsed = parsed.length === (interfaces ?? []).length;
  return matchInterfaces(problems, parsed, networks, specPath, allParsed);
}

function parseNetwork(problems: Problems, item: Obj, field: string): ParsedNetwork | undefined {
  const name = readName(problems, item, field, 'network');
  if (readObject(problems, item, 'multus', field)) {
    problems.push(problem(Reason.NetworkMultusUnsupported, `${field}.multus: a Multus network needs Multus and KubeVirt's privileged node agent`, {
      field: `${field}.multus`, fix: 'use the pod network (pod: {}); the guest reaches it through passt',
    }));
    return name === undefined ? undefined : { name, field, refused: true };
  }
  const pod = readObject(problems, item, 'pod', field);
  if (!pod) {
    if (item['pod'] === undefined || item['pod'] === null) {
      problems.push(problem(Reason.FieldMissing, `${field}.pod: a network needs a source`, { field: `${field}.pod`, fix: 'add pod: {}' }));
    }
    return undefined;
  }
  refuseUnknownKeys(problems, pod, fieldPath(field, 'pod'), POD_NETWORK_FIELDS, {
    vmIPv6NetworkCIDR: 'remove it: passt gives the guest the pod\'s own IPv6 address, if it has one',
  });
  return name === undefined ? undefined : { name, field, pod };
}

type ParsedInterface = Omit<InterfaceSpec, 'masquerade'>;

function parseInterface(problems: Problems, item: Obj, field: string): ParsedInterface | undefined {
  const name = readName(problems, item, field, 'interface');
  const binding = parseBinding(problems, item, field);
  const model = readModel(problems, item, field);
  const macAddress = readMac(problems, item, field);
  const portList = readArray(problems, item, 'ports', field);
  const ports = portList ? parsePorts(problems, portList, fieldPath(field, 'ports')) : [];
  if (name === undefined || !binding) return undefined;
  return { name, field, ...binding, model, ...(macAddress !== undefined && { macAddress }), ports };
}

function readName(problems: Problems, item: Obj, field: string, what: string): string | undefined {
  const name = readString(problems, item, 'name', field);
  if (name === undefined) {
    if (item['name'] === undefined || item['name'] === null) {
      problems.push(problem(Reason.FieldMissing, `${field}.name: ${withArticle(what)} needs a name`, { field: `${field}.name`, fix: 'name it, for example default' }));
    }
    return undefined;
  }
  if (isDns1123Label(name)) return name;
  // It becomes part of libvirt's alias and of passt's unix socket path.
  problems.push(problem(Reason.FieldInvalid, `${field}.name: ${JSON.stringify(name)} is not a DNS-1123 label`, {
    field: `${field}.name`, fix: 'use lowercase letters, digits and dashes, for example default',
  }));
  return undefined;
}

function parseBinding(problems: Problems, item: Obj, field: string): Pick<InterfaceSpec, 'binding' | 'bindingAsked'> | undefined {
  const present = BINDING_KEYS.filter((k) => item[k] !== undefined && item[k] !== null);
  if (present.length === 0) {
    problems.push(problem(Reason.FieldMissing, `${field}: the interface has no binding`, { field, fix: 'add passtBinding: {} or masquerade: {}' }));
    return undefined;
  }
  if (present.length > 1) {
    problems.push(problem(Reason.FieldInvalid, `${field}: more than one binding (${present.join(', ')})`, { field, fix: 'keep exactly one binding' }));
    return undefined;
  }
  const key = present[0]!;
  const bindingField = fieldPath(field, key);
  const why = PRIVILEGED_BINDINGS[key];
  if (why !== undefined) {
    problems.push(problem(Reason.InterfaceBindingUnsupported, `${bindingField}: ${why}`, { field: bindingField, fix: PLUGIN_FIX }));
    return undefined;
  }
  const body = readObject(problems, item, key, field);
  if (!body) return undefined;
  if (key === 'binding') return parsePlugin(problems, body, bindingField);
  // passtBinding and masquerade take no settings.
  refuseUnknownKeys(problems, body, bindingField, { accepted: [] });
  return key === 'masquerade' ? { binding: 'masquerade', bindingAsked: 'masquerade' } : { binding: 'passt', bindingAsked: 'passtBinding' };
}

/** `binding: {name: passt}`: KubeVirt's network binding plugin form; any other plugin needs its own sidecar or CNI. */
function parsePlugin(problems: Problems, body: Obj, field: string): Pick<InterfaceSpec, 'binding' | 'bindingAsked'> | undefined {
  refuseUnknownKeys(problems, body, field, { accepted: ['name'] });
  const name = readString(problems, body, 'name', field);
  if (name === 'passt') return { binding: 'passt', bindingAsked: 'binding.name: passt' };
  if (name === undefined) {
    if (body['name'] === undefined || body['name'] === null) problems.push(problem(Reason.FieldMissing, `${field}.name: missing`, { field: `${field}.name`, fix: 'name: passt' }));
    return undefined;
  }
  problems.push(problem(Reason.InterfaceBindingUnsupported, `${field}.name: the network binding plugin ${JSON.stringify(name)} needs its own sidecar or CNI plugin, which vm-launcher does not run`, {
    field: `${field}.name`, fix: PLUGIN_FIX,
  }));
  return undefined;
}

function readModel(problems: Problems, item: Obj, field: string): InterfaceModel {
  const model = readString(problems, item, 'model', field);
  if (model === undefined) return 'virtio';
  if ((INTERFACE_MODELS as readonly string[]).includes(model)) return model as InterfaceModel;
  problems.push(problem(Reason.FieldInvalid, `${field}.model: ${JSON.stringify(model)} is not one of ${INTERFACE_MODELS.join(', ')}`, {
    field: `${field}.model`, fix: 'remove it (virtio, the fastest, is the default)',
  }));
  return 'virtio';
}

const MAC = /^[0-9a-fA-F]{2}([:-])[0-9a-fA-F]{2}(\1[0-9a-fA-F]{2}){4}$/;

function readMac(problems: Problems, item: Obj, field: string): string | undefined {
  const mac = readString(problems, item, 'macAddress', field);
  if (mac === undefined) return undefined;
  const macField = fieldPath(field, 'macAddress');
  const normalized = mac.toLowerCase().replace(/-/g, ':');
  const why = !MAC.test(mac) ? 'is not a MAC address (six hex pairs)'
    : (parseInt(normalized.slice(0, 2), 16) & 1) === 1 ? 'is a multicast address; a NIC needs a unicast one'
      : undefined;
  if (!why) return normalized;
  problems.push(problem(Reason.FieldInvalid, `${macField}: ${JSON.stringify(mac)} ${why}`, {
    field: macField, fix: 'write a unicast MAC such as 02:00:00:00:00:01, or remove it (passt then picks one)',
  }));
  return undefined;
}

function parsePorts(problems: Problems, list: unknown[], path: string): PortSpec[] {
  const ports = parseObjects(problems, list, path, { what: 'port', fix: 'write ports as {port: 22} or {name: ssh, protocol: TCP, port: 22}', rules: PORT_FIELDS },
    (item, field) => parsePort(problems, item, field));
  const seen = new Set<string>();
  return ports.filter((p) => {
    const key = `${p.protocol}/${p.port}`;
    if (!seen.has(key)) return seen.add(key);
    problems.push(problem(Reason.FieldInvalid, `${p.field}: ${p.protocol.toUpperCase()} port ${p.port} is listed twice`, { field: p.field, fix: 'list each port once' }));
    return false;
  });
}

function parsePort(problems: Problems, item: Obj, field: string): PortSpec | undefined {
  const name = readString(problems, item, 'name', field);
  const protocol = readString(problems, item, 'protocol', field) ?? 'TCP';
  const port = readInteger(problems, item, 'port', field, 1);
  if (item['port'] === undefined || item['port'] === null) {
    problems.push(problem(Reason.FieldMissing, `${field}.port: missing`, { field: `${field}.port`, fix: 'give the port number the guest listens on' }));
  }
  if (port !== undefined && port > 65535) {
    problems.push(problem(Reason.FieldInvalid, `${field}.port: ${port} is above 65535`, { field: `${field}.port`, fix: 'use a port from 1 to 65535' }));
    return undefined;
  }
  const proto = protocol.toLowerCase();
  if (proto !== 'tcp' && proto !== 'udp') {
    problems.push(problem(Reason.FieldInvalid, `${field}.protocol: ${JSON.stringify(protocol)} is not TCP or UDP`, { field: `${field}.protocol`, fix: 'use TCP or UDP (passt forwards nothing else)' }));
    return undefined;
  }
  return port === undefined ? undefined : { ...(name !== undefined && { name }), protocol: proto, port, field };
}

/** KubeVirt pairs interfaces and networks by name, one to one. */
function matchInterfaces(problems: Problems, interfaces: ParsedInterface[], networks: ParsedNetwork[], specPath: string, allParsed: boolean): InterfaceSpec[] {
  const out: InterfaceSpec[] = [];
  for (const iface of interfaces) {
    const network = networks.find((n) => n.name === iface.name);
    if (network?.refused) continue;
    if (!network) {
      problems.push(problem(Reason.InterfaceNetworkMismatch, `${iface.field}.name: interface ${iface.name} has no network of that name in ${fieldPath(specPath, 'networks')}`, {
        field: `${iface.field}.name`, fix: `add {name: ${iface.name}, pod: {}} to spec.networks, or name the interface after the network`,
      }));
      continue;
    }
    if (iface.binding !== 'masquerade') {
      refuseCidr(problems, network, iface);
      out.push(iface);
      continue;
    }
    const masquerade = readCidr(problems, network);
    if (masquerade) out.push({ ...iface, masquerade });
  }
  for (const network of networks) {
    if (!allParsed || interfaces.some((i) => i.name === network.name)) continue;
    problems.push(problem(Reason.InterfaceNetworkMismatch, `${network.field}: network ${network.name} has no interface in spec.domain.devices.interfaces`, {
      field: network.field, fix: `add {name: ${network.name}, masquerade: {}} (or passtBinding: {}) to spec.domain.devices.interfaces`,
    }));
  }
  return out;
}

/** vmNetworkCIDR is masquerade's: with passt the guest has the pod's own address, so it would be silently dropped. */
function refuseCidr(problems: Problems, network: ParsedNetwork, iface: ParsedInterface): void {
  if (network.pod?.['vmNetworkCIDR'] === undefined || network.pod['vmNetworkCIDR'] === null) return;
  const field = fieldPath(fieldPath(network.field, 'pod'), 'vmNetworkCIDR');
  problems.push(problem(Reason.FieldInvalid, `${field}: only a masquerade interface has a VM network; with ${iface.bindingAsked} the guest has the pod's own address`, {
    field, fix: 'remove vmNetworkCIDR, or bind the interface with masquerade: {}',
  }));
}

function readCidr(problems: Problems, network: ParsedNetwork): MasqueradeAddressing | undefined {
  const field = fieldPath(fieldPath(network.field, 'pod'), 'vmNetworkCIDR');
  const cidr = network.pod ? readString(problems, network.pod, 'vmNetworkCIDR', fieldPath(network.field, 'pod')) : undefined;
  if (network.pod?.['vmNetworkCIDR'] !== undefined && network.pod['vmNetworkCIDR'] !== null && cidr === undefined) return undefined;
  const addressing = masqueradeAddressing(cidr);
  if (addressing.ok) return addressing.value;
  problems.push(problem(Reason.FieldInvalid, `${field}: ${addressing.message}`, { field, fix: addressing.fix }));
  return undefined;
}
