// What each hook point means: onDefineDomain pipes the domain XML through its hooks and checks every step;
// preStart stops the launch at the first failure; postStop runs every hook and only logs failures, because the
// guest is already gone and the launcher's exit code must say how it stopped, not how a hook fared.
import {
  DEFAULT_HOOK_TIMEOUT_MS, DEFAULT_MAX_STDOUT_BYTES, type DefineDomainContext, type HookContext,
} from './context.js';
import { checkDomainXml } from './check-domain-xml.js';
import { runnable, type HookInfo } from './discover.js';
import { hookEnv } from './env.js';
import { HookError, HookReason, errorForResult } from './errors.js';
import type { HookPoint, StopInfo } from './hook-points.js';
import { runHook, type HookResult } from './run-hook.js';

const timeoutOf = (ctx: HookContext): number => ctx.timeoutMs ?? DEFAULT_HOOK_TIMEOUT_MS;

function logSkipped(hooks: readonly HookInfo[], ctx: HookContext): void {
  for (const h of hooks) {
    if (h.skipped === undefined) continue;
    // ConfigMap volumes always hold `..data` links: not worth a warning.
    const log = h.name.startsWith('.') ? ctx.logger.info.bind(ctx.logger) : ctx.logger.warn.bind(ctx.logger);
    log({ hookPoint: h.point, hook: h.name, reason: 'HookSkipped' }, `hook skipped: ${h.skipped}`);
  }
}

async function runOne(hook: HookInfo, point: HookPoint, ctx: HookContext, input?: string, stop?: StopInfo): Promise<HookResult> {
  const fields = { hookPoint: point, hook: hook.name };
  ctx.logger.info(fields, 'hook started');
  const result = await runHook(hook, {
    point,
    env: hookEnv(point, ctx, stop),
    cwd: ctx.runtimeDir,
    ...(input !== undefined ? { input } : {}),
    timeoutMs: timeoutOf(ctx),
    maxStdoutBytes: ctx.maxStdoutBytes ?? DEFAULT_MAX_STDOUT_BYTES,
    ...(ctx.uid !== undefined ? { uid: ctx.uid } : {}),
    ...(ctx.gid !== undefined ? { gid: ctx.gid } : {}),
    onStderr: (line) => ctx.logger.info({ ...fields, stream: 'stderr' }, line),
    ...(ctx.signal !== undefined ? { signal: ctx.signal } : {}),
  });
  const summary = { ...fields, outcome: result.outcome, durationMs: result.durationMs, exitCode: result.exitCode, signal: result.signal };
  if (result.outcome === 'ok') ctx.logger.info(summary, `hook ${result.message}`);
  else ctx.logger.error(summary, `hook ${result.message}`);
  return result;
}

function throwIfCancelled(hook: HookInfo, ctx: HookContext): void {
  if (ctx.signal?.aborted) {
    throw new HookError(hook.name, hook.point, HookReason.Cancelled, 'was not started: the launcher is stopping',
      'nothing to fix: the launcher was asked to stop while hooks ran');
  }
}

/**
 * Pipes `xml` through the onDefineDomain hooks in order and returns the final XML. Every hook's output must be
 * well-formed XML with a <domain> root and pass `ctx.validateXml`; the first that does not throws a HookError,
 * and nothing should then be defined.
 */
export async function runOnDefineDomain(hooks: readonly HookInfo[], xml: string, ctx: DefineDomainContext): Promise<string> {
  logSkipped(hooks, ctx);
  let current = xml;
  for (const hook of runnable(hooks)) {
    throwIfCancelled(hook, ctx);
    const result = await runOne(hook, 'onDefineDomain', ctx, current);
    if (result.outcome !== 'ok') throw errorForResult(result, timeoutOf(ctx));
    current = await checkedOutput(hook, result, ctx);
  }
  return current;
}

