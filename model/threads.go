package model

import (
	"context"
	"slices"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
)

// Threads: a message may reply in a thread (Message.ThreadRootID) under a
// root, a message of the same room that is not deleted and not itself a
// thread reply (threads are one level). A thread reply is a message of its
// room like any other (the room's next seq, room history); its root counts
// the replies (ThreadReplyCount) and keeps the time and seq of the latest,
// updated in the statement (Postgres) or transaction (SQLite) that stores
// the reply, under the root row's lock, so replies from any number of nodes
// count right. Each member has a read pointer per thread (ThreadRead).

// threadColumns are the thread columns of rtchat_messages.
var threadColumns = []string{"thread_root_id", "thread_reply_count", "thread_last_reply_at", "thread_last_reply_seq"}

// ThreadState is a thread root's count and latest reply.
type ThreadState struct {
	RootID      string    `bun:"-"`
	ReplyCount  int64     `bun:"thread_reply_count"`
	LastReplyAt time.Time `bun:"thread_last_reply_at"`
}

// ThreadRead is a member's read pointer in one thread: the highest seq of
// the thread's replies the member has read.
type ThreadRead struct {
	bun.BaseModel `bun:"table:rtchat_thread_reads,alias:trd"`

	RootID      string `bun:"root_id,pk,type:varchar(36)"`
	UserID      int64  `bun:"user_id,pk"`
	RoomID      string `bun:"room_id,notnull,type:varchar(36)"`
	LastReadSeq int64  `bun:"last_read_seq,notnull"`
}

// ThreadUnread is a member's view of one thread: the read pointer and how
// many replies of others above it are not deleted.
type ThreadUnread struct {
	RootID      string `bun:"root_id"`
	LastReadSeq int64  `bun:"last_read_seq"`
	UnreadCount int64  `bun:"unread_count"`
}

// countThreadReply counts msg as a reply of its root in tx (SQLite): the
// root must be a visible message of the room and no reply itself, else
// sql.ErrNoRows undoes the transaction. It sets msg.Thread.
func countThreadReply(ctx context.Context, tx bun.Tx, msg *Message, seq int64) error {
	st := &ThreadState{RootID: *msg.ThreadRootID}
	err := tx.NewRaw(`UPDATE rtchat_messages SET thread_reply_count = thread_reply_count + 1, thread_last_reply_at = ?,
	thread_last_reply_seq = ? WHERE id = ? AND room_id = ? AND is_deleted = ? AND thread_root_id IS NULL
	RETURNING thread_reply_count, thread_last_reply_at`, msg.CreatedAt, seq, *msg.ThreadRootID, msg.RoomID, false).Scan(ctx, st)
	if err != nil {
		return err
	}
	st.LastReplyAt = st.LastReplyAt.UTC()
	msg.Thread = st
	return nil
}

// ThreadsQuery selects a page of a room's threads (roots with at least one
// reply, not deleted), latest reply first: those whose latest reply is
// below BeforeSeq when it is set.
type ThreadsQuery struct {
	RoomID    string
	BeforeSeq int64
	Limit     int
}

// Threads returns up to q.Limit thread roots with their relations and
// whether more exist below the last.
func (s *Store) Threads(ctx context.Context, q ThreadsQuery) ([]*Message, bool, error) {
	var roots []*Message
	sel := s.db.NewSelect().Model(&roots).
		Where("msg.room_id = ?", q.RoomID).
		Where("msg.thread_reply_count > 0").
		Where("msg.is_deleted = ?", false).
		Order("msg.thread_last_reply_seq DESC").
		Limit(int64(q.Limit) + 1)
	if q.BeforeSeq > 0 {
		sel = sel.Where("msg.thread_last_reply_seq < ?", q.BeforeSeq)
	}
	if err := sel.Scan(ctx); err != nil {
		return nil, false, mapErr(err)
	}
	more := len(roots) > q.Limit
	if more {
		roots = roots[:q.Limit]
	}
	if err := s.attachMessages(ctx, s.db, roots); err != nil {
		return nil, false, err
	}
	if err := s.LoadMessageRelations(ctx, roots); err != nil {
		return nil, false, err
	}
	return roots, more, nil
}

// ThreadUnreads returns user's read pointer and unread count in each of
// the threads of rootIDs, by root id: the replies of others above the
// pointer that are not deleted (the user's own replies are never unread).
// One query whatever the number of threads.
func (s *Store) ThreadUnreads(ctx context.Context, userID int64, rootIDs []string) (map[string]ThreadUnread, error) {
	out := make(map[string]ThreadUnread, len(rootIDs))
	if len(rootIDs) == 0 {
		return out, nil
	}
	var rows []ThreadUnread
	err := s.db.NewRaw(`SELECT root.id AS root_id, COALESCE(trd.last_read_seq, 0) AS last_read_seq,
	(SELECT COUNT(*) FROM rtchat_messages AS x WHERE x.thread_root_id = root.id AND x.is_deleted = ?
		AND x.sender_id <> ? AND x.seq > COALESCE(trd.last_read_seq, 0)) AS unread_count
FROM rtchat_messages AS root
LEFT JOIN rtchat_thread_reads AS trd ON trd.root_id = root.id AND trd.user_id = ?
WHERE root.id IN (?)`, false, userID, userID, bun.In(rootIDs)).Scan(ctx, &rows)
	if err != nil {
		return nil, mapErr(err)
	}
	for _, r := range rows {
		out[r.RootID] = r
	}
	return out, nil
}

