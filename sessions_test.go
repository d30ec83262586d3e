package rtchat_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"
	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/client"
	"github.com/rtchat/rtchat/internal/dbtest"
	"github.com/rtchat/rtchat/model"
	"github.com/rtchat/rtchat/protocol"
	"github.com/uptrace/bun"
)

// disconnects counts, per user, the connections whose disconnect handling
// has finished (the OnDisconnect hook runs last), so a test can wait for the
// server to be done with a closed connection.
type disconnects struct {
	mu     sync.Mutex // guards byUser
	byUser map[int64]int
}

func (d *disconnects) option() rtchat.Option {
	return rtchat.WithHooks(rtchat.Hooks{OnDisconnect: func(_ context.Context, e rtchat.DisconnectEvent) {
		d.mu.Lock()
		defer d.mu.Unlock()
		if d.byUser == nil {
			d.byUser = map[int64]int{}
		}
		d.byUser[e.Conn.UserID]++
	}})
}

// wait waits until n connections of user have been handled.
func (d *disconnects) wait(t testing.TB, user int64, n int) {
	t.Helper()
	waitFor(t, "disconnect of user "+strconv.FormatInt(user, 10), func() bool {
		d.mu.Lock()
		defer d.mu.Unlock()
		return d.byUser[user] >= n
	})
}

// sessions returns a user's session rows, oldest first.
func sessions(t testing.TB, db *bun.DB, user int64) []model.Session {
	t.Helper()
	var rows []model.Session
	if err := db.NewSelect().Model(&rows).Where("user_id = ?", user).Order("connected_at", "id").Scan(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	return rows
}

// openSession returns the one open session row of user.
func openSession(t testing.TB, db *bun.DB, user int64) model.Session {
	t.Helper()
	var open []model.Session
	for _, s := range sessions(t, db, user) {
		if s.DisconnectedAt == nil {
			open = append(open, s)
		}
	}
	if len(open) != 1 {
		t.Fatalf("user %d has %d open sessions, want 1", user, len(open))
	}
	return open[0]
}

// rawDial opens a bare gorilla connection for user, which reads nothing (so
// answers no ping) unless the test reads it.
func (h *harness) rawDial(t testing.TB, user int64) *websocket.Conn {
	t.Helper()
	ws, resp, err := websocket.DefaultDialer.DialContext(testCtx(t), h.url, http.Header{"Authorization": {"Bearer " + strconv.FormatInt(user, 10)}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	t.Cleanup(func() { _ = ws.Close() })
	return ws
}

func TestEveryDeviceGetsRoomEventsAndRepliesStayWithTheCaller(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		d1, d2, b := h.dial(t, 1), h.dial(t, 1), h.dial(t, 2)
		room := createRoom(t, d1, map[string]any{"type": protocol.RoomOneToOne, "participants": []int64{2}})
		for name, c := range map[string]*client.Client{"device 2": d2, "B": b} {
			if got := decode[wireRoom](t, next(t, c, protocol.DispatchRoomCreate)); got.ID != room.ID {
				t.Fatalf("%s got room %s, want %s", name, got.ID, room.ID)
			}
		}
		// A message from B reaches both devices.
		send(t, b, room.ID, "from B")
		for name, c := range map[string]*client.Client{"device 1": d1, "device 2": d2} {
			if m := decode[wireMessage](t, next(t, c, protocol.DispatchMessage)); m.Content != "from B" {
				t.Fatalf("%s got %+v", name, m)
			}
		}
		// A message from device 1 reaches device 1 (with its request_id),
		// device 2 (without it) and B.
		f, err := d1.SendMessage(testCtx(t), room.ID, "from device 1")
		if err != nil {
			t.Fatal(err)
		}
		if f.RequestID == "" {
			t.Fatal("the sender's copy carries no request_id")
		}
		for name, c := range map[string]*client.Client{"device 1": d1, "device 2": d2, "B": b} {
			m := next(t, c, protocol.DispatchMessage)
			if got := decode[wireMessage](t, m); got.Content != "from device 1" || got.Sender.ID != 1 {
				t.Fatalf("%s got %+v", name, got)
			}
			if c != d1 && m.RequestID != "" {
				t.Fatalf("%s got the sender's request_id %q", name, m.RequestID)
			}
		}
		// Replies go to the requesting connection only.
		request(t, d1, protocol.EventRoomList, nil)
		request(t, d1, protocol.EventRoomInfo, map[string]any{"room_id": room.ID})
		request(t, d1, protocol.EventRoomMessages, map[string]any{"room_id": room.ID})
		request(t, d1, protocol.EventPresenceQuery, map[string]any{"user_ids": []int64{2}})
		barrier(t, d2)
		for _, event := range []string{protocol.DispatchRoomList, protocol.DispatchRoomInfo, protocol.DispatchRoomMessages, protocol.DispatchPresence, protocol.DispatchHeartbeat} {
			if n := d2.Pending(event); n != 0 {
				t.Errorf("device 2 received %d %s meant for device 1", n, event)
			}
		}
		barrier(t, d1)
		for _, event := range []string{protocol.DispatchRoomList, protocol.DispatchRoomInfo, protocol.DispatchRoomMessages} {
			if n := d1.Pending(event); n != 1 {
				t.Errorf("device 1 has %d %s, want its own one", n, event)
			}
		}
	})
}

func TestHeartbeatMovesLastSeenForward(t *testing.T) {
	eachNodeDB(t, func(t *testing.T, h *harness) {
		a := h.dial(t, 1)
		first := openSession(t, h.db, 1)
		if first.NodeID != "node-a" || !first.LastSeen.Equal(first.ConnectedAt) {
			t.Fatalf("new session = %+v, want node-a and last_seen = connected_at", first)
		}
		prev := first.LastSeen
		for i := range 2 {
			waitFor(t, "last_seen to move forward", func() bool {
				f := request(t, a, protocol.EventSessionHeartbeat, nil)
				if f.Status != "success" {
					t.Fatalf("heartbeat answered %+v", f)
				}
				return openSession(t, h.db, 1).LastSeen.After(prev)
			})
			prev = openSession(t, h.db, 1).LastSeen
			t.Logf("heartbeat %d: last_seen %v", i+1, prev)
		}
		a.Drain(protocol.DispatchHeartbeat)
	}, rtchat.WithNodeID("node-a"))
}

// A client whose WebSocket library answers pings stays connected past the
// threshold without sending a frame, and its pongs move last_seen forward.
func TestPongsKeepConnectionAliveAndRefreshLastSeen(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		a := h.dial(t, 1)
		start := openSession(t, h.db, 1)
		waitFor(t, "pongs to carry last_seen past two thresholds", func() bool {
			s := openSession(t, h.db, 1)
			return s.LastSeen.Sub(start.ConnectedAt) >= 2*time.Second
		})
		if err := a.CloseError(); err != nil {
			t.Fatalf("connection closed: %v", err)
		}
		barrier(t, a)
	}, rtchat.WithInactivityThreshold(time.Second))
}

