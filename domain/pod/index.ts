// domain/pod/: a VMI rendered as the Kubernetes objects that run it (ConfigMap, Pod, Service; a quadlet unit for
// podman), pure like the rest of domain/. The way in from outside.
export { renderPod, schedulingFields, type PodAccel, type PublishedPort, type RenderedPod } from './render-pod.js';
export { podJson, podYaml, quadletUnit } from './pod-text.js';
export { graceProblems, POD_GRACE_ENV } from './grace-check.js';
export { MEASURED_MIB } from './overhead.js';
