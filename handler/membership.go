package handler

import (
	"context"
	"errors"
	"slices"

	"github.com/rtchat/rtchat/model"
	"github.com/rtchat/rtchat/protocol"
	"github.com/rtchat/rtchat/serializer"
)

// Who a membership change was made by, when the member did it.
const bySelf = "self"

// Status of a join request that waits for an admin.
const joinPending = "pending"

type membersData struct {
	RoomID  string  `json:"room_id" validate:"required,uuid"`
	Members []int64 `json:"members" validate:"required,min=1,max=100000,dive,gt=0"`
}

// RoomJoin handles room.join. A public channel takes the caller at once:
// roomaddmembers.dispatch {room, new_members, added_by: "self"} goes to the
// room, the newcomer's connections included. A group that requires approval
// records a join request instead and answers roomjoinrequest.dispatch
// {room_id, user, status: "pending"} to the caller and to the room's admins.
// A member joining again changes nothing and gets the room back alone.
func RoomJoin(ctx context.Context, r *Request) error {
	var in roomIDData
	if err := r.Decode(&in); err != nil {
		return err
	}
	chk, err := roomCheck(ctx, r, in.RoomID, protocol.EventRoomJoin)
	if err != nil {
		return err
	}
	if err := r.perms().CanJoin(ctx, chk); err != nil {
		return err
	}
	if chk.Member == nil && chk.Room.Type == model.TypeOneToOne {
		// Whatever a custom rule allows, a 1:1 keeps its two participants.
		return protocol.NewError(protocol.CodeInvalid, protocol.DetailOneToOneSize)
	}
	if chk.Member == nil && chk.Room.Type == model.TypeGroup && chk.Room.JoinApprovalRequired {
		return requestJoin(ctx, r, chk.Room.ID)
	}

	unlock := r.Env.LockRoom(chk.Room.ID)
	defer unlock()
	var (
		room    *model.Room
		members []*model.Member
		joined  bool
	)
	err = r.Env.Store.RoomTx(ctx, chk.Room.ID, func(ctx context.Context, tx *model.RoomTx) error {
		room = tx.Room
		mine, err := tx.Memberships(ctx, []int64{r.UserID})
		if err != nil {
			return err
		}
		if len(mine) == 0 {
			if err := checkCap(ctx, tx, 1, r.Env.Settings.roomSize()); err != nil {
				return err
			}
			if err := tx.AddMembers(ctx, []*model.Member{model.NewMember(room.ID, r.UserID, roleFor(room, r.UserID), model.Now())}); err != nil {
				return err
			}
			if err := tx.DeleteJoinRequests(ctx, []int64{r.UserID}); err != nil {
				return err
			}
			joined = true
		}
		members, err = tx.Members(ctx)
		return err
	})
	if err != nil {
		return err
	}
	var added []int64
	if joined {
		added = []int64{r.UserID}
	}
	return publishAdded(ctx, r, room, members, added, bySelf)
}

// requestJoin records the caller's request to join a group that requires
// approval and tells the caller and the members CanReviewJoin allows (by
// default the room's admins). Asking again is not an error: the caller is
// answered again, the admins are not told twice.
func requestJoin(ctx context.Context, r *Request, roomID string) error {
	var (
		room    *model.Room
		members []*model.Member
		created bool
		admins  []int64
		member  bool
	)
	err := r.Env.Store.RoomTx(ctx, roomID, func(ctx context.Context, tx *model.RoomTx) error {
		room = tx.Room
		var err error
		if members, err = tx.Members(ctx); err != nil {
			return err
		}
		member = slices.ContainsFunc(members, func(m *model.Member) bool { return m.UserID == r.UserID })
		if member {
			return nil // added meanwhile
		}
		if banned, err := tx.Banned(ctx, []int64{r.UserID}, model.Now()); err != nil {
			return err
		} else if len(banned) > 0 {
			return model.ErrBanned
		}
		created, err = tx.AddJoinRequest(ctx, r.UserID, model.Now())
		return err
	})
	if err != nil {
		return err
	}
	if member {
		return publishAdded(ctx, r, room, members, nil, bySelf)
	}
	user, err := r.Env.Serialize(ctx, serializer.NameUser, r.UserID, []int64{r.UserID})
	if err != nil {
		return err
	}
	data, err := r.Env.Serialize(ctx, serializer.NameJoinRequest, serializer.JoinRequestInput{RoomID: roomID, UserID: r.UserID, User: user, Status: joinPending}, []int64{r.UserID})
	if err != nil {
		return err
	}
	if err := r.Out.Reply(protocol.DispatchRoomJoinRequest, data); err != nil {
		return err
	}
	if !created {
		return nil
	}
	for _, m := range members {
		reviewer := Check{UserID: m.UserID, Room: room, Member: m, Action: protocol.EventRoomJoin}
		if r.Env.Perms.CanReviewJoin(ctx, reviewer) == nil {
			admins = append(admins, m.UserID)
		}
	}
	if len(admins) == 0 {
		return nil
	}
	return r.Out.User(ctx, protocol.DispatchRoomJoinRequest, data, admins...)
}

