// A volume shared with the guest as a directory (virtiofs): read by manifest/vmi-filesystems.ts, written by
// convert/build-filesystems.ts, served by launcher/run/virtiofsd-process.ts.

/** A share as the launcher carries it out: the volume's directory, exported by virtiofsd under the tag `name`. */
export interface FilesystemSpec {
  /** The tag the guest mounts; also the volume's name (a checked DNS-1123 label, at most 36 bytes). */
  name: string;
  volumeName: string;
  /** `spec.domain.devices.filesystems[i]`, for messages. */
  field: string;
  claimName: string;
  /** The claim is read-only (`persistentVolumeClaim.readOnly`): virtiofsd exports it read-only. */
  readOnly: boolean;
}
