package model

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
)

// StartSession records a new connection.
func (s *Store) StartSession(ctx context.Context, sess *Session) error {
	_, err := s.newInsert(s.db, "Session", sess).Exec(ctx)
	return mapErr(err)
}

// TouchSession moves a session's last_seen forward to at; it never moves it
// back, so writers with slightly different clocks or timings do not undo
// each other.
func (s *Store) TouchSession(ctx context.Context, id string, at time.Time) error {
	_, err := s.db.NewUpdate().Model((*Session)(nil)).Set("last_seen = ?", at).
		Where("id = ? AND last_seen < ?", id, at).Exec(ctx)
	return mapErr(err)
}

// EndSession marks a session disconnected at at, moving last_seen forward to
// lastSeen (the connection's last frame or pong) if that is later than the
// stored value.
func (s *Store) EndSession(ctx context.Context, id string, lastSeen, at time.Time) error {
	_, err := s.db.NewUpdate().Model((*Session)(nil)).
		Set("disconnected_at = ?", at).
		Set("last_seen = CASE WHEN last_seen < ? THEN ? ELSE last_seen END", lastSeen, lastSeen).
		Where("id = ?", id).Exec(ctx)
	return mapErr(err)
}

// SessionEnd is one connection to mark disconnected with EndSessions.
type SessionEnd struct {
	ID       string
	LastSeen time.Time
}

// EndSessions is EndSession for many connections at once: a node shutting
// down marks all its sessions with a few statements (one per
// endSessionsChunk rows) in one transaction.
func (s *Store) EndSessions(ctx context.Context, ends []SessionEnd, at time.Time) error {
	if len(ends) == 0 {
		return nil
	}
	// last_seen only moves forward: the larger of the stored value and the
	// connection's, with the dialect's two-argument maximum.
	greatest := "GREATEST"
	if s.db.Dialect().Name() == dialect.SQLite {
		greatest = "MAX"
	}
	return s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		for chunk := range slices.Chunk(ends, endSessionsChunk) {
			var whens strings.Builder
			args := make([]any, 0, 2*len(chunk))
			ids := make([]string, len(chunk))
			for i, e := range chunk {
				whens.WriteString(" WHEN ? THEN ?")
				args = append(args, e.ID, e.LastSeen)
				ids[i] = e.ID
			}
			_, err := tx.NewUpdate().Model((*Session)(nil)).
				Set("disconnected_at = ?", at).
				Set("last_seen = "+greatest+"(last_seen, CASE id"+whens.String()+" ELSE last_seen END)", args...).
				Where("id IN (?)", bun.In(ids)).Exec(ctx)
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// endSessionsChunk is how many rows one statement of EndSessions marks.
const endSessionsChunk = 500

// SessionByID returns a session row.
func (s *Store) SessionByID(ctx context.Context, id string) (*Session, error) {
	sess := new(Session)
	if err := s.db.NewSelect().Model(sess).Where("s.id = ?", id).Scan(ctx); err != nil {
		return nil, mapErr(err)
	}
	return sess, s.attachSession(ctx, sess)
}

// EndNodeSessions marks disconnected, at their last_seen, the sessions of
// node still open that started before before: connections a previous run of
// the node left behind when it stopped without closing them (a crash). It
// returns how many rows it marked.
func (s *Store) EndNodeSessions(ctx context.Context, nodeID string, before time.Time) (int64, error) {
	res, err := s.db.NewUpdate().Model((*Session)(nil)).
		Set("disconnected_at = last_seen").
		Where("node_id = ? AND disconnected_at IS NULL AND connected_at < ?", nodeID, before).
		Exec(ctx)
	if err != nil {
		return 0, mapErr(err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// DeleteOldSessions deletes the sessions disconnected before endedBefore,
// and the sessions still open whose last_seen is before staleBefore (open
// rows that no node refreshes any more). It returns how many rows it deleted.
func (s *Store) DeleteOldSessions(ctx context.Context, endedBefore, staleBefore time.Time) (int64, error) {
	res, err := s.db.NewDelete().Model((*Session)(nil)).
		Where("disconnected_at < ?", endedBefore).
		WhereOr("disconnected_at IS NULL AND last_seen < ?", staleBefore).
		Exec(ctx)
	if err != nil {
		return 0, mapErr(err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// LastSeen returns, for each of userIDs with a session row, the latest
// last_seen of their sessions. Users without rows are left out.
func (s *Store) LastSeen(ctx context.Context, userIDs []int64) (map[int64]time.Time, error) {
	out := make(map[int64]time.Time, len(userIDs))
	if len(userIDs) == 0 {
		return out, nil
	}
	var rows []struct {
		UserID   int64     `bun:"user_id"`
		LastSeen time.Time `bun:"last_seen"`
	}
	err := s.db.NewSelect().Model((*Session)(nil)).
		Column("user_id").ColumnExpr("MAX(last_seen) AS last_seen").
		Where("user_id IN (?)", bun.In(userIDs)).Group("user_id").
		Scan(ctx, &rows)
	if err != nil {
		return nil, mapErr(err)
	}
	for _, r := range rows {
		out[r.UserID] = r.LastSeen.UTC()
	}
	return out, nil
}
