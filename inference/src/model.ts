// A tiny deterministic two-layer network: the "model" every pod serves. Its weights are a
// pure function of their position, so every replica answers the same input the same way.

export const HIDDEN = 32;
export const CLASSES = 4;

function weight(layer: number, row: number, col: number): number {
  return Math.sin(layer * 7919 + row * 104729 + col * 1299709) * 0.5;
}

export function forward(inputs: readonly number[]): number[] {
  const hidden = new Float64Array(HIDDEN);
  for (let h = 0; h < HIDDEN; h++) {
    let sum = weight(0, h, -1);
    for (let i = 0; i < inputs.length; i++) sum += weight(0, h, i) * (inputs[i] as number);
    hidden[h] = Math.tanh(sum);
  }
  const logits = new Float64Array(CLASSES);
  let max = -Infinity;
  for (let c = 0; c < CLASSES; c++) {
    let sum = weight(1, c, -1);
    for (let h = 0; h < HIDDEN; h++) sum += weight(1, c, h) * (hidden[h] as number);
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

/** Runs the forward pass repeatedly until busyMs of real arithmetic has been spent. */
export function computeFor(inputs: readonly number[], busyMs: number): { outputs: number[]; passes: number } {
  const deadline = performance.now() + busyMs;
  let outputs = forward(inputs);
  let passes = 1;
  while (performance.now() < deadline) {
    outputs = forward(inputs);
    passes += 1;
  }
  return { outputs, passes };
}
