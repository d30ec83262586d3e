// Package searchtext is the text side of message search: the plain text of
// a message's sanitised HTML, the words of a query, the FTS5 query that
// finds them on SQLite, and the highlighted snippet of a result. The model
// (which indexes the text on SQLite) and the handler (which builds the
// snippets) share it, so both see the same words.
package searchtext

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
)

// block are the tags of the content allow-list that separate words; the
// others (b, i, strong, em, a, span) are inline: "<b>hel</b>lo" is "hello".
var block = map[string]bool{"p": true, "br": true, "ul": true, "ol": true, "li": true}

// PlainText returns the text a reader sees in sanitised content: tags
// dropped (their attributes with them), entities decoded, block tags and
// line breaks as spaces, runs of white space as one space, trimmed.
func PlainText(content string) string {
	if !strings.ContainsAny(content, "<&") {
		return collapse(content)
	}
	var b strings.Builder
	z := html.NewTokenizer(strings.NewReader(content))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return collapse(b.String())
		case html.TextToken:
			b.Write(z.Text())
		case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			if block[string(name)] {
				b.WriteByte(' ')
			}
		}
	}
}

// collapse makes every run of white space one space and trims the ends.
func collapse(s string) string { return strings.Join(strings.Fields(s), " ") }

// isWordRune reports whether r belongs to a word: letters, numbers and
// private-use characters, as SQLite's unicode61 tokenizer has it.
func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.Co, r)
}

// span is a word's place in a text, in runes, end exclusive.
type span struct{ start, end int }

// words returns the words of runes with their places.
func words(runes []rune) []span {
	var out []span
	start := -1
	for i, r := range runes {
		if isWordRune(r) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			out = append(out, span{start, i})
			start = -1
		}
	}
	if start >= 0 {
		out = append(out, span{start, len(runes)})
	}
	return out
}

// Words returns the distinct words of a query, lower-cased, in order: the
// terms a message must all contain.
func Words(query string) []string {
	runes := []rune(query)
	var out []string
	seen := map[string]bool{}
	for _, w := range words(runes) {
		t := strings.ToLower(string(runes[w.start:w.end]))
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}

// FTS5Query returns the FTS5 MATCH expression that finds every term: each
// a quoted string (so no term is read as an operator), all required. It is
// "" for no terms.
func FTS5Query(terms []string) string {
	q := make([]string, len(terms))
	for i, t := range terms {
		q[i] = `"` + strings.ReplaceAll(t, `"`, `""`) + `"`
	}
	return strings.Join(q, " ")
}

// SnippetRunes is the most runes of text a snippet shows, ellipses aside.
const SnippetRunes = 160

// snippetLead is how many runes of context a snippet keeps before the first
// match when it has to cut.
const snippetLead = 40

// Ellipsis marks where a snippet cuts the text.
const Ellipsis = "…"

// Snippet returns the part of text around the first word that is one of
// terms (lower-case), at most SnippetRunes runes cut at word boundaries
// with Ellipsis where text goes on, and the places of the matching words in
// the snippet as [start, end) offsets in Unicode code points (runes).
// Without a match it is the start of text, with no highlights.
func Snippet(text string, terms []string) (string, [][2]int) {
	want := map[string]bool{}
	for _, t := range terms {
		want[t] = true
	}
	runes := []rune(text)
	ws := words(runes)
	var hits []span
	for _, w := range ws {
		if want[strings.ToLower(string(runes[w.start:w.end]))] {
			hits = append(hits, w)
		}
	}
	from, to := 0, len(runes)
	if len(runes) > SnippetRunes {
		if len(hits) > 0 && hits[0].end > SnippetRunes {
			from = hits[0].start - snippetLead
			if len(runes)-from < SnippetRunes {
				from = len(runes) - SnippetRunes
			}
			// Start at a word's start, not inside one.
			for _, w := range ws {
				if w.start >= from {
					from = w.start
					break
				}
			}
		}
		to = from + SnippetRunes
		if to >= len(runes) {
			to = len(runes)
		} else {
			// End after a word, not inside one.
			for i := len(ws) - 1; i >= 0; i-- {
				if ws[i].end <= to && ws[i].start >= from {
					to = ws[i].end
					break
				}
			}
		}
	}
	var b strings.Builder
	shift := -from
	if from > 0 {
		b.WriteString(Ellipsis)
		shift += utf8.RuneCountInString(Ellipsis)
	}
	b.WriteString(strings.TrimSpace(string(runes[from:to])))
	// TrimSpace cannot remove a leading rune: from is a word's start or 0,
	// and PlainText trimmed the text.
	if to < len(runes) {
		b.WriteString(Ellipsis)
	}
	highlights := [][2]int{}
	for _, h := range hits {
		if h.start >= from && h.end <= to {
			highlights = append(highlights, [2]int{h.start + shift, h.end + shift})
		}
	}
	return b.String(), highlights
}
