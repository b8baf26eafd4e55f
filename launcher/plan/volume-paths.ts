// Where KubeVirt puts a pod's volumes. A volume name only becomes part of a path after it
// passed the DNS-1123 label check (again here: defence in depth against a caller that skipped it).
import { join } from 'node:path';
import { SETTINGS } from './settings.js';

export interface VolumeLayout {
  /** Filesystem volumes: `<volumesDir>/<volume>/disk.img`. */
  volumesDir: string;
  /** Block volumes: the device node `<devicesDir>/<volume>`. */
  devicesDir: string;
}

export const defaultLayout: VolumeLayout = {
  volumesDir: SETTINGS.volumesDir.default,
  devicesDir: SETTINGS.devicesDir.default,
};

export const DISK_IMAGE_NAME = 'disk.img';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function isSafeVolumeName(name: string): boolean {
  return DNS1123_LABEL.test(name);
}

export function volumePaths(layout: VolumeLayout, volume: string): { blockPath: string; dirPath: string } {
  if (!isSafeVolumeName(volume)) throw new Error(`unsafe volume name reached volumePaths: ${JSON.stringify(volume)}`);
  return { blockPath: join(layout.devicesDir, volume), dirPath: join(layout.volumesDir, volume) };
}
