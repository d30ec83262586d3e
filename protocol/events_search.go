package protocol

// Message search (issue 14; rtchat.WithSearch).
const (
	// EventMessageSearch searches the messages of the caller's rooms.
	EventMessageSearch = "message.search"
	// DispatchMessageSearch answers message.search to the caller.
	DispatchMessageSearch = "messagesearch.dispatch"
)
