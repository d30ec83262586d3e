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
// spill into the next. It is safe for concurrent use.
func Sanitize(content string) string {
	content = strings.ReplaceAll(content, "\x00", "")
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
		z     = html.NewTokenizer(strings.NewReader(s))
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
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			open := -1
			for i := len(stack) - 1; i >= 0; i-- {
				if stack[i] == string(name) {
					open = i
					break
				}
			}
			if open < 0 {
				continue // closes nothing
			}
			for i := len(stack) - 1; i > open; i-- {
				b.WriteString("</" + stack[i] + ">")
			}
			stack = stack[:open]
		}
		b.Write(z.Raw())
	}
}
