// `vm-launcher pod`'s mappings, one table each: claims (filesystem vs block, Kubernetes vs podman), hostDisk,
// cloud-init Secrets, the ephemeral dir, NVRAM, virtiofs, the grace margin, the memory arithmetic, sysctls, the
// KVM device, probes, labels. Each row is a VMI (compact YAML) and what the Pod must hold.
import test from 'ava';
import { parseVmiText } from '../../domain/manifest/vmi.js';
import { renderPod, schedulingFields, vmiId, type PodOptions } from '../../domain/pod/render-pod.js';
import { kubevirtOverheadBytes, memoryOverhead, MEASURED_MIB, MARGIN_MIB } from '../../domain/pod/overhead.js';
import { sizeQuantity } from '../../domain/pod/pod-volumes.js';
import { graceProblems } from '../../domain/pod/grace-check.js';
import type { VmSpec } from '../../domain/model/index.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
const MiB = 1024 * 1024;
const base = (extra: { meta?: string; spec?: string; devices?: string; volumes: string; disks: string }) => `
apiVersion: kubevirt.io/v1
kind: VirtualMachineInstance
metadata:
  name: vm1
  namespace: ns1
${extra.meta ?? ''}
spec:
${extra.spec ?? ''}
  domain:
    memory: { guest: 1Gi }
    devices:
      disks:
${extra.disks}
${extra.devices ?? ''}
  volumes:
${extra.volumes}
`;

function parse(text: string): VmSpec {
  const r = parseVmiText(text);
  if (!r.spec) throw new Error(r.problems.map((p) => `${p.reason} ${p.message}`).join('\n'));
  return r.spec;
}

const OPTS: PodOptions = { image: 'img', target: 'kubernetes', accel: 'auto', service: false, hostDevices: {} };
function render(text: string, opts: Partial<PodOptions> = {}) {
  const spec = parse(text);
  const r = renderPod(spec, text, { ...OPTS, ...opts });
  const pod = r.objects[1] as any;
  const c = pod.spec.containers[0];
  return { r, pod, c, spec };
}

const ROOT = '        - { name: root, disk: { bus: virtio } }';
const pvc = (ro = false) => `    - { name: root, persistentVolumeClaim: { claimName: my-claim${ro ? ', readOnly: true' : ''} } }`;

test('claims: filesystem at KubeVirt\'s path, Block as volumeDevices (Kubernetes) or a hostPath device (podman)', (t) => {
  const rows: Array<{ what: string; meta?: string; ro?: boolean; opts?: Partial<PodOptions>; volume: any; mount?: any; device?: any }> = [
    { what: 'filesystem', volume: { name: 'root', persistentVolumeClaim: { claimName: 'my-claim' } }, mount: { name: 'root', mountPath: '/var/run/kubevirt-private/vmi-disks/root' } },
    { what: 'filesystem read-only', ro: true, volume: { name: 'root', persistentVolumeClaim: { claimName: 'my-claim', readOnly: true } }, mount: { name: 'root', mountPath: '/var/run/kubevirt-private/vmi-disks/root', readOnly: true } },
    { what: 'annotated Filesystem', meta: '  annotations: { volume-mode.vm-launcher.io/root: Filesystem }', volume: { name: 'root', persistentVolumeClaim: { claimName: 'my-claim' } }, mount: { name: 'root', mountPath: '/var/run/kubevirt-private/vmi-disks/root' } },
    { what: 'Block', meta: '  annotations: { volume-mode.vm-launcher.io/root: Block }', volume: { name: 'root', persistentVolumeClaim: { claimName: 'my-claim' } }, device: { name: 'root', devicePath: '/dev/root' } },
    { what: 'Block, podman', meta: '  annotations: { volume-mode.vm-launcher.io/root: Block }', opts: { target: 'podman', hostDevices: { root: '/dev/loop7' } }, volume: { name: 'root', hostPath: { path: '/dev/loop7', type: 'BlockDevice' } }, mount: { name: 'root', mountPath: '/dev/root' } },
  ];
  for (const row of rows) {
    const { pod, c, r } = render(base({ meta: row.meta, disks: ROOT, volumes: pvc(row.ro) }), row.opts);
    t.deepEqual(r.problems, [], row.what);
    t.deepEqual(pod.spec.volumes.find((v: any) => v.name === 'root'), row.volume, row.what);
    t.deepEqual(c.volumeMounts.find((m: any) => m.name === 'root'), row.mount, row.what);
    t.deepEqual(c.volumeDevices?.find((m: any) => m.name === 'root'), row.device, row.what);
  }
});

