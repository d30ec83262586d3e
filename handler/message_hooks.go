package handler

import (
	"context"

	"github.com/rtchat/rtchat/model"
)

// MessageHooks are the app's callbacks around message.send (rtchat.Hooks'
// BeforeMessage and AfterMessage fill them). Both are optional. They run
// for every message.send request, a client's or one sent from Go.
type MessageHooks struct {
	// Before runs once the frame is decoded and its content checked, before
	// the send permission is checked and the message stored. It may change
	// d.Content, which is then sanitised and checked again as the client's
	// was, or return an error to refuse the message (nothing is stored).
	Before func(ctx context.Context, d *Draft) error
	// After runs once the message is stored and published (m has its
	// seq).
	After func(ctx context.Context, d Draft, m *model.Message)
}

// Draft is a message being sent, as MessageHooks see it.
type Draft struct {
	// UserID is the sender (0: the system).
	UserID int64
	// ConnID is the sender's connection ("" when sent from Go).
	ConnID string
	// RoomID is the room the message is sent to.
	RoomID string
	// Content is the sanitised content.
	Content string
}

// beforeMessage runs the Before hook on content (already checked by
// cleanContent) and checks what it returns again.
func beforeMessage(ctx context.Context, r *Request, roomID, content string, mayBeEmpty bool) (string, error) {
	h := r.Env.MessageHooks.Before
	if h == nil {
		return content, nil
	}
	d := &Draft{UserID: r.UserID, ConnID: r.ConnID, RoomID: roomID, Content: content}
	if err := h(ctx, d); err != nil {
		return "", err
	}
	if d.Content == content {
		return content, nil
	}
	return cleanContent(r, d.Content, mayBeEmpty)
}

// afterMessage runs the After hook on a stored message.
func afterMessage(ctx context.Context, r *Request, m *model.Message) {
	if h := r.Env.MessageHooks.After; h != nil {
		h(ctx, Draft{UserID: r.UserID, ConnID: r.ConnID, RoomID: m.RoomID, Content: m.Content}, m)
	}
}
