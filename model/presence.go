package model

import (
	"context"

	"github.com/uptrace/bun"
)

// CoMembers returns, once each, the users who share at least one room with
// userID, userID excluded.
func (s *Store) CoMembers(ctx context.Context, userID int64) ([]int64, error) {
	var ids []int64
	err := s.db.NewSelect().Model((*Member)(nil)).
		Distinct().Column("m.user_id").
		Join("JOIN rtchat_members AS mine ON mine.room_id = m.room_id").
		Where("mine.user_id = ? AND m.user_id <> ?", userID, userID).
		Order("m.user_id").
		Scan(ctx, &ids)
	return ids, mapErr(err)
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
