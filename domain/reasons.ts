// Stable reason codes for problems found in a manifest or while building a domain.
// Logs, `check --json` and tests key on these strings: add new ones, never rename.
export const DomainReason = {
  /** The document is not YAML/JSON, not one object, or not a single document. */
  ManifestInvalid: 'ManifestInvalid',
  ApiVersionUnsupported: 'ApiVersionUnsupported',
  KindUnsupported: 'KindUnsupported',
  /** A field vm-launcher does not implement: refused, never silently dropped. */
  FieldNotSupported: 'FieldNotSupported',
  /** A field with a wrong type or value. */
  FieldInvalid: 'FieldInvalid',
  /** A field that must be present is absent. */
  FieldMissing: 'FieldMissing',
  /** metadata.name or metadata.namespace is not a valid Kubernetes name. */
  NameInvalid: 'NameInvalid',
  /** A volume name that is not a DNS-1123 label (it would become part of a path). */
  VolumeNameInvalid: 'VolumeNameInvalid',
  VolumeNameDuplicate: 'VolumeNameDuplicate',
  DiskNameDuplicate: 'DiskNameDuplicate',
  /** A disk names a volume that spec.volumes does not have. */
  VolumeMissing: 'VolumeMissing',
  /** A volume that no disk uses. */
  DiskMissing: 'DiskMissing',
  /** Two disks on one volume: the filesystem-PV design is one disk per volume. */
  VolumeUsedTwice: 'VolumeUsedTwice',
  /** Neither spec.domain.memory.guest nor spec.domain.resources.requests.memory. */
  MemoryMissing: 'MemoryMissing',
  /** Guest memory above resources.limits.memory leaves no room for QEMU (warning). */
  MemoryAboveLimit: 'MemoryAboveLimit',
  BootOrderDuplicate: 'BootOrderDuplicate',
  HostDiskPathInvalid: 'HostDiskPathInvalid',
  /** metadata.uid is not a UUID, so the domain UUID is derived from namespace/name (warning). */
  UidNotUuid: 'UidNotUuid',
  /** cache: none asked for where the image's location refuses O_DIRECT. */
  CacheNoneUnsupported: 'CacheNoneUnsupported',
  /** io: native asked for with a cache mode other than none (QEMU needs O_DIRECT for it). */
  IoNativeNeedsCacheNone: 'IoNativeNeedsCacheNone',
  /** buildDomain got no VolumeFacts for a disk's volume. */
  VolumeFactsMissing: 'VolumeFactsMissing',
} as const;

export type DomainReason = (typeof DomainReason)[keyof typeof DomainReason];

/** Every reason code domain/ can produce, for docs and tests to enumerate. */
export const DOMAIN_REASON_CODES: readonly DomainReason[] = Object.values(DomainReason);
