// Converts the MobileNetV2 classifier shipped in the npm package nsfwjs into
// Bulwark's compact model file, once, at build time.
//
//   node convert.mjs NODE_MODULES OUT_FILE
//
// The weights stay exactly as nsfwjs ships them (uint8 with a per-tensor min
// and scale); batch normalisation, ReLU6 and zero padding are attached to the
// convolution they follow. The preprocessing facts Bulwark's C code relies on
// are checked against nsfwjs's own source, so a changed package fails here
// instead of silently giving different scores.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { encodeModel } from './nudity-format.mjs';

const EXPECTED_VERSION = '4.3.0';
const CLASSES = ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy'];

function fail(msg) {
  console.error(`convert.mjs: ${msg}`);
  process.exit(1);
}

const [nodeModules, outFile] = process.argv.slice(2);
if (!nodeModules || !outFile) fail('usage: node convert.mjs NODE_MODULES OUT_FILE');
const pkgDir = path.join(nodeModules, 'nsfwjs');
const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
if (pkg.version !== EXPECTED_VERSION)
  fail(`nsfwjs is ${pkg.version}, expected ${EXPECTED_VERSION} (see tools/nudity/package-lock.json)`);

// nsfwjs's inference path (dist/cjs/core.js): pixels divided by 255, then a
// bilinear resize to 224x224 with align-corners, no mean subtraction.
function checkPreprocessing() {
  const core = fs.readFileSync(path.join(pkgDir, 'dist/cjs/core.js'), 'utf8');
  const facts = [
    [/var IMAGE_SIZE = 224;/, 'IMAGE_SIZE is 224'],
    [/this\.normalizationOffset = tf\.scalar\(255\);/, 'the normalisation offset is 255'],
    [/\.toFloat\(\)\s*\.div\(_this\.normalizationOffset\);/, 'pixels are divided by it first'],
    [/var alignCorners = true;\s*resized = tf\.image\.resizeBilinear\(normalized, \[size, size\], alignCorners\);/,
      'then resized bilinearly with align-corners'],
    [/img\.shape\[0\] !== size \|\| img\.shape\[1\] !== size/, 'only when not already 224x224'],
  ];
  for (const [re, what] of facts)
    if (!re.test(core)) fail(`nsfwjs's preprocessing changed: cannot confirm that ${what}`);
  const classes = fs.readFileSync(path.join(pkgDir, 'dist/cjs/nsfw_classes.js'), 'utf8');
  CLASSES.forEach((name, i) => {
    if (!new RegExp(`${i}: '${name}'`).test(classes)) fail(`class ${i} is no longer ${name}`);
  });
}

function loadModel() {
  const require = createRequire(path.join(pkgDir, 'package.json'));
  const dir = path.join(pkgDir, 'dist/models/mobilenet_v2');
  const json = require(path.join(dir, 'model.min.js'));
  const modelJson = json.default || json;
  const shard = require(path.join(dir, 'group1-shard1of1.min.js'));
  const weightBytes = Buffer.from(shard.default || shard, 'base64');
  return { modelJson, weightBytes };
}

// name -> {shape, min, scale, data}; every tensor must be used exactly once.
function sliceWeights(modelJson, weightBytes) {
  const manifest = modelJson.weightsManifest;
  if (manifest.length !== 1 || manifest[0].paths.length !== 1)
    fail('expected one weight group in one shard');
  const tensors = new Map();
  let offset = 0;
  for (const spec of manifest[0].weights) {
    const q = spec.quantization;
    if (spec.dtype !== 'float32' || !q || q.dtype !== 'uint8')
      fail(`weight ${spec.name} is not uint8-quantised float32`);
    const count = spec.shape.reduce((a, b) => a * b, 1);
    tensors.set(spec.name, {
      shape: spec.shape, min: q.min, scale: q.scale,
      data: weightBytes.subarray(offset, offset + count), used: false,
    });
    offset += count;
  }
  if (offset !== weightBytes.length)
    fail(`weights are ${weightBytes.length} bytes, the manifest describes ${offset}`);
  return tensors;
}

function takeTensor(tensors, name, shape) {
  const t = tensors.get(name);
  if (!t) fail(`missing weight ${name}`);
  if (t.used) fail(`weight ${name} used twice`);
  if (JSON.stringify(t.shape) !== JSON.stringify(shape))
    fail(`weight ${name} has shape ${t.shape}, expected ${shape}`);
  t.used = true;
  return t;
}

