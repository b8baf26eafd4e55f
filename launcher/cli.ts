#!/usr/bin/env -S node --lite-mode --max-semi-space-size=1 --no-expose-wasm
// (V8 flags: the launcher is a supervisor, not a hot path; lite mode keeps its RSS near 58 MiB instead of 76.)
// Entry point: options, logger, command dispatch, exit code. Bad input never ends in a
// stack trace: it is a reason code and a fix on one log line.
import { readFile } from 'node:fs/promises';
import { resolveAccel } from './accel.js';
import { ExitCode } from './exit-codes.js';
import { createLogger } from './log.js';
import { parseOptions, USAGE, type Options } from './options.js';
import { preflight } from './preflight.js';
import { probe } from './probe.js';
import { formatReport, reportJson } from './report.js';
import { effectiveRunAs } from './run-as.js';
import { runtimeLayout } from './stack/runtime-layout.js';
import { LauncherError } from '../domain/problem.js';
import { chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

async function main(argv: string[]): Promise<number> {
  let opts: Options;
  try {
    opts = parseOptions(argv, process.env);
  } catch (e) {
    process.stderr.write(`vm-launcher: ${(e as Error).message}\n\n${USAGE}`);
    return ExitCode.Usage;
  }
  switch (opts.command) {
    case 'help':
      process.stdout.write(USAGE);
      return 0;
    case 'version': {
      // package.json sits beside dist/: one level up from the bundle, two from dist/launcher/cli.js.
      const text = await readFile(new URL('../package.json', import.meta.url), 'utf8')
        .catch(() => readFile(new URL('../../package.json', import.meta.url), 'utf8'));
      const pkg = JSON.parse(text) as { version: string };
      process.stdout.write(`vm-launcher ${pkg.version}\n`);
      return 0;
    }
    case 'probe': {
      const r = await probe(opts.probe!, opts.runtimeDir);
      (r.ok ? process.stdout : process.stderr).write(`${r.message}\n`);
      return r.ok ? 0 : 1;
    }
    case 'check':
    case 'domain':
      return checkOrDomain(opts);
    case 'run': {
      // Loaded only here: check, domain and probe start faster without the stack's modules.
      const { runVm } = await import('./run.js');
      return runVm(opts, createLogger({ level: opts.logLevel, format: opts.logFormat }));
    }
  }
}

async function checkOrDomain(opts: Options): Promise<number> {
  const runAs = effectiveRunAs(opts.runAs);
  const { accel } = await resolveAccel(opts.accel, runAs);
  const layout = runtimeLayout(opts.runtimeDir, opts.cacheDir);
  const report = await preflight({ vmiPath: opts.vmiPath, layout: opts.layout, accel, runAs, qemuImg: opts.qemuImg, consoleLogPath: layout.consoleLog });
  if (opts.command === 'check') {
    process.stdout.write(opts.json ? JSON.stringify(reportJson(report), null, 2) + '\n' : formatReport(report) + '\n');
    return report.ok ? ExitCode.Clean : ExitCode.Refused;
  }
  if (!report.ok || !report.xml || !report.spec) {
    process.stderr.write(formatReport(report) + '\n');
    return ExitCode.Refused;
  }
  let xml = report.xml;
  if (opts.hooksDir) {
    const [{ HookRunner }, { logProblems }] = await Promise.all([import('./hook-runner.js'), import('./log-problems.js')]);
    // Hooks see a scratch runtime dir: `domain` starts nothing and leaves nothing behind.
    const scratch = await mkdtemp(join(tmpdir(), 'vml-domain-'));
    try {
      const vmiJsonPath = join(scratch, 'vmi.json');
      await writeFile(vmiJsonPath, JSON.stringify(report.raw ?? {}, null, 2));
      // Hooks run as they would under `run`: as the VM user when the launcher is root.
      if (runAs) await chown(scratch, runAs.uid, runAs.gid);
      // stdout carries the XML: hook logs go to stderr.
      const logger = createLogger({ level: opts.logLevel, format: opts.logFormat, fd: 2 });
      const hooks = new HookRunner({ hooksDir: opts.hooksDir, timeoutMs: opts.hookTimeoutMs, runtimeDir: scratch, vmiJsonPath, runAs }, report.spec, logger);
      xml = await hooks.onDefineDomain(xml);
    } catch (e) {
      if (e instanceof LauncherError) {
        logProblems(createLogger({ format: opts.logFormat, fd: 2 }), [e.problem]);
        return ExitCode.Failed;
      }
      throw e;
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }
  process.stdout.write(xml.endsWith('\n') ? xml : xml + '\n');
  return ExitCode.Clean;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    const err = e as Error;
    process.stderr.write(`${JSON.stringify({ level: 'fatal', timestamp: new Date().toISOString(), component: 'vm-launcher', reason: 'InternalError', msg: err.message, stack: err.stack })}\n`);
    process.exit(ExitCode.Internal);
  },
);