test('the volume-mode annotation is checked: a bad value, an unknown volume, podman Block without a device', (t) => {
  const rows: Array<[meta: string, opts: Partial<PodOptions>, reason: string]> = [
    ['  annotations: { volume-mode.vm-launcher.io/root: block }', {}, 'FieldInvalid'],
    ['  annotations: { volume-mode.vm-launcher.io/other: Block }', {}, 'FieldInvalid'],
    ['  annotations: { volume-mode.vm-launcher.io/root: Block }', { target: 'podman' }, 'PodHostDeviceMissing'],
  ];
  for (const [meta, opts, reason] of rows) {
    const { r } = render(base({ meta, disks: ROOT, volumes: pvc() }), opts);
    t.deepEqual(r.problems.map((p) => p.reason), [reason], meta);
  }
});

test('hostDisk: the host directory at the same path; DiskOrCreate may create it; one volume per directory', (t) => {
  const { pod, c } = render(base({
    disks: `${ROOT}\n        - { name: data, disk: { bus: virtio } }\n        - { name: more, disk: { bus: virtio } }`,
    volumes: [
      '    - { name: root, hostDisk: { path: /srv/vm/root.img, type: Disk } }',
      '    - { name: data, hostDisk: { path: /srv/vm/data.img, type: DiskOrCreate, capacity: 1Gi } }',
      '    - { name: more, hostDisk: { path: /var/vm/more.img, type: Disk } }',
    ].join('\n'),
  }));
  t.deepEqual(pod.spec.volumes.filter((v: any) => v.hostPath), [
    { name: 'root', hostPath: { path: '/srv/vm', type: 'DirectoryOrCreate' } },
    { name: 'more', hostPath: { path: '/var/vm', type: 'Directory' } },
  ]);
  t.deepEqual(c.volumeMounts.filter((m: any) => m.name === 'root' || m.name === 'more'), [
    { name: 'root', mountPath: '/srv/vm' }, { name: 'more', mountPath: '/var/vm' },
  ]);
});

test('cloud-init: inline data needs no volume; one Secret is a secret volume, two a projected one, at the launcher\'s secrets dir', (t) => {
  const ci = (body: string) => base({ disks: `${ROOT}\n        - { name: ci, disk: { bus: virtio } }`, volumes: `${pvc()}\n    - { name: ci, cloudInitNoCloud: ${body} }` });
  const secretVol = (body: string) => render(ci(body)).pod.spec.volumes.find((v: any) => v.name === 'ci');
  t.is(secretVol('{ userData: "#cloud-config" }'), undefined);
  t.deepEqual(secretVol('{ secretRef: { name: s1 } }'), { name: 'ci', secret: { secretName: 's1', defaultMode: 0o440 } });
  t.deepEqual(secretVol('{ secretRef: { name: s1 }, networkDataSecretRef: { name: s1 } }'), { name: 'ci', secret: { secretName: 's1', defaultMode: 0o440 } });
  t.deepEqual(secretVol('{ secretRef: { name: s1 }, networkDataSecretRef: { name: s2 } }'),
    { name: 'ci', projected: { defaultMode: 0o440, sources: [{ secret: { name: 's1' } }, { secret: { name: 's2' } }] } });
  t.deepEqual(render(ci('{ secretRef: { name: s1 } }')).c.volumeMounts.find((m: any) => m.name === 'ci'),
    { name: 'ci', mountPath: '/var/run/kubevirt-private/secret/ci', readOnly: true });
});

