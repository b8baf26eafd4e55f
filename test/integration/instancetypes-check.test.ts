// `check` and `domain` on a VirtualMachine that names an instance type and a preference, as the CLI runs them: the
// bundled u1.medium and fedora with nothing mounted (text and JSON show each expanded value and its origin, the
// domain has what they set), and an operator's instance type from --instancetypes-dir.
import test from 'ava';
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { join } from 'node:path';
import { qemuImgUnavailable } from '../../harness/requirements.js';
import { cleanupAll, fsVolume, giveToVm, qemuImg, runCli, scene, type Scene } from '../helpers/check-fixture.js';

test.after.always(cleanupAll);

const vm = (instancetype: string, preference = ''): string => `apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata: {name: typed}
spec:
  runStrategy: Always
  instancetype: ${instancetype}
${preference ? `  preference: ${preference}\n` : ''}  template:
    spec:
      domain: {devices: {disks: [{name: root}]}}
      volumes: [{name: root, persistentVolumeClaim: {claimName: root}}]
`;

function withRoot(s: Scene): void {
  const img = join(fsVolume(s, 'root'), 'disk.img');
  qemuImg('-f', 'raw', img, '64M');
  giveToVm(img);
}

const skip = qemuImgUnavailable();

const SMALL = 'apiVersion: instancetype.kubevirt.io/v1beta1\nkind: VirtualMachineInstancetype\nmetadata: {name: small}\nspec: {cpu: {guest: 2}, memory: {guest: 512Mi}}\n';

/** A scene with a root volume and an operator's instance type dir holding `files` (small.yaml: the instance type `small`). */
function typedScene(files: Record<string, string> = { 'small.yaml': SMALL }): { s: Scene; types: string } {
  const s = scene();
  withRoot(s);
  const types = join(s.dir, 'types');
  mkdirSync(types);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(types, name), text);
  return { s, types };
}

test('u1.medium with fedora, nothing mounted: check shows each expanded value and its origin; domain has them', async (t) => {
  if (skip) { t.log(`skipped: ${skip}`); t.pass(); return; }
  const s = scene();
  t.teardown(s.cleanup);
  withRoot(s);
  s.writeVmi(vm('{name: u1.medium}', '{name: fedora}'));
  const { code, json } = await s.check();
  t.is(code, 0, JSON.stringify(json.problems));
  const expansion = (json as unknown as { expansion: { instancetype: unknown; fields: Array<{ field: string; value: unknown; from: string }> } }).expansion;
  t.deepEqual(expansion.instancetype, { kind: 'VirtualMachineClusterInstancetype', name: 'u1.medium', from: 'bundled common-instancetypes v1.7.0' });
  t.deepEqual(expansion.fields.find((f) => f.field === 'spec.template.spec.domain.memory.guest'), { field: 'spec.template.spec.domain.memory.guest', value: '4Gi', from: 'instancetype' });
  t.deepEqual(expansion.fields.find((f) => f.field.endsWith('disks[0].disk.bus')), { field: 'spec.template.spec.domain.devices.disks[0].disk.bus', value: 'virtio', from: 'preference' });
  const text = await s.checkText();
  t.regex(text.stdout, /instance type: VirtualMachineClusterInstancetype u1\.medium \(bundled common-instancetypes v1\.7\.0\)/);
  t.regex(text.stdout, /spec\.template\.spec\.domain\.firmware\.bootloader\.efi = \{"secureBoot":true\} {2}\[preference\]/);
  const xml = await s.domain();
  t.is(xml.code, 0, xml.stderr);
  t.regex(xml.stdout, /<memory unit="b">4294967296<\/memory>/);
  t.regex(xml.stdout, /<feature enabled="yes" name="secure-boot"\/>/);
});

test('an operator\'s instance type from --instancetypes-dir; a conflict is refused with exit 3, naming both', async (t) => {
  if (skip) { t.log(`skipped: ${skip}`); t.pass(); return; }
  const { s, types } = typedScene();
  t.teardown(s.cleanup);
  s.writeVmi(vm('{kind: VirtualMachineInstancetype, name: small}'));
  const ok = await runCli(['domain', ...s.opts(), '--instancetypes-dir', types]);
  t.is(ok.code, 0, ok.stderr);
  t.regex(ok.stdout, /<vcpu placement="static">2<\/vcpu>/);
  t.regex(ok.stdout, /<memory unit="b">536870912<\/memory>/);
  const missing = await runCli(['check', ...s.opts()]);
  t.is(missing.code, 3);
  t.regex(missing.stdout, /ERROR InstancetypeNotFound: spec\.instancetype: VirtualMachineInstancetype "small" is neither in --instancetypes-dir nor bundled/);
  s.writeVmi(vm('{kind: VirtualMachineInstancetype, name: small}').replace('domain: {devices', 'domain: {cpu: {sockets: 4}, devices'));
  const conflict = await runCli(['check', ...s.opts()], 60_000, { VM_LAUNCHER_INSTANCETYPES_DIR: types });
  t.is(conflict.code, 3);
  t.regex(conflict.stdout, /InstancetypeConflict.*spec\.template\.spec\.domain\.cpu\.sockets: set by the VirtualMachine and by its VirtualMachineInstancetype small/);
  t.regex(conflict.stdout, /instancetypes-dir +\S+types {2}\[env VM_LAUNCHER_INSTANCETYPES_DIR\]/);
});

