// Writes the ResNet-18-class benchmark model: torchvision's ResNet-18 at 224×224 with seeded random weights, its
// calibration images and one test vector whose output ONNX Runtime computes (ORT is the oracle, as for the other models).
//
//   NODE_PATH=/tmp/ort/node_modules node tests/QuantGen.Benchmarks/resnet18/make-model.js [OUT_DIR]
//
// OUT_DIR defaults to tests/QuantGen.Benchmarks/obj/resnet18 (git-ignored: the model is 47 MB); the benchmark's
// csproj runs this script when the model is missing or older than the script. It writes:
//   model.onnx                      opset 13, input image [1,3,224,224], output logits [1,1000]; BatchNorm folded into
//                                   Conv as PyTorch exports it with constant folding
//   data/calib_x.f32                16 images [3,224,224] float32, raw little-endian, ImageNet-normalized
//   test_data_set_0/input_0.pb, output_0.pb    TensorProto files
//   meta.json                       as the reference models' meta.json
// Everything but output_0.pb (and the ORT version meta.json names) is the same bytes on every run and machine: a seeded
// PRNG and IEEE arithmetic only. output_0.pb is ONNX Runtime's result on this CPU.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');

function requireOrExplain(name) {
  try {
    return require(name);
  } catch (e) {
    console.error(`make-model.js needs onnxruntime-node@1.30.0 and onnx-proto@8.0.1: set NODE_PATH to a node_modules ` +
      `holding them (e.g. /tmp/ort/node_modules; side-by-side.sh's header says how to install them). ${e.message}`);
    process.exit(1);
  }
}
const { onnx } = requireOrExplain('onnx-proto');
const ort = requireOrExplain('onnxruntime-node');

const outDir = path.resolve(process.argv[2] || path.join(__dirname, '..', 'obj', 'resnet18'));
const CALIBRATION_IMAGES = 16;
const SIZE = 224;
// Seeds of the independent streams: changing the images never changes the weights.
const WEIGHT_SEED = 18, IMAGE_SEED = 224;
// A residual branch's last conv scaled down (as zero-init BatchNorm gamma does, but not zero): each block adds a
// little to its input, so activations stay O(1) through the 8 blocks instead of doubling their variance per block.
const RESIDUAL_BRANCH_GAIN = 0.2;

if (os.endianness() !== 'LE') throw new Error('raw_data and .f32 files are little-endian; this writer copies Float32Array bytes as they are');

// --- Seeded randomness (mulberry32; Box-Muller). V8's Math.log/cos/exp are fdlibm ports: the same bits on any CPU. ---
function random(seed) {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  return { uniform, normal };
}

// --- The graph, built as PyTorch 1.13 names it (node /layer1/layer1.0/conv1/Conv, output {node}_output_0) ----------
const rng = random(WEIGHT_SEED);
const nodes = [];
const initializers = [];
let parameters = 0;

const ints = (name, values) => ({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: values });
const int = (name, value) => ({ name, type: onnx.AttributeProto.AttributeType.INT, i: value });
const float = (name, value) => ({ name, type: onnx.AttributeProto.AttributeType.FLOAT, f: value });

function tensor(name, dims, values) {
  const data = Float32Array.from(values);
  return { name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: Buffer.from(data.buffer) };
}

function initializer(name, dims, values) {
  initializers.push(tensor(name, dims, values));
  parameters += values.length;
  return name;
}

function node(opType, name, inputs, attribute = []) {
  const output = `${name}_output_0`;
  nodes.push({ opType, name, input: inputs, output: [output], attribute });
  return output;
}

/**
 * A Conv with BatchNorm folded in. He-normal weights (std sqrt(2 / fan_in) keeps E[x²] through Conv + Relu) times
 * `gain`, times a per-channel factor standing in for the folded gamma / sqrt(var): per-channel weight ranges differ,
 * as in a trained network, so per-channel quantization has something to do. The bias stands in for the folded
 * beta - mean * scale.
 */
function conv(scope, param, x, cin, cout, kernel, stride, gain) {
  const fanIn = cin * kernel * kernel;
  const std = gain * Math.sqrt(2 / fanIn);
  const weights = new Float64Array(cout * fanIn);
  const bias = new Float64Array(cout);
  for (let o = 0; o < cout; o++) {
    const channelScale = Math.exp(0.25 * rng.normal());
    for (let k = 0; k < fanIn; k++) weights[o * fanIn + k] = std * channelScale * rng.normal();
    bias[o] = 0.1 * gain * rng.normal();
  }
  const pad = (kernel - 1) >> 1;
  return node('Conv', `${scope}/Conv`, [
    x,
    initializer(`${param}.weight`, [cout, cin, kernel, kernel], weights),
    initializer(`${param}.bias`, [cout], bias),
  ], [ints('dilations', [1, 1]), int('group', 1), ints('kernel_shape', [kernel, kernel]), ints('pads', [pad, pad, pad, pad]), ints('strides', [stride, stride])]);
}

