package handler

import (
	"context"
	"slices"
	"time"

	"github.com/rtchat/rtchat/model"
	"github.com/rtchat/rtchat/protocol"
	"github.com/rtchat/rtchat/serializer"
)

// moderateData is the data of room.mute and room.ban (until and reason
// are refused by room.unmute and room.unban, which take neither).
type moderateData struct {
	RoomID string `json:"room_id" validate:"required,uuid"`
	UserID int64  `json:"user_id" validate:"required,gt=0"`
	// Until is RFC 3339 and in the future; absent or null means until
	// lifted.
	Until  *string `json:"until"`
	Reason string  `json:"reason" validate:"max=512"`

	until *time.Time
}

// Field messages of the moderation events.
const (
	detailUntilFormat  = "Expected an RFC 3339 date-time."
	detailUntilFuture  = "Must be in the future."
	detailModerateSelf = "You cannot moderate yourself."
	detailNotAMember   = "This user is not a member of this room."
	detailNoReason     = "This event takes no reason."
)

// decodeModerate decodes and checks the data of a moderation event; with
// timed set (room.mute, room.ban) until is read, else it is refused.
func decodeModerate(r *Request, timed, reason bool) (moderateData, error) {
	var in moderateData
	if err := r.Decode(&in); err != nil {
		return in, err
	}
	fields := protocol.FieldErrors{}
	if in.Until != nil {
		switch t, err := time.Parse(time.RFC3339Nano, *in.Until); {
		case !timed:
			fields.Add("until", "This event takes no until.")
		case err != nil:
			fields.Add("until", detailUntilFormat)
		case !t.After(time.Now()):
			fields.Add("until", detailUntilFuture)
		default:
			t = t.UTC().Truncate(time.Microsecond)
			in.until = &t
		}
	}
	if in.Reason != "" && !reason {
		fields.Add("reason", detailNoReason)
	}
	if len(fields) > 0 {
		return in, protocol.Invalid(fields)
	}
	in.Reason = serializer.Sanitize(in.Reason)
	return in, nil
}

// moderationCheck reads the room, the caller's and the target's
// memberships, and asks CanModerate. Moderating oneself is 4003 whatever
// the rule says (after the room is found).
func moderationCheck(ctx context.Context, r *Request, in moderateData) (Check, *model.Member, error) {
	chk, err := roomCheck(ctx, r, in.RoomID, r.Event)
	if err != nil {
		return Check{}, nil, err
	}
	if in.UserID == r.UserID {
		return Check{}, nil, protocol.Invalid(protocol.FieldErrors{"user_id": {detailModerateSelf}})
	}
	targets, err := r.Env.Store.Memberships(ctx, chk.Room.ID, []int64{in.UserID})
	if err != nil {
		return Check{}, nil, err
	}
	var target *model.Member
	if len(targets) > 0 {
		target = targets[0]
		chk.Targets = targets
	}
	if err := r.perms().CanModerate(ctx, chk, in.UserID, target); err != nil {
		return Check{}, nil, err
	}
	if chk.Room.Type == model.TypeOneToOne {
		// Whatever a custom rule allows: a 1:1 keeps its two participants
		// and has no moderators.
		return Check{}, nil, protocol.NewError(protocol.CodeInvalid, DetailNoModerationOneToOne)
	}
	return chk, target, nil
}

// RoomMute handles room.mute {room_id, user_id, until?}: the member may
// read but not write (message.send, message.react, message.typing,
// message.modify, and any other write event) until then, or until
// unmuted; each write is refused with 4002 by the statement or
// transaction that would store it, on every node. Muting again replaces
// the mute. roommute.dispatch {room_id, user, muted: true, until,
// muted_by} goes to the room.
func RoomMute(ctx context.Context, r *Request) error {
	in, err := decodeModerate(r, true, false)
	if err != nil {
		return err
	}
	chk, target, err := moderationCheck(ctx, r, in)
	if err != nil {
		return err
	}
	if target == nil {
		return protocol.Invalid(protocol.FieldErrors{"user_id": {detailNotAMember}})
	}
	err = r.Env.Store.RoomTx(ctx, chk.Room.ID, func(ctx context.Context, tx *model.RoomTx) error {
		present, err := tx.Memberships(ctx, []int64{in.UserID})
		if err != nil {
			return err
		}
		if len(present) == 0 {
			return protocol.Invalid(protocol.FieldErrors{"user_id": {detailNotAMember}}) // left meanwhile
		}
		return tx.Mute(ctx, in.UserID, r.UserID, in.until, model.Now())
	})
	if err != nil {
		return err
	}
	return publishMute(ctx, r, chk.Room.ID, in.UserID, true, in.until)
}

// RoomUnmute handles room.unmute {room_id, user_id}: lifts the mute (an
// expired one too), and roommute.dispatch {room_id, user, muted: false,
// until: null, muted_by} goes to the room. A user who is not muted changes
// nothing (done.dispatch).
func RoomUnmute(ctx context.Context, r *Request) error {
	in, err := decodeModerate(r, false, false)
	if err != nil {
		return err
	}
	chk, _, err := moderationCheck(ctx, r, in)
	if err != nil {
		return err
	}
	var lifted bool
	err = r.Env.Store.RoomTx(ctx, chk.Room.ID, func(ctx context.Context, tx *model.RoomTx) error {
		lifted, err = tx.Unmute(ctx, in.UserID, r.UserID, model.Now())
		return err
	})
	if err != nil || !lifted {
		return err
	}
	return publishMute(ctx, r, chk.Room.ID, in.UserID, false, nil)
}

