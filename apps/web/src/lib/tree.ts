import type { SpanDetail } from './types';

export interface TreeNode {
  span: SpanDetail;
  children: TreeNode[];
  /** The parent span id is set but that span has not been received (yet). */
  orphan: boolean;
  /**
   * Not a received span: the parent its children name, still running (spans are exported when they
   * end, so children arrive before their parent). Its `span` is a stand-in built from the children.
   */
  placeholder?: boolean;
  startMs: number;
  endMs: number;
}

export interface TreeRow {
  node: TreeNode;
  depth: number;
  /** For each ancestor level: does a later sibling follow (draws the guide line)? */
  guides: boolean[];
  last: boolean;
}

function ms(iso: string | undefined): number {
  const t = iso ? Date.parse(iso) : NaN;
  return Number.isNaN(t) ? 0 : t;
}

function nanosToMs(nanos: string | undefined): number | null {
  if (!nanos || !/^\d+$/.test(nanos) || nanos === '0') return null;
  // A double keeps ~0.3 µs of precision at today's epoch: plenty for a timeline.
  return Number(nanos) / 1e6;
}

/** Start in epoch milliseconds with sub-millisecond precision when the server sends nanoseconds. */
export function spanStartMs(span: SpanDetail): number {
  return nanosToMs(span.startTimeUnixNano) ?? ms(span.startTime);
}

export function spanEndMs(span: SpanDetail): number {
  const start = spanStartMs(span);
  const end = nanosToMs(span.endTimeUnixNano) ?? (span.endTime && !span.startTimeUnixNano ? ms(span.endTime) : start + Math.max(0, span.durationMs || 0));
  return Math.max(end, start);
}

/** Builds the span tree by parentSpanId; spans whose parent is missing become extra roots. */
export function buildTree(spans: readonly SpanDetail[]): { roots: TreeNode[]; startMs: number; endMs: number } {
  const nodes = new Map<string, TreeNode>();
  const order = new Map<string, number>();
  spans.forEach((span, i) => {
    order.set(span.spanId, i);
    nodes.set(span.spanId, { span, children: [], orphan: false, startMs: spanStartMs(span), endMs: spanEndMs(span) });
  });
  const roots: TreeNode[] = [];
  const pending = new Map<string, TreeNode>();
  for (const node of [...nodes.values()]) {
    const parentId = node.span.parentSpanId;
    const parent = parentId && parentId !== node.span.spanId ? nodes.get(parentId) : undefined;
    if (parent) parent.children.push(node);
    else if (parentId && parentId !== node.span.spanId) {
      // The parent has not arrived: show it as running, with what its children tell about it.
      node.orphan = true;
      let stand = pending.get(parentId);
      if (!stand) {
        stand = {
          span: {
            ...node.span,
            spanId: parentId,
            parentSpanId: null,
            name: 'Parent span (still running)',
            kind: 'span',
            status: 'unset',
            statusMessage: null,
            errorType: null,
            provider: null,
            requestModel: null,
            responseModel: null,
            inputTokens: null,
            outputTokens: null,
            position: '',
          },
          children: [],
          orphan: false,
          placeholder: true,
          startMs: node.startMs,
          endMs: node.endMs,
        };
        pending.set(parentId, stand);
        roots.push(stand);
      }
      stand.children.push(node);
      stand.startMs = Math.min(stand.startMs, node.startMs);
      stand.endMs = Math.max(stand.endMs, node.endMs);
    } else roots.push(node);
  }
  for (const stand of pending.values()) order.set(stand.span.spanId, -1);
  // The OTel JS SDK stamps starts with Date.now() (whole milliseconds), so siblings often share a start.
  // Then arrival order decides (exporters send spans as they end), else the order the server gave.
  const arrival = (n: TreeNode) => (n.span.position && /^\d+$/.test(n.span.position) ? n.span.position.padStart(20, '0') : '');
  const byStart = (a: TreeNode, b: TreeNode) => {
    if (a.startMs !== b.startMs) return a.startMs - b.startMs;
    const pa = arrival(a);
    const pb = arrival(b);
    if (pa && pb && pa !== pb) return pa < pb ? -1 : 1;
    return order.get(a.span.spanId)! - order.get(b.span.spanId)!;
  };
  // Cycles (a bad exporter) would never reach a root: cut them loose as roots.
  const reachable = new Set<TreeNode>();
  const walk = (n: TreeNode) => {
    if (reachable.has(n)) return;
    reachable.add(n);
    n.children.sort(byStart);
    n.children.forEach(walk);
  };
  roots.sort(byStart).forEach(walk);
  for (const node of nodes.values()) {
    if (!reachable.has(node)) {
      node.orphan = true;
      roots.push(node);
      walk(node);
    }
  }
  let startMs = Infinity;
  let endMs = -Infinity;
  for (const n of nodes.values()) {
    startMs = Math.min(startMs, n.startMs);
    endMs = Math.max(endMs, n.endMs);
  }
  // A running parent lasts at least until the end of what is known.
  for (const stand of pending.values()) stand.endMs = Math.max(stand.endMs, endMs);
  if (!Number.isFinite(startMs)) startMs = endMs = 0;
  return { roots, startMs, endMs };
}

/** Depth-first rows, skipping the children of collapsed spans. */
export function flatten(roots: TreeNode[], collapsed: ReadonlySet<string>): TreeRow[] {
  const rows: TreeRow[] = [];
  const visit = (node: TreeNode, depth: number, guides: boolean[], last: boolean) => {
    rows.push({ node, depth, guides, last });
    if (collapsed.has(node.span.spanId)) return;
    node.children.forEach((c, i) => visit(c, depth + 1, depth === 0 ? [] : [...guides, !last], i === node.children.length - 1));
  };
  roots.forEach((r, i) => visit(r, 0, [], i === roots.length - 1));
  return rows;
}

export function countDescendants(node: TreeNode): number {
  let n = 0;
  for (const c of node.children) n += 1 + countDescendants(c);
  return n;
}
