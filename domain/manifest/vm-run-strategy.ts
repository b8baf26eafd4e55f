// A VirtualMachine's runStrategy (or its older `running`) says whether KubeVirt would run a VMI for it at all.
// The launcher reads it: a halted VM is refused at check and run (VmHalted), as KubeVirt would not start it.
// The restart policies (Always, RerunOnFailure) are the VM controller's job: the launcher runs the guest once.
import { problem, type Problem } from '../problem.js';
import { Reason } from '../reasons.js';
import { readBoolean, readEnum, type Obj, type Problems } from './manifest-reader.js';
import { clusterFieldProblem } from './cluster-fields.js';
import { RUN_STRATEGIES, type RunStrategy } from '../model/index.js';

/** spec.runStrategy or spec.running of a VirtualMachine; undefined when neither is given. */
export function readRunStrategy(problems: Problems, vmSpec: Obj): RunStrategy | undefined {
  const strategy = readEnum(problems, vmSpec, 'runStrategy', 'spec', RUN_STRATEGIES);
  const running = readBoolean(problems, vmSpec, 'running', 'spec');
  if (strategy !== undefined && running !== undefined) {
    problems.push(problem(Reason.FieldInvalid, 'spec.running: running and runStrategy exclude each other (KubeVirt refuses both)', {
      field: 'spec.running', fix: 'keep spec.runStrategy and remove spec.running',
    }));
  }
  if (strategy === 'WaitAsReceiver') {
    problems.push(clusterFieldProblem('runStrategy', 'spec.runStrategy', {
      needs: 'KubeVirt\'s live migration (WaitAsReceiver is a migration target)', instead: 'use runStrategy: Always',
    })!);
    return undefined;
  }
  return strategy ?? (running === undefined ? undefined : running ? 'Always' : 'Halted');
}

/** What keeps a VM from starting though its manifest is valid: a halted VirtualMachine. */
export function startRefusals(spec: { runStrategy?: RunStrategy }): Problem[] {
  if (spec.runStrategy !== 'Halted') return [];
  return [problem(Reason.VmHalted, 'spec.runStrategy: the VirtualMachine is halted (runStrategy: Halted or running: false); KubeVirt would not start it, nor does vm-launcher', {
    field: 'spec.runStrategy', fix: 'set spec.runStrategy: Always (or Manual) to run it',
  })];
}
