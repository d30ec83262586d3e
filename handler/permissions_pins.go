package handler

import (
	"context"

	"github.com/rtchat/rtchat/model"
)

// CanPin allows either participant of a 1:1 and the admins of a group or
// channel (its creator, admins and moderators) to pin and unpin messages.
// A non-member is refused (4002) before the room type is looked at.
func (Default) CanPin(_ context.Context, c Check) error {
	if c.Member == nil {
		return denied()
	}
	if c.Room.Type == model.TypeOneToOne || c.IsAdmin() {
		return nil
	}
	return denied()
}

// The system pins and unpins in any room.
func (systemPerms) CanPin(context.Context, Check) error { return nil }
