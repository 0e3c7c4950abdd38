// What generates a completion's tokens. The service holds the API, the slots, the queue and
// the metrics; an engine only counts a prompt's tokens and generates, one sequence per slot.

export type FinishReason = 'length' | 'stop' | 'abort';

export interface Generation {
  /** Tokens generated. */
  tokens: number;
  finishReason: FinishReason;
}

/** Where an engine reports each generated token, then its text (which may lag a token behind, or be empty, while a character is incomplete). */
export interface GenerationSink {
  token(): void;
  text(text: string): void;
}

/** What an engine generates from: the prompt (and its tokens as countTokens counted them), the most tokens, and whether the end-of-sequence token may stop it. */
export interface GenerationRequest {
  prompt: string;
  promptTokens: number;
  maxTokens: number;
  ignoreEos: boolean;
}

export interface CompletionEngine {
  /** What the service's start-up log calls it: "simulated" or "llama". */
  readonly kind: string;
  /** Tokens of a prompt, as this engine's tokenizer counts them. */
  countTokens(prompt: string): number;
  /**
   * Generates up to maxTokens after the prompt, reporting each token to the sink as it is
   * made; stops early, as 'abort', when the signal fires. The service calls it at most once
   * per slot at a time.
   */
  generate(request: GenerationRequest, sink: GenerationSink, signal: AbortSignal): Promise<Generation>;
  /**
   * What the request costs a slot when it runs alone, seconds: the demand it brings, counted
   * when it arrives (inference_demand_seconds_total). Undefined where the engine cannot say
   * before running it.
   */
  nominalSeconds?(request: Pick<GenerationRequest, 'promptTokens' | 'maxTokens'>): number;
  close(): Promise<void>;
}

/** Tokens of a text, as a byte-pair tokenizer averages them: about four bytes each. */
export const approximateTokens = (text: string): number => Math.max(1, Math.ceil(Buffer.byteLength(text, 'utf8') / 4));

const WORDS = [' the', ' model', ' answers', ' with', ' tokens', ' at', ' a', ' steady', ' pace', '.'];

/** The simulated engine's i-th generated token. */
export const tokenText = (i: number): string => WORDS[i % WORDS.length] as string;

/** What a completion costs the simulated engine alone, seconds: its prompt's prefill, then each token's decode. */
export const simulatedSeconds = (costs: { prefillUsPerToken: number; decodeMsPerToken: number }, promptTokens: number, maxTokens: number): number =>
  (promptTokens * costs.prefillUsPerToken) / 1e6 + (maxTokens * costs.decodeMsPerToken) / 1000;

/**
 * The simulated engine: a GPU server's cost model, a prefill time per prompt token then a
 * decode time per generated token, spent by `work` (asleep, or on a worker's CPU). `paced`
 * (asleep): each token is due at the sum of the costs before it, so timers' lateness does
 * not add up over a sequence; on a CPU each token's work is spent in full, as contention
 * stretches it.
 */
export function simulatedEngine(
  costs: { prefillUsPerToken: number; decodeMsPerToken: number },
  work: (ms: number) => Promise<unknown>,
  paced = false,
  now: () => number = () => performance.now(),
): CompletionEngine {
  return {
    kind: 'simulated',
    countTokens: approximateTokens,
    nominalSeconds: ({ promptTokens, maxTokens }) => simulatedSeconds(costs, promptTokens, maxTokens),
    // Its tokens never end a sequence: every completion is max_tokens long, ignore_eos or not.
    async generate({ promptTokens, maxTokens }, sink, signal) {
      const started = now();
      let due = 0;
      const spend = (ms: number) => {
        due += ms;
        return work(paced ? Math.max(0, due - (now() - started)) : ms);
      };
      await spend((promptTokens * costs.prefillUsPerToken) / 1000);
      for (let i = 0; i < maxTokens; i++) {
        if (signal.aborted) return { tokens: i, finishReason: 'abort' };
        await spend(costs.decodeMsPerToken);
        sink.token();
        sink.text(tokenText(i));
      }
      return { tokens: maxTokens, finishReason: 'length' };
    },
    async close() {},
  };
}
