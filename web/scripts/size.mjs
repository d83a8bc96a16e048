#!/usr/bin/env node
// Gzipped size of the JavaScript the first page load fetches: the entry script of dist/index.html
// and the chunks it preloads (lazy chunks are not counted). Run after `vite build`.
//   node scripts/size.mjs [--max-kb 250] [--json]
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const dist = resolve(dirname(fileURLToPath(import.meta.url)), '../dist');
const args = process.argv.slice(2);
const maxIndex = args.indexOf('--max-kb');
const maxKb = maxIndex >= 0 ? Number(args[maxIndex + 1]) : 250;

let html;
try {
  html = readFileSync(join(dist, 'index.html'), 'utf8');
} catch {
  console.error('dist/index.html not found: run `npx vite build` first');
  process.exit(1);
}
const urls = new Set();
for (const m of html.matchAll(/<script[^>]*type="module"[^>]*src="([^"]+)"/g)) urls.add(m[1]);
for (const m of html.matchAll(/<link[^>]*rel="modulepreload"[^>]*href="([^"]+)"/g)) urls.add(m[1]);
if (urls.size === 0) {
  console.error('no module script in dist/index.html');
  process.exit(1);
}
let raw = 0;
let gzip = 0;
const files = [];
for (const url of urls) {
  const bytes = readFileSync(join(dist, url.replace(/^\.?\//, '')));
  const gz = gzipSync(bytes, { level: 9 }).length;
  raw += bytes.length;
  gzip += gz;
  files.push({ file: url, bytes: bytes.length, gzip: gz });
}
const kb = (n) => (n / 1000).toFixed(1);
if (args.includes('--json')) {
  console.log(JSON.stringify({ files, raw, gzip, maxKb }));
} else {
  for (const f of files) console.log(`  ${f.file}: ${kb(f.bytes)} kB, ${kb(f.gzip)} kB gzipped`);
  console.log(`first-load JavaScript: ${kb(raw)} kB, ${kb(gzip)} kB gzipped (target <= ${maxKb} kB)`);
}
if (gzip > maxKb * 1000) {
  console.error(`first-load JavaScript is ${kb(gzip)} kB gzipped, above the ${maxKb} kB target`);
  process.exit(1);
}
