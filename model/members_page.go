package model

import "context"

// CountMembers counts the members of a room.
func (s *Store) CountMembers(ctx context.Context, roomID string) (int, error) {
	n, err := s.db.NewSelect().Model((*Member)(nil)).Where("m.room_id = ?", roomID).Count(ctx)
	return int(n), mapErr(err)
}

// MembersPage returns up to limit members of a room whose user id is above
// after, by user id: a keyset page of a big room's member list (the primary
// key (room_id, user_id) serves it).
func (s *Store) MembersPage(ctx context.Context, roomID string, after int64, limit int) ([]*Member, error) {
	ms := []*Member{}
	err := s.db.NewSelect().Model(&ms).
		Where("m.room_id = ? AND m.user_id > ?", roomID, after).
		Order("m.user_id ASC").Limit(int64(limit)).
		Scan(ctx)
	if err != nil {
		return ms, mapErr(err)
	}
	return ms, s.attachMembers(ctx, s.db, ms)
}
