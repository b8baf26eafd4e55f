// Command line and environment -> options. Flags win over environment, environment over defaults.
import { parseArgs } from 'node:util';
import { defaultLayout, type VolumeLayout } from './volume-paths.js';
import { parseRunAs, type RunAs } from './run-as.js';
import { defaultQemuImgLimits, type QemuImgLimits } from './qemu-img.js';

export type Command = 'run' | 'check' | 'domain' | 'probe' | 'help' | 'version';
export type AccelChoice = 'auto' | 'kvm' | 'tcg';

export interface Options {
  command: Command;
  vmiPath: string;
  layout: VolumeLayout;
  accel: AccelChoice;
  runtimeDir: string;
  cacheDir: string;
  gracePeriodSeconds?: number;
  runAs: RunAs;
  hooksDir?: string;
  hookTimeoutMs: number;
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error';
  logFormat: 'json' | 'pretty' | 'auto';
  json: boolean;
  consoleLog?: string;
  probe?: 'ready' | 'live';
  qemuImg: QemuImgLimits;
}

export class UsageError extends Error {}

const COMMANDS: readonly Command[] = ['run', 'check', 'domain', 'probe', 'help', 'version'];

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv): Options {
  const { values, positionals } = parseArgs({
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
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean' },
    },
  });
  const first = positionals[0] ?? 'run';
  if (!COMMANDS.includes(first as Command)) throw new UsageError(`unknown command ${JSON.stringify(first)}; commands: ${COMMANDS.join(', ')}`);
  let command = first as Command;
  if (values.help) command = 'help';
  if (values.version) command = 'version';
  let probe: Options['probe'];
  if (command === 'probe') {
    const what = positionals[1];
    if (what !== 'ready' && what !== 'live') throw new UsageError('usage: vm-launcher probe ready|live [--runtime-dir DIR]');
    probe = what;
  } else if (positionals.length > 1) {
    throw new UsageError(`unexpected argument ${JSON.stringify(positionals[1])}`);
  }

  const accel = (values.accel ?? env.VM_LAUNCHER_ACCEL ?? 'auto') as AccelChoice;
  if (!['auto', 'kvm', 'tcg'].includes(accel)) throw new UsageError(`--accel must be auto, kvm or tcg, not ${JSON.stringify(accel)}`);
  const runAsText = values['run-as'] ?? env.VM_LAUNCHER_RUN_AS ?? '107:107';
  const runAs = parseRunAs(runAsText);
  if (!runAs) throw new UsageError(`--run-as must be UID[:GID] of an unprivileged user (not root), not ${JSON.stringify(runAsText)}`);
  const logLevel = (values['log-level'] ?? env.VM_LAUNCHER_LOG_LEVEL ?? 'info') as Options['logLevel'];
  if (!['trace', 'debug', 'info', 'warn', 'error'].includes(logLevel)) throw new UsageError(`--log-level must be trace, debug, info, warn or error`);
  const logFormat = (values['log-format'] ?? env.VM_LAUNCHER_LOG_FORMAT ?? 'auto') as Options['logFormat'];
  if (!['json', 'pretty', 'auto'].includes(logFormat)) throw new UsageError(`--log-format must be json, pretty or auto`);

  return {
    command,
    vmiPath: values.vmi ?? env.VMI_FILE ?? '/etc/vm-launcher/vmi.yaml',
    layout: {
      volumesDir: values['volumes-dir'] ?? defaultLayout.volumesDir,
      devicesDir: values['devices-dir'] ?? defaultLayout.devicesDir,
    },
    accel,
    runtimeDir: values['runtime-dir'] ?? env.VM_LAUNCHER_RUNTIME_DIR ?? '/var/run/vm-launcher',
    cacheDir: values['cache-dir'] ?? env.VM_LAUNCHER_CACHE_DIR ?? '/var/cache/vm-launcher',
    gracePeriodSeconds: optionalSeconds('--grace-period', values['grace-period']),
    runAs,
    hooksDir: values['hooks-dir'] ?? env.VM_LAUNCHER_HOOKS_DIR,
    hookTimeoutMs: (optionalSeconds('--hook-timeout', values['hook-timeout']) ?? 30) * 1000,
    logLevel,
    logFormat,
    json: values.json ?? false,
    consoleLog: values['console-log'],
    probe,
    qemuImg: defaultQemuImgLimits,
  };
}

function optionalSeconds(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+(\.\d+)?$/.test(v)) throw new UsageError(`${flag} takes seconds (a number), not ${JSON.stringify(v)}`);
  return Number(v);
}

export const USAGE = `vm-launcher: the first process of a KubeVirt VM pod

usage: vm-launcher [run|check|domain|probe ready|probe live] [options]

commands:
  run      (default) preflight, start the private libvirt stack, boot the VM, supervise it;
           SIGTERM/SIGINT shut the guest down through ACPI within the grace period
  check    verify the manifest and every volume; one line per volume (--json for machines)
  domain   print the libvirt domain XML that run would define (after onDefineDomain hooks)
  probe    ready|live: exit 0 when the running launcher is ready/alive (Kubernetes exec probes)

options:
  --vmi FILE            VMI manifest, YAML or JSON (env VMI_FILE; default /etc/vm-launcher/vmi.yaml)
  --volumes-dir DIR     filesystem volumes: DIR/<volume>/disk.img (default /var/run/kubevirt-private/vmi-disks)
  --devices-dir DIR     block volumes: DIR/<volume> (default /dev)
  --accel MODE          auto|kvm|tcg (env VM_LAUNCHER_ACCEL; default auto: kvm where /dev/kvm opens)
  --runtime-dir DIR     private stack, status file, console log; removed at exit (default /var/run/vm-launcher)
  --cache-dir DIR       libvirt's QEMU capabilities cache, kept between runs (default /var/cache/vm-launcher)
  --grace-period SEC    ACPI shutdown deadline (default: the VMI's terminationGracePeriodSeconds, else 30)
  --run-as UID[:GID]    user of the private stack and QEMU when the launcher is root (default 107:107)
  --hooks-dir DIR       hooks in DIR/<point>.d/ (env VM_LAUNCHER_HOOKS_DIR)
  --hook-timeout SEC    per hook (default 30)
  --console-log FILE    also append the guest's serial console to FILE (kept after exit)
  --log-level LEVEL     trace|debug|info|warn|error (default info)
  --log-format FORMAT   json|pretty|auto (default auto: pretty on a terminal)
  --json                check: machine-readable report
`;
