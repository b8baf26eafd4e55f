// Is a directory a mount point? A volume's directory must be one before the launcher creates an image in it: in a
// pod, a plain directory there is the container's own filesystem, and an image written there is lost with the pod.
// st_dev differs from the parent's for most mounts; a bind mount of the same filesystem keeps st_dev, so the
// kernel's mount table (/proc/self/mountinfo) is asked too.
import { readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';

/** `realDir` must be a real path (no symlinks): mountinfo lists real paths. */
export async function isMountPoint(realDir: string): Promise<boolean> {
  if (realDir === '/') return true;
  const [here, parent] = await Promise.all([stat(realDir), stat(dirname(realDir))]);
  if (here.dev !== parent.dev) return true;
  return (await mountPoints()).has(realDir);
}

/** Mount points of this process's mount namespace (field 5 of mountinfo; spaces and the like are octal escapes). */
async function mountPoints(): Promise<Set<string>> {
  const text = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  return new Set(text.split('\n').map((line) => line.split(' ')[4]).filter((p): p is string => !!p).map(unescape));
}
