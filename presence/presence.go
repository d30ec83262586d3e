package presence

import (
	"context"
	"errors"
)

// ErrLimit is returned by Connect when the user already has as many live
// connections, on all nodes together, as the limit it was given.
var ErrLimit = errors.New("presence: too many connections")

// Manager records the live connections of users, so that rtchat can tell
// when a user comes online (their first connection opens) or goes offline
// (their last one closes), and answer who is online.
//
// Implementations must be safe for concurrent use. For one user, rtchat
// calls Connect and Disconnect of a node in the order the connections open
// and close; calls for different users, and from different nodes, may
// interleave. An implementation shared by several nodes should forget the
// connections of a node that stopped without disconnecting them (for
// example with a time-to-live that live nodes refresh): see Cluster.
type Manager interface {
	// Connect records connID as a live connection of userID. first reports
	// whether it is the user's only live connection, on any node: the user
	// has just come online. Recording a connection twice is not an error
	// and reports first = false the second time.
	//
	// limit > 0 is the most live connections the user may have on all
	// nodes together: when the user already has limit of them, Connect
	// records nothing and returns ErrLimit. limit <= 0 sets no cap.
	Connect(ctx context.Context, userID int64, connID string, limit int) (first bool, err error)
	// Disconnect forgets a connection recorded by Connect. last reports
	// whether the user has no live connection left: the user has just gone
	// offline. Forgetting a connection that is not recorded is not an error
	// and reports last = false.
	Disconnect(ctx context.Context, userID int64, connID string) (last bool, err error)
	// Online reports which of userIDs have at least one live connection:
	// the result holds true for each of them and nothing for the others.
	Online(ctx context.Context, userIDs []int64) (map[int64]bool, error)
}
