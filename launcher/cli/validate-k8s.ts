// `pod --validate` and the tests: each rendered object against the Kubernetes API schema, through the npm package
// kubernetes-models (validators generated from Kubernetes' OpenAPI). Loaded only when asked: the bundle leaves the
// package out (the image ships the launcher alone), so a missing package is a clear refusal, not a crash.
import { fail } from '../../domain/problem.js';

interface Validatable { validate(): void }
type ModelClass = new (data: never) => Validatable;

async function models(): Promise<Record<string, ModelClass>> {
  try {
    const [cm, pod, svc] = await Promise.all([
      import('kubernetes-models/v1/ConfigMap'), import('kubernetes-models/v1/Pod'), import('kubernetes-models/v1/Service'),
    ]);
    return { ConfigMap: cm.ConfigMap as unknown as ModelClass, Pod: pod.Pod as unknown as ModelClass, Service: svc.Service as unknown as ModelClass };
  } catch (e) {
    return fail('PodSchemaUnavailable', `cannot load kubernetes-models: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** One message per object the schema refuses; empty when every object is valid. */
export async function schemaErrors(objects: readonly { kind?: string; metadata?: { name?: string } }[]): Promise<string[]> {
  const byKind = await models();
  const errors: string[] = [];
  for (const o of objects) {
    const Model = o.kind === undefined ? undefined : byKind[o.kind];
    if (!Model) {
      errors.push(`${o.kind ?? 'an object without kind'}: no schema known`);
      continue;
    }
    try {
      new Model(o as never).validate();
    } catch (e) {
      errors.push(`${o.kind} ${o.metadata?.name ?? ''}: ${(e as Error).message}`);
    }
  }
  return errors;
}
