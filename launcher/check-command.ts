// `check` and `domain`: preflight without starting anything. `domain` also runs the
// onDefineDomain hooks, so people see the XML `run` would define.
import { chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LauncherError } from '../domain/problem.js';
import { resolveAccel } from './accel.js';
import { ExitCode } from './exit-codes.js';
import { createLogger } from './log.js';
import type { Options } from './options.js';
import { preflight, type PreflightReport } from './preflight.js';
import { formatReport, reportJson } from './report.js';
import { effectiveRunAs, type RunAs } from './run-as.js';
import { runtimeLayout } from './stack/runtime-layout.js';

async function preflightFor(opts: Options): Promise<{ report: PreflightReport; runAs?: RunAs }> {
  const runAs = effectiveRunAs(opts.runAs);
  const { accel } = await resolveAccel(opts.accel, runAs);
  const layout = runtimeLayout(opts.runtimeDir, opts.cacheDir);
  const report = await preflight({ vmiPath: opts.vmiPath, layout: opts.layout, accel, runAs, qemuImg: opts.qemuImg, consoleLogPath: layout.consoleLog });
  return { report, runAs };
}

export async function checkCommand(opts: Options): Promise<number> {
  const { report } = await preflightFor(opts);
  process.stdout.write(opts.json ? JSON.stringify(reportJson(report), null, 2) + '\n' : formatReport(report) + '\n');
  return report.ok ? ExitCode.Clean : ExitCode.Refused;
}

export async function domainCommand(opts: Options): Promise<number> {
  const { report, runAs } = await preflightFor(opts);
  if (!report.ok || !report.xml || !report.spec) {
    process.stderr.write(formatReport(report) + '\n');
    return ExitCode.Refused;
  }
  let xml = report.xml;
  if (opts.hooksDir) {
    const [{ HookRunner }, { logProblems }] = await Promise.all([import('./hook-runner.js'), import('./log-problems.js')]);
    // stdout carries the XML: hook logs go to stderr.
    const logger = createLogger({ level: opts.logLevel, format: opts.logFormat, fd: 2 });
    // Hooks see a scratch runtime dir: `domain` starts nothing and leaves nothing behind.
    const scratch = await mkdtemp(join(tmpdir(), 'vml-domain-'));
    try {
      const vmiJsonPath = join(scratch, 'vmi.json');
      await writeFile(vmiJsonPath, JSON.stringify(report.raw ?? {}, null, 2));
      // Hooks run as they would under `run`: as the VM user when the launcher is root.
      if (runAs) await chown(scratch, runAs.uid, runAs.gid);
      const hooks = new HookRunner({ hooksDir: opts.hooksDir, timeoutMs: opts.hookTimeoutMs, runtimeDir: scratch, vmiJsonPath, runAs }, report.spec, logger);
      xml = await hooks.onDefineDomain(xml);
    } catch (e) {
      if (e instanceof LauncherError) {
        logProblems(logger, [e.problem]);
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
