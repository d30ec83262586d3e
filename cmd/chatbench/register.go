package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"
)

// registerAuth returns the auth of a running example app (echoexample,
// ginexample): it signs user "cb<n>" in through the app's JSON API,
// registering the user first if needed. The app gives its users ids of its
// own, so it returns the token and that id.
func registerAuth(wsURL string) authFunc {
	u, _ := url.Parse(wsURL) // already parsed by newDialer
	scheme := "http"
	if u.Scheme == "wss" {
		scheme = "https"
	}
	base := scheme + "://" + u.Host
	hc := &http.Client{Timeout: 30 * time.Second}
	type signedIn struct {
		token string
		id    int64
	}
	var cache sync.Map // user -> signedIn
	return func(user int64) (string, int64, error) {
		if s, ok := cache.Load(user); ok {
			return s.(signedIn).token, s.(signedIn).id, nil
		}
		body, _ := json.Marshal(map[string]string{"username": "cb" + strconv.FormatInt(user, 10), "password": "chatbench-password"})
		var s signedIn
		for _, path := range []string{"/api/login", "/api/register"} {
			resp, err := hc.Post(base+path, "application/json", bytes.NewReader(body))
			if err != nil {
				return "", 0, fmt.Errorf("chatbench: %s: %w", path, err)
			}
			var out struct {
				ID    int64  `json:"id"`
				Token string `json:"token"`
			}
			_ = json.NewDecoder(resp.Body).Decode(&out)
			_ = resp.Body.Close()
			if resp.StatusCode/100 == 2 && out.Token != "" {
				s = signedIn{out.Token, out.ID}
				break
			}
		}
		if s.token == "" {
			return "", 0, fmt.Errorf("chatbench: could not sign in or register user cb%d at %s", user, base)
		}
		cache.Store(user, s)
		return s.token, s.id, nil
	}
}
