// launcher/run/: the run, from preflight to exit: the lifecycle state machine, signals, supervision, the console,
// hooks around define/start/stop. This file: `vm-launcher run`: preflight, the private stack, define, start,
// supervise, clean up. Whatever happens, nothing of the stack outlives the launcher and the runtime dir is removed.
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fail, LauncherError, problem } from '../../domain/problem.js';
import { logProblems } from '../common/log-problems.js';
import { domainName, describeSeed, type SeedPlan } from '../../domain/convert/index.js';
import { ConsoleBroker } from './console-broker.js';
import { ExitCode, exitCodeFor, type Reason } from '../../domain/reasons.js';
import { HookRunner } from './hook-runner.js';
import { checkHost } from '../inspect/host-check.js';
import { LibvirtClient, type LibvirtDomain } from '../stack/libvirt-client.js';
import { Lifecycle } from './lifecycle.js';
import { withBindings, withComponent, type Logger } from '../common/log.js';
import type { Plan } from '../plan/plan.js';
import type { ManifestResult } from '../inspect/read-manifest.js';
import { allProblems, preflight } from '../inspect/preflight.js';
import { ensureQemuGone, readQemu, type QemuRef } from './qemu-process.js';
import { RuntimeDir } from '../stack/runtime-dir.js';
import { stopDeadLaunchersStack } from '../stack/leftovers.js';
import { processRunning } from '../common/proc.js';
import { readTrusted, writeFileSafely } from '../common/safe-files.js';
import { disksNotHeld } from './disk-identity.js';
import type { DiskIdentity } from '../inspect/inspect-volume.js';
import { vmUid, type RunAs } from '../common/run-as.js';
import { spaceCheckFor } from './io-pause.js';
import { recordBootedRaw } from './record-raw.js';
import { applyVolumeChanges } from './volume-changes.js';
import { buildSeed } from './cloud-init-seed.js';
import { ensurePasstGone, passtRefs, readPasstPids, type PasstRef } from './passt-process.js';
import { raiseOpenFileLimit } from './open-files.js';
import { describeNetwork } from '../inspect/inspect-network.js';
import { dirname } from 'node:path';
import { ShutdownSignals } from './signals.js';
import { signalsDecidedAtMs } from '../common/signal-policy.js';
import { PrivateStack } from '../stack/private-stack.js';
import type { RuntimeLayout } from '../plan/runtime-layout.js';
import { supervise, type Outcome } from './supervise.js';
import { createDisks, removeCreatedDisks, type CreatedDisks } from './created-disks.js';
import { startVirtiofsd, stopVirtiofsd, type VirtiofsdProcess } from './virtiofsd-process.js';
import type { ShareInspection, Virtiofsd } from '../inspect/inspect-shares.js';
import type { VolumeFacts } from '../../domain/model/index.js';
import { GuestAgentMonitor } from './guest-agent.js';
import type { AgentCredentials } from '../../domain/guest/index.js';
import { ProbeLoop } from './probe-loop.js';
import { staticStatus } from './status-parts.js';


export interface RunOptions {
  /** The guest's serial lines also in the launcher's log (component guest-console); they are always in the console file. */
  guestConsoleInLog: boolean;
}

export async function runVm(plan: Plan, manifest: ManifestResult, baseLogger: Logger, opts: RunOptions): Promise<ExitCode> {
  const signals = new ShutdownSignals(baseLogger);
  signals.install();
  try {
    return await runVmWith(plan, manifest, baseLogger, signals, opts);
  } finally {
    signals.uninstall();
  }
}

