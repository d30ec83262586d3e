// Package authopt lets a framework adapter (ginadapter) give rtchat.New an
// auth option of its own, so that New refuses it beside another auth
// option, without the root package importing the framework. The root
// package sets both functions when it is initialised; an adapter imports
// the root package, so they are set before it calls them.
package authopt

import "net/http"

// Option returns an rtchat.Option (as any, since this package cannot name
// the type) that makes auth the chat's way to learn the user from the
// upgrade request, as WithHTTPAuth does; name is the option as the app
// wrote it ("ginadapter.WithGinAuth"), for New's error.
var Option func(name string, auth func(*http.Request) (int64, error)) any

// Of returns the name of the auth option an *rtchat.Chat was made with, ""
// for none (or for a value that is not an *rtchat.Chat).
var Of func(chat any) string
