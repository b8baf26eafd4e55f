// The serial console's unix socket, which `vm-launcher console` attaches to (QEMU listens on it; every byte the guest
// writes still goes to the console log the launcher follows). A path too long for a unix socket costs only the
// attach, so it is a warning and the console stays a file, rather than a refusal of the whole VM.
import { problem, type Problem } from '../../domain/problem.js';
import { MAX_UNIX_SOCKET_PATH } from '../../domain/network-policy.js';

export function consoleSocket(path: string): { path?: string; problems: Problem[] } {
  const bytes = Buffer.byteLength(path);
  if (bytes <= MAX_UNIX_SOCKET_PATH) return { path, problems: [] };
  return {
    problems: [problem('ConsoleSocketPathTooLong', `the console socket would be ${path} (${bytes} bytes; a unix socket path holds ${MAX_UNIX_SOCKET_PATH}): the console goes to the log only`)],
  };
}
