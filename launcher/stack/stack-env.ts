// The environment every daemon of the private stack gets: nothing inherited from the launcher's, every XDG dir
// in the runtime dir, so libvirt in session mode touches nothing host-wide.
import { SYSTEM_PATH } from '../../domain/system.js';
import type { RuntimeLayout } from '../plan/runtime-layout.js';

/** The environment every daemon of the stack gets: nothing inherited from the launcher's. */
export function stackEnv(l: RuntimeLayout): Record<string, string> {
  return {
    PATH: SYSTEM_PATH,
    LANG: 'C.UTF-8',
    MALLOC_ARENA_MAX: '1',
    HOME: l.home,
    XDG_RUNTIME_DIR: l.xdgRuntime,
    XDG_CONFIG_HOME: l.xdgConfig,
    XDG_CACHE_HOME: l.cacheDir,
    DBUS_SESSION_BUS_ADDRESS: l.busAddress,
  };
}
