// Every setting of the launcher in one table: its flag, its environment variable, its default, and the words that
// describe it. The argument parser (cli/options.ts), `--help`, the resolved plan (resolve-plan.ts, `check`'s
// settings list) and the options table of docs/operations.md (generated; test/unit/settings-table.test.ts) all come
// from here, so a setting is written once.
import { DEFAULT_HOOK_TIMEOUT_MS } from '../../hooks/index.js';

export interface Setting {
  /** The long flag, without `--`. */
  flag: string;
  /** What the flag takes, for --help and the docs (`DIR`, `yes|no`). */
  arg: string;
  /** The environment variable that sets it when the flag is absent. */
  env?: string;
  /** The default as the flag would spell it; absent: unset unless given. */
  default?: string;
  /** The default in words, where it is not a plain value (the docs and --help show it instead). */
  defaultText?: string;
  /** One line for --help. */
  help: string;
  /** What it means, for the docs' table (Markdown). */
  doc: string;
}

/** The VM user's KubeVirt uid/gid: QEMU and the stack run as it when the launcher is root. */
export const VM_USER = { uid: 107, gid: 107 } as const;

export const SETTINGS = {
  vmi: {
    flag: 'vmi', arg: 'FILE', env: 'VMI_FILE', default: '/etc/vm-launcher/vmi.yaml',
    help: 'the VMI manifest, YAML or JSON',
    doc: 'the VMI manifest, YAML or JSON',
  },
  instancetypesDir: {
    flag: 'instancetypes-dir', arg: 'DIR', env: 'VM_LAUNCHER_INSTANCETYPES_DIR', defaultText: 'none: only the bundled common-instancetypes',
    help: 'instance types and preferences a VirtualMachine names: YAML/JSON files in DIR (a ConfigMap)',
    doc: 'VirtualMachine(Cluster)Instancetype and VirtualMachine(Cluster)Preference documents in `*.yaml`, `*.yml` or `*.json` files (several per file or a `List`), found by kind and name; they win over the bundled common-instancetypes (see [instancetypes.md](instancetypes.md))',
  },
  volumesDir: {
    flag: 'volumes-dir', arg: 'DIR', default: '/var/run/kubevirt-private/vmi-disks',
    help: 'filesystem volumes: DIR/<volume>/disk.img',
    doc: 'filesystem volume `NAME` is `DIR/NAME/disk.img`',
  },
  devicesDir: {
    flag: 'devices-dir', arg: 'DIR', default: '/dev',
    help: 'block volumes: DIR/<volume>',
    doc: 'block volume `NAME` is the device node `DIR/NAME`',
  },
  accel: {
    flag: 'accel', arg: 'auto|kvm|tcg', env: 'VM_LAUNCHER_ACCEL', default: 'auto',
    help: 'kvm or software emulation; auto: kvm where QEMU\'s user can create a KVM VM',
    doc: '`<domain type=\'kvm\'>` or `\'qemu\'`; `auto` uses KVM when QEMU\'s user can open /dev/kvm and QEMU can create a KVM VM with it (about 0.2 s at start), else software emulation, saying why. It cannot detect a KVM that creates VMs but fails to run them (some nested setups): pass `tcg` there',
  },
  runtimeDir: {
    flag: 'runtime-dir', arg: 'DIR', env: 'VM_LAUNCHER_RUNTIME_DIR', default: '/var/run/vm-launcher',
    help: 'private stack, status file, console; removed at exit',
    doc: 'private stack, status file, console, `domain.xml`; made private (0700, the VM user\'s); what the launcher created is removed at exit; at most 44 bytes',
  },
  cacheDir: {
    flag: 'cache-dir', arg: 'DIR', env: 'VM_LAUNCHER_CACHE_DIR', default: '/var/cache/vm-launcher',
    help: 'libvirt\'s QEMU capabilities cache, kept between runs',
    doc: 'libvirt\'s QEMU capabilities cache, kept between runs, one directory per VM user and per KVM access ([The QEMU capabilities cache](#the-qemu-capabilities-cache)); a root launcher creates it root\'s (0755), anyone else as its own (0700); never chowned when it exists (if the VM user cannot use it, the cache lives in the runtime dir for that run)',
  },
  gracePeriod: {
    flag: 'grace-period', arg: 'SEC', defaultText: 'the VMI\'s `terminationGracePeriodSeconds`, else 30',
    help: 'ACPI shutdown deadline',
    doc: 'ACPI shutdown deadline, any length (timers wait in chunks past Node\'s 24.8-day limit); `0` destroys at once',
  },
  runAs: {
    flag: 'run-as', arg: 'UID[:GID]', env: 'VM_LAUNCHER_RUN_AS', default: `${VM_USER.uid}:${VM_USER.gid}`,
    help: 'user of the private stack and QEMU when the launcher is root',
    doc: 'who runs the stack and QEMU when the launcher is root; never root',
  },
  hooksDir: {
    flag: 'hooks-dir', arg: 'DIR', env: 'VM_LAUNCHER_HOOKS_DIR',
    help: 'hooks in DIR/<point>.d/',
    doc: 'hooks, see Hooks below',
  },
  hookTimeout: {
    flag: 'hook-timeout', arg: 'SEC', default: String(DEFAULT_HOOK_TIMEOUT_MS / 1000),
    help: 'per hook',
    doc: 'per hook',
  },
  consoleLog: {
    flag: 'console-log', arg: 'FILE',
    help: 'also append the guest\'s serial console to FILE (kept after exit)',
    doc: 'also append the guest\'s serial console to FILE (survives the runtime dir; not bounded)',
  },
  createDisks: {
    flag: 'create-disks', arg: 'yes|no', env: 'VM_LAUNCHER_CREATE_DISKS', default: 'yes',
    help: 'create a missing disk.img on an empty mounted PVC, and DiskOrCreate hostDisk images',
    doc: 'create a missing `disk.img` on an empty mounted PVC (and `DiskOrCreate` hostDisk images); `no`: refuse it (`DiskImageMissing`)',
  },
  expandDisks: {
    flag: 'expand-disks', arg: 'yes|no', env: 'VM_LAUNCHER_EXPAND_DISKS', default: 'no',
    help: 'extend disk.img to what its volume holds before start, never shrink',
    doc: 'before start, extend `disk.img` to what its mounted PVC holds (KubeVirt\'s ExpandDisks); never shrinks',
  },
  allowPlainDir: {
    flag: 'allow-plain-dir', arg: 'yes|no', env: 'VM_LAUNCHER_ALLOW_PLAIN_DIR', default: 'no',
    help: 'create and grow images also where the volume dir is not a mount point (local runs only)',
    doc: 'also create and grow where the volume dir is not a mount point: for local runs only (in a pod it is the container\'s own disk)',
  },
  passtMode: {
    flag: 'passt-mode', arg: 'auto|vhost-user|user', env: 'VM_LAUNCHER_PASST_MODE', default: 'auto',
    help: 'how the NIC reaches passt; auto: vhost-user for virtio where libvirt accepts it, else user',
    doc: 'how the NIC reaches passt (see [networking.md](networking.md))',
  },
  secretsDir: {
    flag: 'secrets-dir', arg: 'DIR', env: 'VM_LAUNCHER_SECRETS_DIR', default: '/var/run/kubevirt-private/secret',
    help: 'cloud-init secretRef data: DIR/<volume>/userdata; accessCredentials Secrets: DIR/<secretName>-access-cred/',
    doc: 'cloud-init `secretRef` data: `DIR/<volume>/userdata`; accessCredentials\' Secrets: `DIR/<secretName>-access-cred/`',
  },
  ephemeralDir: {
    flag: 'ephemeral-dir', arg: 'DIR', env: 'VM_LAUNCHER_EPHEMERAL_DIR', default: '/var/run/kubevirt-ephemeral-disks',
    help: 'where run creates emptyDisk images and ephemeral overlays, removed at exit',
    doc: 'where `run` creates `emptyDisk` images and `ephemeral` overlays; removed at exit',
  },
  nvramDir: {
    flag: 'nvram-dir', arg: 'DIR', env: 'VM_LAUNCHER_NVRAM_DIR', default: '/var/lib/libvirt/qemu/nvram',
    help: 'EFI variables of a VM with efi.persistent: mount a PVC here',
    doc: 'EFI variables of a VM with `efi.persistent`: mount a PVC here',
  },
  logLevel: {
    flag: 'log-level', arg: 'LEVEL', env: 'VM_LAUNCHER_LOG_LEVEL', default: 'info',
    help: 'trace|debug|info|warn|error',
    doc: '`trace`, `debug`, `info`, `warn` or `error`',
  },
  logFormat: {
    flag: 'log-format', arg: 'json|pretty|auto', env: 'VM_LAUNCHER_LOG_FORMAT', default: 'auto',
    help: 'auto: pretty on a terminal; pretty colours only a terminal',
    doc: '`json` or `pretty`; `auto` is pretty on a terminal; `pretty` colours only a terminal',
  },
  logGuestConsole: {
    flag: 'log-guest-console', arg: 'yes|no|auto', env: 'VM_LAUNCHER_LOG_GUEST_CONSOLE', default: 'auto',
    help: 'the guest\'s serial lines in the log too; auto: on a terminal',
    doc: 'the guest\'s serial lines in the log too (`component: guest-console`); `auto`: when stdout is a terminal. They are always in `<runtime-dir>/console.log` (`vm-launcher console --log`)',
  },
} satisfies Record<string, Setting>;

