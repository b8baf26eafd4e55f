// launcher/cli/: the command line, the commands and their reports. Nothing imports cli/.
// This file: argv -> CliArgs (form only). Values are merged with the environment and the manifest in plan/.
import { parseArgs } from 'node:util';
import { fail } from '../../domain/problem.js';
import type { PlanFlags } from '../plan/resolve-plan.js';
import { SETTINGS, settingsHelp, type SettingName } from '../plan/settings.js';

/** Every setting of plan/settings.ts takes a string value. */
const SETTING_OPTIONS = Object.fromEntries(Object.values(SETTINGS).map((s) => [s.flag, { type: 'string' as const }]));

export type Command = 'run' | 'check' | 'domain' | 'pod' | 'probe' | 'status' | 'console' | 'help' | 'version';

/** The command line as typed: flags are validated for form only; merging with env and defaults is plan/'s job. */
export interface CliArgs {
  command: Command;
  probe?: 'ready' | 'live';
  json: boolean;
  /** console: print the console file instead of attaching; follow it while the launcher runs. */
  log: boolean;
  follow: boolean;
  /** `pod`: its own flags, as typed (launcher/cli/pod.ts checks them). */
  pod?: PodFlags;
  /** What plan/ merges with the environment and the manifest, plus the log settings cli/ resolves itself. */
  flags: PlanFlags;
}

export interface PodFlags {
  image?: string; output?: string; for?: string; quadlet?: string; validate: boolean; service: boolean; hostDevice: string[];
  publish: string[]; hostIp?: string;
}

const COMMANDS: readonly Command[] = ['run', 'check', 'domain', 'pod', 'probe', 'status', 'console', 'help', 'version'];

const usage = (message: string): never => fail('UsageInvalid', message);

export function parseCliArgs(argv: string[]): CliArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        ...SETTING_OPTIONS,
        log: { type: 'boolean' },
        follow: { type: 'boolean', short: 'f' },
        json: { type: 'boolean' },
        image: { type: 'string' },
        output: { type: 'string', short: 'o' },
        for: { type: 'string' },
        quadlet: { type: 'string' },
        validate: { type: 'boolean' },
        service: { type: 'boolean' },
        'host-device': { type: 'string', multiple: true },
        publish: { type: 'string', multiple: true },
        'host-ip': { type: 'string' },
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
    log: values.log ?? false,
    follow: values.follow ?? false,
    ...(command === 'pod' && {
      pod: {
        image: values.image, output: values.output, for: values.for, quadlet: values.quadlet,
        validate: values.validate ?? false, service: values.service ?? false, hostDevice: values['host-device'] ?? [],
        publish: values.publish ?? [], hostIp: values['host-ip'],
      },
    }),
    flags: Object.fromEntries((Object.keys(SETTINGS) as SettingName[]).map((k) => [k, (values as Record<string, unknown>)[SETTINGS[k].flag] as string | undefined])) as PlanFlags,
  };
}

export const USAGE = `vm-launcher: the first process of a KubeVirt VM pod

usage: vm-launcher [run|check|domain|pod|probe ready|probe live|status|console] [options]

commands:
  run      (default) preflight, start the private libvirt stack, boot the VM, supervise it;
           SIGTERM/SIGINT shut the guest down through ACPI within the grace period
  check    verify the manifest and every volume; one line per volume (--json for machines)
  domain   print the libvirt domain XML that run would define (after onDefineDomain hooks)
  pod      print the ConfigMap and Pod (and --service) that run the VMI, for kubectl apply -f - or
           podman kube play: --vmi FILE [--image REF] [-o yaml|json] [--for kubernetes|podman]
           [--quadlet DIR] [--service] [--host-device VOLUME=PATH] [--publish PORT=HOSTPORT [--host-ip IP]]
           [--accel tcg] [--validate]
  probe    ready|live: exit 0 when the running launcher is ready/alive (Kubernetes exec probes); with the VMI's
           readinessProbe/livenessProbe, their verdict (the launcher evaluates them)
  status   the running VM: phase, conditions, guest OS, hostname, addresses (guest agent), NIC, disks,
           start timings, processes and their memory (--json: docs/status.md); needs only --runtime-dir
  console  attach to the running guest's serial console (kubectl exec -it POD -- vm-launcher console);
           Ctrl-] detaches, the guest keeps running; the newest attach wins (an older one exits 7);
           needs only --runtime-dir. console --log [--follow]: the guest's output the launcher kept

options:
${settingsHelp()}
  --json                check, status: machine-readable report
  --image REF           pod: the launcher image (default localhost/vm-launcher:dev)
  -o, --output FORMAT   pod: yaml (default) or json (a List)
  --for TARGET          pod: kubernetes (default) or podman (hostPath devices, podman's notes)
  --quadlet DIR         pod --for podman: also write DIR/<name>.yaml and DIR/<name>.kube (a systemd service)
  --service             pod: also a Service for the interface's forwarded ports
  --host-device VOL=PATH
                        pod --for podman: the host block device for the Block claim VOL (repeatable)
  --publish PORT=HOSTPORT
                        pod: the guest's forwarded PORT also on the node's HOSTPORT (hostPort; repeatable),
                        on 127.0.0.1 unless --host-ip says otherwise (a VM's SSH is not exposed by accident)
  --host-ip IP          pod --publish: the node address the published ports bind (default 127.0.0.1)
  --validate            pod: check every object against the Kubernetes API schema (npm kubernetes-models)
`;
