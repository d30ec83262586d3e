package searchtext

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestPlainText(t *testing.T) {
	for in, want := range map[string]string{
		"plain  text\n here":                                 "plain text here",
		"<p>one</p><p>two</p>":                               "one two",
		"<b>hel</b>lo <i>there</i>":                          "hello there",
		`a <a href="https://x.example/p" title="t">link</a>`: "a link",
		"line<br>break<br/>again":                            "line break again",
		"AT&amp;T don&#39;t &lt;3":                           "AT&T don't <3",
		"<ul><li>a</li><li>b</li></ul>":                      "a b",
	} {
		if got := PlainText(in); got != want {
			t.Errorf("PlainText(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWords(t *testing.T) {
	if got := Words(`Fox, "fox"  QUICK-brown 42 café`); !slices.Equal(got, []string{"fox", "quick", "brown", "42", "café"}) {
		t.Fatalf("Words = %q", got)
	}
	if got := Words("?! ..."); len(got) != 0 {
		t.Fatalf("Words of punctuation = %q", got)
	}
	if got := FTS5Query([]string{"fox", "or"}); got != `"fox" "or"` {
		t.Fatalf("FTS5Query = %s", got)
	}
}

func TestSnippet(t *testing.T) {
	s, hl := Snippet("the Quick brown fox", []string{"quick", "fox"})
	if s != "the Quick brown fox" || !slices.Equal(hl, [][2]int{{4, 9}, {16, 19}}) {
		t.Fatalf("short: %q %v", s, hl)
	}
	// Offsets count code points, not bytes.
	s, hl = Snippet("ça va, Zoë? zoë!", []string{"zoë"})
	if s != "ça va, Zoë? zoë!" || !slices.Equal(hl, [][2]int{{7, 10}, {12, 15}}) {
		t.Fatalf("accents: %q %v", s, hl)
	}
	// No match: the start of the text.
	s, hl = Snippet(strings.Repeat("word ", 100), []string{"none"})
	if !strings.HasSuffix(s, Ellipsis) || strings.HasPrefix(s, Ellipsis) || len(hl) != 0 || utf8.RuneCountInString(s) > SnippetRunes+1 {
		t.Fatalf("no match: %q %v", s, hl)
	}
	// A match far in: cut around it, at word boundaries.
	text := strings.Repeat("lorem ipsum ", 40) + "target " + strings.Repeat("dolor sit ", 40)
	s, hl = Snippet(text, []string{"target"})
	runes := []rune(s)
	if !strings.HasPrefix(s, Ellipsis+"lorem") && !strings.HasPrefix(s, Ellipsis+"ipsum") {
		t.Fatalf("far: starts %q", s[:20])
	}
	if len(hl) != 1 || string(runes[hl[0][0]:hl[0][1]]) != "target" || len(runes) > SnippetRunes+2 {
		t.Fatalf("far: %q %v", s, hl)
	}
	// A match near the end: the snippet ends with the text.
	text = strings.Repeat("lorem ipsum ", 40) + "target"
	s, hl = Snippet(text, []string{"target"})
	if !strings.HasSuffix(s, "target") || len(hl) != 1 || string([]rune(s)[hl[0][0]:hl[0][1]]) != "target" {
		t.Fatalf("end: %q %v", s, hl)
	}
}
