// The quadlet `.kube` unit `pod --for podman --quadlet DIR` writes, checked key by key against podman-systemd.unit(5)
// / podman-kube.unit(5) (this machine's podman 4.3 has no quadlet to run it: test/container/pod-play.test.ts runs it
// where podman 4.4+ and systemd are): [Kube] Yaml= names the YAML beside it (relative paths resolve against the
// unit's dir); the stop waits for the guest: ExecStop= stops the pod with the Pod's grace period before quadlet's
// ExecStopPost `podman kube down` (which SIGKILLs at once before podman 5.1), and systemd's TimeoutStopSec= is longer.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { quadletUnit } from '../../domain/pod/pod-text.js';

/** A systemd unit as sections of key -> values (comments and blank lines dropped). */
function parseUnit(text: string): Record<string, Record<string, string[]>> {
  const out: Record<string, Record<string, string[]>> = {};
  let section = '';
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const s = /^\[(\w+)\]$/.exec(line);
    if (s) { section = s[1]!; out[section] = {}; continue; }
    const kv = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (!kv || !section) throw new Error(`not a unit line: ${line}`);
    (out[section]![kv[1]!] ??= []).push(kv[2]!);
  }
  return out;
}

test('the .kube unit: Yaml= beside it, the pod stopped with the Pod\'s grace, systemd waiting longer, installable', (t) => {
  const unit = parseUnit(quadletUnit('vm1', 'vm1.yaml', 45));
  t.deepEqual(Object.keys(unit), ['Unit', 'Kube', 'Service', 'Install']);
  t.deepEqual(unit.Kube, { Yaml: ['vm1.yaml'] }, 'Yaml is the only key [Kube] requires; nothing a 4.4 quadlet does not know');
  t.deepEqual(unit.Service!.ExecStop, ['/usr/bin/podman pod stop --ignore -t 45 vm1']);
  t.deepEqual(unit.Service!.TimeoutStopSec, ['60']);
  t.deepEqual(unit.Install!.WantedBy, ['multi-user.target default.target']);
  t.deepEqual(unit.Unit!.After, ['network-online.target']);
});

test('the stop timeout follows the grace period it is given', (t) => {
  for (const grace of [15, 45, 135]) {
    const unit = parseUnit(quadletUnit('a-vm', 'a-vm.yaml', grace));
    t.deepEqual(unit.Service!.ExecStop, [`/usr/bin/podman pod stop --ignore -t ${grace} a-vm`]);
    t.true(Number(unit.Service!.TimeoutStopSec![0]) > grace);
  }
});

test('pod --for podman --quadlet DIR writes DIR/<name>.yaml (what it prints) and DIR/<name>.kube naming it; --quadlet alone is refused', (t) => {
  const repo = fileURLToPath(new URL('../../../', import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), 'vml-quadlet-'));
  try {
    const vmi = join(repo, 'examples', 'vmi', 'vmi-filesystem-pvc.yaml');
    const cli = join(repo, 'dist', 'vm-launcher.mjs');
    const r = spawnSync('node', [cli, 'pod', '--vmi', vmi, '--for', 'podman', '--accel', 'tcg', '--quadlet', dir], { encoding: 'utf8', timeout: 60_000 });
    t.is(r.status, 0, r.stderr);
    t.deepEqual(readdirSync(dir).sort(), ['vmi-filesystem-pvc.kube', 'vmi-filesystem-pvc.yaml']);
    t.is(readFileSync(join(dir, 'vmi-filesystem-pvc.yaml'), 'utf8'), r.stdout);
    const unit = parseUnit(readFileSync(join(dir, 'vmi-filesystem-pvc.kube'), 'utf8'));
    t.deepEqual(unit.Kube, { Yaml: ['vmi-filesystem-pvc.yaml'] });
    t.deepEqual(unit.Service!.ExecStop, ['/usr/bin/podman pod stop --ignore -t 45 vmi-filesystem-pvc'], 'the rendered Pod\'s grace (VMI 30 + 15)');
    const k8s = spawnSync('node', [cli, 'pod', '--vmi', vmi, '--quadlet', dir], { encoding: 'utf8', timeout: 60_000 });
    t.is(k8s.status, 2);
    t.regex(k8s.stderr, /--quadlet writes a podman unit: add --for podman/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
