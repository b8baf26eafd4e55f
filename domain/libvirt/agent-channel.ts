// The guest agent's virtio-serial channel, as KubeVirt adds it to every domain: qemu-guest-agent in the guest talks
// on the port named org.qemu.guest_agent.0; QEMU listens on a unix socket and libvirt connects to it, follows the
// channel's state (connected/disconnected) and sends the agent's commands.
import type { DomainChannel } from './domain-model.js';

/** The virtio-serial port qemu-guest-agent opens in the guest (its default). */
export const GUEST_AGENT_CHANNEL = 'org.qemu.guest_agent.0';

/**
 * The channel, bound at `socketPath` when given (the runtime dir: short enough for a unix socket's 107 bytes, which
 * libvirt's own choice under $XDG_CONFIG_HOME/libvirt/qemu/lib/channel/target/domain-N-NAME/ is not always); absent:
 * libvirt picks the path.
 */
export function agentChannel(socketPath: string | undefined): DomainChannel {
  return { type: 'unix', ...(socketPath !== undefined && { sourcePath: socketPath }), targetName: GUEST_AGENT_CHANNEL };
}
