// Package exampleapp is what the Echo and Gin example apps share: the
// database (SQLite by default, Postgres with DATABASE_URL), a users table of
// the example's own with bcrypt passwords, JWT sessions, the register and
// login API, the user lookup rtchat shows usernames with, the browser chat
// page, and the construction of the rtchat.Chat itself.
//
// Only the framework glue differs between the examples: how the API routes
// are mounted and how the chat's auth reads the user from the framework's
// context. Both read the user with App.UserFromRequest.
package exampleapp
