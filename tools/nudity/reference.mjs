// The reference Bulwark's classifier is held to: nsfwjs's own inference
// path (NSFWJS.infer: divide by 255, bilinear resize with align-corners,
// the layers model) on TensorFlow.js's pure-JavaScript CPU backend.
//
//   node reference.mjs NODE_MODULES [--repeat N] IMAGE.ppm...
//
// Reads binary PPMs (P6, maxval 255; the test writes the pixels Bulwark
// decoded) and prints one line per image: the five class probabilities in
// model order (drawing hentai neutral porn sexy) and the file name. With
// --repeat N each image is classified N times and the mean milliseconds per
// image of the fastest pass is printed on stderr (the benchmark uses it).
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const args = process.argv.slice(2);
const nodeModules = args.shift();
let repeat = 0;
if (args[0] === '--repeat') {
  args.shift();
  repeat = Number(args.shift());
}
if (!nodeModules || !args.length) {
  console.error('usage: node reference.mjs NODE_MODULES [--repeat N] IMAGE.ppm...');
  process.exit(2);
}

function readPpm(file) {
  const buf = fs.readFileSync(file);
  const fields = [];
  let pos = 0;
  while (fields.length < 4) {
    while (/\s/.test(String.fromCharCode(buf[pos]))) pos++;
    if (buf[pos] === 0x23) { while (buf[pos] !== 0x0a) pos++; continue; }
    let start = pos;
    while (!/\s/.test(String.fromCharCode(buf[pos]))) pos++;
    fields.push(buf.toString('latin1', start, pos));
  }
  pos++; // the single whitespace before the samples
  const [magic, w, h, max] = [fields[0], +fields[1], +fields[2], +fields[3]];
  if (magic !== 'P6' || max !== 255) throw new Error(`${file}: not an 8-bit P6 PPM`);
  const data = buf.subarray(pos, pos + w * h * 3);
  if (data.length !== w * h * 3) throw new Error(`${file}: truncated`);
  return { w, h, data };
}

const require = createRequire(path.join(path.resolve(nodeModules), '..', 'index.js'));
// TensorFlow.js and nsfwjs greet on stdout; keep stdout for results.
const log = console.log, info = console.info, warn = console.warn;
console.log = console.info = console.warn = (...a) => console.error(...a);
const tf = require('@tensorflow/tfjs');
const nsfwjs = require('nsfwjs');
await tf.setBackend('cpu');
await tf.ready();
const model = await nsfwjs.load('MobileNetV2');
console.log = log; console.info = info; console.warn = warn;
if (tf.getBackend() !== 'cpu') throw new Error(`backend is ${tf.getBackend()}, not cpu`);

const images = args.map((file) => {
  const { w, h, data } = readPpm(file);
  return { file, tensor: tf.tensor3d(Int32Array.from(data), [h, w, 3], 'int32') };
});

async function classify(tensor) {
  const out = model.infer(tensor);
  const values = await out.data();
  out.dispose();
  return values;
}

for (const { file, tensor } of images) {
  const p = await classify(tensor);
  process.stdout.write(`${Array.from(p, (v) => v.toPrecision(9)).join(' ')} ${file}\n`);
}

if (repeat > 0) {
  let best = Infinity;
  for (let r = 0; r < repeat; r++) {
    const t0 = process.hrtime.bigint();
    for (const { tensor } of images) await classify(tensor);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6 / images.length;
    best = Math.min(best, ms);
  }
  console.error(`tfjs-cpu ms per image: ${best.toFixed(2)} (${images.length} images, best of ${repeat})`);
}
