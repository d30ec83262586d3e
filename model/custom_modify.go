package model

import (
	"context"
	"errors"
	"time"

	"github.com/uptrace/bun"
)

// EditMessageFields changes the app's columns of a message (WithModel) to
// their values in app, a pointer to the app's message struct, and its
// content too when content is not nil, in one transaction. A new content is
// an edit, as with EditMessage: the previous content goes to the edit
// history and the message is marked edited. Changing columns alone is not:
// it only moves updated_at. msg is updated in place and gets app as its
// Custom. A deleted message is ErrNotFound.
func (s *Store) EditMessageFields(ctx context.Context, msg *Message, content *string, app any, columns []string, now time.Time) error {
	cm := s.custom.Model("Message")
	if cm == nil {
		return errors.New("rtchat: EditMessageFields without a custom Message model")
	}
	next := *msg
	next.UpdatedAt = now
	cols := append([]string{"updated_at"}, columns...)
	if content != nil {
		next.Content, next.IsEdited = *content, true
		cols = append(cols, "content", "is_edited")
	}
	cm.SetBase(app, &next)
	return s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if content != nil {
			edit := &MessageEdit{ID: newID(), MessageID: msg.ID, Content: msg.Content, EditedAt: now}
			if _, err := tx.NewInsert().Model(edit).Exec(ctx); err != nil {
				return err
			}
		}
		res, err := tx.NewUpdate().Model(app).Column(cols...).Where("id = ? AND is_deleted = ?", msg.ID, false).Exec(ctx)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return ErrNotFound // deleted meanwhile
		}
		if content != nil {
			if err := s.indexMessageText(ctx, tx, msg.ID, *content); err != nil {
				return err
			}
		}
		msg.Content, msg.IsEdited, msg.UpdatedAt, msg.Custom = next.Content, next.IsEdited, next.UpdatedAt, app
		return nil
	})
}
