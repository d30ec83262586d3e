package model

import (
	"context"

	"github.com/uptrace/bun"
)

// CoMembers returns, for each of userIDs, the users not among userIDs who
// share at least one room with them (each once, in ascending order), in one
// query. Users with no such co-member are left out of the map.
func (s *Store) CoMembers(ctx context.Context, userIDs []int64) (map[int64][]int64, error) {
	return s.PresenceAudience(ctx, userIDs, userIDs, 0)
}

// PresenceAudience returns, for each of userIDs, who is told of its
// presence changes: the other members of its rooms of at most maxRoomSize
// members (any size when maxRoomSize is 0), leaving out the user itself and
// the users in silent; each once, in ascending order, in one query. Users
// with no audience are left out of the map.
//
// Room sizes are counted in the query, for the changed users' rooms only,
// so a big room's members are never loaded just to be dropped: its members
// ask with presence.query instead.
func (s *Store) PresenceAudience(ctx context.Context, userIDs, silent []int64, maxRoomSize int) (map[int64][]int64, error) {
	out := make(map[int64][]int64, len(userIDs))
	if len(userIDs) == 0 {
		return out, nil
	}
	var pairs []struct {
		UserID int64 `bun:"user_id"`
		Member int64 `bun:"member"`
	}
	q := s.db.NewSelect().Model((*Member)(nil)).
		Distinct().ColumnExpr("mine.user_id AS user_id, m.user_id AS member").
		Join("JOIN rtchat_members AS mine ON mine.room_id = m.room_id").
		Where("mine.user_id IN (?)", bun.In(userIDs)).
		Where("m.user_id <> mine.user_id")
	if len(silent) > 0 {
		q = q.Where("m.user_id NOT IN (?)", bun.In(silent))
	}
	if maxRoomSize > 0 {
		q = q.Where("mine.room_id IN (SELECT n.room_id FROM rtchat_members AS n"+
			" WHERE n.room_id IN (SELECT u.room_id FROM rtchat_members AS u WHERE u.user_id IN (?))"+
			" GROUP BY n.room_id HAVING COUNT(*) <= ?)", bun.In(userIDs), maxRoomSize)
	}
	err := q.OrderExpr("mine.user_id, m.user_id").Scan(ctx, &pairs)
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
