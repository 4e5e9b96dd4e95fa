// Cells inside a lasso polygon drawn on an embedding (even-odd rule), for "markers of selection".
export function pointsInPolygon(positions: ArrayLike<number>, dim: number, n: number, polygon: number[]): Uint8Array {
  const sel = new Uint8Array(n);
  const m = polygon.length / 2;
  if (m < 3) return sel;
  let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
  for (let v = 0; v < m; v++) {
    minX = Math.min(minX, polygon[2 * v]);
    maxX = Math.max(maxX, polygon[2 * v]);
    minY = Math.min(minY, polygon[2 * v + 1]);
    maxY = Math.max(maxY, polygon[2 * v + 1]);
  }
  for (let i = 0; i < n; i++) {
    const x = positions[i * dim];
    const y = positions[i * dim + 1];
    if (!(x >= minX && x <= maxX && y >= minY && y <= maxY)) continue;
    let inside = false;
    for (let a = 0, b = m - 1; a < m; b = a++) {
      const xa = polygon[2 * a], ya = polygon[2 * a + 1], xb = polygon[2 * b], yb = polygon[2 * b + 1];
      if (ya > y !== yb > y && x < ((xb - xa) * (y - ya)) / (yb - ya) + xa) inside = !inside;
    }
    if (inside) sel[i] = 1;
  }
  return sel;
}
