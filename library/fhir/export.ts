/**
 * A Bundle as it leaves MedExtract: built, validated, and — when it does not validate — still delivered,
 * with the problems where a reader finds them. An invalid Bundle is a bug (the tests fail on one); in
 * production the person downloading it still gets their data, and the log gets the paths.
 */
import type { Bundle } from '@medplum/fhirtypes';
import { logger } from '../../core/logger.js';
import { buildBundle, type BundleInput, type BundleKind } from './bundle.js';
import { uuidV5 } from './ids.js';
import { problemsOutcome, validateBundle, type BundleProblem } from './validate.js';

export interface ExportedBundle {
  bundle: Bundle;
  /** Everything validation found (warnings included); empty for a clean Bundle. */
  problems: BundleProblem[];
  errors: number;
}

/**
 * Builds and validates one document's Bundle. A collection with errors gets an OperationOutcome listing
 * them (paths and plain words, never values) as its first entry; a transaction cannot carry one (every
 * entry of a transaction is something to create), so its caller reports the count beside it.
 */
export function exportBundle(input: BundleInput, kind: BundleKind = 'collection'): ExportedBundle {
  const bundle = buildBundle(input, kind);
  const problems = validateBundle(bundle);
  const errorPaths = problems.filter((p) => p.severity === 'error').map((p) => p.path);
  const errors = errorPaths.length;
  // A bug in the export: the paths say where (never a value), and the person still gets the Bundle.
  if (errors > 0) logger.error({ jobId: input.source.jobId, kind, errors, paths: errorPaths.slice(0, 20) }, 'FHIR Bundle failed validation');
  if (errors > 0 && kind === 'collection') {
    const outcome = { ...problemsOutcome(problems), id: uuidV5(`${input.source.jobId}/validation-outcome`) };
    bundle.entry = [{ fullUrl: `urn:uuid:${outcome.id}`, resource: outcome }, ...(bundle.entry ?? [])];
  }
  return { bundle, problems, errors };
}
