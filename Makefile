# scWeb: the two commands a new machine needs are `make start` and `make test`.
# Both install what is missing first (npm packages; Chromium via apt for the browser tests).
SHELL := /bin/bash
.DEFAULT_GOAL := help
PORT ?= 4173
CHROMIUM ?= /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: help deps chromium pydeps snakemake build start dev lint typecheck unit e2e test wasm umapdeps bench bench-io bench-neighbors bench-umap bench-pipeline bench-pipeline-python leidendeps bench-annotate bench-celltypist bench-serve bench-harmony bench-voting bench-logreg-gpu bench-logreg-gpu-bundle bench-embed-gpu-bundle

help:
	@echo "make start   install, build and serve the app on http://localhost:$(PORT)"
	@echo "make test    install (Chromium, python3-anndata, python3-sklearn, python3-torch, snakemake too), lint, typecheck, unit tests, build, e2e tests"
	@echo "make dev     Vite dev server with hot reload"
	@echo "make bench   run the benchmarks in bench/"

# `npm ci` installs exactly the committed lockfile (which lists every platform's optional rollup and
# esbuild packages), so installing never rewrites a tracked file.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

deps: node_modules/.package-lock.json

chromium:
	@if [ ! -x "$(CHROMIUM)" ]; then \
	  echo "Installing Chromium (Debian package) for the browser tests..."; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; \
	fi
	@$(CHROMIUM) --version

# Tests read every .h5ad we write with the oldest anndata we promise to open in: Debian's (0.8 on
# bookworm), through /usr/bin/python3 (a pyenv or venv python3 on PATH usually lacks it).
pydeps:
	@if ! /usr/bin/python3 -c 'import anndata, h5py' 2>/dev/null; then \
	  echo "Installing python3-anndata and python3-h5py (Debian packages) for the .h5ad round-trip tests..."; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq python3-anndata python3-h5py >/dev/null; \
	fi
	@/usr/bin/python3 -c 'import anndata; print("anndata", anndata.__version__)'
	@# CellTypist .pkl round trips (test/celltypist-pickle.test.ts) load our pickles with sklearn; the
	@# logistic-regression tests compare with its LogisticRegression (test/reference/sklearn_logreg.py).
	@if ! /usr/bin/python3 -c 'import sklearn' 2>/dev/null; then \
	  echo "Installing python3-sklearn (Debian package) for the CellTypist model tests..."; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq python3-sklearn >/dev/null; \
	fi
	@/usr/bin/python3 -c 'import sklearn; print("sklearn", sklearn.__version__)'
	@# Saved scGPT classifier heads (test/scgpt-head-file.test.ts) are loaded by PyTorch into scGPT's ClsDecoder.
	@if ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then \
	  echo "Installing python3-torch (Debian package) for the scGPT head file tests..."; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq python3-torch >/dev/null; \
	fi
	@/usr/bin/python3 -c 'import torch; print("torch", torch.__version__)'

# The workflow tests (test/workflow.test.ts) run workflows/Snakefile under Debian's Snakemake (7.21).
SNAKEMAKE ?= /usr/bin/snakemake
snakemake:
	@if [ ! -x "$(SNAKEMAKE)" ]; then \
	  echo "Installing snakemake (Debian package) for the workflow tests..."; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq snakemake >/dev/null; \
	fi
	@$(SNAKEMAKE) --version | sed 's/^/snakemake /'

build: deps
	npx vite build

# The WebAssembly SIMD kernels: wasm/*.ts (AssemblyScript) -> src/analysis/simd-bytes.ts (committed;
# test/simd-build.test.ts fails when it is stale).
wasm: deps
	node --import tsx scripts/build-wasm.ts

start: build
	@node scripts/serve.mjs --port $(PORT)

dev: deps
	npx vite

lint: deps
	npx eslint .

typecheck: deps
	npx tsc --noEmit -p tsconfig.json

# WebGPU tests run through Dawn on Chromium's SwiftShader Vulkan driver (a CPU implementation).
GPU_ENV := LD_LIBRARY_PATH=/usr/lib/chromium VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json

unit: deps chromium pydeps snakemake
	SNAKEMAKE=$(SNAKEMAKE) $(GPU_ENV) npx vitest run --reporter=default --reporter=json --outputFile.json=test-results/unit.json

e2e: deps chromium pydeps build
	CHROMIUM_PATH=$(CHROMIUM) npx playwright test

test: lint typecheck unit e2e
	@node scripts/test-summary.mjs

bench: bench-io bench-embed bench-neighbors bench-umap bench-pipeline bench-annotate bench-celltypist bench-serve bench-harmony bench-voting

bench-io: deps
	node --import tsx bench/io-pass.ts

bench-neighbors: deps
	node --import tsx bench/neighbors.ts

# bench/umap.ts compares with umap-learn's layout and sklearn's trustworthiness (Debian's umap-learn).
umapdeps:
	@if ! /usr/bin/python3 -c 'import umap, sklearn' 2>/dev/null; then \
	  echo "Installing umap-learn (Debian package) for bench/umap.ts..."; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq umap-learn >/dev/null; \
	fi

bench-umap: deps umapdeps
	node --import tsx bench/umap.ts

bench-pipeline: deps
	node --import tsx bench/pipeline.ts

