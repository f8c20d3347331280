package replay

import "math"

// treeLeaves returns the number of leaves of a tree over n items: the
// smallest power of two ≥ n.
func treeLeaves(n int) int {
	p := 1
	for p < n {
		p <<= 1
	}
	return p
}

// node is one node of a sumMinTree: the sum and the minimum of its subtree,
// side by side so that an update touches one cache line per level.
type node struct{ sum, min float64 }

// sumMinTree is a complete binary tree over P = 2^k leaves (the priorities
// pᵢ^α) that keeps, at each inner node, the sum and the minimum of its
// subtree. Node 1 is the root, node v has children 2v and 2v+1, and leaf i is
// node P+i. A leaf of 0 is an item that cannot be sampled; the minimum skips
// it (holds +Inf). set, find and the root queries are O(log P).
//
// Parents are recomputed from their children on every set, never adjusted by
// differences, so rounding errors do not accumulate.
type sumMinTree struct {
	p     int
	nodes []node // 2P nodes; index 0 unused
}

func newSumMinTree(n int) *sumMinTree {
	p := treeLeaves(n)
	t := &sumMinTree{p: p, nodes: make([]node, 2*p)}
	t.clear()
	return t
}

// get returns leaf i.
func (t *sumMinTree) get(i int) float64 { return t.nodes[t.p+i].sum }

// leaves returns the node of each leaf, in order: their sums are the
// priorities (written directly when loading; call rebuild after).
func (t *sumMinTree) leaves() []node { return t.nodes[t.p:] }

func minPositive(a, b float64) float64 {
	if a < b {
		return a
	}
	return b
}

// set sets leaf i to v ≥ 0 and updates its ancestors.
func (t *sumMinTree) set(i int, v float64) {
	j := t.p + i
	t.nodes[j] = node{v, math.Inf(1)}
	if v > 0 {
		t.nodes[j].min = v
	}
	for j >>= 1; j >= 1; j >>= 1 {
		l, r := &t.nodes[2*j], &t.nodes[2*j+1]
		t.nodes[j] = node{l.sum + r.sum, minPositive(l.min, r.min)}
	}
}

// total returns Σ leaves.
func (t *sumMinTree) total() float64 { return t.nodes[1].sum }

// minimum returns the smallest positive leaf, or +Inf if there is none.
func (t *sumMinTree) minimum() float64 { return t.nodes[1].min }

// find returns the leaf i with prefix(i) ≤ mass < prefix(i) + leaf(i), where
// prefix(i) is the sum of the leaves before i, so that a mass drawn uniformly
// from [0, total) picks leaf i with probability leaf(i)/total. It never
// returns a zero leaf while total > 0: a mass at or beyond the total, by
// rounding, ends on the last positive leaf.
func (t *sumMinTree) find(mass float64) int {
	j := 1
	for j < t.p {
		l := 2 * j
		if ls := t.nodes[l].sum; mass < ls || t.nodes[l+1].sum == 0 {
			j = l
		} else {
			mass -= ls
			j = l + 1
		}
	}
	return j - t.p
}

// rebuild recomputes every node from the leaves' sums in O(P).
func (t *sumMinTree) rebuild() {
	for j := t.p; j < 2*t.p; j++ {
		t.nodes[j].min = math.Inf(1)
		if v := t.nodes[j].sum; v > 0 {
			t.nodes[j].min = v
		}
	}
	for j := t.p - 1; j >= 1; j-- {
		l, r := &t.nodes[2*j], &t.nodes[2*j+1]
		t.nodes[j] = node{l.sum + r.sum, minPositive(l.min, r.min)}
	}
}

// clear sets every leaf to 0.
func (t *sumMinTree) clear() {
	for i := range t.nodes {
		t.nodes[i] = node{0, math.Inf(1)}
	}
}
