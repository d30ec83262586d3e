package serializer

import "github.com/rtchat/rtchat/model"

// SearchInput is what the SearchResults serializer receives: one page of
// message.search.
type SearchInput struct {
	// Query is the query as searched (trimmed).
	Query string
	// RoomID is the room searched, "" for all the caller's rooms.
	RoomID string
	// Results are the page's results, best first.
	Results []SearchResultInput
	HasMore bool
	// NextCursor continues the search after this page ("" on the last).
	NextCursor string
}

// SearchResultInput is one result of a search.
type SearchResultInput struct {
	// Message is the message, already rendered by the Message serializer.
	Message any
	// Model is the message as stored.
	Model *model.Message
	// Snippet is plain text around the first match; Highlights are the
	// matching words in it, [start, end) in Unicode code points.
	Snippet    string
	Highlights [][2]int
	// Rank is the result's relevance: higher is better, comparable only
	// within one search.
	Rank float64
}

// SearchOut is the default messagesearch.dispatch data.
type SearchOut struct {
	HasMore    bool              `json:"has_more"`
	NextCursor *string           `json:"next_cursor"`
	Query      string            `json:"query"`
	Results    []SearchResultOut `json:"results"`
	RoomID     *string           `json:"room_id"`
}

// SearchResultOut is one result in SearchOut.
type SearchResultOut struct {
	Highlights [][2]int `json:"highlights"`
	Message    any      `json:"message"`
	Rank       float64  `json:"rank"`
	Snippet    string   `json:"snippet"`
}

// SearchResults returns the default messagesearch.dispatch data:
// {query, room_id (null for all rooms), results: [{message, snippet,
// highlights, rank}], has_more, next_cursor (null on the last page)}.
func SearchResults(in SearchInput, _ Users) SearchOut {
	out := SearchOut{HasMore: in.HasMore, Query: in.Query, Results: make([]SearchResultOut, 0, len(in.Results))}
	if in.RoomID != "" {
		out.RoomID = &in.RoomID
	}
	if in.NextCursor != "" {
		out.NextCursor = &in.NextCursor
	}
	for _, r := range in.Results {
		hl := r.Highlights
		if hl == nil {
			hl = [][2]int{}
		}
		out.Results = append(out.Results, SearchResultOut{Highlights: hl, Message: r.Message, Rank: r.Rank, Snippet: r.Snippet})
	}
	return out
}
