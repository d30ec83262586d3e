package handler

import "context"

// RoomCheck loads a room and the caller's membership of it (Member is nil
// for an outsider), with Action set to the event, for a custom handler's
// permission check. A room that does not exist is 4004. It checks nothing
// itself.
func (r *Request) RoomCheck(ctx context.Context, roomID string) (Check, error) {
	return roomCheck(ctx, r, roomID, r.Event)
}

// AccessMessage loads a message, its room and the caller's membership of
// it, and checks Permissions.CanAccessMessage. A message that does not
// exist is 4004.
func (r *Request) AccessMessage(ctx context.Context, messageID string) (Check, error) {
	checks, err := accessMessages(ctx, r, []string{messageID})
	if err != nil {
		return Check{}, err
	}
	return checks[messageID], nil
}
