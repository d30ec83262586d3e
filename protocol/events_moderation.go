package protocol

// Moderation events (issue 14; off with rtchat.WithModeration(false)).
const (
	EventRoomMute   = "room.mute"
	EventRoomUnmute = "room.unmute"
	EventRoomBan    = "room.ban"
	EventRoomUnban  = "room.unban"
	EventRoomAudit  = "room.audit"

	// DispatchRoomMute tells a room that a member was muted or unmuted.
	DispatchRoomMute = "roommute.dispatch"
	// DispatchRoomAudit answers room.audit with a page of the audit trail.
	DispatchRoomAudit = "roomaudit.dispatch"
)

// Details of the moderation refusals.
const (
	// DetailMuted answers any write event of a member muted in the room.
	DetailMuted = "You are muted in this room."
	// DetailBanned answers room.join of a user banned from the room.
	DetailBanned = "You are banned from this room."
	// DetailUserBanned answers room.add_members naming a banned user.
	DetailUserBanned = "This user is banned from this room."
)