// RoomLeave handles room.leave, for a member of a group or channel (4003 in
// a 1:1). roomexit.dispatch {room, message: "You left <name>"} goes to all
// the leaver's connections, which then leave the room's fan-out, and
// roomremovemembers.dispatch {room, removed_members, removed_by: "self"}
// to the members who remain. The last member leaving deletes the room and
// its messages and gets roomdelete.dispatch {room_id} instead.
func RoomLeave(ctx context.Context, r *Request) error {
	var in roomIDData
	if err := r.Decode(&in); err != nil {
		return err
	}
	chk, err := roomCheck(ctx, r, in.RoomID, protocol.EventRoomLeave)
	if err != nil {
		return err
	}
	if err := r.perms().CanLeave(ctx, chk); err != nil {
		return err
	}
	if chk.Room.Type == model.TypeOneToOne {
		// Whatever a custom rule allows, a 1:1 keeps its two participants.
		return protocol.NewError(protocol.CodeInvalid, protocol.DetailLeaveOnlyGroups)
	}
	if chk.Member == nil {
		return denied() // a custom rule let an outsider through: nothing to leave
	}

	unlock := r.Env.LockRoom(chk.Room.ID)
	defer unlock()
	res, err := removeMembers(ctx, r, chk.Room.ID, []int64{r.UserID}, nil)
	if err != nil {
		return err
	}
	if len(res.removed) == 0 {
		return denied() // left meanwhile, from another connection
	}
	return publishRemoved(ctx, r, res, bySelf, "You left "+res.room.Name)
}

// RoomAddMembers handles room.add_members: group admins and members granted
// can_add_new_participants, channel admins and members granted
// can_add_new_subscribers add users (4003 in a 1:1; 4004 for users the app
// does not know; 4003 beyond the room's cap). Users already in are skipped.
// Adding a user approves their pending join request. The new members'
// connections join the room's fan-out first, then roomaddmembers.dispatch
// {room, new_members, added_by} goes to the room, newcomers included.
func RoomAddMembers(ctx context.Context, r *Request) error {
	var in membersData
	if err := r.Decode(&in); err != nil {
		return err
	}
	if err := tooManyNamed(r.Env.Settings, map[string][]int64{"members": in.Members}); err != nil {
		return err
	}
	chk, err := roomCheck(ctx, r, in.RoomID, protocol.EventRoomAddMembers)
	if err != nil {
		return err
	}
	if err := r.perms().CanAddMembers(ctx, chk); err != nil {
		return err
	}
	if chk.Room.Type == model.TypeOneToOne {
		return protocol.NewError(protocol.CodeInvalid, protocol.DetailOneToOneSize)
	}
	ids := uniqueIDs(in.Members)
	if err := knownUsers(ctx, r, ids); err != nil {
		return err
	}
	// CanAddUser is asked about the users who are not members yet, outside
	// the transaction (the app's rule may query the database). Only they
	// are added: a member who left meanwhile was not asked about and stays
	// out.
	ids, err = newcomers(ctx, r, chk, ids)
	if err != nil {
		return err
	}

	unlock := r.Env.LockRoom(chk.Room.ID)
	defer unlock()
	var (
		room    *model.Room
		members []*model.Member
		added   []int64
	)
	err = r.Env.Store.RoomTx(ctx, chk.Room.ID, func(ctx context.Context, tx *model.RoomTx) error {
		room = tx.Room
		present, err := tx.Memberships(ctx, ids)
		if err != nil {
			return err
		}
		now := model.Now()
		var rows []*model.Member
		for _, id := range ids {
			if !slices.ContainsFunc(present, func(m *model.Member) bool { return m.UserID == id }) {
				added = append(added, id)
				rows = append(rows, model.NewMember(room.ID, id, roleFor(room, id), now))
			}
		}
		if len(rows) > 0 {
			if err := checkCap(ctx, tx, len(rows), r.Env.Settings.roomSize()); err != nil {
				return err
			}
			if err := tx.AddMembers(ctx, rows); errors.Is(err, model.ErrBanned) {
				return protocol.Denied(protocol.DetailUserBanned)
			} else if err != nil {
				return err
			}
			if err := tx.DeleteJoinRequests(ctx, added); err != nil {
				return err
			}
		}
		members, err = tx.Members(ctx)
		return err
	})
	if err != nil {
		return err
	}
	by, err := usernames(ctx, r, []int64{r.UserID})
	if err != nil {
		return err
	}
	return publishAdded(ctx, r, room, members, added, by[0])
}

