package jsclient_test

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rtchat/rtchat/jsclient"
)

// TestHandler checks what Handler answers: the module with its headers at
// any path ending in rtchat.js, 304 for a matching ETag, 404 elsewhere and
// 405 for methods other than GET and HEAD.
func TestHandler(t *testing.T) {
	want, err := fs.ReadFile(jsclient.FS(), jsclient.Name)
	if err != nil || !strings.Contains(string(want), "export class Chat") {
		t.Fatalf("FS holds no module: %v", err)
	}
	h := jsclient.Handler()
	get := func(method, path string, header http.Header) *http.Response {
		t.Helper()
		r := httptest.NewRequest(method, path, nil)
		for k, v := range header {
			r.Header[k] = v
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Result()
	}

	res := get(http.MethodGet, "/static/rtchat.js", nil)
	body, _ := io.ReadAll(res.Body)
	etag := res.Header.Get("ETag")
	if res.StatusCode != http.StatusOK || string(body) != string(want) {
		t.Fatalf("GET: %d, %d bytes; want 200 and the module", res.StatusCode, len(body))
	}
	for k, v := range map[string]string{
		"Content-Type":           "text/javascript; charset=utf-8",
		"X-Content-Type-Options": "nosniff",
		"Cache-Control":          "no-cache",
	} {
		if got := res.Header.Get(k); got != v {
			t.Errorf("GET: %s %q, want %q", k, got, v)
		}
	}
	if len(etag) < 10 || etag[0] != '"' {
		t.Fatalf("GET: ETag %q, want a strong tag", etag)
	}

	for _, tc := range []struct {
		name, method, path string
		header             http.Header
		status             int
		body               bool
	}{
		{"at the root", http.MethodGet, "/rtchat.js", nil, http.StatusOK, true},
		{"under a prefix", http.MethodGet, "/assets/v2/rtchat.js", nil, http.StatusOK, true},
		{"HEAD has no body", http.MethodHead, "/static/rtchat.js", nil, http.StatusOK, false},
		{"the same ETag is not modified", http.MethodGet, "/static/rtchat.js", http.Header{"If-None-Match": {etag}}, http.StatusNotModified, false},
		{"one of several ETags, weak", http.MethodGet, "/static/rtchat.js", http.Header{"If-None-Match": {`"old", W/` + etag}}, http.StatusNotModified, false},
		{"another ETag is served", http.MethodGet, "/static/rtchat.js", http.Header{"If-None-Match": {`"old"`}}, http.StatusOK, true},
		{"another file", http.MethodGet, "/static/app.js", nil, http.StatusNotFound, false},
		{"a directory named rtchat.js", http.MethodGet, "/static/rtchat.js/", nil, http.StatusNotFound, false},
		{"a longer name", http.MethodGet, "/static/xrtchat.js", nil, http.StatusNotFound, false},
		{"POST", http.MethodPost, "/static/rtchat.js", nil, http.StatusMethodNotAllowed, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := get(tc.method, tc.path, tc.header)
			body, _ := io.ReadAll(res.Body)
			if res.StatusCode != tc.status {
				t.Fatalf("%s %s: %d, want %d", tc.method, tc.path, res.StatusCode, tc.status)
			}
			if got := string(body) == string(want); got != tc.body {
				t.Fatalf("%s %s: module served %v, want %v", tc.method, tc.path, got, tc.body)
			}
			if tc.status == http.StatusMethodNotAllowed && res.Header.Get("Allow") != "GET, HEAD" {
				t.Fatalf("405 without Allow: GET, HEAD")
			}
		})
	}
}
