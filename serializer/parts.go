package serializer

import (
	"context"

	"github.com/rtchat/rtchat/model"
)

// parts renders the shapes one shape nests inside another. The exported
// builders (Message, RoomDetail, ...) use the defaults; a Set renders each
// part with the serializer registered under its name, so replacing "User"
// changes every user in every payload.
type parts interface {
	user(id int64) (any, error)
	message(m *model.Message) (any, error)
	reaction(r *model.Reaction) (any, error)
	readReceipt(r *model.ReadReceipt) (any, error)
	attachment(a *model.Attachment) (any, error)
}

// defaultParts renders every part with its default builder.
type defaultParts struct{ us Users }

func (p defaultParts) user(id int64) (any, error) { return p.us.Get(id), nil }
func (p defaultParts) message(m *model.Message) (any, error) {
	return buildMessage(m, p)
}
func (p defaultParts) reaction(r *model.Reaction) (any, error) {
	return buildReaction(r, p)
}
func (p defaultParts) readReceipt(r *model.ReadReceipt) (any, error) {
	return buildReadReceipt(r, p)
}
func (p defaultParts) attachment(a *model.Attachment) (any, error) { return Attachment(a), nil }

// setParts renders every part through a Set.
type setParts struct {
	ctx context.Context
	set *Set
	us  Users
}

func (p setParts) user(id int64) (any, error) { return p.set.Serialize(p.ctx, NameUser, id, p.us) }
func (p setParts) message(m *model.Message) (any, error) {
	return p.set.Serialize(p.ctx, NameMessage, m, p.us)
}
func (p setParts) reaction(r *model.Reaction) (any, error) {
	return p.set.Serialize(p.ctx, NameReaction, r, p.us)
}
func (p setParts) readReceipt(r *model.ReadReceipt) (any, error) {
	return p.set.Serialize(p.ctx, NameReadReceipt, r, p.us)
}
func (p setParts) attachment(a *model.Attachment) (any, error) {
	return p.set.Serialize(p.ctx, NameAttachment, a, p.us)
}
