// `check` and `domain`: the plan and preflight, nothing started. `domain` also runs the onDefineDomain hooks, so
// people see the XML `run` would define. `prepare` is the one set-up block `check`, `domain` and `run` share.
// eslint-disable-next-line no-restricted-syntax -- a fresh mkdtemp dir of the launcher's own (0700), made and removed by it
import { chown, mkdtemp, writeFile } from 'node:fs/promises';
import { removeAs } from '../common/remove-as.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExitCode } from '../../domain/reasons.js';
import { LauncherError } from '../../domain/problem.js';
import { createLogger } from '../common/log.js';
import { logProblems } from '../common/log-problems.js';
import { preflight, type PreflightReport } from '../inspect/preflight.js';
import { readManifest, type ManifestResult } from '../inspect/read-manifest.js';
import type { Plan } from '../plan/plan.js';
import { instancetypesDirFrom, resolvePlan, vmiPathFrom } from '../plan/resolve-plan.js';
import type { CliArgs } from './options.js';
import { formatReport, reportJson } from './report.js';
import type { LogSettings } from './log-settings.js';

export interface Prepared { plan: Plan; manifest: ManifestResult }

/** Reads the manifest once and resolves the plan from it, the flags and the environment. */
export async function prepare(args: CliArgs, env: NodeJS.ProcessEnv): Promise<Prepared> {
  const manifest = await readManifest(vmiPathFrom(args.flags, env).value, instancetypesDirFrom(args.flags, env)?.value);
  const plan = await resolvePlan(args.flags, env, manifest.spec);
  return { plan, manifest };
}

export async function checkCommand(args: CliArgs, env: NodeJS.ProcessEnv): Promise<number> {
  const { plan, manifest } = await prepare(args, env);
  const report = await preflight(plan, manifest);
  process.stdout.write(args.json ? JSON.stringify(reportJson(report, plan), null, 2) + '\n' : formatReport(report, plan) + '\n');
  return report.ok ? ExitCode.Clean : ExitCode.Refused;
}

export async function domainCommand(args: CliArgs, env: NodeJS.ProcessEnv, log: LogSettings): Promise<number> {
  const { plan, manifest } = await prepare(args, env);
  const report = await preflight(plan, manifest);
  if (!report.ok || !report.xml || !report.spec) {
    process.stderr.write(formatReport(report) + '\n');
    return ExitCode.Refused;
  }
  const xml = plan.hooks.dir ? await withHooks(plan, report, log) : report.xml;
  if (typeof xml === 'number') return xml;
  process.stdout.write(xml.endsWith('\n') ? xml : xml + '\n');
  return ExitCode.Clean;
}

/** The XML after the onDefineDomain chain, or the exit code when a hook failed. */
async function withHooks(plan: Plan, report: PreflightReport, log: LogSettings): Promise<string | number> {
  const { HookRunner } = await import('../run/hook-runner.js');
  // stdout carries the XML: hook logs go to stderr.
  const logger = createLogger({ ...log, fd: 2 });
  // Hooks see a scratch runtime dir: `domain` starts nothing and leaves nothing behind.
  const scratch = await mkdtemp(join(tmpdir(), 'vml-domain-'));
  try {
    const vmiJsonPath = join(scratch, 'vmi.json');
    await writeFile(vmiJsonPath, JSON.stringify(report.raw ?? {}, null, 2));
    // Hooks run as they would under `run`: as the VM user when the launcher is root.
    if (plan.runAs.value) await chown(scratch, plan.runAs.value.uid, plan.runAs.value.gid);
    const hooks = new HookRunner(plan, { runtimeDir: scratch, vmiJsonPath }, report.spec!, logger);
    return await hooks.onDefineDomain(report.xml!);
  } catch (e) {
    if (!(e instanceof LauncherError)) throw e;
    logProblems(logger, [e.problem]);
    return ExitCode.Failed;
  } finally {
    // The hooks ran as the VM user in it: the VM user removes it (a root rm could be raced into following a link).
    await removeAs([scratch], plan.runAs.value).catch(() => undefined);
  }
}
