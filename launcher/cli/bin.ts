#!/usr/bin/env -S node --lite-mode --max-semi-space-size=1 --no-expose-wasm --experimental-permission --allow-fs-read=* --allow-fs-write=* --allow-child-process --disable-warning=ExperimentalWarning --disable-warning=SecurityWarning
// (V8 flags: the launcher is a supervisor, not a hot path; lite mode keeps its RSS near 58 MiB instead of 76.
// Node's permission model, with files and child processes allowed, is there for what it forbids: Node 20 then never
// starts its inspector, so SIGUSR1 cannot open a debugger on 127.0.0.1:9229 (Node 20 has no --disable-sigusr1).)
// The bin (dist/vm-launcher.mjs): a few lines that catch every signal the launcher handles, then the launcher itself
// (dist/vm-launcher-main.mjs, cli/main.ts bundled). Node reads and compiles a module whole before running any of it:
// the launcher's 1.8 MB took 100-300 ms, during which a SIGTERM ended the process (exit 143) instead of an orderly
// exit 6. Caught here, a signal is kept until common/signal-policy.ts takes over and acts on it. Only node's own
// start-up (docs/operations.md: Signals) comes before these lines.
import { EARLY_SIGNALS_KEY, IGNORED_SIGNALS, SHUTDOWN_SIGNALS, type EarlySignals } from '../common/signal-lists.js';

const received: NodeJS.Signals[] = [];
const handler = (sig: NodeJS.Signals): void => { if ((SHUTDOWN_SIGNALS as readonly string[]).includes(sig)) received.push(sig); };
for (const s of [...SHUTDOWN_SIGNALS, ...IGNORED_SIGNALS]) process.on(s, handler);
(globalThis as Record<symbol, EarlySignals>)[EARLY_SIGNALS_KEY] = { received, handler, atMs: performance.now() };

// Beside this file in dist/ (a path, not a module name: the bundle of this file does not take the launcher in).
await import(new URL('./vm-launcher-main.mjs', import.meta.url).href);
