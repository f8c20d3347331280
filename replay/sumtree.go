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

// sumMinTree is a complete binary tree over P = 2^k leaves (the priorities
// pᵢ^α) that keeps, at each inner node, the sum and the minimum of its
// subtree. Node 1 is the root, node v has children 2v and 2v+1, and leaf i is
// node P+i. A leaf of 0 is an item that cannot be sampled; the min tree skips
// it (holds +Inf). Set is O(log P); so are Find and the root queries.
//
// Parents are recomputed from their children on every Set, never adjusted by
// differences, so rounding errors do not accumulate.
type sumMinTree struct {
	p        int
	sum, min []float64 // 2P nodes each; index 0 unused
}

func newSumMinTree(n int) *sumMinTree {
	p := treeLeaves(n)
	t := &sumMinTree{p: p, sum: make([]float64, 2*p), min: make([]float64, 2*p)}
	for i := range t.min {
		t.min[i] = math.Inf(1)
	}
	return t
}

// get returns leaf i.
func (t *sumMinTree) get(i int) float64 { return t.sum[t.p+i] }

// set sets leaf i to v ≥ 0 and updates its ancestors.
func (t *sumMinTree) set(i int, v float64) {
	j := t.p + i
	t.sum[j] = v
	if v > 0 {
		t.min[j] = v
	} else {
		t.min[j] = math.Inf(1)
	}
	for j >>= 1; j >= 1; j >>= 1 {
		t.sum[j] = t.sum[2*j] + t.sum[2*j+1]
		t.min[j] = math.Min(t.min[2*j], t.min[2*j+1])
	}
}

// total returns Σ leaves.
func (t *sumMinTree) total() float64 { return t.sum[1] }

// minimum returns the smallest positive leaf, or +Inf if there is none.
func (t *sumMinTree) minimum() float64 { return t.min[1] }

// find returns the leaf i with prefix(i) ≤ mass < prefix(i) + leaf(i), where
// prefix(i) is the sum of the leaves before i, so that a mass drawn uniformly
// from [0, total) picks leaf i with probability leaf(i)/total. It never
// returns a zero leaf while total > 0: a mass at or beyond the total, by
// rounding, ends on the last positive leaf.
func (t *sumMinTree) find(mass float64) int {
	j := 1
	for j < t.p {
		l := 2 * j
		if mass < t.sum[l] || t.sum[l+1] == 0 {
			j = l
		} else {
			mass -= t.sum[l]
			j = l + 1
		}
	}
	return j - t.p
}

// rebuild recomputes every inner node from the leaves in O(P).
func (t *sumMinTree) rebuild() {
	for j := t.p; j < 2*t.p; j++ {
		if t.sum[j] > 0 {
			t.min[j] = t.sum[j]
		} else {
			t.min[j] = math.Inf(1)
		}
	}
	for j := t.p - 1; j >= 1; j-- {
		t.sum[j] = t.sum[2*j] + t.sum[2*j+1]
		t.min[j] = math.Min(t.min[2*j], t.min[2*j+1])
	}
}

// clear sets every leaf to 0.
func (t *sumMinTree) clear() {
	clear(t.sum)
	for i := range t.min {
		t.min[i] = math.Inf(1)
	}
}
