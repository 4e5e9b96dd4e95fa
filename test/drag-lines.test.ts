// Which threshold line a pointer grabs: the nearest within a few pixels, across its direction and
// within its extent.
import { describe, expect, it } from 'vitest';
import { nearestLine, type DragLine } from '../src/ui/components/drag-lines.ts';

describe('threshold line grabbing', () => {
  const lines: DragLine[] = [
    { id: 'counts', px: 100, vertical: true, span: [10, 230] },
    { id: 'genes', px: 50, vertical: false, span: [60, 380] },
  ];
  it('grabs the nearest line within 6 px and its extent', () => {
    expect(nearestLine(lines, 103, 150)?.id).toBe('counts');
    expect(nearestLine(lines, 200, 47)?.id).toBe('genes');
    // Near both: the closer wins.
    expect(nearestLine(lines, 99, 55)?.id).toBe('counts');
    expect(nearestLine(lines, 104, 51)?.id).toBe('genes');
    expect(nearestLine(lines, 110, 150)).toBeNull();
    // Beyond the line's extent.
    expect(nearestLine(lines, 100, 300)).toBeNull();
    expect(nearestLine([], 0, 0)).toBeNull();
  });
});
