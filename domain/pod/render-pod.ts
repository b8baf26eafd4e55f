// A VMI in, the objects that run it out: a ConfigMap holding the VMI as given, the Pod whose one container is
// vm-launcher (as KubeVirt's controller renders virt-launcher's pod: pkg/virt-controller/services/template.go), and,
// when asked, a Service for the forwarded ports. Pure: the caller parsed the VMI with the parser `check` uses.
import { createHash } from 'node:crypto'; // pure computation, no I/O
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { INSTANCETYPES_KEY, POD_INSTANCETYPES_DIR } from './pod-instancetypes.js';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IContainerPort } from 'kubernetes-models/v1/ContainerPort';
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { IService } from 'kubernetes-models/v1/Service';
import type { IVolume } from 'kubernetes-models/v1/Volume';
import { problem, type Problem } from '../problem.js';
import { Reason } from '../reasons.js';
import type { VmSpec } from '../model/index.js';
import type { PortSpec } from '../model/index.js';
import { asMiQuantity, kubevirtOverheadBytes, memoryOverhead, vcpuCount } from './overhead.js';
import { podVolumes, type PodTarget } from './pod-volumes.js';
import { POD_GRACE_ENV } from './grace-check.js';
import { podProbes } from './pod-probes.js';

export type PodAccel = 'auto' | 'kvm' | 'tcg';

/** A forwarded guest port and the node port it is published on. */
export interface PublishedPort { port: number; hostPort: number }

export interface PodOptions {
  image: string;
  target: PodTarget;
  /** The launcher's --accel: tcg needs no /dev/kvm; kvm and auto get it. */
  accel: PodAccel;
  /** Render a Service for the forwarded ports. */
  service: boolean;
  /** podman: host device per Block volume. */
  hostDevices: Readonly<Record<string, string>>;
  /** `--publish`: forwarded guest ports also bound on the node (hostPort), on hostIp. */
  publish?: readonly PublishedPort[];
  /** The node address of the published ports (the CLI defaults it to 127.0.0.1). */
  hostIp?: string;
  /** metadata.namespace of the VMI as written (absent: the objects follow kubectl's namespace). */
  namespace?: string;
  /** The VMI's placement fields, copied into the Pod as KubeVirt does (schedulingFields). */
  scheduling?: Record<string, unknown>;
  /** The operator's instance type / preference documents the VM uses, as YAML (pod-instancetypes.ts). */
  instancetypes?: string;
}

/** The VMI spec fields that are Pod spec fields KubeVirt copies: the scheduler acts on them (domain/cluster-fields.ts). */
const POD_SCHEDULING_FIELDS = ['nodeSelector', 'affinity', 'tolerations', 'topologySpreadConstraints', 'schedulerName', 'priorityClassName'] as const;

