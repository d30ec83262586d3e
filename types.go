package rtchat

import (
	"context"

	"github.com/rtchat/rtchat/consumer"
	"github.com/rtchat/rtchat/handler"
	"github.com/rtchat/rtchat/presence"
	"github.com/rtchat/rtchat/protocol"
	"github.com/rtchat/rtchat/serializer"
)

// Error is the wire error: a protocol code (4001-4008, 4029) and a detail.
// Handlers and error handlers return it; rtchat turns it into an error frame.
type Error = protocol.Error

// PermissionHandler decides who may do what, one method per check: every
// rule the handlers apply but the structural invariants (a 1:1 keeps its two
// participants, a room's cap) is one of its methods; handler.Permissions
// lists which event calls which. Embed DefaultPermissions in a custom type
// to override a single rule.
type PermissionHandler = handler.Permissions

// DefaultPermissions is the original package's permission table.
type DefaultPermissions = handler.Default

// PermissionCheck is what each PermissionHandler method receives.
type PermissionCheck = handler.Check

// User is a user as payloads show it.
type User = serializer.User

// UserLookup returns the users the app knows among ids.
type UserLookup = serializer.UserLookup

// PresenceManager keeps which users are online; see WithPresence.
type PresenceManager = presence.Manager

// Hooks are callbacks around each connection and event.
type Hooks = consumer.Hooks

// ContextWithUser returns a context carrying the authenticated user id: an
// app's own middleware can set it on the request instead of using WithAuth.
func ContextWithUser(ctx context.Context, userID int64) context.Context {
	return consumer.WithUser(ctx, userID)
}
