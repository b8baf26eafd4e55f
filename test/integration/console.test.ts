// `vm-launcher console` against a real guest (TCG): attach to the running guest's serial console, type a line and
// see the guest's terminal echo it, detach with Ctrl-] while the guest keeps running (the launcher's log still gets
// every line), then refusals with their reason when there is nothing to attach to.
import test from 'ava';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliPath, LauncherRun, vmFixture } from '../../harness/launcher-process.js';
import { bootUnavailable } from '../../harness/requirements.js';

const skip = bootUnavailable();
const boot = skip ? test.skip : test.serial;
if (skip) test('console: real guest tests', (t) => { t.log(`SKIPPED: ${skip}`); t.pass(); });

interface Attached { stdout: string; stderr: string; code: number | null }

/**
 * Runs `console` and collects what it prints. `type`: written once it says it attached, then Ctrl-] after `holdMs`;
 * `piped`: all of stdin at once, then its end; neither: no stdin at all.
 */
function runConsole(runtimeDir: string, input: { type?: string; holdMs?: number; piped?: string } = {}): Promise<Attached> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [cliPath, 'console', '--runtime-dir', runtimeDir], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out = { stdout: '', stderr: '' };
    const timer = setTimeout(() => { p.kill('SIGKILL'); reject(new Error(`console did not end: ${JSON.stringify(out)}`)); }, 30_000);
    let typed = input.type;
    p.stdout.on('data', (d: Buffer) => { out.stdout += d.toString(); });
    p.stderr.on('data', (d: Buffer) => {
      out.stderr += d.toString();
      if (typed !== undefined && out.stderr.includes('attached to the serial console')) {
        p.stdin.write(typed);
        typed = undefined;
        setTimeout(() => p.stdin.write(Buffer.from([0x1d])), input.holdMs ?? 1000);
      }
    });
    p.on('exit', (code) => { clearTimeout(timer); resolve({ ...out, code }); });
    if (input.piped !== undefined) p.stdin.end(input.piped);
    else if (input.type === undefined) p.stdin.end();
  });
}

boot('console: attach to the running guest, its terminal answers, Ctrl-] detaches and the guest keeps running', async (t) => {
  const fx = vmFixture({ mode: 'wait' });
  const run = new LauncherRun(fx.args());
  try {
    await run.waitForConsole('GUEST-WAITING-FOR-POWER-BUTTON', 90_000);
    t.true(existsSync(join(fx.runtimeDir, 'console.sock')), 'QEMU listens on the console socket');
    const first = await runConsole(fx.runtimeDir, { type: 'hello-from-console\n', holdMs: 2000 });
    t.is(first.code, 0, first.stderr);
    t.regex(first.stderr, /attached to the serial console of [a-z0-9-]+\/[a-z0-9-]+; Ctrl-\] detaches/);
    t.regex(first.stderr, /detached; the guest keeps running/);
    t.true(first.stdout.includes('hello-from-console'), `the guest's terminal echoed the line: ${JSON.stringify(first.stdout)}`);
    // The launcher's log follows the same port: the echo is there too.
    await run.waitForConsole('hello-from-console', 10_000);
    // Detached, not stopped: a second attach works, and the guest still shuts down cleanly.
    const second = await runConsole(fx.runtimeDir, { type: 'second-attach\n' });
    t.is(second.code, 0, second.stderr);
    t.true(second.stdout.includes('second-attach'), JSON.stringify(second.stdout));
    // Piped input (`echo x | vm-launcher console`): stdin ends at once, the answer still arrives before it detaches.
    const piped = await runConsole(fx.runtimeDir, { piped: 'piped-line\n' });
    t.is(piped.code, 0, piped.stderr);
    t.true(piped.stdout.includes('piped-line'), JSON.stringify(piped.stdout));
    t.regex(piped.stderr, /stdin ended: detached; the guest keeps running/);
    run.signal('SIGTERM');
    t.is(await run.exitCode(), 0, run.tail());
    t.truthy(run.lines.find((l) => l.component === 'guest-console' && l.msg.includes('GUEST-ACPI-SHUTDOWN')));
    t.false(existsSync(join(fx.runtimeDir, 'console.sock')), 'the socket goes with the runtime dir');
  } finally {
    run.kill(fx.runtimeDir);
  }
});

test('console: no launcher in the runtime dir is ConsoleUnavailable (exit 5) with a fix, not a stack trace', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vml-console-none-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const r = await runConsole(dir);
  t.is(r.code, 5);
  const line = JSON.parse(r.stderr.trim()) as Record<string, unknown>;
  t.like(line, { level: 'fatal', reason: 'ConsoleUnavailable', msg: `no status file in ${dir}: no launcher runs a guest there` });
  t.is(line['fix'], "run it in the VM pod's container with the launcher's --runtime-dir, while the guest runs");
  t.false('stack' in line);
});
