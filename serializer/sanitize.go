package serializer

import (
	"regexp"
	"strings"
	"sync"

	"github.com/microcosm-cc/bluemonday"
	"golang.org/x/net/html"
)

var (
	policyOnce sync.Once
	policy     *bluemonday.Policy

	// tagStart matches a '<' that opens a complete tag or a comment; any
	// other '<' is text ("if a<b then", "<3").
	tagStart = regexp.MustCompile(`^<(?:!--|/?[A-Za-z][A-Za-z0-9]*(?:[\s/](?:"[^"]*"|'[^']*'|[^<>"'])*)?>)`)
)

// plainText drops NUL and makes line endings "\n".
var plainText = strings.NewReplacer("\x00", "", "\r\n", "\n", "\r", "\n")

// contentPolicy is the allow-list of docs/protocol.md §4: tags b, i, strong, em,
// a, span, p, ul, ol, li, br; href/title/target on a with http, https and
// mailto links only (target one of _blank, _self, _parent, _top); class and
// id on any allowed tag. Other tags are removed and their text kept, except
// the elements whose content is code or embedded documents (script, style,
// iframe, object, noscript, title and the like), which go with their
// content.
func contentPolicy() *bluemonday.Policy {
	policyOnce.Do(func() {
		p := bluemonday.NewPolicy()
		p.AllowElements("b", "i", "strong", "em", "a", "span", "p", "ul", "ol", "li", "br")
		p.AllowAttrs("href", "title").OnElements("a")
		p.AllowAttrs("target").Matching(regexp.MustCompile(`^_(?:blank|self|parent|top)$`)).OnElements("a")
		p.AllowURLSchemes("http", "https", "mailto")
		p.RequireParseableURLs(true)
		p.AllowAttrs("class", "id").Globally()
		policy = p
	})
	return policy
}

// Sanitize returns content with everything outside the allow-list removed,
// a '<' that opens no tag kept as text, and the allowed tags balanced (stray
// end tags dropped, unclosed ones closed), so one message's markup can never
// spill into the next. Invalid UTF-8 becomes U+FFFD, as a JSON frame's
// decoding makes it, so content given from Go is stored as content sent by
// a client would be (Postgres refuses invalid UTF-8); NUL is dropped; line
// endings become "\n", as the HTML parser makes them in markup, so that
// plain text and markup end lines alike. It is safe for concurrent use.
func Sanitize(content string) string {
	content = plainText.Replace(strings.ToValidUTF8(content, "\uFFFD"))
	return balance(contentPolicy().Sanitize(escapeStrayLT(content)))
}

// escapeStrayLT escapes every '<' that does not open a complete tag or a
// comment, so the HTML parser does not take the text after it for a tag.
func escapeStrayLT(s string) string {
	if !strings.Contains(s, "<") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for {
		i := strings.IndexByte(s, '<')
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		if tagStart.MatchString(s[i:]) {
			b.WriteByte('<')
		} else {
			b.WriteString("&lt;")
		}
		s = s[i+1:]
	}
}

// balance closes the allowed tags that the sanitised markup left open and
// drops end tags that close nothing, keeping every other byte as it is.
func balance(s string) string {
	if !strings.Contains(s, "<") {
		return s
	}
	var (
		b     strings.Builder
		stack []string
		// open counts the tags of each name on the stack, so an end tag
		// that closes nothing is dropped without walking the stack:
		// thousands of them after thousands of open tags would otherwise
		// cost their product.
		open = map[string]int{}
		z    = html.NewTokenizer(strings.NewReader(s))
	)
	b.Grow(len(s) + 16)
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			for i := len(stack) - 1; i >= 0; i-- {
				b.WriteString("</" + stack[i] + ">")
			}
			return b.String()
		case html.StartTagToken:
			name, _ := z.TagName()
			if string(name) != "br" {
				stack = append(stack, string(name))
				open[string(name)]++
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			if open[string(name)] == 0 {
				continue // closes nothing
			}
			at := len(stack) - 1
			for stack[at] != string(name) {
				at--
			}
			for i := len(stack) - 1; i >= at; i-- {
				if i > at {
					b.WriteString("</" + stack[i] + ">")
				}
				open[stack[i]]--
			}
			stack = stack[:at]
		}
		b.Write(z.Raw())
	}
}
