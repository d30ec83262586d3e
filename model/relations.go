package model

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/uptrace/bun"
)

// relationRow is one row of relationsQuery: an attachment (kind 1), a
// reaction (2), a read receipt (3) or a delivery mark (4) of a message, in
// the columns the four share.
type relationRow struct {
	Kind      int            `bun:"k"`
	MessageID string         `bun:"message_id"`
	ID        sql.NullString `bun:"id"`
	// Text columns: attachment media_url, media_type, mime_type, caption,
	// metadata; reaction_content in S1.
	S1, S2, S3, S4, S5 sql.NullString
	// N1 is the attachment's file_size or the reacting, reading or
	// delivered-to user; N2 the attachment's position.
	N1, N2 sql.NullInt64
	// T1 is when: created_at, read_at or delivered_at.
	T1 time.Time
}

// relationsQuery selects every attachment, reaction, read receipt and
// delivery mark of the messages in one statement, each kind in the order it
// is shown in.
const relationsQuery = `
SELECT 1 AS k, message_id, id, media_url AS s1, media_type AS s2, mime_type AS s3, caption AS s4, metadata AS s5,
	file_size AS n1, position AS n2, created_at AS t1 FROM rtchat_attachments WHERE message_id IN (?)
UNION ALL
SELECT 2, message_id, id, reaction_content, NULL, NULL, NULL, NULL, user_id, NULL, created_at
	FROM rtchat_reactions WHERE message_id IN (?)
UNION ALL
SELECT 3, message_id, id, NULL, NULL, NULL, NULL, NULL, reader_id, NULL, read_at
	FROM rtchat_read_receipts WHERE message_id IN (?)
UNION ALL
SELECT 4, message_id, NULL, NULL, NULL, NULL, NULL, NULL, user_id, NULL, delivered_at
	FROM rtchat_deliveries WHERE message_id IN (?)
ORDER BY k, n2, t1, id, n1`

// loadOwnRelations fills in what hangs off each message directly, with one
// query whatever the number of messages. A message may be in msgs more than
// once (as two values): each gets its relations.
func (s *Store) loadOwnRelations(ctx context.Context, msgs []*Message) error {
	if len(msgs) == 0 {
		return nil
	}
	byID := make(map[string][]*Message, len(msgs))
	ids := make([]string, 0, len(msgs))
	for _, m := range msgs {
		if _, seen := byID[m.ID]; !seen {
			ids = append(ids, m.ID)
		}
		byID[m.ID] = append(byID[m.ID], m)
		m.Attachments, m.Reactions, m.ReadReceipts, m.DeliveredTo = []*Attachment{}, []*Reaction{}, []*ReadReceipt{}, []int64{}
	}
	in := bun.In(ids)
	var rows []relationRow
	if err := s.db.NewRaw(relationsQuery, in, in, in, in).Scan(ctx, &rows); err != nil {
		return mapErr(err)
	}
	for _, r := range rows {
		for _, m := range byID[r.MessageID] {
			if err := addRelation(m, r); err != nil {
				return err
			}
		}
	}
	return s.attachRelations(ctx, msgs)
}

// addRelation adds one row of relationsQuery to its message; each message
// gets values of its own.
func addRelation(m *Message, r relationRow) error {
	t := r.T1.UTC()
	switch r.Kind {
	case 1:
		a := &Attachment{ID: r.ID.String, MessageID: m.ID, MediaURL: r.S1.String, MediaType: r.S2.String, MimeType: r.S3.String,
			Caption: r.S4.String, FileSize: r.N1.Int64, Position: int(r.N2.Int64), CreatedAt: t}
		if r.S5.Valid {
			if err := json.Unmarshal([]byte(r.S5.String), &a.Metadata); err != nil {
				return err
			}
		}
		m.Attachments = append(m.Attachments, a)
	case 2:
		m.Reactions = append(m.Reactions, &Reaction{ID: r.ID.String, MessageID: m.ID, UserID: r.N1.Int64, ReactionContent: r.S1.String, CreatedAt: t})
	case 3:
		m.ReadReceipts = append(m.ReadReceipts, &ReadReceipt{ID: r.ID.String, MessageID: m.ID, ReaderID: r.N1.Int64, ReadAt: t})
	case 4:
		m.DeliveredTo = append(m.DeliveredTo, r.N1.Int64)
	}
	return nil
}
