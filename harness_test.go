package rtchat_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/broker"
	redisbroker "github.com/rtchat/rtchat/broker/redis"
	"github.com/rtchat/rtchat/client"
	"github.com/rtchat/rtchat/internal/dbtest"
	"github.com/rtchat/rtchat/internal/redistest"
	presenceredis "github.com/rtchat/rtchat/presence/redis"
	"github.com/rtchat/rtchat/protocol"
	"github.com/uptrace/bun"
)

// harness is a real chat server on a real database behind httptest. A
// two-node harness (newTwoNodes) is node 0, with node 1 as its peer: dial
// places the users of a test on the two nodes in turn.
type harness struct {
	chat *rtchat.Chat
	srv  *httptest.Server
	db   *bun.DB
	url  string

	peer   *harness      // node 1 of a two-node harness; nil on one node
	broker *syncBroker   // a two-node harness node's broker
	mu     sync.Mutex    // guards placed
	placed map[int64]int // user -> the node (0 or 1) dial puts it on
}

// bearerUser is the test auth: "Authorization: Bearer <user id>".
func bearerUser(r *http.Request) (int64, error) {
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return strconv.ParseInt(tok, 10, 64)
}

func newHarness(t testing.TB, db *bun.DB, opts ...rtchat.Option) *harness {
	t.Helper()
	// Presence is announced at once, as before coalescing, so a barrier
	// shows every presence frame a step caused; the presence tests ask for
	// an interval themselves.
	opts = append([]rtchat.Option{rtchat.WithHTTPAuth(bearerUser), rtchat.WithPresenceInterval(0)}, opts...)
	chat, err := rtchat.New(db, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if err := chat.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(chat.Path(), chat)
	srv := httptest.NewServer(mux)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := chat.Close(ctx); err != nil {
			t.Errorf("chat.Close: %v", err)
		}
		srv.Close()
	})
	return &harness{chat: chat, srv: srv, db: db, url: "ws" + strings.TrimPrefix(srv.URL, "http") + chat.Path()}
}

// eachDB runs fn on a fresh harness per database kind and on two nodes
// sharing one Postgres database through one Redis, with the users of the
// test on different nodes (see newTwoNodes). The test runs in parallel
// with the other tests that use eachDB, and its three variants in parallel
// with each other: each owns its database (and Redis prefix). (go test
// runs the tests that stay sequential, such as the goroutine count of
// leak_test.go, before any parallel one resumes.)
func eachDB(t *testing.T, fn func(t *testing.T, h *harness), opts ...rtchat.Option) {
	t.Helper()
	t.Parallel()
	for _, kind := range dbtest.Kinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			fn(t, newHarness(t, dbtest.Open(t, kind), opts...))
		})
	}
	t.Run("two-nodes", func(t *testing.T) {
		t.Parallel()
		redistest.URL(t)
		fn(t, newTwoNodes(t, dbtest.Open(t, "postgres"), opts...))
	})
}

// eachNodeDB runs fn on a fresh one-node harness per database kind, one
// after the other: for the tests of one node's own state (its index, its
// sessions, its close).
func eachNodeDB(t *testing.T, fn func(t *testing.T, h *harness), opts ...rtchat.Option) {
	t.Helper()
	dbtest.Each(t, func(t *testing.T, db *bun.DB) { fn(t, newHarness(t, db, opts...)) })
}

// newTwoNodes starts two nodes on db, each with a Redis broker and Redis
// presence of its own client, on a prefix no other test uses. The
// harness returned is node 0; dial puts the first user of the test on
// node 0, the second on node 1, and so on in turn.
func newTwoNodes(t testing.TB, db *bun.DB, opts ...rtchat.Option) *harness {
	t.Helper()
	prefix := redistest.Prefix(t)
	node := func(i int) *harness {
		b := &syncBroker{Broker: redisbroker.New(redistest.Client(t), redisbroker.WithPrefix(prefix))}
		p := presenceredis.New(redistest.Client(t), presenceredis.WithPrefix(prefix))
		h := newHarness(t, db, append(slices.Clone(opts), rtchat.WithBroker(b), rtchat.WithPresence(p), rtchat.WithNodeID(fmt.Sprintf("node-%d", i)))...)
		h.broker = b
		return h
	}
	h := node(0)
	h.peer = node(1)
	return h
}

// twoNodeClients maps the clients dialled through a two-node harness to
// it, for barrier.
var twoNodeClients sync.Map

// syncBroker is a node's broker with a way for a test to wait until the
// node has handled everything published before a point: a marker message,
// published through the broker, that the node's handler does not see.
// Redis hands every node the messages of its one channel in one order, and
// each node's handler takes them one at a time, so a node that has seen
// the marker has handled everything published before it.
type syncBroker struct {
	broker.Broker
	mu      sync.Mutex
	waiting map[string]chan struct{} // marker -> closed when seen
}

// markerUser marks a KindUser message as a sync marker.
const markerUser = -1

func (b *syncBroker) Subscribe(ctx context.Context, h broker.Handler) error {
	return b.Broker.Subscribe(ctx, func(m broker.Message) {
		if m.Kind == broker.KindUser && len(m.Users) == 1 && m.Users[0] == markerUser {
			b.mu.Lock()
			if ch, ok := b.waiting[string(m.Frame)]; ok {
				close(ch)
				delete(b.waiting, string(m.Frame))
			}
			b.mu.Unlock()
			return
		}
		h(m)
	})
}

// expect returns a channel closed when the node sees marker.
func (b *syncBroker) expect(marker string) <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.waiting == nil {
		b.waiting = map[string]chan struct{}{}
	}
	ch := make(chan struct{})
	b.waiting[marker] = ch
	return ch
}