function basicBlock(stage, index, x, cin, cout, stride) {
  const scope = `/layer${stage}/layer${stage}.${index}`, param = `layer${stage}.${index}`;
  let y = conv(`${scope}/conv1`, `${param}.conv1`, x, cin, cout, 3, stride, 1);
  y = node('Relu', `${scope}/relu/Relu`, [y]);
  y = conv(`${scope}/conv2`, `${param}.conv2`, y, cout, cout, 3, 1, RESIDUAL_BRANCH_GAIN);
  // The 1×1 downsample feeds no Relu: gain sqrt(1/2) makes its std sqrt(1 / fan_in), which keeps E[x²].
  const identity = stride !== 1 || cin !== cout
    ? conv(`${scope}/downsample/downsample.0`, `${param}.downsample.0`, x, cin, cout, 1, stride, Math.SQRT1_2)
    : x;
  y = node('Add', `${scope}/Add`, [y, identity]);
  return node('Relu', `${scope}/relu_1/Relu`, [y]);
}

let x = conv('/conv1', 'conv1', 'image', 3, 64, 7, 2, 1);
x = node('Relu', '/relu/Relu', [x]);
x = node('MaxPool', '/maxpool/MaxPool', [x], [int('ceil_mode', 0), ints('kernel_shape', [3, 3]), ints('pads', [1, 1, 1, 1]), ints('strides', [2, 2])]);
let channels = 64;
[64, 128, 256, 512].forEach((width, s) => {
  x = basicBlock(s + 1, 0, x, channels, width, s === 0 ? 1 : 2);
  x = basicBlock(s + 1, 1, x, width, width, 1);
  channels = width;
});
x = node('GlobalAveragePool', '/avgpool/GlobalAveragePool', [x]);
x = node('Flatten', '/Flatten', [x], [int('axis', 1)]);
{
  // std sqrt(1 / 512): logits of a few units for pooled features of order 1.
  const weights = new Float64Array(1000 * 512), bias = new Float64Array(1000);
  for (let i = 0; i < weights.length; i++) weights[i] = Math.sqrt(1 / 512) * rng.normal();
  for (let i = 0; i < bias.length; i++) bias[i] = 0.01 * rng.normal();
  nodes.push({ opType: 'Gemm', name: '/fc/Gemm', input: [x, initializer('fc.weight', [1000, 512], weights), initializer('fc.bias', [1000], bias)],
    output: ['logits'], attribute: [float('alpha', 1), float('beta', 1), int('transB', 1)] });
}

const valueInfo = (name, dims) => ({ name, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } });
const model = {
  irVersion: 7,
  producerName: 'QuantGen tests/QuantGen.Benchmarks/resnet18/make-model.js',
  producerVersion: '1',
  docString: `torchvision ResNet-18 structure, 224x224, BatchNorm folded; seeded random weights (seed ${WEIGHT_SEED}), not trained`,
  opsetImport: [{ domain: '', version: 13 }],
  graph: {
    name: 'resnet18',
    node: nodes,
    initializer: initializers,
    input: [valueInfo('image', [1, 3, SIZE, SIZE])],
    output: [valueInfo('logits', [1, 1000])],
  },
};
const modelBytes = onnx.ModelProto.encode(model).finish();

// --- Images: smooth multi-scale noise as 8-bit RGB, then ImageNet-normalized like torchvision's transforms ----------
const imageRng = random(IMAGE_SEED);
const MEAN = [0.485, 0.456, 0.406], STD = [0.229, 0.224, 0.225];
const PLANE = SIZE * SIZE;

