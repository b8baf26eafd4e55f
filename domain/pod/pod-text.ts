// The rendered objects as text: YAML documents (with the notes as a leading comment) for `kubectl apply -f -` and
// `podman kube play`, or one JSON List; and a podman quadlet unit that runs them as a systemd service.
import { stringify } from 'yaml';
import type { RenderedPod } from './render-pod.js';

/** flags: the command line's flags that shape the objects (the header says how to render them again). */
export function podYaml(r: RenderedPod, source: string, flags: readonly string[]): string {
  const header = [`Rendered by \`vm-launcher pod --vmi ${[source, ...flags].join(' ')}\`.`, ...r.notes]
    .flatMap((n) => wrap(n, 110).map((line, i) => `# ${i === 0 ? '' : '  '}${line}`));
  // lineWidth 0: no folding, so the VMI's text stays a literal block that reads as it was written.
  const docs = r.objects.map((o) => stringify(o, { lineWidth: 0 }));
  return `${header.join('\n')}\n${docs.join('---\n')}`;
}

export const podJson = (r: RenderedPod): string => `${JSON.stringify({ apiVersion: 'v1', kind: 'List', items: r.objects }, null, 2)}\n`;

/**
 * A quadlet `.kube` unit (podman 4.4 and later) beside the podman YAML: `systemctl start NAME` plays it, `systemctl
 * stop` gives the guest the Pod's grace period (podman before 4.7 ignores it and `kube down` stops in 10 s).
 */
export function quadletUnit(name: string, yamlFile: string, graceSeconds: number): string {
  return [
    `# vm-launcher: the VM ${name} as a systemd service (podman quadlet). Put this file and ${yamlFile} in`,
    '# /etc/containers/systemd/ (or ~/.config/containers/systemd/), then: systemctl daemon-reload; systemctl start ' + name,
    '[Unit]',
    `Description=VM ${name} (vm-launcher)`,
    'Wants=network-online.target',
    'After=network-online.target',
    '',
    '[Kube]',
    `Yaml=${yamlFile}`,
    '',
    '[Service]',
    '# The guest shuts down through ACPI within the VMI\'s grace period: stop the pod with that timeout before',
    '# quadlet\'s `podman kube down`, and give systemd longer than that.',
    `ExecStop=/usr/bin/podman pod stop --ignore -t ${graceSeconds} ${name}`,
    `TimeoutStopSec=${graceSeconds + 15}`,
    '',
    '[Install]',
    'WantedBy=multi-user.target default.target',
    '',
  ].join('\n');
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  return [...lines, line];
}
