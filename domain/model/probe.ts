// The VMI's readiness and liveness probes as parsed (manifest/vmi-probes.ts): KubeVirt's Probe with Kubernetes'
// defaults applied; the launcher evaluates them (launcher/run/probe-loop.ts).
export type ProbeAction =
  | { kind: 'tcpSocket'; port: number }
  | { kind: 'httpGet'; port: number; path: string; scheme: 'http' | 'https'; headers: Array<[string, string]> }
  | { kind: 'exec'; command: string[] }
  | { kind: 'guestAgentPing' };

export interface ProbeSpec {
  action: ProbeAction;
  initialDelaySeconds: number;
  periodSeconds: number;
  timeoutSeconds: number;
  successThreshold: number;
  failureThreshold: number;
  field: string;
}

export interface VmiProbes { readiness?: ProbeSpec; liveness?: ProbeSpec }
