import { ConfigError, loadConfig } from './config.ts';
import { jsonLogger as log } from './log.ts';
import type { CompletionEngine } from './engine.ts';
import { createInferenceService } from './server.ts';

let config;
try {
  config = loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  log('error', error.message);
  process.exit(2);
}

// The llama engine loads its model before the ports open, so the pod is Ready only once it
// can answer.
let engine: CompletionEngine | undefined;
if (config.engine === 'llama') {
  const started = performance.now();
  try {
    const { loadLlamaEngine } = await import('./llama-engine.ts');
    engine = await loadLlamaEngine({ modelPath: config.modelPath, threads: config.llamaThreads, contextSize: config.maxModelLen, sequences: config.slots });
  } catch (error) {
    log('error', (error as Error).message.split('\n')[0] ?? 'the llama engine could not start');
    process.exit(2);
  }
  log('info', 'model loaded', { modelPath: config.modelPath, loadMs: Math.round(performance.now() - started), threads: config.llamaThreads, contextSize: config.maxModelLen, sequences: config.slots });
}

const service = createInferenceService(config, log, Math.random, engine);
try {
  await service.listen();
} catch (error) {
  log('error', `could not listen: ${(error as Error).message}`);
  process.exit(1);
}

let stopping = false;
const stop = (signal: string): void => {
  if (stopping) return;
  stopping = true;
  log('info', 'signal received', { signal });
  service.shutdown().then(
    ({ forced }) => process.exit(forced ? 1 : 0),
    (error: Error) => {
      log('error', `shutdown failed: ${error.message}`);
      process.exit(1);
    },
  );
};
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
