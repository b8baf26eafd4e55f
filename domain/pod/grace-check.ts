// `run` at start: can what will stop this container wait for the guest's shutdown? Only what the container can
// observe counts: the Pod's grace period when the Pod passes it (VM_LAUNCHER_POD_GRACE_PERIOD, set by
// `vm-launcher pod`: the downward API cannot expose it), and podman's mark (env container=podman), whose stop
// timeout is 10 s unless `-t`/`--stop-timeout` says otherwise, which the container cannot see.
import { problem, type Problem } from '../problem.js';
import { Reason } from '../reasons.js';

/** Read by `run`: the Pod's grace period, as `vm-launcher pod` renders it into the container's environment. */
export const POD_GRACE_ENV = 'VM_LAUNCHER_POD_GRACE_PERIOD';
/** After the ACPI deadline the launcher destroys the guest and stops its stack: a few seconds. */
export const STOP_MARGIN_SECONDS = 5;
/** podman stop's default timeout. */
export const PODMAN_DEFAULT_STOP_SECONDS = 10;

export function graceProblems(graceSeconds: number, env: { podGrace?: string; container?: string }): Problem[] {
  const needed = graceSeconds + STOP_MARGIN_SECONDS;
  const podGrace = env.podGrace === undefined ? undefined : Number(env.podGrace);
  if (podGrace !== undefined && Number.isFinite(podGrace) && podGrace < needed) {
    return [problem(Reason.GracePeriodNotHonoured, `the Pod's grace period is ${podGrace} s (VM_LAUNCHER_POD_GRACE_PERIOD), the guest's shutdown may take ${graceSeconds} s and stopping the launcher ${STOP_MARGIN_SECONDS} s more: the kubelet may SIGKILL the guest mid-shutdown`, {
      fix: `set the Pod's terminationGracePeriodSeconds to at least ${needed} (vm-launcher pod gives ${graceSeconds + 15})`,
    })];
  }
  if (env.container === 'podman' && needed > PODMAN_DEFAULT_STOP_SECONDS) {
    return [problem(Reason.GracePeriodNotHonoured, `under podman: \`podman stop\` waits ${PODMAN_DEFAULT_STOP_SECONDS} s unless given -t or created with --stop-timeout (which this container cannot see); the guest's shutdown may take ${graceSeconds} s`, {
      fix: `stop it with \`podman stop -t ${needed + 10}\` (or \`podman pod stop -t ${needed + 10}\` before \`podman kube down\`), or create it with --stop-timeout ${needed + 10}`,
    })];
  }
  return [];
}
