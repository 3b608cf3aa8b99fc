/**
 * Pen strokes traced from an MNIST digit, for drawing it on the page's pad with the mouse: the digit is
 * upscaled, thresholded, thinned to a one-pixel skeleton (Zhang–Suen) and the skeleton walked into polylines.
 * Test-only: the page and the host never see this, only the mouse events it turns into.
 */

const UP = 4;

/** Bilinear ×UP upscale of a 28×28 digit, thresholded at half ink. */
function binaryUpscaled(digit: Uint8Array): { bits: Uint8Array; size: number } {
  const size = 28 * UP;
  const bits = new Uint8Array(size * size);
  const at = (x: number, y: number): number => (x < 0 || y < 0 || x > 27 || y > 27 ? 0 : digit[y * 28 + x]);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const u = (x + 0.5) / UP - 0.5;
      const v = (y + 0.5) / UP - 0.5;
      const x0 = Math.floor(u);
      const y0 = Math.floor(v);
      const fx = u - x0;
      const fy = v - y0;
      const val = (at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx) * (1 - fy) + (at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx) * fy;
      bits[y * size + x] = val >= 128 ? 1 : 0;
    }
  }
  return { bits, size };
}

/** Zhang & Suen (1984), "A fast parallel algorithm for thinning digital patterns", in place. */
function thin(bits: Uint8Array, size: number): void {
  const p = (x: number, y: number): number => (x < 0 || y < 0 || x >= size || y >= size ? 0 : bits[y * size + x]);
  for (let changed = true; changed; ) {
    changed = false;
    for (const step of [0, 1]) {
      const remove: number[] = [];
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          if (!bits[y * size + x]) continue;
          // P2..P9 clockwise from north.
          const n = [p(x, y - 1), p(x + 1, y - 1), p(x + 1, y), p(x + 1, y + 1), p(x, y + 1), p(x - 1, y + 1), p(x - 1, y), p(x - 1, y - 1)];
          const b = n.reduce((a, v) => a + v, 0);
          if (b < 2 || b > 6) continue;
          let a = 0;
          for (let i = 0; i < 8; i++) if (n[i] === 0 && n[(i + 1) % 8] === 1) a++;
          if (a !== 1) continue;
          const [p2, , p4, , p6, , p8] = n;
          if (step === 0 ? p2 * p4 * p6 !== 0 || p4 * p6 * p8 !== 0 : p2 * p4 * p8 !== 0 || p2 * p6 * p8 !== 0) continue;
          remove.push(y * size + x);
        }
      }
      for (const i of remove) bits[i] = 0;
      if (remove.length) changed = true;
    }
  }
}

const NEIGHBOURS = [[1, 0], [0, 1], [-1, 0], [0, -1], [1, 1], [-1, 1], [-1, -1], [1, -1]] as const;

/** Walks the skeleton into polylines (28×28 pixel coordinates), endpoints first, then the loops left over. */
function trace(bits: Uint8Array, size: number): Point[][] {
  const on = (x: number, y: number): boolean => x >= 0 && y >= 0 && x < size && y < size && bits[y * size + x] === 1;
  const key = (a: number, b: number): string => (a < b ? `${a},${b}` : `${b},${a}`);
  const used = new Set<string>();
  const neighbours = (i: number): number[] => {
    const x = i % size;
    const y = Math.floor(i / size);
    const out: number[] = [];
    for (const [dx, dy] of NEIGHBOURS) {
      // A diagonal step is only an edge where no orthogonal path joins the two pixels (no little triangles).
      if (dx !== 0 && dy !== 0 && (on(x + dx, y) || on(x, y + dy))) continue;
      if (on(x + dx, y + dy)) out.push((y + dy) * size + x + dx);
    }
    return out;
  };
  const free = (i: number): number[] => neighbours(i).filter((j) => !used.has(key(i, j)));
  const pixels: number[] = [];
  for (let i = 0; i < bits.length; i++) if (bits[i]) pixels.push(i);
  const paths: Point[][] = [];
  const walk = (start: number): void => {
    const path = [start];
    let cur = start;
    let prev = -1;
    for (;;) {
      const next = free(cur);
      if (!next.length) break;
      // Keep going straight where the skeleton forks.
      let best = next[0];
      if (prev >= 0 && next.length > 1) {
        const dx = (cur % size) - (prev % size);
        const dy = Math.floor(cur / size) - Math.floor(prev / size);
        let bestDot = -Infinity;
        for (const j of next) {
          const dot = ((j % size) - (cur % size)) * dx + (Math.floor(j / size) - Math.floor(cur / size)) * dy;
          if (dot > bestDot) { bestDot = dot; best = j; }
        }
      }
      used.add(key(cur, best));
      prev = cur;
      cur = best;
      path.push(cur);
    }
    if (path.length > 2) paths.push(path.map((i) => ({ x: ((i % size) + 0.5) / UP, y: (Math.floor(i / size) + 0.5) / UP })));
  };
  for (const i of pixels) if (neighbours(i).length === 1 && free(i).length) walk(i);
  for (const i of pixels) while (free(i).length) walk(i);
  return paths;
}

type Point = { x: number; y: number };

/** Ramer–Douglas–Peucker: the fewest points that stay within `tolerance` of the polyline. */
function simplify(p: readonly Point[], tolerance: number): Point[] {
  if (p.length <= 2) return [...p];
  const a = p[0];
  const b = p[p.length - 1];
  const len = Math.hypot(b.x - a.x, b.y - a.y);
  let worst = 0;
  let at = 0;
  for (let k = 1; k < p.length - 1; k++) {
    const d = len === 0 ? Math.hypot(p[k].x - a.x, p[k].y - a.y) : Math.abs((b.x - a.x) * (a.y - p[k].y) - (a.x - p[k].x) * (b.y - a.y)) / len;
    if (d > worst) { worst = d; at = k; }
  }
  if (worst <= tolerance) return [a, b];
  return [...simplify(p.slice(0, at + 1), tolerance).slice(0, -1), ...simplify(p.slice(at), tolerance)];
}

/** Strokes of an MNIST digit in its 28×28 coordinates, simplified to within 0.25 pixel. */
export function strokesOf(digit: Uint8Array): Point[][] {
  const { bits, size } = binaryUpscaled(digit);
  thin(bits, size);
  return trace(bits, size).map((p) => simplify(p, 0.25));
}
