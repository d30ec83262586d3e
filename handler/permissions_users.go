package handler

import (
	"context"
	"slices"

	"github.com/rtchat/rtchat/model"

	"github.com/rtchat/rtchat/protocol"
)

// CanAddUser allows anyone to be added by anyone, as the original does:
// whoever may create a room or add members puts any user in. An app whose
// users should not be reachable by strangers overrides it (the example
// apps take into a group only users who already share a room with the
// caller).
func (Default) CanAddUser(context.Context, Check, int64) error { return nil }

// CanSeePresence lets every user who shares a room with the target see the
// target's presence, as the original does.
func (Default) CanSeePresence(context.Context, int64, int64) error { return nil }

// The system adds anyone; presence is never asked on its behalf.
func (systemPerms) CanAddUser(context.Context, Check, int64) error { return nil }

func (systemPerms) CanSeePresence(context.Context, int64, int64) error { return nil }

// addableUsers asks CanAddUser about each of ids and answers a refusal as
// an unknown user is answered (4004 "Not found."), so that the answer to a
// refused id cannot be told from the answer to an id nobody has. An error
// that is not a protocol error (a failing query of the app's rule) is
// logged, and still answered 4004: anything else would tell the two apart.
// A cancelled request is answered as cancelled.
func addableUsers(ctx context.Context, r *Request, chk Check, ids []int64) error {
	for _, id := range ids {
		err := r.perms().CanAddUser(ctx, chk, id)
		if err == nil {
			continue
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if _, ok := protocol.AsError(err); !ok && r.Env.Log != nil {
			r.Env.Log.Error("rtchat: CanAddUser", "err", err, "event", chk.Action, "user", r.UserID, "target", id)
		}
		return protocol.NotFound()
	}
	return nil
}

// newcomers returns the users among ids who are not members of chk.Room,
// once CanAddUser allowed each of them (a refusal is 4004, see
// addableUsers).
func newcomers(ctx context.Context, r *Request, chk Check, ids []int64) ([]int64, error) {
	present, err := r.Env.Store.Memberships(ctx, chk.Room.ID, ids)
	if err != nil {
		return nil, err
	}
	out := make([]int64, 0, len(ids))
	for _, id := range ids {
		if !slices.ContainsFunc(present, func(m *model.Member) bool { return m.UserID == id }) {
			out = append(out, id)
		}
	}
	return out, addableUsers(ctx, r, chk, out)
}

// seesPresence returns the users among targets whose presence viewer may
// see (CanSeePresence; an error hides the user).
func seesPresence(ctx context.Context, p Permissions, viewer int64, targets []int64) []int64 {
	out := make([]int64, 0, len(targets))
	for _, t := range targets {
		if p.CanSeePresence(ctx, viewer, t) == nil {
			out = append(out, t)
		}
	}
	return out
}

// presencePerms returns the rules presence asks: Perms, or Default for an
// Env built without them (presence is announced by the consumer, which may
// run on an Env that serves no events).
func (e *Env) presencePerms() Permissions {
	if e.Perms == nil {
		return Default{}
	}
	return e.Perms
}
