-- Up Migration
-- The work queue (issue 15) searches jobs by file name and by the patient name of their current result.
-- Reading the name out of every extraction's JSON (and replaying corrections) per request would scan
-- them all, so each job keeps its searchable patient name: written when the extraction is stored and
-- after a correction changes it (stores/jobs.ts recordPatientName; the name is searchablePatientName of
-- core/contract/patient-name.ts: the value, trimmed, unless a person rejected it).
ALTER TABLE jobs ADD COLUMN patient_name text;

-- Backfill: the machine's value (version 0) ...
UPDATE jobs j SET patient_name = nullif(btrim(e.data #>> '{patient,name,value}'), '')
  FROM extractions e
 WHERE e.job_id = j.id AND coalesce(e.data #>> '{patient,name,review,state}', '') <> 'rejected';

-- ... then, for corrected results, the latest correction effect (plain add/replace/remove operations,
-- compared from the version before) that set the name's value or its review state.
WITH ops AS (
  SELECT ev.job_id, ev.seq, o.n, o.op
    FROM result_events ev
    CROSS JOIN LATERAL jsonb_array_elements(ev.effect) WITH ORDINALITY AS o(op, n)
   WHERE ev.kind = 'correction'
     AND o.op ->> 'path' IN ('/patient/name', '/patient/name/value', '/patient/name/review', '/patient/name/review/state')
), latest_value AS (
  SELECT DISTINCT ON (job_id) job_id,
         CASE WHEN op ->> 'op' = 'remove' THEN NULL
              WHEN op ->> 'path' = '/patient/name' THEN op #>> '{value,value}'
              ELSE op ->> 'value' END AS value
    FROM ops WHERE op ->> 'path' IN ('/patient/name', '/patient/name/value')
   ORDER BY job_id, seq DESC, n DESC
), latest_state AS (
  SELECT DISTINCT ON (job_id) job_id,
         CASE WHEN op ->> 'op' = 'remove' THEN NULL
              WHEN op ->> 'path' = '/patient/name' THEN op #>> '{value,review,state}'
              WHEN op ->> 'path' = '/patient/name/review' THEN op #>> '{value,state}'
              ELSE op ->> 'value' END AS state
    FROM ops WHERE op ->> 'path' IN ('/patient/name', '/patient/name/review', '/patient/name/review/state')
   ORDER BY job_id, seq DESC, n DESC
)
UPDATE jobs j
   SET patient_name = CASE
         WHEN coalesce(s.state, e.data #>> '{patient,name,review,state}', '') = 'rejected' THEN NULL
         ELSE nullif(btrim(coalesce(CASE WHEN v.job_id IS NULL THEN e.data #>> '{patient,name,value}' ELSE v.value END, '')), '')
       END
  FROM extractions e
  LEFT JOIN latest_value v ON v.job_id = e.job_id
  LEFT JOIN latest_state s ON s.job_id = e.job_id
 WHERE e.job_id = j.id AND (v.job_id IS NOT NULL OR s.job_id IS NOT NULL);

-- Down Migration
ALTER TABLE jobs DROP COLUMN patient_name;
