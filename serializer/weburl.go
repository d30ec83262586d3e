package serializer

import (
	"net/url"
	"strings"
)

// IsWebURL reports whether s is an absolute http or https URL with a host:
// what a client may store as a link that other users' pages load or open
// (a room's avatar). Other schemes (javascript:, data:, file:) run script
// or read local files when a page puts them in src or href.
func IsWebURL(s string) bool {
	if strings.ContainsAny(s, " \t\r\n\\") {
		return false
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		return true
	}
	return false
}

// validAvatar is the avatar check: a web URL, or "" (no avatar; in
// room.modify, clear it).
func validAvatar(s string) bool { return s == "" || IsWebURL(s) }
