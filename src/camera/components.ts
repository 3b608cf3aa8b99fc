/** Connected ink regions of a binary mask (8-connectivity), with what the digit decision needs about each. */
export interface Component {
  readonly label: number;
  area: number;
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
  touchesEdge: boolean;
}

export interface Labelling {
  /** 0 = background, k ≥ 1 = component k (index k−1 in `components`). */
  readonly labels: Int32Array;
  readonly components: Component[];
}

function find(parent: Int32Array, a: number): number {
  while (parent[a] !== a) {
    parent[a] = parent[parent[a]];
    a = parent[a];
  }
  return a;
}

function union(parent: Int32Array, a: number, b: number): void {
  const ra = find(parent, a);
  const rb = find(parent, b);
  if (ra < rb) parent[rb] = ra;
  else if (rb < ra) parent[ra] = rb;
}

/** Two-pass labelling with union-find: one scan to provisional labels, one to resolve them. */
export function labelComponents(mask: Uint8Array, width: number, height: number): Labelling {
  const provisional = new Int32Array(width * height);
  // Worst case (checkerboard) needs one provisional label per two pixels.
  const parent = new Int32Array(Math.floor((width * height) / 2) + 2);
  let next = 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (!mask[i]) continue;
      // Already-visited 8-neighbours: W, NW, N, NE; the first labelled one names the pixel, the rest merge into it.
      let label = x > 0 ? provisional[i - 1] : 0;
      if (y > 0) {
        const north = i - width;
        for (let dx = -1; dx <= 1; dx++) {
          if (x + dx < 0 || x + dx >= width) continue;
          const n = provisional[north + dx];
          if (n === 0 || n === label) continue;
          if (label === 0) label = n;
          else union(parent, label, n);
        }
      }
      if (label === 0) {
        label = next++;
        parent[label] = label;
      }
      provisional[i] = label;
    }
  }
  const finalLabel = new Int32Array(next);
  const components: Component[] = [];
  const labels = new Int32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const p = provisional[i];
      if (p === 0) continue;
      const root = find(parent, p);
      let k = finalLabel[root];
      if (k === 0) {
        components.push({ label: components.length + 1, area: 0, minX: x, minY: y, maxX: x, maxY: y, touchesEdge: false });
        k = components.length;
        finalLabel[root] = k;
      }
      labels[i] = k;
      const c = components[k - 1];
      c.area++;
      if (x < c.minX) c.minX = x;
      if (x > c.maxX) c.maxX = x;
      if (y < c.minY) c.minY = y;
      if (y > c.maxY) c.maxY = y;
      if (x === 0 || y === 0 || x === width - 1 || y === height - 1) c.touchesEdge = true;
    }
  }
  return { labels, components };
}
