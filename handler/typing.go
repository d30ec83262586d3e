package handler

import (
	"context"
	"sync"
	"time"

	"github.com/rtchat/rtchat/model"
	"github.com/rtchat/rtchat/protocol"
	"github.com/rtchat/rtchat/serializer"
)

type typingData struct {
	RoomID string `json:"room_id" validate:"required,uuid"`
	Typing *bool  `json:"typing"`
}

// MessageTyping handles message.typing: messagetyping.dispatch {username,
// user_id, room_id, typing} to the room, for users who may send there. A
// user's repeated typing signals in one room are broadcast at most once per
// throttle period; a change of state (started, stopped) always goes out.
func MessageTyping(ctx context.Context, r *Request) error {
	var in typingData
	if err := r.Decode(&in); err != nil {
		return err
	}
	typing := in.Typing == nil || *in.Typing
	chk, err := roomCheck(ctx, r, in.RoomID, protocol.EventMessageTyping)
	if err != nil {
		return err
	}
	if err := r.perms().CanSend(ctx, chk); err != nil {
		return err
	}
	// Typing stores nothing: the mute is read from the database, so a mute
	// taken on any node holds here.
	if err := r.Env.Store.NotMuted(ctx, r.Env.Store.DB(), chk.Room.ID, r.UserID, model.Now()); err != nil {
		return err
	}
	if !r.Env.typing.allow(r.UserID, chk.Room.ID, typing, r.Env.Settings.TypingThrottle, time.Now()) {
		return nil
	}
	out, err := r.Env.Serialize(ctx, serializer.NameTyping, serializer.TypingInput{RoomID: chk.Room.ID, UserID: r.UserID, Typing: typing}, []int64{r.UserID})
	if err != nil {
		return err
	}
	return r.Out.Room(ctx, chk.Room.ID, protocol.DispatchTyping, out)
}

type typingKey struct {
	user int64
	room string
}

type typingState struct {
	typing bool
	at     time.Time
}

// typingThrottle remembers each user's last typing broadcast per room.
type typingThrottle struct {
	mu   sync.Mutex // guards last
	last map[typingKey]typingState
}

// allow reports whether a typing signal should be broadcast now, and
// records it if so.
func (t *typingThrottle) allow(user int64, room string, typing bool, every time.Duration, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.last == nil {
		t.last = map[typingKey]typingState{}
	}
	k := typingKey{user, room}
	if prev, ok := t.last[k]; ok && prev.typing == typing && now.Sub(prev.at) < every {
		return false
	}
	if len(t.last) >= 10_000 {
		// Forget entries whose period is over, so the map does not grow
		// with every user and room ever seen.
		for key, st := range t.last {
			if now.Sub(st.at) >= every {
				delete(t.last, key)
			}
		}
	}
	t.last[k] = typingState{typing: typing, at: now}
	return true
}
