package serializer_test

import (
	"net/url"
	"strings"
	"sync"
	"testing"

	"golang.org/x/net/html"

	"github.com/rtchat/rtchat/serializer"
)

// The expected outputs below are bluemonday's exact output for the policy of
// docs/protocol.md §4, each checked by hand to be inert in a browser: no script,
// no event handler, no style, no link outside http, https and mailto.
func TestSanitize(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		// Script-bearing elements go, with their content.
		{"script element removed with its code", `hi<script>alert(1)</script>there`, `hithere`},
		{"mixed case script removed", `<ScRiPt>alert(1)</sCrIpT>`, ``},
		{"nested script trick leaves only inert text", `<scr<script>ipt>alert(1)</script>`, `&lt;scr`},
		{"nested closing tag trick leaves only inert text", `<scr<script>ipt>alert(1)</scr</script>ipt>`, `&lt;script&gt;`},
		{"unclosed script at the end removed", `<a href="http://x">x</a><script>`, `<a href="http://x">x</a>`},
		{"iframe removed", `<iframe src="https://evil.example"></iframe>`, ``},
		{"object and embed removed", `<object data="x.swf"></object><embed src="x.swf">`, ``},
		{"img with onerror removed", `<img src=x onerror=alert(1)>`, ``},
		{"img with javascript src removed", `<img src="javascript:alert(1)">`, ``},
		{"svg with onload removed", `<svg onload=alert(1)>`, ``},
		{"svg child text kept without the handler", `<svg><g onload="alert(1)">t</g></svg>`, `t`},
		{"mathml with javascript xlink keeps only text", `<math><mi xlink:href="javascript:alert(1)">x</mi></math>`, `x`},
		{"form and input removed", `<form action="https://evil"><input name=x></form>`, ``},
		{"base, meta and link removed", `<base href="https://evil/"><meta http-equiv="refresh" content="0;url=javascript:alert(1)"><link rel=stylesheet href=https://evil>`, ``},
		{"noscript attribute breakout stays text", `<noscript><p title="</noscript><img src=x onerror=alert(1)>">`, `&#34;&gt;`},
		{"attribute breakout prefix escaped", `"><script>alert(1)</script>`, `&#34;&gt;`},
		{"textarea content escaped as text", `<textarea><script>alert(1)</script></textarea>`, `&lt;script&gt;alert(1)&lt;/script&gt;`},
		{"null byte in tag name is dropped, then the script", "<scr\x00ipt>alert(1)</script>", ``},

		// Comments.
		{"comment removed", `a<!-- secret -->b`, `ab`},
		{"script inside comment removed", `<!--<script>alert(1)</script>-->`, ``},

		// Attributes.
		{"onclick on allowed b removed", `<b onclick="alert(1)">x</b>`, `<b>x</b>`},
		{"onmouseover on allowed span removed", `<span onmouseover="alert(1)">x</span>`, `<span>x</span>`},
		{"onclick on link removed, href kept", `<a href="http://x" onclick=alert(1)>x</a>`, `<a href="http://x">x</a>`},
		{"quoted onclick on link removed", `<a href="http://x" onclick="alert(1)">x</a>`, `<a href="http://x">x</a>`},
		{"style attribute removed", `<p style="color:red">x</p>`, `<p>x</p>`},
		{"style attribute on link removed", `<a href="http://x" style="color:red">x</a>`, `<a href="http://x">x</a>`},
		{"style removed, class kept", `<span class="x" style="position:fixed">t</span>`, `<span class="x">t</span>`},
		{"style element removed with its rules", `<style>body{background:url(javascript:alert(1))}</style>text`, `text`},
		{"title only allowed on a", `<b title="t">x</b>`, `<b>x</b>`},
		{"rel not allowed", `<a href="http://x" rel="opener">x</a>`, `<a href="http://x">x</a>`},
		{"quote in title escaped", `<a href="http://x" title="&quot; onmouseover=alert(1)">x</a>`, `<a href="http://x" title="&#34; onmouseover=alert(1)">x</a>`},
		{"markup in title escaped", `<a href="https://e.com" title="<script>alert(1)</script>">x</a>`, `<a href="https://e.com" title="&lt;script&gt;alert(1)&lt;/script&gt;">x</a>`},

		// Link schemes: the a tag goes, its text stays.
		{"javascript link dropped", `<a href="javascript:alert(1)">x</a>`, `x`},
		{"mixed case javascript link dropped", `<a href="JaVaScRiPt:alert(1)">x</a>`, `x`},
		{"javascript link with leading spaces dropped", `<a href="  javascript:alert(1)">x</a>`, `x`},
		{"javascript link with tab entity dropped", `<a href="java&#09;script:alert(1)">x</a>`, `x`},
		{"javascript link with encoded letter dropped", `<a href="&#106;avascript:alert(1)">x</a>`, `x`},
		{"data link dropped", `<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>`, `x`},
		{"vbscript link dropped", `<a href="vbscript:msgbox(1)">x</a>`, `x`},
		{"relative link dropped", `<a href="/relative">r</a>`, `r`},
		{"protocol relative link dropped", `<a href="//evil.example/x">r</a>`, `r`},
		{"a without href dropped", `<a>no href</a>`, `no href`},
		{"mailto link kept", `<a href="mailto:a@b.c">m</a>`, `<a href="mailto:a@b.c">m</a>`},
		{"markup in href query escaped", `<a href="https://e.com/?q=<script>">x</a>`, `<a href="https://e.com/?q=&lt;script&gt;">x</a>`},

		// Other tags removed, text kept.
		{"div removed, text kept", `<div>kept text</div>`, `kept text`},

		// Entities and plain text.
		{"escaped script stays escaped", `&lt;script&gt;alert(1)&lt;/script&gt;`, `&lt;script&gt;alert(1)&lt;/script&gt;`},
		{"numeric entities come out escaped", `&#60;script&#62;`, `&lt;script&gt;`},
		{"escaped ampersand stays escaped", `&amp;lt;`, `&amp;lt;`},
		{"plain text with < and & escaped", `1 < 2 & 3 > 2`, `1 &lt; 2 &amp; 3 &gt; 2`},
		{"heart emoticon kept", `x <3 y`, `x &lt;3 y`},
		{"ampersand in words escaped", `Tom & Jerry`, `Tom &amp; Jerry`},

		// Allowed markup kept as it is.
		{"bold kept", `<b>bold</b>`, `<b>bold</b>`},
		{"emphasis kept", `<em>e</em><strong>s</strong><i>i</i>`, `<em>e</em><strong>s</strong><i>i</i>`},
		{"link with title and target kept", `<a href="https://e.com" title="t" target="_blank">x</a>`, `<a href="https://e.com" title="t" target="_blank">x</a>`},
		{"link with class and id kept", `<a href="http://x" id="a1" class="c">x</a>`, `<a href="http://x" id="a1" class="c">x</a>`},
		{"paragraph with class and id kept", `<p class="c" id="i">para</p>`, `<p class="c" id="i">para</p>`},
		{"lists kept", `<ul><li>one</li><li>two</li></ul><ol><li>x</li></ol>`, `<ul><li>one</li><li>two</li></ul><ol><li>x</li></ol>`},
		{"line breaks kept", `line<br>break<br/>`, `line<br>break<br/>`},
		{"text after a < that opens no tag kept", `if a<b then`, `if a&lt;b then`},
		{"bare < before a letter at the end kept", `a<b`, `a&lt;b`},
		{"unclosed allowed tag closed", `<b>unclosed`, `<b>unclosed</b>`},
		{"unclosed link closed", `<a href="https://e.com">unclosed`, `<a href="https://e.com">unclosed</a>`},
		{"crossed tags balanced", `<b><i>x</b>y</i>`, `<b><i>x</i></b>y`},
		{"stray end tag dropped", `</b>stray`, `stray`},
		{"javascript target dropped", `<a href="https://e.com" target="javascript:alert(1)">x</a>`, `<a href="https://e.com">x</a>`},
		{"empty input", ``, ``},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := serializer.Sanitize(tt.in)
			if got != tt.want {
				t.Errorf("Sanitize(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
			// Sanitising is a fixed point: running it again changes nothing.
			if again := serializer.Sanitize(got); again != got {
				t.Errorf("Sanitize is not idempotent on %q: %q then %q", tt.in, got, again)
			}
			assertInert(t, got)
		})
	}
}

