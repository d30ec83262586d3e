package rtchat

import (
	"github.com/rtchat/rtchat/eventmap"
	"github.com/rtchat/rtchat/protocol"
)

// WithSearch turns message search on or off (docs/protocol.md,
// "message.search"). On, message.search answers messagesearch.dispatch
// (serializer "SearchResults") with the messages of the caller's rooms
// that match a query. Off, message.search is not in the event map: clients
// are answered 4003 "invalid event type" (an app's own WithEvent of that
// name still applies). The index is kept either way (the migration's
// generated column on Postgres, the FTS5 table on SQLite), so turning
// search on later finds every message. Default on.
func WithSearch(on bool) Option { return func(c *config) { c.searchOff = !on } }

// applySearch removes message.search from the event map when search is
// off. It runs before the app's WithEvent overrides.
func (c *config) applySearch(events *eventmap.Map) {
	if c.searchOff {
		events.Set(protocol.EventMessageSearch, nil)
	}
}
