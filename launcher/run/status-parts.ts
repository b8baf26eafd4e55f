// The parts of the status file known before the guest starts: the NIC (binding, forwarded ports) and each disk with
// its source, as `kubectl describe vmi` shows them.
import type { VmSpec, VolumeFacts } from '../../domain/model/index.js';
import type { Status } from '../stack/status-file.js';

export function staticStatus(spec: VmSpec, facts: readonly VolumeFacts[]): Pick<Status, 'network' | 'disks'> {
  const iface = spec.interfaces?.[0];
  const byVolume = new Map(facts.map((f) => [f.volume, f]));
  return {
    network: iface
      ? { interface: iface.name, binding: iface.bindingAsked, model: iface.model, ports: iface.ports.length > 0 ? iface.ports.map((p) => `${p.port}/${p.protocol}`) : ['all'] }
      : null,
    disks: spec.disks.map((d) => {
      const f = byVolume.get(d.volumeName);
      return {
        name: d.name, volume: d.volumeName, kind: f?.created?.kind ?? f?.kind ?? (d.source.kind === 'cloudInit' ? 'cloudInit' : 'unknown'),
        source: f?.created?.path ?? f?.path ?? '', bus: d.bus, readonly: d.readonly || d.device === 'cdrom',
      };
    }),
  };
}