// `pod` renders the VM as written; the launcher in the Pod expands it again, where the image has only the bundled
// documents. The operator's documents the VM uses go into the ConfigMap and the Pod points the launcher at them.
test('pod: an operator\'s instance type and preference travel in the ConfigMap; check in the Pod\'s layout finds them', async (t) => {
  if (skip) { t.log(`skipped: ${skip}`); t.pass(); return; }
  const { s, types } = typedScene({
    'small.yaml': `${SMALL}---\napiVersion: instancetype.kubevirt.io/v1beta1\nkind: VirtualMachineInstancetype\nmetadata: {name: unused}\nspec: {cpu: {guest: 8}, memory: {guest: 8Gi}}\n`,
    'prefs.yaml': 'apiVersion: instancetype.kubevirt.io/v1beta1\nkind: VirtualMachinePreference\nmetadata: {name: virtio}\nspec: {devices: {preferredDiskBus: virtio}}\n',
  });
  t.teardown(s.cleanup);
  s.writeVmi(vm('{kind: VirtualMachineInstancetype, name: small}', '{kind: VirtualMachinePreference, name: virtio}'));
  const rendered = await runCli(['pod', '--vmi', s.vmiPath, '--instancetypes-dir', types]);
  t.is(rendered.code, 0, rendered.stderr);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the rendered objects as parsed YAML, read by key
  const objects = parseAllDocuments(rendered.stdout).map((d) => d.toJS() as Record<string, any>).filter(Boolean);
  const configMap = objects.find((o) => o['kind'] === 'ConfigMap')!;
  const pod = objects.find((o) => o['kind'] === 'Pod')!;
  const shipped = configMap['data']['instancetypes.yaml'] as string;
  t.deepEqual(parseAllDocuments(shipped).map((d) => { const o = d.toJS(); return `${o.kind}/${o.metadata.name}`; }),
    ['VirtualMachineInstancetype/small', 'VirtualMachinePreference/virtio'], 'only the documents the VM uses');
  const container = pod['spec']['containers'][0];
  t.deepEqual(container.env.find((e: { name: string }) => e.name === 'VM_LAUNCHER_INSTANCETYPES_DIR'), { name: 'VM_LAUNCHER_INSTANCETYPES_DIR', value: '/etc/vm-launcher-instancetypes' });
  t.deepEqual(container.volumeMounts.find((m: { name: string }) => m.name === 'instancetypes'), { name: 'instancetypes', mountPath: '/etc/vm-launcher-instancetypes', readOnly: true });
  t.deepEqual(pod['spec']['volumes'].find((v: { name: string }) => v.name === 'instancetypes').configMap.items, [{ key: 'instancetypes.yaml', path: 'instancetypes.yaml' }]);
  // The kubelet's view: the VMI key as the manifest, the documents' key alone in the launcher's instancetypes dir.
  const inPod = join(s.dir, 'in-pod');
  mkdirSync(inPod);
  s.writeVmi(configMap['data']['vmi.yaml'] as string);
  writeFileSync(join(inPod, 'instancetypes.yaml'), shipped);
  const there = await runCli(['check', ...s.opts()], 60_000, { VM_LAUNCHER_INSTANCETYPES_DIR: inPod });
  t.is(there.code, 0, there.stdout);
  t.regex(there.stdout, /instance type: VirtualMachineInstancetype small \(file instancetypes\.yaml/);
  const bundledOnly = await runCli(['pod', '--vmi', s.vmiPath]);
  t.is(bundledOnly.code, 3, 'without the dir the VM is refused at render time, not at the Pod\'s start');
  const bundled = scene();
  t.teardown(bundled.cleanup);
  withRoot(bundled);
  bundled.writeVmi(vm('{name: u1.medium}'));
  const plain = await runCli(['pod', '--vmi', bundled.vmiPath]);
  t.is(plain.code, 0, plain.stderr);
  t.notRegex(plain.stdout, /instancetypes/, 'a bundled instance type ships nothing');
});
