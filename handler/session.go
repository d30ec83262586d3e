package handler

import (
	"context"

	"github.com/rtchat/rtchat/model"
	"github.com/rtchat/rtchat/protocol"
	"github.com/rtchat/rtchat/serializer"
)

// DoneData returns the done.dispatch data for event from the Done
// serializer: the answer to a request that succeeded without a frame for
// the requester.
func DoneData(ctx context.Context, env *Env, event string) (any, error) {
	return env.Serializers.Serialize(ctx, serializer.NameDone, serializer.DoneInput{EventType: event}, nil)
}

// SessionHeartbeat handles session.heartbeat: it moves the session's
// last_seen forward and answers {"status":"success"} to the caller.
func SessionHeartbeat(ctx context.Context, r *Request) error {
	if err := r.Env.Store.TouchSession(ctx, r.ConnID, model.Now()); err != nil {
		return err
	}
	frame, err := protocol.EncodeStatus(protocol.DispatchHeartbeat, "success", r.RequestID)
	if err != nil {
		return err
	}
	return r.Out.ReplyFrame(frame)
}

// PendingNotifications returns the chat.notifications payload for a user who
// just connected, from the Notifications serializer: by default their
// pending notifications grouped by room id ({} when none).
func PendingNotifications(ctx context.Context, env *Env, userID int64) (any, error) {
	ns, err := env.Store.PendingNotifications(ctx, userID)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for _, n := range ns {
		ids = append(ids, n.Message.UserIDs()...)
	}
	us, err := serializer.Resolve(ctx, env.Users, ids)
	if err != nil {
		return nil, err
	}
	out := make(serializer.NotificationsInput)
	for _, n := range ns {
		v, err := env.Serializers.Serialize(ctx, serializer.NameNotification, n, us)
		if err != nil {
			return nil, err
		}
		out[n.RoomID] = append(out[n.RoomID], v)
	}
	return env.Serializers.Serialize(ctx, serializer.NameNotifications, out, us)
}
