// Writer of Bulwark's nudity-model file (format version 1). The reader is
// lib/nudity/nudity_load.c; docs/nudity.md describes the layout. Shared by
// the converter and the fuzz-corpus generator so both write the same thing.

export const MAGIC = 'BWNUDITY';
export const FORMAT_VERSION = 1;
export const HEADER_BYTES = 64;

export const OP = { conv: 1, depthwise: 2, add: 3, avgpool: 4, dense: 5 };
export const ACT = { linear: 0, relu: 1, relu6: 2, softmax: 3 };
export const FLAG = { batchnorm: 1, bias: 2 };

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

// CRC-32 (IEEE 802.3, as zlib computes it).
export function crc32(bytes) {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// Appends little-endian fields to a growing list of chunks.
export class Writer {
  constructor() { this.chunks = []; this.length = 0; }
  bytes(b) { const u = Uint8Array.from(b); this.chunks.push(u); this.length += u.length; }
  u8(v) { this.bytes([v]); }
  u16(v) { const b = Buffer.alloc(2); b.writeUInt16LE(v); this.bytes(b); }
  u32(v) { const b = Buffer.alloc(4); b.writeUInt32LE(v); this.bytes(b); }
  f64(v) { const b = Buffer.alloc(8); b.writeDoubleLE(v); this.bytes(b); }
  str8(s) { const b = Buffer.from(s, 'utf8'); this.u8(b.length); this.bytes(b); }
  str16(s) { const b = Buffer.from(s, 'utf8'); this.u16(b.length); this.bytes(b); }
  // A uint8-quantised tensor: value = q * scale + min, as TensorFlow.js
  // dequantises it (in double precision, then rounded to float32).
  tensor(t) {
    this.u32(t.data.length);
    this.f64(t.min);
    this.f64(t.scale);
    this.bytes(t.data);
  }
  concat() { return Buffer.concat(this.chunks.map((c) => Buffer.from(c))); }
}

// op: {kind, act, kernel: [kh, kw], stride: [sh, sw], pad: [t, b, l, r],
//      outChannels, weights, bn: {epsilon, gamma, beta, mean, variance},
//      bias, other, pool: [ph, pw], units}
function writeOp(w, op) {
  let flags = 0;
  if (op.bn) flags |= FLAG.batchnorm;
  if (op.bias) flags |= FLAG.bias;
  w.u8(OP[op.kind]);
  w.u8(ACT[op.act]);
  w.u8(flags);
  w.u8(0);
  switch (op.kind) {
    case 'conv':
    case 'depthwise':
      w.u8(op.kernel[0]); w.u8(op.kernel[1]);
      w.u8(op.stride[0]); w.u8(op.stride[1]);
      for (const p of op.pad) w.u8(p);
      w.u32(op.outChannels);
      w.tensor(op.weights);
      break;
    case 'add':
      w.u32(op.other);
      break;
    case 'avgpool':
      w.u16(op.pool[0]); w.u16(op.pool[1]);
      break;
    case 'dense':
      w.u32(op.units);
      w.tensor(op.weights);
      break;
    default:
      throw new Error(`unknown op kind ${op.kind}`);
  }
  if (op.bn) {
    w.f64(op.bn.epsilon);
    for (const k of ['gamma', 'beta', 'mean', 'variance']) w.tensor(op.bn[k]);
  }
  if (op.bias) w.tensor(op.bias);
}

// model: {source, input: [h, w, c], classes: [names], ops: [...]}
export function encodeModel(model) {
  const body = new Writer();
  body.str16(model.source);
  for (const name of model.classes) body.str8(name);
  for (const op of model.ops) writeOp(body, op);
  const bodyBytes = body.concat();

  const header = Buffer.alloc(HEADER_BYTES);
  header.write(MAGIC, 0, 'latin1');
  header.writeUInt32LE(FORMAT_VERSION, 8);
  header.writeUInt32LE(HEADER_BYTES, 12);
  header.writeBigUInt64LE(BigInt(HEADER_BYTES + bodyBytes.length), 16);
  header.writeUInt32LE(crc32(bodyBytes), 24);
  header.writeUInt32LE(model.ops.length, 28);
  header.writeUInt16LE(model.input[0], 32);
  header.writeUInt16LE(model.input[1], 34);
  header.writeUInt16LE(model.input[2], 36);
  header.writeUInt16LE(model.classes.length, 38);
  header.writeUInt32LE(crc32(header.subarray(0, 60)), 60);
  return Buffer.concat([header, bodyBytes]);
}