func TestSilentClientIsClosedAndGoesOffline(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		var gone disconnects
		h := newHarness(t, db, rtchat.WithInactivityThreshold(time.Second), gone.option())
		a := h.dial(t, 1)
		createRoom(t, a, map[string]any{"type": protocol.RoomOneToOne, "participants": []int64{2}})
		dialed := time.Now()
		silent := h.rawDial(t, 2) // never reads, so never answers a ping
		if p := decode[wirePresence](t, next(t, a, protocol.DispatchPresence)); !p.is(2, true) {
			t.Fatalf("A got %+v, want user 2 online", p)
		}
		ctx, cancel := context.WithDeadline(testCtx(t), dialed.Add(3*time.Second))
		defer cancel()
		f, err := a.Next(ctx, protocol.DispatchPresence)
		if err != nil {
			t.Fatalf("user 2 not reported offline within 3s of connecting silently: %v", err)
		}
		p := decode[wirePresence](t, f)
		if !p.is(2, false) || p.Users[0].LastSeen == nil {
			t.Fatalf("A got %+v, want user 2 offline with last_seen", p)
		}
		t.Logf("silent client reported offline %v after connecting", time.Since(dialed).Round(time.Millisecond))
		gone.wait(t, 2, 1)
		if s := h.chat.Stats(); s.Conns != 1 || s.Users != 1 {
			t.Fatalf("index %+v, want A's connection only", s)
		}
		rows := sessions(t, h.db, 2)
		if len(rows) != 1 || rows[0].DisconnectedAt == nil {
			t.Fatalf("silent client's rows = %+v, want one marked disconnected", rows)
		}
		// The socket was closed by the server: reading it ends in an error.
		_ = silent.SetReadDeadline(time.Now().Add(5 * time.Second))
		for {
			if _, _, err := silent.ReadMessage(); err != nil {
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					t.Fatal("the silent connection is still open")
				}
				break
			}
		}
		barrier(t, a) // A, which answers pings, is still connected
	})
}

// A client that answers no ping stays connected while it sends frames or
// pings of its own more often than the threshold, and is closed once it
// stops.
func TestFramesAndClientPingsCountAsActivity(t *testing.T) {
	for name, talk := range map[string]func(ws *websocket.Conn) error{
		"text frames": func(ws *websocket.Conn) error {
			return ws.WriteMessage(websocket.TextMessage, []byte(`{"event_type":"room.list"}`))
		},
		"client pings": func(ws *websocket.Conn) error {
			return ws.WriteControl(websocket.PingMessage, []byte("hi"), time.Now().Add(time.Second))
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dbtest.Each(t, func(t *testing.T, db *bun.DB) {
				t.Parallel()
				var gone disconnects
				h := newHarness(t, db, rtchat.WithInactivityThreshold(time.Second), gone.option())
				ws := h.rawDial(t, 1) // reads nothing while it talks: server pings go unanswered
				started := time.Now()
				for time.Since(started) < 2500*time.Millisecond {
					if err := talk(ws); err != nil {
						t.Fatalf("connection closed after %v of activity: %v", time.Since(started), err)
					}
					time.Sleep(200 * time.Millisecond) // the pace of a talking client, not a wait for the server
				}
				if s := h.chat.Stats(); s.Conns != 1 {
					t.Fatalf("index %+v, want the talking connection", s)
				}
				// Silence now: the server closes it.
				gone.wait(t, 1, 1)
			})
		})
	}
}

