package model

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
)

// PairKey returns the key that makes a 1:1 chat unique for a pair of users,
// whichever of them created it.
func PairKey(a, b int64) string {
	if a > b {
		a, b = b, a
	}
	return fmt.Sprintf("%d:%d", a, b)
}

// CreateRoom stores a room and its members in one transaction. A second 1:1
// for the same pair fails with ErrConflict.
func (s *Store) CreateRoom(ctx context.Context, room *Room, members []*Member) error {
	return s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(room).Exec(ctx); err != nil {
			return err
		}
		if len(members) > 0 {
			if _, err := s.newInsert(tx, "Member", &members).Exec(ctx); err != nil {
				return err
			}
		}
		return nil
	})
}

// Room returns a room by id.
func (s *Store) Room(ctx context.Context, id string) (*Room, error) {
	room := new(Room)
	err := s.db.NewSelect().Model(room).Where("r.id = ?", id).Scan(ctx)
	if err != nil {
		return nil, mapErr(err)
	}
	return room, nil
}

// Member returns the membership of user in room, or ErrNotFound when the user
// is not a member.
func (s *Store) Member(ctx context.Context, roomID string, userID int64) (*Member, error) {
	m := new(Member)
	err := s.db.NewSelect().Model(m).Where("m.room_id = ? AND m.user_id = ?", roomID, userID).Scan(ctx)
	if err != nil {
		return nil, mapErr(err)
	}
	return m, s.attachMember(ctx, m)
}

// roomAndMember is one row of RoomAndMember: the room, and the user's
// membership with every column prefixed m_ (all NULL for a non-member).
type roomAndMember struct {
	Room   `bun:",extend"`
	Member Member `bun:"embed:m_"`
}

// RoomAndMember returns a room and the user's membership of it, with one
// query; member is nil when the user is not a member. A missing room is
// ErrNotFound. It is the read of every send, so on Postgres it goes with
// numbered parameters (see prepared.go).
func (s *Store) RoomAndMember(ctx context.Context, roomID string, userID int64) (*Room, *Member, error) {
	row := new(roomAndMember)
	var err error
	if s.db.Dialect().Name() == dialect.PG {
		err = s.scanRoomAndMemberPG(ctx, row, roomID, userID)
	} else {
		err = s.db.NewSelect().Model(row).
			ColumnExpr(s.roomAndMemberColumns()).
			Join("LEFT JOIN rtchat_members AS m ON m.room_id = r.id AND m.user_id = ?", userID).
			Where("r.id = ?", roomID).
			Scan(ctx)
	}
	if err != nil {
		return nil, nil, mapErr(err)
	}
	if row.Member.RoomID == "" {
		return &row.Room, nil, nil
	}
	return &row.Room, &row.Member, s.attachMember(ctx, &row.Member)
}

func (s *Store) scanRoomAndMemberPG(ctx context.Context, row *roomAndMember, roomID string, userID int64) error {
	rows, err := s.query(ctx, "SELECT "+s.roomAndMemberColumns()+
		" FROM rtchat_rooms AS r LEFT JOIN rtchat_members AS m ON m.room_id = r.id AND m.user_id = $2 WHERE r.id = $1",
		roomID, userID)
	if err != nil {
		return err
	}
	if err := s.db.ScanRows(ctx, rows, row); err != nil {
		return err
	}
	if row.Room.ID == "" {
		return ErrNotFound
	}
	return nil
}

// roomAndMemberColumns lists every column of the room (r.) and of the
// membership (m., as m_<column>), named from the models so that a column
// added to either is read too, and never with * (a prepared statement's
// columns must not change under it).
func (s *Store) roomAndMemberColumns() string {
	s.colsOnce.Do(func() {
		var cols []string
		for _, f := range s.db.Table(reflect.TypeFor[Room]()).Fields {
			cols = append(cols, "r."+f.Name)
		}
		for _, f := range s.db.Table(reflect.TypeFor[Member]()).Fields {
			cols = append(cols, "m."+f.Name+" AS m_"+f.Name)
		}
		s.cols = strings.Join(cols, ", ")
	})
	return s.cols
}

