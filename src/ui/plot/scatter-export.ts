// PNG and SVG of the embedding as drawn now. The scatter registers how to read its scene (camera,
// colours, labels); the toolbar's buttons call these without reaching into deck.gl themselves.
import { download, exportName } from '../download.ts';
import { useApp } from '../store.ts';
import { sceneToSvg, type SvgScene } from './svg-export.ts';

export type ScatterScene = SvgScene & { canvas: HTMLCanvasElement | null };

let exporter: (() => ScatterScene | null) | null = null;

export function setScatterExporter(fn: (() => ScatterScene | null) | null): void {
  exporter = fn;
}

/** `<dataset>_<what is drawn>.<ext>`, e.g. `pbmc_X_umap_coloured_by_leiden.png`. */
const fileName = (title: string, ext: string) => exportName(useApp.getState().summary?.file, [title], ext);

export function saveScatterPng(): boolean {
  const scene = exporter?.();
  if (!scene?.canvas) return false;
  scene.canvas.toBlob((b) => b && download(fileName(scene.title, 'png'), b), 'image/png');
  return true;
}

export function saveScatterSvg(): boolean {
  const scene = exporter?.();
  if (!scene) return false;
  download(fileName(scene.title, 'svg'), new Blob([sceneToSvg(scene)], { type: 'image/svg+xml' }));
  return true;
}
