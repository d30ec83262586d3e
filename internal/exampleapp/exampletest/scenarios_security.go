package exampletest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/rtchat/rtchat/client"
	"github.com/rtchat/rtchat/internal/exampleapp"
)

// securityScenarios are the scenarios of issue 12's findings on the example
// apps, run after scenarios in the same way.
var securityScenarios = []struct {
	name string
	run  func(t *testing.T, e *Env)
}{
	{"a valid token of a user who does not exist is refused with 401", testGhostToken},
	{"usernames are unique, and found, ignoring case", testUsernameCase},
}

// testGhostToken signs valid tokens for a user id never registered and for
// a user deleted since: neither opens a WebSocket, by bearer, query or
// cookie, nor reaches /api/users or /api/me.
func testGhostToken(t *testing.T, e *Env) {
	ctx := testCtx(t)
	pat := e.Register(t, "pat", "pat-password")
	// Gone's token works, until gone is deleted.
	gone := e.Register(t, "gone", "gone-password")
	e.Dial(t, e.WS, client.WithToken(gone.Token))
	db, err := e.Config.OpenDB(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.NewDelete().TableExpr("example_users").Where("id = ?", gone.ID).Exec(ctx); err != nil {
		t.Fatalf("delete the user: %v", err)
	}

	tokens := map[string]string{
		"a user never registered": sign(t, jwt.SigningMethodHS256, []byte(testSecret), strconv.FormatInt(pat.ID+1<<40, 10), time.Hour),
		"a user deleted since":    gone.Token,
	}
	for who, token := range tokens {
		t.Run(who, func(t *testing.T) {
			cookieHeader := http.Header{"Cookie": {(&http.Cookie{Name: exampleapp.CookieName, Value: token}).String()}}
			bearerHeader := http.Header{"Authorization": {"Bearer " + token}}
			t.Run("websocket with a bearer token", func(t *testing.T) {
				e.DialStatus(t, http.StatusUnauthorized, e.WS, client.WithToken(token))
			})
			t.Run("websocket with the token in the query", func(t *testing.T) {
				e.DialStatus(t, http.StatusUnauthorized, e.WS+"?token="+url.QueryEscape(token))
			})
			t.Run("websocket with the cookie", func(t *testing.T) {
				e.DialStatus(t, http.StatusUnauthorized, e.WS, client.WithHeader(cookieHeader))
			})
			q := url.QueryEscape(token)
			for _, tc := range []struct {
				how, path string
				header    http.Header
			}{
				{"bearer", "/api/users?username=pat", bearerHeader},
				{"query", "/api/users?username=pat&token=" + q, nil},
				{"cookie", "/api/users?username=pat", cookieHeader},
				{"bearer", "/api/me", bearerHeader},
				{"query", "/api/me?token=" + q, nil},
				{"cookie", "/api/me", cookieHeader},
			} {
				route, _, _ := strings.Cut(tc.path, "?")
				t.Run(fmt.Sprintf("GET %s with the %s token", route, tc.how), func(t *testing.T) {
					if res := e.Do(t, http.MethodGet, tc.path, "", nil, tc.header); res.Status != http.StatusUnauthorized {
						t.Fatalf("GET %s: HTTP %d %s, want 401", tc.path, res.Status, res.Body)
					}
				})
			}
		})
	}
	// The same routes do answer pat's own token, so the 401s above are the
	// ghost's.
	if res := e.Do(t, http.MethodGet, "/api/users?username=pat&token="+url.QueryEscape(pat.Token), "", nil, nil); res.Status != http.StatusOK {
		t.Fatalf("GET /api/users with pat's token in the query: HTTP %d %s, want 200", res.Status, res.Body)
	}
	e.Dial(t, e.WS, client.WithHeader(http.Header{"Cookie": {(&http.Cookie{Name: exampleapp.CookieName, Value: pat.Token}).String()}}))
}

// testUsernameCase registers a name, then the same in other cases: they are
// taken; login and user search find the user whatever the case, and show
// the name as registered.
func testUsernameCase(t *testing.T, e *Env) {
	mia := e.Register(t, "Mia.K", "mia-password")
	for _, name := range []string{"mia.k", "MIA.K", "mIa.K"} {
		if res := e.PostJSON(t, "/api/register", map[string]string{"username": name, "password": "other-password"}); res.Status != http.StatusConflict {
			t.Fatalf("register %q after %q: HTTP %d %s, want 409", name, mia.Username, res.Status, res.Body)
		}
	}
	res := e.PostJSON(t, "/api/login", map[string]string{"username": "mia.K", "password": "mia-password"})
	var s Session
	if err := json.Unmarshal(res.Body, &s); res.Status != http.StatusOK || err != nil || s.ID != mia.ID || s.Username != "Mia.K" || s.Token == "" {
		t.Fatalf("login as %q: HTTP %d %s, want 200 as user %d %q", "mia.K", res.Status, res.Body, mia.ID, mia.Username)
	}
	if res := e.PostJSON(t, "/api/login", map[string]string{"username": "MIA.k", "password": "wrong-password"}); res.Status != http.StatusUnauthorized {
		t.Fatalf("login with the wrong password in another case: HTTP %d %s, want 401", res.Status, res.Body)
	}
	res = e.Do(t, http.MethodGet, "/api/users?username=MIA.K", "", nil, http.Header{"Authorization": {"Bearer " + s.Token}})
	if want := fmt.Sprintf(`{"id":%d,"username":"Mia.K"}`, mia.ID); res.Status != http.StatusOK || strings.TrimSpace(string(res.Body)) != want {
		t.Fatalf("GET /api/users?username=MIA.K: HTTP %d %s, want 200 %s", res.Status, res.Body, want)
	}
}
