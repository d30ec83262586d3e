package handler

import (
	"context"

	"github.com/rtchat/rtchat/model"
)

// DefaultMembersPage is the page size of room.info's member lists when the
// request gives no members_limit, and the largest room whose members an
// unpaged room.info lists all, in the original's order.
const DefaultMembersPage = 100

// roomInfoData is room.info's input.
type roomInfoData struct {
	RoomID string `json:"room_id" validate:"required,uuid"`
	// MembersLimit is how many members one answer lists (1 to 1000).
	MembersLimit *int `json:"members_limit" validate:"omitempty,min=1,max=1000"`
	// MembersAfter is the members_next of the previous page: members with a
	// higher user id follow.
	MembersAfter *int64 `json:"members_after" validate:"omitempty,gt=0"`
}

// membersPage is one page of a room's members.
type membersPage struct {
	members []*model.Member
	count   int
	// next is the members_after of the next page, nil on the last.
	next *int64
}

// roomInfoPage reads the page of members a room.info asks for. Without
// members_limit and members_after a room of up to DefaultMembersPage
// members is read whole, oldest first (the original shape); every other
// answer is a keyset page by user id, so no request reads more than 1000
// members however big the room.
func roomInfoPage(ctx context.Context, r *Request, roomID string, in roomInfoData) (membersPage, error) {
	count, err := r.Env.Store.CountMembers(ctx, roomID)
	if err != nil {
		return membersPage{}, err
	}
	if in.MembersLimit == nil && in.MembersAfter == nil && count <= DefaultMembersPage {
		ms, err := r.Env.Store.Members(ctx, roomID)
		// A member may join between the count and the read: count what
		// was read, so the answer agrees with itself.
		return membersPage{members: ms, count: len(ms)}, err
	}
	limit := DefaultMembersPage
	if in.MembersLimit != nil {
		limit = *in.MembersLimit
	}
	var after int64
	if in.MembersAfter != nil {
		after = *in.MembersAfter
	}
	ms, err := r.Env.Store.MembersPage(ctx, roomID, after, limit+1)
	if err != nil {
		return membersPage{}, err
	}
	page := membersPage{members: ms, count: count}
	if len(ms) > limit {
		page.members = ms[:limit]
		next := ms[limit-1].UserID
		page.next = &next
	}
	return page, nil
}
