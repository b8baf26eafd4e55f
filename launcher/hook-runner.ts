// The launcher's side of hooks/: finds the hooks of a point and runs them with the VM's
// identity, the unprivileged user and libvirt's schema check.
import { discoverHooks, runOnDefineDomain, runPostStop, runPreStart, type HookContext, type StopInfo } from '../hooks/index.js';
import type { VmSpec } from '../domain/types.js';
import { withComponent, type Logger } from './log.js';
import type { RunAs } from './run-as.js';
import { validateDomainXml } from './xml-validate.js';

export interface HookSetup {
  hooksDir?: string;
  timeoutMs: number;
  runtimeDir: string;
  vmiJsonPath: string;
  runAs?: RunAs;
  /** Aborts onDefineDomain/preStart hooks when the launcher is told to stop during start-up (never postStop). */
  signal?: AbortSignal;
}

export class HookRunner {
  constructor(private readonly setup: HookSetup, private readonly spec: VmSpec, private readonly logger: Logger) {}

  private ctx(): HookContext {
    return {
      logger: withComponent(this.logger, 'hooks'),
      vmi: { namespace: this.spec.namespace, name: this.spec.name, uid: this.spec.uid ?? '' },
      runtimeDir: this.setup.runtimeDir,
      vmiJsonPath: this.setup.vmiJsonPath,
      timeoutMs: this.setup.timeoutMs,
      ...(this.setup.runAs && { uid: this.setup.runAs.uid, gid: this.setup.runAs.gid }),
    };
  }

  async onDefineDomain(xml: string): Promise<string> {
    if (!this.setup.hooksDir) return xml;
    const hooks = await discoverHooks(this.setup.hooksDir, 'onDefineDomain');
    return runOnDefineDomain(hooks, xml, { ...this.ctx(), validateXml: validateDomainXml, ...(this.setup.signal && { signal: this.setup.signal }) });
  }

  async preStart(): Promise<void> {
    if (!this.setup.hooksDir) return;
    await runPreStart(await discoverHooks(this.setup.hooksDir, 'preStart'), { ...this.ctx(), ...(this.setup.signal && { signal: this.setup.signal }) });
  }

  async postStop(stop: StopInfo): Promise<void> {
    if (!this.setup.hooksDir) return;
    try {
      await runPostStop(await discoverHooks(this.setup.hooksDir, 'postStop'), this.ctx(), stop);
    } catch (e) {
      this.logger.error({ reason: 'HookFailed' }, `postStop hooks: ${(e as Error).message}`);
    }
  }
}
