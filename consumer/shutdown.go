package consumer

import (
	"context"
	"sync"

	"github.com/rtchat/rtchat/handler"
	"github.com/rtchat/rtchat/model"
)

// shutdown collects, while Close runs, what each ending connection leaves to
// do, so that Close does it in one batch once the connections have ended:
// one commit marks every session row and one query finds the recipients of
// every offline announcement, instead of one of each per connection.
type shutdown struct {
	mu      sync.Mutex // guards done, ends and offline
	done    bool       // the batch has been taken: a connection ending later does its own work
	ends    []model.SessionEnd
	offline []handler.PresenceUser
}

// addEnd queues a session row to mark; false means the batch is gone and
// the caller marks it itself.
func (s *shutdown) addEnd(e model.SessionEnd) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.done {
		s.ends = append(s.ends, e)
	}
	return !s.done
}

// addOffline queues an offline announcement, likewise.
func (s *shutdown) addOffline(p handler.PresenceUser) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.done {
		s.offline = append(s.offline, p)
	}
	return !s.done
}

// take returns the batch and makes later connections do their own work.
func (s *shutdown) take() ([]model.SessionEnd, []handler.PresenceUser) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.done = true
	ends, offline := s.ends, s.offline
	s.ends, s.offline = nil, nil
	return ends, offline
}

// finishShutdown writes the batch: the session rows first, then the offline
// announcements, together with the presence changes still waiting for
// their interval. Every connection has ended by now, so a user's offline
// here is later than any pending change of theirs and replaces it.
func (cs *Consumer) finishShutdown(ctx context.Context) {
	ends, offline := cs.shutdown.take()
	if err := cs.cfg.Env.Store.EndSessions(ctx, ends, model.Now()); err != nil {
		cs.log.Error("rtchat: end sessions on shutdown", "err", err, "sessions", len(ends))
	}
	cs.presence.flushMu.Lock()
	defer cs.presence.flushMu.Unlock()
	pending := cs.presence.take(true)
	gone := make(map[int64]bool, len(offline))
	for _, p := range offline {
		gone[p.UserID] = true
	}
	for _, p := range pending {
		if !gone[p.UserID] {
			offline = append(offline, p)
		}
	}
	if len(offline) > 0 {
		cs.announce(ctx, offline...)
	}
}
