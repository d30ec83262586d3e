package consumer

import "context"

type userKey struct{}

// WithUser returns a context carrying the authenticated user id; adapters
// put it on the upgrade request for the Consumer to read.
func WithUser(ctx context.Context, userID int64) context.Context {
	return context.WithValue(ctx, userKey{}, userID)
}

// UserFrom returns the user id WithUser stored, if any.
func UserFrom(ctx context.Context) (int64, bool) {
	id, ok := ctx.Value(userKey{}).(int64)
	return id, ok && id != 0
}
