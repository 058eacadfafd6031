/**
 * Builds the Temporal workflow bundle once, ahead of time (the Docker image does it at build time).
 * Workers given WORKFLOW_BUNDLE=<this file> skip webpack at start-up.
 * Usage: node --import tsx scripts/bundle-workflows.ts [out-file]   (default dist/workflow-bundle.js)
 */
import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';

const root = path.resolve(import.meta.dirname, '..');
const out = path.resolve(process.argv[2] ?? path.join(root, 'dist/workflow-bundle.js'));

const started = performance.now();
const { code } = await bundleWorkflowCode({ workflowsPath: path.join(root, 'workflows/index.ts'), logger: new DefaultLogger('WARN') });
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, code);
console.log(`workflow bundle: ${path.relative(process.cwd(), out)} (${(code.length / 1024).toFixed(0)} kB, ${Math.round(performance.now() - started)} ms)`);
