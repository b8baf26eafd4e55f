// Kubernetes name rules. A volume name becomes part of a path (`<volumes-dir>/<volume>/disk.img`), so it must be a
// DNS-1123 label before anything else sees it: no `/`, no `..`, nothing a shell or a path could misread.

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export const isDns1123Label = (s: string): boolean => s.length <= 63 && DNS1123_LABEL.test(s);

/** Object names (metadata.name): dot-separated labels, at most 253 characters. */
export const isDns1123Subdomain = (s: string): boolean =>
  s.length > 0 && s.length <= 253 && s.split('.').every((part) => DNS1123_LABEL.test(part));

// 20 characters is what a virtio-blk serial (VIRTIO_BLK_ID_BYTES) and an ATA serial can carry: a longer one
// would be cut short by QEMU without a word, so it is refused here instead.
const DISK_SERIAL = /^[A-Za-z0-9_.+-]{1,20}$/;

export const isDiskSerial = (s: string): boolean => DISK_SERIAL.test(s);

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export const isUuid = (s: string): boolean => UUID.test(s);
