// The sample hooks in examples/hooks/, run through the real chain and checked with libvirt's schema.
import test from 'ava';
import { XMLParser } from 'fast-xml-parser';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  discoverHooks, runOnDefineDomain, runPostStop, type DefineDomainContext, type HookLogger,
} from '../../hooks/index.js';
import { validateDomainXml as virtXmlValidate } from '../../launcher/common/xml-validate.js';

// dist/test/unit/ -> the repository root.
const EXAMPLES = fileURLToPath(new URL('../../../examples/hooks', import.meta.url));
const ANNOTATION = 'smbios.vm.kubevirt.io/baseBoardManufacturer';
const MANUFACTURER = `Radical <Edward> & "Ein" 's`;

const DOMAIN_XML = `<domain type='kvm'>
  <name>default_testvm</name>
  <uuid>5a9fc181-957e-5c32-9e5a-2de5e9673531</uuid>
  <memory unit='MiB'>128</memory>
  <vcpu placement='static'>1</vcpu>
  <sysinfo type='smbios'>
    <system>
      <entry name='manufacturer'>KubeVirt</entry>
      <entry name='product'>None</entry>
    </system>
  </sysinfo>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
    <boot dev='hd'/>
  </os>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw' cache='none' io='native'/>
      <source file='/var/run/kubevirt-private/vmi-disks/rootdisk/disk.img'/>
      <target dev='vda' bus='virtio'/>
    </disk>
  </devices>
</domain>
`;

const quietLogger = (lines: string[] = []): HookLogger => ({
  info: (_o, msg) => { lines.push(msg); },
  warn: (_o, msg) => { lines.push(msg); },
  error: (_o, msg) => { lines.push(msg); },
});


async function context(annotations: Record<string, string>, log: string[] = []): Promise<{ ctx: DefineDomainContext; done(): Promise<void> }> {
  const runtimeDir = await mkdtemp(join(tmpdir(), 'hooks-examples-'));
  const vmiJsonPath = join(runtimeDir, 'vmi.json');
  await writeFile(vmiJsonPath, JSON.stringify({
    apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance',
    metadata: { namespace: 'default', name: 'testvm', uid: 'u-1', annotations },
    spec: { domain: { devices: {} } },
  }));
  return {
    ctx: {
      logger: quietLogger(log), runtimeDir, vmiJsonPath, timeoutMs: 20_000,
      vmi: { namespace: 'default', name: 'testvm', uid: 'u-1' }, validateXml: virtXmlValidate,
    },
    done: () => rm(runtimeDir, { recursive: true, force: true }),
  };
}

const parse = (xml: string): Record<string, any> => // eslint-disable-line @typescript-eslint/no-explicit-any
  new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', isArray: (n) => ['entry', 'qemu:arg', 'baseBoard'].includes(n) }).parse(xml);

test('the example hooks are found, executable, in order', async (t) => {
  const hooks = await discoverHooks(EXAMPLES, 'onDefineDomain');
  t.deepEqual(hooks.map((h) => [h.name, h.skipped]), [['10-smbios-baseboard', undefined], ['20-qemu-arg', undefined]]);
  const post = await discoverHooks(EXAMPLES, 'postStop');
  t.deepEqual(post.map((h) => [h.name, h.skipped]), [['10-record-stop', undefined]]);
});

test('the onDefineDomain examples set the base board manufacturer and a QEMU argument, and pass libvirt schema', async (t) => {
  const { ctx, done } = await context({ [ANNOTATION]: MANUFACTURER });
  try {
    const xml = await runOnDefineDomain(await discoverHooks(EXAMPLES, 'onDefineDomain'), DOMAIN_XML, ctx);
    const check = await virtXmlValidate(xml);
    t.true(check.ok, check.message);
    t.true(xml.includes(`<entry name='manufacturer'>Radical &lt;Edward&gt; &amp; &quot;Ein&quot; &apos;s</entry>`));
    t.true(xml.includes(`<smbios mode='sysinfo'/>`));
    t.true(xml.includes(`xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'`));

    const domain = parse(xml).domain;
    const board = domain.sysinfo.baseBoard[0].entry;
    t.deepEqual(board.map((e: Record<string, string>) => [e['@name'], e['#text']]), [['manufacturer', MANUFACTURER]]);
    t.is(domain.sysinfo.system.entry.length, 2, 'existing sysinfo entries are kept');
    t.deepEqual(domain['qemu:commandline']['qemu:arg'].map((a: Record<string, string>) => a['@value']),
      ['-smbios', 'type=11,value=vm-launcher:hook-example']);

    // Applying the chain again changes neither the manufacturer nor the number of QEMU arguments.
    const again = parse(await runOnDefineDomain(await discoverHooks(EXAMPLES, 'onDefineDomain'), xml, ctx)).domain;
    t.is(again['qemu:commandline']['qemu:arg'].length, 2);
    t.is(again.sysinfo.baseBoard[0].entry.length, 1);
  } finally { await done(); }
});

test('without the annotation the SMBIOS example changes nothing', async (t) => {
  const log: string[] = [];
  const { ctx, done } = await context({}, log);
  try {
    const hooks = (await discoverHooks(EXAMPLES, 'onDefineDomain')).filter((h) => h.name === '10-smbios-baseboard');
    t.is(await runOnDefineDomain(hooks, DOMAIN_XML, ctx), DOMAIN_XML);
    t.true(log.some((l) => /no smbios\.vm\.kubevirt\.io\/baseBoardManufacturer annotation/.test(l)));
  } finally { await done(); }
});

test('the SMBIOS example creates <sysinfo> when the domain has none', async (t) => {
  const { ctx, done } = await context({ [ANNOTATION]: 'Acme' });
  try {
    const bare = DOMAIN_XML.replace(/ {2}<sysinfo[\s\S]*<\/sysinfo>\n/, '');
    const hooks = (await discoverHooks(EXAMPLES, 'onDefineDomain')).filter((h) => h.name === '10-smbios-baseboard');
    const xml = await runOnDefineDomain(hooks, bare, ctx);
    t.true((await virtXmlValidate(xml)).ok);
    t.regex(xml, /<sysinfo type='smbios'>\s*<baseBoard>\s*<entry name='manufacturer'>Acme<\/entry>/);
  } finally { await done(); }
});

test('the postStop example records how the VM stopped', async (t) => {
  const log: string[] = [];
  const { ctx, done } = await context({}, log);
  try {
    const results = await runPostStop(await discoverHooks(EXAMPLES, 'postStop'), ctx, { reason: 'forced', exitCode: 143 });
    t.is(results[0]?.outcome, 'ok');
    const record = await readFile(join(ctx.runtimeDir, 'stop-record'), 'utf8');
    t.regex(record, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ default\/testvm stopped: forced exit=143\n$/);
    t.true(log.includes(record.trim()), 'the record is in the launcher log too');
  } finally { await done(); }
});
