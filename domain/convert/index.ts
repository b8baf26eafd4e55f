// domain/convert/: the spec and what launcher/inspect found -> the decisions (cache, io, passt backend, image sizes,
// the cloud-init seed's layout) and the libvirt domain model. The only way in from outside this folder; see ../README.md.
export { buildDomain, type BuildDomainResult, domainName } from './build-domain.js';
export { virtiofsSocketPath } from './build-filesystems.js';
export { describeSeed, planSeed, type SeedPlan } from './cloud-init-seed.js';
export { parseAuthorizedKeys, SSH_KEY_TYPES } from './ssh-public-keys.js';
export { decideCreateSize, growthChange, MIB } from './disk-image-size.js';
export {
  assignTargets, decideCache, decideDiscard, decideIo, diskSourceType, diskSuffix, domainTypeFor,
  targetPrefix,
} from './disk-policy.js';
export {
  type BackendChoice, choosePasstBackend, FORWARD_ALL_OPEN_FILES, forwardsAll, interfaceAlias,
  type LibvirtPasstSupport, MAX_UNIX_SOCKET_PATH, PASST_MODES, type PasstMode, passtSocketPath, portForwards,
} from './network-policy.js';
export { domainUuid, uuidV5, VM_LAUNCHER_UUID_NAMESPACE } from './uuid.js';
export { fileNameProblems } from './file-name-limits.js';
