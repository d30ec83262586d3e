package exampleapp

import (
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// CookieName is the cookie holding the session token, which the browser
// page's WebSocket sends on the upgrade request.
const CookieName = "rtchat_token"

// TokenTTL is how long a session token is valid.
const TokenTTL = 7 * 24 * time.Hour

// ErrNoToken is returned by UserFromRequest when the request carries no
// token at all.
var ErrNoToken = errors.New("exampleapp: no token")

// ErrUnknownUser is returned by UserFromRequest for a valid token whose user
// does not exist (any more, or in this database), which must not act as
// anyone.
var ErrUnknownUser = errors.New("exampleapp: token of an unknown user")

// errUserLookup wraps a database error met while finding a token's user,
// which is the server's fault, not the client's.
var errUserLookup = errors.New("exampleapp: find the token's user")

// NewToken returns a signed HS256 JWT whose subject is the user id, valid
// for TokenTTL.
func (a *App) NewToken(userID int64) (string, error) {
	now := time.Now()
	claims := jwt.RegisteredClaims{
		Subject:   strconv.FormatInt(userID, 10),
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(TokenTTL)),
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(a.secret)
}

// ParseToken verifies a token made by NewToken and returns its user id. Only
// HS256 is accepted, and the expiry is required.
func (a *App) ParseToken(token string) (int64, error) {
	var claims jwt.RegisteredClaims
	_, err := jwt.ParseWithClaims(token, &claims, func(*jwt.Token) (any, error) { return a.secret, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}), jwt.WithExpirationRequired())
	if err != nil {
		return 0, fmt.Errorf("exampleapp: token: %w", err)
	}
	id, err := strconv.ParseInt(claims.Subject, 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("exampleapp: token: bad subject %q", claims.Subject)
	}
	return id, nil
}

// UserFromRequest returns the user id of the request's token, taken from
// "Authorization: Bearer <token>", else the "token" query parameter (for
// WebSocket clients that cannot set headers), else the rtchat_token cookie.
// It returns ErrNoToken without a token, an error for an invalid or expired
// one, and ErrUnknownUser for a valid one whose user is not in the users
// table. Both examples give it to rtchat as their auth function, so the
// WebSocket upgrade costs one query by primary key.
func (a *App) UserFromRequest(r *http.Request) (int64, error) {
	u, err := a.userFromRequest(r)
	if err != nil {
		return 0, err
	}
	return u.ID, nil
}

// userFromRequest is UserFromRequest returning the whole user.
func (a *App) userFromRequest(r *http.Request) (*User, error) {
	token := bearer(r.Header.Get("Authorization"))
	if token == "" {
		token = r.URL.Query().Get("token")
	}
	if token == "" {
		if c, err := r.Cookie(CookieName); err == nil {
			token = c.Value
		}
	}
	if token == "" {
		return nil, ErrNoToken
	}
	id, err := a.ParseToken(token)
	if err != nil {
		return nil, err
	}
	// A token outlives its user, and one signed for another database
	// with the same secret names ids that mean nothing here.
	u, err := a.UserByID(r.Context(), id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrUnknownUser
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errUserLookup, err)
	}
	return u, nil
}

func bearer(h string) string {
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

// setTokenCookie gives the browser the token as an HttpOnly cookie, so the
// page's script never sees it; SameSite=Lax keeps it off cross-site
// requests, and rtchat's origin check refuses cross-site WebSockets.
func setTokenCookie(w http.ResponseWriter, r *http.Request, token string) {
	http.SetCookie(w, &http.Cookie{
		Name: CookieName, Value: token, Path: "/",
		MaxAge: int(TokenTTL / time.Second), HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: r.TLS != nil,
	})
}

// clearTokenCookie removes the cookie set by setTokenCookie.
func clearTokenCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{
		Name: CookieName, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil,
	})
}
