// The example Pods (examples/pods/, `vm-launcher pod`'s output: test/unit/pod-examples.test.ts keeps them equal)
// agree with the image: their probes call the command the Containerfile installs, and there is a Pod for each VMI
// example. podman.test.ts plays two of them with `podman kube play`. No podman or cluster needed here.
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { repoRoot } from '../../harness/guest-disk.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
const podsDir = join(repoRoot, 'examples', 'pods');
const containerfile = readFileSync(join(repoRoot, 'Containerfile'), 'utf8');
const files = [
  ...readdirSync(podsDir).filter((f) => f.startsWith('pod-') && f.endsWith('.yaml')),
  ...readdirSync(join(podsDir, 'podman')).filter((f) => f.endsWith('.yaml')).map((f) => `podman/${f}`),
];

test('there is a Pod for each VMI example', (t) => {
  for (const vmi of readdirSync(join(repoRoot, 'examples', 'vmi')).filter((f) => f.endsWith('.yaml'))) {
    t.true(files.includes(vmi.replace(/^vmi-/, 'pod-')), vmi);
  }
});

for (const file of files) {
  test(`${file}: its probes call the command the image installs`, (t) => {
    const pod = parseAllDocuments(readFileSync(join(podsDir, file), 'utf8')).map((d) => d.toJS() as any).find((d) => d.kind === 'Pod');
    const c = pod.spec.containers[0];
    for (const [probe, kind] of [[c.readinessProbe, 'ready'], [c.livenessProbe, 'live']] as const) {
      const [cmd, ...args] = probe.exec.command as string[];
      t.deepEqual(args, ['probe', kind]);
      t.true(containerfile.includes(`ln -s /opt/vm-launcher/dist/vm-launcher.mjs ${cmd}`), `${cmd} is the command the Containerfile installs`);
    }
  });
}