// TensorFlow's "same" padding: the odd pixel goes at the bottom/right.
function samePad(size, k, s) {
  const out = Math.ceil(size / s);
  const total = Math.max((out - 1) * s + k - size, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

// Walks the Keras graph in its (topological) order and emits one op per
// convolution, depthwise convolution, residual add, pooling and dense layer.
function buildOps(modelJson, tensors) {
  const config = modelJson.modelTopology.model_config.config;
  const layers = config.layers;
  const consumers = new Map();
  for (const l of layers)
    for (const [src] of l.inbound_nodes[0] || [])
      consumers.set(src, [...(consumers.get(src) || []), l.name]);
  const onlyConsumer = (name, cls) => {
    const c = consumers.get(name) || [];
    if (c.length !== 1 || byName.get(c[0]).class_name !== cls)
      fail(`${name} must feed exactly one ${cls}`);
  };

  const ops = [];
  const producer = new Map(); // layer name -> index of the op whose output it is (-1: input)
  const shapes = new Map();   // layer name -> [h, w, c]
  const byName = new Map(layers.map((l) => [l.name, l]));
  const padOf = new Map(); // ZeroPadding2D name -> {src, pad}
  let input;
  const inputsOf = (l) => (l.inbound_nodes[0] || []).map(([src]) => src);
  const chainInput = (l) => {
    const [src] = inputsOf(l);
    if (producer.get(src) !== ops.length - 1) fail(`${l.name} does not follow the previous op`);
    return shapes.get(src);
  };

  for (const l of layers) {
    const c = l.config;
    const [src] = inputsOf(l);
    switch (l.class_name) {
      case 'InputLayer': {
        const [, h, w, ch] = c.batch_input_shape;
        if (ch !== 3) fail('the input must have 3 channels');
        input = [h, w, ch];
        producer.set(l.name, -1);
        shapes.set(l.name, input);
        break;
      }
      case 'ZeroPadding2D': {
        const next = (consumers.get(l.name) || []).map((n) => byName.get(n));
        if (next.length !== 1 || !['Conv2D', 'DepthwiseConv2D'].includes(next[0].class_name) ||
            next[0].config.padding !== 'valid')
          fail(`${l.name} must feed exactly one convolution with valid padding`);
        const [[t, b], [left, right]] = c.padding;
        padOf.set(l.name, { src, pad: [t, b, left, right] });
        break;
      }
      case 'Conv2D':
      case 'DepthwiseConv2D': {
        const depthwise = l.class_name === 'DepthwiseConv2D';
        // A ZeroPadding2D before it becomes explicit, asymmetric padding.
        const zp = padOf.get(src);
        const realSrc = zp ? zp.src : src;
        const inShape = shapes.get(realSrc);
        let pad = zp ? zp.pad : [0, 0, 0, 0];
        if (producer.get(realSrc) !== ops.length - 1) fail(`${l.name} does not follow the previous op`);
        const [kh, kw] = c.kernel_size;
        const [sh, sw] = c.strides;
        if (c.dilation_rate.some((d) => d !== 1)) fail(`${l.name}: dilation is not supported`);
        if (c.data_format !== 'channels_last') fail(`${l.name}: not channels_last`);
        if (depthwise && c.depth_multiplier !== 1) fail(`${l.name}: depth multiplier must be 1`);
        if (c.activation !== 'linear') fail(`${l.name}: fused activation ${c.activation}`);
        if (c.padding === 'same') {
          const [t, b] = samePad(inShape[0], kh, sh);
          const [left, right] = samePad(inShape[1], kw, sw);
          pad = [pad[0] + t, pad[1] + b, pad[2] + left, pad[3] + right];
        } else if (c.padding !== 'valid') {
          fail(`${l.name}: padding ${c.padding}`);
        }
        const cin = inShape[2];
        const cout = depthwise ? cin : c.filters;
        const weights = depthwise
          ? takeTensor(tensors, `${l.name}/depthwise_kernel`, [kh, kw, cin, 1])
          : takeTensor(tensors, `${l.name}/kernel`, [kh, kw, cin, cout]);
        const op = {
          kind: depthwise ? 'depthwise' : 'conv', act: 'linear', kernel: [kh, kw],
          stride: [sh, sw], pad, outChannels: cout, weights,
        };
        if (c.use_bias) op.bias = takeTensor(tensors, `${l.name}/bias`, [cout]);
        ops.push(op);
        const oh = Math.floor((inShape[0] + pad[0] + pad[1] - kh) / sh) + 1;
        const ow = Math.floor((inShape[1] + pad[2] + pad[3] - kw) / sw) + 1;
        producer.set(l.name, ops.length - 1);
        shapes.set(l.name, [oh, ow, cout]);
        break;
      }
      case 'BatchNormalization': {
        const op = ops[ops.length - 1];
        if (producer.get(src) !== ops.length - 1 || op.bn || op.act !== 'linear' ||
            !['conv', 'depthwise'].includes(op.kind))
          fail(`${l.name} does not follow a convolution`);
        onlyConsumer(src, 'BatchNormalization');
        if (!(c.axis === -1 || c.axis === 3) || !c.center || !c.scale)
          fail(`${l.name}: unsupported configuration`);
        const n = shapes.get(src)[2];
        op.bn = { epsilon: c.epsilon };
        for (const [k, w] of [['gamma', 'gamma'], ['beta', 'beta'], ['mean', 'moving_mean'],
          ['variance', 'moving_variance']])
          op.bn[k] = takeTensor(tensors, `${l.name}/${w}`, [n]);
        producer.set(l.name, ops.length - 1);
        shapes.set(l.name, shapes.get(src));
        break;
      }
      case 'ReLU': {
        const op = ops[ops.length - 1];
        if (producer.get(src) !== ops.length - 1 || op.act !== 'linear')
          fail(`${l.name} does not follow an op without activation`);
        if (c.max_value !== 6 || c.threshold !== 0 || c.negative_slope !== 0)
          fail(`${l.name}: only ReLU6 is supported`);
        // Whatever else reads the pre-activation value would see it changed.
        if ((consumers.get(src) || []).length !== 1) fail(`${src} is read besides ${l.name}`);
        op.act = 'relu6';
        producer.set(l.name, ops.length - 1);
        shapes.set(l.name, shapes.get(src));
        break;
      }
      case 'Add': {
        const srcs = inputsOf(l);
        if (srcs.length !== 2) fail(`${l.name}: only two-input adds are supported`);
        const [a, b] = srcs.map((s) => producer.get(s));
        const last = ops.length - 1;
        const other = a === last ? b : b === last ? a : fail(`${l.name} does not follow the previous op`);
        if (JSON.stringify(shapes.get(srcs[0])) !== JSON.stringify(shapes.get(srcs[1])))
          fail(`${l.name}: shapes differ`);
        ops.push({ kind: 'add', act: 'linear', other });
        producer.set(l.name, ops.length - 1);
        shapes.set(l.name, shapes.get(srcs[0]));
        break;
      }
      case 'AveragePooling2D': {
        const [h, w, ch] = chainInput(l);
        const [ph, pw] = c.pool_size;
        if (ph !== h || pw !== w || c.padding !== 'valid')
          fail(`${l.name}: only a pool over the whole ${h}x${w} map is supported`);
        ops.push({ kind: 'avgpool', act: 'linear', pool: [ph, pw] });
        producer.set(l.name, ops.length - 1);
        shapes.set(l.name, [1, 1, ch]);
        break;
      }
      case 'Flatten':
      case 'Dropout': // identity at inference
        producer.set(l.name, producer.get(src));
        shapes.set(l.name, l.class_name === 'Flatten'
          ? [1, 1, shapes.get(src).reduce((x, y) => x * y, 1)] : shapes.get(src));
        break;
      case 'Dense': {
        const [, , n] = chainInput(l);
        if (shapes.get(src)[0] !== 1 || shapes.get(src)[1] !== 1) fail(`${l.name}: input not flat`);
        if (!['relu', 'softmax', 'linear'].includes(c.activation)) fail(`${l.name}: ${c.activation}`);
        const op = {
          kind: 'dense', act: c.activation, units: c.units,
          weights: takeTensor(tensors, `${l.name}/kernel`, [n, c.units]),
        };
        if (c.use_bias) op.bias = takeTensor(tensors, `${l.name}/bias`, [c.units]);
        ops.push(op);
        producer.set(l.name, ops.length - 1);
        shapes.set(l.name, [1, 1, c.units]);
        break;
      }
      default:
        fail(`unsupported layer ${l.class_name} (${l.name})`);
    }
  }
  const [[outName]] = config.output_layers;
  if (producer.get(outName) !== ops.length - 1) fail('the output is not the last op');
  const last = ops[ops.length - 1];
  if (last.kind !== 'dense' || last.act !== 'softmax' || last.units !== CLASSES.length)
    fail('the model must end in a softmax over the five classes');
  for (const [name, t] of tensors) if (!t.used) fail(`weight ${name} is not used`);
  return { input, ops };
}

checkPreprocessing();
const { modelJson, weightBytes } = loadModel();
const tensors = sliceWeights(modelJson, weightBytes);
const { input, ops } = buildOps(modelJson, tensors);
const bytes = encodeModel({
  source: `nsfwjs ${pkg.version} MobileNetV2 (${pkg.license})`,
  input, classes: CLASSES, ops,
});
fs.mkdirSync(path.dirname(path.resolve(outFile)), { recursive: true });
fs.writeFileSync(`${outFile}.tmp`, bytes);
fs.renameSync(`${outFile}.tmp`, outFile);
const params = [...tensors.values()].reduce((a, t) => a + t.data.length, 0);
console.log(`convert.mjs: ${outFile}: ${ops.length} ops, ${params} weights, ${bytes.length} bytes`);
