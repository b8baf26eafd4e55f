// Fields that belong to the cluster rather than to the launcher, in two tables:
// - SCHEDULER_FIELDS: Kubernetes acted on them before the pod started (placement, priority, eviction). They are
//   accepted and listed as notes (HandledByScheduler), never a reason to refuse a manifest.
// - NEEDS_CLUSTER: KubeVirt implements them with its node agent (virt-handler), its controllers or CDI. A pod
//   alone cannot, so they are refused (FieldNeedsCluster) with what to use instead.
import { problem, type Problem } from '../problem.js';
import { Reason } from '../reasons.js';

// Spelled out rather than taken from manifest-reader.ts, which imports this file (refuseUnknownKeys consults NEEDS_CLUSTER).
type Obj = Record<string, unknown>;
type Problems = Problem[];

/** VMI spec fields Kubernetes honoured when it placed (or will evict) the pod, with what it did. */
export const SCHEDULER_FIELDS: Readonly<Record<string, string>> = {
  nodeSelector: 'the scheduler placed the pod on a matching node',
  affinity: 'the scheduler placed the pod by these (anti-)affinity rules',
  tolerations: 'the scheduler let the pod onto tainted nodes by these tolerations',
  topologySpreadConstraints: 'the scheduler spread the pod by these constraints',
  schedulerName: 'this scheduler placed the pod',
  priorityClassName: 'Kubernetes gave the pod this priority (scheduling and preemption)',
  evictionStrategy: 'Kubernetes evicts the pod on a node drain; without KubeVirt there is no live migration: the guest gets its ACPI shutdown',
};

export interface ClusterField {
  /** What KubeVirt needs for it that a pod alone does not have. */
  needs: string;
  /** What to use instead. */
  instead: string;
}

const PVC_DISK = 'put a raw image named disk.img on a PVC (or use a block PVC) and use persistentVolumeClaim';

/** Fields (by key, wherever they appear) that need KubeVirt's node agent or a live cluster. */
export const NEEDS_CLUSTER: Readonly<Record<string, ClusterField>> = {
  containerDisk: { needs: 'KubeVirt\'s node agent to pull the image onto the node', instead: PVC_DISK },
  dataVolume: { needs: 'CDI (the Containerized Data Importer) to fill the volume', instead: "use the DataVolume's PVC: persistentVolumeClaim.claimName set to the DataVolume's name" },
  dataVolumeTemplates: { needs: 'CDI (the Containerized Data Importer) to create the volume', instead: 'create the DataVolume separately and refer to its PVC with persistentVolumeClaim' },
  downwardMetrics: { needs: 'KubeVirt\'s node agent to publish host metrics', instead: 'remove it' },
  hostDevices: { needs: 'device plugins and KubeVirt\'s node agent to pass host devices through', instead: 'remove it' },
  gpus: { needs: 'device plugins and KubeVirt\'s node agent to pass GPUs through', instead: 'remove it' },
  resourceClaims: { needs: 'dynamic resource allocation by the cluster', instead: 'remove it' },
  dedicatedCpuPlacement: { needs: 'the node\'s CPU manager and KubeVirt\'s node agent to pin vCPUs', instead: 'remove it; give the pod whole CPUs (Guaranteed QoS) for less noise' },
  isolateEmulatorThread: { needs: 'dedicated CPUs pinned by KubeVirt\'s node agent', instead: 'remove it' },
  realtime: { needs: 'dedicated CPUs pinned by KubeVirt\'s node agent', instead: 'remove it' },
  numa: { needs: 'dedicated CPUs and hugepages placed by KubeVirt\'s node agent', instead: 'remove it' },
  hugepages: { needs: 'hugepages the node reserves and KubeVirt mounts into the pod', instead: 'remove it: the guest uses ordinary memory' },
  maxSockets: { needs: 'CPU hotplug driven by KubeVirt\'s controllers', instead: 'remove it; set the vCPU count with sockets/cores/threads' },
  maxGuest: { needs: 'memory hotplug driven by KubeVirt\'s controllers', instead: 'remove it; set memory.guest' },
  liveUpdateFeatures: { needs: 'live updates driven by KubeVirt\'s controllers', instead: 'remove it; restart the pod to change the VM' },
  inferFromVolume: { needs: 'the API server, to read the volume\'s instancetype.kubevirt.io/default-instancetype (or default-preference) label', instead: 'write the label\'s value as spec.instancetype.name (or spec.preference.name), and its kind label as kind' },
};

/** `hotpluggable: true` on a volume source: only `true` needs the cluster. */
export const HOTPLUG: ClusterField = {
  needs: 'KubeVirt\'s node agent to attach the volume to the running pod',
  instead: 'remove hotpluggable: put the volume in the pod spec and restart the pod to add it',
};

/** Notes for the scheduling fields a spec holds: accepted, and said so. */
export function schedulerNotes(problems: Problems, spec: Obj, path: string): void {
  for (const [key, what] of Object.entries(SCHEDULER_FIELDS)) {
    if (spec[key] === undefined || spec[key] === null) continue;
    const field = path ? `${path}.${key}` : key;
    problems.push(problem(Reason.HandledByScheduler, `${field}: handled by the scheduler (${what}); nothing for the launcher to do`, { field }));
  }
}

// Own keys only: `constructor` or `toString` in a manifest must not match Object.prototype members.
/** The refusal for a field that needs the cluster, or undefined when `key` is not one. */
export function clusterFieldProblem(key: string, field: string, c: ClusterField | undefined = Object.hasOwn(NEEDS_CLUSTER, key) ? NEEDS_CLUSTER[key] : undefined): ReturnType<typeof problem> | undefined {
  if (!c) return undefined;
  return problem(Reason.FieldNeedsCluster, `${field}: needs ${c.needs}; vm-launcher runs alone in the pod`, { field, fix: c.instead });
}
