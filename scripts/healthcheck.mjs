#!/usr/bin/env node
// Container health probe (the slim image has no curl): exits 0 when a URL answers 2xx within 4 s.
// Usage: node scripts/healthcheck.mjs [url ...]
// With no URL it tries this container's own endpoints, the API's (PORT) and the worker's
// (WORKER_HTTP_PORT), and is healthy when either answers: one image serves both roles.
const urls = process.argv.slice(2);
if (urls.length === 0) {
  urls.push(`http://127.0.0.1:${process.env.PORT || 8000}/healthz`, `http://127.0.0.1:${process.env.WORKER_HTTP_PORT || 9091}/healthz`);
}

async function ok(url) {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(4000) });
    return res.ok;
  } catch {
    return false;
  }
}

const results = await Promise.all(urls.map(ok));
process.exit(results.some(Boolean) ? 0 : 1);
