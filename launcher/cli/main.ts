// Entry point: arguments, logger, command dispatch, exit code. Bad input never ends in a stack trace: it is a
// reason code and a fix on one line, and the exit code comes from the reason's catalogue entry.
// First import: every signal's meaning is installed before any other module loads. The bin is cli/bin.ts.
import { defaultShutdownSignals } from '../common/signal-policy.js';
import { readFile } from 'node:fs/promises';
import { fail, LauncherError } from '../../domain/problem.js';
import { ExitCode, exitCodeFor } from '../../domain/reasons.js';
import { createLogger } from '../common/log.js';
import { runtimeDirFrom } from '../plan/resolve-plan.js';
import { probe } from './probe.js';
import { checkCommand, domainCommand, prepare } from './commands.js';
import { logSettings } from './log-settings.js';
import { logProblems } from '../common/log-problems.js';
import { graceProblems, POD_GRACE_ENV } from '../../domain/pod/index.js';
import { parseCliArgs, USAGE } from './options.js';

async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const args = parseCliArgs(argv);
  // Only `run` turns SIGTERM into a guest shutdown; the other commands die by it as usual.
  if (args.command !== 'run') defaultShutdownSignals();
  const log = logSettings(args.flags, env);
  switch (args.command) {
    case 'help':
      process.stdout.write(USAGE);
      return ExitCode.Clean;
    case 'version': {
      // package.json sits beside dist/: one level up from the bundle, three from dist/launcher/cli/main.js.
      const text = await readFile(new URL('../package.json', import.meta.url), 'utf8')
        .catch(() => readFile(new URL('../../../package.json', import.meta.url), 'utf8'));
      const pkg = JSON.parse(text) as { version: string };
      process.stdout.write(`vm-launcher ${pkg.version}\n`);
      return ExitCode.Clean;
    }
    case 'probe': {
      const r = await probe(args.probe!, runtimeDirFrom(args.flags, env).value);
      (r.ok ? process.stdout : process.stderr).write(`${r.message}\n`);
      return r.ok ? 0 : 1;
    }
    case 'status': {
      const { statusCommand } = await import('./status.js');
      return statusCommand(runtimeDirFrom(args.flags, env).value, args.json);
    }
    case 'console': {
      const runtimeDir = runtimeDirFrom(args.flags, env).value;
      if (args.log) return (await import('./console-log.js')).printConsoleLog(runtimeDir, args.follow);
      if (args.follow) fail('UsageInvalid', '--follow goes with console --log');
      return (await import('./console.js')).attachConsole(runtimeDir);
    }
    case 'check':
      return checkCommand(args, env);
    case 'pod': {
      const { podCommand } = await import('./pod.js');
      return podCommand(args);
    }
    case 'domain':
      return domainCommand(args, env, log);
    case 'run': {
      const logger = createLogger(log);
      const prepared = await prepare(args, env);
      logProblems(logger, graceProblems(prepared.plan.gracePeriodSeconds.value, { podGrace: env[POD_GRACE_ENV], container: env['container'] }));
      // Loaded only here: check, domain and probe start faster without the stack's modules.
      const { runVm } = await import('../run/run.js');
      // The guest's serial output goes to the console file (`console --log`); into the log as well only when asked,
      // or when a person watches the terminal (the demo): in a pod, the launcher's own events stay readable.
      const guestConsoleInLog = log.guestConsole === 'yes' || (log.guestConsole === 'auto' && process.stdout.isTTY === true);
      return runVm(prepared.plan, prepared.manifest, logger, { guestConsoleInLog });
    }
  }
}

main(process.argv.slice(2), process.env).then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof LauncherError && e.reason === 'UsageInvalid') {
      process.stderr.write(`vm-launcher: ${e.message}\n\n${USAGE}`);
      process.exit(exitCodeFor(e.reason));
    }
    const err = e as Error;
    const reason = e instanceof LauncherError ? e.reason : 'InternalError';
    const fix = e instanceof LauncherError ? e.problem.fix : undefined;
    process.stderr.write(`${JSON.stringify({ level: 'fatal', timestamp: new Date().toISOString(), component: 'vm-launcher', reason, msg: err.message, ...(fix !== undefined && { fix }), ...(reason === 'InternalError' && { stack: err.stack }) })}\n`);
    process.exit(e instanceof LauncherError ? exitCodeFor(e.reason) : ExitCode.Internal);
  },
);
