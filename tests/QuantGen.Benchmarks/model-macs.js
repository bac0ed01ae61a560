// Multiply-accumulates of one batch-1 inference, computed from an ONNX model's Conv and Gemm/MatMul nodes.
// Handles the reference models' operators (shapes propagated in node order from the first input's shape).
// Usage: node model-macs.js MODEL.onnx  ->  {"macs": N}
'use strict';
const fs = require('fs');
const { onnx } = require('onnx-proto');

const model = onnx.ModelProto.decode(fs.readFileSync(process.argv[2]));
const g = model.graph;
const init = new Map(g.initializer.map((t) => [t.name, t.dims.map(Number)]));
const shapes = new Map();
for (const input of g.input) {
  if (init.has(input.name)) continue;
  shapes.set(input.name, input.type.tensorType.shape.dim.map((d) => (d.dimValue ? Number(d.dimValue) : 1)));
}
const attr = (node, name, dflt) => {
  const a = node.attribute.find((x) => x.name === name);
  if (!a) return dflt;
  return a.ints && a.ints.length ? a.ints.map(Number) : Number(a.i);
};
let macs = 0;
for (const n of g.node) {
  const x = shapes.get(n.input[0]) || init.get(n.input[0]);
  let y;
  switch (n.opType) {
    case 'Conv': {
      const w = init.get(n.input[1]);
      const strides = attr(n, 'strides', [1, 1]);
      const pads = attr(n, 'pads', [0, 0, 0, 0]);
      const dil = attr(n, 'dilations', [1, 1]);
      const oh = Math.floor((x[2] + pads[0] + pads[2] - dil[0] * (w[2] - 1) - 1) / strides[0]) + 1;
      const ow = Math.floor((x[3] + pads[1] + pads[3] - dil[1] * (w[3] - 1) - 1) / strides[1]) + 1;
      y = [x[0], w[0], oh, ow];
      macs += x[0] * w[0] * oh * ow * w[1] * w[2] * w[3];
      break;
    }
    case 'Gemm': case 'MatMul': {
      const w = init.get(n.input[1]) || shapes.get(n.input[1]);
      const transB = n.opType === 'Gemm' && attr(n, 'transB', 0) === 1;
      const out = transB ? w[0] : w[w.length - 1];
      const k = transB ? w[1] : w[w.length - 2];
      y = [...x.slice(0, -1), out];
      macs += y.reduce((a, b) => a * b, 1) * k;
      break;
    }
    case 'MaxPool': case 'AveragePool': {
      const k = attr(n, 'kernel_shape', [1, 1]);
      const strides = attr(n, 'strides', [1, 1]);
      const pads = attr(n, 'pads', [0, 0, 0, 0]);
      y = [x[0], x[1], Math.floor((x[2] + pads[0] + pads[2] - k[0]) / strides[0]) + 1,
        Math.floor((x[3] + pads[1] + pads[3] - k[1]) / strides[1]) + 1];
      break;
    }
    case 'GlobalAveragePool': y = [x[0], x[1], 1, 1]; break;
    case 'Flatten': y = [x[0], x.slice(1).reduce((a, b) => a * b, 1)]; break;
    case 'Constant': y = []; break;
    default: y = x; // elementwise (Relu, Clip, Add, Sub, Div, Softmax): no MACs counted
  }
  for (const o of n.output) shapes.set(o, y);
}
console.log(JSON.stringify({ macs }));
