// The labelled datasets in ../shared/data the annotation benches split into reference and query
// halves: [name, file under ../shared/data, label column]. scVI.jl's PBMC set is labelled too but
// has only 200 genes; the annotation bench leaves it out, the voting bench keeps it.
import { join } from 'node:path';

export const SHARED_DATA = join(import.meta.dirname, '../../shared/data');

export const LABELLED_SETS = [
  ['pbmc68k_reduced', 'pbmc68k_reduced_with_counts.h5ad', 'bulk_labels'],
  ['Compocyte T cells', 'compocyte_tcells_861x1011_counts.h5ad', 'labels'],
  ['ACTINN mouse', 'mouse/actinn_mouse_1000x14063_counts.h5ad', 'cell_type'],
  ['CELLxGENE example', 'format_variants/cellxgene_example_with_labels.h5ad', 'cell_type'],
  ['scVI.jl PBMC', 'scvijl_pbmc_7480x200_counts.h5ad', 'cell_type'],
] as const;
