package main

import (
	"context"

	"github.com/rtchat/rtchat"
	"github.com/rtchat/rtchat/handler"
	"github.com/rtchat/rtchat/model"
	"github.com/rtchat/rtchat/protocol"
)

// DetailArchived answers a send or a typing signal in an archived room from
// a user who is not a VIP.
const DetailArchived = "This room is archived: only VIP users may send messages."

// Perms is the app's permission handler: rtchat's default rules, except in
// archived rooms (see the package comment). It overrides four methods and
// embeds DefaultPermissions for the others.
type Perms struct {
	rtchat.DefaultPermissions

	// vips are the VIP usernames.
	vips map[string]bool
	// users is the app's user lookup, which names the caller.
	users rtchat.UserLookup
}

var _ rtchat.PermissionHandler = Perms{}

// NewPerms returns the permission handler for the VIP usernames, naming
// users through lookup.
func NewPerms(vips []string, lookup rtchat.UserLookup) Perms {
	p := Perms{vips: make(map[string]bool, len(vips)), users: lookup}
	for _, v := range vips {
		p.vips[v] = true
	}
	return p
}

// Archived reports whether room's preferences say "archived": true.
func Archived(room *model.Room) bool {
	if room == nil {
		return false
	}
	archived, _ := room.Property.Preferences["archived"].(bool)
	return archived
}

// vipMember reports whether the caller of c is a member of its room and a
// VIP. It looks the username up only for members of archived rooms, the
// only checks that ask, so the other rooms' sends cost nothing more.
func (p Perms) vipMember(ctx context.Context, c rtchat.PermissionCheck) (bool, error) {
	if c.Member == nil || len(p.vips) == 0 {
		return false, nil
	}
	users, err := p.users(ctx, []int64{c.UserID})
	if err != nil {
		return false, err
	}
	u, ok := users[c.UserID]
	return ok && p.vips[u.Username], nil
}

// CanSend (message.send, message.typing) allows, in an archived room, the
// VIP members only, whatever the room's lock and grants; elsewhere the
// default rule.
func (p Perms) CanSend(ctx context.Context, c rtchat.PermissionCheck) error {
	if !Archived(c.Room) {
		return p.DefaultPermissions.CanSend(ctx, c)
	}
	if c.Member == nil {
		return protocol.Denied("") // an outsider learns nothing about the room
	}
	vip, err := p.vipMember(ctx, c)
	if err != nil {
		return err
	}
	if !vip {
		return protocol.Denied(DetailArchived)
	}
	return nil
}

// CanAddMembers (room.add_members) also allows the VIP members of an
// archived group or channel.
func (p Perms) CanAddMembers(ctx context.Context, c rtchat.PermissionCheck) error {
	return p.orVIP(ctx, c, p.DefaultPermissions.CanAddMembers)
}

// CanRemoveMembers (room.remove_members) also allows the VIP members of an
// archived group or channel; CanChangeMember still protects the creator
// and the admins from them.
func (p Perms) CanRemoveMembers(ctx context.Context, c rtchat.PermissionCheck) error {
	return p.orVIP(ctx, c, p.DefaultPermissions.CanRemoveMembers)
}

// CanAdministerRoom (room.modify) also allows the VIP members of an
// archived room, but for delete, which stays the creator's.
func (p Perms) CanAdministerRoom(ctx context.Context, c rtchat.PermissionCheck) error {
	if c.Action == handler.ModifyDelete {
		return p.DefaultPermissions.CanAdministerRoom(ctx, c)
	}
	return p.orVIP(ctx, c, p.DefaultPermissions.CanAdministerRoom)
}

// orVIP allows what the default rule allows and, in an archived room that
// is not a 1:1 (a 1:1 keeps its two participants), what a VIP member asks.
func (p Perms) orVIP(ctx context.Context, c rtchat.PermissionCheck, rule func(context.Context, rtchat.PermissionCheck) error) error {
	err := rule(ctx, c)
	if err == nil || !Archived(c.Room) || c.Room.Type == model.TypeOneToOne {
		return err
	}
	if pe, ok := protocol.AsError(err); !ok || pe.Code != protocol.CodePermissionDenied {
		return err // not a refusal a VIP overrides
	}
	vip, verr := p.vipMember(ctx, c)
	if verr != nil {
		return verr
	}
	if vip {
		return nil
	}
	return err
}