// sync waits until both nodes of a two-node harness have handled
// everything published before it.
func (h *harness) sync(t testing.TB) {
	t.Helper()
	marker := uuid.NewString()
	seen := []<-chan struct{}{h.broker.expect(marker), h.peer.broker.expect(marker)}
	if err := h.broker.Publish(testCtx(t), broker.Message{Kind: broker.KindUser, Users: []int64{markerUser}, Frame: []byte(marker)}); err != nil {
		t.Fatalf("publish a sync marker: %v", err)
	}
	for i, ch := range seen {
		select {
		case <-ch:
		case <-time.After(10 * time.Second):
			t.Fatalf("node %d did not see the sync marker", i)
		}
	}
}

// node returns the node dial puts user on.
func (h *harness) node(user int64) *harness {
	if h.peer == nil {
		return h
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.placed == nil {
		h.placed = map[int64]int{}
	}
	i, ok := h.placed[user]
	if !ok {
		i = len(h.placed) % 2
		h.placed[user] = i
	}
	if i == 1 {
		return h.peer
	}
	return h
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// dial connects user and consumes the chat.notifications frame every
// connection gets first.
func (h *harness) dial(t testing.TB, user int64, opts ...client.Option) *client.Client {
	t.Helper()
	ctx := testCtx(t)
	c, err := client.Dial(ctx, h.node(user).url, append([]client.Option{client.WithToken(strconv.FormatInt(user, 10))}, opts...)...)
	if err != nil {
		t.Fatalf("dial user %d: %v", user, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	if h.peer != nil {
		twoNodeClients.Store(c, h)
		t.Cleanup(func() { twoNodeClients.Delete(c) })
	}
	if _, err := c.Next(ctx, protocol.DispatchNotifications); err != nil {
		t.Fatalf("user %d: no chat.notifications on connect: %v", user, err)
	}
	return c
}

// request sends an event and fails the test unless it is answered without error.
func request(t testing.TB, c *client.Client, event string, data any) protocol.Frame {
	t.Helper()
	f, err := c.Request(testCtx(t), event, data)
	if err != nil {
		t.Fatalf("%s: %v", event, err)
	}
	return f
}

// requestErr sends an event and returns the error frame's error, failing the
// test if the event succeeded.
func requestErr(t testing.TB, c *client.Client, event string, data any) *protocol.Error {
	t.Helper()
	f, err := c.Request(testCtx(t), event, data)
	pe, ok := protocol.AsError(err)
	if !ok {
		t.Fatalf("%s: want an error frame, got %s (err %v)", event, f.EventType, err)
	}
	return pe
}

func wantCode(t testing.TB, pe *protocol.Error, code int) {
	t.Helper()
	if pe.Code != code {
		t.Fatalf("code = %d (detail %v), want %d", pe.Code, pe.Detail, code)
	}
}

// barrier makes a round trip so that every frame the server sent to c
// before it has arrived.
//
// On two nodes, it first waits until both nodes have handled everything
// published before it (see syncBroker), so that a frame on its way
// through Redis has reached c's node too.
func barrier(t testing.TB, c *client.Client) {
	t.Helper()
	if root, ok := twoNodeClients.Load(c); ok {
		root.(*harness).sync(t)
	}
	request(t, c, protocol.EventSessionHeartbeat, nil)
	c.Drain(protocol.DispatchHeartbeat)
}

func next(t testing.TB, c *client.Client, event string) protocol.Frame {
	t.Helper()
	f, err := c.Next(testCtx(t), event)
	if err != nil {
		t.Fatalf("waiting for %s: %v", event, err)
	}
	return f
}

func decode[T any](t testing.TB, f protocol.Frame) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(f.Data, &v); err != nil {
		t.Fatalf("decode %s: %v\n%s", f.EventType, err, f.Data)
	}
	return v
}

// wire types the tests read.
type wireUser struct {
	ID       int64  `json:"id"`
	Username string `json:"username"`
}

type wireMessage struct {
	ID          string              `json:"id"`
	Room        struct{ ID string } `json:"room"`
	Sender      wireUser            `json:"sender"`
	Content     string              `json:"content"`
	Seq         int64               `json:"seq"`
	ClientMsgID *string             `json:"client_msg_id"`
}

type wireRoom struct {
	ID           string     `json:"id"`
	Type         string     `json:"type"`
	Name         string     `json:"name"`
	Participants []wireUser `json:"participants"`
	Subscribers  []wireUser `json:"subscribers"`
	Admins       []wireUser `json:"admins"`
	Moderators   []wireUser `json:"moderators"`
	Creator      *wireUser  `json:"creator"`
	LastSeq      int64      `json:"last_seq"`
}

// createRoom creates a room as c and returns it, consuming c's
// roomcreate.dispatch.
func createRoom(t testing.TB, c *client.Client, data map[string]any) wireRoom {
	t.Helper()
	f := request(t, c, protocol.EventRoomCreate, data)
	if f.EventType != protocol.DispatchRoomCreate {
		t.Fatalf("room.create answered %s", f.EventType)
	}
	c.Drain(protocol.DispatchRoomCreate)
	return decode[wireRoom](t, f)
}

// send sends a message as c and returns it as c received it.
func send(t testing.TB, c *client.Client, roomID, content string) wireMessage {
	t.Helper()
	f, err := c.SendMessage(testCtx(t), roomID, content)
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	c.Drain(protocol.DispatchMessage)
	return decode[wireMessage](t, f)
}
