package model

import (
	"context"

	"github.com/uptrace/bun"
)

// CoMembers returns, for each of userIDs, the users not among userIDs who
// share at least one room with them (each once, in ascending order), in one
// query. Users with no such co-member are left out of the map.
func (s *Store) CoMembers(ctx context.Context, userIDs []int64) (map[int64][]int64, error) {
	out := make(map[int64][]int64, len(userIDs))
	if len(userIDs) == 0 {
		return out, nil
	}
	var pairs []struct {
		UserID int64 `bun:"user_id"`
		Member int64 `bun:"member"`
	}
	err := s.db.NewSelect().Model((*Member)(nil)).
		Distinct().ColumnExpr("mine.user_id AS user_id, m.user_id AS member").
		Join("JOIN rtchat_members AS mine ON mine.room_id = m.room_id").
		Where("mine.user_id IN (?) AND m.user_id NOT IN (?)", bun.In(userIDs), bun.In(userIDs)).
		OrderExpr("mine.user_id, m.user_id").
		Scan(ctx, &pairs)
	if err != nil {
		return nil, mapErr(err)
	}
	for _, p := range pairs {
		out[p.UserID] = append(out[p.UserID], p.Member)
	}
	return out, nil
}

// SharingRoom returns, once each, the users among userIDs who share at least
// one room with userID (userID itself when it belongs to any room).
func (s *Store) SharingRoom(ctx context.Context, userID int64, userIDs []int64) ([]int64, error) {
	if len(userIDs) == 0 {
		return []int64{}, nil
	}
	var ids []int64
	err := s.db.NewSelect().Model((*Member)(nil)).
		Distinct().Column("m.user_id").
		Join("JOIN rtchat_members AS mine ON mine.room_id = m.room_id").
		Where("mine.user_id = ? AND m.user_id IN (?)", userID, bun.In(userIDs)).
		Order("m.user_id").
		Scan(ctx, &ids)
	return ids, mapErr(err)
}
