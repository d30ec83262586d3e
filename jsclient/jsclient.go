package jsclient

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
)

// Name is the file name of the module, the last element of every path
// Handler serves.
const Name = "rtchat.js"

//go:embed rtchat.js
var files embed.FS

// source is the module's text, and etag its strong validator.
var source, etag = func() ([]byte, string) {
	b, err := files.ReadFile(Name)
	if err != nil {
		panic("jsclient: " + err.Error()) // embedded at build time: cannot happen
	}
	sum := sha256.Sum256(b)
	return b, `"` + hex.EncodeToString(sum[:12]) + `"`
}()

// FS returns a file system holding rtchat.js at its root, for an app that
// serves static files its own way (http.FileServerFS, echo's StaticFS).
func FS() fs.FS { return files }

// Handler returns a handler that serves rtchat.js at any path whose last
// element is rtchat.js (so it works mounted at /static/rtchat.js or under a
// prefix) and answers 404 to every other path. It answers GET and HEAD only
// (405 otherwise), with Content-Type text/javascript, nosniff, an ETag and
// Cache-Control no-cache, so browsers revalidate and pick up a new version
// at once, and 304 to a matching If-None-Match.
func Handler() http.Handler {
	return http.HandlerFunc(serve)
}

func serve(w http.ResponseWriter, r *http.Request) {
	if p := r.URL.Path; p[strings.LastIndex(p, "/")+1:] != Name {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/javascript; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", etag)
	if matches(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(source)))
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(source)
}

// matches reports whether an If-None-Match header names tag (or is "*").
// Weak comparison, as RFC 9110 asks for If-None-Match.
func matches(header, tag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == tag {
			return true
		}
	}
	return false
}