// assertInert parses s as a browser would and fails on any tag, attribute or
// link scheme outside the policy of docs/protocol.md §4.
func assertInert(t testing.TB, s string) {
	t.Helper()
	allowedTags := map[string]bool{"b": true, "i": true, "strong": true, "em": true, "a": true, "span": true, "p": true, "ul": true, "ol": true, "li": true, "br": true}
	z := html.NewTokenizer(strings.NewReader(s))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return
		case html.CommentToken, html.DoctypeToken:
			t.Errorf("output %q keeps a comment or doctype", s)
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			tok := z.Token()
			if !allowedTags[tok.Data] {
				t.Errorf("output %q has tag <%s>", s, tok.Data)
			}
			for _, a := range tok.Attr {
				switch {
				case a.Key == "class" || a.Key == "id":
				case tok.Data == "a" && (a.Key == "title" || a.Key == "target"):
				case tok.Data == "a" && a.Key == "href":
					u, err := url.Parse(strings.TrimSpace(a.Val))
					if err != nil || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "mailto") {
						t.Errorf("output %q links to %q", s, a.Val)
					}
				default:
					t.Errorf("output %q has attribute %s on <%s>", s, a.Key, tok.Data)
				}
			}
		}
	}
}

// Sanitize builds its policy once; concurrent first calls must not race.
func TestSanitizeConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if got := serializer.Sanitize(`<b onclick="x">y</b>`); got != `<b>y</b>` {
				t.Errorf("got %q", got)
			}
		}()
	}
	wg.Wait()
}

// Elements whose content is code or an embedded document lose their text
// too; everything else keeps it.
func TestSanitizeDropsEmbeddedContent(t *testing.T) {
	for in, want := range map[string]string{
		`<object>fallback text</object>`:                     ``,
		`<iframe src="https://evil.example">inside</iframe>`: ``,
		`<div>kept</div><section>kept too</section>`:         `keptkept too`,
	} {
		if got := serializer.Sanitize(in); got != want {
			t.Errorf("Sanitize(%q) = %q, want %q", in, got, want)
		}
	}
}
