// `vm-launcher pod`: the VMI, read and checked exactly as `check` reads it, rendered into the objects that run it
// (domain/pod/). Prints them for `kubectl apply -f -` or `podman kube play -`; --quadlet also writes a systemd unit.
// eslint-disable-next-line no-restricted-syntax -- reads the VMI the user named; writes only into the --quadlet dir the user named, as the user
import { readFile, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { basename, join } from 'node:path';
import { fail, hasErrors, problem, type Problem } from '../../domain/problem.js';
import { ExitCode, exitCodeFor } from '../../domain/reasons.js';
import { instancetypesYaml, operatorDocuments } from '../../domain/manifest/index.js';
import { renderPod, schedulingFields, podJson, podYaml, quadletUnit, type PodAccel, type PublishedPort } from '../../domain/pod/index.js';
import { readManifest } from '../inspect/read-manifest.js';
import { instancetypesDirFrom } from '../plan/resolve-plan.js';
import type { CliArgs, PodFlags } from './options.js';

export const DEFAULT_IMAGE = 'localhost/vm-launcher:dev';

interface PodSettings {
  target: 'kubernetes' | 'podman'; output: 'yaml' | 'json'; accel: PodAccel; hostDevices: Record<string, string>;
  publish: PublishedPort[]; hostIp: string;
}

/** Published ports bind the loopback unless --host-ip says otherwise: a VM's SSH must not be exposed by accident. */
export const DEFAULT_HOST_IP = '127.0.0.1';

/** The pod flags, checked for form: a bad one is a usage error. */
export function podSettings(flags: PodFlags, accel: string | undefined): PodSettings {
  const oneOf = <T extends string>(what: string, value: string | undefined, values: readonly T[], dflt: T): T => {
    if (value === undefined) return dflt;
    if ((values as readonly string[]).includes(value)) return value as T;
    return fail('UsageInvalid', `${what} ${JSON.stringify(value)}: use one of ${values.join(', ')}`);
  };
  const hostDevices: Record<string, string> = {};
  for (const item of flags.hostDevice) {
    const m = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)=(\/\S+)$/.exec(item);
    if (!m) fail('UsageInvalid', `--host-device ${JSON.stringify(item)}: write VOLUME=/dev/PATH`);
    hostDevices[m![1]!] = m![3]!;
  }
  const publish = flags.publish.map((item): PublishedPort => {
    const m = /^(\d{1,5})=(\d{1,5})$/.exec(item);
    const [port, hostPort] = [Number(m?.[1]), Number(m?.[2])];
    if (!m || port < 1 || port > 65535 || hostPort < 1 || hostPort > 65535) fail('UsageInvalid', `--publish ${JSON.stringify(item)}: write GUESTPORT=HOSTPORT, both 1-65535 (e.g. 22=2222)`);
    return { port, hostPort };
  });
  if (flags.hostIp !== undefined && isIP(flags.hostIp) === 0) fail('UsageInvalid', `--host-ip ${JSON.stringify(flags.hostIp)}: an IPv4 or IPv6 address`);
  if (flags.hostIp !== undefined && publish.length === 0) fail('UsageInvalid', '--host-ip is the address of the --publish ports: add --publish GUESTPORT=HOSTPORT');
  const target = oneOf('--for', flags.for, ['kubernetes', 'podman'] as const, 'kubernetes');
  if (flags.quadlet !== undefined && target !== 'podman') fail('UsageInvalid', '--quadlet writes a podman unit: add --for podman');
  return {
    target, hostDevices, publish, hostIp: flags.hostIp ?? DEFAULT_HOST_IP,
    output: oneOf('--output', flags.output, ['yaml', 'json'] as const, 'yaml'),
    accel: oneOf('--accel', accel, ['auto', 'kvm', 'tcg'] as const, 'auto'),
  };
}

