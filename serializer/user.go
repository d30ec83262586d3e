package serializer

import (
	"context"
	"encoding/json"
	"strconv"
)

// User is a user as payloads show it. Users belong to the app: rtchat learns
// them from the app's UserLookup.
type User struct {
	ID        int64  `json:"id"`
	Username  string `json:"username"`
	Email     string `json:"email"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`

	// known is true for users the app's lookup returned; the others are
	// shown as {id, username} only.
	known bool
}

// MarshalJSON writes all five fields for a user the app knows and {id,
// username} for one it does not (or when there is no lookup).
func (u User) MarshalJSON() ([]byte, error) {
	if !u.known {
		return json.Marshal(struct {
			ID       int64  `json:"id"`
			Username string `json:"username"`
		}{u.ID, u.Username})
	}
	type full User
	return json.Marshal(full(u))
}

// UserLookup returns the users the app knows among ids. Ids missing from the
// result are users the app does not know.
type UserLookup func(ctx context.Context, ids []int64) (map[int64]User, error)

// Users is the set of users one payload refers to.
type Users map[int64]User

// Get returns the user with id, or the default {id, username: "<id>"};
// SystemUserID is {id: 0, username: "system"}.
func (us Users) Get(id int64) User {
	if u, ok := us[id]; ok {
		return u
	}
	if id == SystemUserID {
		return systemUser()
	}
	return User{ID: id, Username: strconv.FormatInt(id, 10)}
}

// Resolve looks up ids (duplicates allowed) with lookup, which may be nil.
// Users the lookup does not return are left out; Get shows them by id.
// SystemUserID is never looked up.
func Resolve(ctx context.Context, lookup UserLookup, ids []int64) (Users, error) {
	us := make(Users, len(ids))
	if lookup == nil || len(ids) == 0 {
		return us, nil
	}
	uniq := make([]int64, 0, len(ids))
	seen := make(map[int64]bool, len(ids))
	for _, id := range ids {
		if !seen[id] && id != SystemUserID {
			seen[id] = true
			uniq = append(uniq, id)
		}
	}
	if len(uniq) == 0 {
		return us, nil
	}
	found, err := lookup(ctx, uniq)
	if err != nil {
		return nil, err
	}
	for id, u := range found {
		u.ID = id
		if u.Username == "" {
			u.Username = strconv.FormatInt(id, 10)
		}
		u.known = true
		us[id] = u
	}
	return us, nil
}