// RoomRemoveMembers handles room.remove_members: group admins and members
// granted can_remove_participants, channel admins and members granted
// can_remove_subscribers remove members (4003 in a 1:1); the permission
// rules keep the creator from being removed by anyone else. Users who are
// not members are skipped. Each removed user's connections get
// roomexit.dispatch {room, message: "You have been removed by <username>"}
// and leave the fan-out; then roomremovemembers.dispatch {room,
// removed_members, removed_by} goes to the members who remain. Removal takes
// the member's role and grants with it.
func RoomRemoveMembers(ctx context.Context, r *Request) error {
	var in membersData
	if err := r.Decode(&in); err != nil {
		return err
	}
	chk, err := roomCheck(ctx, r, in.RoomID, protocol.EventRoomRemoveMembers)
	if err != nil {
		return err
	}
	ids := uniqueIDs(in.Members)
	if chk.Targets, err = r.Env.Store.Memberships(ctx, chk.Room.ID, ids); err != nil {
		return err
	}
	if err := r.perms().CanRemoveMembers(ctx, chk); err != nil {
		return err
	}
	if chk.Room.Type == model.TypeOneToOne {
		return protocol.NewError(protocol.CodeInvalid, protocol.DetailOneToOneSize)
	}
	if err := changeMembers(ctx, r, chk); err != nil {
		return err
	}

	unlock := r.Env.LockRoom(chk.Room.ID)
	defer unlock()
	res, err := removeMembers(ctx, r, chk.Room.ID, ids, &chk)
	if err != nil {
		return err
	}
	by, err := usernames(ctx, r, []int64{r.UserID})
	if err != nil {
		return err
	}
	return publishRemoved(ctx, r, res, by[0], "You have been removed by "+by[0])
}

// removal is what removeMembers did.
type removal struct {
	room *model.Room
	// members are those who remain.
	members []*model.Member
	removed []int64
	// deleted is set when nobody remained and the room is gone.
	deleted bool
}

// removeMembers removes the members among ids in one transaction and
// deletes the room when nobody remains. With chk (room.remove_members), a
// member who is not among chk.Targets joined after the permission check:
// CanChangeMember decides on them inside the transaction, and those it
// refuses are skipped (by default the creator, unless the caller is the
// creator).
func removeMembers(ctx context.Context, r *Request, roomID string, ids []int64, chk *Check) (removal, error) {
	var res removal
	err := r.Env.Store.RoomTx(ctx, roomID, func(ctx context.Context, tx *model.RoomTx) error {
		res = removal{room: tx.Room}
		present, err := tx.Memberships(ctx, ids)
		if err != nil {
			return err
		}
		for _, m := range present {
			if chk != nil && !slices.ContainsFunc(chk.Targets, func(t *model.Member) bool { return t.UserID == m.UserID }) {
				late := *chk
				late.Room = tx.Room
				if r.perms().CanChangeMember(ctx, late, m) != nil {
					continue
				}
			}
			res.removed = append(res.removed, m.UserID)
		}
		return res.apply(ctx, tx)
	})
	return res, err
}

// apply removes res.removed in tx and reads who remains; when nobody does,
// it deletes the room (res.deleted).
func (res *removal) apply(ctx context.Context, tx *model.RoomTx) error {
	if _, err := tx.RemoveMembers(ctx, res.removed); err != nil {
		return err
	}
	var err error
	if res.members, err = tx.Members(ctx); err != nil {
		return err
	}
	if len(res.members) == 0 {
		res.deleted = true
		return tx.Delete(ctx)
	}
	return nil
}

// publishAdded joins the new members' connections to the room's fan-out,
// then sends roomaddmembers.dispatch to the room. With nobody new, the room
// is answered to the caller alone.
func publishAdded(ctx context.Context, r *Request, room *model.Room, members []*model.Member, added []int64, by string) error {
	// The members are stored: their connections join first, whatever fails
	// after.
	if len(added) > 0 {
		if err := r.Out.Join(ctx, room.ID, room.LastSeq, added...); err != nil {
			return err
		}
	}
	detail, err := roomDetail(ctx, r, room, members)
	if err != nil {
		return err
	}
	data, err := r.Env.Serialize(ctx, serializer.NameMembersAdded, serializer.MembersAddedInput{Room: detail, Added: added, AddedBy: by}, added)
	if err != nil {
		return err
	}
	if len(added) == 0 {
		return r.Out.Reply(protocol.DispatchRoomAddMembers, data)
	}
	return r.Out.Room(ctx, room.ID, protocol.DispatchRoomAddMembers, data)
}

