// Package rtchat is real-time chat that a Go web app mounts on its own Echo
// or Gin router, behind its own auth, storing into its own bun database:
// private chats, groups and channels over one WebSocket endpoint, with the
// events, settings and error codes of django-realtime-chat-messaging.
//
//	chat, err := rtchat.New(db, rtchat.WithEchoAuth(userFromEcho))
//	if err != nil { ... }
//	if err := chat.Migrate(ctx); err != nil { ... }
//	e.Use(chat.Middleware())
//
// A Chat is also an http.Handler (with WithHTTPAuth, or a user put on the
// request context with ContextWithUser), and ginadapter mounts it on Gin.
package rtchat
