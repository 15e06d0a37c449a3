"""The critical path of a DAG of stages: the longest chain of compute and transfers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def critical_path_s(compute_s: Sequence[float],
                    edges: Mapping[tuple[int, int], float]) -> tuple[float, list[int]]:
    """Longest path through a DAG: node ``k`` takes ``compute_s[k]``, edge ``(u, v)``
    takes ``edges[(u, v)]`` seconds (the activation transfer). Returns its length and
    the nodes on it. Raises ValueError on a cycle or an edge to an unknown node."""
    n = len(compute_s)
    succ: list[list[tuple[int, float]]] = [[] for _ in range(n)]
    indeg = [0] * n
    for (u, v), w in edges.items():
        if not (0 <= u < n and 0 <= v < n):
            raise ValueError(f"edge {(u, v)} names a node outside 0..{n - 1}")
        succ[u].append((v, w))
        indeg[v] += 1
    order = [k for k in range(n) if indeg[k] == 0]
    finish = [0.0] * n  # earliest finish of each node
    start = [0.0] * n
    best_pred = [-1] * n
    i = 0
    while i < len(order):
        u = order[i]
        i += 1
        finish[u] = start[u] + compute_s[u]
        for v, w in succ[u]:
            if best_pred[v] < 0 or finish[u] + w > start[v]:
                start[v], best_pred[v] = finish[u] + w, u
            indeg[v] -= 1
            if indeg[v] == 0:
                order.append(v)
    if len(order) < n:
        raise ValueError("the stages' graph has a cycle")
    end = max(range(n), key=lambda k: (finish[k], -k)) if n else -1
    path = []
    while end >= 0:
        path.append(end)
        end = best_pred[end]
    return (max(finish) if n else 0.0), path[::-1]
