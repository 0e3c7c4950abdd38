import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** The repository root, wherever a script is started from. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export const repoPath = (...parts: string[]): string => join(REPO_ROOT, ...parts);

export const ADAPTER_RULES_FILE = 'base/monitoring/adapter-rules.yaml';

export const OVERLAYS = ['overlays/local', 'overlays/minikube', 'overlays/cloud'];
/** Every overlay validate checks: the providers' defaults, the policy comparison's app, the embedded cluster on KEDA (and scaled to zero), on a real model, and each server preset's example. */
/** The model servers a preset runs (components/servers/<name>), each with an example overlay in overlays/servers/<name>. */
export const SERVER_PRESETS = ['vllm', 'tgi', 'sglang', 'llamacpp', 'triton'];
export const VALIDATED_OVERLAYS = [...OVERLAYS, 'overlays/compare', 'overlays/local-keda', 'overlays/local-zero', 'overlays/local-llm', ...SERVER_PRESETS.map((s) => `overlays/servers/${s}`)];