/** The placement fields of the manifest as parsed (`spec`, or a VirtualMachine's `spec.template.spec`). */
export function schedulingFields(raw: unknown, specPath = 'spec'): Record<string, unknown> {
  let node: unknown = raw;
  for (const key of specPath.split('.')) node = isRecord(node) ? node[key] : undefined;
  if (!isRecord(node)) return {};
  const spec = node;
  return Object.fromEntries(POD_SCHEDULING_FIELDS.filter((k) => spec[k] !== undefined && spec[k] !== null).map((k) => [k, spec[k]]));
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface RenderedPod {
  objects: [IConfigMap, IPod, ...IService[]];
  /** Why each resource is what it is, and what the target needs beyond the objects: printed as comments. */
  notes: string[];
  problems: Problem[];
  /** The Pod's grace period (quadlet's stop timeout). */
  graceSeconds: number;
}

/** KubeVirt pads its launcher's grace period by 15 s; vm-launcher is the launcher (no virt-handler to wait for). */
export const GRACE_MARGIN_SECONDS = 15;
/** KubeVirt's default CPU allocation ratio: 1 vCPU requests 100m. */
const MILLICPU_PER_VCPU = 100;
const KVM_RESOURCE = 'devices.kubevirt.io/kvm';
/** podman: /dev/kvm passed as a device (podman turns a CharDevice hostPath into one). */
const KVM_HOST_DEVICE: IVolume = { name: 'kvm', hostPath: { path: '/dev/kvm', type: 'CharDevice' } };
const UNPRIVILEGED_PORT_SYSCTL = 'net.ipv4.ip_unprivileged_port_start';

export function renderPod(spec: VmSpec, vmiText: string, opts: PodOptions): RenderedPod {
  const name = spec.name;
  const vols = podVolumes(spec, name, { target: opts.target, hostDevices: opts.hostDevices });
  const overhead = memoryOverhead(spec);
  const memory = asMiQuantity(spec.memoryBytes + overhead.bytes);
  const graceSeconds = spec.terminationGracePeriodSeconds + GRACE_MARGIN_SECONDS;
  const ports = forwardedPorts(spec);
  const published = publishedPorts(ports, opts);
  const probes = podProbes(spec);
  const lowPorts = ports === 'all' || ports.some((p) => p.port < 1024);
  const kvm = opts.accel !== 'tcg';
  const namespace = opts.namespace === undefined ? {} : { namespace: opts.namespace };
  const labels = podLabels(spec);
  const types = opts.instancetypes;

  const notes = [
    `memory ${memory}: guest ${asMiQuantity(spec.memoryBytes)} + ${asMiQuantity(overhead.bytes)} for ${overhead.parts.map((p) => `${p.what} ${p.mib}`).join(', ')} (MiB; KubeVirt would add ${asMiQuantity(kubevirtOverheadBytes(spec))})`,
    `terminationGracePeriodSeconds ${graceSeconds}: the VMI's ${spec.terminationGracePeriodSeconds} s for the guest's ACPI shutdown + ${GRACE_MARGIN_SECONDS} s for the launcher to stop`,
    ...vols.notes,
    ...published.notes,
    ...probes.notes,
    ...targetNotes(opts, { kvm, lowPorts, graceSeconds, name }),
    ...(types ? [`${INSTANCETYPES_KEY}: the instance type / preference documents from --instancetypes-dir that the VM uses (the image has only the bundled ones), mounted at ${POD_INSTANCETYPES_DIR}`] : []),
  ];

  const container: IContainer = {
    name: 'compute',
    image: opts.image,
    imagePullPolicy: 'IfNotPresent',
    args: ['run'],
    env: [
      { name: POD_GRACE_ENV, value: String(graceSeconds) },
      ...(opts.accel === 'auto' ? [] : [{ name: 'VM_LAUNCHER_ACCEL', value: opts.accel }]),
      ...(types ? [{ name: 'VM_LAUNCHER_INSTANCETYPES_DIR', value: POD_INSTANCETYPES_DIR }] : []),
    ],
    ...(published.containerPorts.length > 0 && { ports: published.containerPorts }),
    resources: {
      requests: { cpu: `${vcpuCount(spec) * MILLICPU_PER_VCPU}m`, memory },
      limits: { memory, ...(kvm && opts.target === 'kubernetes' && { [KVM_RESOURCE]: '1' }) },
    },
    securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
    volumeMounts: [
      ...vols.mounts,
      ...(types ? [{ name: 'instancetypes', mountPath: POD_INSTANCETYPES_DIR, readOnly: true }] : []),
      ...(kvm && opts.target === 'podman' ? [{ name: 'kvm', mountPath: '/dev/kvm' }] : []),
    ],
    ...(vols.devices.length > 0 && { volumeDevices: vols.devices }),
    readinessProbe: probes.readinessProbe,
    livenessProbe: probes.livenessProbe,
  };

  // The ConfigMap and Service carry only the VMI's id: tools that list KubeVirt's launcher pods by label see the Pod alone.
  const idLabel = { 'vmi.kubevirt.io/id': labels['vmi.kubevirt.io/id']! };
  const configMap: IConfigMap = {
    apiVersion: 'v1', kind: 'ConfigMap',
    metadata: { name, ...namespace, labels: idLabel },
    data: { 'vmi.yaml': vmiText, ...(types && { [INSTANCETYPES_KEY]: types }) },
  };
  const pod: IPod = {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, ...namespace, labels, annotations: podAnnotations(spec) },
    spec: {
      terminationGracePeriodSeconds: graceSeconds,
      // As KubeVirt's launcher pods: the pod's life is the guest's life; exit 0 = the guest shut down.
      restartPolicy: 'Never',
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      ...opts.scheduling,
      securityContext: {
        runAsUser: 107, runAsGroup: 107, fsGroup: 107, runAsNonRoot: true,
        seccompProfile: { type: 'RuntimeDefault' },
        // passt runs as uid 107 without capabilities: this lets it bind the guest's ports below 1024 on the pod's IP.
        ...(lowPorts && { sysctls: [{ name: UNPRIVILEGED_PORT_SYSCTL, value: '0' }] }),
      },
      containers: [container],
      volumes: [
        ...vols.volumes,
        // Only the documents' key: the launcher refuses anything else in its --instancetypes-dir.
        ...(types ? [{ name: 'instancetypes', configMap: { name, items: [{ key: INSTANCETYPES_KEY, path: INSTANCETYPES_KEY }] } }] : []),
        ...(kvm && opts.target === 'podman' ? [KVM_HOST_DEVICE] : []),
      ],
    },
  };
  const services: IService[] = opts.service && ports !== 'all' && ports.length > 0 ? [{
    apiVersion: 'v1', kind: 'Service',
    metadata: { name, ...namespace, labels: idLabel },
    spec: {
      selector: idLabel,
      ports: ports.map((p) => ({ ...(p.name && { name: p.name }), port: p.port, targetPort: p.port, protocol: p.protocol === 'udp' ? 'UDP' : 'TCP' })),
    },
  }] : [];
  return { objects: [configMap, pod, ...services], notes, problems: [...vols.problems, ...published.problems], graceSeconds };
}

/** The ports passt forwards: the interface's list, or every port when the interface lists none (KubeVirt's rule). */
export function forwardedPorts(spec: VmSpec): PortSpec[] | 'all' {
  const nic = spec.interfaces?.[0];
  if (!nic) return [];
  return nic.ports.length === 0 ? 'all' : nic.ports;
}

