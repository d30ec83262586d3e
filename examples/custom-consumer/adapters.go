package main

import (
	"context"
	"time"

	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/protocol"
)

// The adapters between rtchat's event and hook signatures and the app's
// logic (moderation.go, ratelimit.go, sessions.go), which knows nothing of
// them: each decodes, calls the logic, and sends what it returns.

type pinData struct {
	MessageID string `json:"message_id" validate:"required,uuid"`
}

type flagData struct {
	MessageID string `json:"message_id" validate:"required,uuid"`
	Reason    string `json:"reason" validate:"max=500"`
}

type analyticsData struct {
	RoomID    string `json:"room_id" validate:"required,uuid"`
	Timeframe string `json:"timeframe" validate:"required"`
}

// pinEvent serves message.pin: message.pinned to the room.
func pinEvent(ctx context.Context, r *rtchat.EventRequest) error {
	var in pinData
	if err := r.Decode(&in); err != nil {
		return err
	}
	roomID, pinned, err := PinMessage(ctx, r.Store(), r.Permissions(), r.UserID, in.MessageID)
	if err != nil {
		return err
	}
	return r.SendToRoom(ctx, roomID, DispatchPinned, pinned)
}

// flagEvent serves message.flag: message.flagged to the caller,
// moderation.alert to the room's other admins.
func flagEvent(ctx context.Context, r *rtchat.EventRequest) error {
	var in flagData
	if err := r.Decode(&in); err != nil {
		return err
	}
	flagged, alert, admins, err := FlagMessage(ctx, r.Store(), r.Permissions(), r.UserID, in.MessageID, in.Reason)
	if err != nil {
		return err
	}
	if err := r.Reply(DispatchFlagged, flagged); err != nil {
		return err
	}
	if len(admins) == 0 {
		return nil
	}
	return r.SendToUsers(ctx, DispatchAlert, alert, admins...)
}

// analyticsEvent serves message.analytics: the counts to the caller.
func analyticsEvent(ctx context.Context, r *rtchat.EventRequest) error {
	var in analyticsData
	if err := r.Decode(&in); err != nil {
		return err
	}
	out, err := RoomAnalytics(ctx, r.Store(), r.Permissions(), r.UserID, in.RoomID, in.Timeframe, time.Now())
	if err != nil {
		return err
	}
	return r.Reply(EventAnalytics, out)
}

// hooks records the sessions and limits each connection's sends.
func hooks(sessions *Sessions, limiter *SendLimiter) rtchat.Hooks {
	return rtchat.Hooks{
		OnConnect: func(_ context.Context, e rtchat.ConnectEvent) error {
			sessions.Start(e.Conn.ID, e.Conn.UserID, e.Conn.ConnectedAt)
			return nil
		},
		OnDisconnect: func(_ context.Context, e rtchat.DisconnectEvent) {
			sessions.End(e.Conn.ID, e.Conn.UserID, e.Conn.ConnectedAt.Add(e.Duration))
			limiter.Forget(e.Conn.ID)
		},
		AroundEvent: func(ctx context.Context, e rtchat.Event, next func(context.Context) error) error {
			if e.Name == protocol.EventMessageSend {
				if err := limiter.Allow(e.Conn.ID, time.Now()); err != nil {
					return err
				}
			}
			return next(ctx)
		},
	}
}
