package model_test

import (
	"testing"

	"github.com/rtchat/rtchat/internal/dbtest"
	"github.com/rtchat/rtchat/model"
	"github.com/uptrace/bun"
)

func TestUserRoomSeqsAndMessagesBetween(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		st := newStore(t, db)
		ctx := t.Context()
		group := createRoom(t, st, model.TypeGroup, base, 1, 2)
		channel := createRoom(t, st, model.TypeChannel, base, 1)
		var msgs []*model.Message
		for range 5 {
			msgs = append(msgs, send(t, st, group.ID, 2, base))
		}
		// A deleted message leaves a hole that the gap read skips.
		if err := st.DeleteMessages(ctx, []string{msgs[2].ID}, false, base); err != nil {
			t.Fatal(err)
		}

		got, err := st.UserRoomSeqs(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int64{group.ID: 5, channel.ID: 0}
		if len(got) != len(want) {
			t.Fatalf("UserRoomSeqs(1) = %+v, want %v", got, want)
		}
		for _, rs := range got {
			if seq, ok := want[rs.RoomID]; !ok || seq != rs.LastSeq {
				t.Errorf("UserRoomSeqs(1) has %+v, want %v", rs, want)
			}
		}
		if got, err := st.UserRoomSeqs(ctx, 99); err != nil || len(got) != 0 {
			t.Errorf("UserRoomSeqs(no rooms) = %v, %v; want none", got, err)
		}

		between, err := st.MessagesBetween(ctx, group.ID, 1, 5, 10)
		if err != nil {
			t.Fatal(err)
		}
		var seqs []int64
		for _, m := range between {
			seqs = append(seqs, m.Seq)
			if m.Reactions == nil || m.Attachments == nil {
				t.Errorf("message %d came without its relations", m.Seq)
			}
		}
		if len(seqs) != 2 || seqs[0] != 2 || seqs[1] != 4 {
			t.Errorf("MessagesBetween(1, 5) seqs = %v, want [2 4]", seqs)
		}
		if between, err := st.MessagesBetween(ctx, group.ID, 0, 6, 2); err != nil || len(between) != 2 || between[1].Seq != 2 {
			t.Errorf("MessagesBetween(0, 6, limit 2) = %d messages, %v; want seqs 1 2", len(between), err)
		}
	})
}
