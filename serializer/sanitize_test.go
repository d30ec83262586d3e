package serializer_test

import (
	"fmt"
	"testing"

	"github.com/rtchat/rtchat/serializer"
)

func TestSanitizeProbe(t *testing.T) {
	for _, in := range []string{
		"a<b",
		"if a<b then",
		"x <3 y",
		"a <b> c",
		"5 > 3",
		`<a>no href</a>`,
		`<a href="https://e.com" target="javascript:alert(1)">x</a>`,
		`<a href="http://x" title="&quot; onmouseover=alert(1)">x</a>`,
		`<a href="https://e.com">unclosed`,
		"<scr\x00ipt>alert(1)</script>",
		`<a href="http://x" rel="opener">x</a>`,
		`<object>fallback text</object>`,
		`<title>t</title>body`,
		`<a href="https://user:pw@e.com">x</a>`,
		`<a href="http://x">x</a><script>`,
		`<img src="javascript:alert(1)">`,
		`<a href="&#106;avascript:alert(1)">x</a>`,
		`<a href="https://e.com" title="<script>alert(1)</script>">x</a>`,
		`<span class="x" style="position:fixed">t</span>`,
		`<base href="https://evil/">`,
		`<meta http-equiv="refresh" content="0;url=javascript:alert(1)">`,
		`<link rel=stylesheet href=https://evil>`,
		`&amp;lt;`,
		`&#60;script&#62;`,
		`<b>unclosed`,
		`</b>stray`,
	} {
		fmt.Printf("%q\n\t=> %q\n", in, serializer.Sanitize(in))
	}
}
