export class UsageError extends Error {}

export const USAGE = `scweb - single-cell analysis from the command line

Usage:
  scweb inspect FILE [FILE...]
      Print a JSON summary of a dataset (.h5ad, 10x .h5, or a matrix.mtx folder / its files).
  scweb embed IN.h5ad --model DIR --out OUT.npy|OUT.h5ad [--gene-col NAME] [--max-length N]
              [--batch-size N] [--seed N] [--backend webgpu|cpu] [--counts KEY]
      scGPT cell embeddings (L2-normalised, rows in input order). DIR is a scGPT checkpoint folder
      (args.json, vocab.json, best_model.pt) or a bundle made by \`scweb convert\`. .h5ad output is
      the input file with obsm/X_scGPT added.
  scweb convert CKPT_DIR OUT_DIR [--dtype f32|f16]
      Convert a scGPT checkpoint into an scWeb bundle (manifest + shards) for public/weights/.
  scweb help

WebGPU in Node uses Dawn and the system's Vulkan driver; without a GPU, SwiftShader works with
  LD_LIBRARY_PATH=/usr/lib/chromium VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json

Exit status: 0 on success, 1 when an input cannot be read or a model does not fit, 2 on a usage error.`;
