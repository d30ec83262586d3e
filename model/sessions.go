package model

import (
	"context"
	"time"
)

// StartSession records a new connection.
func (s *Store) StartSession(ctx context.Context, sess *Session) error {
	_, err := s.db.NewInsert().Model(sess).Exec(ctx)
	return mapErr(err)
}

// TouchSession moves a session's last_seen forward.
func (s *Store) TouchSession(ctx context.Context, id string, at time.Time) error {
	_, err := s.db.NewUpdate().Model((*Session)(nil)).Set("last_seen = ?", at).Where("id = ?", id).Exec(ctx)
	return mapErr(err)
}

// EndSession marks a session disconnected.
func (s *Store) EndSession(ctx context.Context, id string, at time.Time) error {
	_, err := s.db.NewUpdate().Model((*Session)(nil)).
		Set("disconnected_at = ?", at).Set("last_seen = ?", at).
		Where("id = ?", id).Exec(ctx)
	return mapErr(err)
}

// SessionByID returns a session row.
func (s *Store) SessionByID(ctx context.Context, id string) (*Session, error) {
	sess := new(Session)
	if err := s.db.NewSelect().Model(sess).Where("s.id = ?", id).Scan(ctx); err != nil {
		return nil, mapErr(err)
	}
	return sess, nil
}
