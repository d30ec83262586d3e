package exampleapp

import (
	"database/sql"
	"encoding/json"
	"errors"
	"mime"
	"net/http"

	"github.com/rtchat/rtchat/jsclient"
)

// Route is one HTTP route of the app, for the examples to mount on their
// framework's router (the WebSocket route is the chat's, mounted apart).
type Route struct {
	// Method is the HTTP method, such as http.MethodPost.
	Method string
	// Path is the exact path, such as "/api/login".
	Path string
	// Handler serves the route.
	Handler http.HandlerFunc
}

// Routes returns the page and the JSON API:
//
//	GET  /                  the browser chat page (index.html)
//	GET  /static/app.js     its script
//	GET  /static/app.css    its style sheet
//	GET  /static/rtchat.js  the JS client module (package jsclient)
//	POST /api/register  {username, password} -> 201 {id, username, token}
//	POST /api/login     {username, password} -> 200 {id, username, token}
//	POST /api/logout    clears the cookie -> 204
//	GET  /api/me        the signed-in user -> {id, username}
//	GET  /api/users     ?username=name -> {id, username}, for starting a chat
//	GET  /api/channels  ?q=text -> [{id, name, description, subscriber_count}],
//	                    public channels, newest first, at most 100
//
// Register and login also set the rtchat_token cookie. Usernames are
// unique, and found by login and search, ignoring case. Errors are
// {"error": "..."}: 400 bad input, 401 bad credentials, no token or a
// token of a user who does not exist, 404 no such user, 409 username
// taken, 415 not JSON, 429 too many logins for the username or from the
// client's address (Config.LoginAccountLimit, LoginAddressLimit), 503 every
// password-hash slot busy (Config.MaxConcurrentHashes); 429 and 503 carry
// Retry-After.
func (a *App) Routes() []Route {
	return []Route{
		{http.MethodGet, "/", a.ServePage},
		{http.MethodGet, "/static/app.js", a.ServeAppJS},
		{http.MethodGet, "/static/app.css", a.ServeAppCSS},
		{http.MethodGet, "/static/rtchat.js", jsclient.Handler().ServeHTTP},
		{http.MethodPost, "/api/register", a.Register},
		{http.MethodPost, "/api/login", a.Login},
		{http.MethodPost, "/api/logout", a.Logout},
		{http.MethodGet, "/api/me", a.Me},
		{http.MethodGet, "/api/users", a.FindUser},
		{http.MethodGet, "/api/channels", a.ListChannels},
		{http.MethodGet, "/metrics", a.Metrics},
	}
}

// credentials is the body of register and login.
type credentials struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// session is the answer of register and login.
type session struct {
	ID       int64  `json:"id"`
	Username string `json:"username"`
	Token    string `json:"token"`
}

// userOut is a user as the API shows it.
type userOut struct {
	ID       int64  `json:"id"`
	Username string `json:"username"`
}

// maxBody bounds a credentials body.
const maxBody = 4 << 10

// Register creates a user and signs them in: POST /api/register.
func (a *App) Register(w http.ResponseWriter, r *http.Request) {
	in, ok := readCredentials(w, r)
	if !ok {
		return
	}
	if msg := validateCredentials(in.Username, in.Password); msg != "" {
		writeError(w, http.StatusBadRequest, msg)
		return
	}
	u, err := a.CreateUser(r.Context(), in.Username, in.Password)
	if errors.Is(err, ErrUsernameTaken) {
		writeError(w, http.StatusConflict, "username is taken")
		return
	}
	if a.answeredRetry(w, err) {
		return
	}
	if err != nil {
		a.internalError(w, err)
		return
	}
	a.signIn(w, r, u, http.StatusCreated)
}

// Login checks a username and password and signs the user in:
// POST /api/login.
func (a *App) Login(w http.ResponseWriter, r *http.Request) {
	in, ok := readCredentials(w, r)
	if !ok {
		return
	}
	if in.Username == "" || in.Password == "" {
		writeError(w, http.StatusBadRequest, "username and password are required")
		return
	}
	if a.answeredRetry(w, a.logins.attempt(r, in.Username)) {
		return
	}
	u, err := a.Authenticate(r.Context(), in.Username, in.Password)
	if errors.Is(err, ErrBadCredentials) {
		writeError(w, http.StatusUnauthorized, "wrong username or password")
		return
	}
	if a.answeredRetry(w, err) {
		return
	}
	if err != nil {
		a.internalError(w, err)
		return
	}
	a.signIn(w, r, u, http.StatusOK)
}

// Logout clears the token cookie: POST /api/logout. Tokens are not
// revocable; they expire after TokenTTL.
func (a *App) Logout(w http.ResponseWriter, r *http.Request) {
	clearTokenCookie(w, r)
	w.WriteHeader(http.StatusNoContent)
}

// Me returns the signed-in user: GET /api/me.
func (a *App) Me(w http.ResponseWriter, r *http.Request) {
	u, ok := a.signedIn(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, userOut{u.ID, u.Username})
}

// FindUser returns the user of ?username=, to a signed-in user:
// GET /api/users. The page uses it to start a chat by name.
func (a *App) FindUser(w http.ResponseWriter, r *http.Request) {
	if _, ok := a.signedIn(w, r); !ok {
		return
	}
	name := r.URL.Query().Get("username")
	if name == "" {
		writeError(w, http.StatusBadRequest, "username is required")
		return
	}
	u, err := a.UserByName(r.Context(), name)
	if errors.Is(err, sql.ErrNoRows) {
		writeError(w, http.StatusNotFound, "no such user")
		return
	}
	if err != nil {
		a.internalError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, userOut{u.ID, u.Username})
}

// answeredRetry answers err when it is the login throttle's (429) or the
// hash slots' (503), and says whether it did.
func (a *App) answeredRetry(w http.ResponseWriter, err error) bool {
	var re *retryError
	if !errors.As(err, &re) {
		return false
	}
	writeRetry(w, re)
	return true
}

// signedIn returns the request's user or answers 401 itself: no token, a
// bad one, or one of a user who does not exist; 500 when the database
// fails.
func (a *App) signedIn(w http.ResponseWriter, r *http.Request) (*User, bool) {
	u, err := a.userFromRequest(r)
	if errors.Is(err, errUserLookup) {
		a.internalError(w, err)
		return nil, false
	}
	if err != nil {
		writeError(w, http.StatusUnauthorized, "not signed in")
		return nil, false
	}
	return u, true
}

func (a *App) signIn(w http.ResponseWriter, r *http.Request, u *User, status int) {
	token, err := a.NewToken(u.ID)
	if err != nil {
		a.internalError(w, err)
		return
	}
	setTokenCookie(w, r, token)
	writeJSON(w, status, session{ID: u.ID, Username: u.Username, Token: token})
}

// readCredentials decodes a JSON credentials body, answering the error
// itself when it cannot. Requiring application/json also keeps plain
// cross-site HTML forms from signing a browser in.
func readCredentials(w http.ResponseWriter, r *http.Request) (credentials, bool) {
	var in credentials
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		writeError(w, http.StatusUnsupportedMediaType, "body must be application/json")
		return in, false
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	if err := dec.Decode(&in); err != nil {
		writeError(w, http.StatusBadRequest, "body must be a JSON object {username, password}")
		return in, false
	}
	return in, true
}

func (a *App) internalError(w http.ResponseWriter, err error) {
	a.log.Error("exampleapp: request failed", "err", err)
	writeError(w, http.StatusInternalServerError, "internal error")
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
