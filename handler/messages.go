package handler

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"

	"github.com/rtchat/rtchat/model"
	"github.com/rtchat/rtchat/protocol"
	"github.com/rtchat/rtchat/serializer"
)

// maxIDs bounds how many message ids one event may name.
const maxIDs = 500

// messageIDs reads the message_id of read, acknowledged, react, edits and
// modify events: one id, or (when list is allowed) a list of ids. It
// reports whether a list was given, so the reply can keep the shape.
func messageIDs(raw json.RawMessage, list bool) (ids []string, isList bool, err error) {
	bad := func(msg string) error { return protocol.Invalid(protocol.FieldErrors{"message_id": {msg}}) }
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0 || string(raw) == "null":
		return nil, false, bad("This field is required.")
	case raw[0] == '[' && list:
		if json.Unmarshal(raw, &ids) != nil {
			return nil, false, bad("Expected a message id or a list of message ids.")
		}
		if len(ids) == 0 {
			return nil, false, bad("Give at least one message id.")
		}
		if len(ids) > maxIDs {
			return nil, false, bad("Give at most " + itoa(maxIDs) + " message ids.")
		}
		isList = true
	default:
		var id string
		if json.Unmarshal(raw, &id) != nil {
			if list {
				return nil, false, bad("Expected a message id or a list of message ids.")
			}
			return nil, false, bad("Expected a message id.")
		}
		ids = []string{id}
	}
	for i, id := range ids {
		// The ids are normalised as serializer.Decode normalises uuid
		// fields: hyphenated form only, lower-cased.
		canon, ok := serializer.CanonicalUUID(id)
		if !ok {
			return nil, false, bad("Must be a valid UUID.")
		}
		ids[i] = canon
	}
	slices.Sort(ids)
	return slices.Compact(ids), isList, nil
}

// accessMessages loads visible messages by id and checks that the caller may
// read each one (through the permission handler). A missing or deleted
// message is 4004. The checks come back by message id.
func accessMessages(ctx context.Context, r *Request, ids []string) (map[string]Check, error) {
	msgs, err := r.Env.Store.MessagesByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	if len(msgs) != len(ids) {
		return nil, protocol.NotFound()
	}
	var roomIDs []string
	for _, m := range msgs {
		if !slices.Contains(roomIDs, m.RoomID) {
			roomIDs = append(roomIDs, m.RoomID)
		}
	}
	rooms, err := r.Env.Store.Rooms(ctx, roomIDs)
	if err != nil {
		return nil, err
	}
	members, err := r.Env.Store.UserMemberships(ctx, r.UserID, roomIDs)
	if err != nil {
		return nil, err
	}
	checks := make(map[string]Check, len(msgs))
	for _, m := range msgs {
		chk := Check{UserID: r.UserID, Room: rooms[m.RoomID], Member: members[m.RoomID], Action: r.Event, Message: m}
		if err := r.perms().CanAccessMessage(ctx, chk); err != nil {
			return nil, err
		}
		checks[m.ID] = chk
	}
	return checks, nil
}

// sortedMessages returns the messages of checks in seq order per room.
func sortedMessages(checks map[string]Check) []*model.Message {
	out := make([]*model.Message, 0, len(checks))
	for _, c := range checks {
		out = append(out, c.Message)
	}
	slices.SortFunc(out, func(a, b *model.Message) int {
		if a.RoomID != b.RoomID {
			if a.RoomID < b.RoomID {
				return -1
			}
			return 1
		}
		return int(a.Seq - b.Seq)
	})
	return out
}
