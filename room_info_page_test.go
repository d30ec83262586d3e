package rtchat_test

import (
	"strings"
	"testing"

	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/internal/dbtest"
	"github.com/rtchat/rtchat/protocol"
)

// wireRoomPage is room.info's answer with its paging fields.
type wireRoomPage struct {
	wireRoom
	MembersCount int    `json:"members_count"`
	MembersNext  *int64 `json:"members_next"`
}

// room.info of a small room lists every member, in the original's order;
// a big room's answer is a page of 100 by user id, and members_after walks
// the rest.
func TestRoomInfoPagesMembers(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		a := h.dial(t, 1)
		small := createRoom(t, a, map[string]any{"type": protocol.RoomGroup, "name": "small", "participants": []int64{9}})
		act(t, a, protocol.EventRoomAddMembers, map[string]any{"room_id": small.ID, "members": []int64{3}})
		got := decode[wireRoomPage](t, request(t, a, protocol.EventRoomInfo, map[string]any{"room_id": small.ID}))
		if ids := idsInOrder(got.Participants); got.MembersCount != 3 || got.MembersNext != nil || len(ids) != 3 || ids[0] != 1 || ids[1] != 9 || ids[2] != 3 {
			t.Fatalf("small room.info = %v count %d next %v, want 1, 9, 3 (joined order), count 3, no next", ids, got.MembersCount, got.MembersNext)
		}

		var others []int64
		for i := range 149 {
			others = append(others, int64(1000-i))
		}
		big := createRoom(t, a, map[string]any{"type": protocol.RoomGroup, "name": "big", "participants": others, "extra_fields": map[string]any{"max_participants": 500}})
		seen := map[int64]bool{}
		var after any
		pages := 0
		for {
			data := map[string]any{"room_id": big.ID}
			if after != nil {
				data["members_after"] = after
			}
			p := decode[wireRoomPage](t, request(t, a, protocol.EventRoomInfo, data))
			pages++
			ids := idsInOrder(p.Participants)
			if p.MembersCount != 150 || len(ids) > 100 {
				t.Fatalf("page %d: %d members of count %d, want at most 100 of 150", pages, len(ids), p.MembersCount)
			}
			for i, id := range ids {
				if seen[id] || i > 0 && ids[i-1] >= id {
					t.Fatalf("page %d = %v: want ascending ids, each once", pages, ids)
				}
				seen[id] = true
			}
			if p.MembersNext == nil {
				break
			}
			if *p.MembersNext != ids[len(ids)-1] {
				t.Fatalf("members_next %d, want the page's last id %d", *p.MembersNext, ids[len(ids)-1])
			}
			after = *p.MembersNext
		}
		if pages != 2 || len(seen) != 150 {
			t.Fatalf("%d pages listed %d members, want 2 pages of all 150", pages, len(seen))
		}
		p := decode[wireRoomPage](t, request(t, a, protocol.EventRoomInfo, map[string]any{"room_id": small.ID, "members_limit": 2}))
		if ids := idsInOrder(p.Participants); len(ids) != 2 || ids[0] != 1 || ids[1] != 3 || p.MembersNext == nil || *p.MembersNext != 3 {
			t.Fatalf("members_limit 2 = %v next %v, want 1, 3 and next 3", ids, p.MembersNext)
		}
		for _, bad := range []map[string]any{{"members_limit": 0}, {"members_limit": 1001}, {"members_after": -1}, {"members_limit": "x"}} {
			bad["room_id"] = big.ID
			wantCode(t, requestErr(t, a, protocol.EventRoomInfo, bad), protocol.CodeInvalid)
		}
	})
}

// The member limits are validated by New, which names the option.
func TestMemberLimitOptionsFailNew(t *testing.T) {
	db := dbtest.Open(t, "sqlite")
	for _, tc := range []struct {
		opt  rtchat.Option
		name string
	}{
		{rtchat.WithMaxMembersPerRequest(0), "WithMaxMembersPerRequest"},
		{rtchat.WithMaxMembersPerRequest(100_001), "WithMaxMembersPerRequest"},
		{rtchat.WithMaxRoomSize(1), "WithMaxRoomSize"},
		{rtchat.WithMaxRoomSize(100_001), "WithMaxRoomSize"},
	} {
		if _, err := rtchat.New(db, tc.opt); err == nil || !strings.Contains(err.Error(), tc.name) {
			t.Errorf("New with a bad %s = %v, want an error naming it", tc.name, err)
		}
	}
}

// idsInOrder returns the ids of wire users in their order.
func idsInOrder(us []wireUser) []int64 {
	ids := make([]int64, len(us))
	for i, u := range us {
		ids[i] = u.ID
	}
	return ids
}
