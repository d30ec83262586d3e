package exampleapp

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/rtchat/rtchat"
	"github.com/uptrace/bun"
	"golang.org/x/crypto/bcrypt"
)

// User is a row of the example's own users table. rtchat never stores
// users: it learns their names through App.LookupUsers.
type User struct {
	bun.BaseModel `bun:"table:example_users"`

	// ID is the user id rtchat knows the user by.
	ID int64 `bun:"id,pk,autoincrement"`
	// Username is unique ignoring case (an index on lower(username)), kept
	// in the case it was registered with, and is what chat payloads show.
	Username string `bun:"username,notnull,unique"`
	// PasswordHash is the bcrypt hash of the password.
	PasswordHash string `bun:"password_hash,notnull"`
	// CreatedAt is when the user registered, in UTC.
	CreatedAt time.Time `bun:"created_at,notnull"`
}

// Errors of the user store, mapped to HTTP statuses by the handlers.
var (
	// ErrUsernameTaken is returned by CreateUser when the name is in use.
	ErrUsernameTaken = errors.New("exampleapp: username taken")
	// ErrBadCredentials is returned by Authenticate for an unknown user or
	// a wrong password, without saying which.
	ErrBadCredentials = errors.New("exampleapp: bad credentials")
)

// Limits on what register accepts. bcrypt reads at most 72 bytes of a
// password, so a longer one is refused rather than silently cut.
const (
	minUsernameLen = 3
	maxUsernameLen = 32
	minPasswordLen = 8
	maxPasswordLen = 72
)

// newDummyHash returns the hash compared against when the user does not
// exist, made once at the app's cost, so a login takes as long for an
// unknown name as for a wrong password.
func newDummyHash(cost int) func() []byte {
	return sync.OnceValue(func() []byte {
		h, _ := bcrypt.GenerateFromPassword([]byte("not anyone's password"), cost)
		return h
	})
}

// passwordCost is PasswordCost or its default.
func (c Config) passwordCost() int {
	if c.PasswordCost == 0 {
		return bcrypt.DefaultCost
	}
	return c.PasswordCost
}

// createUsersTable creates example_users if needed, on SQLite and Postgres,
// and the unique index on lower(username), which tables made before it lack.
func createUsersTable(ctx context.Context, db *bun.DB) error {
	_, err := db.NewCreateTable().Model((*User)(nil)).IfNotExists().Exec(ctx)
	if err != nil {
		return fmt.Errorf("exampleapp: create example_users: %w", err)
	}
	// Without it "Ann" and "ann" could both register. Both dialects take
	// this statement as it is.
	_, err = db.ExecContext(ctx, "CREATE UNIQUE INDEX IF NOT EXISTS example_users_username_lower ON example_users (lower(username))")
	if err != nil {
		return fmt.Errorf("exampleapp: index example_users on lower(username) "+
			"(two usernames differing only in case must be renamed first): %w", err)
	}
	return nil
}

// validateCredentials returns what is wrong with a username and password
// given to register, or "".
func validateCredentials(username, password string) string {
	if n := utf8.RuneCountInString(username); n < minUsernameLen || n > maxUsernameLen {
		return fmt.Sprintf("username must be %d to %d characters", minUsernameLen, maxUsernameLen)
	}
	for _, r := range username {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._-", r)) {
			return "username may contain only letters, digits, '.', '_' and '-'"
		}
	}
	if len(password) < minPasswordLen || len(password) > maxPasswordLen {
		return fmt.Sprintf("password must be %d to %d bytes", minPasswordLen, maxPasswordLen)
	}
	return ""
}

// CreateUser stores a new user with a bcrypt hash of password. A username in
// use, whatever its case, is ErrUsernameTaken. When every hash slot stays
// busy for HashWait it returns an error the handlers answer 503.
func (a *App) CreateUser(ctx context.Context, username, password string) (*User, error) {
	var (
		hash    []byte
		hashErr error
	)
	if err := a.logins.hash(ctx, func() {
		hash, hashErr = bcrypt.GenerateFromPassword([]byte(password), a.cfg.passwordCost())
	}); err != nil {
		return nil, err
	}
	if hashErr != nil {
		return nil, fmt.Errorf("exampleapp: hash password: %w", hashErr)
	}
	u := &User{Username: username, PasswordHash: string(hash), CreatedAt: time.Now().UTC()}
	// ON CONFLICT DO NOTHING is understood by both dialects, so a taken
	// name needs no driver-specific error codes: it just inserts nothing.
	// It has no target, so that it covers the unique index on
	// lower(username) as well as the column's own constraint.
	res, err := a.db.NewInsert().Model(u).On("CONFLICT DO NOTHING").Returning("id").Exec(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrUsernameTaken
	}
	if err != nil {
		return nil, fmt.Errorf("exampleapp: insert user: %w", err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return nil, ErrUsernameTaken
	}
	return u, nil
}

// Authenticate returns the user whose password matches, or
// ErrBadCredentials; the username's case does not matter. When every hash
// slot stays busy for HashWait it returns an error the handlers answer 503.
func (a *App) Authenticate(ctx context.Context, username, password string) (*User, error) {
	u, err := a.UserByName(ctx, username)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("exampleapp: find user: %w", err)
	}
	var match bool
	if err := a.logins.hash(ctx, func() {
		if u == nil {
			// As long as a wrong password, so the time says nothing.
			_ = bcrypt.CompareHashAndPassword(a.dummyHash(), []byte(password))
			return
		}
		match = bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) == nil
	}); err != nil {
		return nil, err
	}
	if !match {
		return nil, ErrBadCredentials
	}
	return u, nil
}

// UserByID returns the user with id, or sql.ErrNoRows.
func (a *App) UserByID(ctx context.Context, id int64) (*User, error) {
	u := new(User)
	if err := a.db.NewSelect().Model(u).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, err
	}
	return u, nil
}

// UserByName returns the user called username, whatever its case, or
// sql.ErrNoRows.
func (a *App) UserByName(ctx context.Context, username string) (*User, error) {
	u := new(User)
	// lower(username) is what the unique index holds, so this uses it. Names
	// are ASCII (validateCredentials), where SQLite's lower() and
	// Postgres's agree.
	if err := a.db.NewSelect().Model(u).Where("lower(username) = lower(?)", username).Scan(ctx); err != nil {
		return nil, err
	}
	return u, nil
}

// LookupUsers is the app's rtchat.UserLookup (rtchat.WithUserLookup): the
// usernames of those of ids that exist, in one query. Ids it leaves out are
// unknown users, so room.create with them answers 4004.
func (a *App) LookupUsers(ctx context.Context, ids []int64) (map[int64]rtchat.User, error) {
	out := make(map[int64]rtchat.User, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var rows []User
	err := a.db.NewSelect().Model(&rows).Column("id", "username").Where("id IN (?)", bun.In(ids)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("exampleapp: look up users: %w", err)
	}
	for _, u := range rows {
		out[u.ID] = rtchat.User{ID: u.ID, Username: u.Username}
	}
	return out, nil
}

var _ rtchat.UserLookup = (*App)(nil).LookupUsers
