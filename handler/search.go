package handler

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/rtchat/rtchat/internal/searchtext"
	"github.com/rtchat/rtchat/model"
	"github.com/rtchat/rtchat/protocol"
	"github.com/rtchat/rtchat/serializer"
)

// Bounds of message.search.
const (
	// MaxSearchQuery is the longest query, in characters once trimmed.
	MaxSearchQuery = 256
	// DefaultSearchLimit and MaxSearchLimit are the default and largest
	// page of results (the validate tag of searchData repeats the latter).
	DefaultSearchLimit = 20
	MaxSearchLimit     = 50
)

type searchData struct {
	RoomID    string  `json:"room_id" validate:"omitempty,uuid"`
	Query     *string `json:"query"`
	BeforeSeq *int64  `json:"before_seq" validate:"omitempty,gte=1"`
	Limit     *int    `json:"limit" validate:"omitempty,gte=1,max=50"`
	Cursor    *string `json:"cursor" validate:"omitempty,max=512"`
}

// MessageSearch handles message.search: the visible messages of the rooms
// the caller is a member of (of room_id only, when given, which
// Permissions.CanAccessRoom must allow, as for room.messages) that contain
// every word of query, best match first, a page of limit (1 to
// MaxSearchLimit, default DefaultSearchLimit) at a time, each with a plain
// text snippet and the places of the matched words in it. before_seq (with
// room_id) keeps messages below that seq; cursor, the next_cursor of the
// previous answer, continues after its page. Membership is a join of the
// search query itself, so a room the caller is not in never contributes.
func MessageSearch(ctx context.Context, r *Request) error {
	var in searchData
	if err := r.Decode(&in); err != nil {
		return err
	}
	query, err := searchQuery(in.Query)
	if err != nil {
		return err
	}
	if in.BeforeSeq != nil && in.RoomID == "" {
		return protocol.Invalid(protocol.FieldErrors{"before_seq": {"before_seq needs room_id."}})
	}
	q := model.SearchQuery{UserID: r.UserID, Text: query, Limit: DefaultSearchLimit}
	if in.Limit != nil {
		q.Limit = *in.Limit
	}
	if in.BeforeSeq != nil {
		q.BeforeSeq = *in.BeforeSeq
	}
	if in.Cursor != nil {
		k, ok := decodeSearchCursor(*in.Cursor)
		if !ok {
			return protocol.Invalid(protocol.FieldErrors{"cursor": {"Invalid cursor."}})
		}
		q.After = &k
	}
	if in.RoomID != "" {
		chk, err := accessRoom(ctx, r, in.RoomID)
		if err != nil {
			return err
		}
		q.RoomID = chk.Room.ID
	}
	hits, more, err := r.Env.Store.SearchMessages(ctx, q)
	if err != nil {
		return err
	}
	msgs := make([]*model.Message, len(hits))
	for i, h := range hits {
		msgs[i] = h.Message
	}
	list, err := serializeMessages(ctx, r.Env, msgs)
	if err != nil {
		return err
	}
	terms := searchtext.Words(query)
	page := serializer.SearchInput{Query: query, RoomID: q.RoomID, Results: make([]serializer.SearchResultInput, len(hits)), HasMore: more}
	for i, h := range hits {
		snippet, highlights := searchtext.Snippet(searchtext.PlainText(h.Message.Content), terms)
		page.Results[i] = serializer.SearchResultInput{Message: list[i], Model: h.Message, Snippet: snippet, Highlights: highlights, Rank: h.Key.Rank}
	}
	if more && len(hits) > 0 {
		page.NextCursor = encodeSearchCursor(hits[len(hits)-1].Key)
	}
	out, err := r.Env.Serialize(ctx, serializer.NameSearchResults, page, nil)
	if err != nil {
		return err
	}
	return r.Out.Reply(protocol.DispatchMessageSearch, out)
}

// searchQuery checks the query: a string of 1 to MaxSearchQuery characters
// once trimmed.
func searchQuery(q *string) (string, error) {
	if q == nil {
		return "", protocol.Invalid(protocol.FieldErrors{"query": {"This field is required."}})
	}
	s := strings.TrimSpace(*q)
	switch n := utf8.RuneCountInString(s); {
	case n == 0:
		return "", protocol.Invalid(protocol.FieldErrors{"query": {"This field may not be blank."}})
	case n > MaxSearchQuery:
		return "", protocol.Invalid(protocol.FieldErrors{"query": {"Ensure this field has no more than 256 characters."}})
	}
	return s, nil
}

// encodeSearchCursor makes a result's place the opaque next_cursor.
func encodeSearchCursor(k model.SearchKey) string {
	b, _ := json.Marshal(k) // a float, an int and a string always encode
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeSearchCursor reads a cursor that encodeSearchCursor made.
func decodeSearchCursor(s string) (model.SearchKey, bool) {
	var k model.SearchKey
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, &k) != nil {
		return k, false
	}
	if _, ok := serializer.CanonicalUUID(k.ID); !ok || k.Seq < 1 {
		return k, false
	}
	return k, true
}
