// PNG and SVG of the embedding as drawn now. The scatter registers how to read its scene (camera,
// colours, labels); the toolbar's buttons call these without reaching into deck.gl themselves.
import { download } from '../download.ts';
import { sceneToSvg, type SvgScene } from './svg-export.ts';

export type ScatterScene = SvgScene & { canvas: HTMLCanvasElement | null };

let exporter: (() => ScatterScene | null) | null = null;

export function setScatterExporter(fn: (() => ScatterScene | null) | null): void {
  exporter = fn;
}

const fileStem = (title: string) => `scweb_${title.replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 80)}`;

export function saveScatterPng(): boolean {
  const scene = exporter?.();
  if (!scene?.canvas) return false;
  scene.canvas.toBlob((b) => b && download(`${fileStem(scene.title)}.png`, b), 'image/png');
  return true;
}

export function saveScatterSvg(): boolean {
  const scene = exporter?.();
  if (!scene) return false;
  download(`${fileStem(scene.title)}.svg`, new Blob([sceneToSvg(scene)], { type: 'image/svg+xml' }));
  return true;
}
