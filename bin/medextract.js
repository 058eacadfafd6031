#!/usr/bin/env node
// Runs the TypeScript CLI through tsx's loader (installed with the package; no build step needed).
import { register } from 'tsx/esm/api';
register();
await import('../app/cli.ts');
