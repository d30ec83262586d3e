package rtchat_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/client"
	"github.com/rtchat/rtchat/internal/dbtest"
	"github.com/rtchat/rtchat/protocol"
)

// cutSender sends messages with two attachments each, every one with a
// client_msg_id of its own, until stopped, and records how each send was
// answered.
type cutSender struct {
	c    *client.Client
	user int64
	room string

	mu       sync.Mutex        // guards acked and refused
	acked    map[string]int64  // client_msg_id -> seq, the acknowledged sends
	refused  map[string]string // client_msg_id -> content, the sends answered 4007
	acks     atomic.Int64      // len(acked), for polling
	refusals atomic.Int64      // sends answered 4007 so far
	failed   atomic.Value      // the first unexpected answer (error)
}

func newCutSender(c *client.Client, user int64, room string) *cutSender {
	return &cutSender{c: c, user: user, room: room, acked: map[string]int64{}, refused: map[string]string{}}
}

// sendData is a message.send carrying two attachments.
func (s *cutSender) sendData(key, content string) map[string]any {
	doc := map[string]any{"media_url": "https://cdn.example/" + key + ".pdf", "media_type": "file", "mime_type": "application/pdf", "file_size": 99}
	return map[string]any{"room_id": s.room, "content": content, "client_msg_id": key,
		"extra_fields": map[string]any{"media": []any{validMedia(), doc}}}
}

// send sends one message and records the answer: a message.dispatch with
// its seq, or 4007. Anything else is a failure of the test.
func (s *cutSender) send(ctx context.Context, key, content string) {
	f, err := s.c.Request(ctx, protocol.EventMessageSend, s.sendData(key, content))
	// Other members' messages and error frames stay in the inbox: keep it
	// small.
	s.c.Drain(protocol.DispatchMessage)
	s.c.Drain(client.ErrorKey)
	if pe, ok := protocol.AsError(err); ok && pe.Code == protocol.CodeUnavailable {
		s.mu.Lock()
		s.refused[key] = content
		s.mu.Unlock()
		s.refusals.Add(1)
		return
	}
	if err != nil || f.EventType != protocol.DispatchMessage {
		s.failed.CompareAndSwap(nil, fmt.Errorf("user %d: send %s answered %s (%v), want message.dispatch or 4007", s.user, key, f.EventType, err))
		return
	}
	var m wireMessage
	if jerr := json.Unmarshal(f.Data, &m); jerr != nil || m.Seq < 1 {
		s.failed.CompareAndSwap(nil, fmt.Errorf("user %d: send %s answered %s", s.user, key, f.Data))
		return
	}
	s.mu.Lock()
	s.acked[key] = m.Seq
	delete(s.refused, key)
	s.mu.Unlock()
	s.acks.Store(int64(len(s.acked)))
}

// run sends until stop is closed.
func (s *cutSender) run(ctx context.Context, stop <-chan struct{}, done *sync.WaitGroup) {
	defer done.Done()
	for i := 1; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		if s.failed.Load() != nil || ctx.Err() != nil {
			return
		}
		s.send(ctx, fmt.Sprintf("u%d-%d", s.user, i), fmt.Sprintf("user %d message %d", s.user, i))
	}
}