// Members returns the members of a room, oldest first.
func (s *Store) Members(ctx context.Context, roomID string) ([]*Member, error) {
	return s.members(ctx, s.db, roomID)
}

// UserRoomIDs returns the ids of the rooms a user belongs to.
func (s *Store) UserRoomIDs(ctx context.Context, userID int64) ([]string, error) {
	var ids []string
	err := s.db.NewSelect().Model((*Member)(nil)).Column("room_id").Where("m.user_id = ?", userID).Scan(ctx, &ids)
	return ids, mapErr(err)
}

// RoomListEntry is one row of a user's room list: the room, the user's
// membership and the room's last visible message (nil if none).
type RoomListEntry struct {
	Room        *Room
	Member      *Member
	LastMessage *Message
	// Peer is the other participant of a 1:1 chat, 0 otherwise.
	Peer int64
}

// ListRooms returns the rooms of a user, latest activity first, each with
// its last message, in a fixed number of queries whatever the number of
// rooms.
func (s *Store) ListRooms(ctx context.Context, userID int64) ([]RoomListEntry, error) {
	var members []*Member
	if err := s.db.NewSelect().Model(&members).Where("m.user_id = ?", userID).Scan(ctx); err != nil {
		return nil, mapErr(err)
	}
	if err := s.attachMembers(ctx, s.db, members); err != nil {
		return nil, err
	}
	if len(members) == 0 {
		return []RoomListEntry{}, nil
	}
	ids := make([]string, len(members))
	byRoom := make(map[string]*Member, len(members))
	for i, m := range members {
		ids[i] = m.RoomID
		byRoom[m.RoomID] = m
	}
	var rooms []*Room
	if err := s.db.NewSelect().Model(&rooms).Where("r.id IN (?)", bun.In(ids)).
		Order("r.last_activity_at DESC", "r.id ASC").Scan(ctx); err != nil {
		return nil, mapErr(err)
	}
	var last []*Message
	err := s.db.NewSelect().Model(&last).
		Join(`JOIN (SELECT room_id, MAX(seq) AS seq FROM rtchat_messages
			WHERE room_id IN (?) AND is_deleted = ? GROUP BY room_id) AS l
			ON l.room_id = msg.room_id AND l.seq = msg.seq`, bun.In(ids), false).
		Scan(ctx)
	if err != nil {
		return nil, mapErr(err)
	}
	if err := s.attachMessages(ctx, s.db, last); err != nil {
		return nil, err
	}
	if err := s.LoadMessageRelations(ctx, last); err != nil {
		return nil, err
	}
	lastByRoom := make(map[string]*Message, len(last))
	for _, m := range last {
		lastByRoom[m.RoomID] = m
	}
	peers, err := s.oneToOnePeers(ctx, rooms, userID)
	if err != nil {
		return nil, err
	}
	out := make([]RoomListEntry, len(rooms))
	for i, r := range rooms {
		out[i] = RoomListEntry{Room: r, Member: byRoom[r.ID], LastMessage: lastByRoom[r.ID], Peer: peers[r.ID]}
	}
	return out, nil
}

// oneToOnePeers returns, for each 1:1 room among rooms, the other participant.
func (s *Store) oneToOnePeers(ctx context.Context, rooms []*Room, userID int64) (map[string]int64, error) {
	var ids []string
	for _, r := range rooms {
		if r.Type == TypeOneToOne {
			ids = append(ids, r.ID)
		}
	}
	peers := make(map[string]int64, len(ids))
	if len(ids) == 0 {
		return peers, nil
	}
	var ms []*Member
	err := s.db.NewSelect().Model(&ms).Where("m.room_id IN (?) AND m.user_id <> ?", bun.In(ids), userID).Scan(ctx)
	if err != nil {
		return nil, mapErr(err)
	}
	for _, m := range ms {
		peers[m.RoomID] = m.UserID
	}
	return peers, nil
}

// NewMember returns a member row for user in room with the given role,
// joined now.
func NewMember(roomID string, userID int64, role string, now time.Time) *Member {
	return &Member{RoomID: roomID, UserID: userID, Role: role, JoinedAt: now}
}
