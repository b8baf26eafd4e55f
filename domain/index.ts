// domain/: the functional core. Parse and validate a VMI, decide disk settings, build and serialize a domain.
export * from './problem.js';
export * from './model/vm-spec.js';
export * from './reasons.js';
export * from './manifest/quantity.js';
export * from './manifest/names.js';
export * from './convert/uuid.js';
export { parseVmi, parseVmiText, SUPPORTED_API_VERSIONS, SUPPORTED_KINDS, DEFAULT_NAMESPACE, DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS, type VmiParseResult } from './manifest/vmi.js';
export { hostDiskPathProblem } from './manifest/vmi-volumes.js';
export * from './convert/disk-policy.js';
export type * from './libvirt/domain-model.js';
export * from './convert/build-domain.js';
export * from './libvirt/domain-xml.js';