export async function podCommand(args: CliArgs): Promise<number> {
  const flags = args.pod!;
  const settings = podSettings(flags, args.flags.accel);
  const path = args.flags.vmi;
  if (path === undefined) return fail('UsageInvalid', 'pod needs --vmi FILE');
  // The same reader and parser as `check`: what a Pod cannot give fails here with the same reason codes.
  const manifest = await readManifest(path, instancetypesDirFrom(args.flags, process.env)?.value);
  if (!manifest.spec || hasErrors(manifest.problems)) return report(manifest.problems);
  const text = await readFile(path, 'utf8');
  const operator = operatorDocuments(manifest.spec.expansion, manifest.typeDocuments ?? []);
  const rendered = renderPod(manifest.spec, text, {
    image: flags.image ?? DEFAULT_IMAGE, target: settings.target, accel: settings.accel, service: flags.service,
    hostDevices: settings.hostDevices, publish: settings.publish, hostIp: settings.hostIp, ...namespaceOf(manifest.raw), scheduling: schedulingFields(manifest.raw, manifest.spec.specPath),
    ...(operator.length > 0 && { instancetypes: instancetypesYaml(operator) }),
  });
  const problems = [...manifest.problems, ...rendered.problems];
  if (hasErrors(problems)) return report(problems);
  report(problems);
  if (flags.validate) {
    const { schemaErrors } = await import('./validate-k8s.js');
    const errors = await schemaErrors(rendered.objects);
    if (errors.length > 0) return report(errors.map((message) => problem('PodSchemaInvalid', message)));
  }
  const source = basename(path);
  const yaml = podYaml(rendered, source, shapingFlags(flags, settings));
  if (flags.quadlet !== undefined) {
    const name = manifest.spec.name;
    try {
      await writeFile(join(flags.quadlet, `${name}.yaml`), yaml);
      await writeFile(join(flags.quadlet, `${name}.kube`), quadletUnit(name, `${name}.yaml`, rendered.graceSeconds));
    } catch (e) {
      return report([problem('PodOutputFailed', `cannot write to ${flags.quadlet}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`)]);
    }
    process.stderr.write(`wrote ${join(flags.quadlet, `${name}.yaml`)} and ${join(flags.quadlet, `${name}.kube`)}\n`);
  }
  process.stdout.write(settings.output === 'json' ? podJson(rendered) : yaml);
  return ExitCode.Clean;
}

/** The flags that change the objects, as the header of the YAML repeats them (--image and -o do not: they are plain to see). */
function shapingFlags(flags: PodFlags, s: PodSettings): string[] {
  return [
    ...(s.target === 'podman' ? ['--for', 'podman'] : []),
    ...(s.accel === 'auto' ? [] : ['--accel', s.accel]),
    ...(flags.service ? ['--service'] : []),
    ...Object.entries(s.hostDevices).flatMap(([v, path]) => ['--host-device', `${v}=${path}`]),
    ...s.publish.flatMap((p) => ['--publish', `${p.port}=${p.hostPort}`]),
    ...(flags.hostIp === undefined ? [] : ['--host-ip', flags.hostIp]),
  ];
}

/** metadata.namespace as the manifest writes it: the objects go there; without it they follow kubectl's namespace. */
function namespaceOf(raw: unknown): { namespace?: string } {
  const ns = (raw as { metadata?: { namespace?: unknown } } | undefined)?.metadata?.namespace;
  return typeof ns === 'string' && ns !== '' ? { namespace: ns } : {};
}

/** Problems on stderr, one line each with its fix; the exit code of the first error, else Clean. */
function report(problems: readonly Problem[]): number {
  for (const p of problems) {
    const where = p.field ? ` ${p.field}` : '';
    process.stderr.write(`vm-launcher pod: ${p.severity} ${p.reason}${where}: ${p.message}${p.fix ? ` (fix: ${p.fix})` : ''}\n`);
  }
  const firstError = problems.find((p) => p.severity === 'error');
  return firstError ? exitCodeFor(firstError.reason) : ExitCode.Clean;
}
