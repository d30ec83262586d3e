package handler

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/rtchat/rtchat/model"
	"github.com/rtchat/rtchat/protocol"
	"github.com/rtchat/rtchat/serializer"
)

// MaxPresenceQuery is the most user ids one presence.query may ask about
// (the validate tag of presenceQueryData repeats it).
const MaxPresenceQuery = 500

// PresenceUser is one user's entry in presence.dispatch (see
// serializer.PresenceUser).
type PresenceUser = serializer.PresenceUser

// PresenceData is what the Presence serializer receives for
// presence.dispatch.
type PresenceData = serializer.PresenceInput

type presenceQueryData struct {
	UserIDs []int64 `json:"user_ids" validate:"required,min=1,max=500,dive,gt=0"`
}

// PresenceQuery handles presence.query: for each of user_ids (1 to
// MaxPresenceQuery positive ids) that shares a room with the caller, whether
// they are online and when they were last seen, answered to the caller in
// the order asked. Users sharing no room with the caller are left out of
// the answer, not reported offline, so the query reveals nothing about
// strangers; so are the users Permissions.CanSeePresence hides from the
// caller.
func PresenceQuery(ctx context.Context, r *Request) error {
	var in presenceQueryData
	if err := r.Decode(&in); err != nil {
		return err
	}
	asked := uniq(in.UserIDs)
	sharing, err := r.Env.Store.SharingRoom(ctx, r.UserID, asked)
	if err != nil {
		return err
	}
	visible := seesPresence(ctx, r.Env.presencePerms(), r.UserID, sharing)
	online, err := r.Env.Presence.Online(ctx, visible)
	if err != nil {
		return err
	}
	shares := make(map[int64]bool, len(visible))
	var offline []int64
	for _, u := range visible {
		shares[u] = true
		if !online[u] {
			offline = append(offline, u)
		}
	}
	seen, err := r.Env.Store.LastSeen(ctx, offline)
	if err != nil {
		return err
	}
	now := model.Now()
	out := PresenceData{Users: []PresenceUser{}}
	for _, u := range asked {
		if !shares[u] {
			continue
		}
		e := PresenceUser{UserID: u, Online: online[u]}
		if e.Online {
			e.LastSeen = &now
		} else if t, ok := seen[u]; ok {
			e.LastSeen = &t
		}
		out.Users = append(out.Users, e)
	}
	data, err := r.Env.Serialize(ctx, serializer.NamePresence, out, nil)
	if err != nil {
		return err
	}
	return r.Out.Reply(protocol.DispatchPresence, data)
}

// PresenceChanged tells the members of the changed users' rooms that they
// came online or went offline, with presence.dispatch: each recipient gets
// one frame listing the changed users it shares a room with, however many
// rooms they share. A user's own connections are not told about the user:
// a device knows its own state, and must not hear that its user went
// offline. One query finds every recipient.
//
// A recipient Permissions.CanSeePresence refuses about a changed user is
// not told of that user.
//
// Rooms with more members than Settings.PresencePushLimit push nothing:
// announcing a big room's reconnect to all its members costs members
// squared frames, so their members ask with presence.query instead.
//
// The consumer calls it with the changes it collected over its presence
// interval (the latest per user), and with every user going offline at once
// when the node shuts down. Users who came online hear of the other changed
// users; users who went offline are told nothing, having no connection left
// to tell.
func PresenceChanged(ctx context.Context, env *Env, out Outbox, changes ...PresenceUser) error {
	ids := make([]int64, len(changes))
	var silent []int64
	for i, ch := range changes {
		ids[i] = ch.UserID
		if !ch.Online {
			silent = append(silent, ch.UserID)
		}
	}
	co, err := env.Store.PresenceAudience(ctx, ids, silent, env.Settings.PresencePushLimit)
	if err != nil {
		return err
	}
	// Recipients told about the same changes share one publish.
	type group struct {
		users      []PresenceUser
		recipients []int64
	}
	told := map[int64][]int{} // recipient -> indexes of its changes
	for i, ch := range changes {
		for _, r := range co[ch.UserID] {
			if env.presencePerms().CanSeePresence(ctx, r, ch.UserID) == nil {
				told[r] = append(told[r], i)
			}
		}
	}
	groups := map[string]*group{}
	var keys []string
	for r, idx := range told {
		key := fmt.Sprint(idx)
		g := groups[key]
		if g == nil {
			g = &group{}
			for _, i := range idx {
				g.users = append(g.users, changes[i])
			}
			groups[key] = g
			keys = append(keys, key)
		}
		g.recipients = append(g.recipients, r)
	}
	slices.Sort(keys)
	var errs []error
	for _, k := range keys {
		g := groups[k]
		data, err := env.Serialize(ctx, serializer.NamePresence, PresenceData{Users: g.users}, nil)
		if err == nil {
			err = out.User(ctx, protocol.DispatchPresence, data, g.recipients...)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// uniq returns ids without repeats, in their first order.
func uniq(ids []int64) []int64 {
	seen := make(map[int64]struct{}, len(ids))
	out := make([]int64, 0, len(ids))
	for _, id := range ids {
		if _, dup := seen[id]; !dup {
			seen[id] = struct{}{}
			out = append(out, id)
		}
	}
	return out
}
