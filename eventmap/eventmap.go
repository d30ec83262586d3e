// Package eventmap maps event names to their handlers: the default map of
// the protocol's events, and how an app adds or replaces an event.
package eventmap

import (
	"maps"

	"github.com/rtchat/rtchat/handler"
	"github.com/rtchat/rtchat/protocol"
)

// Map maps event_type to handler. Build it before the chat starts; it is
// read concurrently afterwards and must not be changed then.
type Map struct {
	m map[string]handler.Func
}

// New returns an empty map.
func New() *Map { return &Map{m: map[string]handler.Func{}} }

// Default returns a new map of the built-in events.
func Default() *Map {
	m := New()
	m.Set(protocol.EventMessageSend, handler.MessageSend)
	m.Set(protocol.EventMessageModify, handler.MessageModify)
	m.Set(protocol.EventMessageEdits, handler.MessageEdits)
	m.Set(protocol.EventMessageReact, handler.MessageReact)
	m.Set(protocol.EventMessageRead, handler.MessageRead)
	m.Set(protocol.EventMessageAcknowledged, handler.MessageAcknowledged)
	m.Set(protocol.EventMessageTyping, handler.MessageTyping)
	m.Set(protocol.EventRoomCreate, handler.RoomCreate)
	m.Set(protocol.EventRoomList, handler.RoomList)
	m.Set(protocol.EventRoomInfo, handler.RoomInfo)
	m.Set(protocol.EventRoomMessages, handler.RoomMessages)
	m.Set(protocol.EventRoomJoin, handler.RoomJoin)
	m.Set(protocol.EventRoomLeave, handler.RoomLeave)
	m.Set(protocol.EventRoomAddMembers, handler.RoomAddMembers)
	m.Set(protocol.EventRoomRemoveMembers, handler.RoomRemoveMembers)
	m.Set(protocol.EventRoomModify, handler.RoomModify)
	m.Set(protocol.EventSessionHeartbeat, handler.SessionHeartbeat)
	m.Set(protocol.EventPresenceQuery, handler.PresenceQuery)
	m.Set(protocol.EventMessagePin, handler.MessagePin)
	m.Set(protocol.EventMessageUnpin, handler.MessageUnpin)
	m.Set(protocol.EventMessageSearch, handler.MessageSearch)
	m.Set(protocol.EventRoomMute, handler.RoomMute)
	m.Set(protocol.EventRoomUnmute, handler.RoomUnmute)
	m.Set(protocol.EventRoomBan, handler.RoomBan)
	m.Set(protocol.EventRoomUnban, handler.RoomUnban)
	m.Set(protocol.EventRoomAudit, handler.RoomAudit)
	m.Set(protocol.EventThreadList, handler.ThreadList)
	return m
}

// Set adds the event or replaces its handler; a nil fn removes it.
func (m *Map) Set(event string, fn handler.Func) {
	if fn == nil {
		delete(m.m, event)
		return
	}
	m.m[event] = fn
}

// Lookup returns the handler of an event.
func (m *Map) Lookup(event string) (handler.Func, bool) {
	fn, ok := m.m[event]
	return fn, ok
}

// Events returns the event names in the map, in no particular order.
func (m *Map) Events() []string {
	out := make([]string, 0, len(m.m))
	for k := range m.m {
		out = append(out, k)
	}
	return out
}

// Clone returns a copy that can be changed without touching m.
func (m *Map) Clone() *Map { return &Map{m: maps.Clone(m.m)} }
