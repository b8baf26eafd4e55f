// The example Pod manifests (examples/pods/) agree with the VMI manifests they embed and with the
// image: every VMI volume reaches the pod where the launcher looks for it, the grace periods nest,
// the probes call the image's command. No podman or cluster needed.
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parse, parseAllDocuments } from 'yaml';
import { repoRoot } from '../../harness/guest-disk.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
const podsDir = join(repoRoot, 'examples', 'pods');
const vmiDir = join(repoRoot, 'examples', 'vmi');
const VOLUMES_DIR = '/var/run/kubevirt-private/vmi-disks';
const EPHEMERAL_DIR = '/var/run/kubevirt-ephemeral-disks';
const containerfile = readFileSync(join(repoRoot, 'Containerfile'), 'utf8');

const files = [
  ...readdirSync(podsDir).filter((f) => f.startsWith('pod-') && f.endsWith('.yaml')),
  ...readdirSync(join(podsDir, 'podman')).filter((f) => f.endsWith('.yaml')).map((f) => `podman/${f}`),
];

/** The VMI example a pod's ConfigMap holds a copy of (by content: the compact example has no name). */
const vmiExamples = readdirSync(vmiDir).filter((f) => f.endsWith('.yaml'))
  .map((f) => ({ file: f, doc: parse(readFileSync(join(vmiDir, f), 'utf8')) }));
const exampleOf = (vmi: unknown): string | undefined => vmiExamples.find((e) => isDeepStrictEqual(e.doc, vmi))?.file;

test('there is a Pod for each VMI example, and a podman variant for the block one', (t) => {
  t.true(files.length >= 5, files.join(', '));
  const embedded = files.map((f) => {
    const cm = parseAllDocuments(readFileSync(join(podsDir, f), 'utf8')).map((d) => d.toJS()).find((d: any) => d.kind === 'ConfigMap');
    return exampleOf(parse(cm.data['vmi.yaml']));
  });
  for (const { file } of vmiExamples) t.true(embedded.includes(file), `a Pod embeds examples/vmi/${file}`);
});

for (const file of files) {
  test(`${file}: matches its VMI and the image`, (t) => {
    const docs = parseAllDocuments(readFileSync(join(podsDir, file), 'utf8')).map((d) => d.toJS() as any);
    const cm = docs.find((d) => d.kind === 'ConfigMap');
    const pod = docs.find((d) => d.kind === 'Pod');
    t.truthy(cm && pod, 'a ConfigMap and a Pod');
    const vmi = parse(cm.data['vmi.yaml']);
    const copyOf = /# a copy of examples\/vmi\/(\S+\.yaml)/.exec(readFileSync(join(podsDir, file), 'utf8'))?.[1];
    t.truthy(copyOf, 'the ConfigMap says which example it copies');
    t.is(exampleOf(vmi), copyOf, `the ConfigMap holds a copy of examples/vmi/${copyOf}`);

    const spec = pod.spec;
    const [c, ...others] = spec.containers;
    t.is(others.length, 0, 'one container');
    t.is(c.image, 'localhost/vm-launcher:dev');
    t.is(spec.restartPolicy, 'Never');
    t.true(spec.terminationGracePeriodSeconds > (vmi.spec.terminationGracePeriodSeconds ?? 30),
      'the pod grants more time than the VMI\'s own grace period, so ACPI shutdown always comes first');
    t.like(spec.securityContext, { runAsUser: 107, runAsGroup: 107, fsGroup: 107 });
    t.is(c.resources.limits['devices.kubevirt.io/kvm'], '1');

    for (const [probe, kind] of [[c.readinessProbe, 'ready'], [c.livenessProbe, 'live']] as const) {
      const [cmd, ...args] = probe.exec.command as string[];
      t.deepEqual(args, ['probe', kind]);
      t.true(containerfile.includes(`ln -s /opt/vm-launcher/dist/vm-launcher.mjs ${cmd}`) && cmd!.startsWith('/'), `${cmd} is the command the Containerfile installs`);
    }

    const mounts = new Map<string, { name: string; mountPath: string; readOnly?: boolean }>((c.volumeMounts ?? []).map((m: any) => [m.name, m]));
    const devices = new Map<string, string>((c.volumeDevices ?? []).map((d: any) => [d.name, d.devicePath]));
    const podVolumes = new Map<string, any>(spec.volumes.map((v: any) => [v.name, v]));

    const cmVol = [...podVolumes.values()].find((v) => v.configMap);
    t.is(cmVol?.configMap.name, cm.metadata.name);
    t.like(mounts.get(cmVol.name), { mountPath: '/etc/vm-launcher', readOnly: true });

    for (const v of vmi.spec.volumes) {
      if (v.cloudInitNoCloud || v.cloudInitConfigDrive) {
        // The launcher builds the seed; only a secretRef needs a mount, where KubeVirt's pod puts the Secret.
        const ci = v.cloudInitNoCloud ?? v.cloudInitConfigDrive;
        if (ci.secretRef || ci.networkDataSecretRef) t.is(mounts.get(podVolumes.get(v.name)?.name)?.mountPath, `/var/run/kubevirt-private/secret/${v.name}`);
        continue;
      }
      if (v.emptyDisk || v.ephemeral) {
        // Made by the launcher in its ephemeral dir: an emptyDir where the launcher looks for it.
        const dir = [...mounts.values()].find((m) => m.mountPath === EPHEMERAL_DIR);
        t.truthy(dir && podVolumes.get(dir.name)?.emptyDir, `${v.name}: an emptyDir at ${EPHEMERAL_DIR}`);
        if (v.emptyDisk) continue;
      }
      const pvc = v.ephemeral ? v.ephemeral.persistentVolumeClaim : v.persistentVolumeClaim;
      const claim = typeof pvc === 'string' ? pvc : pvc.claimName;
      const podVol = podVolumes.get(v.name);
      t.truthy(podVol, `pod volume ${v.name}`);
      if (podVol.hostPath) {
        t.true(file.startsWith('podman/'), 'hostPath only in podman variants');
        t.is(podVol.hostPath.type, 'BlockDevice');
        t.is(mounts.get(v.name)?.mountPath, `/dev/${v.name}`);
        continue;
      }
      t.is(podVol.persistentVolumeClaim.claimName, claim, `volume ${v.name} is claim ${claim}`);
      const where = devices.get(v.name) ?? mounts.get(v.name)?.mountPath;
      t.true(where === `/dev/${v.name}` || where === `${VOLUMES_DIR}/${v.name}`, `${v.name} at ${where}`);
    }

    // A guest port below 1024 needs the pod sysctl that lets passt (unprivileged) bind it.
    const ports: number[] = (vmi.spec.domain.devices.interfaces ?? []).flatMap((i: any) => (i.ports ?? []).map((p: any) => p.port));
    if (ports.some((p) => p < 1024)) {
      t.deepEqual(spec.securityContext.sysctls, [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '0' }]);
    }
  });
}
