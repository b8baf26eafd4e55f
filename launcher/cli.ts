#!/usr/bin/env -S node --lite-mode --max-semi-space-size=1 --no-expose-wasm
// (V8 flags: the launcher is a supervisor, not a hot path; lite mode keeps its RSS near 58 MiB instead of 76.)
// Entry point: options, logger, command dispatch, exit code. Bad input never ends in a
// stack trace: it is a reason code and a fix on one log line.
import { readFile } from 'node:fs/promises';
import { checkCommand, domainCommand } from './check-command.js';
import { ExitCode } from './exit-codes.js';
import { createLogger } from './log.js';
import { parseOptions, USAGE, type Options } from './options.js';
import { probe } from './probe.js';

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
      return checkCommand(opts);
    case 'domain':
      return domainCommand(opts);
    case 'run': {
      // Loaded only here: check, domain and probe start faster without the stack's modules.
      const { runVm } = await import('./run.js');
      return runVm(opts, createLogger({ level: opts.logLevel, format: opts.logFormat }));
    }
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    const err = e as Error;
    process.stderr.write(`${JSON.stringify({ level: 'fatal', timestamp: new Date().toISOString(), component: 'vm-launcher', reason: 'InternalError', msg: err.message, stack: err.stack })}\n`);
    process.exit(ExitCode.Internal);
  },
);
