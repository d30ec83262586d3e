package rtchat_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/rtchat/rtchat"
	redisbroker "github.com/rtchat/rtchat/broker/redis"
	"github.com/rtchat/rtchat/client"
	"github.com/rtchat/rtchat/internal/dbtest"
	"github.com/rtchat/rtchat/internal/redistest"
	presenceredis "github.com/rtchat/rtchat/presence/redis"
	"github.com/rtchat/rtchat/protocol"
	"github.com/uptrace/bun"
)

// restartable is a node that can be stopped and started again on the same
// address and database, with a Redis broker on a client that newClient
// makes for each run.
type restartable struct {
	t         *testing.T
	db        *bun.DB
	id        string
	addr      string
	prefix    string
	newClient func() *goredis.Client

	mu   sync.Mutex // guards chat and srv
	chat *rtchat.Chat
	srv  *httptest.Server
}

func startRestartable(t *testing.T, db *bun.DB, id, prefix string, newClient func() *goredis.Client) *restartable {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	n := &restartable{t: t, db: db, id: id, addr: ln.Addr().String(), prefix: prefix, newClient: newClient}
	n.start(ln)
	t.Cleanup(n.stop)
	return n
}

// start serves a new Chat on ln, or on a new listener at the same address.
func (n *restartable) start(ln net.Listener) {
	n.t.Helper()
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", n.addr); err != nil {
			n.t.Fatalf("listen again on %s: %v", n.addr, err)
		}
	}
	b := redisbroker.New(n.newClient(), redisbroker.WithPrefix(n.prefix),
		redisbroker.WithBackoff(5*time.Millisecond, 100*time.Millisecond), redisbroker.WithLogger(slog.New(slog.DiscardHandler)))
	p := presenceredis.New(n.newClient(), presenceredis.WithPrefix(n.prefix), presenceredis.WithLogger(slog.New(slog.DiscardHandler)))
	chat, err := rtchat.New(n.db, rtchat.WithHTTPAuth(bearerUser), rtchat.WithBroker(b), rtchat.WithPresence(p), rtchat.WithNodeID(n.id),
		rtchat.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		n.t.Fatal(err)
	}
	if err := chat.Migrate(context.Background()); err != nil {
		n.t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(chat)
	_ = srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	n.mu.Lock()
	n.chat, n.srv = chat, srv
	n.mu.Unlock()
}

// stop closes every connection with 1001, then the listener.
func (n *restartable) stop() {
	n.mu.Lock()
	chat, srv := n.chat, n.srv
	n.chat, n.srv = nil, nil
	n.mu.Unlock()
	if chat == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := chat.Close(ctx); err != nil {
		n.t.Errorf("%s: chat.Close: %v", n.id, err)
	}
	srv.Close()
}

// frontDoor is a TCP load balancer without sticky sessions: each new
// connection goes to the next node that accepts it. Drop cuts one of its
// open connections at random, as a flaky network does.
type frontDoor struct {
	ln    net.Listener
	nodes []string
	next  atomic.Uint64
	wg    sync.WaitGroup

	mu    sync.Mutex // guards links
	links map[net.Conn]net.Conn
}

func newFrontDoor(t *testing.T, nodes ...string) *frontDoor {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &frontDoor{ln: ln, nodes: nodes, links: map[net.Conn]net.Conn{}}
	f.wg.Add(1)
	go f.accept()
	t.Cleanup(func() {
		_ = ln.Close()
		f.mu.Lock()
		for a, b := range f.links {
			_ = a.Close()
			_ = b.Close()
		}
		f.mu.Unlock()
		f.wg.Wait()
	})
	return f
}

func (f *frontDoor) url() string { return "ws://" + f.ln.Addr().String() + "/messaging/" }

