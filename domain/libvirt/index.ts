// domain/libvirt/: the libvirt domain model and its XML. The only way in from outside this folder; see ../README.md.
export type {
  Domain, DomainChannel, DomainClock, DomainConsole, DomainController, DomainCPU, DomainDevices, DomainDisk,
  DomainDiskDriver, DomainFeatures, DomainFilesystem, DomainInterface, DomainOS, DomainSerial, DomainSysinfo,
} from './domain-model.js';
export { ATTR, domainToXml, domainToXmlTree, TEXT } from './domain-xml.js';
export { agentChannel, GUEST_AGENT_CHANNEL } from './agent-channel.js';
