// launcher/cli/: the command line, the commands and their reports. Nothing imports cli/.
// This file: argv -> CliArgs (form only). Values are merged with the environment and the manifest in plan/.
import { parseArgs } from 'node:util';
import { fail } from '../../domain/problem.js';
import type { PlanFlags } from '../plan/resolve-plan.js';

export type Command = 'run' | 'check' | 'domain' | 'probe' | 'status' | 'console' | 'help' | 'version';

/** The command line as typed: flags are validated for form only; merging with env and defaults is plan/'s job. */
export interface CliArgs {
  command: Command;
  probe?: 'ready' | 'live';
  json: boolean;
  /** What plan/ merges with the environment and the manifest, plus the log settings cli/ resolves itself. */
  flags: PlanFlags & { logLevel?: string; logFormat?: string };
}

const COMMANDS: readonly Command[] = ['run', 'check', 'domain', 'probe', 'status', 'console', 'help', 'version'];

const usage = (message: string): never => fail('UsageInvalid', message);

export function parseCliArgs(argv: string[]): CliArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        vmi: { type: 'string' },
        'volumes-dir': { type: 'string' },
        'devices-dir': { type: 'string' },
        accel: { type: 'string' },
        'runtime-dir': { type: 'string' },
        'cache-dir': { type: 'string' },
        'grace-period': { type: 'string' },
        'run-as': { type: 'string' },
        'hooks-dir': { type: 'string' },
        'hook-timeout': { type: 'string' },
        'log-level': { type: 'string' },
        'log-format': { type: 'string' },
        'console-log': { type: 'string' },
        'create-disks': { type: 'string' },
        'expand-disks': { type: 'string' },
        'allow-plain-dir': { type: 'string' },
        'passt-mode': { type: 'string' },
        'secrets-dir': { type: 'string' },
        'ephemeral-dir': { type: 'string' },
        'nvram-dir': { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
      },
    });
  } catch (e) {
    return usage((e as Error).message);
  }
  const { values, positionals } = parsed;
  const first = positionals[0] ?? 'run';
  if (!COMMANDS.includes(first as Command)) usage(`unknown command ${JSON.stringify(first)}; commands: ${COMMANDS.join(', ')}`);
  let command = first as Command;
  if (values.help) command = 'help';
  if (values.version) command = 'version';
  let probe: CliArgs['probe'];
  if (command === 'probe') {
    const what = positionals[1];
    if (what !== 'ready' && what !== 'live') usage('usage: vm-launcher probe ready|live [--runtime-dir DIR]');
    probe = what as 'ready' | 'live';
  } else if (positionals.length > 1) {
    usage(`unexpected argument ${JSON.stringify(positionals[1])}`);
  }
  return {
    command,
    ...(probe && { probe }),
    json: values.json ?? false,
    flags: {
      vmi: values.vmi, volumesDir: values['volumes-dir'], devicesDir: values['devices-dir'], accel: values.accel,
      runtimeDir: values['runtime-dir'], cacheDir: values['cache-dir'], gracePeriod: values['grace-period'],
      runAs: values['run-as'], hooksDir: values['hooks-dir'], hookTimeout: values['hook-timeout'],
      logLevel: values['log-level'], logFormat: values['log-format'], consoleLog: values['console-log'],
      createDisks: values['create-disks'], expandDisks: values['expand-disks'], allowPlainDir: values['allow-plain-dir'],
      passtMode: values['passt-mode'], secretsDir: values['secrets-dir'],
      ephemeralDir: values['ephemeral-dir'], nvramDir: values['nvram-dir'],
    },
  };
}

export const USAGE = `vm-launcher: the first process of a KubeVirt VM pod

usage: vm-launcher [run|check|domain|probe ready|probe live|status|console] [options]

commands:
  run      (default) preflight, start the private libvirt stack, boot the VM, supervise it;
           SIGTERM/SIGINT shut the guest down through ACPI within the grace period
  check    verify the manifest and every volume; one line per volume (--json for machines)
  domain   print the libvirt domain XML that run would define (after onDefineDomain hooks)
  probe    ready|live: exit 0 when the running launcher is ready/alive (Kubernetes exec probes); with the VMI's
           readinessProbe/livenessProbe, their verdict (the launcher evaluates them)
  status   the running VM: phase, conditions, guest OS, hostname, addresses (guest agent), NIC, disks,
           start timings, processes and their memory (--json: docs/status.md); needs only --runtime-dir
  console  attach to the running guest's serial console (kubectl exec -it POD -- vm-launcher console);
           Ctrl-] detaches, the guest keeps running; needs only --runtime-dir

options:
  --vmi FILE            VMI manifest, YAML or JSON (env VMI_FILE; default /etc/vm-launcher/vmi.yaml)
  --volumes-dir DIR     filesystem volumes: DIR/<volume>/disk.img (default /var/run/kubevirt-private/vmi-disks)
  --devices-dir DIR     block volumes: DIR/<volume> (default /dev)
  --accel MODE          auto|kvm|tcg (env VM_LAUNCHER_ACCEL; default auto: kvm where /dev/kvm opens)
  --runtime-dir DIR     private stack, status file, console log; removed at exit
                        (env VM_LAUNCHER_RUNTIME_DIR; default /var/run/vm-launcher)
  --cache-dir DIR       libvirt's QEMU capabilities cache, kept between runs
                        (env VM_LAUNCHER_CACHE_DIR; default /var/cache/vm-launcher)
  --grace-period SEC    ACPI shutdown deadline (default: the VMI's terminationGracePeriodSeconds, else 30)
  --run-as UID[:GID]    user of the private stack and QEMU when the launcher is root (env VM_LAUNCHER_RUN_AS; default 107:107)
  --hooks-dir DIR       hooks in DIR/<point>.d/ (env VM_LAUNCHER_HOOKS_DIR)
  --hook-timeout SEC    per hook (default 30)
  --console-log FILE    also append the guest's serial console to FILE (kept after exit)
  --create-disks yes|no create a missing disk.img on an empty mounted PVC, and DiskOrCreate hostDisk images
                        (env VM_LAUNCHER_CREATE_DISKS; default yes)
  --expand-disks yes|no extend disk.img to what its volume holds before start, never shrink
                        (env VM_LAUNCHER_EXPAND_DISKS; default no)
  --allow-plain-dir yes|no
                        create and grow images also where the volume dir is not a mount point
                        (local runs only; env VM_LAUNCHER_ALLOW_PLAIN_DIR; default no)
  --passt-mode MODE     auto|vhost-user|user: how the NIC reaches passt (env VM_LAUNCHER_PASST_MODE;
                        default auto: vhost-user for virtio where libvirt accepts it, else user)
  --secrets-dir DIR     cloud-init secretRef data: DIR/<volume>/userdata (env VM_LAUNCHER_SECRETS_DIR;
                        default /var/run/kubevirt-private/secret)
  --ephemeral-dir DIR   where run creates emptyDisk images and ephemeral overlays, removed at exit
                        (env VM_LAUNCHER_EPHEMERAL_DIR; default /var/run/kubevirt-ephemeral-disks)
  --nvram-dir DIR       EFI variables of a VM with efi.persistent: mount a PVC here
                        (env VM_LAUNCHER_NVRAM_DIR; default /var/lib/libvirt/qemu/nvram)
  --log-level LEVEL     trace|debug|info|warn|error (env VM_LAUNCHER_LOG_LEVEL; default info)
  --log-format FORMAT   json|pretty|auto (env VM_LAUNCHER_LOG_FORMAT; default auto: pretty on a terminal)
  --json                check, status: machine-readable report
`;
