/**
 * FHIR R4 downloads of completed jobs, of the result's current version: one job's Bundle and several
 * jobs' Bundles in one collection. Same access rules as the job routes (the caller's own jobs; admins and
 * reviewers: anyone's). A Bundle that does not validate is still served — with an OperationOutcome entry
 * (collection) and the count in `X-Validation-Errors` — and its problem paths are logged, never values.
 */
import type { Bundle } from '@medplum/fhirtypes';
import { combinedBundle, exportBundle, jobBundleInput, type BundleKind } from '../../library/fhir/index.js';
import { resultBaseName } from '../../core/contract/jobs.js';
import { getDocumentBytes, ocrPageWords, type JobRow } from '../../stores/jobs.js';
import { loadResultVersion } from '../result-versions.js';
import { audit } from '../audit.js';
import { FHIR_TYPE, FhirBundleQuery, FhirBundleSchema } from '../contract/fhir.js';
import { CombinedDownloadRequestSchema } from '../contract/results.js';
import { JobIdParams } from '../contract/jobs.js';
import { RouteGroup } from '../route.js';
import { completedJobs, contentDisposition, requireCompleted, visibleJob } from './jobs.js';

export const fhirRoutes = new RouteGroup('signed-in');

const FHIR_ANSWER = {
  description: 'a FHIR R4 Bundle (application/fhir+json), as an attachment',
  media: FHIR_TYPE,
  schema: FhirBundleSchema,
  headers: { 'X-Validation-Errors': 'how many validation errors the Bundle has (0 for a valid one; see the OperationOutcome entry)' },
};

/** One completed job's Bundle of its current version, validated. */
async function jobBundle(job: JobRow, kind: BundleKind): Promise<{ bundle: Bundle; errors: number }> {
  const input = await jobBundleInput(
    await loadResultVersion(job),
    { bytes: await getDocumentBytes(job.id), uploadedAt: job.created_at, pageCount: job.pages_total ?? 0 },
    await ocrPageWords(job.id),
  );
  const { bundle, errors } = exportBundle(input, kind);
  return { bundle, errors };
}

fhirRoutes.route(
  {
    method: 'get',
    path: '/jobs/:id/fhir',
    tag: 'jobs',
    operationId: 'downloadFhirBundle',
    summary: "The job's result as a FHIR R4 Bundle, of the current version",
    description:
      'Every extracted value as a FHIR resource (Observation, MedicationStatement, Condition, ...) with a Provenance that keeps its page, quote, ' +
      'highlight boxes, confidence and review state (docs/fhir.md). `?type=transaction` gives conditional creates with `urn:uuid` references, to POST to a FHIR server.',
    params: JobIdParams,
    query: FhirBundleQuery,
    answers: { 200: FHIR_ANSWER },
    errors: { 404: 'no such job (or not yours)', 409: 'the job has not completed (code NotReady)' },
  },
  async (ctx, { params, query }) => {
    const job = await visibleJob(ctx, params.id);
    requireCompleted(job, 'FHIR Bundle');
    const { bundle, errors } = await jobBundle(job, query.type);
    await audit(ctx, {
      action: 'job.download',
      targetType: 'job',
      targetId: job.id,
      detail: { format: 'fhir', kind: query.type, version: job.result_version },
    });
    ctx.type = FHIR_TYPE;
    ctx.set('X-Validation-Errors', String(errors));
    ctx.set('Content-Disposition', contentDisposition(`${resultBaseName(job.filename)}.fhir.json`));
    ctx.body = JSON.stringify(bundle);
  },
);

fhirRoutes.route(
  {
    method: 'post',
    path: '/download/combined/fhir',
    tag: 'jobs',
    operationId: 'downloadCombinedFhir',
    summary: 'Several completed jobs as one FHIR collection Bundle, one Bundle per document',
    description:
      'One Bundle per document (not merged per patient: two documents naming the same person stay two, since a name is not an identity), ' +
      'each of its current version, inside a collection Bundle, in the order asked.',
    body: CombinedDownloadRequestSchema,
    answers: { 200: FHIR_ANSWER },
    errors: { 404: 'a job does not exist or is not yours', 409: 'a job has not completed (code NotReady)' },
  },
  async (ctx, { body: { jobIds } }) => {
    const jobs = await completedJobs(ctx, jobIds, 'FHIR Bundle');
    const bundles: Bundle[] = [];
    let errors = 0;
    for (const job of jobs) {
      const one = await jobBundle(job, 'collection');
      bundles.push(one.bundle);
      errors += one.errors;
    }
    for (const job of jobs) {
      await audit(ctx, { action: 'job.download', targetType: 'job', targetId: job.id, detail: { format: 'fhir', combined: true, documents: jobs.length } });
    }
    ctx.type = FHIR_TYPE;
    ctx.set('X-Validation-Errors', String(errors));
    ctx.set('Content-Disposition', contentDisposition(`medextract-${jobs.length}-documents-${new Date().toISOString().slice(0, 10)}.fhir.json`));
    ctx.body = JSON.stringify(combinedBundle(bundles));
  },
);
