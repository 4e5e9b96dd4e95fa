// Progress lines for long CLI steps: at most one per interval, so a step that reports per block
// does not flood the terminal or a log file.

/** A logger that drops lines arriving within `ms` of the last one it wrote. */
export function throttledLog(log: (line: string) => void, ms: number): (line: string) => void {
  let last = -Infinity;
  return (line) => {
    const now = performance.now();
    if (now - last < ms) return;
    last = now;
    log(line);
  };
}
