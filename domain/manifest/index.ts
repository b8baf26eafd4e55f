// domain/manifest/: the VMI (or VM) manifest read and checked, field by field, into the normalized spec
// (model/vm-spec.ts). The only way in from outside this folder; see ../README.md.
export { isDiskSerial, isDns1123Label, isDns1123Subdomain, isUuid } from './names.js';
export { parseQuantity } from './quantity.js';
export { startRefusals } from './vm-run-strategy.js';
export { CLOUD_INIT_SECRET_MAX_BYTES } from './vmi-cloud-init.js';
export { hostDiskPathProblem } from './vmi-volumes.js';
export { COMMON_INSTANCETYPES_RELEASE } from './common-instancetypes.js';
export { BUNDLED_FROM, INSTANCETYPE_API_VERSIONS, typeDocuments, type TypeDocument, type TypeFile } from './instancetype-documents.js';
export {
  DEFAULT_NAMESPACE, DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS, parseVmi, parseVmiText,
  SUPPORTED_API_VERSIONS, SUPPORTED_KINDS, type ParseOptions, type VmiParseResult,
} from './vmi.js';
export { instancetypesYaml, operatorDocuments } from './instancetype-shipping.js';