/**
 * The container's ports: the forwarded ones, those in --publish with hostPort/hostIP. Publishing is for a node
 * (or a podman host) without a Service in front: podman kube play binds hostPort on hostIP, the kubelet's CNI
 * portmap does the same. With every port forwarded (no list), only the published ones are named.
 */
function publishedPorts(ports: PortSpec[] | 'all', opts: PodOptions): { containerPorts: IContainerPort[]; notes: string[]; problems: Problem[] } {
  const publish = opts.publish ?? [];
  const hostIp = opts.hostIp ?? '127.0.0.1';
  const listed: Array<Pick<PortSpec, 'port' | 'protocol'> & { name?: string }> = ports === 'all'
    ? publish.map((p) => ({ port: p.port, protocol: 'tcp' as const }))
    : ports;
  const problems = publish.filter((p) => !listed.some((l) => l.port === p.port)).map((p) => problem(Reason.UsageInvalid,
    `--publish ${p.port}=${p.hostPort}: the VMI's interface does not forward port ${p.port}${ports !== 'all' && ports.length === 0 ? ' (it has no NIC)' : ` (it forwards ${(ports as PortSpec[]).map((l) => l.port).join(', ')})`}`,
    { fix: 'publish a port listed in spec.domain.devices.interfaces[0].ports, or add it there' }));
  const containerPorts = listed.map((l): IContainerPort => {
    const host = publish.find((p) => p.port === l.port);
    return {
      ...(l.name && { name: l.name }), containerPort: l.port, protocol: l.protocol === 'udp' ? 'UDP' : 'TCP',
      ...(host && { hostPort: host.hostPort, hostIP: hostIp }),
    };
  });
  const notes = publish.length === 0 ? [] : [
    `published on the node: ${publish.map((p) => `${hostIp}:${p.hostPort} -> guest port ${p.port}`).join(', ')} (hostPort/hostIP; ${hostIp === '127.0.0.1' ? 'the loopback by default, so a VM\'s SSH is not exposed by accident: --host-ip ADDR binds another address' : 'chosen with --host-ip'})`,
  ];
  return { containerPorts, notes, problems };
}

/** KubeVirt's launcher pod labels (podLabels in template.go): the VMI's own, then KubeVirt's. */
export function podLabels(spec: VmSpec): Record<string, string> {
  const id = vmiId(spec.name);
  return {
    ...spec.labels,
    'kubevirt.io': 'virt-launcher',
    ...(spec.uid && { 'kubevirt.io/created-by': spec.uid }),
    'vm.kubevirt.io/name': id,
    'vmi.kubevirt.io/id': id,
  };
}

/** KubeVirt's annotations: the VMI's (less kubectl's and KubeVirt's bookkeeping ones), the domain, the default container. */
export function podAnnotations(spec: VmSpec): Record<string, string> {
  const kept = Object.entries(spec.annotations).filter(([k]) =>
    !k.startsWith('kubectl.kubernetes.io') && !k.startsWith('kubevirt.io/storage-observed-api-version') && !k.startsWith('kubevirt.io/latest-observed-api-version'));
  return { ...Object.fromEntries(kept), 'kubevirt.io/domain': spec.name, 'kubectl.kubernetes.io/default-container': 'compute' };
}

/** A label value for the VMI's name: the name itself up to 63 characters, else 54 of them, '-' and 8 of its SHA-1 (KubeVirt's rule). */
export function vmiId(name: string): string {
  if (name.length <= 63) return name;
  return `${name.slice(0, 54)}-${createHash('sha1').update(name).digest('hex').slice(0, 8)}`;
}

function targetNotes(opts: PodOptions, f: { kvm: boolean; lowPorts: boolean; graceSeconds: number; name: string }): string[] {
  if (opts.target === 'kubernetes') {
    return [
      f.kvm
        ? `/dev/kvm through the resource ${KVM_RESOURCE} (KubeVirt's device plugin; without KubeVirt see docs/pod.md for a generic device plugin or CDI); --accel tcg renders a Pod without it`
        : 'no /dev/kvm: the launcher runs the guest under TCG (software emulation)',
      ...(f.lowPorts ? [`${UNPRIVILEGED_PORT_SYSCTL}=0 is in the kubelet's safe sysctl list: no node configuration needed`] : []),
    ];
  }
  return [
    'podman kube play: each claim is the podman named volume of that name (created empty when missing; put disk.img in it, owned by 107)',
    ...(f.kvm ? ['/dev/kvm as a hostPath CharDevice (podman passes it as a device; uid 107 must be able to open it); --accel tcg renders none'] : []),
    ...(f.lowPorts ? [`podman 4.3 ignores the Pod's sysctls: play it with CONTAINERS_CONF holding [containers] default_sysctls = ["${UNPRIVILEGED_PORT_SYSCTL}=0"]`] : []),
    `podman before 4.7 ignores terminationGracePeriodSeconds (stop timeout 10 s): stop with \`podman pod stop -t ${f.graceSeconds} ${f.name}\` before \`podman kube down\``,
  ];
}
