// launcher/run/: the run, from preflight to exit: the lifecycle state machine, signals, supervision, the console,
// hooks around define/start/stop. This file: `vm-launcher run`: preflight, the private stack, define, start,
// supervise, clean up. Whatever happens, nothing of the stack outlives the launcher and the runtime dir is removed.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fail, LauncherError } from '../../domain/problem.js';
import { logProblems } from '../common/log-problems.js';
import { domainName } from '../../domain/index.js';
import { ConsoleTail } from './console-tail.js';
import { ExitCode, exitCodeFor } from '../../domain/reasons.js';
import { HookRunner } from './hook-runner.js';
import { checkHost } from '../inspect/host-check.js';
import { LibvirtClient, type LibvirtDomain } from '../stack/libvirt-client.js';
import { Lifecycle } from './lifecycle.js';
import { withBindings, withComponent, type Logger } from '../common/log.js';
import type { Plan } from '../plan/plan.js';
import type { ManifestResult } from '../inspect/read-manifest.js';
import { allProblems, preflight } from '../inspect/preflight.js';
import { ensureQemuGone, readQemuPid } from './qemu-process.js';
import { prepareRuntimeDir, removeRuntimeDir } from '../stack/runtime-dir.js';
import { ShutdownSignals } from './signals.js';
import { PrivateStack } from '../stack/private-stack.js';
import { runtimeLayout, type RuntimeLayout } from '../plan/runtime-layout.js';
import { supervise, type Outcome } from './supervise.js';
import { applyVolumeChanges } from './volume-changes.js';
import { buildSeed } from './cloud-init-seed.js';
import { ensurePasstGone, readPasstPids } from './passt-process.js';
import { raiseOpenFileLimit } from './open-files.js';
import { describeNetwork } from '../inspect/inspect-network.js';
import { describeSeed, type SeedPlan } from '../../domain/cloud-init-seed.js';
import { problem } from '../../domain/problem.js';
import { createDisks, removeCreatedDisks, type CreatedDisks } from './created-disks.js';
import type { VolumeFacts } from '../../domain/types.js';


export async function runVm(plan: Plan, manifest: ManifestResult, baseLogger: Logger): Promise<ExitCode> {
  const t0 = performance.now();
  const ms = () => Math.round(performance.now() - t0);
  // performance.now() counts from the process's start: node itself plus loading the modules.
  const timings: Record<string, number> = { nodeStartMs: Math.round(t0) };
  let logger = baseLogger;
  const signals = new ShutdownSignals(logger);
  signals.install();
  if (process.pid === 1) logger.warn({ reason: 'RunningAsInit' }, 'vm-launcher is PID 1: orphaned processes will not be reaped; run it under tini (the container image does)');
  try {
    const runAs = plan.runAs.value;
    const accel = plan.accel.value;
    let layout = plan.runtime.layout;
    const [hostProblems, first] = await Promise.all([checkHost(runAs), preflight(plan, manifest)]);
    let report = first;
    timings.preflightMs = ms();
    const spec = report.spec;
    if (spec) signals.logger = logger = withBindings(baseLogger, { namespace: spec.namespace, name: spec.name, uid: spec.uid, kind: 'VirtualMachineInstance' });
    const problems = [...hostProblems, ...allProblems(report)];
    logProblems(logger, problems);
    if (!report.ok || hostProblems.length > 0 || !spec || !report.xml) {
      logger.error({ reason: 'PreflightFailed', exitCode: ExitCode.Refused }, `refusing to start: ${problems.filter((p) => p.severity === 'error').length} problem(s) above; nothing was started and no image was changed`);
      return ExitCode.Refused;
    }
    if (plan.accel.choice.value === 'auto' && accel === 'qemu') logger.warn({ reason: 'NoKvm' }, plan.accel.why);
    logger.info({ reason: 'PreflightPassed', accel, durationMs: Math.round(report.durationMs), volumes: report.volumes.map((v) => `${v.disk.volumeName}:${v.facts?.kind}`) }, 'preflight passed');
    logger.info({ reason: 'NetworkPlanned', network: report.network ? describeNetwork(report.network) : 'none' },
      report.network ? describeNetwork(report.network)[0]! : 'no network interface in the VMI: the guest gets no NIC');
    if (report.network?.openFiles?.raise) {
      const raised = await raiseOpenFileLimit(report.network.openFiles);
      if (!raised.ok) {
        logProblems(logger, [problem('OpenFileLimitTooLow', raised.message, { field: `${report.network.iface.field}.ports` })]);
        logger.error({ reason: 'PreflightFailed', exitCode: ExitCode.Refused }, 'refusing to start: nothing was started and no image was changed');
        return ExitCode.Refused;
      }
      logger.info({ reason: 'OpenFileLimitRaised' }, raised.message);
    }
    if (signals.requested) {
      logger.info({ reason: 'Aborted', exitCode: ExitCode.Aborted }, 'stopped before anything started');
      return ExitCode.Aborted;
    }
    // Create missing images, grow others (opt-in), then look again: the guest starts from the images as they are.
    report = await applyVolumeChanges(plan, manifest, report, logger);
    if (!report.ok || !report.xml) {
      logProblems(logger, allProblems(report));
      logger.error({ reason: 'PreflightFailed', exitCode: ExitCode.Refused }, 'refusing to start: the images run created or grew did not pass preflight');
      return ExitCode.Refused;
    }

    try {
      await prepareRuntimeDir(layout, runAs);
    } catch (e) {
      if (e instanceof LauncherError) {
        logProblems(logger, [e.problem]);
        return ExitCode.Refused;
      }
      if ((e as NodeJS.ErrnoException).code === 'EACCES' && !runAs) {
        // A non-root launcher without the default cache dir: keep the cache in the runtime dir (slower pod starts).
        logger.warn({ reason: 'CacheDirUnavailable', cacheDir: layout.cacheDir }, 'cannot use the cache dir; QEMU capabilities will be probed on every start');
        layout = runtimeLayout(layout.root, join(layout.root, 'cache'));
        await prepareRuntimeDir(layout, runAs);
      } else throw e;
    }
    const facts = report.volumes.flatMap((v) => (v.facts ? [v.facts] : []));
    return await runWithStack({ plan, layout, logger, signals, spec, xml: report.xml, timings, ms, t0, rawVmi: report.raw, seed: report.seed, facts });
  } finally {
    signals.uninstall();
  }
}

