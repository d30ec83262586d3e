package exampletest

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/gorilla/websocket"
	"github.com/rtchat/rtchat/client"
	"github.com/rtchat/rtchat/internal/exampleapp"
	"github.com/rtchat/rtchat/protocol"
)

// The wire shapes the scenarios read (docs/protocol.md §4), as far as they check.
type (
	user struct {
		ID       int64  `json:"id"`
		Username string `json:"username"`
	}
	message struct {
		ID   string `json:"id"`
		Room struct {
			ID string `json:"id"`
		} `json:"room"`
		Sender      user    `json:"sender"`
		Content     string  `json:"content"`
		Seq         int64   `json:"seq"`
		ClientMsgID *string `json:"client_msg_id"`
	}
	roomDetail struct {
		ID           string `json:"id"`
		Type         string `json:"type"`
		Participants []user `json:"participants"`
	}
	roomItem struct {
		ID          string   `json:"id"`
		Type        string   `json:"type"`
		Peer        *user    `json:"peer"`
		LastSeq     int64    `json:"last_seq"`
		LastMessage *message `json:"last_message"`
	}
	history struct {
		Data struct {
			RoomID   string    `json:"room_id"`
			Messages []message `json:"messages"`
		} `json:"data"`
		HasMore bool `json:"has_more"`
	}
)

