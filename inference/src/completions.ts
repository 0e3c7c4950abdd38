import { HttpError } from './request.ts';

// The OpenAI-compatible completions API (POST /v1/completions), as vLLM serves it: a prompt
// in, max_tokens generated out, optionally streamed as server-sent events. What generates the
// tokens is the engine's (engine.ts).

export const COMPLETIONS_PATH = '/v1/completions';

export interface CompletionRequest {
  model: string;
  prompt: string;
  promptTokens: number;
  maxTokens: number;
  stream: boolean;
  /** vLLM's sampling parameter: generate max_tokens even past the end-of-sequence token (benchmarks use it for a fixed length). */
  ignoreEos: boolean;
}

/** OpenAI's default when max_tokens is left out. */
const DEFAULT_MAX_TOKENS = 16;

/** Parses and checks a completions body; each refusal is an HttpError with one sentence. */
export function parseCompletion(body: Buffer, o: { modelName: string; maxModelLen: number; countTokens: (prompt: string) => number }): CompletionRequest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new HttpError(400, `malformed JSON: ${(error as Error).message.split('\n')[0]}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new HttpError(400, 'the body must be a JSON object with "model" and "prompt"');
  const r = parsed as Record<string, unknown>;
  if (typeof r.model !== 'string') throw new HttpError(400, '"model" must be a string');
  if (r.model !== o.modelName) throw new HttpError(404, `the model "${r.model.slice(0, 200)}" does not exist; this server serves "${o.modelName}"`);
  const prompt = Array.isArray(r.prompt) && r.prompt.length === 1 ? r.prompt[0] : r.prompt;
  if (typeof prompt !== 'string' || prompt.length === 0) throw new HttpError(400, '"prompt" must be a non-empty string');
  const promptTokens = o.countTokens(prompt);
  if (promptTokens >= o.maxModelLen) throw new HttpError(400, `the prompt has ${promptTokens} tokens; this model's context is ${o.maxModelLen}`);
  const maxTokens = r.max_tokens ?? DEFAULT_MAX_TOKENS;
  const room = o.maxModelLen - promptTokens;
  if (typeof maxTokens !== 'number' || !Number.isInteger(maxTokens) || maxTokens < 1 || maxTokens > room) {
    throw new HttpError(400, `"max_tokens" must be a whole number from 1 to ${room} (the context of ${o.maxModelLen} less the prompt's ${promptTokens} tokens)`);
  }
  if (r.stream !== undefined && typeof r.stream !== 'boolean') throw new HttpError(400, '"stream" must be true or false');
  if (r.ignore_eos !== undefined && typeof r.ignore_eos !== 'boolean') throw new HttpError(400, '"ignore_eos" must be true or false');
  if (r.n !== undefined && r.n !== 1) throw new HttpError(400, 'only "n": 1 is served');
  return { model: r.model, prompt, promptTokens, maxTokens, stream: r.stream === true, ignoreEos: r.ignore_eos === true };
}

export interface CompletionIds {
  id: string;
  created: number;
}

export function completionBody(req: CompletionRequest, ids: CompletionIds, text: string, generated: number, finishReason: string): unknown {
  return {
    id: ids.id,
    object: 'text_completion',
    created: ids.created,
    model: req.model,
    choices: [{ index: 0, text, logprobs: null, finish_reason: finishReason }],
    usage: { prompt_tokens: req.promptTokens, completion_tokens: generated, total_tokens: req.promptTokens + generated },
  };
}

/** One server-sent event of a streamed completion: a token, or the end with its reason. */
export function chunkEvent(req: CompletionRequest, ids: CompletionIds, text: string, finishReason: string | null): string {
  const chunk = { id: ids.id, object: 'text_completion', created: ids.created, model: req.model, choices: [{ index: 0, text, logprobs: null, finish_reason: finishReason }] };
  return `data: ${JSON.stringify(chunk)}\n\n`;
}

export const DONE_EVENT = 'data: [DONE]\n\n';
