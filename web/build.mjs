// Builds the browser UI into web/dist: one minified ES module bundle (Lit included, nothing fetched
// at run time) and one stylesheet, both content-hashed under dist/assets/, and dist/index.html
// pointing at them. Usage: node web/build.mjs
import fs from 'node:fs';
import path from 'node:path';
import * as esbuild from 'esbuild';

const here = import.meta.dirname;
const dist = path.join(here, 'dist');
const assets = path.join(dist, 'assets');

fs.rmSync(dist, { recursive: true, force: true });
fs.mkdirSync(assets, { recursive: true });

const result = await esbuild.build({
  entryPoints: { main: path.join(here, 'src/main.ts'), styles: path.join(here, 'styles.css') },
  outdir: assets,
  entryNames: '[name]-[hash]',
  bundle: true,
  format: 'esm',
  target: 'es2022',
  minify: true,
  sourcemap: true,
  legalComments: 'linked',
  tsconfig: path.join(here, 'tsconfig.json'),
  metafile: true,
  logLevel: 'warning',
  // Nothing from the build machine's environment may reach the browser.
  define: { 'process.env.NODE_ENV': '"production"' },
});

/** The hashed file esbuild wrote for an entry point. */
function outputFor(entry) {
  const want = path.relative(process.cwd(), path.join(here, entry));
  const [out] = Object.entries(result.metafile.outputs).find(([, o]) => o.entryPoint === want) ?? [];
  if (!out) throw new Error(`no output for ${entry}`);
  return `/assets/${path.basename(out)}`;
}

const html = fs
  .readFileSync(path.join(here, 'index.html'), 'utf8')
  .replace('/assets/main.js', outputFor('src/main.ts'))
  .replace('/assets/styles.css', outputFor('styles.css'));
fs.writeFileSync(path.join(dist, 'index.html'), html);

const sizes = Object.entries(result.metafile.outputs)
  .filter(([f]) => !f.endsWith('.map'))
  .map(([f, o]) => `${path.basename(f)} ${(o.bytes / 1024).toFixed(1)} kB`);
console.log(`web/dist built: index.html, ${sizes.join(', ')}`);
