// Benchmark: `vm-launcher check` on a VMI with 20 filesystem volumes (64 MiB raw images), against the naive
// approach (20 `qemu-img info` calls one after the other) and against a single `qemu-img info`.
// The goal (issue 2): check on 20 volumes finishes in under 2 s here.
//
//   npx tsc -p tsconfig.json && node dist/bench/check-volumes.js [--runs N] [--volumes N]
//
// Prints a table; exits 1 only when check itself fails (not when it is slow: this is a measurement, not a test).
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { median } from './stats.js';

const GOAL_MS = 2000;
const IMAGE_SIZE = '64M';
const VM_UID = 107;
const VM_GID = 107;

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const cli = join(repoRoot, 'dist', 'vm-launcher.mjs');
const isRoot = process.getuid?.() === 0;

interface Ran { code: number | null; stdout: string; stderr: string; ms: number }

function run(cmd: string, args: string[]): Promise<Ran> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    execFile(cmd, args, { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024, timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : null) : 0;
      resolve({ code, stdout, stderr, ms: performance.now() - t0 });
    });
  });
}

async function must(cmd: string, args: string[]): Promise<Ran> {
  const r = await run(cmd, args);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}:\n${r.stdout}${r.stderr}`);
  return r;
}

function vmi(volumes: string[]): string {
  return JSON.stringify({
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata: { name: 'bench', namespace: 'bench' },
    spec: {
      domain: {
        memory: { guest: '128Mi' },
        devices: { disks: volumes.map((v, i) => ({ name: v, disk: { bus: 'virtio' }, ...(i === 0 && { bootOrder: 1 }) })) },
      },
      volumes: volumes.map((v) => ({ name: v, persistentVolumeClaim: { claimName: `${v}-claim` } })),
    },
  }, null, 2);
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, volumes: { type: 'string', default: '20' } } });
  const runs = Number(values.runs);
  const count = Number(values.volumes);
  if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(count) || count < 1) throw new Error('--runs and --volumes take positive integers');

  const dir = mkdtempSync(join(tmpdir(), 'vml-bench-'));
  chmodSync(dir, 0o755); // QEMU's user must be able to walk down to the images
  try {
    const volumesDir = join(dir, 'vols');
    const devicesDir = join(dir, 'dev');
    mkdirSync(devicesDir, { recursive: true });
    const names = Array.from({ length: count }, (_, i) => `vol${String(i).padStart(2, '0')}`);
    const images: string[] = [];
    for (const n of names) {
      const d = join(volumesDir, n);
      mkdirSync(d, { recursive: true, mode: 0o755 });
      const img = join(d, 'disk.img');
      await must('qemu-img', ['create', '-q', '-f', 'raw', img, IMAGE_SIZE]);
      if (isRoot) {
        chownSync(d, VM_UID, VM_GID);
        chownSync(img, VM_UID, VM_GID);
      }
      images.push(img);
    }
    const vmiPath = join(dir, 'vmi.json');
    writeFileSync(vmiPath, vmi(names));
    const checkArgs = [cli, 'check', '--json', '--vmi', vmiPath, '--volumes-dir', volumesDir, '--devices-dir', devicesDir, '--accel', 'tcg'];

    // Warm-up (page cache, node's compile cache): not counted.
    const warm = await run(process.execPath, checkArgs);
    if (warm.code !== 0) {
      process.stderr.write(`check refused the benchmark's own volumes (exit ${warm.code}):\n${warm.stdout}${warm.stderr}\n`);
      return 1;
    }
    await must('qemu-img', ['info', '--output=json', images[0]!]);

    const checkWall: number[] = [];
    const checkInternal: number[] = [];
    const sequential: number[] = [];
    const single: number[] = [];
    for (let i = 0; i < runs; i++) {
      // Interleaved, so a burst of load elsewhere on the machine hits both sides alike.
      const r = await run(process.execPath, checkArgs);
      if (r.code !== 0) throw new Error(`check exited ${r.code}:\n${r.stdout}${r.stderr}`);
      checkWall.push(r.ms);
      checkInternal.push((JSON.parse(r.stdout) as { durationMs: number }).durationMs);
      const t0 = performance.now();
      for (const img of images) await must('qemu-img', ['info', '--output=json', img]);
      sequential.push(performance.now() - t0);
      single.push((await must('qemu-img', ['info', '--output=json', images[0]!])).ms);
    }

    const rows: Array<[string, number[]]> = [
      [`vm-launcher check, ${count} volumes (wall clock, incl. node start)`, checkWall],
      [`vm-launcher check, ${count} volumes (its own durationMs)`, checkInternal],
      [`baseline: ${count} sequential qemu-img info`, sequential],
      ['baseline: one qemu-img info', single],
    ];
    const w = Math.max(...rows.map(([l]) => l.length));
    const fmt = (n: number) => `${n.toFixed(0).padStart(7)} ms`;
    const out: string[] = [];
    out.push(`check-volumes: ${count} filesystem volumes, ${IMAGE_SIZE} raw images each, median of ${runs} runs (${isRoot ? `as root, QEMU user ${VM_UID}` : 'not root'})`);
    out.push('');
    out.push(`${'what'.padEnd(w)}  ${'median'.padStart(10)}  ${'min'.padStart(10)}  ${'max'.padStart(10)}`);
    for (const [label, xs] of rows) out.push(`${label.padEnd(w)}  ${fmt(median(xs))}  ${fmt(Math.min(...xs))}  ${fmt(Math.max(...xs))}`);
    const mWall = median(checkWall);
    const mSeq = median(sequential);
    const mSingle = median(single);
    out.push('');
    out.push(`ratio check (wall) / ${count} sequential qemu-img info: ${(mWall / mSeq).toFixed(2)}`);
    out.push(`ratio check (own durationMs) / ${count} sequential qemu-img info: ${(median(checkInternal) / mSeq).toFixed(2)}`);
    out.push(`ratio check (wall) / one qemu-img info: ${(mWall / mSingle).toFixed(1)}`);
    out.push(`goal: check on ${count} volumes under ${GOAL_MS} ms (wall clock): ${mWall < GOAL_MS ? 'MET' : 'NOT MET'} (${mWall.toFixed(0)} ms)`);
    process.stdout.write(out.join('\n') + '\n');
    return 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then((code) => process.exit(code), (e: unknown) => {
  process.stderr.write(`check-volumes: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