test('accessCredentials: each Secret once, at <secrets dir>/<secretName>-access-cred as KubeVirt\'s pod mounts it', (t) => {
  const key = (secret: string) => `{ sshPublicKey: { source: { secret: { secretName: ${secret} } }, propagationMethod: { noCloud: {} } } }`;
  const text = base({
    spec: `  accessCredentials: [${key('team-keys')}, ${key('ops-keys')}, ${key('team-keys')}]`,
    disks: `${ROOT}\n        - { name: ci, disk: { bus: virtio } }`, volumes: `${pvc()}\n    - { name: ci, cloudInitNoCloud: { userData: "#cloud-config" } }`,
  });
  const { pod, c } = render(text);
  const vols = pod.spec.volumes.filter((v: any) => v.name.endsWith('-access-cred'));
  t.deepEqual(vols, [
    { name: 'team-keys-access-cred', secret: { secretName: 'team-keys', defaultMode: 0o440 } },
    { name: 'ops-keys-access-cred', secret: { secretName: 'ops-keys', defaultMode: 0o440 } },
  ]);
  t.deepEqual(c.volumeMounts.filter((m: any) => m.name.endsWith('-access-cred')), [
    { name: 'team-keys-access-cred', mountPath: '/var/run/kubevirt-private/secret/team-keys-access-cred', readOnly: true },
    { name: 'ops-keys-access-cred', mountPath: '/var/run/kubevirt-private/secret/ops-keys-access-cred', readOnly: true },
  ]);
});

test('the ephemeral dir: an emptyDir sized for emptyDisks; no limit once an overlay (of unknown size) lives there', (t) => {
  const ephemeral = (volumes: string, disks: string) => render(base({ disks, volumes })).pod.spec.volumes.find((v: any) => v.name === 'ephemeral-disks');
  t.is(ephemeral(pvc(), ROOT), undefined);
  t.deepEqual(ephemeral(`${pvc()}\n    - { name: s1, emptyDisk: { capacity: 1Gi } }\n    - { name: s2, emptyDisk: { capacity: 512Mi } }`,
    `${ROOT}\n        - { name: s1, disk: { bus: virtio } }\n        - { name: s2, disk: { bus: virtio } }`), { name: 'ephemeral-disks', emptyDir: { sizeLimit: '1536Mi' } });
  const { r, pod } = render(base({ disks: ROOT, volumes: '    - { name: root, ephemeral: { persistentVolumeClaim: { claimName: golden } } }' }));
  t.deepEqual(pod.spec.volumes.find((v: any) => v.name === 'ephemeral-disks'), { name: 'ephemeral-disks', emptyDir: {} });
  t.deepEqual(pod.spec.volumes.find((v: any) => v.name === 'root'), { name: 'root', persistentVolumeClaim: { claimName: 'golden', readOnly: true } });
  t.true(r.notes.some((n) => n.includes('no sizeLimit')));
  t.is(sizeQuantity(3 * 1024 ** 3), '3Gi');
  t.is(sizeQuantity(1536 * MiB), '1536Mi');
  t.is(sizeQuantity(1000), '1000');
});

test('efi.persistent: the NVRAM claim at the launcher\'s NVRAM dir; virtiofs: the shared claim at its volume path', (t) => {
  const efi = render(base({ disks: ROOT, volumes: pvc() }).replace('    memory: { guest: 1Gi }', '    memory: { guest: 1Gi }\n    firmware: { bootloader: { efi: { persistent: true, secureBoot: false } } }'));
  t.deepEqual(efi.pod.spec.volumes.find((v: any) => v.name === 'nvram'), { name: 'nvram', persistentVolumeClaim: { claimName: 'persistent-state-for-vm1' } });
  t.deepEqual(efi.c.volumeMounts.find((m: any) => m.name === 'nvram'), { name: 'nvram', mountPath: '/var/lib/libvirt/qemu/nvram' });
  const fs = render(base({ disks: `${ROOT}\n      filesystems:\n        - { name: share, virtiofs: {} }`, volumes: `${pvc()}\n    - { name: share, persistentVolumeClaim: { claimName: shared } }` }));
  t.deepEqual(fs.pod.spec.volumes.find((v: any) => v.name === 'share'), { name: 'share', persistentVolumeClaim: { claimName: 'shared' } });
  t.deepEqual(fs.c.volumeMounts.find((m: any) => m.name === 'share'), { name: 'share', mountPath: '/var/run/kubevirt-private/vmi-disks/share' });
});

