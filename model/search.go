package model

import (
	"context"
	"strings"

	"github.com/rtchat/rtchat/internal/searchtext"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
)

// SearchQuery selects one page of a user's message search.
type SearchQuery struct {
	// UserID is the searcher: only messages of rooms they are a member of
	// match, checked by the query itself.
	UserID int64
	// RoomID, when set, searches that room only.
	RoomID string
	// Text is the query as the user wrote it. On Postgres it goes to
	// plainto_tsquery as is; on SQLite its words (searchtext.Words) are
	// all required.
	Text string
	// BeforeSeq, when above 0 (with RoomID), keeps messages below that seq.
	BeforeSeq int64
	// After, when set, is the last result of the previous page: the page
	// continues after it in the order of SearchMessages.
	After *SearchKey
	Limit int
}

// SearchKey is a result's place in the order of SearchMessages.
type SearchKey struct {
	Rank float64 `json:"r"`
	Seq  int64   `json:"s"`
	ID   string  `json:"i"`
}

// SearchHit is one result: a message with its relations loaded, and its
// rank (higher is better).
type SearchHit struct {
	Message *Message
	Key     SearchKey
}

// SearchMessages returns up to q.Limit visible messages that match q.Text
// in the rooms q.UserID is a member of, best first (rank descending, then
// seq and id descending), and whether more follow. The rank is Postgres's
// ts_rank, or the negated bm25 of SQLite's FTS5; both are higher for better
// matches. A query without words matches nothing.
func (s *Store) SearchMessages(ctx context.Context, q SearchQuery) ([]SearchHit, bool, error) {
	terms := searchtext.Words(q.Text)
	if len(terms) == 0 {
		return nil, false, nil
	}
	var b strings.Builder
	var args []any
	if s.db.Dialect().Name() == dialect.PG {
		b.WriteString(`SELECT s.id, s.seq, s.rank FROM (SELECT m.id, m.seq, ts_rank(m.search_vector, tq.q)::float8 AS rank
	FROM rtchat_messages AS m
	JOIN rtchat_members AS mb ON mb.room_id = m.room_id AND mb.user_id = ?
	CROSS JOIN plainto_tsquery('simple', ?) AS tq(q)
	WHERE m.search_vector @@ tq.q AND m.is_deleted = FALSE`)
		args = append(args, q.UserID, q.Text)
	} else {
		b.WriteString(`SELECT s.id, s.seq, s.rank FROM (SELECT m.id, m.seq, -bm25(rtchat_messages_fts) AS rank
	FROM rtchat_messages_fts
	JOIN rtchat_message_search AS ms ON ms.doc = rtchat_messages_fts.rowid
	JOIN rtchat_messages AS m ON m.id = ms.message_id
	JOIN rtchat_members AS mb ON mb.room_id = m.room_id AND mb.user_id = ?
	WHERE rtchat_messages_fts MATCH ? AND m.is_deleted = ?`)
		args = append(args, q.UserID, searchtext.FTS5Query(terms), false)
	}
	if q.RoomID != "" {
		b.WriteString(` AND m.room_id = ?`)
		args = append(args, q.RoomID)
	}
	if q.BeforeSeq > 0 {
		b.WriteString(` AND m.seq < ?`)
		args = append(args, q.BeforeSeq)
	}
	b.WriteString(`) AS s`)
	if k := q.After; k != nil {
		b.WriteString(` WHERE s.rank < ? OR (s.rank = ? AND (s.seq < ? OR (s.seq = ? AND s.id < ?)))`)
		args = append(args, k.Rank, k.Rank, k.Seq, k.Seq, k.ID)
	}
	b.WriteString(` ORDER BY s.rank DESC, s.seq DESC, s.id DESC LIMIT ?`)
	args = append(args, q.Limit+1)
	var keys []SearchKey
	if err := s.db.NewRaw(b.String(), args...).Scan(ctx, &keys); err != nil {
		return nil, false, mapErr(err)
	}
	more := len(keys) > q.Limit
	if more {
		keys = keys[:q.Limit]
	}
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = k.ID
	}
	msgs, err := s.MessagesByID(ctx, ids)
	if err != nil {
		return nil, false, err
	}
	if err := s.LoadMessageRelations(ctx, msgs); err != nil {
		return nil, false, err
	}
	byID := make(map[string]*Message, len(msgs))
	for _, m := range msgs {
		byID[m.ID] = m
	}
	hits := make([]SearchHit, 0, len(keys))
	for _, k := range keys {
		// A message deleted between the two reads is left out.
		if m := byID[k.ID]; m != nil {
			hits = append(hits, SearchHit{Message: m, Key: k})
		}
	}
	return hits, more, nil
}

// indexMessageText writes a message's plain text to SQLite's search table
// (sql/20261203000001_search.sqlite.up.sql), whose triggers keep the FTS5
// index in step; on Postgres the generated column does it and this does
// nothing. Every write of a message's content calls it in the same
// transaction.
func (s *Store) indexMessageText(ctx context.Context, db bun.IDB, id, content string) error {
	if s.db.Dialect().Name() == dialect.PG {
		return nil
	}
	_, err := db.NewRaw(`INSERT INTO rtchat_message_search (message_id, body) VALUES (?, ?)
	ON CONFLICT (message_id) DO UPDATE SET body = excluded.body`, id, searchtext.PlainText(content)).Exec(ctx)
	if err != nil && strings.Contains(err.Error(), "no such table: rtchat_message_search") {
		// A schema from before the search migration (a store used on an
		// older schema, as the migration tests do): that migration indexes
		// the message when it runs. SQLite leaves the transaction as it was.
		return nil
	}
	return err
}
