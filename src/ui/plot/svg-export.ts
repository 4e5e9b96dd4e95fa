// The embedding as an SVG (vector output for figures, as scanpy's save='.svg'): one circle per
// drawn cell at its screen position, cluster labels, and a title naming what the colours show.
// Text is escaped: obs values come from the user's file.

export interface SvgScene {
  width: number;
  height: number;
  /** Screen pixels, interleaved x, y (NaN: not drawn). */
  pixels: Float32Array;
  /** RGBA per cell; alpha 0 is not drawn. */
  colors: Uint8Array;
  radius: number;
  title: string;
  labels: { text: string; x: number; y: number }[];
}

export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

const hex = (r: number, g: number, b: number) => `#${((1 << 24) | (r << 16) | (g << 8) | b).toString(16).slice(1)}`;

export function sceneToSvg(s: SvgScene): string {
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${s.width}" height="${s.height}" viewBox="0 0 ${s.width} ${s.height}">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<title>${escapeXml(s.title)}</title>`,
    '<g stroke="none">',
  ];
  const r = s.radius.toFixed(2);
  const n = s.colors.length / 4;
  for (let i = 0; i < n; i++) {
    const a = s.colors[4 * i + 3];
    const x = s.pixels[2 * i];
    const y = s.pixels[2 * i + 1];
    if (a === 0 || !(x >= -s.radius && x <= s.width + s.radius && y >= -s.radius && y <= s.height + s.radius)) continue;
    parts.push(`<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="${r}" fill="${hex(s.colors[4 * i], s.colors[4 * i + 1], s.colors[4 * i + 2])}" fill-opacity="${(a / 255).toFixed(2)}"/>`);
  }
  parts.push('</g>', '<g font-family="sans-serif" font-size="13" font-weight="600" text-anchor="middle" paint-order="stroke" stroke="#ffffff" stroke-width="3">');
  for (const l of s.labels) parts.push(`<text x="${l.x.toFixed(1)}" y="${l.y.toFixed(1)}">${escapeXml(l.text)}</text>`);
  parts.push('</g>', `<text x="8" y="18" font-family="sans-serif" font-size="13">${escapeXml(s.title)}</text>`, '</svg>');
  return parts.join('\n');
}
