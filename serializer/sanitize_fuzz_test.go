package serializer_test

import (
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/net/html"

	"github.com/rtchat/rtchat/serializer"
)

// FuzzSanitize checks the invariants of Sanitize on any content:
//   - it is idempotent: sanitised content passes through unchanged;
//   - the output is valid UTF-8 and has no NUL;
//   - the output has no "<script" (in any case) and every tag in it is an
//     allowed one with allowed attributes only, links being http, https or
//     mailto, and no attribute value starting with a script scheme;
//   - content with nothing to sanitise (no markup character, no NUL, valid
//     UTF-8) comes out as it went in, but for its line endings, which
//     become "\n" as HTML parsing makes them; and no output is longer than six
//     bytes per input byte (the longest escape, plus the end tags
//     balancing adds).
func FuzzSanitize(f *testing.F) {
	f.Fuzz(func(t *testing.T, in string) {
		out := serializer.Sanitize(in)
		if again := serializer.Sanitize(out); again != out {
			t.Fatalf("not idempotent:\n in:  %q\n out: %q\n again: %q", in, out, again)
		}
		if !utf8.ValidString(out) || strings.ContainsRune(out, 0) {
			t.Fatalf("output %q is not valid UTF-8 without NUL", out)
		}
		if strings.Contains(strings.ToLower(out), "<script") {
			t.Fatalf("output %q has a script tag", out)
		}
		if len(out) > 6*len(in) {
			t.Fatalf("output of %d bytes for %d bytes in: %q -> %q", len(out), len(in), in, out)
		}
		if utf8.ValidString(in) && !strings.ContainsAny(in, "<>&\"'\x00") && out != newlines.Replace(in) {
			t.Fatalf("plain text changed: %q -> %q", in, out)
		}
		checkMarkup(t, in, out)
	})
}

// newlines makes line endings "\n", as the HTML parser does.
var newlines = strings.NewReplacer("\r\n", "\n", "\r", "\n")

// allowedAttrs is the allow-list of docs/protocol.md §4: tag -> attributes
// beyond class and id.
var allowedAttrs = map[string][]string{
	"b": nil, "i": nil, "strong": nil, "em": nil, "span": nil, "p": nil,
	"ul": nil, "ol": nil, "li": nil, "br": nil, "a": {"href", "title", "target"},
}

// checkMarkup parses the output as a browser would and checks every tag and
// attribute against the allow-list.
func checkMarkup(t *testing.T, in, out string) {
	t.Helper()
	z := html.NewTokenizer(strings.NewReader(out))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return
		case html.CommentToken, html.DoctypeToken:
			t.Fatalf("%q -> %q: a comment or doctype is left", in, out)
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			extra, ok := allowedAttrs[tok.Data]
			if !ok {
				t.Fatalf("%q -> %q: tag %q is not allowed", in, out, tok.Data)
			}
			for _, a := range tok.Attr {
				if a.Key != "class" && a.Key != "id" && !contains(extra, a.Key) {
					t.Fatalf("%q -> %q: attribute %q on %q is not allowed", in, out, a.Key, tok.Data)
				}
				v := strings.ToLower(strings.Map(dropSpace, a.Val))
				for _, scheme := range []string{"javascript:", "vbscript:", "data:"} {
					if strings.HasPrefix(v, scheme) {
						t.Fatalf("%q -> %q: attribute %s=%q has a script scheme", in, out, a.Key, a.Val)
					}
				}
				if a.Key == "href" {
					u, err := url.Parse(a.Val)
					if err != nil || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "mailto") {
						t.Fatalf("%q -> %q: href %q is not an http, https or mailto link", in, out, a.Val)
					}
				}
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// dropSpace drops what a browser ignores inside a URL scheme (space and
// control characters).
func dropSpace(r rune) rune {
	if r <= ' ' {
		return -1
	}
	return r
}
