// SMBIOS strings the user writes (spec.domain.chassis.*, firmware.serial) go into libvirt's XML and QEMU's -smbios.
// XML 1.0 cannot carry most control characters even escaped (libvirt refuses `&#x1;` at define), and the others
// (tab, newline, DEL) make no sense in a guest's DMI table: refused here, where check sees them.
import { problem, type Problem } from '../problem.js';
import { Reason } from '../reasons.js';

// eslint-disable-next-line no-control-regex -- refusing control characters is the point
const CONTROL = /[\x00-\x1f\x7f]/;

/** A problem when `value` (at `field`) holds a control character; undefined when it is printable text. */
export function smbiosTextProblem(value: string, field: string): Problem | undefined {
  const at = value.search(CONTROL);
  if (at < 0) return undefined;
  const code = value.charCodeAt(at).toString(16).padStart(2, '0');
  return problem(Reason.FieldInvalid, `${field}: holds the control character \\x${code} at position ${at}; SMBIOS strings are printable text (libvirt refuses the domain)`, {
    field, fix: 'remove the control character (tabs and newlines included)',
  });
}
