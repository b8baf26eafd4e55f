// The kubelet's SIGTERM (and a person's Ctrl-C, SIGQUIT, SIGHUP) all mean "shut the guest
// down cleanly". A second SIGINT means "now": the guest is forced off at once.
import { EventEmitter } from 'node:events';
import type { Logger } from '../common/log.js';
import { onIgnoredSignal, routeShutdownSignals } from '../common/signal-policy.js';

export class ShutdownSignals extends EventEmitter<{ shutdown: [NodeJS.Signals]; force: [NodeJS.Signals] }> {
  requested: NodeJS.Signals | undefined;
  forced = false;
  private firstAt = 0;
  readonly abort = new AbortController();
  private readonly handler = (sig: NodeJS.Signals) => this.receive(sig);

  constructor(public logger: Logger) { super(); }

  /** Takes the shutdown signals over from common/signal-policy.ts (which kept those that came before). */
  install(): void {
    routeShutdownSignals(this.handler);
    onIgnoredSignal((sig) => this.logger.info({ signal: sig, reason: 'SignalIgnored' }, `${sig} received: ignored (see docs/operations.md: Signals)`));
  }

  uninstall(): void {
    routeShutdownSignals(() => undefined);
  }

  receive(sig: NodeJS.Signals): void {
    if (!this.requested) {
      this.requested = sig;
      this.firstAt = Date.now();
      this.logger.info({ signal: sig, reason: 'ShutdownRequested' }, `${sig} received: the guest will be shut down through ACPI`);
      this.abort.abort(new Error(`${sig} received`));
      this.emit('shutdown', sig);
      return;
    }
    // `npm run` and shells forward the terminal's Ctrl-C to a child that already got it from
    // the terminal: a SIGINT within half a second of the first is that echo, not a second press.
    if (sig === 'SIGINT' && Date.now() - this.firstAt < 500) return;
    if (sig === 'SIGINT' && !this.forced) {
      this.forced = true;
      this.logger.warn({ signal: sig, reason: 'ForceRequested' }, 'second SIGINT: forcing the guest off now');
      this.emit('force', sig);
      return;
    }
    this.logger.info({ signal: sig }, `${sig} received: already shutting down`);
  }
}