async function runVmWith(plan: Plan, manifest: ManifestResult, baseLogger: Logger, signals: ShutdownSignals, opts: RunOptions): Promise<ExitCode> {
  const t0 = performance.now();
  const ms = () => Math.round(performance.now() - t0);
  // performance.now() counts from the process's start: node itself plus loading the modules.
  const timings: Record<string, number> = { signalsDecidedMs: signalsDecidedAtMs, nodeStartMs: Math.round(t0) };
  let logger = baseLogger;
  if (process.pid === 1) logger.warn({ reason: 'RunningAsInit' }, 'vm-launcher is PID 1: orphaned processes will not be reaped; run it under tini (the container image does)');
  const runAs = plan.runAs.value;
  const accel = plan.accel.value;
  // A launcher killed on this runtime dir left its QEMU holding the disks: stop what it provably started first.
  await stopDeadLaunchersStack(plan.runtime.layout, vmUid(runAs), logger);
  const [hostProblems, first] = await Promise.all([checkHost(runAs), preflight(plan, manifest, { signal: signals.abort.signal })]);
  let report = first;
  timings.preflightMs = ms();
  // A signal stopped preflight's children: its report is incomplete, and nothing was started.
  if (signals.requested) {
    logger.info({ reason: 'Aborted', exitCode: ExitCode.Aborted }, 'stopped during preflight: nothing was started and no image was changed');
    return ExitCode.Aborted;
  }
  const spec = report.spec;
  if (spec) signals.logger = logger = withBindings(baseLogger, { namespace: spec.namespace, name: spec.name, uid: spec.uid, kind: 'VirtualMachineInstance' });
  const problems = [...hostProblems, ...allProblems(report)];
  logProblems(logger, problems);
  if (!report.ok || hostProblems.length > 0 || !spec || !report.xml) {
    return endEarly(logger, 'PreflightFailed', `refusing to start: ${problems.filter((p) => p.severity === 'error').length} problem(s) above; nothing was started and no image was changed`);
  }
  if (plan.accel.choice.value === 'auto' && accel === 'qemu') logger.warn({ reason: 'NoKvm' }, plan.accel.why);
  logger.info({ reason: 'PreflightPassed', accel, durationMs: Math.round(report.durationMs), volumes: report.volumes.map((v) => `${v.disk.volumeName}:${v.facts?.kind}`) }, 'preflight passed');
  logger.info({ reason: 'NetworkPlanned', network: report.network ? describeNetwork(report.network) : 'none' },
    report.network ? describeNetwork(report.network)[0]! : 'no network interface in the VMI: the guest gets no NIC');
  if (report.network?.openFiles?.raise) {
    const raised = await raiseOpenFileLimit(report.network.openFiles);
    if (!raised.ok) {
      logProblems(logger, [problem('OpenFileLimitTooLow', raised.message, { field: `${report.network.iface.field}.ports` })]);
      return endEarly(logger, 'PreflightFailed', 'refusing to start: nothing was started and no image was changed');
    }
    logger.info({ reason: 'OpenFileLimitRaised' }, raised.message);
  }
  if (signals.requested) {
    return endEarly(logger, 'Aborted', 'stopped before anything started');
  }
  // Create missing images, grow others (opt-in), then look again: the guest starts from the images as they are.
  try {
    report = await applyVolumeChanges(plan, manifest, report, logger, signals.abort.signal);
  } catch (e) {
    if (!(e instanceof LauncherError) || e.reason !== 'Aborted') throw e;
    return endEarly(logger, 'Aborted', `${e.message}; the partial image was removed, nothing was started`);
  }
  if (!report.ok || !report.xml) {
    logProblems(logger, allProblems(report));
    return endEarly(logger, 'PreflightFailed', 'refusing to start: the images run created or grew did not pass preflight');
  }

  let rd: RuntimeDir;
  try {
    rd = await RuntimeDir.claim(plan.runtime.layout, runAs, logger);
  } catch (e) {
    const p = e instanceof LauncherError ? e.problem
      : problem('RuntimeDirUnusable', `cannot prepare the runtime dir ${plan.runtime.layout.root}: ${(e as Error).message}`);
    logProblems(logger, [p]);
    return exitCodeFor(p.reason);
  }
  const identities = report.volumes.flatMap((v) => (v.identity ? [v.identity] : []));
  const volumeDirs = report.volumes.flatMap((v) => (v.facts && v.facts.kind !== 'block' ? [{ volume: v.disk.volumeName, dir: dirname(v.facts.path) }] : []));
  return runWithStack({ opts, plan, rd, layout: rd.layout, logger, signals, spec, xml: report.xml, timings, ms, t0, rawVmi: report.raw, identities, volumeDirs, seed: report.seed, ...(report.agentCredentials && { agentCredentials: report.agentCredentials }), facts: report.volumes.flatMap((v) => (v.facts ? [v.facts] : [])), shares: report.shares, virtiofsd: report.virtiofsd });
}

