// The launcher's side of hooks/: finds the hooks of a point and runs them with the VM's identity, the
// unprivileged user, the plan's timeout and libvirt's schema check.
import { discoverHooks, runOnDefineDomain, runPostStop, runPreStart, type HookContext, type StopInfo } from '../../hooks/index.js';
import type { VmSpec } from '../../domain/model/index.js';
import { withComponent, type Logger } from '../common/log.js';
import { validateDomainXml } from '../common/xml-validate.js';
import type { Plan } from '../plan/plan.js';

export interface HookPlace {
  runtimeDir: string;
  vmiJsonPath: string;
  /** Aborts onDefineDomain/preStart hooks when the launcher is told to stop during start-up (never postStop). */
  signal?: AbortSignal;
}

export class HookRunner {
  private readonly dir: string | undefined;

  constructor(private readonly plan: Pick<Plan, 'hooks' | 'runAs'>, private readonly place: HookPlace, private readonly spec: VmSpec, private readonly logger: Logger) {
    this.dir = plan.hooks.dir?.value;
  }

  private ctx(): HookContext {
    const runAs = this.plan.runAs.value;
    return {
      logger: withComponent(this.logger, 'hooks'),
      vmi: { namespace: this.spec.namespace, name: this.spec.name, uid: this.spec.uid ?? '' },
      runtimeDir: this.place.runtimeDir,
      vmiJsonPath: this.place.vmiJsonPath,
      timeoutMs: this.plan.hooks.timeoutMs.value,
      ...(runAs && { uid: runAs.uid, gid: runAs.gid }),
    };
  }

  private get abortable() { return this.place.signal ? { signal: this.place.signal } : {}; }

  async onDefineDomain(xml: string): Promise<string> {
    if (!this.dir) return xml;
    const hooks = await discoverHooks(this.dir, 'onDefineDomain');
    return runOnDefineDomain(hooks, xml, { ...this.ctx(), validateXml: validateDomainXml, ...this.abortable });
  }

  async preStart(): Promise<void> {
    if (!this.dir) return;
    await runPreStart(await discoverHooks(this.dir, 'preStart'), { ...this.ctx(), ...this.abortable });
  }

  async postStop(stop: StopInfo): Promise<void> {
    if (!this.dir) return;
    try {
      await runPostStop(await discoverHooks(this.dir, 'postStop'), this.ctx(), stop);
    } catch (e) {
      this.logger.error({ reason: 'HookFailed' }, `postStop hooks: ${(e as Error).message}`);
    }
  }
}
