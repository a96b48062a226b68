// Applies a live message to a tally node kept by a page: a "snapshot"
// replaces it, an "update" (newer seq only) takes the node's totals and
// replaces the children it carries. Returns the codes of the children it
// changed ([] for a snapshot of a node without children), or null for a
// stale update.
export function merge(node, msg) {
  if (msg.type === 'snapshot') {
    Object.assign(node, msg, { children: msg.children || [] });
    return node.children.map((c) => c.region);
  }
  if (msg.seq <= node.seq) return null;
  const { children, type, ...totals } = msg;
  Object.assign(node, totals);
  const byCode = new Map(node.children.map((c, i) => [c.region, i]));
  for (const child of children || []) {
    const i = byCode.get(child.region);
    if (i === undefined) node.children.push(child);
    else node.children[i] = child;
  }
  return (children || []).map((c) => c.region);
}