func TestSweeperDeletesOldSessions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		var gone disconnects
		h := newHarness(t, db, rtchat.WithSessionRetention(time.Second), gone.option())
		a := h.dial(t, 1)
		_ = a.Close()
		gone.wait(t, 1, 1)
		if rows := sessions(t, h.db, 1); len(rows) != 1 || rows[0].DisconnectedAt == nil {
			t.Fatalf("rows = %+v, want one marked disconnected", rows)
		}
		b := h.dial(t, 2) // keeps the node serving
		waitFor(t, "the disconnected row to be deleted", func() bool { return len(sessions(t, h.db, 1)) == 0 })
		if rows := sessions(t, h.db, 2); len(rows) != 1 || rows[0].DisconnectedAt != nil {
			t.Fatalf("live rows = %+v, want B's open row kept", rows)
		}
		barrier(t, b)
	})
}

func TestRestartedNodeMarksSessionsItLeftOpen(t *testing.T) {
	eachNodeDB(t, func(t *testing.T, h *harness) {
		ctx := testCtx(t)
		hourAgo := model.Now().Add(-time.Hour)
		crashed := &model.Session{ID: uuid.NewString(), UserID: 5, NodeID: "node-a", ConnectedAt: hourAgo, LastSeen: hourAgo.Add(time.Minute)}
		elsewhere := &model.Session{ID: uuid.NewString(), UserID: 6, NodeID: "node-b", ConnectedAt: hourAgo, LastSeen: model.Now()}
		for _, s := range []*model.Session{crashed, elsewhere} {
			if _, err := h.db.NewInsert().Model(s).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		a := h.dial(t, 1) // the first connection starts the sweeper
		waitFor(t, "the crashed run's row to be marked", func() bool { return sessions(t, h.db, 5)[0].DisconnectedAt != nil })
		if got := sessions(t, h.db, 5)[0]; !got.DisconnectedAt.Equal(crashed.LastSeen) {
			t.Fatalf("crashed row = %+v, want disconnected at its last_seen %v", got, crashed.LastSeen)
		}
		if got := sessions(t, h.db, 6)[0]; got.DisconnectedAt != nil {
			t.Fatalf("another node's row was marked: %+v", got)
		}
		openSession(t, h.db, 1) // this run's own row stays open
		barrier(t, a)
	}, rtchat.WithNodeID("node-a"))
}

func TestCloseSendsGoingAwayToEveryConnection(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		h := newHarness(t, db)
		var members []int64
		for u := int64(2); u <= 50; u++ {
			members = append(members, u)
		}
		var clients []*client.Client
		first := h.dial(t, 1)
		createRoom(t, first, map[string]any{"type": protocol.RoomGroup, "name": "all", "participants": members})
		clients = append(clients, first)
		for i := 1; i < 100; i++ {
			clients = append(clients, h.dial(t, int64(1+i%50))) // 50 users, two devices each
		}
		if s := h.chat.Stats(); s.Conns != 100 || s.Users != 50 {
			t.Fatalf("index %+v, want 100 connections of 50 users", s)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		start := time.Now()
		if err := h.chat.Close(ctx); err != nil {
			t.Fatalf("Close with 100 connections did not return within a second: %v", err)
		}
		t.Logf("Close with 100 connections took %v", time.Since(start).Round(time.Millisecond))
		for i, c := range clients {
			select {
			case <-c.Closed():
			case <-testCtx(t).Done():
				t.Fatalf("client %d still open", i)
			}
			if code := c.CloseCode(); code != protocol.CloseGoingAway {
				t.Fatalf("client %d: close code %d (%v), want 1001", i, code, c.CloseError())
			}
		}
		if s := h.chat.Stats(); s != (rtchat.Stats{}) {
			t.Fatalf("index after Close = %+v, want empty", s)
		}
		var open int
		if err := h.db.NewSelect().Model((*model.Session)(nil)).ColumnExpr("count(*)").Where("disconnected_at IS NULL").Scan(testCtx(t), &open); err != nil || open != 0 {
			t.Fatalf("%d sessions still open after Close (%v)", open, err)
		}
		// A closed chat refuses new connections.
		_, err := client.Dial(testCtx(t), h.url, client.WithToken("1"))
		var he *client.HandshakeError
		if !errors.As(err, &he) || he.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("dial after Close: %v, want HTTP 503", err)
		}
	})
}