test('grace: the Pod gives the VMI\'s grace period + 15 s, and tells run through the environment', (t) => {
  for (const [spec, pod] of [['', 45], ['  terminationGracePeriodSeconds: 120', 135], ['  terminationGracePeriodSeconds: 0', 15]] as const) {
    const { pod: p, c } = render(base({ spec, disks: ROOT, volumes: pvc() }));
    t.is(p.spec.terminationGracePeriodSeconds, pod, spec);
    t.deepEqual(c.env[0], { name: 'VM_LAUNCHER_POD_GRACE_PERIOD', value: String(pod) });
  }
});

test('memory: request = limit = guest + the measured overhead; each part named; KubeVirt\'s formula beside it', (t) => {
  const { c, spec } = render(base({ disks: ROOT, volumes: pvc() }));
  const fixed = MEASURED_MIB.launcher + MEASURED_MIB.libvirtd + MEASURED_MIB.libvirtDbus + MEASURED_MIB.dbusDaemon + MEASURED_MIB.qemu + MARGIN_MIB;
  t.is(memoryOverhead(spec).bytes, (fixed + 2) * MiB, '1 vCPU, 1Gi: the fixed parts + 2Mi of page tables');
  t.is(c.resources.requests.memory, `${1024 + fixed + 2}Mi`);
  t.is(c.resources.limits.memory, c.resources.requests.memory);
  t.is(kubevirtOverheadBytes(spec), (240 + 8 + 8) * MiB + 2 * MiB, 'KubeVirt: 240 fixed + 8/vCPU + 8 I/O thread + RAM/512');

  const rows: Array<[what: string, spec: Partial<VmSpec>, extraMiB: number]> = [
    ['4 vCPUs', { cpu: { sockets: 1, cores: 4, threads: 1 } }, 3 * MEASURED_MIB.qemuPerVcpu],
    ['a NIC', { interfaces: [{ ports: [] } as never] }, MEASURED_MIB.passt],
    ['a TPM', { hardware: { tpm: true } as never }, MEASURED_MIB.swtpm],
    ['two virtiofs shares', { filesystems: [{}, {}] as never }, 2 * MEASURED_MIB.virtiofsd],
    ['4Gi guest', { memoryBytes: 4096 * MiB }, 6],
  ];
  for (const [what, change, extra] of rows) {
    t.is(memoryOverhead({ ...spec, ...change }).bytes - memoryOverhead(spec).bytes, extra * MiB, what);
  }
  t.is(c.resources.requests.cpu, '100m');
  t.is(render(base({ disks: ROOT, volumes: pvc() }).replace('memory: { guest: 1Gi }', 'memory: { guest: 1Gi }\n    cpu: { cores: 2, threads: 2 }')).c.resources.requests.cpu, '400m');
});

test('sysctl only for a forwarded port below 1024 (or all ports); ports become containerPorts and, asked, a Service', (t) => {
  const nic = (ports: string) => base({
    disks: ROOT, volumes: pvc(), spec: '  networks: [ { name: default, pod: {} } ]',
    devices: `      interfaces: [ { name: default, masquerade: {}${ports} } ]`,
  });
  const rows: Array<[ports: string, sysctl: boolean]> = [[', ports: [ { port: 8080 } ]', false], [', ports: [ { name: ssh, port: 22 } ]', true], ['', true]];
  for (const [ports, sysctl] of rows) {
    const { pod } = render(nic(ports));
    t.is(pod.spec.securityContext.sysctls !== undefined, sysctl, ports);
  }
  t.is(render(base({ disks: ROOT, volumes: pvc() })).pod.spec.securityContext.sysctls, undefined, 'no NIC, no sysctl');
  const { r, c } = render(nic(', ports: [ { name: ssh, port: 22 }, { port: 53, protocol: UDP } ]'), { service: true });
  t.deepEqual(c.ports, [{ name: 'ssh', containerPort: 22, protocol: 'TCP' }, { containerPort: 53, protocol: 'UDP' }]);
  const svc = r.objects[2] as any;
  t.is(svc.kind, 'Service');
  t.deepEqual(svc.spec.selector, { 'vmi.kubevirt.io/id': 'vm1' });
  t.deepEqual(svc.spec.ports.map((p: any) => p.port), [22, 53]);
  t.is(render(nic(', ports: [ { port: 22 } ]')).r.objects.length, 2, 'no Service unless asked');
});