interface RunContext {
  opts: RunOptions;
  plan: Plan;
  rd: RuntimeDir;
  layout: RuntimeLayout;
  logger: Logger;
  signals: ShutdownSignals;
  spec: NonNullable<Awaited<ReturnType<typeof preflight>>['spec']>;
  xml: string;
  timings: Record<string, number>;
  ms: () => number;
  t0: number;
  rawVmi: unknown;
  /** The inodes preflight inspected: QEMU must hold exactly these. */
  identities: DiskIdentity[];
  /** Filesystem volumes: where a guest paused on a full volume waits for room. */
  volumeDirs: Array<{ volume: string; dir: string }>;
  seed?: SeedPlan;
  /** accessCredentials the guest agent gets once it connects. */
  agentCredentials?: AgentCredentials;
  /** Every volume's facts: the disks run creates (emptyDisk, ephemeral overlays) are among them. */
  facts: VolumeFacts[];
  /** Volumes shared through virtiofs, and the virtiofsd preflight found. */
  shares: ShareInspection[];
  virtiofsd?: Virtiofsd;
}

/** A write to the runtime dir's top level (safe-files); a full or read-only filesystem is a reason, not a crash. */
async function writeRuntimeFile(path: string, data: string): Promise<void> {
  try {
    await writeFileSafely(path, data, { mode: 0o644 });
  } catch (e) {
    fail('RuntimeDirWriteFailed', `cannot write ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

async function runWithStack(c: RunContext): Promise<ExitCode> {
  const { layout, logger, signals, spec, timings, ms, rd } = c;
  const vmUser = vmUid(c.plan.runAs.value);
  const lifecycle = new Lifecycle(logger, { namespace: spec.namespace, name: spec.name, uid: spec.uid });
  lifecycle.statusPath = layout.statusFile;
  // The processes `vm-launcher status` lists with their memory.
  const processes: Record<string, number> = { 'vm-launcher': process.pid };
  const track = (name: string, pid: number | undefined, group: boolean) => {
    if (pid !== undefined) { processes[name] = pid; void lifecycle.update({ processes: { ...processes } }); }
    return rd.recordProcess(name, pid, group);
  };
  const stack = new PrivateStack({
    layout, runAs: c.plan.runAs.value, logger, signal: signals.abort.signal, logFiles: rd.logFiles,
    onSpawn: (name, pid) => void track(name, pid, true),
  });
  const hooks = new HookRunner(c.plan, { runtimeDir: layout.root, vmiJsonPath: layout.vmiJson, signal: signals.abort.signal }, spec, logger);
  const consoleLog = withComponent(logger, 'guest-console');
  const consoleEvents = withComponent(logger, 'console');
  const serial = new ConsoleBroker({
    serialSocket: layout.serialSocket, vmUid: vmUser, clientSocket: layout.consoleSocket, consoleFile: layout.consoleLog,
    ...(c.plan.consoleLogCopy && { copyTo: c.plan.consoleLogCopy.value }),
    ...(c.opts.guestConsoleInLog && { onLine: (line: string) => consoleLog.info(line) }),
    onProblem: (message) => consoleEvents.warn({ reason: 'ConsoleUnreadable' }, message),
    onEvent: (message, fields) => consoleEvents.info(fields, message),
    vmiName: `${spec.namespace}/${spec.name}`,
  });
  let client: LibvirtClient | undefined;
  let domain: LibvirtDomain | undefined;
  let qemu: QemuRef | undefined;
  // Recorded with their start times as soon as QEMU runs: the teardown signals only those very processes.
  let passt: PasstRef[] = [];
  let outcome: Outcome | undefined;
  /** ms each teardown step took, from the moment the run's end was decided: the exit log line carries them. */
  const stopTimings: Record<string, number> = {};
  let agent: GuestAgentMonitor | undefined;
  let probes: ProbeLoop | undefined;
  const created: CreatedDisks = [];
  const sharing: VirtiofsdProcess[] = [];
  // The name libvirt knows the domain by: an onDefineDomain hook may have changed it.
  let definedName = domainName(spec);
  const grace = c.plan.gracePeriodSeconds.value;
  // Once the guest ran, its file-backed disks are recorded as raw: now, and again at exit (a full volume refuses the
  // first try).
  const readonlyVolumes = new Set(spec.disks.filter((d) => d.readonly || d.device === 'cdrom').map((d) => d.volumeName));
  let ran = false;
  const recordRaw = () => { ran = true; return recordBootedRaw(c.identities, readonlyVolumes, c.plan.runAs.value, logger); };

  const makeSeed = async (seed: SeedPlan) => {
    const built = await buildSeed(seed, c.rd.seedStaging, c.plan.runAs.value, c.plan.cloudInit.seedTimeoutMs, signals.abort.signal);
    timings.seedMs = built.ms;
    logger.info({ reason: 'CloudInitSeedBuilt', volume: seed.volume, path: built.path, bytes: built.bytes, ms: built.ms, instanceId: seed.instanceId }, describeSeed(seed));
  };

  try {
    await writeRuntimeFile(layout.vmiJson, JSON.stringify(c.rawVmi ?? {}, null, 2) + '\n');
    await lifecycle.update(staticStatus(spec, c.facts));
    await lifecycle.to('StartingStack', 'StartingStack', 'starting the private libvirt stack');
    // The seed is built while the stack comes up. Both are awaited before any failure is thrown, so a stack still
    // starting never outlives the cleanup below.
    // The created disks (emptyDisk, ephemeral overlays) are made while the stack comes up, like the seed.
    const started = await Promise.allSettled([
      stack.start(), c.seed && makeSeed(c.seed), createDisks(c.facts, c.plan.ephemeralDir.value, c.plan.runAs.value, created, signals.abort.signal),
      startVirtiofsd(c.shares, c.virtiofsd, c.plan.runAs.value, logger, signals.abort.signal, sharing, (volume, pid) => void track(`virtiofsd-${volume}`, pid, true)),
    ]);
    for (const r of started) if (r.status === 'rejected') throw r.reason;
    client = await LibvirtClient.open(layout.busAddress);
    timings.stackReadyMs = ms();
    await lifecycle.to('Defining', 'StackReady', `libvirt stack ready in ${timings.stackReadyMs - timings.preflightMs!} ms`);
    const xml = await hooks.onDefineDomain(c.xml);
    // The XML as defined (after hooks), for people and preStart hooks to read.
    await writeRuntimeFile(layout.domainXml, xml);
    if (signals.requested) fail('Aborted', 'start-up aborted before define');
    domain = await client.defineXml(xml);
    definedName = await domain.name().catch(() => definedName);
    // Subscribed before the guest starts: the agent's first connect is never missed.
    agent = new GuestAgentMonitor({ domain, target: { layout, runAs: c.plan.runAs.value, domainName: definedName }, lifecycle, logger, ...(c.agentCredentials && { credentials: c.agentCredentials }) });
    agent.start();
    timings.defineMs = ms();
    await hooks.preStart();
    if (signals.requested) fail('Aborted', 'start-up aborted before the guest started');
    await lifecycle.to('Starting', 'Defined', `domain ${definedName} defined in ${timings.defineMs - timings.stackReadyMs} ms (first call includes libvirt's QEMU capabilities probe unless cached)`);
    // Paused: QEMU opens the disks, no vCPU runs until the launcher has checked they are the ones preflight saw
    // (and until the launcher holds the serial console: not a byte the guest writes is lost).
    await domain.create({ paused: true });
    timings.qemuStartedMs = ms();
    const qemuRan = (await readQemu(layout.qemuPidDir, definedName, vmUser))
      ?? fail('StartFailed', `QEMU of domain ${definedName} started, but its pid file does not name a QEMU run by uid ${vmUser}`);
    qemu = qemuRan;
    void track('qemu', qemuRan.pid, false);
    passt = await passtRefs(await readPasstPids(layout.qemuPidDir, vmUser), vmUser);
    passt.forEach(({ pid }, i) => { processes[i === 0 ? 'passt' : `passt-${i}`] = pid; });
    if (passt.length > 0) void lifecycle.update({ processes: { ...processes } });
    await checkDisksHeld(qemuRan.pid, c.identities, c.plan.runAs.value);
    timings.disksCheckedMs = ms();
    await startConsole(serial, spec.hardware?.serialConsole !== false, consoleEvents);
    timings.consoleHeldMs = ms();
    await domain.resume();
    timings.createMs = ms();
    await lifecycle.to('Running', 'Started', 'the guest is running');
    for (const p of sharing) {
      void p.exited.then(async (e) => {
        // virtiofsd ends by itself when QEMU disconnects (the guest powered off): only an exit while QEMU runs is loud.
        if (e.expected || !(await stillRunning(qemuRan.pid, 2000))) return;
        logger.error({ reason: 'VirtiofsdExited', volume: e.volume, code: e.code, signal: e.signal, lastLines: e.lastLines },
          `virtiofsd for volume ${e.volume} stopped while the guest runs (code ${e.code}, signal ${e.signal}): the guest's share ${e.volume} no longer answers; its files are safe on the volume`);
      });
    }
    void recordRaw();
    logger.info({ reason: 'StartupTimings', ...timings, qemuPid: qemuRan.pid }, `guest started ${timings.createMs} ms after launch`);
    await lifecycle.update({ timings: { ...timings } });
    if (spec.probes) {
      probes = new ProbeLoop({ probes: spec.probes, agent, lifecycle, logger });
      probes.start();
    }
    void serial.firstByte.then((at) => logger.info({ reason: 'FirstConsoleOutput', firstConsoleByteMs: Math.round(at - c.t0) }, 'first output on the guest console'));
    outcome = await supervise({
      client, domain, signals, lifecycle, logger, gracePeriodSeconds: grace, daemonDied: stack.unexpectedExit, qemu: qemuRan,
      spaceCheck: spaceCheckFor(c.volumeDirs), agent,
    });
  } catch (e) {
    outcome = failureOutcome(e, lifecycle.phase === 'Running' || lifecycle.phase === 'Starting');
  } finally {
    const mark = stopClock(stopTimings);
    probes?.stop();
    agent?.stop();
    await serial.stop();
    mark('console');
    if (outcome && !outcome.guestOff) await ensureQemuGone(qemu ?? (await readQemu(layout.qemuPidDir, definedName, vmUser)));
    if (passt.length === 0) passt = await passtRefs(await readPasstPids(layout.qemuPidDir, vmUser), vmUser);
    client?.close();
    mark('qemu');
    await stack.stop(outcome?.guestOff ?? false);
    mark('stack');
    if (await ensureQemuGone(qemu)) logger.warn({ reason: 'QemuKilled', qemuPid: qemu?.pid }, 'QEMU outlived its libvirtd and was killed');
    const strays = await ensurePasstGone(passt, vmUser);
    if (strays.length) logger.warn({ reason: 'PasstKilled', passtPids: strays }, 'passt outlived its libvirtd and was stopped');
    const killedShares = await stopVirtiofsd(sharing);
    if (killedShares.length) logger.warn({ reason: 'VirtiofsdKilled', volumes: killedShares }, `virtiofsd for ${killedShares.join(', ')} did not stop on SIGTERM and was killed`);
    await removeCreatedDisks(created, c.plan.ephemeralDir.value, c.plan.runAs.value);
    mark('helpers');
  }
  const final = outcome!;
  const mark = stopClock(stopTimings);
  if (final.exitCode === ExitCode.Failed) await logDiagnostics(logger, stack, layout, definedName, vmUser);
  if (final.exitCode === ExitCode.Aborted) await lifecycle.to('Aborted', final.reason, final.message);
  else await lifecycle.to(final.exitCode === ExitCode.Clean ? 'Stopped' : 'Failed', final.reason, final.message);
  mark('status');
  if (ran) await recordRaw();
  mark('rawRecord');
  await hooks.postStop({ reason: final.stop, exitCode: final.exitCode });
  mark('postStop');
  await rd.release(logger);
  mark('runtimeDir');
  logger[final.exitCode === ExitCode.Clean ? 'info' : 'error']({ reason: final.reason, exitCode: final.exitCode, totalMs: ms(), stopMs: stopTimings }, `vm-launcher exits ${final.exitCode}: ${final.message}`);
  return final.exitCode;
}

/** Records, under each name, the ms since the previous mark (the first since the clock was made). */
function stopClock(into: Record<string, number>): (step: string) => void {
  let last = performance.now();
  return (step) => { const now = performance.now(); into[step] = Math.round(now - last); last = now; };
}

/** The console: QEMU's serial socket held by the launcher, its own socket open for `vm-launcher console`. */
async function startConsole(serial: ConsoleBroker, hasSerial: boolean, logger: Logger): Promise<void> {
  if (!hasSerial) return;
  try {
    await serial.connectSerial();
  } catch (e) {
    // The guest still runs; only its console is lost. Never a reason to stop it.
    logger.warn({ reason: 'ConsoleUnreadable' }, `not holding the guest's serial console: ${(e as Error).message}`);
    return;
  }
  await serial.listen().catch((e: Error) => logger.warn({ reason: 'ConsoleUnreadable' }, `vm-launcher console cannot attach: ${e.message}`));
}

/** Whether `pid` still runs after `ms` (false as soon as it is gone). */
async function stillRunning(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!processRunning(pid)) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return processRunning(pid);
}

/**
 * Fails (DiskImageChanged) when QEMU does not hold the files preflight inspected; the guest has not run yet. When
 * QEMU's open files cannot be listed, the guest does not run either (DiskIdentityUnchecked): never unchecked.
 */
async function checkDisksHeld(qemuPid: number, identities: DiskIdentity[], runAs: RunAs | undefined): Promise<void> {
  if (identities.length === 0) return;
  let missing: DiskIdentity[];
  try {
    missing = await disksNotHeld(qemuPid, identities, runAs);
  } catch (e) {
    fail('DiskIdentityUnchecked', `cannot list the files QEMU (pid ${qemuPid}) holds open, so its disks cannot be compared with what preflight inspected (${(e as Error).message}); the guest never ran`);
  }
  if (missing!.length > 0) {
    fail('DiskImageChanged', `QEMU opened something else than the ${missing!.map((d) => `${d.path} (volume ${d.volume})`).join(', ')} preflight inspected: it was replaced after preflight (a link to another file?); the guest never ran`);
  }
}

/** An end of the run by its reason: the exit code is the catalogue's (domain/reasons.ts). */
const endedBy = (reason: Reason, message: string, guestOff: boolean): Outcome => ({ exitCode: exitCodeFor(reason), reason, message, stop: 'failed', guestOff });

/** How a start-up failure ends the launcher: decided by the error's reason code alone. */
function failureOutcome(e: unknown, started: boolean): Outcome {
  if (e instanceof LauncherError) {
    if (e.reason === 'Aborted' && !started) return endedBy('Aborted', `${e.message}: nothing is left running`, true);
    return endedBy(e.reason === 'Aborted' ? 'StartFailed' : e.reason, `${e.message}${e.problem.fix ? ` (fix: ${e.problem.fix})` : ''}`, false);
  }
  const err = e as Error & { type?: string; text?: string };
  return endedBy(started ? 'StartFailed' : 'DefineFailed', `libvirt: ${err.text ?? err.message}`, false);
}

/** Ends the run before anything started: logged with its reason, the exit code the catalogue gives it. */
function endEarly(logger: Logger, reason: Extract<Reason, 'PreflightFailed' | 'Aborted'>, message: string): ExitCode {
  const exitCode = exitCodeFor(reason);
  logger[reason === 'Aborted' ? 'info' : 'error']({ reason, exitCode }, message);
  return exitCode;
}

/** On a failure, what the daemons and QEMU said last: the runtime dir and its logs are about to go. */
async function logDiagnostics(logger: Logger, stack: PrivateStack, layout: RuntimeLayout, name: string, vmUid: number): Promise<void> {
  for (const d of stack.daemons) {
    if (d.recent.length) withComponent(logger, d.name).warn({ reason: 'DaemonLogTail', lines: d.recent }, `last ${d.recent.length} lines of ${d.name}`);
  }
  // Both files are the VM user's: read without following a link, only when the VM user owns them.
  const logs = [
    { component: 'qemu', reason: 'QemuLogTail', file: join(layout.cacheDir, 'libvirt', 'qemu', 'log', `${name}.log`) },
    { component: 'passt', reason: 'PasstLogTail', file: layout.passtLog },
  ] as const;
  for (const { component, reason, file } of logs) {
    try {
      const lines = (await readTrusted(file, { owners: [vmUid], maxBytes: 4 * 1024 * 1024 })).trimEnd().split('\n').slice(-20);
      withComponent(logger, component).warn({ reason, file, lines }, `last ${lines.length} lines of ${component}'s log`);
    } catch { /* it never started (or the VM has no NIC) */ }
  }
}
