// spec.readinessProbe and spec.livenessProbe: KubeVirt's Probe (tcpSocket, httpGet, exec, guestAgentPing and the
// timing fields, with Kubernetes' defaults). tcpSocket and httpGet reach the guest the way the kubelet reaches a
// KubeVirt VMI, through a port the pod forwards to the guest: a probe on a port the interface does not forward, or
// on a VMI without a NIC, is refused here. exec and guestAgentPing go through the guest agent, as virt-probe does.
import { problem } from '../problem.js';
import { Reason } from '../reasons.js';
import { fieldPath, isObject, readArray, readInteger, readObject, readString, refuseUnknownKeys, type Obj, type Problems } from './manifest-reader.js';
import type { InterfaceSpec, ProbeAction, ProbeSpec, VmiProbes } from '../model/index.js';

const ACTIONS = ['tcpSocket', 'httpGet', 'exec', 'guestAgentPing'] as const;
const PROBE_FIELDS = { accepted: [...ACTIONS, 'initialDelaySeconds', 'periodSeconds', 'timeoutSeconds', 'successThreshold', 'failureThreshold'] };
const HOST_HINT = { host: 'the probe reaches the guest through the pod\'s forwarded port; remove host' };
const TCP_FIELDS = { accepted: ['port'] };
const HTTP_FIELDS = { accepted: ['port', 'path', 'scheme', 'httpHeaders'] };
const EXEC_FIELDS = { accepted: ['command'] };
/** Kubernetes' defaults for a Probe's timing fields. */
const DEFAULTS = { initialDelaySeconds: 0, periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 } as const;

/** Both probes of the spec at `specPath`, checked against the VMI's interface (its forwarded ports). */
export function parseProbes(problems: Problems, spec: Obj, specPath: string, interfaces: readonly InterfaceSpec[]): VmiProbes {
  const out: VmiProbes = {};
  for (const [key, slot] of [['readinessProbe', 'readiness'], ['livenessProbe', 'liveness']] as const) {
    const obj = readObject(problems, spec, key, specPath);
    if (!obj) continue;
    const parsed = parseProbe(problems, obj, fieldPath(specPath, key), interfaces);
    if (parsed) out[slot] = parsed;
  }
  return out;
}

function parseProbe(problems: Problems, obj: Obj, path: string, interfaces: readonly InterfaceSpec[]): ProbeSpec | undefined {
  refuseUnknownKeys(problems, obj, path, PROBE_FIELDS);
  const given = ACTIONS.filter((a) => obj[a] !== undefined && obj[a] !== null);
  if (given.length !== 1) {
    problems.push(problem(Reason.FieldInvalid, `${path}: ${given.length === 0 ? 'no' : given.length} probe action${given.length === 1 ? '' : 's'} (${given.join(', ') || 'none'}); a probe has exactly one`, {
      field: path, fix: `give one of ${ACTIONS.join(', ')}`,
    }));
    return undefined;
  }
  const kind = given[0]!;
  const actionPath = fieldPath(path, kind);
  const body = readObject(problems, obj, kind, path);
  if (!body) return undefined;
  const action = parseAction(problems, kind, body, actionPath, interfaces);
  const timing = {
    initialDelaySeconds: readInteger(problems, obj, 'initialDelaySeconds', path, 0) ?? DEFAULTS.initialDelaySeconds,
    periodSeconds: readInteger(problems, obj, 'periodSeconds', path, 1) ?? DEFAULTS.periodSeconds,
    timeoutSeconds: readInteger(problems, obj, 'timeoutSeconds', path, 1) ?? DEFAULTS.timeoutSeconds,
    successThreshold: readInteger(problems, obj, 'successThreshold', path, 1) ?? DEFAULTS.successThreshold,
    failureThreshold: readInteger(problems, obj, 'failureThreshold', path, 1) ?? DEFAULTS.failureThreshold,
  };
  if (path.endsWith('livenessProbe') && timing.successThreshold !== 1) {
    problems.push(problem(Reason.FieldInvalid, `${path}.successThreshold: must be 1 for a liveness probe (as Kubernetes requires), not ${timing.successThreshold}`, {
      field: `${path}.successThreshold`, fix: 'remove successThreshold or set it to 1',
    }));
  }
  return action && { action, ...timing, field: path };
}