export type SettingName = keyof typeof SETTINGS;
/** Each setting as the command line gave it (cli/ parses it; plan/ does not know argv). */
export type SettingFlags = { [K in SettingName]?: string };

/** `--flag ARG` for the help and the docs. */
const synopsis = (s: Setting): string => `--${s.flag} ${s.arg}`;

const defaultWords = (s: Setting): string | undefined => s.defaultText ?? s.default;

/** The options part of --help: one entry per setting, its env and default in brackets. */
export function settingsHelp(): string {
  const lines: string[] = [];
  for (const s of Object.values(SETTINGS) as Setting[]) {
    const head = synopsis(s);
    const extra = [s.env && `env ${s.env}`, defaultWords(s) && `default ${defaultWords(s)!.replace(/`/g, '')}`].filter(Boolean).join('; ');
    const text = `${s.help}${extra ? ` (${extra})` : ''}`;
    if (head.length <= 21) lines.push(`  ${head.padEnd(22)}${text}`);
    else lines.push(`  ${head}`, `  ${''.padEnd(22)}${text}`);
  }
  return lines.join('\n');
}

export const SETTINGS_TABLE_START = '<!-- settings:start (generated from launcher/plan/settings.ts) -->';
export const SETTINGS_TABLE_END = '<!-- settings:end -->';

/** The options table of docs/operations.md. */
export function settingsMarkdown(): string {
  const cell = (t: string) => t.replace(/\|/g, '\\|');
  const rows = (Object.values(SETTINGS) as Setting[]).map((s) => {
    const d = defaultWords(s);
    const where = [s.env && `env \`${s.env}\``, d && (s.defaultText ? d : `\`${d}\``)].filter(Boolean).join(', else ') || 'none';
    return `| \`${cell(synopsis(s))}\` | ${cell(where)} | ${cell(s.doc)} |`;
  });
  return [SETTINGS_TABLE_START, '| option | default | meaning |', '| --- | --- | --- |', ...rows, SETTINGS_TABLE_END].join('\n');
}
