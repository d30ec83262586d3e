package model

import "context"

// RoomSeq is a room id with the room's last_seq.
type RoomSeq struct {
	RoomID  string `bun:"room_id"`
	LastSeq int64  `bun:"last_seq"`
}

// UserRoomSeqs returns the rooms a user belongs to, each with its last_seq,
// in one query: a connecting node's view of each room starts after that
// seq, so delivery in seq order knows where it begins.
func (s *Store) UserRoomSeqs(ctx context.Context, userID int64) ([]RoomSeq, error) {
	var out []RoomSeq
	err := s.db.NewSelect().Model((*Member)(nil)).
		ColumnExpr("m.room_id, r.last_seq").
		Join("JOIN rtchat_rooms AS r ON r.id = m.room_id").
		Where("m.user_id = ?", userID).
		Scan(ctx, &out)
	return out, mapErr(err)
}

// MessagesBetween returns up to limit visible messages of a room with
// afterSeq < seq < beforeSeq, oldest first, with their relations: what a
// node missed in a gap of seq-ordered delivery. Seqs missing from the result
// are deleted messages (a seq is committed only after every lower one).
func (s *Store) MessagesBetween(ctx context.Context, roomID string, afterSeq, beforeSeq int64, limit int) ([]*Message, error) {
	var msgs []*Message
	err := s.db.NewSelect().Model(&msgs).
		Where("msg.room_id = ?", roomID).
		Where("msg.seq > ? AND msg.seq < ?", afterSeq, beforeSeq).
		Where("msg.is_deleted = ?", false).
		Order("msg.seq ASC").
		Limit(int64(limit)).
		Scan(ctx)
	if err != nil {
		return nil, mapErr(err)
	}
	if err := s.attachMessages(ctx, s.db, msgs); err != nil {
		return nil, err
	}
	if err := s.LoadMessageRelations(ctx, msgs); err != nil {
		return nil, err
	}
	return msgs, nil
}
