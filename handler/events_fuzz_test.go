package handler_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rtchat/rtchat/eventmap"
	"github.com/rtchat/rtchat/handler"
	"github.com/rtchat/rtchat/internal/sqlitedb"
	"github.com/rtchat/rtchat/model"
	"github.com/rtchat/rtchat/presence"
	"github.com/rtchat/rtchat/protocol"
	"github.com/rtchat/rtchat/serializer"
)

// FuzzDecodeEvents runs each built-in event's real handler on fuzzed data
// over a closed database: every step before the first query (decoding,
// validation, sanitising, the checks that need no row) runs as it does in
// production, and the first query fails with database/sql's "database is closed", which shows
// the input was accepted. So the handlers are fuzzed as they are, with no
// copy of their input types to drift from them.
//
// The event is chosen by name; a name that is no built-in event picks one
// by its length, so the fuzzer's mutations of it still land on events.
// Invariants: no panic; the outcome is a protocol error (of the 4xxx
// range, whose error frame encodes) or the closed database; an error sent
// nothing first (no partial answer).
func FuzzDecodeEvents(f *testing.F) {
	events := eventmap.Default()
	names := events.Events()
	db, err := sqlitedb.Open(filepath.Join(f.TempDir(), "closed.db"))
	if err != nil {
		f.Fatal(err)
	}
	if err := db.Close(); err != nil {
		f.Fatal(err)
	}
	env := &handler.Env{
		Store: model.NewStore(db), Serializers: serializer.NewSet(), Perms: handler.Default{},
		Presence: presence.NewMemory(),
		Settings: handler.Settings{MaxContentLength: 1000, HistoryLimit: 50, TypingThrottle: time.Second, PresencePushLimit: 100},
	}
	f.Fuzz(func(t *testing.T, event string, data []byte) {
		fn, ok := events.Lookup(event)
		if !ok {
			event = names[len(event)%len(names)]
			fn, _ = events.Lookup(event)
		}
		out := &countingOutbox{}
		r := &handler.Request{Event: event, RequestID: "r", UserID: 1, ConnID: "c", Data: data, Env: env, Out: out}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err := fn(ctx, r)
		if err == nil {
			t.Fatalf("%s answered %d frames over a closed database", event, out.n.Load())
		}
		if n := out.n.Load(); n != 0 {
			t.Fatalf("%s sent %d frames, then failed: %v", event, n, err)
		}
		if strings.Contains(err.Error(), closedDB) {
			return // accepted: it reached the database
		}
		pe, ok := protocol.AsError(err)
		if !ok || pe.Code < 4000 || pe.Code > 4999 {
			t.Fatalf("%s %s: error %v, want a protocol error or the closed database", event, data, err)
		}
		frame, encErr := protocol.EncodeError(pe, event, "r")
		if encErr != nil || !json.Valid(frame) {
			t.Fatalf("%s: error frame %q does not encode: %v", event, frame, encErr)
		}
	})
}

// closedDB is the error database/sql returns once a database is closed
// (its sentinel is unexported).
const closedDB = "sql: database is closed"

// countingOutbox counts what a handler sends.
type countingOutbox struct{ n atomic.Int32 }

func (o *countingOutbox) Reply(string, any) error { o.n.Add(1); return nil }
func (o *countingOutbox) ReplyFrame([]byte) error { o.n.Add(1); return nil }
func (o *countingOutbox) Room(context.Context, string, string, any) error {
	o.n.Add(1)
	return nil
}
func (o *countingOutbox) RoomSeq(context.Context, string, int64, string, any) error {
	o.n.Add(1)
	return nil
}
func (o *countingOutbox) User(context.Context, string, any, ...int64) error {
	o.n.Add(1)
	return nil
}
func (o *countingOutbox) Join(context.Context, string, int64, ...int64) error {
	o.n.Add(1)
	return nil
}
func (o *countingOutbox) Leave(context.Context, string, ...int64) error {
	o.n.Add(1)
	return nil
}

var _ handler.Outbox = (*countingOutbox)(nil)
