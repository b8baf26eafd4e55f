// The fixes printed for an image that looks like another format. Never a command that overwrites the only copy:
// qemu-img's verdict may be wrong (a raw disk whose guest wrote a LUKS or qcow2 header at offset 0), and a
// conversion that fails half-way must leave the original where it was.

export const notRawFix = (path: string, format: string, marker: string): string =>
  `If ${path} really is a ${format} image (copied in by mistake): convert it into a NEW file, ` +
  `qemu-img convert -f ${format} -O raw ${path} ${path}.converted, check the new file, then move the original out of the volume ` +
  `(keep it until the VM boots) and rename the new file to ${path}. ` +
  `If it is a raw disk whose guest wrote this header (whole-disk encryption, an image stored on the disk), do not convert it: ` +
  `declare it raw with: touch ${marker}`;

export const backingFileFix = (path: string): string =>
  `Flatten it into a NEW raw file, qemu-img convert -O raw ${path} ${path}.converted, check it, ` +
  `then move the original and its backing file out of the volume (keep them until the VM boots) and rename the new file to ${path}. ` +
  `If the disk is raw and the header is the guest's, declare it raw instead (see DiskImageNotRaw).`;
