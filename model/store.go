package model

import (
	"context"
	"database/sql"
	"sync"

	"github.com/uptrace/bun"
)

// Store runs rtchat's queries on the app's bun database.
type Store struct {
	db *bun.DB

	colsOnce sync.Once // guards cols
	cols     string    // see roomAndMemberColumns

	stmtMu sync.Mutex           // guards stmts
	stmts  map[string]*sql.Stmt // see prepared

	custom *Custom // the app's models; nil when it replaced none

	moderation bool // see WithModeration
}

// StoreOption configures a Store.
type StoreOption func(*Store)

// WithCustom makes the store insert and read the app's models (see Custom).
func WithCustom(c *Custom) StoreOption { return func(s *Store) { s.custom = c } }

// NewStore returns a store over db.
func NewStore(db *bun.DB, opts ...StoreOption) *Store {
	s := &Store{db: db}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Custom returns the app's models (nil when it replaced none).
func (s *Store) Custom() *Custom { return s.custom }

// DB returns the underlying database.
func (s *Store) DB() *bun.DB { return s.db }

// Tx runs fn in one transaction and maps its error.
func (s *Store) Tx(ctx context.Context, fn func(ctx context.Context, tx bun.Tx) error) error {
	return mapErr(s.db.RunInTx(ctx, &sql.TxOptions{}, fn))
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return mapErr(s.db.PingContext(ctx)) }
