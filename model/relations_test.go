package model_test

import (
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/rtchat/rtchat/internal/dbtest"
	"github.com/rtchat/rtchat/model"
	"github.com/uptrace/bun"
)

// TestLoadOwnRelationsOfTwoCopies: the one query that loads attachments,
// reactions, receipts and deliveries fills every value of a message passed
// twice (pending notifications can hold a message twice: as a new message
// and as the one a reaction is about), each kind in its order.
func TestLoadOwnRelationsOfTwoCopies(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		st := newStore(t, db)
		ctx := t.Context()
		r := createRoom(t, st, model.TypeGroup, base, 1, 2, 3)
		m := send(t, st, r.ID, 1, base)
		rows := []any{
			&model.Reaction{ID: uuid.NewString(), MessageID: m.ID, UserID: 3, ReactionContent: "b", CreatedAt: base.Add(2 * time.Millisecond)},
			&model.Reaction{ID: uuid.NewString(), MessageID: m.ID, UserID: 2, ReactionContent: "a", CreatedAt: base.Add(time.Millisecond)},
			&model.ReadReceipt{ID: uuid.NewString(), MessageID: m.ID, ReaderID: 2, ReadAt: base},
			&model.Delivery{MessageID: m.ID, UserID: 3, DeliveredAt: base},
			&model.Delivery{MessageID: m.ID, UserID: 2, DeliveredAt: base},
		}
		for _, row := range rows {
			if _, err := db.NewInsert().Model(row).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		a, b := *m, *m
		if err := st.LoadOwnRelations(ctx, []*model.Message{&a, &b}); err != nil {
			t.Fatal(err)
		}
		for _, c := range []*model.Message{&a, &b} {
			if len(c.Reactions) != 2 || c.Reactions[0].ReactionContent != "a" || c.Reactions[1].ReactionContent != "b" ||
				!c.Reactions[0].CreatedAt.Equal(base.Add(time.Millisecond)) {
				t.Fatalf("reactions = %+v, want a then b", c.Reactions)
			}
			if len(c.ReadReceipts) != 1 || c.ReadReceipts[0].ReaderID != 2 || !c.ReadReceipts[0].ReadAt.Equal(base) {
				t.Fatalf("receipts = %+v", c.ReadReceipts)
			}
			if !slices.Equal(c.DeliveredTo, []int64{2, 3}) || len(c.Attachments) != 0 {
				t.Fatalf("delivered to %v, attachments %v", c.DeliveredTo, c.Attachments)
			}
		}
	})
}
