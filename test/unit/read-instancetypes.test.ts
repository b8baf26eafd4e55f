// --instancetypes-dir as Kubernetes mounts a ConfigMap: the keys are links into a `..data` dot-directory. The links
// are read, the dot entries and other files skipped, an oversized file refused by name; through readManifest, a VM
// names a document of that directory by kind and name.
import test from 'ava';
import { mkdir, mkdtemp, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_TYPE_FILE_BYTES, readTypeFiles } from '../../launcher/inspect/read-instancetypes.js';
import { readManifest } from '../../launcher/inspect/read-manifest.js';

const TYPE = 'apiVersion: instancetype.kubevirt.io/v1beta1\nkind: VirtualMachineInstancetype\nmetadata: {name: tiny}\nspec: {cpu: {guest: 2}, memory: {guest: 256Mi}}\n';
const VM = `apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata: {name: vm1}
spec:
  runStrategy: Always
  instancetype: {kind: VirtualMachineInstancetype, name: tiny}
  template:
    spec:
      domain: {devices: {disks: [{name: root}]}}
      volumes: [{name: root, persistentVolumeClaim: {claimName: root}}]
`;

async function configMapDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'vml-itypes-'));
  await mkdir(join(dir, '..2026_12_06_11_00_00.123'));
  await writeFile(join(dir, '..2026_12_06_11_00_00.123', 'tiny.yaml'), TYPE);
  await symlink('..2026_12_06_11_00_00.123', join(dir, '..data'));
  await symlink('..data/tiny.yaml', join(dir, 'tiny.yaml'));
  await writeFile(join(dir, 'notes.txt'), 'not read');
  return dir;
}

test('a ConfigMap-style directory: the key links are read, dot entries and other files skipped', async (t) => {
  const dir = await configMapDir();
  try {
    const r = await readTypeFiles(dir);
    t.deepEqual(r.problems, []);
    t.deepEqual(r.files, [{ file: 'tiny.yaml', text: TYPE }]);
    const m = await readManifest(await writeVm(dir), dir);
    t.deepEqual(m.problems.filter((p) => p.severity === 'error'), []);
    t.deepEqual(m.spec?.cpu, { sockets: 2, cores: 1, threads: 1 });
    t.like(m.spec?.expansion?.instancetype, { kind: 'VirtualMachineInstancetype', name: 'tiny', from: 'file tiny.yaml' });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

async function writeVm(dir: string): Promise<string> {
  const path = join(dir, '..vm.yaml');
  await writeFile(path, VM);
  return path;
}

test('an oversized file and a missing directory are refused as InstancetypeInvalid, naming the path', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'vml-itypes-'));
  try {
    await writeFile(join(dir, 'big.yaml'), '');
    await truncate(join(dir, 'big.yaml'), MAX_TYPE_FILE_BYTES + 1);
    const r = await readTypeFiles(dir);
    t.deepEqual(r.problems.map((p) => p.reason), ['InstancetypeInvalid']);
    t.regex(r.problems[0]!.message, /big\.yaml is 1048577 bytes/);
    const missing = await readTypeFiles(join(dir, 'nope'));
    t.regex(missing.problems[0]!.message, /cannot read --instancetypes-dir .*nope: ENOENT/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
