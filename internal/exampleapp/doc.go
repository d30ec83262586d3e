// Package exampleapp is what the Echo and Gin example apps share: the
// database (SQLite by default, Postgres with DATABASE_URL), a users table of
// the example's own with bcrypt passwords, JWT sessions, the register and
// login API, the user lookup rtchat shows usernames with, the browser chat
// page (static/: a plain ES module on the JS client, package jsclient, with
// a strict CSP) and its list of public channels (GET /api/channels), and
// the construction of the rtchat.Chat itself.
//
// Logins are throttled per username and per client address, and bcrypt
// hashing is bounded to part of the CPUs (Config.LoginAccountLimit,
// LoginAddressLimit, MaxConcurrentHashes), so guessing passwords neither
// succeeds quickly nor slows the chat; a token whose user does not exist
// authenticates nothing.
//
// Only the framework glue differs between the examples: how the API routes
// are mounted and how the chat's auth reads the user from the framework's
// context. Both read the user with App.UserFromRequest. Each app's main is
// exampleapp.Main with the app's Build, which serves it until SIGINT or
// SIGTERM and shuts it down in order; its tests give the same Build to
// package exampletest. The apps under examples/ are built the same way.
package exampleapp