// publishMute sends roommute.dispatch to the room.
func publishMute(ctx context.Context, r *Request, roomID string, userID int64, muted bool, until *time.Time) error {
	user, err := r.Env.Serialize(ctx, serializer.NameUser, userID, []int64{userID})
	if err != nil {
		return err
	}
	by, err := r.Env.Serialize(ctx, serializer.NameUser, r.UserID, []int64{r.UserID})
	if err != nil {
		return err
	}
	data, err := r.Env.Serialize(ctx, serializer.NameRoomMute,
		serializer.RoomMuteInput{RoomID: roomID, User: user, MutedBy: by, Muted: muted, Until: until}, []int64{userID, r.UserID})
	if err != nil {
		return err
	}
	return r.Out.Room(ctx, roomID, protocol.DispatchRoomMute, data)
}

// RoomBan handles room.ban {room_id, user_id, until?, reason?}: records
// the ban and removes the user if a member, as room.remove_members does
// (roomexit.dispatch "You have been banned by <username>" to the user,
// roomremovemembers.dispatch to the rest). Until the ban is lifted
// (room.unban) or expires, room.join answers the user 4002 and
// room.add_members naming the user 4002, checked in the transaction that
// adds members. A user who is not a member may be banned too
// (done.dispatch). Banning again replaces the ban.
func RoomBan(ctx context.Context, r *Request) error {
	in, err := decodeModerate(r, true, true)
	if err != nil {
		return err
	}
	chk, _, err := moderationCheck(ctx, r, in)
	if err != nil {
		return err
	}
	unlock := r.Env.LockRoom(chk.Room.ID)
	defer unlock()
	var res removal
	err = r.Env.Store.RoomTx(ctx, chk.Room.ID, func(ctx context.Context, tx *model.RoomTx) error {
		res = removal{room: tx.Room}
		if err := tx.Ban(ctx, in.UserID, r.UserID, in.until, in.Reason, model.Now()); err != nil {
			return err
		}
		present, err := tx.Memberships(ctx, []int64{in.UserID})
		if err != nil {
			return err
		}
		if len(present) == 0 {
			return nil
		}
		res.removed = []int64{in.UserID}
		return res.apply(ctx, tx) // the system may ban the last member
	})
	if err != nil || len(res.removed) == 0 {
		return err
	}
	by, err := usernames(ctx, r, []int64{r.UserID})
	if err != nil {
		return err
	}
	return publishRemoved(ctx, r, res, by[0], "You have been banned by "+by[0])
}

// RoomUnban handles room.unban {room_id, user_id}: lifts the ban (an
// expired one too), so the user may join or be added again; done.dispatch
// to the caller.
func RoomUnban(ctx context.Context, r *Request) error {
	in, err := decodeModerate(r, false, false)
	if err != nil {
		return err
	}
	chk, _, err := moderationCheck(ctx, r, in)
	if err != nil {
		return err
	}
	return r.Env.Store.RoomTx(ctx, chk.Room.ID, func(ctx context.Context, tx *model.RoomTx) error {
		_, err := tx.Unban(ctx, in.UserID, r.UserID, model.Now())
		return err
	})
}

// DefaultAuditLimit and MaxAuditLimit bound a room.audit page.
const (
	DefaultAuditLimit = 50
	MaxAuditLimit     = 100
)

type auditData struct {
	RoomID   string `json:"room_id" validate:"required,uuid"`
	BeforeID int64  `json:"before_id" validate:"gte=0"`
	Limit    int    `json:"limit" validate:"gte=0,lte=100"`
}

// RoomAudit handles room.audit {room_id, before_id?, limit?}: a page of
// the room's moderation audit trail (mute, unmute, ban, unban,
// delete_message), newest first, ids below before_id, at most limit
// (default 50, at most 100), answered to the caller as roomaudit.dispatch
// {room_id, entries, has_more}. CanReadAudit decides who reads it (by
// default the room's admins); a non-member is refused as room.info
// refuses one.
func RoomAudit(ctx context.Context, r *Request) error {
	var in auditData
	if err := r.Decode(&in); err != nil {
		return err
	}
	if in.Limit == 0 {
		in.Limit = DefaultAuditLimit
	}
	chk, err := roomCheck(ctx, r, in.RoomID, protocol.EventRoomAudit)
	if err != nil {
		return err
	}
	if err := r.perms().CanReadAudit(ctx, chk); err != nil {
		return err
	}
	entries, more, err := r.Env.Store.AuditPage(ctx, chk.Room.ID, in.BeforeID, in.Limit)
	if err != nil {
		return err
	}
	page := serializer.RoomAuditInput{RoomID: chk.Room.ID, Entries: entries, HasMore: more}
	ids := page.UserIDs()
	slices.Sort(ids)
	ids = slices.Compact(ids)
	us, err := serializer.Resolve(ctx, r.Env.Users, ids)
	if err != nil {
		return err
	}
	page.Users = make(map[int64]any, len(ids))
	for _, id := range ids {
		if page.Users[id], err = r.Env.Serializers.Serialize(ctx, serializer.NameUser, id, us); err != nil {
			return err
		}
	}
	out, err := r.Env.Serializers.Serialize(ctx, serializer.NameRoomAudit, page, us)
	if err != nil {
		return err
	}
	return r.Out.Reply(protocol.DispatchRoomAudit, out)
}