// markThreadsRead moves reader's read pointer in the thread of each thread
// reply among msgs to the highest seq read there, in tx; pointers never go
// back.
func markThreadsRead(ctx context.Context, tx bun.Tx, reader int64, msgs []*Message) error {
	top := map[string]*ThreadRead{}
	var order []string
	for _, m := range msgs {
		if m.ThreadRootID == nil {
			continue
		}
		root := *m.ThreadRootID
		if top[root] == nil {
			top[root] = &ThreadRead{RootID: root, UserID: reader, RoomID: m.RoomID}
			order = append(order, root)
		}
		top[root].LastReadSeq = max(top[root].LastReadSeq, m.Seq)
	}
	if len(order) == 0 {
		return nil
	}
	for _, root := range order {
		tr := top[root]
		_, err := tx.NewRaw(`INSERT INTO rtchat_thread_reads (root_id, user_id, room_id, last_read_seq) VALUES (?, ?, ?, ?)
ON CONFLICT (root_id, user_id) DO UPDATE SET last_read_seq = CASE
	WHEN rtchat_thread_reads.last_read_seq < EXCLUDED.last_read_seq THEN EXCLUDED.last_read_seq
	ELSE rtchat_thread_reads.last_read_seq END`, tr.RootID, tr.UserID, tr.RoomID, tr.LastReadSeq).Exec(ctx)
		if err != nil {
			return err
		}
	}
	return nil
}

// threadDelete is what a delete of messages changes in threads: the roots
// whose replies it deletes, and the deleted messages that are roots with
// replies (whose read pointers go).
type threadDelete struct {
	roots, deadRoots []string
}

// lockThreadRoots returns what deleting ids changes in threads, with the
// rows of the roots whose replies go locked on Postgres (SQLite has one
// writer), so that the recount after the delete (recountThreads) sees every
// reply committed before it. One query when no thread is touched.
func lockThreadRoots(ctx context.Context, tx bun.Tx, ids []string) (threadDelete, error) {
	var rows []*Message
	var td threadDelete
	err := tx.NewSelect().Model(&rows).Column("msg.id", "msg.thread_root_id", "msg.thread_reply_count").
		Where("msg.id IN (?)", bun.In(ids)).
		Where("msg.thread_root_id IS NOT NULL OR msg.thread_reply_count > 0").Scan(ctx)
	if err != nil {
		return td, err
	}
	for _, m := range rows {
		if m.ThreadRootID != nil && !slices.Contains(td.roots, *m.ThreadRootID) {
			td.roots = append(td.roots, *m.ThreadRootID)
		}
		if m.ThreadReplyCount > 0 {
			td.deadRoots = append(td.deadRoots, m.ID)
		}
	}
	if len(td.roots) > 0 && tx.Dialect().Name() == dialect.PG {
		var locked []string
		if err := tx.NewSelect().Model((*Message)(nil)).Column("msg.id").Where("msg.id IN (?)", bun.In(td.roots)).
			For("UPDATE").Scan(ctx, &locked); err != nil {
			return td, err
		}
	}
	return td, nil
}

// recountThreads sets each root's reply count and latest reply from its
// visible replies, after some were deleted; and drops the read pointers of
// the deleted roots.
func recountThreads(ctx context.Context, tx bun.Tx, td threadDelete) error {
	if len(td.deadRoots) > 0 {
		if _, err := tx.NewDelete().Model((*ThreadRead)(nil)).Where("root_id IN (?)", bun.In(td.deadRoots)).Exec(ctx); err != nil {
			return err
		}
	}
	if len(td.roots) == 0 {
		return nil
	}
	const replies = `FROM rtchat_messages AS x WHERE x.thread_root_id = rtchat_messages.id AND x.is_deleted = ?`
	_, err := tx.NewRaw(`UPDATE rtchat_messages SET
	thread_reply_count = (SELECT COUNT(*) `+replies+`),
	thread_last_reply_seq = COALESCE((SELECT MAX(x.seq) `+replies+`), 0),
	thread_last_reply_at = (SELECT x.created_at `+replies+` ORDER BY x.seq DESC LIMIT 1)
WHERE id IN (?)`, false, false, false, bun.In(td.roots)).Exec(ctx)
	return err
}

// LoadThreadStates sets Thread on each thread reply among msgs read back
// from the database (a gap of seq-ordered delivery): its root's count and
// latest reply as they are now, which is at least as new as the reply
// left them. One query, none when no message is a thread reply.
func (s *Store) LoadThreadStates(ctx context.Context, msgs []*Message) error {
	var ids []string
	for _, m := range msgs {
		if m.ThreadRootID != nil {
			ids = append(ids, *m.ThreadRootID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	var roots []*Message
	if err := s.db.NewSelect().Model(&roots).Column("msg.id", "msg.thread_reply_count", "msg.thread_last_reply_at").
		Where("msg.id IN (?)", bun.In(ids)).Scan(ctx); err != nil {
		return mapErr(err)
	}
	byID := make(map[string]*Message, len(roots))
	for _, r := range roots {
		byID[r.ID] = r
	}
	for _, m := range msgs {
		if m.ThreadRootID == nil {
			continue
		}
		if r := byID[*m.ThreadRootID]; r != nil && r.ThreadLastReplyAt != nil {
			m.Thread = &ThreadState{RootID: r.ID, ReplyCount: r.ThreadReplyCount, LastReplyAt: r.ThreadLastReplyAt.UTC()}
		}
	}
	return nil
}
