// A cloud-init volume as read from the manifest (manifest/vmi-cloud-init.ts); convert/cloud-init-seed.ts lays out its seed.

export type CloudInitDataSource = 'noCloud' | 'configDrive';

/** One datum (user data or network data) and where it comes from. */
export type CloudInitDatum =
  /** Bytes, not text: gzip-compressed user data is valid for cloud-init. */
  | { from: 'inline' | 'base64'; data: Buffer; field: string }
  | { from: 'secret'; secretName: string; field: string };

export interface CloudInitSpec {
  /** The volume (and the disk the guest sees it on). */
  volumeName: string;
  /** `spec.volumes[1].cloudInitNoCloud` */
  field: string;
  dataSource: CloudInitDataSource;
  userData?: CloudInitDatum;
  networkData?: CloudInitDatum;
}
