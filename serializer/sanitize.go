package serializer

import (
	"sync"

	"github.com/microcosm-cc/bluemonday"
)

var (
	policyOnce sync.Once
	policy     *bluemonday.Policy
)

// contentPolicy is the allow-list of PROTOCOL.md §4: tags b, i, strong, em,
// a, span, p, ul, ol, li, br; href/title/target on a with http, https and
// mailto links only; class and id on any allowed tag. Other tags are removed
// and their text kept (script and style lose their text too).
func contentPolicy() *bluemonday.Policy {
	policyOnce.Do(func() {
		p := bluemonday.NewPolicy()
		p.AllowElements("b", "i", "strong", "em", "a", "span", "p", "ul", "ol", "li", "br")
		p.AllowAttrs("href", "title", "target").OnElements("a")
		p.AllowURLSchemes("http", "https", "mailto")
		p.RequireParseableURLs(true)
		p.AllowAttrs("class", "id").Globally()
		policy = p
	})
	return policy
}

// Sanitize returns content with everything outside the allow-list removed.
// It is safe for concurrent use.
func Sanitize(content string) string {
	return contentPolicy().Sanitize(content)
}
