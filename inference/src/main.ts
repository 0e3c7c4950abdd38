import { ConfigError, loadConfig } from './config.ts';
import { jsonLogger as log } from './log.ts';
import { createInferenceService } from './server.ts';

let config;
try {
  config = loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  log('error', error.message);
  process.exit(2);
}

const service = createInferenceService(config, log);
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