func (f *frontDoor) accept() {
	defer f.wg.Done()
	for {
		in, err := f.ln.Accept()
		if err != nil {
			return
		}
		var out net.Conn
		start := f.next.Add(1)
		for i := range uint64(len(f.nodes)) {
			if out, err = net.DialTimeout("tcp", f.nodes[(start+i)%uint64(len(f.nodes))], time.Second); err == nil {
				break
			}
		}
		if out == nil {
			_ = in.Close()
			continue
		}
		f.mu.Lock()
		f.links[in] = out
		f.mu.Unlock()
		f.wg.Add(2)
		go f.pipe(in, out)
		go f.pipe(out, in)
	}
}

func (f *frontDoor) pipe(dst, src net.Conn) {
	defer f.wg.Done()
	_, _ = io.Copy(dst, src)
	_ = dst.Close()
	_ = src.Close()
	f.mu.Lock()
	delete(f.links, dst)
	delete(f.links, src)
	f.mu.Unlock()
}

// drop closes one open connection chosen at random.
func (f *frontDoor) drop(r *rand.Rand) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.links) == 0 {
		return
	}
	k := r.IntN(len(f.links))
	for in, out := range f.links {
		if k == 0 {
			_ = in.Close()
			_ = out.Close()
			return
		}
		k--
	}
}

