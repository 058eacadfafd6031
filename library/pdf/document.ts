/**
 * The PDF library's public face for opening, validating and inspecting documents. Each part lives in
 * its own module; the text layer, rendering and previews are imported from theirs (text-layer.ts,
 * render.ts, preview.ts). Modules inside library/pdf import each other directly, never this file.
 */
export * from './open.js';
export * from './limits.js';
export * from './content.js';
export * from './text-quality.js';
export * from './inspect.js';