interface RunContext {
  plan: Plan;
  layout: RuntimeLayout;
  logger: Logger;
  signals: ShutdownSignals;
  spec: NonNullable<Awaited<ReturnType<typeof preflight>>['spec']>;
  xml: string;
  timings: Record<string, number>;
  ms: () => number;
  t0: number;
  rawVmi: unknown;
  seed?: SeedPlan;
  /** Every volume's facts: the disks run creates (emptyDisk, ephemeral overlays) are among them. */
  facts: VolumeFacts[];
}

async function runWithStack(c: RunContext): Promise<ExitCode> {
  const { layout, logger, signals, spec, timings, ms } = c;
  const lifecycle = new Lifecycle(logger, { namespace: spec.namespace, name: spec.name, uid: spec.uid });
  lifecycle.statusPath = layout.statusFile;
  const stack = new PrivateStack({ layout, runAs: c.plan.runAs.value, logger, signal: signals.abort.signal });
  const hooks = new HookRunner(c.plan, { runtimeDir: layout.root, vmiJsonPath: layout.vmiJson, signal: signals.abort.signal }, spec, logger);
  const consoleLog = withComponent(logger, 'guest-console');
  const tail = new ConsoleTail(layout.consoleLog, (line) => consoleLog.info(line), c.plan.consoleLogCopy?.value);
  let client: LibvirtClient | undefined;
  let domain: LibvirtDomain | undefined;
  let qemuPid: number | undefined;
  let passtPids: number[] = [];
  let outcome: Outcome | undefined;
  const created: CreatedDisks = [];
  const grace = c.plan.gracePeriodSeconds.value;

  const makeSeed = async (seed: SeedPlan) => {
    const built = await buildSeed(seed, c.plan.runAs.value, c.plan.cloudInit.seedTimeoutMs);
    timings.seedMs = built.ms;
    logger.info({ reason: 'CloudInitSeedBuilt', volume: seed.volume, path: built.path, bytes: built.bytes, ms: built.ms, instanceId: seed.instanceId }, describeSeed(seed));
  };

  try {
    await writeFile(layout.vmiJson, JSON.stringify(c.rawVmi ?? {}, null, 2) + '\n', { mode: 0o644 });
    await lifecycle.to('StartingStack', 'StartingStack', 'starting the private libvirt stack');
    // The seed is built and the created disks are made while the stack comes up. All are awaited before any failure
    // is thrown, so nothing still starting outlives the cleanup below.
    const started = await Promise.allSettled([
      stack.start(), c.seed && makeSeed(c.seed), createDisks(c.facts, c.plan.ephemeralDir.value, c.plan.runAs.value, created),
    ]);
    for (const r of started) if (r.status === 'rejected') throw r.reason;
    client = await LibvirtClient.open(layout.busAddress);
    timings.stackReadyMs = ms();
    await lifecycle.to('Defining', 'StackReady', `libvirt stack ready in ${timings.stackReadyMs - timings.preflightMs!} ms`);
    const xml = await hooks.onDefineDomain(c.xml);
    // The XML as defined (after hooks), for people and preStart hooks to read.
    await writeFile(layout.domainXml, xml, { mode: 0o644 });
    if (signals.requested) fail('Aborted', 'start-up aborted before define');
    domain = await client.defineXml(xml);
    timings.defineMs = ms();
    await hooks.preStart();
    if (signals.requested) fail('Aborted', 'start-up aborted before the guest started');
    await lifecycle.to('Starting', 'Defined', `domain ${domainName(spec)} defined in ${timings.defineMs - timings.stackReadyMs} ms (first call includes libvirt's QEMU capabilities probe unless cached)`);
    tail.start();
    await domain.create();
    timings.createMs = ms();
    qemuPid = await readQemuPid(layout.qemuPidDir, domainName(spec));
    passtPids = await readPasstPids(layout.qemuPidDir);
    await lifecycle.to('Running', 'Started', 'the guest is running');
    logger.info({ reason: 'StartupTimings', ...timings, qemuPid }, `guest started ${timings.createMs} ms after launch`);
    void tail.firstByte.then((at) => logger.info({ reason: 'FirstConsoleOutput', firstConsoleByteMs: Math.round(at - c.t0) }, 'first output on the guest console'));
    outcome = await supervise({
      client, domain, signals, lifecycle, logger, gracePeriodSeconds: grace, daemonDied: stack.unexpectedExit, qemuPid,
    });
  } catch (e) {
    outcome = failureOutcome(e, lifecycle.phase === 'Running' || lifecycle.phase === 'Starting');
  } finally {
    await tail.stop();
    if (outcome && !outcome.guestOff) await ensureQemuGone(qemuPid ?? (await readQemuPid(layout.qemuPidDir, domainName(spec))));
    client?.close();
    if (passtPids.length === 0) passtPids = await readPasstPids(layout.qemuPidDir);
    await stack.stop(outcome?.guestOff ?? false);
    if (await ensureQemuGone(qemuPid)) logger.warn({ reason: 'QemuKilled', qemuPid }, 'QEMU outlived its libvirtd and was killed');
    const strays = await ensurePasstGone(passtPids);
    if (strays.length) logger.warn({ reason: 'PasstKilled', passtPids: strays }, 'passt outlived its libvirtd and was stopped');
    await removeCreatedDisks(created);
  }
  const final = outcome!;
  if (final.exitCode === ExitCode.Failed) await logDiagnostics(logger, stack, layout, domainName(spec));
  if (final.exitCode === ExitCode.Aborted) await lifecycle.to('Aborted', final.reason, final.message);
  else await lifecycle.to(final.exitCode === ExitCode.Clean ? 'Stopped' : 'Failed', final.reason, final.message);
  await hooks.postStop({ reason: final.stop, exitCode: final.exitCode });
  await removeRuntimeDir(layout.root);
  logger[final.exitCode === ExitCode.Clean ? 'info' : 'error']({ reason: final.reason, exitCode: final.exitCode, totalMs: ms() }, `vm-launcher exits ${final.exitCode}: ${final.message}`);
  return final.exitCode;
}