// TestDatabaseCut: two members send messages with media while the link
// to Postgres is cut and restored. While it is cut, sends and reads answer
// 4007 and every connection stays open; once it is back everything works
// without a restart. Afterwards the room's seqs run 1..last_seq without a
// gap, every message has both its attachments, every acknowledged send is
// stored, and a send answered 4007 (whose commit may have reached the
// database as the link broke) retried with its client_msg_id is stored
// exactly once.
func TestDatabaseCut(t *testing.T) {
	t.Parallel()
	proxy, db := dbtest.CuttablePostgres(t)
	h := newHarness(t, db, rtchat.WithLogger(quietLog))
	a, b, reader := h.dial(t, 1), h.dial(t, 2), h.dial(t, 3)
	room := createRoom(t, a, map[string]any{"type": protocol.RoomGroup, "name": "cut", "participants": []int64{2, 3}})
	settle(t, b, reader)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	senders := []*cutSender{newCutSender(a, 1, room.ID), newCutSender(b, 2, room.ID)}
	stop := make(chan struct{})
	var running sync.WaitGroup
	for _, s := range senders {
		running.Add(1)
		go s.run(ctx, stop, &running)
	}
	stopped := false
	stopSenders := func() {
		if !stopped {
			stopped = true
			close(stop)
			running.Wait()
		}
	}
	defer stopSenders()
	failed := func() error {
		for _, s := range senders {
			if err, _ := s.failed.Load().(error); err != nil {
				return err
			}
		}
		return nil
	}
	// waitSenders polls until every sender satisfies cond, failing the
	// test at the first unexpected answer.
	waitSenders := func(what string, cond func(s *cutSender) bool) {
		t.Helper()
		waitFor(t, what, func() bool {
			if err := failed(); err != nil {
				t.Fatal(err)
			}
			for _, s := range senders {
				if !cond(s) {
					return false
				}
			}
			return true
		})
	}

	waitSenders("5 acknowledged sends each before the cut", func(s *cutSender) bool { return s.acks.Load() >= 5 })
	proxy.Cut()
	waitSenders("3 sends each answered 4007 during the cut", func(s *cutSender) bool { return s.refusals.Load() >= 3 })
	// Reads answer 4007 too.
	for _, ev := range []struct {
		event string
		data  any
	}{
		{protocol.EventRoomMessages, map[string]any{"room_id": room.ID}},
		{protocol.EventRoomInfo, map[string]any{"room_id": room.ID}},
		{protocol.EventRoomList, nil},
	} {
		wantCode(t, requestErr(t, reader, ev.event, ev.data), protocol.CodeUnavailable)
	}
	reader.Drain(client.ErrorKey)
	for i, c := range []*client.Client{a, b, reader} {
		select {
		case <-c.Closed():
			t.Fatalf("connection %d closed during the cut: %v", i+1, c.CloseError())
		default:
		}
	}
	acksAtRestore := make([]int64, len(senders))
	for i, s := range senders {
		acksAtRestore[i] = s.acks.Load()
	}
	proxy.Restore()
	waitSenders("5 more acknowledged sends each after the restore", func(s *cutSender) bool {
		for i := range senders {
			if senders[i] == s {
				return s.acks.Load() >= acksAtRestore[i]+5
			}
		}
		return false
	})
	stopSenders()
	if err := failed(); err != nil {
		t.Fatal(err)
	}

	// Reads work again on the same connection.
	request(t, reader, protocol.EventRoomInfo, map[string]any{"room_id": room.ID})
	// Each send answered 4007, retried with its client_msg_id, is stored
	// now: once, whether or not its first commit reached the database.
	retried := 0
	for _, s := range senders {
		s.mu.Lock()
		refused := make(map[string]string, len(s.refused))
		for k, v := range s.refused {
			refused[k] = v
		}
		s.mu.Unlock()
		for key, content := range refused {
			s.send(ctx, key, content)
			retried++
		}
		if err, _ := s.failed.Load().(error); err != nil {
			t.Fatal(err)
		}
		if len(s.refused) != 0 {
			t.Fatalf("user %d: %d retried sends still answered 4007", s.user, len(s.refused))
		}
	}

	// The database: seqs 1..last_seq, no gap, no repeat; one row per
	// acknowledged client_msg_id; two attachments on every message.
	var seqs []int64
	if err := h.db.NewSelect().Table("rtchat_messages").Column("seq").Where("room_id = ?", room.ID).Order("seq").Scan(testCtx(t), &seqs); err != nil {
		t.Fatal(err)
	}
	var lastSeq int64
	if err := h.db.NewSelect().Table("rtchat_rooms").Column("last_seq").Where("id = ?", room.ID).Scan(testCtx(t), &lastSeq); err != nil {
		t.Fatal(err)
	}
	if int64(len(seqs)) != lastSeq {
		t.Fatalf("%d messages stored, last_seq %d", len(seqs), lastSeq)
	}
	for i, seq := range seqs {
		if seq != int64(i+1) {
			t.Fatalf("seq %d at position %d: the seqs have a gap or a repeat", seq, i+1)
		}
	}
	acked := 0
	for _, s := range senders {
		for key, seq := range s.acked {
			var stored int64
			err := h.db.NewSelect().Table("rtchat_messages").Column("seq").
				Where("room_id = ? AND sender_id = ? AND client_msg_id = ?", room.ID, s.user, key).Scan(testCtx(t), &stored)
			if err != nil || stored != seq {
				t.Fatalf("user %d: acknowledged send %s (seq %d) stored as seq %d (%v)", s.user, key, seq, stored, err)
			}
			acked++
		}
	}
	if acked != len(seqs) {
		t.Fatalf("%d sends acknowledged, %d messages stored", acked, len(seqs))
	}
	var incomplete, orphans int
	if err := h.db.QueryRowContext(testCtx(t), `SELECT count(*) FROM rtchat_messages msg WHERE msg.room_id = ?
		AND (SELECT count(*) FROM rtchat_attachments att WHERE att.message_id = msg.id) <> 2`, room.ID).Scan(&incomplete); err != nil {
		t.Fatal(err)
	}
	if incomplete != 0 {
		t.Fatalf("%d messages without both their attachments", incomplete)
	}
	if err := h.db.QueryRowContext(testCtx(t), `SELECT count(*) FROM rtchat_attachments att
		WHERE NOT EXISTS (SELECT 1 FROM rtchat_messages msg WHERE msg.id = att.message_id)`).Scan(&orphans); err != nil {
		t.Fatal(err)
	}
	if orphans != 0 {
		t.Fatalf("%d attachments of no message", orphans)
	}
	t.Logf("%d messages stored, %d refusals during the cut, %d retried", len(seqs), senders[0].refusals.Load()+senders[1].refusals.Load(), retried)
}