// TestFaultsLoseNothing is the cluster's acceptance test: 10 clients spread
// over two nodes (one Postgres, one Redis) send 1,000 messages into two
// shared rooms while connections are dropped at random, node 1 is stopped
// and started again, and node 0's link to Redis is cut and restored. At the
// end every client holds exactly the rooms' messages, in seq order, without
// gap or repeat, and the database holds exactly one row per message sent.
func TestFaultsLoseNothing(t *testing.T) {
	redistest.URL(t)
	t.Parallel() // it owns its database and Redis prefix
	const users, perUser, rooms = 10, 100, 2
	db := dbtest.Open(t, "postgres")
	prefix := redistest.Prefix(t)
	redisProxy, viaProxy := redistest.Cuttable(t)
	direct := func() *goredis.Client { return redistest.Client(t) }
	n0 := startRestartable(t, db, "fault-0", prefix, viaProxy)
	n1 := startRestartable(t, db, "fault-1", prefix, direct)
	door := newFrontDoor(t, n0.addr, n1.addr)

	// The rooms, created before the sessions start.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	creator, err := client.Dial(ctx, "ws://"+n0.addr+"/messaging/", client.WithToken("1"))
	if err != nil {
		t.Fatal(err)
	}
	others := make([]int64, 0, users-1)
	for u := int64(2); u <= users; u++ {
		others = append(others, u)
	}
	roomIDs := make([]string, rooms)
	for i := range roomIDs {
		roomIDs[i] = createRoom(t, creator, map[string]any{"type": protocol.RoomGroup, "name": fmt.Sprint("room ", i), "participants": others}).ID
	}
	_ = creator.Close()

	// The sessions, each read continuously from the start.
	type inbox struct {
		mu   sync.Mutex
		msgs map[string][]client.Message
	}
	sessions := make([]*client.Session, users)
	inboxes := make([]*inbox, users)
	var readers sync.WaitGroup
	for i := range sessions {
		s, err := client.Resume(ctx, door.url(), client.WithDialOptions(client.WithToken(strconv.Itoa(i+1))),
			client.WithBackoff(10*time.Millisecond, 200*time.Millisecond))
		if err != nil {
			t.Fatalf("user %d: %v", i+1, err)
		}
		sessions[i], inboxes[i] = s, &inbox{msgs: map[string][]client.Message{}}
		readers.Add(1)
		go func(in *inbox) {
			defer readers.Done()
			for m := range s.Messages() {
				in.mu.Lock()
				in.msgs[m.RoomID] = append(in.msgs[m.RoomID], m)
				in.mu.Unlock()
			}
		}(inboxes[i])
	}
	defer func() {
		for _, s := range sessions {
			_ = s.Close()
		}
		readers.Wait()
	}()

	// The faults, while the sends run.
	var sent atomic.Int64
	stopFaults := make(chan struct{})
	faultsDone := make(chan struct{})
	var drops, restarts, cuts int
	go func() {
		defer close(faultsDone)
		r := rand.New(rand.NewPCG(1, 2))
		restarted, cut := false, false
		for {
			select {
			case <-stopFaults:
				return
			case <-time.After(time.Duration(50+r.IntN(100)) * time.Millisecond):
			}
			if drops < 150 { // bounded, so a slow machine does not drop forever
				door.drop(r)
				drops++
			}
			switch done := sent.Load(); {
			case !restarted && done >= users*perUser*3/10:
				restarted = true
				n1.stop()
				time.Sleep(200 * time.Millisecond)
				n1.start(nil)
				restarts++
			case !cut && done >= users*perUser*6/10:
				cut = true
				redisProxy.Cut()
				time.Sleep(500 * time.Millisecond)
				redisProxy.Restore()
				cuts++
			}
		}
	}()

	var senders sync.WaitGroup
	errs := make(chan error, users)
	for i, s := range sessions {
		senders.Add(1)
		go func() {
			defer senders.Done()
			for k := range perUser {
				content := fmt.Sprintf("u%d-%d", i+1, k)
				if _, err := s.SendMessage(ctx, roomIDs[k%rooms], content); err != nil {
					errs <- fmt.Errorf("user %d, %s: %w", i+1, content, err)
					return
				}
				sent.Add(1)
			}
		}()
	}
	senders.Wait()
	close(stopFaults)
	<-faultsDone
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	t.Logf("%d messages sent through %d dropped connections, %d node restart, %d Redis cut", sent.Load(), drops, restarts, cuts)
	if restarts != 1 || cuts != 1 {
		t.Fatalf("faults injected: %d restarts, %d cuts; want 1 and 1", restarts, cuts)
	}

	// Every client ends with every message of both rooms, in seq order.
	want := users * perUser / rooms
	deadline := time.Now().Add(20 * time.Second)
	for i, in := range inboxes {
		for {
			in.mu.Lock()
			counts := make([]int, rooms)
			full := true
			for r, id := range roomIDs {
				counts[r] = len(in.msgs[id])
				full = full && counts[r] >= want
			}
			var last []int64
			for _, id := range roomIDs {
				seen := map[int64]bool{}
				for _, m := range in.msgs[id] {
					seen[m.Seq] = true
				}
				for s := int64(1); s <= int64(want); s++ {
					if !seen[s] {
						last = append(last, -s)
					}
				}
				if ms := in.msgs[id]; len(ms) > 0 {
					last = append(last, ms[len(ms)-1].Seq)
				}
			}
			in.mu.Unlock()
			if full {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("user %d holds %v messages (missing as negative, then last seqs: %v), want %d per room; session connected: %v, err %v",
					i+1, counts, last, want, sessions[i].Connected(), sessions[i].Err())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	time.Sleep(100 * time.Millisecond) // a repeat would have arrived by now
	for i, in := range inboxes {
		in.mu.Lock()
		for r, id := range roomIDs {
			got := in.msgs[id]
			if len(got) != want {
				t.Errorf("user %d, room %d: %d messages, want %d", i+1, r, len(got), want)
			}
			for k, m := range got {
				if m.Seq != int64(k+1) {
					t.Fatalf("user %d, room %d: message %d has seq %d: a gap or a repeat", i+1, r, k, m.Seq)
				}
			}
		}
		in.mu.Unlock()
	}
	// One row per intended message, and each intended message stored.
	for r, id := range roomIDs {
		var rows, distinct int
		err := db.NewRaw("SELECT count(*), count(DISTINCT content) FROM rtchat_messages WHERE room_id = ?", id).Scan(ctx, &rows, &distinct)
		if err != nil {
			t.Fatal(err)
		}
		if rows != want || distinct != want {
			t.Errorf("room %d: %d rows, %d distinct contents; want %d of each", r, rows, distinct, want)
		}
	}
	if err := ctx.Err(); errors.Is(err, context.DeadlineExceeded) {
		t.Fatal("the test ran out of time")
	}
}
