package main

import "github.com/rtchat/rtchat"

// benchOptions are what every chat the bench starts adds to the example's
// options. The bench's users are strangers put into rooms by the thousand
// in one room.create: the example's rule that a group takes only users who
// already share a room with its creator would refuse them, so the bench
// keeps rtchat's default rules, and lets one request name as many users as
// its biggest room has.
func benchOptions() []rtchat.Option {
	return []rtchat.Option{
		rtchat.WithPermissionHandler(rtchat.DefaultPermissions{}),
		rtchat.WithMaxMembersPerRequest(10_000),
	}
}
