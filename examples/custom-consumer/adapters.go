package main

import (
	"context"
	"time"

	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/consumer"
	"github.com/rtchat/rtchat/handler"
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
func pinEvent(ctx context.Context, r *handler.Request) error {
	var in pinData
	if err := r.Decode(&in); err != nil {
		return err
	}
	roomID, pinned, err := PinMessage(ctx, r.Env.Store, r.Env.Perms, r.UserID, in.MessageID)
	if err != nil {
		return err
	}
	return r.Out.Room(ctx, roomID, DispatchPinned, pinned)
}

// flagEvent serves message.flag: message.flagged to the caller,
// moderation.alert to the room's other admins.
func flagEvent(ctx context.Context, r *handler.Request) error {
	var in flagData
	if err := r.Decode(&in); err != nil {
		return err
	}
	flagged, alert, admins, err := FlagMessage(ctx, r.Env.Store, r.Env.Perms, r.UserID, in.MessageID, in.Reason)
	if err != nil {
		return err
	}
	if err := r.Out.Reply(DispatchFlagged, flagged); err != nil {
		return err
	}
	if len(admins) == 0 {
		return nil
	}
	return r.Out.User(ctx, DispatchAlert, alert, admins...)
}

// analyticsEvent serves message.analytics: the counts to the caller.
func analyticsEvent(ctx context.Context, r *handler.Request) error {
	var in analyticsData
	if err := r.Decode(&in); err != nil {
		return err
	}
	out, err := RoomAnalytics(ctx, r.Env.Store, r.Env.Perms, r.UserID, in.RoomID, in.Timeframe, time.Now())
	if err != nil {
		return err
	}
	return r.Out.Reply(EventAnalytics, out)
}

// hooks records the sessions and limits each connection's sends.
func hooks(sessions *Sessions, limiter *SendLimiter) rtchat.Hooks {
	return rtchat.Hooks{
		OnConnect: func(_ context.Context, c *consumer.Conn) {
			sessions.Start(c.ID(), c.UserID(), time.Now())
		},
		OnDisconnect: func(_ context.Context, c *consumer.Conn) {
			sessions.End(c.ID(), c.UserID(), time.Now())
			limiter.Forget(c.ID())
		},
		AroundEvent: func(ctx context.Context, c *consumer.Conn, event string, next func(context.Context) error) error {
			if event == protocol.EventMessageSend {
				if err := limiter.Allow(c.ID(), time.Now()); err != nil {
					return err
				}
			}
			return next(ctx)
		},
	}
}
