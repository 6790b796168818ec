// Writes the small model files in fuzz/corpus/nudity/: tiny networks with
// every op, activation and option of the format, so the fuzzer starts from
// valid files it can mutate (fuzz_nudity_model also repairs the checksums
// of what it mutates, to reach the parser's later checks).
//   node make-fuzz-corpus.mjs OUTDIR
import fs from 'node:fs';
import path from 'node:path';
import { encodeModel } from './nudity-format.mjs';

const out = process.argv[2];
if (!out) { console.error('usage: node make-fuzz-corpus.mjs OUTDIR'); process.exit(2); }
let seed = 1;
const tensor = (n) => ({
  min: -0.5, scale: 1 / 255,
  data: Uint8Array.from({ length: n }, () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24),
});
const bn = (n) => ({ epsilon: 0.001, gamma: tensor(n), beta: tensor(n), mean: tensor(n),
  variance: { min: 0.1, scale: 1 / 255, data: tensor(n).data } });
const conv = (k, s, pad, cin, cout, act, extra = {}) => ({
  kind: 'conv', act, kernel: [k, k], stride: [s, s], pad, outChannels: cout,
  weights: tensor(k * k * cin * cout), ...extra });
const dw = (k, s, pad, c, act) => ({
  kind: 'depthwise', act, kernel: [k, k], stride: [s, s], pad, outChannels: c,
  weights: tensor(k * k * c), bn: bn(c) });
const dense = (n, units, act) => ({ kind: 'dense', act, units, weights: tensor(n * units), bias: tensor(units) });
const classes = ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy'];

const models = {
  'conv-dense.bwnm': { input: [8, 8, 3], ops: [
    conv(3, 2, [0, 1, 0, 1], 3, 4, 'relu6', { bn: bn(4) }), { kind: 'avgpool', act: 'linear', pool: [4, 4] },
    dense(4, 5, 'softmax')] },
  'mobilenet-block.bwnm': { input: [12, 10, 3], ops: [
    conv(3, 2, [0, 1, 0, 1], 3, 8, 'relu6', { bn: bn(8) }),
    dw(3, 1, [1, 1, 1, 1], 8, 'relu6'),
    conv(1, 1, [0, 0, 0, 0], 8, 8, 'linear', { bn: bn(8) }),
    { kind: 'add', act: 'linear', other: 0 },
    dw(3, 2, [0, 1, 0, 1], 8, 'relu6'),
    conv(1, 1, [0, 0, 0, 0], 8, 16, 'relu6', { bias: tensor(16) }),
    { kind: 'avgpool', act: 'linear', pool: [3, 3] },
    dense(16, 6, 'relu'), dense(6, 5, 'softmax')] },
  'one-pixel.bwnm': { input: [1, 1, 3], ops: [dense(3, 5, 'softmax')] },
  'odd-channels.bwnm': { input: [7, 9, 3], ops: [
    conv(5, 1, [2, 2, 2, 2], 3, 13, 'relu', { bias: tensor(13) }),
    dw(3, 2, [1, 1, 1, 1], 13, 'linear'),
    { kind: 'avgpool', act: 'linear', pool: [4, 5] }, dense(13, 5, 'softmax')] },
};
fs.mkdirSync(out, { recursive: true });
for (const [name, m] of Object.entries(models))
  fs.writeFileSync(path.join(out, name), encodeModel({ source: `fuzz seed ${name}`, classes, ...m }));
