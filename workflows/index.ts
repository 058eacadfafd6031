// Everything the worker registers as workflows (the bundler starts here).
export { processDocument, progressQuery } from './process-document.js';
