// domain/model/: the vocabulary every stage shares: the normalized VM spec, its hardware, volumes, NICs, shares and
// cloud-init, and Decision. Types (and the closed lists that define them) only: it imports nothing but the catalogue.
export * from './vm-spec.js';
export * from './hardware.js';
export * from './volume-source.js';
export * from './network.js';
export * from './filesystem.js';
export * from './cloud-init.js';
export * from './access-credentials.js';
export * from './probe.js';
export type * from './decision.js';
export type * from './expansion.js';
