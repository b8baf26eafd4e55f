// The guest's NIC as the rest of domain/ carries it: what the manifest asked for (manifest/vmi-networks.ts reads
// it) and how the launcher reaches passt (launcher/inspect decides the backend).

export type InterfaceBinding = 'passt' | 'masquerade';
/** KubeVirt's interface models. */
export const INTERFACE_MODELS = ['virtio', 'e1000', 'e1000e', 'igb', 'ne2k_pci', 'pcnet', 'rtl8139'] as const;
export type InterfaceModel = (typeof INTERFACE_MODELS)[number];

export interface PortSpec {
  name?: string;
  protocol: 'tcp' | 'udp';
  port: number;
  field: string;
}

export interface InterfaceSpec {
  /** The interface's (and its network's) name: a DNS-1123 label, safe in libvirt's alias and passt's socket name. */
  name: string;
  field: string;
  binding: InterfaceBinding;
  /** How the manifest asked for it, for messages: `passtBinding`, `binding.name: passt`, `masquerade`. */
  bindingAsked: string;
  model: InterfaceModel;
  /** Lower case, colon-separated. */
  macAddress?: string;
  /** Empty: every port is forwarded, as KubeVirt does. */
  ports: PortSpec[];
  /** masquerade: KubeVirt's addressing inside the VM network CIDR. */
  masquerade?: MasqueradeAddressing;
}

/**
 * KubeVirt's masquerade addressing inside the VM network CIDR: the gateway is the network's first address, the
 * guest the second (10.0.2.1 and 10.0.2.2 in the default 10.0.2.0/24).
 */
export interface MasqueradeAddressing { cidr: string; prefix: number; gateway: string; guestAddress: string }

/**
 * vhost-user: QEMU and passt share the guest's memory (memfd) and packets skip a copy through a socket: KubeVirt's
 * choice and the fastest. user: passt behind QEMU's stream netdev; needs no shared memory and works with any model.
 */
export type PasstBackend = 'vhost-user' | 'user';

export interface NetworkOptions {
  backend: PasstBackend;
  /** Where passt logs (the runtime dir's logs): read back on failure. */
  passtLogFile?: string;
}
