/**
 * Deterministic resource ids: a name-based UUID (RFC 9562 version 5, SHA-1) of the job id and the value's
 * place in the result, so the same result always gives the same Bundle and a reloaded Bundle keeps its ids.
 */
import { createHash } from 'node:crypto';

/** The namespace of MedExtract's FHIR ids (a fixed random UUID; changing it changes every id). */
const NAMESPACE = '6f1d3c2e-8b4a-4f7e-9a51-2c0d7e4b9f13';

const namespaceBytes = Buffer.from(NAMESPACE.replace(/-/g, ''), 'hex');

/** The version-5 UUID of `name` in MedExtract's namespace. */
export function uuidV5(name: string): string {
  const hash = createHash('sha1').update(namespaceBytes).update(name, 'utf8').digest();
  const b = hash.subarray(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x50;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** The id of the resource made from `key` (e.g. `lab_results/3`) of one job's result. */
export const resourceId = (jobId: string, key: string): string => uuidV5(`${jobId}/${key}`);

export const urnOf = (id: string): string => `urn:uuid:${id}`;