function parseAction(problems: Problems, kind: (typeof ACTIONS)[number], body: Obj, path: string, interfaces: readonly InterfaceSpec[]): ProbeAction | undefined {
  switch (kind) {
    case 'guestAgentPing':
      refuseUnknownKeys(problems, body, path, { accepted: [] });
      return { kind };
    case 'exec': {
      refuseUnknownKeys(problems, body, path, EXEC_FIELDS);
      const command = readArray(problems, body, 'command', path) ?? [];
      if (command.length === 0 || !command.every((c) => typeof c === 'string') || (command[0] as string).length === 0) {
        problems.push(problem(Reason.FieldInvalid, `${path}.command: must be a non-empty list of strings (the program and its arguments, run in the guest by the agent)`, {
          field: `${path}.command`, fix: 'write command: ["/bin/systemctl", "is-active", "nginx"]',
        }));
        return undefined;
      }
      return { kind, command: command as string[] };
    }
    case 'tcpSocket': {
      refuseUnknownKeys(problems, body, path, TCP_FIELDS, HOST_HINT);
      const port = forwardedPort(problems, body, path, interfaces);
      return port === undefined ? undefined : { kind, port };
    }
    case 'httpGet': {
      refuseUnknownKeys(problems, body, path, HTTP_FIELDS, HOST_HINT);
      const port = forwardedPort(problems, body, path, interfaces);
      const probePath = readString(problems, body, 'path', path) ?? '/';
      const scheme = (readString(problems, body, 'scheme', path) ?? 'HTTP').toLowerCase();
      if (scheme !== 'http' && scheme !== 'https') {
        problems.push(problem(Reason.FieldInvalid, `${path}.scheme: ${JSON.stringify(scheme)} is not HTTP or HTTPS`, { field: `${path}.scheme`, fix: 'use HTTP or HTTPS' }));
        return undefined;
      }
      if (!probePath.startsWith('/')) {
        problems.push(problem(Reason.FieldInvalid, `${path}.path: ${JSON.stringify(probePath)} does not start with /`, { field: `${path}.path`, fix: 'write an absolute path such as /healthz' }));
        return undefined;
      }
      const headers = (readArray(problems, body, 'httpHeaders', path) ?? []).flatMap((h): Array<[string, string]> =>
        (isObject(h) && typeof h['name'] === 'string' && typeof h['value'] === 'string' && /^[A-Za-z0-9-]{1,64}$/.test(h['name']) ? [[h['name'], h['value']]] : []));
      return port === undefined ? undefined : { kind, port, path: probePath, scheme, headers };
    }
  }
}

/**
 * The probe's port (a number, or the name of one of the interface's ports), when the pod forwards it to the guest.
 * An interface that lists no ports forwards them all (KubeVirt's behaviour).
 */
function forwardedPort(problems: Problems, body: Obj, path: string, interfaces: readonly InterfaceSpec[]): number | undefined {
  const raw = body['port'];
  const field = fieldPath(path, 'port');
  const iface = interfaces[0];
  if (!iface) {
    problems.push(problem(Reason.ProbePortNotForwarded, `${field}: the VMI has no network interface, so nothing reaches port ${JSON.stringify(raw)} of the guest`, {
      field, fix: 'add a pod network interface forwarding the port, or use an exec or guestAgentPing probe',
    }));
    return undefined;
  }
  const tcp = iface.ports.filter((p) => p.protocol === 'tcp');
  const port = typeof raw === 'string' ? tcp.find((p) => p.name === raw)?.port : raw;
  if (typeof port !== 'number' || !Number.isSafeInteger(port) || port < 1 || port > 65535) {
    problems.push(problem(Reason.FieldInvalid, `${field}: ${JSON.stringify(raw)} is not a port number (1-65535) or the name of a TCP port of interface ${iface.name}`, {
      field, fix: 'write the port number, or the name of a port in the interface\'s ports',
    }));
    return undefined;
  }
  if (iface.ports.length > 0 && !tcp.some((p) => p.port === port)) {
    problems.push(problem(Reason.ProbePortNotForwarded, `${field}: interface ${iface.name} does not forward TCP port ${port} (it forwards ${iface.ports.map((p) => `${p.port}/${p.protocol}`).join(', ')}), so the probe could not reach the guest`, {
      field, fix: `add {port: ${port}} to ${iface.field}.ports, or probe a forwarded port`,
    }));
    return undefined;
  }
  return port;
}