// publishRemoved tells the removed users (roomexit.dispatch with message),
// takes their connections out of the room's fan-out and tells the rest
// (roomremovemembers.dispatch). When the room was deleted the removed users
// get roomdelete.dispatch too, before they leave the fan-out. With nobody
// removed, the caller alone gets the room back.
func publishRemoved(ctx context.Context, r *Request, res removal, by, message string) error {
	detail, err := roomDetail(ctx, r, res.room, res.members)
	var removed, exit any
	if err == nil {
		removed, err = r.Env.Serialize(ctx, serializer.NameMembersRemoved, serializer.MembersRemovedInput{Room: detail, Removed: res.removed, RemovedBy: by}, res.removed)
	}
	if err == nil {
		exit, err = r.Env.Serialize(ctx, serializer.NameRoomExit, serializer.RoomExitInput{Room: detail, Message: message}, nil)
	}
	if err != nil {
		// The removal is stored: the connections leave the room whatever
		// else fails.
		return errors.Join(err, r.Out.Leave(ctx, res.room.ID, res.removed...))
	}
	if len(res.removed) == 0 {
		return r.Out.Reply(protocol.DispatchRoomRemoveMembers, removed)
	}
	err = r.Out.User(ctx, protocol.DispatchRoomExit, exit, res.removed...)
	if err == nil && res.deleted {
		err = publishDelete(ctx, r, res.room.ID)
	}
	if err := errors.Join(err, r.Out.Leave(ctx, res.room.ID, res.removed...)); err != nil || res.deleted {
		return err
	}
	return r.Out.Room(ctx, res.room.ID, protocol.DispatchRoomRemoveMembers, removed)
}

// checkCap refuses, with the original's text (4003), to take a room above
// its cap, or above ceiling (Settings.MaxRoomSize), by adding n members.
func checkCap(ctx context.Context, tx *model.RoomTx, n, ceiling int) error {
	count, err := tx.CountMembers(ctx)
	if err != nil {
		return err
	}
	limit, detail := roomCap(tx.Room)
	if count+n > min(limit, ceiling) {
		return protocol.NewError(protocol.CodeInvalid, detail)
	}
	return nil
}

// roomCap returns how many members a room may have and the text that
// refuses one more.
func roomCap(room *model.Room) (int, string) {
	switch room.Type {
	case model.TypeGroup:
		return positiveOr(room.MaxParticipants, DefaultMaxParticipants), protocol.DetailGroupFull
	case model.TypeChannel:
		return positiveOr(room.MaxSubscribers, DefaultMaxSubscribers), protocol.DetailChannelFull
	}
	return 2, protocol.DetailOneToOneSize
}

func positiveOr(n, def int) int {
	if n > 0 {
		return n
	}
	return def
}

// roleFor is the role a user gets on becoming a member: the creator coming
// back is the group's admin or the channel's moderator again.
func roleFor(room *model.Room, userID int64) string {
	if !isCreator(room, userID) {
		return model.RoleMember
	}
	if room.Type == model.TypeChannel {
		return model.RoleModerator
	}
	return model.RoleAdmin
}

func isCreator(room *model.Room, userID int64) bool {
	return room.CreatorID != nil && *room.CreatorID == userID
}

// roomDetail serializes a room with its members (the Room serializer).
func roomDetail(ctx context.Context, r *Request, room *model.Room, members []*model.Member) (any, error) {
	in := serializer.RoomInput{Room: room, Members: members}
	return r.Env.Serialize(ctx, serializer.NameRoom, in, in.UserIDs())
}

// publishDelete sends roomdelete.dispatch to the room.
func publishDelete(ctx context.Context, r *Request, roomID string) error {
	data, err := r.Env.Serialize(ctx, serializer.NameRoomDelete, serializer.RoomDeleteInput{RoomID: roomID}, nil)
	if err != nil {
		return err
	}
	return r.Out.Room(ctx, roomID, protocol.DispatchRoomDelete, data)
}

// usernames returns the usernames of ids, in order, from the app's user
// lookup (the id as text for a user it does not know).
func usernames(ctx context.Context, r *Request, ids []int64) ([]string, error) {
	us, err := serializer.Resolve(ctx, r.Env.Users, ids)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = us.Get(id).Username
	}
	return out, nil
}

// uniqueIDs returns ids without repeats, in their first order.
func uniqueIDs(ids []int64) []int64 {
	out := make([]int64, 0, len(ids))
	for _, id := range ids {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}
