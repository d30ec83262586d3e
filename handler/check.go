package handler

import (
	"context"
	"strconv"
)

// roomCheck loads a room and the caller's membership of it for a permission
// check. A room that does not exist is 4004.
func roomCheck(ctx context.Context, r *Request, roomID, action string) (Check, error) {
	room, member, err := r.Env.Store.RoomAndMember(ctx, roomID, r.UserID)
	if err != nil {
		return Check{}, err
	}
	return Check{UserID: r.UserID, Room: room, Member: member, Action: action}, nil
}

// accessRoom loads a room and checks that the caller may read it.
func accessRoom(ctx context.Context, r *Request, roomID string) (Check, error) {
	chk, err := roomCheck(ctx, r, roomID, r.Event)
	if err != nil {
		return Check{}, err
	}
	if err := r.perms().CanAccessRoom(ctx, chk); err != nil {
		return Check{}, err
	}
	return chk, nil
}

func itoa(n int) string { return strconv.Itoa(n) }

// changeMembers asks CanChangeMember about each of chk.Targets.
func changeMembers(ctx context.Context, r *Request, chk Check) error {
	for _, t := range chk.Targets {
		if err := r.perms().CanChangeMember(ctx, chk, t); err != nil {
			return err
		}
	}
	return nil
}
