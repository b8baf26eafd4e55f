// spec.domain.firmware: the bootloader (BIOS, or EFI with secure boot and persistent NVRAM), the SMBIOS system UUID
// and serial. KubeVirt's defaults apply and are said: EFI's secureBoot is on unless set to false.
import { problem } from '../problem.js';
import { Reason } from '../reasons.js';
import { isUuid } from './names.js';
import { fieldPath, readBoolean, readObject, readString, refuseUnknownKeys, type FieldRules, type Obj, type Problems } from './manifest-reader.js';
import { FIX_HINTS } from './vmi-fields.js';
import type { FeaturesSpec, FirmwareSpec } from '../model/index.js';

const FIRMWARE_FIELDS: FieldRules = { accepted: ['uuid', 'serial', 'bootloader'] };
const BOOTLOADER_FIELDS: FieldRules = { accepted: ['bios', 'efi'] };
const BIOS_FIELDS: FieldRules = { accepted: ['useSerial'] };
const EFI_FIELDS: FieldRules = { accepted: ['secureBoot', 'persistent'] };

export function parseFirmware(problems: Problems, firmware: Obj, path: string): FirmwareSpec {
  refuseUnknownKeys(problems, firmware, path, FIRMWARE_FIELDS, FIX_HINTS);
  const out: FirmwareSpec = { bootloader: 'bios' };
  const uuid = readString(problems, firmware, 'uuid', path);
  if (uuid !== undefined) {
    if (isUuid(uuid)) out.uuid = uuid.toLowerCase();
    else problems.push(problem(Reason.FieldInvalid, `${path}.uuid: ${JSON.stringify(uuid)} is not a UUID`, { field: `${path}.uuid`, fix: 'write a UUID such as 5d307ca9-b3ef-428c-8861-06e72d69f223, or remove it' }));
  }
  const serial = readString(problems, firmware, 'serial', path);
  if (serial !== undefined) {
    // eslint-disable-next-line no-control-regex -- SMBIOS strings are printable text
    if (serial.length > 0 && serial.length <= 64 && !/[\x00-\x1f\x7f]/.test(serial)) out.serial = serial;
    else problems.push(problem(Reason.FieldInvalid, `${path}.serial: must be 1 to 64 printable characters`, { field: `${path}.serial`, fix: 'write a short serial number' }));
  }
  const bootloader = readObject(problems, firmware, 'bootloader', path);
  if (!bootloader) return out;
  const blPath = fieldPath(path, 'bootloader');
  refuseUnknownKeys(problems, bootloader, blPath, BOOTLOADER_FIELDS, FIX_HINTS);
  const bios = readObject(problems, bootloader, 'bios', blPath);
  const efi = readObject(problems, bootloader, 'efi', blPath);
  if (bios && efi) {
    problems.push(problem(Reason.FieldInvalid, `${blPath}: bios and efi exclude each other`, { field: blPath, fix: 'keep one of bios and efi' }));
    return out;
  }
  if (bios) {
    refuseUnknownKeys(problems, bios, fieldPath(blPath, 'bios'), BIOS_FIELDS, FIX_HINTS);
    if (readBoolean(problems, bios, 'useSerial', fieldPath(blPath, 'bios')) === true) out.biosUseSerial = true;
  }
  if (efi) {
    const efiPath = fieldPath(blPath, 'efi');
    refuseUnknownKeys(problems, efi, efiPath, EFI_FIELDS, FIX_HINTS);
    out.bootloader = 'efi';
    const secureBoot = readBoolean(problems, efi, 'secureBoot', efiPath);
    if (efi['secureBoot'] === undefined || efi['secureBoot'] === null) { // absent (null is absent), not merely invalid
      problems.push(problem(Reason.KubeVirtDefault, `${efiPath}.secureBoot: not given; KubeVirt's default is true: secure boot is on (it needs features.smm)`, {
        field: `${efiPath}.secureBoot`, fix: 'set secureBoot: true or false to choose',
      }));
    }
    out.secureBoot = secureBoot ?? true;
    out.persistentNvram = readBoolean(problems, efi, 'persistent', efiPath) ?? false;
  }
  return out;
}

/** Secure boot needs SMM, or the guest could write the EFI variables that hold the keys (KubeVirt refuses it too). */
export function checkSecureBoot(problems: Problems, firmware: FirmwareSpec, features: FeaturesSpec, domainPath: string): void {
  if (firmware.bootloader !== 'efi' || !firmware.secureBoot || features.smm) return;
  const field = `${domainPath}.firmware.bootloader.efi.secureBoot`;
  problems.push(problem(Reason.SecureBootNeedsSmm, `${field}: secure boot needs SMM, which spec.domain.features.smm does not turn on`, {
    field, fix: 'add spec.domain.features.smm: {} (or set secureBoot: false)',
  }));
}
