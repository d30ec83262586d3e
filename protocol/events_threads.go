package protocol

// Threads (issue 14): replies gathered under a root message of the room.
const (
	// EventThreadList lists a room's threads with the caller's unread
	// counts.
	EventThreadList = "thread.list"
	// DispatchThreadList answers thread.list.
	DispatchThreadList = "threadlist.dispatch"
)
