package rtchat_test

import (
	"context"
	"errors"
	"testing"

	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/protocol"
)

var (
	errQuota    = errors.New("quota exceeded")
	errArchived = errors.New("room archived")
)

// archivedRooms refuses sends in rooms named "archive" with a plain error,
// which only an error handler turns into a useful code.
type archivedRooms struct{ rtchat.DefaultPermissions }

func (p archivedRooms) CanSend(ctx context.Context, c rtchat.PermissionCheck) error {
	if c.Room.Name == "archive" {
		return errArchived
	}
	return p.DefaultPermissions.CanSend(ctx, c)
}

// TestErrorHandlerMapsEveryError: WithErrorHandler maps the errors of hooks
// (AroundEvent, BeforeMessage, OnConnect) and permission rules; without it
// they are 4006 (OnConnect's 4002), and errors it returns nil for keep the
// default mapping.
func TestErrorHandlerMapsEveryError(t *testing.T) {
	hooks := rtchat.WithHooks(rtchat.Hooks{
		AroundEvent: func(ctx context.Context, e rtchat.Event, next func(context.Context) error) error {
			if e.Name == protocol.EventMessageTyping {
				return errQuota
			}
			return next(ctx)
		},
		BeforeMessage: func(_ context.Context, e *rtchat.MessageEvent) error {
			if e.Content == "spam" {
				return errQuota
			}
			return nil
		},
		OnConnect: func(_ context.Context, e rtchat.ConnectEvent) error {
			if e.Conn.UserID == 9 {
				return errQuota
			}
			return nil
		},
	})
	mapper := rtchat.WithErrorHandler(func(err error) *rtchat.Error {
		switch {
		case errors.Is(err, errQuota):
			return &rtchat.Error{Code: protocol.CodeRateLimited, Detail: "Quota exceeded."}
		case errors.Is(err, errArchived):
			return &rtchat.Error{Code: protocol.CodePermissionDenied, Detail: "This room is archived."}
		}
		return nil
	})
	for _, mapped := range []bool{false, true} {
		opts := []rtchat.Option{hooks, rtchat.WithPermissionHandler(archivedRooms{})}
		name := "default mapping"
		if mapped {
			opts, name = append(opts, mapper), "error handler"
		}
		t.Run(name, func(t *testing.T) {
			eachDB(t, func(t *testing.T, h *harness) {
				a := h.dial(t, 1)
				room := createRoom(t, a, map[string]any{"type": protocol.RoomGroup, "name": "archive", "participants": []int64{2}})
				live := createRoom(t, a, map[string]any{"type": protocol.RoomGroup, "name": "live", "participants": []int64{2}})
				quota, archived := protocol.CodeInternal, protocol.CodeInternal
				if mapped {
					quota, archived = protocol.CodeRateLimited, protocol.CodePermissionDenied
				}
				wantCode(t, refuse(t, a, protocol.EventMessageTyping, roomData(live.ID, "typing", true)), quota)
				wantCode(t, refuse(t, a, protocol.EventMessageSend, roomData(live.ID, "content", "spam")), quota)
				wantCode(t, refuse(t, a, protocol.EventMessageSend, roomData(room.ID, "content", "hi")), archived)
				// nil from the handler: the default mapping.
				wantCode(t, refuse(t, a, protocol.EventRoomInfo, roomData("00000000-0000-0000-0000-000000000000")), protocol.CodeNotFound)
				if mapped {
					wantError(t, refuse(t, a, protocol.EventMessageSend, roomData(room.ID, "content", "hi")), protocol.CodePermissionDenied, "This room is archived.")
				}
				code, reason := dialClosed(t, h, 9)
				switch {
				case mapped && (code != protocol.CodeRateLimited || reason != "Quota exceeded."):
					t.Fatalf("OnConnect refused with %d %q, want the handler's 4029", code, reason)
				case !mapped && code != protocol.CodePermissionDenied:
					t.Fatalf("OnConnect refused with %d %q, want 4002", code, reason)
				}
			}, opts...)
		})
	}
}
