#!/usr/bin/env node
// Writes ONNX Runtime's outputs on QuantGen's QDQ exports as ONNX test vectors, the offline oracle of
// tests/QuantGen.Quantization.Tests/QdqExportTests.cs (CI has no ONNX Runtime and no network).
//
// Re-run whenever the exported models change (QdqExportTests' byte-identity test says so):
//   1. QUANTGEN_UPDATE=1 dotnet test tests/QuantGen.Quantization.Tests -c Release --filter FullyQualifiedName~Qdq
//      rewrites tests/assets/qdq/{model}/model.int8.onnx (the agreement test fails until step 2 is done);
//   2. with ONNX Runtime 1.30 for Node (npm install --ignore-scripts onnxruntime-node@1.30.0 onnx-proto@8.0.1):
//      export NODE_PATH=/path/to/node_modules
//      node tests/assets/qdq/make-vectors.js
//      writes tests/assets/qdq/{model}/test_data_set_K/{input_0,output_0}.pb for the first COUNT samples of
//      tests/assets/models/{model}/data/test_x.f32, one sample per set, batch 1, ORT's default session options
//      (graph optimizations on: the QDQ nodes run as ORT's integer kernels).
//
// Measurement: node tests/assets/qdq/make-vectors.js dump OUT_DIR
//   writes OUT_DIR/{model}.f32, ORT's outputs on each model's whole test set (raw float32, sample after sample);
//   QG_QDQ_ORT_OUTPUTS=OUT_DIR dotnet test ... --filter FullyQualifiedName~Measure_agreement_with_onnx_runtime
//   --logger "console;verbosity=detailed" prints the simulator's agreement with them.
const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');
const { onnx } = require('onnx-proto');

const MODELS = ['clinical-mlp', 'digits-cnn', 'mobilenetv2-digits'];
const COUNT = 8;
const HERE = __dirname;
const ASSETS = path.join(HERE, '..');

function samplesOf(model, shape) {
  const size = shape.reduce((a, b) => a * b, 1);
  const bytes = fs.readFileSync(path.join(ASSETS, 'models', model, 'data', 'test_x.f32'));
  const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const samples = [];
  for (let at = 0; at + size <= all.length; at += size) samples.push(all.slice(at, at + size));
  return samples;
}

function tensorProto(name, dims, data) {
  return onnx.TensorProto.encode({
    name, dims, dataType: onnx.TensorProto.DataType.FLOAT,
    rawData: Buffer.from(data.buffer, data.byteOffset, data.byteLength),
  }).finish();
}

async function session(model) {
  const s = await ort.InferenceSession.create(path.join(HERE, model, 'model.int8.onnx'));
  // One sample per run: the symbolic batch axis is 1.
  const shape = s.inputMetadata[0].shape.map((d) => (typeof d === 'number' && d > 0 ? d : 1));
  return { s, shape };
}

async function vectors() {
  for (const model of MODELS) {
    const { s, shape } = await session(model);
    const samples = samplesOf(model, shape).slice(0, COUNT);
    for (let k = 0; k < samples.length; k++) {
      const out = await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', samples[k], shape) });
      const y = out[s.outputNames[0]];
      const dir = path.join(HERE, model, `test_data_set_${k}`);
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'input_0.pb'), tensorProto(s.inputNames[0], shape, samples[k]));
      fs.writeFileSync(path.join(dir, 'output_0.pb'), tensorProto(s.outputNames[0], y.dims, y.data));
    }
    console.log(`${model}: ${samples.length} test vectors`);
  }
}

async function dump(outDir) {
  fs.mkdirSync(outDir, { recursive: true });
  for (const model of MODELS) {
    const { s, shape } = await session(model);
    const parts = [];
    for (const x of samplesOf(model, shape)) {
      const y = (await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', x, shape) }))[s.outputNames[0]].data;
      parts.push(Buffer.from(y.buffer, y.byteOffset, y.byteLength));
    }
    fs.writeFileSync(path.join(outDir, `${model}.f32`), Buffer.concat(parts));
    console.log(`${model}: ${parts.length} outputs`);
  }
}

const [cmd, arg] = process.argv.slice(2);
if (cmd === undefined) vectors();
else if (cmd === 'dump' && arg) dump(arg);
else { console.error('usage: make-vectors.js | make-vectors.js dump OUT_DIR'); process.exit(2); }
