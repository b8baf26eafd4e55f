// `vm-launcher console` against a real guest (TCG): attach to the running guest's serial console, type a line and
// see the guest's terminal echo it, detach with Ctrl-] while the guest keeps running (the launcher's log still gets
// every line), then refusals with their reason when there is nothing to attach to. Under a real pseudo-terminal:
// a console killed with SIGKILL or whose terminal vanished frees the console at once, the newest attach wins and
// the older ends with its message and exit 7, a console.sock swapped for a link by the VM user is refused by a root
// console; and a guest flooding its serial port cannot fill the runtime dir.
import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliPath, LauncherRun, vmFixture } from '../../harness/launcher-process.js';
import { bootUnavailable, isRoot } from '../../harness/requirements.js';
import { PtyConsole } from '../../harness/pty-console.js';
import { REASONS } from '../../domain/reasons.js';

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
    t.regex(first.stderr, /attached to the serial console of [a-z0-9-]+\/[a-z0-9-]+ \(phase Running\); Ctrl-\] detaches/);
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
  t.is(line['fix'], REASONS.ConsoleUnavailable.fix);
  t.false('stack' in line);
});

/** Waits for the launcher to log `reason` after `from` lines; how long it took. */
async function loggedWithin(run: LauncherRun, reason: string, from: number, ms: number): Promise<number> {
  const t0 = Date.now();
  await run.waitFor((l) => l.reason === reason && run.lines.indexOf(l) >= from, ms, reason);
  return Date.now() - t0;
}

boot('console under a terminal: SIGKILL and a vanished terminal free it at once, the newest attach wins, a linked console.sock is refused', async (t) => {
  const fx = vmFixture({ mode: 'wait' });
  const run = new LauncherRun(fx.args());
  const consoles: PtyConsole[] = [];
  const attach = async (): Promise<PtyConsole> => {
    const c = new PtyConsole(fx.runtimeDir);
    consoles.push(c);
    await c.waitFor(/attached to the serial console/, 15_000);
    return c;
  };
  try {
    await run.waitForConsole('GUEST-WAITING-FOR-POWER-BUTTON', 90_000);
    // A client killed with SIGKILL (no chance to say goodbye) holds nothing: the next attach gets the guest's answer.
    const a = await attach();
    a.type('from-a\r');
    await a.waitFor(/from-a/, 10_000);
    let mark = run.lines.length;
    await a.killConsole('SIGKILL');
    t.log(`SIGKILL: the launcher saw the console go in ${await loggedWithin(run, 'ConsoleDetached', mark, 3000)} ms`);
    const b = await attach();
    b.type('after-kill\r');
    await b.waitFor(/after-kill/, 10_000);
    // Two attaches: the newest gets the guest; the older is told, within seconds, and exits 7.
    const started = Date.now();
    const c = await attach();
    const bCode = await Promise.race([b.exit, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 5000))]);
    t.log(`the older console ended ${Date.now() - started} ms after the newer attached`);
    t.is(bCode, 7, b.screen.slice(-300));
    t.regex(b.screen, /another console attached to this guest; this one is detached \(the newest attach wins\)/);
    c.type('newest-wins\r');
    await c.waitFor(/newest-wins/, 10_000);
    t.false(b.screen.includes('newest-wins'), 'the older console got nothing more');
    // The terminal vanishes (a dropped kubectl exec): the console gets SIGHUP, and the launcher frees it at once.
    mark = run.lines.length;
    c.closeTerminal();
    t.log(`terminal closed: the launcher saw the console go in ${await loggedWithin(run, 'ConsoleDetached', mark, 3000)} ms`);
    const piped = await runConsole(fx.runtimeDir, { piped: 'after-hangup\n' });
    t.true(piped.stdout.includes('after-hangup'), JSON.stringify(piped));
    // The guest's lines reached the log all along (the harness asks for them there).
    await run.waitForConsole('after-hangup', 10_000);
    // `console --log`: the guest's output the launcher kept, from its boot to now.
    // (The file is written in batches, a moment after the log line: asked again until it has the last line.)
    const printLog = () => spawnSync(cliPath, ['console', '--log', '--runtime-dir', fx.runtimeDir], { encoding: 'utf8', timeout: 30_000 });
    let kept = printLog();
    for (let i = 0; i < 20 && !kept.stdout.includes('after-hangup'); i++) { await new Promise((r) => setTimeout(r, 250)); kept = printLog(); }
    t.is(kept.status, 0, kept.stderr);
    t.regex(kept.stdout, /GUEST-BOOTED[\s\S]*from-a[\s\S]*after-kill[\s\S]*newest-wins[\s\S]*after-hangup/);
    if (isRoot) await linkedSocketIsRefused(t, fx.runtimeDir);
    else t.log('SKIPPED (needs root): a root console refusing a console.sock the VM user replaced with a link');
    run.signal('SIGTERM');
    t.is(await run.exitCode(), 0, run.tail());
  } finally {
    for (const c of consoles) c.dispose();
    run.kill(fx.runtimeDir);
  }
});

