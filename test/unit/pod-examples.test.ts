// examples/pods/ are `vm-launcher pod`'s output for examples/vmi/ (UPDATE_EXAMPLES=1 rewrites them), and every VMI
// in examples/ and ../shared/kubevirt-examples that the parser accepts renders into objects the Kubernetes API
// schema accepts (kubernetes-models' validators, as `pod --validate` runs them).
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { parseVmiText } from '../../domain/manifest/vmi.js';
import { renderPod, schedulingFields } from '../../domain/pod/render-pod.js';
import { schemaErrors } from '../../launcher/cli/validate-k8s.js';
import { SHARED_EXAMPLES, sharedExamplesAbsent, sharedExamplesPresent } from '../helpers/shared-examples.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const cli = join(repo, 'dist', 'vm-launcher.mjs');
const vmiDir = join(repo, 'examples', 'vmi');
const podsDir = join(repo, 'examples', 'pods');

/** Each example Pod and the command that renders it. */
const examples = [
  ...readdirSync(vmiDir).filter((f) => f.endsWith('.yaml')).map((f) => ({ pod: f.replace(/^vmi-/, 'pod-'), args: ['--vmi', join(vmiDir, f)] })),
  { pod: 'podman/pod-block-pvc.yaml', args: ['--vmi', join(vmiDir, 'vmi-block-pvc.yaml'), '--for', 'podman', '--host-device', 'rootdisk=/dev/loop0'] },
  { pod: 'podman/pod-debian-ssh.yaml', args: ['--vmi', join(vmiDir, 'vmi-debian-ssh.yaml'), '--for', 'podman', '--publish', '22=2222'] },
];

for (const { pod, args } of examples) {
  test(`examples/pods/${pod} is what \`vm-launcher pod --vmi examples/vmi/${args[1]!.split('/').at(-1)} ${args.slice(2).join(' ')}\` prints`, (t) => {
    const out = execFileSync(cli, ['pod', ...args, '--validate'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const file = join(podsDir, pod);
    if (process.env.UPDATE_EXAMPLES === '1') writeFileSync(file, out);
    t.is(readFileSync(file, 'utf8'), out, 'run UPDATE_EXAMPLES=1 npx ava dist/test/unit/pod-examples.test.js and review git diff examples/pods');
    const docs = parseAllDocuments(out).map((d) => d.toJS() as { kind: string; data?: Record<string, string> });
    t.deepEqual(docs.map((d) => d.kind), ['ConfigMap', 'Pod']);
    t.is(docs[0]!.data!['vmi.yaml'], readFileSync(args[1]!, 'utf8'), 'the ConfigMap holds the VMI file as written');
  });
}

const shared = sharedExamplesPresent() ? readdirSync(SHARED_EXAMPLES).filter((f) => f.endsWith('.yaml')).map((f) => join(SHARED_EXAMPLES, f)) : [];
const all = [...readdirSync(vmiDir).map((f) => join(vmiDir, f)), ...shared];

test('every accepted VMI renders, for Kubernetes and for podman, into objects the Kubernetes schema accepts', async (t) => {
  if (!sharedExamplesPresent()) sharedExamplesAbsent(t);
  let rendered = 0;
  for (const file of all) {
    const text = readFileSync(file, 'utf8');
    const parsed = parseVmiText(text, { sourceName: file.split('/').at(-1)! });
    if (!parsed.spec) continue;
    for (const target of ['kubernetes', 'podman'] as const) {
      const r = renderPod(parsed.spec, text, {
        image: 'localhost/vm-launcher:dev', target, accel: 'auto', service: true, hostDevices: { rootdisk: '/dev/loop0' },
        scheduling: schedulingFields(parsed.raw, parsed.spec.specPath),
      });
      t.deepEqual(r.problems, [], `${file} (${target})`);
      t.deepEqual(await schemaErrors(r.objects), [], `${file} (${target})`);
      rendered++;
    }
  }
  // every example, and at least two of KubeVirt's (the others use what vm-launcher refuses)
  t.true(rendered >= 2 * (readdirSync(vmiDir).length + (shared.length > 0 ? 2 : 0)), `rendered ${rendered}`);
});

test('the schema check can fail: a Pod with a wrong type and without containers is refused', async (t) => {
  const errors = await schemaErrors([{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' }, spec: { terminationGracePeriodSeconds: '45' } } as never]);
  t.is(errors.length, 1);
  t.regex(errors[0]!, /terminationGracePeriodSeconds must be integer|containers/);
});
