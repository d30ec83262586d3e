package rtchat

import (
	"context"

	"github.com/rtchat/rtchat/consumer"
	"github.com/rtchat/rtchat/presence"
	"github.com/rtchat/rtchat/protocol"
	"github.com/rtchat/rtchat/serializer"
)

// Error is the wire error: its field Code is the protocol code (4001-4008,
// 4029; see docs/protocol.md) and Detail what the client is told (a string,
// or a map of field names to messages for 4003 field errors). Handlers,
// permission rules, hooks and error handlers return it; rtchat turns it
// into an error frame. It is protocol.Error, whose constructors
// (protocol.NewError, protocol.Denied, protocol.Invalid) build it.
type Error = protocol.Error

// User is a user as payloads show it; see WithUserLookup.
type User struct {
	ID        int64  `json:"id"`
	Username  string `json:"username"`
	Email     string `json:"email"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
}

// UserLookup returns the users the app knows among ids; the map's keys are
// their ids. Users it leaves out are shown as {id, username: "<id>"}.
type UserLookup func(ctx context.Context, ids []int64) (map[int64]User, error)

// serializerLookup adapts the app's lookup to the serializers'.
func (fn UserLookup) serializerLookup() serializer.UserLookup {
	if fn == nil {
		return nil
	}
	return func(ctx context.Context, ids []int64) (map[int64]serializer.User, error) {
		found, err := fn(ctx, ids)
		if err != nil {
			return nil, err
		}
		out := make(map[int64]serializer.User, len(found))
		for id, u := range found {
			out[id] = serializer.User{ID: u.ID, Username: u.Username, Email: u.Email, FirstName: u.FirstName, LastName: u.LastName}
		}
		return out, nil
	}
}

// PresenceManager keeps which users have a live connection; see
// WithPresence. presence.NewMemory and the Redis one (presence/redis)
// implement it.
type PresenceManager interface {
	// Connect records connID as a live connection of userID. first reports
	// whether it is the user's only live connection, on any node: the user
	// has just come online. Recording a connection twice is not an error
	// and reports first = false the second time. limit > 0 is the most live
	// connections the user may have on all nodes together: when the user
	// already has limit of them, Connect records nothing and returns
	// presence.ErrLimit. limit <= 0 sets no cap.
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

var _ PresenceManager = presence.Manager(nil)

// Stats counts this node's fan-out; see Chat.Stats.
type Stats struct {
	// Conns is the number of open connections.
	Conns int
	// Users is the number of users with at least one open connection.
	Users int
	// Rooms is the number of rooms with at least one open connection.
	Rooms int
	// RateLimitedUsers is the number of users whose rate limiters
	// (WithRateLimit, WithEventRateLimit) this node holds: those with an
	// open connection here, when a limit is set; 0 otherwise.
	RateLimitedUsers int
}

// ContextWithUser returns a context carrying the authenticated user id: an
// app's own middleware can set it on the request instead of using an auth
// option (WithHTTPAuth, WithEchoAuth, ginadapter.WithGinAuth).
func ContextWithUser(ctx context.Context, userID int64) context.Context {
	return consumer.WithUser(ctx, userID)
}
