// The one catalogue of reason codes: every `reason` the launcher logs, reports or exits with is defined here with
// its exit code, severity and the fix a person can apply. Logs, `check --json`, alerts and tests key on these
// strings: add new ones, never rename one. The table in docs/reasons.md is generated from this object
// (test/unit/reasons-catalogue.test.ts proves they match; UPDATE_DOCS=1 rewrites it).

/** The launcher's exit code tells the pod's owner what happened. */
export const ExitCode = {
  /** The guest shut down cleanly: ACPI on request, or it powered off by itself. */
  Clean: 0,
  /** A bug in the launcher: an error nobody expected. */
  Internal: 1,
  /** Bad command line. */
  Usage: 2,
  /** Refused at preflight: the manifest, a volume or an image is not usable. Nothing was started. */
  Refused: 3,
  /** The guest did not shut down within the grace period and was forced off. */
  Forced: 4,
  /** Failed at run time: QEMU or a daemon died, libvirt refused the domain, a hook failed. */
  Failed: 5,
  /** A signal arrived before the guest was running: start-up was aborted cleanly. */
  Aborted: 6,
  /** `vm-launcher console`: a newer console attached to the guest and this one was detached. */
  ConsoleTakenOver: 7,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** error: stops what it concerns; warning: reported, nothing stops; info: an event in the log. */
export type Severity = 'error' | 'warning' | 'info';

export interface ReasonInfo {
  severity: Severity;
  /** The exit code when this reason ends the launcher; absent for events that never do. */
  exit?: ExitCode;
  /** Where it arises: for the table in docs/reasons.md. */
  stage: 'manifest' | 'volume' | 'host' | 'stack' | 'run' | 'hook' | 'cli';
  /** One line: what it means. */
  means: string;
  /** The generic fix; a problem may carry a more precise one (with paths). */
  fix?: string;
}

const refuse = (stage: ReasonInfo['stage'], means: string, fix: string): ReasonInfo => ({ severity: 'error', exit: ExitCode.Refused, stage, means, fix });
const warn = (stage: ReasonInfo['stage'], means: string, fix: string): ReasonInfo => ({ severity: 'warning', stage, means, fix });
const fail = (stage: ReasonInfo['stage'], means: string, fix: string): ReasonInfo => ({ severity: 'error', exit: ExitCode.Failed, stage, means, fix });
const event = (stage: ReasonInfo['stage'], means: string, severity: Severity = 'info'): ReasonInfo => ({ severity, stage, means });

export const REASONS = {
  // ---- the manifest (domain/)
  ManifestInvalid: refuse('manifest', 'not YAML/JSON, not one object, or not a single document', 'give one VirtualMachineInstance as YAML or JSON'),
  ManifestUnreadable: refuse('manifest', 'the manifest file cannot be read', 'pass the VirtualMachineInstance manifest with --vmi FILE or the VMI_FILE environment variable'),
  ManifestTooLarge: refuse('manifest', 'the manifest file is larger than 1 MiB', 'pass the VirtualMachineInstance manifest itself, not another file'),
  ApiVersionUnsupported: refuse('manifest', 'apiVersion is not kubevirt.io/v1 or v1alpha3', 'use apiVersion: kubevirt.io/v1'),
  KindUnsupported: refuse('manifest', 'kind is not VirtualMachineInstance or VirtualMachine', 'give a VirtualMachineInstance (or a VirtualMachine with spec.template)'),
  FieldNotSupported: refuse('manifest', 'a field vm-launcher does not implement: refused, never silently dropped', 'remove the field (see docs/manifest.md)'),
  FieldInvalid: refuse('manifest', 'a field with a wrong type or value', 'correct the field as the message says'),
  ProbePortNotForwarded: refuse('manifest', 'a tcpSocket/httpGet probe names a port the pod does not forward to the guest (or the VMI has no NIC)', 'forward the port in the interface\'s ports, or use an exec or guestAgentPing probe'),
  FieldMissing: refuse('manifest', 'a field that must be present is absent', 'add the field'),
  NameTooLongForFiles: refuse('manifest', 'namespace and name are legal but too long for the files libvirt names after the VM (255 bytes per file name)', 'use a shorter metadata.name: the message gives the limit'),
  NameInvalid: refuse('manifest', 'metadata.name or namespace is not a valid Kubernetes name', 'use lowercase letters, digits, dashes (and dots in names)'),
  VolumeNameInvalid: refuse('manifest', 'a volume name is not a DNS-1123 label (it would become part of a path)', 'name the volume with lowercase letters, digits and dashes, at most 63 characters'),
  VolumeNameDuplicate: refuse('manifest', 'two volumes share a name', 'give each volume its own name'),
  DiskNameDuplicate: refuse('manifest', 'two disks share a name', 'give each disk its own name'),
  VolumeMissing: refuse('manifest', 'a disk names a volume that spec.volumes does not have', 'add the volume to spec.volumes or fix the disk\'s name'),
  DiskMissing: refuse('manifest', 'a volume that no disk uses', 'add a disk for the volume or remove the volume'),
  VolumeUsedTwice: refuse('manifest', 'two disks on one volume: one volume backs exactly one disk', 'give each disk its own volume'),
  MemoryMissing: refuse('manifest', 'neither memory.guest nor resources.requests.memory', 'set spec.domain.memory.guest (for example 1Gi)'),
  MemoryAboveLimit: warn('manifest', 'guest memory above resources.limits.memory leaves no room for QEMU', 'raise resources.limits.memory by about 250 MiB above the guest memory'),
  BootOrderDuplicate: refuse('manifest', 'two disks with the same bootOrder', 'give each disk its own bootOrder'),
  HostDiskPathInvalid: refuse('manifest', 'a hostDisk path that is not absolute and normalized', 'use an absolute path without . or .. parts'),
  UidNotUuid: warn('manifest', 'metadata.uid is not a UUID: the domain UUID is derived from namespace/name', 'leave uid to Kubernetes, or remove it'),
  CacheNoneUnsupported: refuse('volume', 'cache: none where the image\'s filesystem refuses O_DIRECT', 'remove cache (the launcher then picks writethrough), or move the image to a filesystem with O_DIRECT'),
  IoNativeNeedsCacheNone: refuse('manifest', 'io: native with a cache mode other than none', 'remove io, or use cache: none'),
  CompactFormDefault: warn('manifest', 'the compact form (kind: VMI) left a field out and vm-launcher applied its documented default', 'write the field to choose another value'),
  KubeVirtDefault: warn('manifest', 'a default KubeVirt\'s webhook or converter applies was applied (a disk for a volume without one, secure boot on)', 'write the field out to choose another value'),
  HandledByScheduler: warn('manifest', 'a scheduling field Kubernetes acted on before the pod started: accepted, nothing left for the launcher to do', 'nothing to do'),
  FieldNeedsCluster: refuse('manifest', 'a field that needs KubeVirt\'s node agent (virt-handler) or a live cluster, which a pod alone does not have', 'use the alternative the message names'),
  InstancetypeNotFound: refuse('manifest', 'spec.instancetype or spec.preference names a document that is neither in --instancetypes-dir nor among the bundled common-instancetypes', 'mount its document in --instancetypes-dir (a ConfigMap), or name a bundled one (docs/instancetypes.md)'),
  InstancetypeInvalid: refuse('manifest', 'an instance type or preference document is malformed, ambiguous or holds a field vm-launcher does not know', 'correct the document as the message says (docs/instancetypes.md)'),
  InstancetypeConflict: refuse('manifest', 'the VirtualMachine sets a field its instance type also sets (KubeVirt\'s webhook refuses it too)', 'remove the field from the VirtualMachine, or drop spec.instancetype and write the values yourself'),
  PreferenceRequirementsNotMet: refuse('manifest', 'the preference requires more vCPUs or memory, or another architecture, than the instance type or the VirtualMachine gives (KubeVirt refuses it too)', 'pick a larger instance type, or give the VM what the preference requires'),
  InstancetypeRevisionNotChecked: warn('manifest', 'spec.instancetype/preference.revisionName names a ControllerRevision in the cluster, which vm-launcher cannot read: the document found by kind and name is used', 'make sure the document in --instancetypes-dir (or the bundled one) is the one the revision recorded; remove revisionName to silence this'),
  VmHalted: refuse('manifest', 'a VirtualMachine with runStrategy Halted (or running: false): KubeVirt would not start it', 'set spec.runStrategy: Always (or Manual) to run it'),
  SecureBootNeedsSmm: refuse('manifest', 'EFI secure boot without features.smm (KubeVirt refuses it too)', 'add spec.domain.features.smm: {} or set bootloader.efi.secureBoot: false'),
  AcpiOff: warn('manifest', 'features.acpi is off: the guest never sees the ACPI power button, so every stop ends forced at the grace deadline', 'remove acpi.enabled: false unless the guest cannot use ACPI'),
  CpuModelUnderTcg: warn('manifest', 'cpu.model host-model or host-passthrough under software emulation (TCG): the guest gets QEMU\'s maximum model instead', 'run with KVM for the host CPU, or name a CPU model'),
  DeviceNotProvided: warn('manifest', 'a device KubeVirt would add that vm-launcher does not provide (graphics: the serial console is the only console)', 'read the guest\'s serial console in the log'),
  VolumeFactsMissing: { severity: 'error', exit: ExitCode.Internal, stage: 'manifest', means: 'the domain was built without a volume\'s facts (a bug)', fix: 'report it' },

  // ---- volumes and images (launcher/inspect)
  VolumeNotFound: refuse('volume', 'neither a block device /dev/NAME nor a directory DIR/NAME', 'add the PVC to the pod: volumeDevices (block) or volumeMounts (filesystem)'),
  VolumeAmbiguous: refuse('volume', 'the volume is both a block device and a directory', 'remove one of them from the pod spec'),
  VolumeNotBlockDevice: refuse('volume', '/dev/NAME exists but is not a block device', 'map the block PVC with volumeDevices at /dev/NAME'),
  VolumeNotDirectory: refuse('volume', 'the volume path is not a directory', 'mount the filesystem PVC at DIR/NAME'),
  VolumeInspectFailed: refuse('volume', 'the volume could not be inspected (an unexpected error)', 'check the volume\'s mount and permissions in the pod'),
  VolumeHasExtraImage: refuse('volume', 'another image beside disk.img: one volume backs exactly one disk', 'move the other image to a volume of its own'),
  VolumeHasExtraFile: warn('volume', 'a file beside disk.img that vm-launcher ignores', 'remove it if it is not needed'),
  DiskImageMissing: refuse('volume', 'a filesystem volume without disk.img', 'put the VM\'s raw disk image at the root of the volume, named disk.img'),
  DiskImageIsDirectory: refuse('volume', 'disk.img is a directory', 'disk.img must be the raw image file itself'),
  DiskImageNotRegularFile: refuse('volume', 'disk.img (or a hostDisk) is a FIFO, socket or device', 'use a regular raw image file'),
  DiskImageOutsideVolume: refuse('volume', 'disk.img is a symlink that leads out of its volume', 'copy the image into the volume as disk.img'),
  DiskImageNotAccessible: refuse('volume', 'the user QEMU runs as cannot read (or write) the image', 'chown 107 the image or set the pod\'s fsGroup; for a device, the node\'s device permissions'),
  DiskImageLocked: refuse('volume', 'a process that is not a QEMU holds a lock on bytes QEMU locks in the image: QEMU would refuse to open it', 'find the process (lslocks; the message names it when the kernel does) and stop it or let it finish'),
  DiskImageInUse: refuse('volume', 'a running QEMU holds the image\'s locks (another VM uses it)', 'stop the VM that uses the disk before starting this one'),
  DiskImageNotRaw: refuse('volume', 'qemu-img sees another format (qcow2, vmdk...) in an image vm-launcher never booted as raw', 'a real qcow2: convert it into a new file, check it, keep the original until the VM boots; a raw disk whose guest wrote the header: touch .disk.img.vm-launcher-raw beside it (never convert it)'),
  DiskImageHasBackingFile: refuse('volume', 'the image depends on a backing file', 'flatten it into a new raw file (qemu-img convert -O raw), keep the original and its backing file until the VM boots'),
  DiskImageEmpty: refuse('volume', 'the image has a virtual size of zero', 'put a real disk image on the volume'),
  DiskImageTooLarge: refuse('volume', 'the image is larger than its filesystem', 'grow the PVC, or shrink the image after shrinking the guest\'s filesystem'),
  DiskImageMayNotFit: warn('volume', 'a sparse image may outgrow the free space of its filesystem', 'grow the PVC or preallocate the image: a full volume pauses the guest on write'),
  DiskImageInspectFailed: refuse('volume', 'qemu-img info failed on the image', 'check the image by hand with qemu-img info'),
  DiskImageInspectTimeout: refuse('volume', 'qemu-img info did not finish in time (hostile image or stalled volume)', 'check the image and its volume by hand'),
  VolumeNotMountPoint: refuse('volume', 'disk.img is missing and the volume directory is not a mount point: nothing is created on the pod\'s own filesystem', 'mount the PVC at the volume directory; for a local run, --allow-plain-dir yes'),
  VolumeNotEmpty: refuse('volume', 'disk.img is missing and the volume holds other files: an image is created only on an empty volume', 'remove the other files, or put the VM\'s image there as disk.img'),
  VolumeNotWritable: refuse('volume', 'disk.img is missing and the VM user cannot create files in the volume directory', 'chown 107 the volume directory or set the pod\'s fsGroup'),
  VolumeTooSmall: refuse('volume', 'the volume cannot hold the disk image asked for, even within the 10 % tolerance', 'use a larger PVC or ask for a smaller image'),
  ToleratedSmallPV: warn('volume', 'the volume is smaller than the image asked for, within the 10 % tolerance: the image is created smaller', 'use a PVC with room for the image plus filesystem overhead'),
  VolumeReadOnly: refuse('volume', 'the image is on a read-only filesystem but the disk is not readonly', 'mount the PVC read-write, or mark the disk readonly'),
  DiskImageNotWritable: refuse('volume', 'the image is append-only or immutable (chattr +a/+i): QEMU cannot open it for writing', 'chattr -a -i the image if the flag was not meant, or mark the disk readonly'),
  DiskImageUsedTwice: refuse('volume', 'two disks are backed by the same file or device (QEMU\'s locks would refuse the second)', 'give each disk its own image'),
  GuestMemoryTooLarge: refuse('manifest', 'the guest\'s memory is more than the node\'s RAM and swap', 'give the guest less memory, or run it on a larger node'),
  CpuCountTooLarge: refuse('manifest', 'more vCPUs than the machine type takes (QEMU\'s cpu-max)', 'use fewer sockets x cores x threads, or a machine type that takes more (q35)'),
  MachineTypeUnknown: refuse('manifest', 'a machine type the installed QEMU does not offer', 'use one QEMU lists (q35, pc...) or remove machine.type'),
  HostDiskMissing: refuse('volume', 'a hostDisk path that does not exist in the pod', 'mount the host path into the pod, or create the image first'),

  // ---- the pod network and cloud-init (domain/manifest/vmi-networks.ts, domain/manifest/vmi-cloud-init.ts, launcher/inspect)
  InterfaceBindingUnsupported: refuse('manifest', 'a binding passt cannot give: bridge, sriov, macvtap, slirp, or a binding plugin other than passt (they need KubeVirt\'s privileged node agent, a device plugin or a CNI plugin)', 'use passtBinding: {} or masquerade: {} (both through passt, unprivileged)'),
  NetworkMultusUnsupported: refuse('manifest', 'a Multus network: it needs Multus and KubeVirt\'s privileged node agent', 'use the pod network (pod: {})'),
  NetworkTooMany: refuse('manifest', 'more than one network or interface: the guest gets one NIC, on the pod network', 'keep one pod network and its one interface'),
  InterfaceNetworkMismatch: refuse('manifest', 'an interface without a network of the same name, or a network without an interface', 'name the interface after its network (KubeVirt pairs them by name)'),
  CloudInitDataInvalid: refuse('manifest', 'cloud-init userDataBase64 or networkDataBase64 is not valid base64', 'encode the data with base64 -w0, or use userData/networkData as plain text'),
  CloudInitDataTooLarge: refuse('manifest', 'cloud-init data above its limit: 2048 bytes inline (KubeVirt\'s), 1 MiB from a Secret', 'put larger data in a Secret and use secretRef / networkDataSecretRef'),
  CloudInitSecretMissing: refuse('volume', 'a cloud-init secretRef whose data is not where the pod mounts the Secret', 'mount the Secret at <secrets-dir>/<volume>/ (key userdata or userData; networkdata or networkData)'),
  AccessCredentialNeedsCloudInit: refuse('manifest', 'an accessCredentials sshPublicKey propagated by noCloud (configDrive) but the VMI has no cloudInitNoCloud (cloudInitConfigDrive) volume: KubeVirt\'s webhook refuses it too', 'add a cloudInitNoCloud (or cloudInitConfigDrive) volume and its disk; userData may be just "#cloud-config"'),
  AccessCredentialSecretMissing: refuse('volume', 'an accessCredentials Secret is not where KubeVirt\'s pod mounts it (<secrets-dir>/<secret>-access-cred/), or cannot be read', 'mount the Secret at <secrets-dir>/<secretName>-access-cred (a secret volume, readable by the launcher), or set --secrets-dir'),
  SshPublicKeyInvalid: refuse('volume', 'a file of an accessCredentials Secret holds a line that is not an SSH public key (type, base64 blob of that type, optional comment; no control characters)', 'put public keys only, one per line, as ssh-keygen writes them in the .pub file (ssh-ed25519 AAAA... comment)'),
  PasstMissing: refuse('host', 'the VMI has a network interface but passt is not installed', 'apt-get install --no-install-recommends passt (the image has it)'),
  PasstUnsupportedByLibvirt: refuse('host', 'this libvirt refuses the passt backend (Debian bookworm\'s 9.0 has it disabled)', 'run the vm-launcher image (libvirt 11) or a host with libvirt 11.1 or later'),
  PortBelowUnprivilegedStart: refuse('host', 'a forwarded port is below net.ipv4.ip_unprivileged_port_start: passt, unprivileged, cannot bind it', 'set the pod sysctl net.ipv4.ip_unprivileged_port_start=0 (securityContext.sysctls; it is in the kubelet\'s safe list)'),
  ForwardAllSkipsLowPorts: warn('host', 'every port is forwarded, but ports below net.ipv4.ip_unprivileged_port_start (22, 80, 443...) cannot be bound and are not', 'set the pod sysctl net.ipv4.ip_unprivileged_port_start=0, or list the guest\'s ports in interfaces[].ports'),
  PasstSocketPathTooLong: refuse('host', 'passt\'s unix socket path (runtime dir, domain name, interface name) is longer than 107 bytes', 'use a shorter --runtime-dir or interface name'),
  OpenFileLimitTooLow: refuse('host', 'forwarding every port needs about 100,000 open files; the pod\'s hard limit is lower', 'list the guest\'s ports in interfaces[].ports, or raise the container\'s nofile limit'),
  XorrisoMissing: refuse('host', 'the VMI has a cloud-init volume but xorrisofs (which builds the seed) is not installed', 'apt-get install --no-install-recommends xorriso (the image has it)'),
  VirtiofsdUnavailable: refuse('host', 'the VMI shares a volume with virtiofs but no virtiofsd that runs unprivileged is installed (QEMU 7.2\'s C virtiofsd, Debian bookworm\'s, needs root)', 'run the vm-launcher image, or apt-get install --no-install-recommends virtiofsd (Debian trixie: the Rust virtiofsd at /usr/libexec/virtiofsd)'),
  VirtiofsSocketPathTooLong: refuse('host', 'virtiofsd\'s unix socket path (runtime dir, volume name) is longer than 107 bytes', 'use a shorter --runtime-dir or volume name'),
  ShareNotAccessible: refuse('volume', 'the VM user cannot read, write or enter the directory a virtiofs filesystem shares', 'chown 107 the volume directory or set the pod\'s fsGroup (a readOnly claim needs read and enter only)'),
  VirtiofsdFailed: fail('run', 'virtiofsd exited (or did not listen) while starting', 'read virtiofsd\'s message in the log'),
  VirtiofsdStarted: event('run', 'virtiofsd serves a shared volume on its socket'),
  VirtiofsdOutput: event('run', 'a line virtiofsd printed, at its own level, with the volume\'s name'),
  VirtiofsdExited: event('run', 'virtiofsd stopped while the guest ran: the guest\'s share no longer answers (its files are safe on the volume)', 'error'),
  VirtiofsdKilled: event('run', 'virtiofsd did not stop on SIGTERM at exit and was killed', 'warning'),
  CloudInitSeedFailed: fail('run', 'xorrisofs could not build the cloud-init seed (failed or timed out)', 'read xorrisofs\'s message in the log'),

  // ---- the host and the runtime dir (launcher/inspect, launcher/stack)
  HostProgramMissing: refuse('host', 'a program of the private stack is not installed', 'install the Debian package the message names'),
  RunAsUserUnknown: refuse('host', 'the VM user has no passwd entry (libvirtd and dbus-daemon need one)', 'useradd --system -u 107 -g 107 -M -s /usr/sbin/nologin vm-launcher (the image has one)'),
  RuntimeDirTooLong: refuse('host', 'the runtime dir path is too long for libvirt\'s unix sockets below it', 'use a shorter --runtime-dir (the default fits)'),
  RuntimeDirNotEmpty: refuse('host', 'the runtime dir holds files that are not provably a dead launcher\'s (its owner marker and names); nothing was removed', 'point --runtime-dir at an empty or absent directory: vm-launcher removes only what it created'),
  RuntimeDirUnsafe: refuse('host', 'the runtime dir is a symbolic link, not a directory, or belongs to another user a non-root launcher cannot keep out', 'point --runtime-dir at a path that does not exist yet, or at a directory the launcher\'s user owns'),
  RuntimeDirUnusable: refuse('host', 'the runtime dir could not be prepared (full, read-only, no permission)', 'give the runtime dir a writable filesystem with room (an emptyDir of at least 16 MiB)'),
  RuntimeDirInUse: refuse('host', 'another running launcher owns the runtime dir', 'give each launcher its own --runtime-dir'),
  EphemeralDirUnusable: refuse('host', 'the ephemeral dir (emptyDisk images, ephemeral overlays) cannot be created or written by the launcher', 'mount an emptyDir at --ephemeral-dir (default /var/run/kubevirt-ephemeral-disks)'),
  NvramDirMissing: refuse('host', 'efi.persistent asks for NVRAM that survives the pod, but the NVRAM dir is absent or not writable', 'mount a PVC at --nvram-dir (default /var/lib/libvirt/qemu/nvram), or remove efi.persistent'),
  FirmwareMissing: refuse('host', 'EFI firmware (OVMF) or its libvirt descriptors are not installed', 'apt-get install ovmf (the image has it)'),
  PreflightFailed: refuse('host', 'summary line: preflight found problems; nothing was started', 'fix the problems logged before it'),
  ConsoleUnavailable: { severity: 'error', exit: ExitCode.Failed, stage: 'cli', means: '`vm-launcher console` found no running guest\'s console to attach to (the message says why: no launcher, a launcher that is gone, a guest still starting)', fix: 'run it where `vm-launcher run` runs (the VM pod\'s container), with the same --runtime-dir if run got one; a starting guest: wait until `vm-launcher probe ready` passes' },
  ConsoleSocketRefused: { severity: 'error', exit: ExitCode.Failed, stage: 'cli', means: 'the console socket in the runtime dir is not the launcher\'s (a link, a socket of another user): not connected', fix: 'the runtime dir\'s user (the VM user) replaced it: treat the pod as compromised and restart it' },
  ConsoleTakenOver: { severity: 'info', exit: ExitCode.ConsoleTakenOver, stage: 'cli', means: 'another `vm-launcher console` attached to the guest: the newest attach wins and this one was detached', fix: 'attach again to take the console back' },
  StatusUnavailable: { severity: 'error', exit: ExitCode.Failed, stage: 'cli', means: '`vm-launcher status` found no status file it can trust (no launcher runs there, or the file is not the launcher\'s)', fix: 'run it in the VM pod\'s container with the launcher\'s --runtime-dir, while the launcher runs' },
  UsageInvalid: { severity: 'error', exit: ExitCode.Usage, stage: 'cli', means: 'bad command line', fix: 'see vm-launcher --help' },
  InternalError: { severity: 'error', exit: ExitCode.Internal, stage: 'cli', means: 'an error nobody expected: a bug', fix: 'report the log line with its stack' },
  PodHostDeviceMissing: refuse('cli', '`pod --for podman`: a Block claim has no host device to stand in for it (podman has no block claims)', 'give --host-device VOLUME=/dev/loopN'),
  PodSchemaInvalid: { severity: 'error', exit: ExitCode.Internal, stage: 'cli', means: '`pod --validate`: a rendered object fails the Kubernetes API schema (a bug in the renderer)', fix: 'report it with the VMI' },
  PodSchemaUnavailable: refuse('cli', '`pod --validate` needs the npm package kubernetes-models, which is not installed (the image ships the launcher alone)', 'run it where vm-launcher was installed with npm, or without --validate'),
  PodOutputFailed: fail('cli', '`pod --quadlet DIR` could not write its files', 'check that DIR exists and is writable'),

  // ---- the private stack (launcher/stack)
  DaemonExited: fail('stack', 'dbus-daemon, libvirtd or libvirt-dbus exited', 'read the daemon\'s last lines in the log (DaemonLogTail)'),
  DaemonStartTimeout: fail('stack', 'a daemon of the stack did not answer within 10 s', 'read the daemon\'s last lines in the log; an overloaded node?'),
  DefineFailed: fail('stack', 'libvirt refused the domain XML', 'run vm-launcher domain to see the XML; read libvirt\'s message'),
  StartFailed: fail('run', 'libvirt could not start QEMU', 'read QEMU\'s log lines (QemuLogTail) above'),
  EphemeralDirUnsafe: fail('run', 'a directory under the ephemeral dir is a link or belongs to another user: the launcher never follows it (the VM user can write the ephemeral dir)', 'remove what is there (empty-disks/, disk-data/): only vm-launcher makes them; find out who planted it'),
  CreatedDiskFailed: fail('run', 'qemu-img could not create an emptyDisk image or an ephemeral overlay', 'read qemu-img\'s message; is the ephemeral dir full or read-only?'),
  CacheDirUnavailable: event('stack', 'the cache dir cannot be used: the capabilities probe runs on every start', 'warning'),
  CapabilitiesSeeded: event('stack', 'libvirt\'s QEMU capabilities cache was seeded from the image: no probe at start'),
  CapabilitiesSeedUnused: event('stack', 'the image\'s QEMU capabilities seed does not fit this node or cache: libvirt probes QEMU (0.6-0.8 s)'),
  StatusWriteFailed: event('stack', 'the status file could not be written (probes may be stale)', 'warning'),
  DaemonLogTail: event('stack', 'the last lines a daemon printed, logged on failure', 'warning'),
  RuntimeDirWriteFailed: fail('stack', 'a file in the runtime dir could not be written (its filesystem is full or read-only)', 'give the runtime dir room (an emptyDir of at least 16 MiB); nothing is left running'),
  DaemonLogUnwritable: event('stack', 'a daemon\'s log file could not be written (its lines still reach the launcher\'s log)', 'warning'),
  RuntimeDirKept: event('stack', 'the runtime dir holds files vm-launcher did not create (a hook\'s?): they and the directory are kept', 'warning'),
  RuntimeDirLeftoversRemoved: event('stack', 'a dead launcher\'s files (proven by its owner marker) were removed from the runtime dir'),
  LeftoversStopped: event('stack', 'a killed launcher\'s daemons or QEMU, still running, were stopped', 'warning'),

  // ---- the run (launcher/run)
  DiskImageCreateFailed: fail('run', 'creating a missing disk.img failed (nothing was left in its place)', 'read the message; check the volume\'s space and permissions'),
  DiskImageCreated: event('run', 'a missing disk.img was created (size, why, sparse or preallocated)'),
  DiskImageGrown: event('run', 'disk.img was extended to what its volume holds (--expand-disks yes)'),
  DiskImageGrowFailed: event('run', 'extending disk.img failed; the guest starts with the image as it was', 'warning'),
  PreflightPassed: event('run', 'every check passed; the stack starts next'),
  StartingStack: event('run', 'phase: starting the private libvirt stack'),
  StackReady: event('run', 'phase: the stack answers; defining the domain'),
  Defined: event('run', 'phase: the domain is defined; starting it'),
  Started: event('run', 'phase: the guest runs'),
  StartupTimings: event('run', 'where start-up time went (ms since the process started)'),
  FirstConsoleOutput: event('run', 'the guest wrote its first console byte'),
  ShutdownRequested: event('run', 'SIGTERM/SIGINT/SIGQUIT/SIGHUP: the guest gets an ACPI shutdown'),
  ForceRequested: event('run', 'a second SIGINT: the guest is forced off', 'warning'),
  AcpiShutdownSent: event('run', 'the ACPI power button was pressed'),
  AcpiShutdownFailed: event('run', 'libvirt refused the ACPI request (it is retried)', 'warning'),
  DestroyFailed: event('run', 'libvirt refused to destroy the guest (QEMU was signalled by its pid already; SIGKILL follows if it stays)', 'warning'),
  QemuKilled: event('run', 'QEMU outlived its libvirtd and was killed', 'warning'),
  DestroyTimedOut: event('run', 'QEMU did not exit within 3 s of the forced power-off\'s SIGTERM (stuck in I/O?): it was killed (SIGKILL) by its pid', 'warning'),
  DiskImageChanged: fail('run', 'QEMU opened another file than the one preflight checked (disk.img replaced after preflight); the guest never ran', 'find who changes the volume while the VM starts; start again'),
  DiskIdentityUnchecked: fail('run', 'QEMU\'s open files could not be listed, so its disks could not be compared with what preflight inspected: the guest is stopped before it ran', 'read the message; QEMU\'s user must be able to read /proc/<QEMU pid>/fd (is /proc mounted with hidepid?)'),
  ConsoleUnreadable: event('run', 'the guest\'s serial console could not be kept: QEMU\'s socket refused (a link, another owner), or the console file or --console-log cannot be written', 'warning'),
  ConsoleAttached: event('run', 'a `vm-launcher console` attached'),
  ConsoleDetached: event('run', 'the attached console detached (Ctrl-], end of input, or its process ended)'),
  GuestPausedIoError: event('run', 'QEMU paused the guest on an I/O error (a full volume): data safe, not ready; it resumes once there is room', 'warning'),
  GuestResuming: event('run', 'the volume has room again: the guest paused on an I/O error is resumed'),
  GuestResumed: event('run', 'the guest runs again after its I/O error'),
  GuestResumeFailed: event('run', 'resuming a guest paused on an I/O error failed (retried)', 'warning'),
  ShutdownWhilePaused: event('run', 'a shutdown was asked while the guest is paused on an I/O error: it gets the grace period for room to come back', 'warning'),
  SignalIgnored: event('run', 'a signal the launcher ignores on purpose (SIGUSR1, SIGUSR2...; see docs/operations.md: Signals)'),
  QemuLogTail: event('run', 'QEMU\'s last log lines, logged on failure', 'warning'),
  InvalidTransition: event('run', 'a bug: an impossible phase change was asked for', 'error'),
  RunningAsInit: event('run', 'the launcher is PID 1: orphans are not reaped', 'warning'),
  NoKvm: event('run', 'accel auto fell back to software emulation (TCG)', 'warning'),
  NetworkPlanned: event('run', 'the guest\'s NIC: binding, passt backend, address, forwarded ports (or: no NIC)'),
  OpenFileLimitRaised: event('run', 'the open-file soft limit was raised to the hard limit for passt\'s forwarded ports'),
  CloudInitSeedBuilt: event('run', 'the cloud-init seed (ISO9660) is built in the runtime dir'),
  PasstKilled: event('run', 'passt outlived its libvirtd and was stopped', 'warning'),
  PasstLogTail: event('run', 'passt\'s last log lines, logged on failure', 'warning'),
  GuestShutdown: { severity: 'info', exit: ExitCode.Clean, stage: 'run', means: 'the guest shut down cleanly after the ACPI request' },
  GuestPoweredOff: { severity: 'info', exit: ExitCode.Clean, stage: 'run', means: 'the guest powered itself off' },
  GuestShutdownByAgent: { severity: 'info', exit: ExitCode.Clean, stage: 'run', means: 'the guest ignored the ACPI power button and shut down cleanly when asked through its guest agent' },
  AgentConnected: event('run', 'the guest agent connected to its channel (org.qemu.guest_agent.0): guest OS, hostname and addresses follow in the status file'),
  AgentDisconnected: event('run', 'the guest agent left its channel (stopped, or the guest rebooted); the guest information is the last known', 'warning'),
  UnsupportedAgent: event('run', 'the guest agent lacks commands KubeVirt requires (guest-ping, -info, -shutdown, -get-osinfo...): KubeVirt would mark it UnsupportedAgent', 'warning'),
  GuestInfoChanged: event('run', 'what the guest agent reports changed: OS, hostname, addresses'),
  AgentCommandFailed: event('run', 'a guest agent poll got no usable answer (logged at debug; retried on the next poll)'),
  AgentShutdownSent: event('run', 'the guest ignored the ACPI power button: it was asked to power off through its guest agent', 'warning'),
  AgentShutdownFailed: event('run', 'the shutdown through the guest agent failed (retried while the agent is connected)', 'warning'),
  AccessCredentialsApplied: event('run', 'accessCredentials went through the guest agent: each user\'s SSH keys (authorized_keys replaced) and passwords set'),
  AccessCredentialFailed: event('run', 'an accessCredentials key or password could not be set through the guest agent (the user does not exist yet, an agent without guest-ssh-add-authorized-keys...): retried while the agent is connected; the VM keeps running', 'warning'),
  ReadinessProbeSucceeded: event('run', 'the VMI\'s readinessProbe passes (successThreshold reached): `probe ready` passes'),
  ReadinessProbeFailed: event('run', 'the VMI\'s readinessProbe failed failureThreshold times: `probe ready` fails', 'warning'),
  LivenessProbeSucceeded: event('run', 'the VMI\'s livenessProbe passes again'),
  LivenessProbeFailed: event('run', 'the VMI\'s livenessProbe failed failureThreshold times: `probe live` fails and Kubernetes restarts the pod', 'error'),
  GracePeriodExpired: { severity: 'error', exit: ExitCode.Forced, stage: 'run', means: 'the guest did not shut down within the grace period and was destroyed', fix: 'make the guest honour ACPI (acpid, systemd-logind) or raise terminationGracePeriodSeconds' },
  GracePeriodNotHonoured: warn('run', 'the Pod gives less time than the guest\'s shutdown and the launcher\'s stop need (VM_LAUNCHER_POD_GRACE_PERIOD at most the grace period + 5 s): the kubelet may SIGKILL the guest mid-shutdown', 'set the Pod\'s terminationGracePeriodSeconds to the VMI\'s + 15 (vm-launcher pod does), and stop podman with -t as long'),
  GracePeriodZero: { severity: 'warning', exit: ExitCode.Forced, stage: 'run', means: 'grace period 0: the guest is destroyed at once', fix: 'set terminationGracePeriodSeconds above 0 for a clean shutdown' },
  ForcedBySignal: { severity: 'warning', exit: ExitCode.Forced, stage: 'run', means: 'a second SIGINT forced the guest off' },
  QemuExited: fail('run', 'QEMU stopped without a shutdown (killed or crashed)', 'read the guest console and QemuLogTail above'),
  QemuTerminatedByHost: fail('run', 'QEMU quit on a request from outside the guest (SIGTERM, SIGINT or SIGHUP to QEMU, a QMP quit), not on the guest\'s power-off', 'find who signals QEMU (the VM user, an operator, a node agent); the guest was not shut down cleanly'),
  GuestDestroyedExternally: fail('run', 'someone else destroyed the guest', 'find who talks to the private libvirt'),
  Aborted: { severity: 'warning', exit: ExitCode.Aborted, stage: 'run', means: 'a signal arrived before the guest ran: start-up aborted, nothing left running' },

  // ---- hooks (hooks/)
  HookTimedOut: fail('hook', 'a hook did not finish within its timeout', 'make the hook finish in time, or raise --hook-timeout'),
  HookFailed: fail('hook', 'a hook exited non-zero or was killed by a signal', 'read the hook\'s stderr in the log and fix it, or remove it'),
  HookNotExecutable: fail('hook', 'a hook could not be started (missing #! interpreter, noexec mount, no access for the VM user)', 'check the hook file, its interpreter and its mount'),
  HookOutputTooLarge: fail('hook', 'a hook printed more than 4 MiB on stdout', 'print only the result on stdout; diagnostics go to stderr'),
  HookOutputEmpty: fail('hook', 'an onDefineDomain hook printed nothing', 'print the whole domain XML, changed or not'),
  HookOutputInvalidXml: fail('hook', 'an onDefineDomain hook printed XML that does not parse or has no <domain> root', 'print well-formed domain XML'),
  HookOutputSchemaInvalid: fail('hook', 'an onDefineDomain hook printed XML libvirt\'s schema refuses', 'check the output with virt-xml-validate FILE domain'),
  HookCancelled: { severity: 'error', exit: ExitCode.Aborted, stage: 'hook', means: 'the launcher was told to stop while a hook ran', fix: 'nothing to fix' },
  HooksDirUnreadable: fail('hook', 'the hooks directory cannot be read', 'check --hooks-dir and its permissions'),
  HookSkipped: event('hook', 'a file in a hook dir is not run (dotfile, directory, not executable)'),
} as const satisfies Record<string, ReasonInfo>;

export type Reason = keyof typeof REASONS;

/** Each code as a constant (`Reason.FieldInvalid`), so a typo fails to compile. */
export const Reason = Object.fromEntries(Object.keys(REASONS).map((k) => [k, k])) as { readonly [K in Reason]: K };

export const ALL_REASONS: readonly Reason[] = Object.keys(REASONS) as Reason[];

export const reasonInfo = (r: Reason): ReasonInfo => REASONS[r];

/** The exit code a reason ends the launcher with (Failed for one that is not meant to end it). */
export const exitCodeFor = (r: Reason): ExitCode => REASONS[r].exit ?? ExitCode.Failed;
