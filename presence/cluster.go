package presence

import "context"

// Cluster is a Manager shared by several nodes, each of which keeps itself
// alive in the shared state while it runs. When a node stops without
// disconnecting its connections (a crash, a lost network), its liveness
// lapses and a surviving node reaps it: its connections are forgotten and
// the users left without a live connection are reported offline, so the
// surviving node can announce them and close the dead node's session rows.
//
// rtchat calls Start when a Chat is created (before any Connect) and Stop
// when it closes (after every connection has been disconnected), when the
// Manager given to WithPresence implements Cluster.
type Cluster interface {
	Manager
	// Start makes Connect and Disconnect record connections under nodeID,
	// and starts keeping the node alive (refreshing a liveness that lapses
	// after a time-to-live) and reaping nodes whose liveness lapsed. It
	// calls onChange, from a goroutine of its own and one call at a time,
	// for every change of presence that no Connect or Disconnect reported:
	//
	//   - a reaped node: Change.Node is the dead node and Change.Offline
	//     the users left without a live connection. Exactly one live node
	//     reaps a dead node, so one node is told.
	//   - this node found itself reaped, or out of step with the shared
	//     state (it could not reach it for a while and kept serving):
	//     it records its live connections again, and Change.Node is
	//     nodeID, Change.Online the users thereby online again and
	//     Change.Offline those whose connections closed meanwhile.
	//
	// Start fails only on a bad configuration or a second call: an
	// unreachable store is retried in the background.
	Start(nodeID string, onChange func(Change)) error
	// Stop ends the refreshing and reaping, waits for a running onChange
	// to return, and removes this node and its remaining connections from
	// the shared state (a graceful close: other nodes need not wait for its
	// liveness to lapse). onChange is not called after Stop returns.
	Stop(ctx context.Context) error
}

// Change is a change of presence found by a Cluster rather than reported
// by Connect or Disconnect; see Cluster.Start.
type Change struct {
	// Node is the node whose connections changed: a reaped node, or the
	// node Start was given when it recorded its connections again.
	Node string
	// Offline lists the users left without a live connection on any node.
	Offline []int64
	// Online lists the users who have a live connection again.
	Online []int64
}
