"""Disjoint sets of integers 0..n-1 (union-find with path halving): the files of a run that
share model code (:mod:`.tree`), the statements of a partial program that share Keras values
(:mod:`.totf.program.partial`)."""

from __future__ import annotations


class DisjointSets:
    def __init__(self, n: int) -> None:
        self._parent = list(range(n))

    def find(self, a: int) -> int:
        parent = self._parent
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    def union(self, a: int, b: int) -> None:
        self._parent[self.find(a)] = self.find(b)
