// Layered layout of a DAG, left to right: each task's layer is its longest path from a
// source; within layers, a few barycentre sweeps reduce edge crossings.

/**
 * @typedef {Object} LayoutNode
 * @property {string} id
 * @property {number} layer
 * @property {number} x left
 * @property {number} y top
 */

/**
 * Lay out tasks.
 * @param {{task_id: string, upstream: string[]}[]} tasks upstream first
 * @param {{nodeW?: number, nodeH?: number, gapX?: number, gapY?: number, sweeps?: number}} [o]
 * @returns {{nodes: Map<string, LayoutNode>, edges: {from: string, to: string}[], width: number, height: number, nodeW: number, nodeH: number}}
 */
export function layout(tasks, o = {}) {
  const nodeW = o.nodeW ?? 180;
  const nodeH = o.nodeH ?? 44;
  const gapX = o.gapX ?? 64;
  const gapY = o.gapY ?? 18;
  const sweeps = o.sweeps ?? 4;
  const ids = tasks.map((t) => t.task_id);
  const known = new Set(ids);
  const up = new Map(tasks.map((t) => [t.task_id, (t.upstream || []).filter((u) => known.has(u))]));
  const down = new Map(ids.map((id) => [id, []]));
  const edges = [];
  for (const [id, ups] of up) {
    for (const u of ups) {
      down.get(u).push(id);
      edges.push({ from: u, to: id });
    }
  }

  // Longest-path layering, in topological order (Kahn's), robust to any input order.
  const indeg = new Map(ids.map((id) => [id, up.get(id).length]));
  const layerOf = new Map();
  const queue = ids.filter((id) => indeg.get(id) === 0);
  const topo = [];
  while (queue.length) {
    const id = queue.shift();
    topo.push(id);
    const l = Math.max(-1, ...up.get(id).map((u) => layerOf.get(u) ?? 0)) + 1;
    layerOf.set(id, l);
    for (const d of down.get(id)) {
      indeg.set(d, indeg.get(d) - 1);
      if (indeg.get(d) === 0) queue.push(d);
    }
  }
  for (const id of ids) if (!layerOf.has(id)) { layerOf.set(id, 0); topo.push(id); } // a cycle: never in a valid DAG

  const layers = [];
  for (const id of topo) {
    const l = layerOf.get(id);
    (layers[l] ||= []).push(id);
  }
  for (let i = 0; i < layers.length; i++) layers[i] ||= [];

  const pos = new Map();
  const setPositions = (layer) => layer.forEach((id, i) => pos.set(id, i));
  layers.forEach(setPositions);

  const bary = (id, neighbours) => {
    const ns = neighbours.get(id).filter((n) => pos.has(n));
    if (!ns.length) return pos.get(id);
    return ns.reduce((s, n) => s + pos.get(n), 0) / ns.length;
  };
  for (let s = 0; s < sweeps; s++) {
    const forward = s % 2 === 0;
    const order = forward ? layers.map((_, i) => i).slice(1) : layers.map((_, i) => i).reverse().slice(1);
    for (const i of order) {
      const nb = forward ? up : down;
      const keyed = layers[i].map((id, k) => ({ id, b: bary(id, nb), k }));
      keyed.sort((a, b) => a.b - b.b || a.k - b.k);
      layers[i] = keyed.map((e) => e.id);
      setPositions(layers[i]);
    }
  }

  const tallest = Math.max(1, ...layers.map((l) => l.length));
  const height = tallest * nodeH + (tallest - 1) * gapY;
  const nodes = new Map();
  layers.forEach((layer, li) => {
    const h = layer.length * nodeH + (layer.length - 1) * gapY;
    const top = (height - h) / 2;
    layer.forEach((id, i) => {
      nodes.set(id, { id, layer: li, x: li * (nodeW + gapX), y: top + i * (nodeH + gapY) });
    });
  });
  const width = layers.length * nodeW + Math.max(0, layers.length - 1) * gapX;
  return { nodes, edges, width, height, nodeW, nodeH };
}

/** An SVG path from the right side of `a` to the left side of `b`, as a smooth curve. */
export function edgePath(a, b, nodeW, nodeH) {
  const x1 = a.x + nodeW;
  const y1 = a.y + nodeH / 2;
  const x2 = b.x - 6; // room for the arrowhead
  const y2 = b.y + nodeH / 2;
  const dx = Math.max(24, (x2 - x1) / 2);
  return `M${x1},${y1} C${x1 + dx},${y1} ${x2 - dx},${y2} ${x2},${y2}`;
}
