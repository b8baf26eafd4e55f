// domain/: the functional core. Parse and validate a VMI, decide disk settings, build and serialize a domain.
export * from './problem.js';
export * from './types.js';
export * from './reasons.js';
export * from './quantity.js';
export * from './names.js';
export * from './uuid.js';
export { parseVmi, parseVmiText, SUPPORTED_API_VERSIONS, SUPPORTED_KINDS, DEFAULT_NAMESPACE, DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS, type VmiParseResult } from './vmi.js';
export { hostDiskPathProblem } from './vmi-volumes.js';
export * from './disk-policy.js';
export type * from './domain-model.js';
export * from './build-domain.js';
export * from './domain-xml.js';