/** As uid 107, console.sock becomes a link to a root-only socket; a root console must not connect to it. */
async function linkedSocketIsRefused(t: import('ava').ExecutionContext, runtimeDir: string): Promise<void> {
  const secret = mkdtempSync(join(tmpdir(), 'vml-root-only-'));
  chmodSync(secret, 0o700);
  const rootSocket = join(secret, 'daemon.sock');
  let connections = 0;
  const server = createServer((s) => { connections++; s.destroy(); });
  await new Promise<void>((r) => server.listen(rootSocket, r));
  try {
    execFileSync('setpriv', ['--reuid', '107', '--regid', '107', '--clear-groups', '--', 'ln', '-sfn', rootSocket, join(runtimeDir, 'console.sock')], { timeout: 10_000 });
    t.true(lstatSync(join(runtimeDir, 'console.sock')).isSymbolicLink(), 'uid 107 replaced console.sock with a link');
    const r = await runConsole(runtimeDir, { piped: 'root-typing\n' });
    t.is(r.code, 5, r.stderr);
    const line = JSON.parse(r.stderr.trim()) as Record<string, unknown>;
    t.like(line, { reason: 'ConsoleSocketRefused' });
    t.regex(String(line['msg']), /console\.sock is a symbolic link/);
    t.is(connections, 0, 'the root-only socket got no connection');
  } finally {
    server.close();
    rmSync(secret, { recursive: true, force: true });
  }
}

const floodSkip = skip ?? (isRoot ? undefined : 'needs root (mounts a 3 MiB tmpfs as the runtime dir)');
(floodSkip ? test.skip : test.serial)('a guest flooding its serial port cannot fill the runtime dir: the console file is bounded, the status file stays writable', async (t) => {
  const fx = vmFixture({ mode: 'flood' });
  mkdirSync(fx.runtimeDir);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=3m,mode=0755', 'tmpfs', fx.runtimeDir], { timeout: 10_000 });
  const full = join(fx.dir, 'full-console.log');
  // The guest's lines stay out of the log here (the default in a pod): a flood would drown the test's reader.
  const run = new LauncherRun(fx.args('--console-log', full), { VM_LAUNCHER_LOG_GUEST_CONSOLE: 'no' });
  try {
    await run.waitFor((l) => l.reason === 'FirstConsoleOutput', 90_000, 'first console output');
    const started = Date.now();
    const size = (p: string) => (existsSync(p) ? statSync(p).size : 0);
    // Until the guest has written more than the runtime dir holds (3.5 MiB into 3 MiB; a loaded 2-core machine
    // emulating the guest under TCG gets some 30-45 KiB/s out of it, an idle one far more).
    const goal = 3.5 * 1024 * 1024;
    while (size(full) < goal && Date.now() - started < 300_000) await new Promise((r) => setTimeout(r, 500));
    const seconds = (Date.now() - started) / 1000;
    const written = size(full);
    t.log(`the guest wrote ${(written / 1048576).toFixed(1)} MiB in ${seconds.toFixed(1)} s (${(written / 1048576 / seconds).toFixed(2)} MiB/s)`);
    t.true(written >= goal, `the flood reached 3.5 MiB (${written} bytes)`);
    const log = join(fx.runtimeDir, 'console.log');
    t.true(size(log) <= 1024 * 1024 && size(`${log}.1`) <= 1024 * 1024, `console.log ${size(log)}, console.log.1 ${size(`${log}.1`)}`);
    t.regex(readFileSync(log, 'utf8').slice(-200), /GUEST-FLOOD/);
    const df = execFileSync('df', ['-k', '--output=avail', fx.runtimeDir], { encoding: 'utf8' });
    t.log(`runtime dir free: ${df.trim().split('\n').pop()!.trim()} KiB of 3072`);
    run.signal('SIGTERM');
    // The status file is written at every phase change: ShuttingDown, then Stopped.
    await run.waitFor((l) => l.reason === 'ShutdownRequested' || l.msg.includes('ShuttingDown'), 10_000, 'shutting down');
    t.is(await run.exitCode(120_000), 0, run.tail());
    t.deepEqual(run.lines.filter((l) => l.reason === 'StatusWriteFailed' || l.reason === 'ConsoleUnreadable').map((l) => l.msg), []);
  } finally {
    run.kill(fx.runtimeDir);
    execFileSync('umount', ['-l', fx.runtimeDir], { timeout: 10_000 });
  }
});
