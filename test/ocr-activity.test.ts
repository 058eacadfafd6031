/**
 * The OCR activity as a Temporal adapter, in Temporal's MockActivityEnvironment with an in-memory store
 * and a fake OCR engine (no Postgres, no Temporal server, no tesseract): the pages of a real scanned PDF
 * are rendered, handed to the engine and stored one by one; its heartbeat names the last stored page;
 * a cancellation stops it without waiting for the page in the engine; a retry skips the pages an
 * earlier attempt stored.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MockActivityEnvironment } from '@temporalio/testing';
import { CancelledFailure } from '@temporalio/common';
import { createOcrActivities, type OcrHeartbeat } from '../activities/ocr.js';
import type { OcrEngine, OcrStore } from '../activities/dependencies.js';
import type { StoredPage } from '../stores/jobs.js';
import type { OcrResult } from '../library/ocr/pool.js';
import { scannedReportPdf, syntheticReport } from './fixtures/generate.js';

const JOB = 'job-ocr-activity';
// Two pages are enough for every case; at 250 dpi their stored scans are taken as they are (no render).
const SCAN = new Uint8Array(scannedReportPdf(syntheticReport({ pages: 2, seed: 31, rowsPerPage: 4 }), { dpi: 250 }));

/** The store functions the OCR activity uses, over an in-memory table of pages. */
function memoryStore(initial: StoredPage[] = []) {
  const pages = new Map<number, StoredPage>(initial.map((p) => [p.page_no, p]));
  const saves: number[] = [];
  const store: OcrStore = {
    enterStage: async () => undefined,
    addStageTime: async () => undefined,
    getDocumentBytes: async () => SCAN,
    documentPassword: async () => undefined,
    storedPageNumbers: async () => new Set(pages.keys()),
    savePage: async (_jobId, page) => {
      saves.push(page.page_no);
      pages.set(page.page_no, page);
    },
    refreshPagesDone: async () => undefined,
  };
  return { store, pages, saves };
}

const reading = (text: string): OcrResult => ({ text, confidence: 91, words: [], orientation: 0, skewRadians: 0, durationMs: 1 });

/** An engine that reads "scan N" from the Nth image it is given. */
function countingEngine() {
  let calls = 0;
  const engine: OcrEngine = {
    recognize: async (image) => {
      assert.ok(image.byteLength > 1000, 'the engine gets a page image');
      calls++;
      return reading(`scan ${calls}`);
    },
  };
  return { engine, calls: () => calls };
}

function activityEnvironment() {
  const env = new MockActivityEnvironment({ activityType: 'ocrPages', heartbeatTimeoutMs: 60_000 });
  const beats: OcrHeartbeat[] = [];
  env.on('heartbeat', (d: OcrHeartbeat | undefined) => beats.push({ ...d }));
  return { env, beats };
}

test('each page is recognised and stored in order, and the heartbeat carries the last stored page', async () => {
  const { store, pages, saves } = memoryStore();
  const { engine, calls } = countingEngine();
  const { env, beats } = activityEnvironment();
  const { ocrPages } = createOcrActivities({ store, ocrPool: async () => engine });

  assert.deepEqual(await env.run(ocrPages, JOB, [1, 2]), { recognised: 2 });
  assert.equal(calls(), 2);
  assert.deepEqual(saves, [1, 2]);
  assert.deepEqual(
    [...pages.values()].map((p) => [p.page_no, p.source, p.text, p.ocr_confidence]),
    [
      [1, 'ocr', 'scan 1', 91],
      [2, 'ocr', 'scan 2', 91],
    ],
  );
  const named = beats.map((b) => b.lastPage).filter((p) => p !== undefined);
  assert.deepEqual([...new Set(named)], [1, 2], 'the heartbeats name each stored page, in order');
  assert.equal(beats.at(-1)?.lastPage, 2);
});

test('cancelling stops the activity while a page is in the engine; that page is not stored', async () => {
  const { store, saves } = memoryStore();
  let secondPageStarted!: () => void;
  const inEngine = new Promise<void>((resolve) => (secondPageStarted = resolve));
  let calls = 0;
  const engine: OcrEngine = {
    recognize: () => {
      calls++;
      if (calls === 1) return Promise.resolve(reading('first page'));
      secondPageStarted();
      // A slow page: an activity that waited for it would store it and succeed.
      return new Promise<OcrResult>((resolve) => setTimeout(() => resolve(reading('slow page')), 3_000));
    },
  };
  const { env, beats } = activityEnvironment();
  const { ocrPages } = createOcrActivities({ store, ocrPool: async () => engine });

  const run = env.run(ocrPages, JOB, [1, 2]);
  await inEngine;
  env.cancel();
  await assert.rejects(run, CancelledFailure);
  assert.deepEqual(saves, [1], 'only the page finished before the cancellation is stored');
  assert.equal(calls, 2, 'no page is started after the cancellation');
  assert.equal(beats.at(-1)?.lastPage, 1);
});

test('pages stored by an earlier attempt are skipped; with all stored, the engine is not even started', async () => {
  const earlier = (page_no: number): StoredPage => ({
    page_no,
    source: 'ocr',
    text: `earlier attempt ${page_no}`,
    ocr_confidence: 88,
    words: [],
    width: 2550,
    height: 3300,
    duration_ms: 5,
  });
  const { store, pages, saves } = memoryStore([earlier(1)]);
  const { engine, calls } = countingEngine();
  const { env, beats } = activityEnvironment();
  const { ocrPages } = createOcrActivities({ store, ocrPool: async () => engine });

  assert.deepEqual(await env.run(ocrPages, JOB, [1, 2]), { recognised: 1 });
  assert.equal(calls(), 1);
  assert.deepEqual(saves, [2]);
  assert.equal(pages.get(1)?.text, 'earlier attempt 1');
  assert.equal(pages.get(2)?.text, 'scan 1');
  assert.equal(beats.at(-1)?.lastPage, 2);

  let poolAskedFor = false;
  const again = createOcrActivities({ store, ocrPool: async () => ((poolAskedFor = true), engine) });
  assert.deepEqual(await new MockActivityEnvironment().run(again.ocrPages, JOB, [1, 2]), { recognised: 0 });
  assert.equal(poolAskedFor, false);
});
