import { access, constants } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import type { Token } from 'node-llama-cpp';
import type { CompletionEngine, FinishReason } from './engine.ts';

// The llama engine: a GGUF model run by llama.cpp on the CPU through node-llama-cpp. One
// context holds a sequence per slot; llama.cpp evaluates the running sequences in one batch,
// as a GPU server batches its requests. Decoding is greedy (temperature 0), so a prompt's
// completion is the same on every replica. node-llama-cpp is imported only when this engine is
// chosen, so the simulated service needs none of it.

export interface LlamaSettings {
  modelPath: string;
  /** Threads llama.cpp evaluates with. */
  threads: number;
  /** Tokens each sequence holds, prompt and generated (vLLM's --max-model-len). */
  contextSize: number;
  /** Sequences evaluated together: the service's slots. */
  sequences: number;
}

export class EngineLoadError extends Error {}

export async function loadLlamaEngine(s: LlamaSettings): Promise<CompletionEngine> {
  try {
    await access(s.modelPath, constants.R_OK);
  } catch {
    throw new EngineLoadError(`the model file ${s.modelPath} cannot be read (INFERENCE_MODEL_PATH).`);
  }
  // node-llama-cpp asks for a home folder when it loads; a pod's numeric user has none (no
  // passwd entry), so the temporary folder stands in.
  process.env.HOME ??= tmpdir();
  const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
  const llama = await getLlama({ gpu: false, build: 'never', usePrebuiltBinaries: true, logLevel: LlamaLogLevel.error, maxThreads: s.threads });
  let model;
  try {
    model = await llama.loadModel({ modelPath: s.modelPath });
  } catch (error) {
    await llama.dispose();
    throw new EngineLoadError(`llama.cpp could not load the model ${s.modelPath}: ${(error as Error).message.split('\n')[0]}`);
  }
  const context = await model.createContext({ contextSize: s.contextSize, sequences: s.sequences, threads: s.threads });
  const free = Array.from({ length: s.sequences }, () => context.getSequence());
  const start = model.tokens.bos === null ? [] : [model.tokens.bos];
  return {
    kind: 'llama',
    countTokens: (prompt) => start.length + model.tokenize(prompt).length,
    async generate({ prompt, maxTokens, ignoreEos }, sink, signal) {
      const sequence = free.pop();
      if (!sequence) throw new Error('every sequence is busy: the service called the engine beyond its slots');
      const generated: Token[] = [];
      let finishReason: FinishReason = 'length';
      // Tokens before this index are shown; the text of the rest waits for a whole character.
      let shown = 0;
      try {
        await sequence.clearHistory();
        // Greedy decoding, token by token: an end-of-sequence token stops it unless
        // ignore_eos, which generates on past it, as vLLM does.
        for await (const token of sequence.evaluate([...start, ...model.tokenize(prompt)], { yieldEogToken: true })) {
          if (signal.aborted) {
            finishReason = 'abort';
            break;
          }
          generated.push(token);
          sink.token();
          if (model.isEogToken(token) && !ignoreEos) {
            finishReason = 'stop';
            break;
          }
          // Text goes out once its characters are whole (a token can end inside one); only the
          // tokens not yet shown are detokenized, the few before them given as context (spacing).
          const text = model.detokenize(generated.slice(shown), false, generated.slice(Math.max(0, shown - 4), shown));
          if (!text.endsWith('\uFFFD')) {
            sink.text(text);
            shown = generated.length;
          }
          if (generated.length >= maxTokens) break;
        }
      } finally {
        free.push(sequence);
      }
      return { tokens: generated.length, finishReason };
    },
    async close() {
      await context.dispose();
      await model.dispose();
      await llama.dispose();
    },
  };
}
