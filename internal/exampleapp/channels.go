package exampleapp

import (
	"net/http"
	"strings"

	"github.com/rtchat/rtchat/model"
)

// maxChannels bounds the answer of ListChannels.
const maxChannels = 100

// maxChannelQuery bounds the ?q= filter of ListChannels (a channel name is
// at most 64 characters).
const maxChannelQuery = 64

// channelOut is a public channel as GET /api/channels shows it.
type channelOut struct {
	ID              string `json:"id" bun:"id"`
	Name            string `json:"name" bun:"name"`
	Description     string `json:"description" bun:"description"`
	SubscriberCount int    `json:"subscriber_count" bun:"subscriber_count"`
}

// ListChannels lists public channels for a signed-in user to browse and
// join: GET /api/channels, optionally ?q=text (a part of the name, case
// ignored). The answer is a JSON array of {id, name, description,
// subscriber_count}, newest first, at most 100. It reads rtchat's tables
// (the App's database is the Chat's), so it sees what room.join would
// allow: channels with is_public set.
func (a *App) ListChannels(w http.ResponseWriter, r *http.Request) {
	if _, ok := a.signedIn(w, r); !ok {
		return
	}
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if len([]rune(q)) > maxChannelQuery {
		writeError(w, http.StatusBadRequest, "q must be at most 64 characters")
		return
	}
	count := a.db.NewSelect().Model((*model.Member)(nil)).
		ColumnExpr("count(*)").Where("m.room_id = r.id")
	sel := a.db.NewSelect().Model((*model.Room)(nil)).
		Column("r.id", "r.name", "r.description").
		ColumnExpr("(?) AS subscriber_count", count).
		Where("r.type = ? AND r.is_public = ?", model.TypeChannel, true).
		OrderExpr("r.created_at DESC, r.id DESC").
		Limit(maxChannels)
	if q != "" {
		sel = sel.Where("lower(r.name) LIKE ? ESCAPE '\\'", "%"+likeEscape(strings.ToLower(q))+"%")
	}
	out := []channelOut{}
	if err := sel.Scan(r.Context(), &out); err != nil {
		a.internalError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// likeEscape escapes the LIKE wildcards of s, with \ as the escape.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
