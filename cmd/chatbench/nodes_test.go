package main

import (
	"slices"
	"testing"
)

// TestParseNodes: -nodes takes distinct counts from 1 to 8, and only -nodes
// 1 (the default) keeps the output as it was without the flag.
func TestParseNodes(t *testing.T) {
	for _, c := range []struct {
		flag  string
		want  []int
		multi bool
	}{
		{"1", []int{1}, false},
		{"1,2", []int{1, 2}, true},
		{"2", []int{2}, true},
		{" 2 , 1 ", []int{2, 1}, true},
	} {
		cfg, err := parseFlags([]string{"-nodes", c.flag})
		if err != nil || !slices.Equal(cfg.nodes, c.want) || cfg.multiNode() != c.multi {
			t.Errorf("-nodes %q: %v, %v (multi %v); want %v (multi %v)", c.flag, cfg, err, cfg != nil && cfg.multiNode(), c.want, c.multi)
		}
	}
	for _, bad := range []string{"", "0", "9", "1,1", "two", "1,-2"} {
		if _, err := parseFlags([]string{"-nodes", bad}); err == nil {
			t.Errorf("-nodes %q: no error", bad)
		}
	}
	if _, err := parseFlags([]string{"-nodes", "1,2", "-url", "ws://127.0.0.1:1/x"}); err == nil {
		t.Error("-nodes 1,2 with -url: no error")
	}
}

// TestDialerSpreadsUsers: load user 1 goes to the first node and the rest
// alternate, whatever the user base; one URL serves everyone.
func TestDialerSpreadsUsers(t *testing.T) {
	d, err := newDialer("ws://127.0.0.1:1/a", idAuth)
	if err != nil {
		t.Fatal(err)
	}
	if got := d.urlFor(7); got != "ws://127.0.0.1:1/a" {
		t.Errorf("one node: user 7 -> %s", got)
	}
	urls := []string{"ws://127.0.0.1:1/a", "ws://127.0.0.1:2/b"}
	d.spread(urls, 1000)
	for n, want := range map[int64]string{1: urls[0], 2: urls[1], 3: urls[0], 1000: urls[1]} {
		if got := d.urlFor(1000 + n); got != want {
			t.Errorf("load user %d -> %s, want %s", n, got, want)
		}
	}
}

// TestBesideOneNode: the figures of the runs at each node count follow
// each other figure by figure, and those at two nodes get their ratio to
// one node.
func TestBesideOneNode(t *testing.T) {
	one := []figure{{Name: "p50", Value: 10, Nodes: 1}, {Name: "lost", Value: 0, Nodes: 1}}
	two := []figure{{Name: "p50", Value: 15, Nodes: 2}, {Name: "lost", Value: 3, Nodes: 2}}
	got := besideOneNode([][]figure{one, two})
	var order []string
	for _, f := range got {
		order = append(order, f.Name+"@"+nodeCount(f.Nodes))
	}
	if want := []string{"p50@1 node", "p50@2 nodes", "lost@1 node", "lost@2 nodes"}; !slices.Equal(order, want) {
		t.Fatalf("order %v, want %v", order, want)
	}
	if r := got[1].VsOneNode; r == nil || *r != 1.5 {
		t.Errorf("p50 at 2 nodes vs 1 node: %v, want 1.5", r)
	}
	if got[0].VsOneNode != nil || got[3].VsOneNode != nil {
		t.Error("a ratio at 1 node, or against a 0 at 1 node")
	}
}
