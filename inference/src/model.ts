// A tiny deterministic two-layer network: the "model" every pod serves. Its weights are a
// pure function of their position, so every replica answers the same input the same way.

export const HIDDEN = 32;
export const CLASSES = 4;

function weight(layer: number, row: number, col: number): number {
  return Math.sin(layer * 7919 + row * 104729 + col * 1299709) * 0.5;
}

// Weights are computed once per input width, not per request: the first layer has one
// column per input (plus the bias at -1), the second is fixed.
const firstLayer = new Map<number, Float64Array>();
function firstLayerFor(width: number): Float64Array {
  let w = firstLayer.get(width);
  if (!w) {
    w = new Float64Array(HIDDEN * (width + 1));
    for (let h = 0; h < HIDDEN; h++) for (let i = -1; i < width; i++) w[h * (width + 1) + i + 1] = weight(0, h, i);
    firstLayer.set(width, w);
  }
  return w;
}
const second = Float64Array.from({ length: CLASSES * (HIDDEN + 1) }, (_, k) => weight(1, Math.floor(k / (HIDDEN + 1)), (k % (HIDDEN + 1)) - 1));

export function forward(inputs: readonly number[]): number[] {
  const width = inputs.length;
  const w0 = firstLayerFor(width);
  const hidden = new Float64Array(HIDDEN);
  for (let h = 0; h < HIDDEN; h++) {
    const row = h * (width + 1);
    let sum = w0[row] as number;
    for (let i = 0; i < width; i++) sum += (w0[row + i + 1] as number) * (inputs[i] as number);
    hidden[h] = Math.tanh(sum);
  }
  const logits = new Float64Array(CLASSES);
  let max = -Infinity;
  for (let c = 0; c < CLASSES; c++) {
    const row = c * (HIDDEN + 1);
    let sum = second[row] as number;
    for (let h = 0; h < HIDDEN; h++) sum += (second[row + h + 1] as number) * (hidden[h] as number);
    logits[c] = sum;
    if (sum > max) max = sum;
  }
  let total = 0;
  for (let c = 0; c < CLASSES; c++) {
    logits[c] = Math.exp((logits[c] as number) - max);
    total += logits[c] as number;
  }
  return Array.from(logits, (v) => v / total);
}

/** CPU time this thread has spent, ms (user + system). */
export const threadCpuMs = (): number => {
  const { user, system } = process.threadCpuUsage();
  return (user + system) / 1000;
};

/**
 * Runs the forward pass repeatedly until busyMs of real arithmetic has been spent: CPU time
 * of this thread, not wall time, so a pod whose CPU limit throttles it takes longer, as a
 * CPU-bound model server does.
 */
export function computeFor(inputs: readonly number[], busyMs: number, cpuMs: () => number = threadCpuMs): { outputs: number[]; passes: number } {
  const deadline = cpuMs() + busyMs;
  let outputs = forward(inputs);
  let passes = 1;
  while (cpuMs() < deadline) {
    outputs = forward(inputs);
    passes += 1;
  }
  return { outputs, passes };
}