# bench/pipeline.ts --python: scanpy's default pipeline with scanpy's own libraries beside ours
# (bench/python_stack.py: Debian's umap-learn with pynndescent, sklearn, python3-leidenalg).
leidendeps:
	@if ! /usr/bin/python3 -c 'import leidenalg, igraph, pandas' 2>/dev/null; then \
	  echo "Installing python3-leidenalg (Debian package) for bench/python_stack.py..."; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq python3-leidenalg python3-pandas >/dev/null; \
	fi

BENCH_PIPELINE_PYTHON_ARGS ?= --cells 30000 --types 20 --threads 1
bench-pipeline-python: deps umapdeps leidendeps
	node --import tsx bench/pipeline.ts --python $(BENCH_PIPELINE_PYTHON_ARGS)

bench-annotate: deps
	node --import tsx bench/annotate.ts

bench-celltypist: deps
	node --import tsx bench/celltypist.ts

# Logistic regression's gradient, CPU pool vs WebGPU (Dawn finds the GPU through the system's Vulkan
# driver; for SwiftShader add $(GPU_ENV) and small --gpu-sizes). Not in `bench`: it wants a GPU.
bench-logreg-gpu: deps
	node --import tsx bench/logreg-gpu.ts $(BENCH_LOGREG_GPU_ARGS)

# The same as one file plus Dawn (23 MB) in bench/out/logreg-gpu/, for a GPU machine without
# node_modules: carry bench/out/logreg-gpu and run `node bench/out/logreg-gpu/bench.mjs --threads 1`.
bench-logreg-gpu-bundle: deps
	npx esbuild bench/logreg-gpu.ts --bundle --platform=node --format=esm --external:webgpu --log-level=warning \
	  --outfile=bench/out/logreg-gpu/bench.mjs "--banner:js=import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);"
	mkdir -p bench/out/logreg-gpu/node_modules/webgpu/dist
	cp node_modules/webgpu/index.js node_modules/webgpu/package.json bench/out/logreg-gpu/node_modules/webgpu/
	cp -r node_modules/webgpu/dist/linux-x64 bench/out/logreg-gpu/node_modules/webgpu/dist/

# bench/embed.ts as one file plus Dawn in bench/out/embed-gpu/, with PyTorch's anchor beside it, for
# a GPU machine with Node and python3-torch but no node_modules: carry bench/out/embed-gpu (about
# 60 MB) and run `sh bench/out/embed-gpu/run.sh`: the kernel variants on the parity fixtures (the
# shader-f16 checks SwiftShader cannot make; bench/embed-parity.ts), then L 256 and 1200, batch 8 and
# 32 with every WebGPU kernel variant, then PyTorch fp16 and fp32 on the same shapes.
bench-embed-gpu-bundle: deps
	npx esbuild bench/embed.ts --bundle --platform=node --format=esm --external:webgpu --log-level=warning \
	  --outfile=bench/out/embed-gpu/bench.mjs "--banner:js=import { createRequire as bannerRequire } from 'node:module'; const require = bannerRequire(import.meta.url);"
	mkdir -p bench/out/embed-gpu/node_modules/webgpu/dist
	cp node_modules/webgpu/index.js node_modules/webgpu/package.json bench/out/embed-gpu/node_modules/webgpu/
	cp -r node_modules/webgpu/dist/linux-x64 bench/out/embed-gpu/node_modules/webgpu/dist/
	npx esbuild bench/embed-parity.ts --bundle --platform=node --format=esm --external:webgpu --log-level=warning \
	  --outfile=bench/out/embed-gpu/parity.mjs "--banner:js=import { createRequire as bannerRequire } from 'node:module'; const require = bannerRequire(import.meta.url);"
	install -m 644 ../shared/bench/torch_encoder_anchor.py bench/out/embed-gpu/
	for f in tiny wide; do \
	  mkdir -p bench/out/embed-gpu/fixtures/$$f/checkpoint_flash bench/out/embed-gpu/fixtures/$$f/expected; \
	  install -m 644 ../shared/fixtures/scgpt-parity/$$f/checkpoint_flash/* bench/out/embed-gpu/fixtures/$$f/checkpoint_flash/; \
	  for e in gene_ids values padding_mask cell_embedding_l2; do install -m 644 ../shared/fixtures/scgpt-parity/$$f/expected/$$e.npy bench/out/embed-gpu/fixtures/$$f/expected/; done; \
	done
	printf '%s\n' '#!/bin/sh' 'cd "$$(dirname "$$0")"' \
	  'node parity.mjs --fixtures fixtures' \
	  'node bench.mjs --layers 12 --lengths 256,1200 --batches 8,32 --backends tfjs,fused,gemm,gemm-f16w,gemm-f16 --repeats 2' \
	  'python3 torch_encoder_anchor.py --lengths 256,1200 --batches 8,32 --seconds 3' > bench/out/embed-gpu/run.sh

# Per-cell vs majority-voted labels after logistic regression and kNN on a 50/50 split.
bench-voting: deps
	node --import tsx bench/majority-voting.ts

# Harmony on 10k and 100k synthetic cells x 50 PCs, 1 and 2 threads, beside harmonypy when
# HARMONYPY_DIR points at a checkout of github.com/slowkow/harmonypy (python3-torch, -sklearn, -pandas).
bench-harmony: deps
	node --import tsx bench/harmony.ts $(BENCH_HARMONY_ARGS)

# `scweb serve` under load on loopback (autocannon): ranges, metadata, uploads, garbage, kill -9.
bench-serve: deps
	node --import tsx bench/serve-load.ts

bench-embed: deps chromium
	$(GPU_ENV) node --import tsx bench/embed.ts