/** One random grid of (cells+1)² values, bilinearly upsampled to SIZE×SIZE and added to `plane` with `amplitude`. */
function addOctave(plane, cells, amplitude) {
  const grid = new Float64Array((cells + 1) * (cells + 1));
  for (let i = 0; i < grid.length; i++) grid[i] = imageRng.normal();
  for (let yy = 0; yy < SIZE; yy++) {
    const gy = (yy + 0.5) * cells / SIZE, y0 = Math.floor(gy), fy = gy - y0;
    for (let xx = 0; xx < SIZE; xx++) {
      const gx = (xx + 0.5) * cells / SIZE, x0 = Math.floor(gx), fx = gx - x0;
      const g = (r, c) => grid[r * (cells + 1) + c];
      const top = g(y0, x0) * (1 - fx) + g(y0, x0 + 1) * fx;
      const bottom = g(y0 + 1, x0) * (1 - fx) + g(y0 + 1, x0 + 1) * fx;
      plane[yy * SIZE + xx] += amplitude * (top * (1 - fy) + bottom * fy);
    }
  }
}

function image() {
  // Coarse scales dominate (amplitude ~ 1/sqrt(cells)); a shared luminance plus weaker per-channel colour.
  const luminance = new Float64Array(PLANE);
  for (const cells of [2, 4, 8, 16, 32, 64, 112]) addOctave(luminance, cells, 1 / Math.sqrt(cells));
  const out = new Float32Array(3 * PLANE);
  for (let c = 0; c < 3; c++) {
    const colour = new Float64Array(PLANE);
    for (const cells of [2, 4, 8, 16]) addOctave(colour, cells, 0.5 / Math.sqrt(cells));
    const brightness = 0.3 + 0.4 * imageRng.uniform(), contrast = 0.15 + 0.15 * imageRng.uniform();
    for (let i = 0; i < PLANE; i++) {
      const pixel = Math.min(255, Math.max(0, Math.round(255 * (brightness + contrast * (luminance[i] + colour[i])))));
      out[c * PLANE + i] = (pixel / 255 - MEAN[c]) / STD[c];
    }
  }
  return out;
}

const calibration = new Float32Array(CALIBRATION_IMAGES * 3 * PLANE);
for (let i = 0; i < CALIBRATION_IMAGES; i++) calibration.set(image(), i * 3 * PLANE);
const testImage = image(); // the 17th image: not one of the calibration set

// --- Write into a fresh folder, then move it into place: an interrupted run never leaves a half model behind ------
async function main() {
  const staging = `${outDir}.tmp-${process.pid}`;
  fs.rmSync(staging, { recursive: true, force: true });
  fs.mkdirSync(path.join(staging, 'data'), { recursive: true });
  fs.mkdirSync(path.join(staging, 'test_data_set_0'));
  const modelPath = path.join(staging, 'model.onnx');
  fs.writeFileSync(modelPath, modelBytes);
  fs.writeFileSync(path.join(staging, 'data', 'calib_x.f32'), Buffer.from(calibration.buffer));
  const write = (file, t) => fs.writeFileSync(path.join(staging, 'test_data_set_0', file), onnx.TensorProto.encode(t).finish());
  write('input_0.pb', tensor('image', [1, 3, SIZE, SIZE], testImage));

  // One thread, like the benchmark's ORT side.
  const session = await ort.InferenceSession.create(modelPath, { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
  const result = await session.run({ image: new ort.Tensor('float32', testImage, [1, 3, SIZE, SIZE]) });
  const logits = result.logits.data;
  write('output_0.pb', tensor('logits', [1, 1000], logits));

  const ops = [...new Set(nodes.map((n) => n.opType))].sort();
  const ortVersion = require('onnxruntime-node/package.json').version;
  fs.writeFileSync(path.join(staging, 'meta.json'), JSON.stringify({
    task: 'ImageNet-shaped classifier, torchvision resnet18 structure at 224x224, seeded random weights (not trained)',
    input: `[1,3,${SIZE},${SIZE}]`,
    output: '[1,1000] logits',
    opset: 13,
    ops,
    nodes: nodes.length,
    params: parameters,
    bytes: modelBytes.length,
    generator: 'tests/QuantGen.Benchmarks/resnet18/make-model.js',
    seeds: { weights: WEIGHT_SEED, images: IMAGE_SEED },
    calibration_images: CALIBRATION_IMAGES,
    test_output_from: `onnxruntime-node ${ortVersion}`,
  }, null, 1));

  fs.rmSync(outDir, { recursive: true, force: true });
  fs.renameSync(staging, outDir);
  let top = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[top]) top = i;
  console.log(`make-model.js: wrote ${outDir} (${(modelBytes.length / 1048576).toFixed(1)} MiB, ${(parameters / 1e6).toFixed(2)} M parameters, ` +
    `${nodes.length} nodes; test output by ONNX Runtime ${ortVersion}: argmax ${top}, logit ${logits[top].toFixed(3)})`);
}

main().catch((e) => { console.error(e); process.exit(1); });