func testChat(t *testing.T, e *Env) {
	ctx := testCtx(t)
	alice := e.Register(t, "alice", "alice-password")
	bob := e.Register(t, "bob", "bob-password")
	a := e.Dial(t, e.WS, client.WithToken(alice.Token))
	b := e.Dial(t, e.WS, client.WithToken(bob.Token))

	f, err := a.Request(ctx, protocol.EventRoomCreate, map[string]any{
		"type": protocol.RoomOneToOne, "participants": []int64{bob.ID},
	})
	if err != nil {
		t.Fatalf("room.create: %v", err)
	}
	if f.EventType != protocol.DispatchRoomCreate {
		t.Fatalf("room.create answered %q, want %s", f.EventType, protocol.DispatchRoomCreate)
	}
	room := decode[roomDetail](t, f)
	if room.Type != protocol.RoomOneToOne || !sameUsers(room.Participants, alice, bob) {
		t.Fatalf("created room = %+v, want a 1:1 of alice and bob with their usernames", room)
	}
	fb, err := b.Next(ctx, protocol.DispatchRoomCreate)
	if err != nil {
		t.Fatalf("bob waiting for %s: %v", protocol.DispatchRoomCreate, err)
	}
	if got := decode[roomDetail](t, fb); got.ID != room.ID || !sameUsers(got.Participants, alice, bob) {
		t.Fatalf("bob's %s = %+v, want room %s", protocol.DispatchRoomCreate, got, room.ID)
	}

	users := []Session{alice, bob}
	conns := []*client.Client{a, b}

	// Turn by turn: each message reaches both connections before the next.
	const turns = 6
	for i := range turns {
		from, seq := i%2, int64(i+1)
		content := fmt.Sprintf("message %d from %s", seq, users[from].Username)
		sent, err := conns[from].SendMessage(ctx, room.ID, content)
		if err != nil {
			t.Fatalf("%s sends %q: %v", users[from].Username, content, err)
		}
		if m := decode[message](t, sent); m.Seq != seq || m.ClientMsgID == nil {
			t.Fatalf("%s's own copy has seq %d and client_msg_id %v, want seq %d and its client_msg_id", users[from].Username, m.Seq, m.ClientMsgID, seq)
		}
		for to, c := range conns {
			m := nextMessage(t, c, users[to].Username)
			if m.Seq != seq || m.Content != content || m.Room.ID != room.ID {
				t.Fatalf("%s got seq %d %q in room %s, want seq %d %q in room %s", users[to].Username, m.Seq, m.Content, m.Room.ID, seq, content, room.ID)
			}
			if m.Sender.ID != users[from].ID || m.Sender.Username != users[from].Username {
				t.Fatalf("%s got sender %+v, want id %d username %q (the user lookup)", users[to].Username, m.Sender, users[from].ID, users[from].Username)
			}
		}
	}

	// Both at once: each connection still gets every message once, in one
	// gap-free seq order, each with its own sender's username.
	const burst = 10
	var wg sync.WaitGroup
	errs := make(chan error, len(conns))
	for k, c := range conns {
		wg.Go(func() {
			for n := range burst {
				if _, err := c.SendMessage(ctx, room.ID, fmt.Sprintf("burst %d from %s", n, users[k].Username)); err != nil {
					errs <- fmt.Errorf("%s sends burst %d: %w", users[k].Username, n, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	const total = turns + 2*burst
	for to, c := range conns {
		for seq := int64(turns + 1); seq <= total; seq++ {
			m := nextMessage(t, c, users[to].Username)
			if m.Seq != seq {
				t.Fatalf("%s got seq %d, want %d: a room's messages arrive in seq order", users[to].Username, m.Seq, seq)
			}
			if !strings.HasSuffix(m.Content, " from "+m.Sender.Username) {
				t.Fatalf("%s got %q with sender %+v", users[to].Username, m.Content, m.Sender)
			}
		}
	}

	// room.list is also a barrier: anything still queued would be a duplicate.
	for to, c := range conns {
		f, err := c.Request(ctx, protocol.EventRoomList, nil)
		if err != nil {
			t.Fatalf("%s room.list: %v", users[to].Username, err)
		}
		if n := c.Pending(protocol.DispatchMessage); n != 0 {
			t.Fatalf("%s has %d more message.dispatch frames than messages sent", users[to].Username, n)
		}
		list := decode[[]roomItem](t, f)
		peer := users[1-to]
		if len(list) != 1 || list[0].ID != room.ID || list[0].LastSeq != total ||
			list[0].Peer == nil || list[0].Peer.Username != peer.Username {
			t.Fatalf("%s room.list = %+v, want room %s with peer %q and last_seq %d", users[to].Username, list, room.ID, peer.Username, total)
		}
	}

	// History: newest first by default; after_seq pages oldest first.
	f, err = b.Request(ctx, protocol.EventRoomMessages, map[string]any{"room_id": room.ID, "limit": 200})
	if err != nil {
		t.Fatalf("room.messages: %v", err)
	}
	h := decode[history](t, f)
	if len(h.Data.Messages) != total || h.HasMore {
		t.Fatalf("room.messages: %d messages, has_more %v; want %d, false", len(h.Data.Messages), h.HasMore, total)
	}
	for i, m := range h.Data.Messages {
		if want := int64(total - i); m.Seq != want || !strings.HasSuffix(m.Content, " from "+m.Sender.Username) {
			t.Fatalf("history[%d] = seq %d %q from %+v, want seq %d from its sender's username", i, m.Seq, m.Content, m.Sender, want)
		}
	}
	f, err = a.Request(ctx, protocol.EventRoomMessages, map[string]any{"room_id": room.ID, "after_seq": 3, "limit": 2})
	if err != nil {
		t.Fatalf("room.messages after_seq: %v", err)
	}
	if h := decode[history](t, f); len(h.Data.Messages) != 2 || h.Data.Messages[0].Seq != 4 || h.Data.Messages[1].Seq != 5 || !h.HasMore {
		t.Fatalf("room.messages after_seq 3 limit 2 = %+v, want seqs 4, 5 and has_more", h)
	}
}

// nextMessage returns the next message.dispatch of c.
func nextMessage(t *testing.T, c *client.Client, who string) message {
	t.Helper()
	f, err := c.Next(testCtx(t), protocol.DispatchMessage)
	if err != nil {
		t.Fatalf("%s waiting for %s: %v", who, protocol.DispatchMessage, err)
	}
	return decode[message](t, f)
}

// sameUsers reports whether got is exactly the users of ss, by id and
// username, in any order.
func sameUsers(got []user, ss ...Session) bool {
	if len(got) != len(ss) {
		return false
	}
	want := make(map[user]bool, len(ss))
	for _, s := range ss {
		want[user{s.ID, s.Username}] = true
	}
	for _, u := range got {
		if !want[u] {
			return false
		}
		delete(want, u)
	}
	return true
}

func testCookieAuth(t *testing.T, e *Env) {
	ctx := testCtx(t)
	creds := map[string]string{"username": "carol", "password": "carol-password"}
	reg := e.PostJSON(t, "/api/register", creds)
	if reg.Status != http.StatusCreated || cookie(reg, exampleapp.CookieName) == nil {
		t.Fatalf("register: HTTP %d, cookies %v; want 201 with %s", reg.Status, reg.Cookies, exampleapp.CookieName)
	}
	res := e.PostJSON(t, "/api/login", creds)
	if res.Status != http.StatusOK {
		t.Fatalf("login: HTTP %d %s", res.Status, res.Body)
	}
	c := cookie(res, exampleapp.CookieName)
	if c == nil || c.Value == "" || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.MaxAge <= 0 {
		t.Fatalf("login cookie = %+v, want a persistent HttpOnly SameSite=Lax cookie on /", c)
	}

	// What a browser on the page sends: the cookie and its own origin.
	hdr := http.Header{"Cookie": {(&http.Cookie{Name: c.Name, Value: c.Value}).String()}, "Origin": {e.URL}}
	ws := e.Dial(t, e.WS, client.WithHeader(hdr))
	f, err := ws.Request(ctx, protocol.EventRoomList, nil)
	if err != nil || f.EventType != protocol.DispatchRoomList {
		t.Fatalf("room.list over the cookie's connection = %+v, %v", f, err)
	}

	me := e.Do(t, http.MethodGet, "/api/me", "", nil, http.Header{"Cookie": hdr["Cookie"]})
	if me.Status != http.StatusOK || !strings.Contains(string(me.Body), `"username":"carol"`) {
		t.Fatalf("GET /api/me with the cookie: HTTP %d %s", me.Status, me.Body)
	}
	out := e.Do(t, http.MethodPost, "/api/logout", "", nil, http.Header{"Cookie": hdr["Cookie"]})
	if gone := cookie(out, exampleapp.CookieName); out.Status != http.StatusNoContent || gone == nil || gone.MaxAge >= 0 {
		t.Fatalf("logout: HTTP %d, cookie %+v; want 204 and the cookie removed", out.Status, gone)
	}
}

func cookie(r Response, name string) *http.Cookie {
	for _, c := range r.Cookies {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func testQueryTokenAuth(t *testing.T, e *Env) {
	ctx := testCtx(t)
	dan := e.Register(t, "dan", "dan-password")
	ws := e.Dial(t, e.WS+"?token="+url.QueryEscape(dan.Token))
	f, err := ws.Request(ctx, protocol.EventRoomList, nil)
	if err != nil || f.EventType != protocol.DispatchRoomList {
		t.Fatalf("room.list over the ?token= connection = %+v, %v", f, err)
	}
}

func testNoToken(t *testing.T, e *Env) {
	eve := e.Register(t, "eve", "eve-password")
	sub := strconv.FormatInt(eve.ID, 10)
	cases := []struct {
		name string
		url  string
		opts []client.Option
	}{
		{"no token at all", e.WS, nil},
		{"a bearer token that is not a JWT", e.WS, []client.Option{client.WithToken("not-a-jwt")}},
		{"a token signed with another secret", e.WS, []client.Option{client.WithToken(sign(t, jwt.SigningMethodHS256, []byte("another secret"), sub, time.Hour))}},
		{"an expired token", e.WS, []client.Option{client.WithToken(sign(t, jwt.SigningMethodHS256, []byte(testSecret), sub, -time.Minute))}},
		{"an unsigned alg=none token", e.WS, []client.Option{client.WithToken(sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, sub, time.Hour))}},
		{"a bad token in the query", e.WS + "?token=garbage", nil},
		{"a bad token in the cookie", e.WS, []client.Option{client.WithHeader(http.Header{"Cookie": {exampleapp.CookieName + "=garbage"}})}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { e.DialStatus(t, http.StatusUnauthorized, tc.url, tc.opts...) })
	}
	// The same secret and subject do work: the cases above fail for the
	// reason they name.
	e.Dial(t, e.WS, client.WithToken(sign(t, jwt.SigningMethodHS256, []byte(testSecret), sub, time.Hour)))
}

// sign makes a token like the app's, with another method, key or expiry.
func sign(t *testing.T, m jwt.SigningMethod, key any, subject string, ttl time.Duration) string {
	t.Helper()
	now := time.Now()
	s, err := jwt.NewWithClaims(m, jwt.RegisteredClaims{
		Subject: subject, IssuedAt: jwt.NewNumericDate(now.Add(-time.Hour)), ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
	}).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func testOrigins(t *testing.T, e *Env) {
	fay := e.Register(t, "fay", "fay-password")
	withOrigin := func(o string) []client.Option {
		return []client.Option{client.WithToken(fay.Token), client.WithHeader(http.Header{"Origin": {o}})}
	}
	e.DialStatus(t, http.StatusForbidden, e.WS, withOrigin("http://evil.example")...)
	e.Dial(t, e.WS, withOrigin(AllowedOrigin)...)
	e.Dial(t, e.WS, withOrigin(e.URL)...)
}

func testLogin(t *testing.T, e *Env) {
	e.Register(t, "gus", "gus-password")
	cases := []struct {
		name, username, password string
		want                     int
	}{
		{"wrong password", "gus", "not-gus-password", http.StatusUnauthorized},
		{"unknown user", "nobody", "gus-password", http.StatusUnauthorized},
		{"empty password", "gus", "", http.StatusBadRequest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := e.PostJSON(t, "/api/login", map[string]string{"username": tc.username, "password": tc.password})
			if res.Status != tc.want || res.Error() == "" || cookie(res, exampleapp.CookieName) != nil {
				t.Fatalf("login: HTTP %d %s cookies %v, want %d with a JSON error and no cookie", res.Status, res.Body, res.Cookies, tc.want)
			}
		})
	}
	s := e.Login(t, "gus", "gus-password")
	e.Dial(t, e.WS, client.WithToken(s.Token))
}

func testRegisterErrors(t *testing.T, e *Env) {
	e.Register(t, "hal", "hal-password")
	cases := []struct {
		name        string
		contentType string
		body        string
		want        int
	}{
		{"username taken", "application/json", `{"username":"hal","password":"another-password"}`, http.StatusConflict},
		{"username too short", "application/json", `{"username":"h","password":"hal-password"}`, http.StatusBadRequest},
		{"username with a space", "application/json", `{"username":"h a l","password":"hal-password"}`, http.StatusBadRequest},
		{"password too short", "application/json", `{"username":"hal2","password":"short"}`, http.StatusBadRequest},
		{"password longer than bcrypt reads", "application/json", `{"username":"hal2","password":"` + strings.Repeat("x", 73) + `"}`, http.StatusBadRequest},
		{"body not JSON", "application/json", `username=hal2`, http.StatusBadRequest},
		{"form content type", "application/x-www-form-urlencoded", `{"username":"hal2","password":"hal-password"}`, http.StatusUnsupportedMediaType},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := e.Do(t, http.MethodPost, "/api/register", tc.contentType, []byte(tc.body), nil)
			if res.Status != tc.want || res.Error() == "" || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
				t.Fatalf("register: HTTP %d %q %s, want %d with a JSON error", res.Status, res.Header.Get("Content-Type"), res.Body, tc.want)
			}
		})
	}
}

func testUserSearch(t *testing.T, e *Env) {
	ivy := e.Register(t, "ivy", "ivy-password")
	jo := e.Register(t, "jo.b", "jo-password")
	bearer := http.Header{"Authorization": {"Bearer " + ivy.Token}}
	cases := []struct {
		name, path string
		header     http.Header
		want       int
		body       string
	}{
		{"search without a session", "/api/users?username=jo.b", nil, http.StatusUnauthorized, ""},
		{"search finds a user", "/api/users?username=jo.b", bearer, http.StatusOK, fmt.Sprintf(`{"id":%d,"username":"jo.b"}`, jo.ID)},
		{"search for nobody", "/api/users?username=nobody", bearer, http.StatusNotFound, ""},
		{"me without a session", "/api/me", nil, http.StatusUnauthorized, ""},
		{"me with a session", "/api/me", bearer, http.StatusOK, fmt.Sprintf(`{"id":%d,"username":"ivy"}`, ivy.ID)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := e.Do(t, http.MethodGet, tc.path, "", nil, tc.header)
			if res.Status != tc.want || (tc.body != "" && strings.TrimSpace(string(res.Body)) != tc.body) {
				t.Fatalf("GET %s: HTTP %d %s, want %d %s", tc.path, res.Status, res.Body, tc.want, tc.body)
			}
		})
	}
}

func testUnknownUser(t *testing.T, e *Env) {
	kim := e.Register(t, "kim", "kim-password")
	ws := e.Dial(t, e.WS, client.WithToken(kim.Token))
	_, err := ws.Request(testCtx(t), protocol.EventRoomCreate, map[string]any{
		"type": protocol.RoomOneToOne, "participants": []int64{kim.ID + 1000},
	})
	var pe *protocol.Error
	if !errors.As(err, &pe) || pe.Code != protocol.CodeNotFound {
		t.Fatalf("room.create with an unknown user: %v, want error %d", err, protocol.CodeNotFound)
	}
}

// testPage: the page, its script and style and the JS client module are
// served with their types, and the page allows no other host (its CSP).
func testPage(t *testing.T, e *Env) {
	res := e.Do(t, http.MethodGet, "/", "", nil, nil)
	if res.Status != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /: HTTP %d %q, want 200 text/html", res.Status, res.Header.Get("Content-Type"))
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Fatalf("GET /: Content-Security-Policy %q, want one starting from default-src 'none'", csp)
	}
	for _, want := range []string{"<title>rtchat example</title>", `src="/static/app.js"`, `href="/static/app.css"`} {
		if !strings.Contains(string(res.Body), want) {
			t.Fatalf("GET /: the page lacks %q", want)
		}
	}
	for path, typ := range map[string]string{
		"/static/app.js": "text/javascript", "/static/app.css": "text/css", "/static/rtchat.js": "text/javascript",
	} {
		res := e.Do(t, http.MethodGet, path, "", nil, nil)
		if res.Status != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), typ) || len(res.Body) == 0 {
			t.Fatalf("GET %s: HTTP %d %q, %d bytes; want 200 %s", path, res.Status, res.Header.Get("Content-Type"), len(res.Body), typ)
		}
	}
}

func testShutdown(t *testing.T, e *Env) {
	lee := e.Register(t, "lee", "lee-password")
	ws := e.Dial(t, e.WS, client.WithToken(lee.Token))
	e.Shutdown(t)
	select {
	case <-ws.Closed():
	case <-testCtx(t).Done():
		t.Fatal("the connection outlived the shutdown")
	}
	if code := ws.CloseCode(); code != websocket.CloseGoingAway {
		t.Fatalf("close code %d (%v), want %d going away", code, ws.CloseError(), websocket.CloseGoingAway)
	}
}