async function checkedOutput(hook: HookInfo, result: HookResult, ctx: DefineDomainContext): Promise<string> {
  const where = `onDefineDomain.d/${hook.name}`;
  const out = result.stdout;
  const fail = (reason: HookReason, detail: string, fix: string): never => {
    throw new HookError(hook.name, 'onDefineDomain', reason, detail, fix);
  };
  if (out.trim() === '') {
    fail(HookReason.OutputEmpty, 'printed nothing on stdout',
      `make ${where} print the whole domain XML (the input, changed or not) on stdout`);
  }
  if (result.stdoutInvalidUtf8) {
    fail(HookReason.OutputInvalidXml, 'printed output that is not UTF-8', `make ${where} print UTF-8 XML`);
  }
  const wellFormed = checkDomainXml(out);
  if (!wellFormed.ok) {
    fail(HookReason.OutputInvalidXml, `printed invalid domain XML: ${wellFormed.message}`,
      `make ${where} print one well-formed <domain> document on stdout, and diagnostics on stderr`);
  }
  const schema = await ctx.validateXml(out);
  if (!schema.ok) {
    fail(HookReason.OutputSchemaInvalid, `printed XML that fails libvirt's domain schema: ${schema.message}`,
      `fix ${where}; check its output with: virt-xml-validate FILE domain`);
  }
  return out;
}

/** Runs the preStart hooks in order; the first failure throws a HookError and the launch must stop. */
export async function runPreStart(hooks: readonly HookInfo[], ctx: HookContext): Promise<HookResult[]> {
  logSkipped(hooks, ctx);
  const results: HookResult[] = [];
  for (const hook of runnable(hooks)) {
    throwIfCancelled(hook, ctx);
    const result = await runOne(hook, 'preStart', ctx);
    logStdout(result, ctx);
    results.push(result);
    if (result.outcome !== 'ok') throw errorForResult(result, timeoutOf(ctx));
  }
  return results;
}

/** Runs every postStop hook, whatever the others did. Never throws; failures are logged and returned. */
export async function runPostStop(hooks: readonly HookInfo[], ctx: HookContext, stop: StopInfo): Promise<HookResult[]> {
  const results: HookResult[] = [];
  try { logSkipped(hooks, ctx); } catch { /* a broken logger must not stop the hooks */ }
  for (const hook of runnable(hooks)) {
    if (ctx.signal?.aborted) break; // asked to stop now: the rest is not worth delaying the exit for
    try {
      const result = await runOne(hook, 'postStop', ctx, undefined, stop);
      logStdout(result, ctx);
      if (result.outcome !== 'ok') {
        const e = errorForResult(result, timeoutOf(ctx));
        ctx.logger.error({ hookPoint: 'postStop', hook: hook.name, reason: e.reason, fix: e.problem.fix }, e.message);
      }
      results.push(result);
    } catch (e) {
      // Only the launcher's own trouble lands here (for example a spawn option it cannot honour).
      try {
        ctx.logger.error({ hookPoint: 'postStop', hook: hook.name, reason: HookReason.Failed }, `postStop hook ${hook.name} could not run: ${String(e)}`);
      } catch { /* nothing left to tell */ }
      results.push({
        hook: hook.name, point: 'postStop', outcome: 'failed', message: `could not run: ${String(e)}`,
        stdout: '', stdoutInvalidUtf8: false, stderrTail: [], durationMs: 0,
      });
    }
  }
  return results;
}

const MAX_STDOUT_LOG_LINES = 200;

/** preStart and postStop have no result to return; their stdout is logged, one line per entry. */
function logStdout(result: HookResult, ctx: HookContext): void {
  const lines = result.stdout.split('\n').filter((l) => l.trim() !== '');
  for (const line of lines.slice(0, MAX_STDOUT_LOG_LINES)) {
    ctx.logger.info({ hookPoint: result.point, hook: result.hook, stream: 'stdout' }, line);
  }
}