/** How a start-up failure ends the launcher: decided by the error's reason code alone. */
function failureOutcome(e: unknown, started: boolean): Outcome {
  if (e instanceof LauncherError) {
    if (exitCodeFor(e.reason) === ExitCode.Aborted && !started) {
      return { exitCode: ExitCode.Aborted, reason: 'Aborted', message: `${e.message}: nothing is left running`, stop: 'failed', guestOff: true };
    }
    return { exitCode: ExitCode.Failed, reason: e.reason, message: `${e.message}${e.problem.fix ? ` (fix: ${e.problem.fix})` : ''}`, stop: 'failed', guestOff: false };
  }
  const err = e as Error & { type?: string; text?: string };
  const reason = started ? 'StartFailed' : 'DefineFailed';
  return { exitCode: ExitCode.Failed, reason, message: `libvirt: ${err.text ?? err.message}`, stop: 'failed', guestOff: false };
}


/** On a failure, what the daemons and QEMU said last: the runtime dir and its logs are about to go. */
async function logDiagnostics(logger: Logger, stack: PrivateStack, layout: RuntimeLayout, name: string): Promise<void> {
  for (const d of stack.daemons) {
    if (d.recent.length) withComponent(logger, d.name).warn({ reason: 'DaemonLogTail', lines: d.recent }, `last ${d.recent.length} lines of ${d.name}`);
  }
  const logs = [
    { component: 'qemu', reason: 'QemuLogTail', file: join(layout.cacheDir, 'libvirt', 'qemu', 'log', `${name}.log`) },
    { component: 'passt', reason: 'PasstLogTail', file: layout.passtLog },
  ] as const;
  for (const { component, reason, file } of logs) {
    try {
      const lines = (await readFile(file, 'utf8')).trimEnd().split('\n').slice(-20);
      withComponent(logger, component).warn({ reason, file, lines }, `last ${lines.length} lines of ${component}'s log`);
    } catch { /* it never started (or the VM has no NIC) */ }
  }
}
