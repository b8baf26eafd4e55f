// KubeVirt's own example manifests (kept unchanged in ../shared/kubevirt-examples): each is either accepted and
// built into a domain, or refused with exactly the field paths pinned here.
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { parseVmiText, startRefusals } from '../../domain/manifest/index.js';
import { buildDomain } from '../../domain/convert/index.js';
import { domainToXml } from '../../domain/libvirt/index.js';
import { parseDomainXml } from '../helpers/parse-domain-xml.js';
import type { VmSpec, VolumeFacts, VolumeKind } from '../../domain/model/index.js';
import { hostDiskPathOf } from '../helpers/disk-source.js';
import { SHARED_EXAMPLES, sharedExamplesAbsent, sharedExamplesPresent } from '../helpers/shared-examples.js';

const examplesDir = SHARED_EXAMPLES;

type Expectation =
  /** Built into a domain; `halted`: a VirtualMachine whose runStrategy check and run refuse (VmHalted). */
  | { accepted: { disks: string[]; kind: VolumeKind; halted?: true } }
  | { refused: Array<[reason: string, field: string]> };

// containerDisk (it needs KubeVirt's node agent) and the hook sidecar stay refused; everything else builds.
const expectations: Record<string, Expectation> = {
  'vm-alpine-multipvc.yaml': { accepted: { disks: ['pvcdisk1', 'pvcdisk2'], kind: 'filesystem', halted: true } },
  'vmi-block-pvc.yaml': { accepted: { disks: ['blockpvcdisk'], kind: 'block' } },
  'vmi-host-disk.yaml': { accepted: { disks: ['host-disk'], kind: 'hostDisk' } },
  'vmi-pvc.yaml': { accepted: { disks: ['pvcdisk'], kind: 'filesystem' } },
  'vmi-fedora.yaml': {
    refused: [
      ['FieldNeedsCluster', 'spec.volumes[0].containerDisk'],
    ],
  },
  'vmi-nocloud.yaml': {
    refused: [
      ['FieldNeedsCluster', 'spec.volumes[0].containerDisk'],
    ],
  },
  // KubeVirt's webhook adds the disk for the volume (so does vm-launcher, with a note); the volume is a containerDisk.
  'vmi-sata.yaml': {
    refused: [
      ['FieldNeedsCluster', 'spec.volumes[0].containerDisk'],
    ],
  },
  'vmi-with-sidecar-hook.yaml': {
    refused: [
      ['FieldNotSupported', 'metadata.annotations["hooks.kubevirt.io/hookSidecars"]'],
      ['FieldNeedsCluster', 'spec.volumes[0].containerDisk'],
    ],
  },
};

/** Facts a launcher could have found for each disk's volume. */
function syntheticFacts(spec: VmSpec, kind: VolumeKind): Map<string, VolumeFacts> {
  return new Map(spec.disks.map((d): [string, VolumeFacts] => {
    const path = hostDiskPathOf(d) ?? (kind === 'block' ? `/dev/${d.volumeName}` : `/var/run/kubevirt-private/vmi-disks/${d.volumeName}/disk.img`);
    return [d.volumeName, { volume: d.volumeName, kind, path, fullyAllocated: kind === 'block', directIo: true }];
  }));
}

const present = sharedExamplesPresent();
const files = present ? readdirSync(examplesDir).filter((f) => f.endsWith('.yaml')).sort() : [];

if (!present) {
  test('KubeVirt examples', (t) => sharedExamplesAbsent(t));
}

if (present) {
  test('every example has a pinned expectation, and every expectation an example', (t) => {
    t.deepEqual(files, Object.keys(expectations).sort());
  });
}

for (const file of files) {
  test(`KubeVirt example ${file}`, (t) => {
    const expected = expectations[file];
    if (!expected) return t.fail(`no expectation pinned for ${file}`);
    const { spec, problems } = parseVmiText(readFileSync(examplesDir + file, 'utf8'));
    const errors = problems.filter((p) => p.severity === 'error').map((p) => [p.reason, p.field]).sort();
    if ('refused' in expected) {
      t.is(spec, undefined);
      t.deepEqual(errors, [...expected.refused].sort());
      return;
    }
    t.deepEqual(problems, []);
    if (!spec) return t.fail('no spec');
    t.deepEqual(startRefusals(spec).map((p) => [p.reason, p.field]), expected.accepted.halted ? [['VmHalted', 'spec.runStrategy']] : []);
    t.deepEqual(spec.disks.map((d) => d.name), expected.accepted.disks);
    t.is(spec.terminationGracePeriodSeconds, 0, 'the examples destroy at once');
    const built = buildDomain(spec, syntheticFacts(spec, expected.accepted.kind), { accel: 'qemu', consoleLogPath: '/run/console.log' });
    t.deepEqual(built.problems, []);
    if (!built.domain) return t.fail('no domain');
    const xml = parseDomainXml(domainToXml(built.domain)) as { domain: { name: string; devices: { disk: Array<{ '@_type': string }> } } };
    t.is(xml.domain.name, `${spec.namespace}_${spec.name}`);
    t.deepEqual(xml.domain.devices.disk.map((d) => d['@_type']), spec.disks.map(() => (expected.accepted.kind === 'block' ? 'block' : 'file')));
  });
}
