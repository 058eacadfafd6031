/**
 * FHIR R4 downloads: a job's result as a Bundle (`GET /jobs/:id/fhir`), several jobs as a collection of
 * Bundles (`POST /download/combined/fhir`). The resources are FHIR's own (docs/fhir.md says what each
 * carries); the schema here names only the envelope, for the OpenAPI document.
 */
import { z } from 'zod';

export const FHIR_TYPE = 'application/fhir+json';
export const BUNDLE_KINDS = ['collection', 'transaction'] as const;

export const FhirBundleQuery = z.strictObject({
  type: z
    .enum(BUNDLE_KINDS)
    .default('collection')
    .describe('`collection` (default): the resources as read; `transaction`: conditional creates with `urn:uuid` references, to POST to a FHIR server'),
});

export const FhirBundleSchema = z
  .looseObject({
    resourceType: z.literal('Bundle'),
    type: z.enum(BUNDLE_KINDS),
    entry: z.array(z.looseObject({ fullUrl: z.string().optional(), resource: z.looseObject({ resourceType: z.string() }) })),
  })
  .describe(
    'A FHIR R4 (4.0.1) Bundle: Patient, DocumentReference (the uploaded file), DiagnosticReport and Observation (labs, vital signs), ' +
      'MedicationStatement, Condition, AllergyIntolerance, Procedure, Immunization, Encounter, and a Provenance per resource whose evidence extension gives the page, quote and highlight boxes of each value. ' +
      'When the Bundle did not pass validation its first entry is an OperationOutcome listing the problems (paths, never values).',
  )
  .meta({ id: 'FhirBundle' });