test('/dev/kvm: the device resource (Kubernetes) or a CharDevice hostPath (podman), never with --accel tcg', (t) => {
  const rows: Array<[Partial<PodOptions>, kvmResource: boolean, kvmHostPath: boolean, env?: string]> = [
    [{}, true, false], [{ accel: 'kvm' }, true, false, 'kvm'], [{ accel: 'tcg' }, false, false, 'tcg'],
    [{ target: 'podman' }, false, true], [{ target: 'podman', accel: 'tcg' }, false, false, 'tcg'],
  ];
  for (const [opts, resource, hostPath, env] of rows) {
    const { pod, c } = render(base({ disks: ROOT, volumes: pvc() }), opts);
    const what = JSON.stringify(opts);
    t.is(c.resources.limits['devices.kubevirt.io/kvm'] === '1', resource, what);
    t.is(pod.spec.volumes.some((v: any) => v.hostPath?.path === '/dev/kvm' && v.hostPath.type === 'CharDevice'), hostPath, what);
    t.is(c.volumeMounts.some((m: any) => m.mountPath === '/dev/kvm'), hostPath, what);
    t.is(c.env.find((e: any) => e.name === 'VM_LAUNCHER_ACCEL')?.value, env, what);
  }
});

test('security, probes, labels and annotations as KubeVirt\'s launcher pod; placement fields copied', (t) => {
  const text = base({
    meta: '  uid: 0b4f9b0e-5f0a-4c1e-9d47-3c4a2b1f0e11\n  labels: { app: web }\n  annotations: { kubectl.kubernetes.io/last-applied-configuration: "{}", team: a }',
    spec: '  nodeSelector: { disk: ssd }\n  tolerations: [ { key: k, operator: Exists } ]\n  evictionStrategy: None',
    disks: ROOT, volumes: pvc(),
  });
  const { pod, c, spec } = render(text, { scheduling: schedulingFields(parseVmiText(text).raw) });
  t.like(pod.spec.securityContext, { runAsUser: 107, runAsGroup: 107, fsGroup: 107, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
  t.deepEqual(c.securityContext, { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
  t.deepEqual(c.readinessProbe.exec.command, ['/usr/local/bin/vm-launcher', 'probe', 'ready']);
  t.deepEqual(c.livenessProbe.exec.command, ['/usr/local/bin/vm-launcher', 'probe', 'live']);
  t.is(pod.spec.restartPolicy, 'Never');
  t.is(pod.spec.automountServiceAccountToken, false);
  t.deepEqual(pod.metadata.labels, {
    app: 'web', 'kubevirt.io': 'virt-launcher', 'kubevirt.io/created-by': spec.uid, 'vm.kubevirt.io/name': 'vm1', 'vmi.kubevirt.io/id': 'vm1',
  });
  t.deepEqual(pod.metadata.annotations, { team: 'a', 'kubevirt.io/domain': 'vm1', 'kubectl.kubernetes.io/default-container': 'compute' });
  t.deepEqual(pod.spec.nodeSelector, { disk: 'ssd' });
  t.deepEqual(pod.spec.tolerations, [{ key: 'k', operator: 'Exists' }]);
  t.false('evictionStrategy' in pod.spec);
  const long = 'a'.repeat(70);
  t.is(vmiId(long).length, 63);
  t.regex(vmiId(long), /^a{54}-[0-9a-f]{8}$/);
  t.is(vmiId('short'), 'short');
});

test('run warns when what stops it cannot wait for the guest: a short Pod grace, or podman\'s default stop timeout', (t) => {
  const rows: Array<[grace: number, env: { podGrace?: string; container?: string }, warns: boolean]> = [
    [30, {}, false],
    [30, { podGrace: '45' }, false],
    [30, { podGrace: '35' }, false],
    [30, { podGrace: '34' }, true],
    [30, { podGrace: '30' }, true],
    [30, { podGrace: 'x' }, false],
    [30, { container: 'podman' }, true],
    [5, { container: 'podman' }, false],
    [6, { container: 'podman' }, true],
    [30, { container: 'oci' }, false],
    [30, { podGrace: '45', container: 'podman' }, true],
  ];
  for (const [grace, env, warns] of rows) {
    const problems = graceProblems(grace, env);
    t.is(problems.length, warns ? 1 : 0, `${grace} ${JSON.stringify(env)}`);
    if (warns) t.is(problems[0]!.reason, 'GracePeriodNotHonoured');
  }
});
