package protocol

// Protocol codes. Codes 4001-4029 travel in error frames or as WebSocket close
// codes, as docs/protocol.md §3 says; 1001, 1008, 1009, 1011 and 1013 are standard close codes.
const (
	// CodeNotAuthenticated means the request carried no user (HTTP 401 on upgrade).
	CodeNotAuthenticated = 4001
	// CodePermissionDenied means the user may not do what the event asks.
	CodePermissionDenied = 4002
	// CodeInvalid means validation failed, the frame was malformed or the event is unknown.
	CodeInvalid = 4003
	// CodeNotFound means the room, message or user does not exist (or is not visible).
	CodeNotFound = 4004
	// CodeConflict means an integrity conflict, such as a duplicate 1:1 chat.
	CodeConflict = 4005
	// CodeInternal means an internal error; the details are only in the server log.
	CodeInternal = 4006
	// CodeUnavailable means the server cannot serve now (database down, overloaded); retrying is safe.
	CodeUnavailable = 4007
	// CodeResync is the close code for a connection that fell behind; reconnect and catch up by seq.
	CodeResync = 4008
	// CodeRateLimited means the client sent too much; detail says when to retry.
	// It is also the close code of a connection over the per-user cap
	// (reason DetailTooManyConnections).
	CodeRateLimited = 4029

	// CloseGoingAway is the close code sent when the server shuts down.
	CloseGoingAway = 1001
	// ClosePolicyViolation closes a connection that kept sending over its
	// rate limits (WithRateLimitClose), with reason DetailTooManyEvents.
	ClosePolicyViolation = 1008
	// CloseMessageTooBig is the close code for a frame over the size limit.
	CloseMessageTooBig = 1009
	// CloseInternalError closes a connection whose set-up failed inside
	// the app's code (a panic in the connect hook).
	CloseInternalError = 1011
	// CloseTryAgainLater closes a connection the server could not set up
	// (its rooms could not be read); reconnecting is safe.
	CloseTryAgainLater = 1013
)

// Detail texts kept word for word from the original package, so its clients
// can show them.
const (
	DetailNotFound         = "Resource not found."
	DetailInvalidEventType = "invalid event type"
	DetailOneToOneSize     = "A one to one chat can only have 2 participants"
	DetailChatExists       = "Chat already exists"
	DetailGroupFull        = "Maximum number of group participants exceeded"
	DetailChannelFull      = "Maximum number of channel subscribers exceeded"
	DetailSameRoom         = "All messages marked for modification must come from the same room"
	DetailAskAdmin         = "Ask an admin to add you to the group"
	DetailLeaveOnlyGroups  = "You can only leave a channel/group chat"
	DetailNotCreator       = "User is not the creator of this room"
	DetailPermissionDenied = "You do not have permission to perform this action."
	DetailInternal         = "Internal server error."
	DetailUnavailable      = "Service temporarily unavailable, try again."
	DetailMalformedFrame   = "malformed frame: expected a JSON object"
	DetailBinaryFrame      = "binary frames are not supported: send JSON text frames"
	DetailRequestIDTooLong = "request_id must be at most 64 characters"
	// DetailTooManyConnections is the reason of the 4029 close of a
	// connection over the per-user cap.
	DetailTooManyConnections = "too many connections"
	// DetailTooManyEvents is the reason of the 1008 close of a connection
	// refused too often by the rate limits.
	DetailTooManyEvents = "too many events"
)
