package serializer

import (
	"time"

	"github.com/rtchat/rtchat/model"
)

// RoomMuteInput is what the RoomMute serializer receives
// (roommute.dispatch, after room.mute and room.unmute).
type RoomMuteInput struct {
	RoomID string
	// User is the member muted or unmuted and MutedBy who did it, both
	// already rendered by the User serializer.
	User    any
	MutedBy any
	// Muted is false for an unmute.
	Muted bool
	// Until is when the mute ends; nil for a mute until unmuted, and for
	// an unmute.
	Until *time.Time
}

// RoomMuteOut is the default roommute.dispatch data.
type RoomMuteOut struct {
	RoomID  string     `json:"room_id"`
	User    any        `json:"user"`
	Muted   bool       `json:"muted"`
	Until   *time.Time `json:"until"`
	MutedBy any        `json:"muted_by"`
}

// RoomMute returns the default roommute.dispatch data.
func RoomMute(in RoomMuteInput, _ Users) RoomMuteOut {
	return RoomMuteOut{RoomID: in.RoomID, User: in.User, Muted: in.Muted, Until: in.Until, MutedBy: in.MutedBy}
}

// RoomAuditInput is what the RoomAudit serializer receives
// (roomaudit.dispatch, the answer to room.audit).
type RoomAuditInput struct {
	RoomID string
	// Entries are the page, newest first, as stored.
	Entries []*model.AuditEntry
	// HasMore reports older entries beyond the page.
	HasMore bool
	// Users are the actors and targets of the entries by id, already
	// rendered by the User serializer.
	Users map[int64]any
}

// AuditEntryOut is one entry of the default roomaudit.dispatch data.
type AuditEntryOut struct {
	ID        int64      `json:"id"`
	Action    string     `json:"action"`
	Actor     any        `json:"actor"`
	Target    any        `json:"target"`
	MessageID *string    `json:"message_id,omitempty"`
	Reason    string     `json:"reason,omitempty"`
	Until     *time.Time `json:"until,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
}

// RoomAuditOut is the default roomaudit.dispatch data.
type RoomAuditOut struct {
	RoomID  string          `json:"room_id"`
	Entries []AuditEntryOut `json:"entries"`
	HasMore bool            `json:"has_more"`
}

// RoomAudit returns the default roomaudit.dispatch data: target is null
// for an entry without one.
func RoomAudit(in RoomAuditInput, _ Users) RoomAuditOut {
	out := RoomAuditOut{RoomID: in.RoomID, Entries: make([]AuditEntryOut, len(in.Entries)), HasMore: in.HasMore}
	for i, e := range in.Entries {
		o := AuditEntryOut{ID: e.ID, Action: e.Action, Actor: in.Users[e.ActorID], MessageID: e.MessageID, Reason: e.Reason,
			Until: e.ExpiresAt, CreatedAt: e.CreatedAt}
		if e.TargetID != nil {
			o.Target = in.Users[*e.TargetID]
		}
		out.Entries[i] = o
	}
	return out
}

// UserIDs returns the users the entries refer to, for the lookup.
func (in RoomAuditInput) UserIDs() []int64 {
	var ids []int64
	for _, e := range in.Entries {
		ids = append(ids, e.ActorID)
		if e.TargetID != nil {
			ids = append(ids, *e.TargetID)
		}
	}
	return ids
}
