// TensorFlow.js training the playground's MLPs: the same layer sizes, activation,
// batch, optimizer (Adam or SGD with momentum, L2 weight decay as PyTorch's
// `weight_decay`), an lr set every iteration (linear warm-up, then cosine), a shuffled
// epoch order, and the loss read back every 10 iterations. Written with TensorFlow.js's
// core ops and `optimizer.minimize`, its fastest training path.
//
// `startBench(spec)` starts a measurement; `window.benchResult` is then `null` until it
// ends with `{itPerSec, iters, seconds, backend, version}` or `{error}`.

'use strict';

window.benchResult = null;

function lrSchedule(spec) {
  const warm = 50;
  const total = 10000;
  return (step) => {
    if (step < warm) return spec.lr * (0.1 + 0.9 * step / warm);
    return spec.lr * 0.5 * (1 + Math.cos(Math.PI * Math.min(step, total) / total));
  };
}

function buildOptimizer(o) {
  if (o.type === 'Adam' || o.type === 'AdamW') {
    const [b1, b2] = o.betas || [0.9, 0.999];
    return tf.train.adam(o.lr, b1, b2, o.eps || 1e-8);
  }
  if (o.type === 'SGD') return tf.train.momentum(o.lr, o.momentum || 0);
  throw new Error(`optimizer ${o.type}: the peer page has Adam, AdamW and SGD`);
}

async function trainSpeed(spec) {
  if (spec.backend === 'wasm' && !window.wasmPathsSet) {
    // The .wasm files lie beside this page.
    tf.wasm.setWasmPaths(new URL('./', location.href).href);
    window.wasmPathsSet = true;
  }
  if (!(await tf.setBackend(spec.backend))) throw new Error(`backend ${spec.backend} failed to start`);
  await tf.ready();
  const sizes = [spec.inFeatures, ...spec.hidden, spec.classes];
  const weights = [];
  const biases = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    const bound = 1 / Math.sqrt(sizes[l]);
    weights.push(tf.variable(tf.randomUniform([sizes[l], sizes[l + 1]], -bound, bound, 'float32', 10 + l)));
    biases.push(tf.variable(tf.randomUniform([sizes[l + 1]], -bound, bound, 'float32', 20 + l)));
  }
  const n = spec.samples;
  const x = tf.randomUniform([n, spec.inFeatures], -1, 1, 'float32', 1);
  const labels = tf.randomUniform([n], 0, spec.classes, 'int32', 2);
  const y = tf.oneHot(labels, spec.classes).toFloat();
  const act = { relu: tf.relu, tanh: tf.tanh, sigmoid: tf.sigmoid }[spec.activation];
  const optimizer = buildOptimizer(spec.optimizer);
  const wd = spec.optimizer.weight_decay || 0;
  const lrAt = lrSchedule(spec.optimizer);
  const batches = Math.ceil(n / spec.batch);
  let step = 0;
  let order = null;

  const one = () => {
    const i = step % batches;
    if (i === 0) {
      if (order) order.dispose();
      order = tf.tensor1d(Array.from(tf.util.createShuffledIndices(n)), 'int32');
    }
    optimizer.learningRate = lrAt(step);
    const cost = tf.tidy(() => {
      const size = Math.min(spec.batch, n - i * spec.batch);
      const idx = order.slice(i * spec.batch, size);
      const xb = tf.gather(x, idx);
      const yb = tf.gather(y, idx);
      return optimizer.minimize(() => {
        let h = xb;
        for (let l = 0; l < weights.length; l++) {
          h = tf.add(tf.matMul(h, weights[l]), biases[l]);
          if (l + 1 < weights.length) h = act(h);
        }
        let loss = tf.losses.softmaxCrossEntropy(yb, h);
        if (wd > 0) {
          // PyTorch's weight_decay adds wd * w to the gradient: the gradient of wd/2 |w|².
          const all = [...weights, ...biases].map((w) => tf.sum(tf.square(w)));
          loss = tf.add(loss, tf.mul(tf.addN(all), wd / 2));
        }
        return loss;
      }, true);
    });
    if (step % 10 === 9) cost.dataSync();
    cost.dispose();
    step += 1;
  };

  for (let k = 0; k < spec.warmup; k++) one();
  const t0 = performance.now();
  let iters = 0;
  while (performance.now() - t0 < spec.seconds * 1000) {
    // Chunks of about 100 ms, then yield so the page stays responsive.
    const chunkEnd = performance.now() + 100;
    while (performance.now() < chunkEnd) {
      one();
      iters += 1;
    }
    await new Promise((r) => setTimeout(r, 0));
  }
  // Wait for the last iterations' work: read every variable back (on webgl the queued
  // kernels finish only when a result is read).
  for (const v of [...weights, ...biases]) v.dataSync();
  const seconds = (performance.now() - t0) / 1000;
  const result = {
    itPerSec: iters / seconds, iters, seconds, backend: tf.getBackend(), version: tf.version.tfjs,
    wasmSimd: spec.backend === 'wasm' ? await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT') : null,
    wasmThreads: spec.backend === 'wasm' ? await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT') : null,
  };
  tf.disposeVariables();
  x.dispose(); labels.dispose(); y.dispose(); if (order) order.dispose();
  return result;
}

window.startBench = (spec) => {
  window.benchResult = null;
  document.getElementById('status').textContent = `running ${spec.backend}`;
  trainSpeed(spec).then(
    (r) => { window.benchResult = r; document.getElementById('status').textContent = 'done'; },
    (e) => { window.benchResult = { error: String(e && e.stack || e) }; },
  );
};
