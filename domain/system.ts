// Values every process the launcher starts shares. Defined once: the stack's daemons, qemu-img and hooks all get
// this PATH and nothing inherited, so a hostile or odd environment cannot change which programs run.
export const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
