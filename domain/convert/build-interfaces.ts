// The guest's NIC in the domain: libvirt's passt backend as KubeVirt emits it (`<interface type='vhostuser'>` with
// `<backend type='passt'/>` and shared memfd memory), or `type='user'` with the passt backend where vhost-user was
// not chosen (launcher/inspect decides, convert/network-policy.ts says how).
import { problem, type Problem } from '../problem.js';
import type { Domain, DomainInterface } from '../libvirt/index.js';
import { interfaceAlias, portForwards } from './network-policy.js';
import type { InterfaceSpec, NetworkOptions } from '../model/index.js';

export interface BuiltInterfaces {
  interfaces: DomainInterface[];
  memoryBacking?: Domain['memoryBacking'];
}

export function buildInterfaces(problems: Problem[], interfaces: readonly InterfaceSpec[], opts: NetworkOptions | undefined): BuiltInterfaces {
  if (interfaces.length === 0) return { interfaces: [] };
  if (!opts) {
    problems.push(problem('InternalError', 'the passt backend was not decided before the domain was built (a bug)', { field: interfaces[0]!.field }));
    return { interfaces: [] };
  }
  const built = interfaces.map((iface): DomainInterface => ({
    type: opts.backend === 'vhost-user' ? 'vhostuser' : 'user',
    ...(iface.macAddress !== undefined && { mac: iface.macAddress }),
    model: iface.model,
    backend: { type: 'passt', ...(opts.passtLogFile !== undefined && { logFile: opts.passtLogFile }) },
    ...(iface.masquerade && { ip: { address: iface.masquerade.guestAddress, prefix: iface.masquerade.prefix } }),
    portForwards: portForwards(iface.ports).map((f) => ({ proto: f.proto, ranges: f.ports.map((start) => ({ start })) })),
    alias: interfaceAlias(iface.name),
  }));
  return {
    interfaces: built,
    ...(opts.backend === 'vhost-user' && { memoryBacking: { source: 'memfd' as const, access: 'shared' as const } }),
  };
}
